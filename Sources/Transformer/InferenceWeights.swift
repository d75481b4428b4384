import Autograd
import Tensor

/// A model's weights as the inference engine (``InferenceSession``) reads them: one
/// description that serves both families.
///
/// The tensors share storage with the model's parameters (no copy). A session built from them
/// sees the values at the time it was built: rebuild it after training steps.
public struct InferenceWeights: @unchecked Sendable {
    /// A normalisation's scale and optional shift (`[D]` each).
    public struct Norm: @unchecked Sendable {
        public var weight: Tensor
        public var bias: Tensor?
        public init(weight: Tensor, bias: Tensor?) { self.weight = weight; self.bias = bias }
    }

    /// A projection `y = x·Wᵀ + b` (`Linear` layout) or `y = x·W + b` (`Conv1D` layout).
    public struct Projection: @unchecked Sendable {
        /// How the weight matrix is stored.
        public enum Layout: Sendable {
            /// `[out, in]`, as `Linear`.
            case outputInput
            /// `[in, out]`, as GPT-2's `Conv1D`.
            case inputOutput
        }
        public var weight: Tensor
        public var bias: Tensor?
        public var layout: Layout

        public init(weight: Tensor, bias: Tensor?, layout: Layout) {
            check(weight.rank == 2, "Projection: weight must be a matrix, got \(describeShape(weight.shape))")
            self.weight = weight
            self.bias = bias
            self.layout = layout
        }

        /// A `Linear`, with an unmerged LoRA adapter's update added into a copy of the weight.
        init(linear: Linear, adapter: LoRAAdapter? = nil) {
            let weight = adapter.flatMap { $0.isMerged ? nil : linear.weight.value + $0.update } ?? linear.weight.value
            self.init(weight: weight, bias: linear.bias?.value, layout: .outputInput)
        }

        /// A GPT-2 `Conv1D` (`[in, out]`), with an unmerged adapter's update added likewise.
        init(conv: Conv1D, adapter: LoRAAdapter? = nil) {
            let weight = adapter.flatMap { $0.isMerged ? nil : conv.weight.value + $0.update.transposed() } ?? conv.weight.value
            self.init(weight: weight, bias: conv.bias.value, layout: .inputOutput)
        }

        public var inputSize: Int { layout == .outputInput ? weight.shape[1] : weight.shape[0] }
        public var outputSize: Int { layout == .outputInput ? weight.shape[0] : weight.shape[1] }

        /// `y[r] (+)= x[r]·W + b` for `rows` rows; `x` rows have stride `ldx`, `y` rows `ldy`.
        /// With `accumulate`, the product and bias are added to `y` (a residual connection).
        func apply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
            let (k, n) = (inputSize, outputSize)
            var add = accumulate
            if let bias, !accumulate {
                InferenceKernels.fillRows(y, rows: rows, rowStride: ldy, with: bias.basePointer, width: n)
                add = true
            }
            sgemmRowMajor(transposeA: false, transposeB: layout == .outputInput, m: rows, n: n, k: k,
                          x, lda: ldx, weight.basePointer, ldb: layout == .outputInput ? k : n, y, ldc: ldy, accumulate: add)
            if let bias, accumulate {
                let b = bias.basePointer
                for r in 0..<rows { let row = y + r * ldy; for i in 0..<n { row[i] += b[i] } }
            }
        }
    }

    /// The feed-forward part of a block.
    public enum MLP: @unchecked Sendable {
        /// `down(silu(gate(x)) ⊙ up(x))` (Llama).
        case swiglu(gate: Projection, up: Projection, down: Projection)
        /// `down(gelu(up(x)))` (GPT-2's `c_fc`, `c_proj`).
        case gelu(up: Projection, down: Projection, approximation: GELUApproximation)

        var width: Int {
            switch self {
            case .swiglu(let gate, _, _): gate.outputSize
            case .gelu(let up, _, _): up.outputSize
            }
        }
    }

    /// One pre-norm decoder block.
    public struct Block: @unchecked Sendable {
        public var attentionNorm: Norm
        /// One fused projection to `[q | k | v]` or three projections, q, k and v.
        public var queryKeyValue: [Projection]
        public var attentionOutput: Projection
        public var mlpNorm: Norm
        public var mlp: MLP
    }

    public var hiddenSize: Int
    public var headCount: Int
    public var keyValueHeadCount: Int
    public var headSize: Int
    public var maxPositions: Int
    public var normEpsilon: Float
    /// LayerNorm (`true`, GPT-2) or RMSNorm (`false`, Llama).
    public var centeredNorm: Bool
    /// `[V, D]`.
    public var tokenEmbedding: Tensor
    /// `[P, D]` learned positions (GPT-2), or `nil`.
    public var positionEmbedding: Tensor?
    /// Rotary tables (Llama, `.halfSplit` layout), or `nil`.
    public var rotary: RotaryTable?
    public var blocks: [Block]
    public var finalNorm: Norm
    /// `[V, D]` (`.outputInput`).
    public var outputHead: Projection

    public var vocabularySize: Int { outputHead.outputSize }
    /// Width of the fused `[q | k | v]` row.
    var queryKeyValueWidth: Int { (headCount + 2 * keyValueHeadCount) * headSize }
}
