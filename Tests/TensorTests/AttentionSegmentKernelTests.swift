import Testing
@testable import Tensor
import _TestSupport

/// Document segments in the attention kernels, held against `FusedReference.attention`, which
/// builds the block-diagonal mask key by key.
@Suite("Attention kernels with document segments")
struct AttentionSegmentKernelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var b: Int, hq: Int, hkv: Int, t: Int, s: Int, dh: Int
        var causal = true, padded = false
        /// Run lengths of each sequence's segments (summing to `s`).
        var runs: [[Int]]
        var testDescription: String {
            "B\(b) Hq\(hq) Hkv\(hkv) T\(t) S\(s) Dh\(dh) runs \(runs)\(causal ? " causal" : "")\(padded ? " padded" : "")"
        }
    }

    static let cases: [Case] = [
        Case(b: 1, hq: 2, hkv: 2, t: 7, s: 7, dh: 3, runs: [[3, 4]]),
        Case(b: 2, hq: 4, hkv: 2, t: 9, s: 9, dh: 5, runs: [[1, 1, 7], [9]]),
        Case(b: 2, hq: 6, hkv: 2, t: 8, s: 8, dh: 4, causal: false, runs: [[2, 3, 3], [5, 2, 1]]),
        Case(b: 2, hq: 2, hkv: 1, t: 4, s: 9, dh: 3, padded: true, runs: [[4, 5], [2, 2, 2, 3]]),
        Case(b: 1, hq: 3, hkv: 1, t: 40, s: 40, dh: 16, runs: [[13, 1, 20, 6]]),
    ]

    /// Ids `0, 0, 0, 1, 1, …` per sequence; the second sequence reuses the ids of the first so
    /// only runs, not values, can separate documents across rows.
    static func segmentIDs(_ c: Case) -> [Int32] {
        c.runs.flatMap { lengths in lengths.enumerated().flatMap { id, n in Array(repeating: Int32(id), count: n) } }
    }

    @Test(arguments: cases)
    func matchesReference(c: Case) {
        let q = FusedKernelTests.random([c.b, c.hq, c.t, c.dh], seed: 71), k = FusedKernelTests.random([c.b, c.hkv, c.s, c.dh], seed: 72)
        let v = FusedKernelTests.random([c.b, c.hkv, c.s, c.dh], seed: 73), dO = FusedKernelTests.random([c.b, c.hq, c.t, c.dh], seed: 74)
        let mask = c.padded ? FusedKernelTests.paddingMask(b: c.b, s: c.s) : nil
        let segments = Self.segmentIDs(c)
        let scale = 1 / Float(c.dh).squareRoot()
        let ref = FusedReference.attention(query: q, key: k, value: v, paddingMask: mask, causal: c.causal, scale: Double(scale),
                                           outputGradient: dO, segmentIDs: segments)
        let (out, lse) = Tensor.attention(query: q, key: k, value: v, paddingMask: mask, causal: c.causal, scale: scale,
                                          savingLogSumExp: true, segmentIDs: segments)
        assertClose(out, ref.output, rtol: 1e-5, atol: 1e-5, "output")
        let grads = Tensor.attentionBackward(outputGradient: dO, query: q, key: k, value: v, logSumExp: lse!,
                                             paddingMask: mask, causal: c.causal, scale: scale, segmentIDs: segments)
        assertClose(grads.query, ref.query, rtol: 1e-4, atol: 1e-5, "dQ")
        assertClose(grads.key, ref.key, rtol: 1e-4, atol: 1e-5, "dK")
        assertClose(grads.value, ref.value, rtol: 1e-4, atol: 1e-5, "dV")
    }

    @Test func oneSegmentPerRowChangesNothing() {
        let q = FusedKernelTests.random([2, 4, 6, 3], seed: 81), k = FusedKernelTests.random([2, 2, 6, 3], seed: 82)
        let v = FusedKernelTests.random([2, 2, 6, 3], seed: 83)
        let plain = Tensor.attention(query: q, key: k, value: v, paddingMask: nil, causal: true, scale: 0.5, savingLogSumExp: true)
        let single = Tensor.attention(query: q, key: k, value: v, paddingMask: nil, causal: true, scale: 0.5, savingLogSumExp: true,
                                      segmentIDs: [Int32](repeating: 0, count: 6) + [Int32](repeating: 7, count: 6))
        #expect(plain.output == single.output)
        #expect(plain.logSumExp == single.logSumExp)
    }

    @Test func wrongSegmentCountStops() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.attention(query: Tensor.zeros([1, 1, 3, 2]), key: Tensor.zeros([1, 1, 3, 2]), value: Tensor.zeros([1, 1, 3, 2]),
                                 paddingMask: nil, causal: true, scale: 1, savingLogSumExp: false, segmentIDs: [0, 0])
        }
    }
}
