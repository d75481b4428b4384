import Autograd
import Tensor

/// GPT-2's projection layer (Hugging Face `Conv1D`): `y = x·W + b` with the weight stored
/// `[in, out]` — the transpose of `Linear`'s `[out, in]` — as in GPT-2 checkpoints.
public final class Conv1D: Module {
    /// `[in, out]`.
    public let weight: Parameter
    /// `[out]`.
    public let bias: Parameter

    /// Initialised as Hugging Face's GPT-2: weight `N(0, 0.02²)`, bias 0.
    public convenience init(inputSize: Int, outputSize: Int, using generator: inout SeededGenerator) {
        self.init(weight: Tensor.randomNormal([inputSize, outputSize], mean: 0, standardDeviation: 0.02, using: &generator),
                  bias: Tensor.zeros([outputSize]))
    }

    /// A layer with given values: weight `[in, out]`, bias `[out]`.
    public init(weight: Tensor, bias: Tensor) {
        check(weight.rank == 2 && bias.shape == [weight.shape.last ?? 0],
              "Conv1D: weight \(describeShape(weight.shape)) must be [in, out] and bias \(describeShape(bias.shape)) [out]")
        self.weight = Parameter(weight)
        self.bias = Parameter(bias)
    }

    public var inputSize: Int { weight.value.shape[0] }
    public var outputSize: Int { weight.value.shape[1] }

    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    /// `[…, in] → […, out]`: `x·W + b` as one product accumulated onto the bias (``affine(_:weight:bias:)``).
    public func callAsFunction(_ x: Variable) -> Variable {
        affine(x, weight: weight.variable, bias: bias.variable)
    }
}
