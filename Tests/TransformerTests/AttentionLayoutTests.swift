import Testing
import Tensor
import Autograd
import _TestSupport
@testable import Transformer

/// GPT-2's and Llama's attention layers read q, k, v token-major (no split, no transposes):
/// their outputs and input gradients equal the head-major composition they replaced
/// (`split` → `reshaped([B, T, H, Dh]).transposed(1, 2)` → attention → transpose back).
@Suite("Attention layers without transposes")
struct AttentionLayoutTests {
    static let (b, t) = (2, 9)

    /// Padding (sequence 1's first two tokens) and two documents per row (3 + 6 tokens),
    /// positions restarting per document.
    static var batch: TokenBatch {
        var mask = Tensor.ones([b, t])
        mask[1, 0] = 0; mask[1, 1] = 0
        let segments = (0..<(b * t)).map { Int32($0 % t < 3 ? 0 : 1) }
        let positions = (0..<(b * t)).map { $0 % t < 3 ? $0 % t : $0 % t - 3 }
        return TokenBatch(ids: [Int32](repeating: 0, count: b * t), batchSize: b, length: t, attentionMask: mask,
                          positions: positions, segmentIDs: segments)
    }

    static func heads(_ y: Variable, _ count: Int) -> Variable {
        y.reshaped([b, t, count, y.shape[2] / count]).transposed(1, 2)
    }
    static func merged(_ y: Variable) -> Variable { y.transposed(1, 2).reshaped([b, t, y.shape[1] * y.shape[3]]) }

    static func expectSame(_ direct: (value: Tensor, gradients: [Tensor]), _ before: (value: Tensor, gradients: [Tensor])) {
        assertClose(direct.value, before.value, rtol: 1e-5, atol: 1e-6, "output")
        assertClose(direct.gradients[0], before.gradients[0], rtol: 1e-4, atol: 1e-6, "input gradient")
    }

    @Test func gpt2AttentionEqualsSplitAndTransposes() {
        var g = SeededGenerator(seed: 61)
        let model = GPT2LMHeadModel(.tiny, using: &g)
        let attention = model.transformer.h[0].attention, c = GPT2Configuration.tiny
        let x = Tensor.randomNormal([Self.b, Self.t, c.hiddenSize], using: &g)
        let upstream = Tensor.randomNormal([Self.b, Self.t, c.hiddenSize], using: &g)
        let batch = Self.batch
        let direct = vectorJacobianProduct(at: [x], seed: upstream) { v in attention(v[0], batch: batch) }
        let before = vectorJacobianProduct(at: [x], seed: upstream) { v in
            let parts = attention.cAttn(v[0]).split(alongAxis: 2, sizes: [c.hiddenSize, c.hiddenSize, c.hiddenSize])
            let out = scaledDotProductAttention(query: Self.heads(parts[0], c.headCount), key: Self.heads(parts[1], c.headCount),
                                                value: Self.heads(parts[2], c.headCount), causal: true,
                                                paddingMask: batch.attentionMask, segmentIDs: batch.segmentIDs)
            return attention.cProj(Self.merged(out))
        }
        Self.expectSame(direct, before)
    }

    @Test func llamaAttentionEqualsTransposes() {
        var g = SeededGenerator(seed: 62)
        let model = LlamaForCausalLM(.tiny, using: &g)
        let attention = model.model.layers[0].selfAttention, c = LlamaConfiguration.tiny, rotary = model.rotary
        let x = Tensor.randomNormal([Self.b, Self.t, c.hiddenSize], using: &g)
        let upstream = Tensor.randomNormal([Self.b, Self.t, c.hiddenSize], using: &g)
        let batch = Self.batch, positions = batch.resolvedPositions
        let direct = vectorJacobianProduct(at: [x], seed: upstream) { v in attention(v[0], batch: batch, rotary: rotary) }
        let before = vectorJacobianProduct(at: [x], seed: upstream) { v in
            let q = rotaryEmbedding(Self.heads(attention.qProj(v[0]), c.headCount), positions: positions, table: rotary)
            let k = rotaryEmbedding(Self.heads(attention.kProj(v[0]), c.keyValueHeadCount), positions: positions, table: rotary)
            let out = scaledDotProductAttention(query: q, key: k, value: Self.heads(attention.vProj(v[0]), c.keyValueHeadCount),
                                                causal: true, paddingMask: batch.attentionMask, segmentIDs: batch.segmentIDs)
            return attention.oProj(Self.merged(out))
        }
        Self.expectSame(direct, before)
    }
}
