import Testing
import Tensor
import _TestSupport
import Autograd

/// `scaledDotProductAttention` with document segments: finite-difference gradients, and a
/// packed row equals its documents attended one by one.
@Suite("Scaled dot-product attention with document segments")
struct AttentionSegmentTests {
    @Test(arguments: [true, false])
    func gradientCheck(causal: Bool) {
        // Two sequences of 6: documents of 2 + 3 + 1 tokens and of 4 + 2; GQA 4 → 2 heads.
        let q = fusedInput([2, 4, 6, 3], seed: 21), k = fusedInput([2, 2, 6, 3], seed: 22), v = fusedInput([2, 2, 6, 3], seed: 23)
        let segments: [Int32] = [0, 0, 1, 1, 1, 2, 5, 5, 5, 5, 6, 6]
        gradcheck([q, k, v], "segments, causal \(causal)") { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], causal: causal, segmentIDs: segments)
        }
    }

    @Test func packedRowEqualsDocumentsAlone() {
        let lengths = [3, 1, 4]
        let t = lengths.reduce(0, +)
        let q = fusedInput([1, 2, t, 4], seed: 31), k = fusedInput([1, 1, t, 4], seed: 32), v = fusedInput([1, 1, t, 4], seed: 33)
        let segments = lengths.enumerated().flatMap { id, n in Array(repeating: Int32(id), count: n) }
        let packed = scaledDotProductAttention(query: Variable(q), key: Variable(k), value: Variable(v), causal: true,
                                               segmentIDs: segments).value
        var start = 0
        for n in lengths {
            let range = start..<(start + n)
            let alone = scaledDotProductAttention(query: Variable(q.slice(alongAxis: 2, range)), key: Variable(k.slice(alongAxis: 2, range)),
                                                  value: Variable(v.slice(alongAxis: 2, range)), causal: true).value
            assertClose(packed.slice(alongAxis: 2, range), alone, rtol: 1e-6, atol: 1e-6, "document at \(range)")
            start += n
        }
    }
}
