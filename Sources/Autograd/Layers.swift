import Tensor

// Basic layers over the fused ops, named and initialised as their PyTorch counterparts so that
// state dicts match Hugging Face checkpoints (`weight`, `bias`).

/// A fully connected layer `y = x·Wᵀ + b`, as `torch.nn.Linear`.
///
/// Initialisation as PyTorch's default (`kaiming_uniform_(a=√5)` for the weight, which is
/// `U(−1/√in, 1/√in)`, and the same bound for the bias): weight first, then bias, each drawn
/// in row-major order from the generator.
public final class Linear: Module {
    /// `[out, in]`.
    public let weight: Parameter
    /// `[out]`, or `nil` for a layer without bias.
    public let bias: Parameter?

    /// - Parameters:
    ///   - inputSize: `in`, the last axis of the input.
    ///   - outputSize: `out`, the last axis of the output.
    ///   - bias: whether the layer has a bias (default `true`, as PyTorch).
    ///   - generator: the source of the initial values.
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, using generator: inout SeededGenerator) {
        check(inputSize >= 0 && outputSize >= 0, "Linear: negative size (in \(inputSize), out \(outputSize))")
        let bound = inputSize > 0 ? 1 / Float(inputSize).squareRoot() : 0
        weight = Parameter(Tensor.randomUniform([outputSize, inputSize], low: -bound, high: bound, using: &generator))
        self.bias = bias ? Parameter(Tensor.randomUniform([outputSize], low: -bound, high: bound, using: &generator)) : nil
    }

    /// A layer with given values (e.g. loaded or for tests).
    public init(weight: Tensor, bias: Tensor? = nil) {
        check(weight.rank == 2, "Linear: weight must be [out, in], got \(describeShape(weight.shape))")
        if let bias {
            check(bias.shape == [weight.shape[0]], "Linear: bias \(describeShape(bias.shape)) for weight \(describeShape(weight.shape))")
        }
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
    }

    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `[…, in] → […, out]`; see ``linear(_:weight:bias:)``.
    public func callAsFunction(_ x: Variable) -> Variable {
        linear(x, weight: weight.variable, bias: bias?.variable)
    }
}

/// A lookup table of `count` vectors of size `dimension`, as `torch.nn.Embedding`; initialised
/// `N(0, 1)` as PyTorch's default.
public final class Embedding: Module {
    /// `[count, dimension]`.
    public let weight: Parameter

    /// - Parameters:
    ///   - count: number of rows (vocabulary size).
    ///   - dimension: size of each vector.
    ///   - generator: the source of the initial values.
    public init(count: Int, dimension: Int, using generator: inout SeededGenerator) {
        weight = Parameter(Tensor.randomNormal([count, dimension], using: &generator))
    }

    /// A table with given values.
    public init(weight: Tensor) {
        check(weight.rank == 2, "Embedding: weight must be [count, dimension], got \(describeShape(weight.shape))")
        self.weight = Parameter(weight)
    }

    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// `ids` of `shape` (e.g. `[B, T]`) → `shape + [dimension]`; see `embedding(_:ids:shape:)`.
    public func callAsFunction(_ ids: [Int32], shape: [Int]) -> Variable {
        embedding(weight.variable, ids: ids, shape: shape)
    }

    /// `callAsFunction(_:shape:)` with `Int` ids.
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Variable {
        embedding(weight.variable, ids: ids, shape: shape)
    }
}

/// RMS normalisation of the last axis with a learned scale, as Hugging Face's `LlamaRMSNorm`;
/// weight initialised to 1.
public final class RMSNorm: Module {
    /// `[dimension]`.
    public let weight: Parameter
    /// Added to the mean square.
    public let epsilon: Float

    /// - Parameters:
    ///   - dimension: size of the last axis.
    ///   - epsilon: default `1e-6` (Hugging Face's; set it from `rms_norm_eps`).
    public init(dimension: Int, epsilon: Float = 1e-6) {
        weight = Parameter(Tensor.ones([dimension]))
        self.epsilon = epsilon
    }

    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// `[…, dimension]` → same shape; see ``rmsNorm(_:weight:epsilon:)``.
    public func callAsFunction(_ x: Variable) -> Variable {
        rmsNorm(x, weight: weight.variable, epsilon: epsilon)
    }
}

/// Layer normalisation of the last axis with a learned scale and shift, as
/// `torch.nn.LayerNorm`; weight initialised to 1, bias to 0.
public final class LayerNorm: Module {
    /// `[dimension]`.
    public let weight: Parameter
    /// `[dimension]`, or `nil` (`bias=False`).
    public let bias: Parameter?
    /// Added to the variance.
    public let epsilon: Float

    /// - Parameters:
    ///   - dimension: size of the last axis.
    ///   - epsilon: default `1e-5` (PyTorch's).
    ///   - bias: whether to learn a shift (default `true`).
    public init(dimension: Int, epsilon: Float = 1e-5, bias: Bool = true) {
        weight = Parameter(Tensor.ones([dimension]))
        self.bias = bias ? Parameter(Tensor.zeros([dimension])) : nil
        self.epsilon = epsilon
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `[…, dimension]` → same shape; see ``layerNorm(_:weight:bias:epsilon:)``.
    public func callAsFunction(_ x: Variable) -> Variable {
        layerNorm(x, weight: weight.variable, bias: bias?.variable, epsilon: epsilon)
    }
}

/// Inverted dropout as `torch.nn.Dropout`: active in training mode (the default, as
/// PyTorch), identity after `eval()`.
///
/// The layer owns its generator, seeded from the one given at construction; its state
/// (``generator``) can be saved with a checkpoint and restored for an exact resume. Inside
/// ``checkpointed(_:_:)`` the recomputation replays the forward's masks.
public final class Dropout: Module {
    /// Probability of zeroing an element.
    public let probability: Float
    /// Whether dropout is applied (set by ``Module/train(_:)`` and ``Module/eval()``).
    public private(set) var isTraining = true
    /// The mask source; advanced by every training-mode call.
    public var generator: SeededGenerator

    /// - Parameters:
    ///   - probability: `p` in `[0, 1]` (default 0.5, as PyTorch).
    ///   - generator: one draw from it seeds the layer's own generator.
    public init(probability: Float = 0.5, using generator: inout SeededGenerator) {
        check(probability >= 0 && probability <= 1, "Dropout: probability \(probability) is outside [0, 1]")
        self.probability = probability
        self.generator = SeededGenerator(seed: generator.next())
    }

    public func setTrainingMode(_ training: Bool) { isTraining = training }

    /// See ``dropout(_:probability:using:training:)``.
    public func callAsFunction(_ x: Variable) -> Variable {
        if isTraining && probability > 0 { DropoutStates.current?.willDraw(self) }
        return dropout(x, probability: probability, using: &generator, training: isTraining)
    }
}
