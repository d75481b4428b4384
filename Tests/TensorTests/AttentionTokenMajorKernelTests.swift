import Testing
@testable import Tensor
import _TestSupport

/// The token-major and fused q|k|v attention kernels, held against `FusedReference.attention`
/// (Double, explicit mask) on the head-major transposes of their inputs, on awkward shapes.
@Suite("Token-major attention kernels")
struct AttentionTokenMajorKernelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var b: Int, hq: Int, hkv: Int, t: Int, s: Int, dh: Int, dv: Int
        var causal = true, padded = false
        /// Run lengths of each sequence's document segments (summing to `s`), or `nil`.
        var runs: [[Int]]? = nil
        var testDescription: String {
            "B\(b) Hq\(hq) Hkv\(hkv) T\(t) S\(s) Dh\(dh) Dv\(dv)\(causal ? " causal" : "")\(padded ? " padded" : "")"
                + (runs.map { " runs \($0)" } ?? "")
        }
    }

    static let cases: [Case] = [
        Case(b: 1, hq: 1, hkv: 1, t: 1, s: 1, dh: 4, dv: 4),
        Case(b: 2, hq: 3, hkv: 1, t: 7, s: 7, dh: 5, dv: 3, padded: true),
        Case(b: 1, hq: 3, hkv: 3, t: 1, s: 9, dh: 5, dv: 5, padded: true),
        Case(b: 2, hq: 6, hkv: 2, t: 4, s: 9, dh: 8, dv: 8, causal: false, padded: true),
        Case(b: 3, hq: 2, hkv: 1, t: 33, s: 40, dh: 16, dv: 16),
        // Several query blocks, split over blocks (fewer than 8 heads) and not (12 heads).
        Case(b: 1, hq: 3, hkv: 1, t: 70, s: 70, dh: 8, dv: 8, padded: false, runs: [[13, 1, 40, 16]]),
        Case(b: 2, hq: 6, hkv: 2, t: 70, s: 75, dh: 8, dv: 6, padded: true),
        Case(b: 2, hq: 6, hkv: 2, t: 33, s: 33, dh: 4, dv: 4, causal: false, runs: [[2, 30, 1], [33]]),
        Case(b: 2, hq: 2, hkv: 1, t: 4, s: 9, dh: 3, dv: 3, padded: true, runs: [[4, 5], [2, 2, 2, 3]]),
        // Blocks of 34 rows (T/8).
        Case(b: 1, hq: 1, hkv: 1, t: 270, s: 270, dh: 4, dv: 4, runs: [[100, 1, 169]]),
    ]

    static func segmentIDs(_ c: Case) -> [Int32]? {
        c.runs.map { $0.flatMap { lengths in lengths.enumerated().flatMap { id, n in Array(repeating: Int32(id), count: n) } } }
    }

    /// `[B, H, L, D]` → `[B, L, H·D]`.
    static func tokenMajor(_ x: Tensor) -> Tensor {
        x.transposed(1, 2).reshaped([x.shape[0], x.shape[2], x.shape[1] * x.shape[3]])
    }

    /// Head-major random inputs for case `c` (seeds `seed…seed + 3`), its masks and the
    /// reference's output and gradients.
    struct Inputs {
        let q: Tensor, k: Tensor, v: Tensor, dO: Tensor
        let mask: Tensor?, segments: [Int32]?, scale: Float
        let ref: (output: Tensor, query: Tensor, key: Tensor, value: Tensor)

        init(_ c: Case, seed: UInt64) {
            q = FusedKernelTests.random([c.b, c.hq, c.t, c.dh], seed: seed)
            k = FusedKernelTests.random([c.b, c.hkv, c.s, c.dh], seed: seed + 1)
            v = FusedKernelTests.random([c.b, c.hkv, c.s, c.dv], seed: seed + 2)
            dO = FusedKernelTests.random([c.b, c.hq, c.t, c.dv], seed: seed + 3)
            mask = c.padded ? FusedKernelTests.paddingMask(b: c.b, s: c.s) : nil
            segments = AttentionTokenMajorKernelTests.segmentIDs(c)
            scale = 1 / Float(c.dh).squareRoot()
            ref = FusedReference.attention(query: q, key: k, value: v, paddingMask: mask, causal: c.causal,
                                           scale: Double(scale), outputGradient: dO, segmentIDs: segments)
        }
    }

    @Test(arguments: cases)
    func matchesReference(c: Case) {
        let inputs = Inputs(c, seed: 91)
        let (q, k, v, dO, mask, segments, scale, ref) = (inputs.q, inputs.k, inputs.v, inputs.dO, inputs.mask,
                                                         inputs.segments, inputs.scale, inputs.ref)
        let (tq, tk, tv) = (Self.tokenMajor(q), Self.tokenMajor(k), Self.tokenMajor(v))
        let (out, lse) = Tensor.attention(query: tq, key: tk, value: tv, queryHeads: c.hq, keyValueHeads: c.hkv, paddingMask: mask,
                                          causal: c.causal, scale: scale, savingLogSumExp: true, segmentIDs: segments)
        #expect(out.shape == [c.b, c.t, c.hq * c.dv])
        assertClose(out, Self.tokenMajor(ref.output), rtol: 1e-5, atol: 1e-5, "output")
        let grads = Tensor.attentionBackward(outputGradient: Self.tokenMajor(dO), query: tq, key: tk, value: tv, queryHeads: c.hq,
                                             keyValueHeads: c.hkv, logSumExp: lse!, paddingMask: mask, causal: c.causal,
                                             scale: scale, segmentIDs: segments)
        assertClose(grads.query, Self.tokenMajor(ref.query), rtol: 1e-4, atol: 1e-5, "dQ")
        assertClose(grads.key, Self.tokenMajor(ref.key), rtol: 1e-4, atol: 1e-5, "dK")
        assertClose(grads.value, Self.tokenMajor(ref.value), rtol: 1e-4, atol: 1e-5, "dV")

        // The head-major entry point runs the same blocks: same log-sum-exps, same values.
        let headMajor = Tensor.attention(query: q, key: k, value: v, paddingMask: mask, causal: c.causal, scale: scale,
                                         savingLogSumExp: true, segmentIDs: segments)
        assertClose(headMajor.output, ref.output, rtol: 1e-5, atol: 1e-5, "head-major output")
        assertClose(headMajor.logSumExp!, lse!, rtol: 1e-6, atol: 1e-6, "log-sum-exp")
    }

    static let fusedCases: [Case] = [
        Case(b: 1, hq: 1, hkv: 1, t: 1, s: 1, dh: 4, dv: 4),
        Case(b: 2, hq: 3, hkv: 3, t: 7, s: 7, dh: 4, dv: 4, padded: true),
        Case(b: 1, hq: 2, hkv: 2, t: 33, s: 33, dh: 8, dv: 8, runs: [[5, 27, 1]]),
        Case(b: 2, hq: 6, hkv: 6, t: 70, s: 70, dh: 8, dv: 8, padded: true),
        Case(b: 2, hq: 2, hkv: 2, t: 33, s: 33, dh: 3, dv: 3, causal: false, padded: true, runs: [[3, 30], [33]]),
    ]

    @Test(arguments: fusedCases)
    func fusedMatchesReference(c: Case) {
        // The fused cases have Hkv = Hq, S = T and Dv = Dh: q, k, v share one shape.
        let inputs = Inputs(c, seed: 95)
        let (q, k, v, dO, mask, segments, scale, ref) = (inputs.q, inputs.k, inputs.v, inputs.dO, inputs.mask,
                                                         inputs.segments, inputs.scale, inputs.ref)
        let fused = Tensor.concatenate([Self.tokenMajor(q), Self.tokenMajor(k), Self.tokenMajor(v)], alongAxis: 2)
        let (out, lse) = Tensor.attention(fusedQKV: fused, heads: c.hq, paddingMask: mask, causal: c.causal, scale: scale,
                                          savingLogSumExp: true, segmentIDs: segments)
        assertClose(out, Self.tokenMajor(ref.output), rtol: 1e-5, atol: 1e-5, "output")
        let gradient = Tensor.attentionBackward(outputGradient: Self.tokenMajor(dO), fusedQKV: fused, heads: c.hq, logSumExp: lse!,
                                                paddingMask: mask, causal: c.causal, scale: scale, segmentIDs: segments)
        let expected = Tensor.concatenate([Self.tokenMajor(ref.query), Self.tokenMajor(ref.key), Self.tokenMajor(ref.value)],
                                          alongAxis: 2)
        assertClose(gradient, expected, rtol: 1e-4, atol: 1e-5, "dQ | dK | dV")
    }

    @Test func resultsDoNotDependOnTheThreadCount() {
        let c = Case(b: 2, hq: 6, hkv: 2, t: 70, s: 70, dh: 8, dv: 8)
        let fused = FusedKernelTests.random([c.b, c.t, 3 * c.hq * c.dh], seed: 99)
        let dO = FusedKernelTests.random([c.b, c.t, c.hq * c.dh], seed: 100)
        func run() -> [Tensor] {
            let (out, lse) = Tensor.attention(fusedQKV: fused, heads: c.hq, paddingMask: nil, causal: true, scale: 0.3,
                                              savingLogSumExp: true)
            return [out, lse!, Tensor.attentionBackward(outputGradient: dO, fusedQKV: fused, heads: c.hq, logSumExp: lse!,
                                                        paddingMask: nil, causal: true, scale: 0.3)]
        }
        let one = withThreadCount(1, run), two = withThreadCount(2, run), three = withThreadCount(3, run)
        #expect(one == two)
        #expect(one == three)
    }

    @Test func fullyMaskedRowsGiveZeros() {
        // Sequence 1 pads its first two keys; under the causal mask its first two queries see nothing.
        var mask = Tensor.ones([2, 4])
        mask[1, 0] = 0; mask[1, 1] = 0
        let fused = FusedKernelTests.random([2, 4, 6], seed: 101)
        let (out, lse) = Tensor.attention(fusedQKV: fused, heads: 1, paddingMask: mask, causal: true, scale: 0.5, savingLogSumExp: true)
        #expect(Array(out.scalars[8..<12]) == [0, 0, 0, 0])
        #expect(lse![1, 0, 0] == -.infinity && lse![1, 0, 1] == -.infinity)
        let g = Tensor.attentionBackward(outputGradient: Tensor.ones(out.shape), fusedQKV: fused, heads: 1, logSumExp: lse!,
                                         paddingMask: mask, causal: true, scale: 0.5)
        #expect(Array(g.scalars[24..<26]) == [0, 0], "dQ of a fully masked query")
        #expect(!g.scalars.contains { $0.isNaN })
    }

    @Test func rotaryOnTokenMajorRowsEqualsHeadMajor() {
        let x = FusedKernelTests.random([2, 3, 5, 8], seed: 102)
        let (c, s) = Tensor.rotaryTables(inverseFrequencies: Tensor.rotaryInverseFrequencies(rotatedFeatures: 6, base: 10_000),
                                         positions: 16)
        for positions in [[3, 1, 4, 1, 5], Array(0..<10)] {
            for interleaved in [false, true] {
                let heads = Tensor.rotaryEmbedding(x, cos: c, sin: s, positions: positions, interleaved: interleaved, inverse: false)
                let tokens = Tensor.rotaryEmbedding(Self.tokenMajor(x), cos: c, sin: s, positions: positions,
                                                    interleaved: interleaved, inverse: false, heads: 3)
                #expect(tokens == Self.tokenMajor(heads), "positions \(positions), interleaved \(interleaved)")
            }
        }
    }

    @Test func shapeMismatchStops() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.attention(query: Tensor.zeros([1, 2, 6]), key: Tensor.zeros([1, 2, 4]), value: Tensor.zeros([1, 2, 4]),
                                 queryHeads: 2, keyValueHeads: 2, paddingMask: nil, causal: true, scale: 1, savingLogSumExp: false)
        }
        await #expect(processExitsWith: .failure) {
            _ = Tensor.attention(fusedQKV: Tensor.zeros([1, 2, 10]), heads: 2, paddingMask: nil, causal: true, scale: 1,
                                 savingLogSumExp: false)
        }
    }
}
