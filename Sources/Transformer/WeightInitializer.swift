import Autograd
import Tensor

/// Initial values for a model's weights: Hugging Face's scheme (normal with a given standard
/// deviation, zero biases) drawn from a seeded generator — or, when the weights are about to
/// be loaded from a checkpoint, uninitialised storage, so building a 135M-parameter model
/// costs no random draws.
struct WeightInitializer {
    /// `nil`: leave weights uninitialised (they will be overwritten).
    var generator: SeededGenerator?

    /// `N(0, std²)` in row-major order, or uninitialised.
    mutating func normal(_ shape: [Int], standardDeviation: Float) -> Tensor {
        guard generator != nil else { return Tensor(uninitializedShape: shape) }
        return Tensor.randomNormal(shape, standardDeviation: standardDeviation, using: &generator!)
    }

    /// Zeros (biases), or uninitialised.
    func zeros(_ shape: [Int]) -> Tensor { generator == nil ? Tensor(uninitializedShape: shape) : Tensor.zeros(shape) }

    /// A `Linear` with weight `N(0, 0.02²)` and zero bias.
    mutating func linear(input: Int, output: Int, bias: Bool) -> Linear {
        Linear(weight: normal([output, input], standardDeviation: 0.02), bias: bias ? zeros([output]) : nil)
    }

    /// A GPT-2 `Conv1D` with weight `N(0, std²)` (default 0.02) and zero bias.
    mutating func conv1D(input: Int, output: Int, standardDeviation: Float = 0.02) -> Conv1D {
        Conv1D(weight: normal([input, output], standardDeviation: standardDeviation), bias: zeros([output]))
    }
}
