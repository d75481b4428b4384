import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// The fused kernels behind Autograd's cross-entropy, normalisation, attention, rotary and
/// SwiGLU ops, held against `FusedReference` (Double, unfused) on awkward shapes.
@Suite("Fused kernels")
struct FusedKernelTests {
    typealias R = FusedReference

    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.randomNormal(shape, standardDeviation: scale, using: &g)
    }

    // MARK: Cross-entropy

    @Test(arguments: [(5, 7, 0.0), (40, 33, 0.1), (1, 1, 0.0), (9, 1100, 0.25), (3, 7, 1.0)])
    func crossEntropyMatchesReference(n: Int, v: Int, smoothing: Double) {
        let logits = Self.random([n, v], seed: UInt64(n * 100 + v), scale: 3)
        var g = SeededGenerator(seed: 5)
        let targets = (0..<n).map { i in i % 4 == 2 ? -100 : Int(g.next() % UInt64(v)) }
        let scales = (0..<n).map { Double($0 % 3) - 0.5 }
        let reference = R.crossEntropy(logits, targets: targets, ignoreIndex: -100, labelSmoothing: smoothing, rowScales: scales)
        for chunk in [1, 3, 256] {
            let rows = Tensor.crossEntropyRows(logits: logits, targets: targets, ignoreIndex: -100,
                                               labelSmoothing: Float(smoothing), chunkRows: chunk)
            assertClose(rows.losses, Tensor(reference.losses.map(Float.init)), rtol: 1e-5, atol: 1e-5, "losses, chunk \(chunk)")
            #expect(rows.targetCount == targets.filter { $0 != -100 }.count)
            let gradient = Tensor.crossEntropyGradient(
                logits: logits, targets: targets, ignoreIndex: -100, labelSmoothing: Float(smoothing),
                logSumExp: rows.logSumExp, scale: 0, rowScales: Tensor(scales.map(Float.init)), chunkRows: chunk)
            assertClose(gradient, reference.gradient, rtol: 1e-5, atol: 1e-6, "gradient, chunk \(chunk)")
        }
    }

    @Test func crossEntropyIsBitwiseIndependentOfChunksAndThreads() {
        let logits = Self.random([37, 513], seed: 3, scale: 4)
        let targets = (0..<37).map { $0 % 5 == 0 ? 7 : ($0 * 31) % 513 }
        func run(_ chunk: Int) -> (Tensor, Tensor) {
            let rows = Tensor.crossEntropyRows(logits: logits, targets: targets, ignoreIndex: 7, labelSmoothing: 0.1, chunkRows: chunk)
            let grad = Tensor.crossEntropyGradient(logits: logits, targets: targets, ignoreIndex: 7, labelSmoothing: 0.1,
                                                   logSumExp: rows.logSumExp, scale: 0.5, chunkRows: chunk)
            return (rows.losses, grad)
        }
        let (l1, g1) = withThreadCount(1) { run(256) }
        let (l2, g2) = withThreadCount(2) { run(2) }
        #expect(l1 == l2)
        #expect(g1 == g2)
    }

    @Test func crossEntropyTargetOutOfRangeStops() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.crossEntropyRows(logits: Tensor.zeros([2, 3]), targets: [0, 3], ignoreIndex: -100, labelSmoothing: 0)
        }
    }

    // MARK: Normalisation

    @Test(arguments: [[3, 7], [2, 3, 5], [33, 1], [4, 1100], [1, 8], [600, 40]])
    func normalizationMatchesReference(shape: [Int]) {
        let d = shape.last!
        let x = Self.random(shape, seed: 21, scale: 2) + 0.5
        let w = Self.random([d], seed: 22), b = Self.random([d], seed: 23)
        let dy = Self.random(shape, seed: 24)
        for centered in [false, true] {
            for (weight, bias) in [(w, b), (w, nil), (nil, nil)] as [(Tensor?, Tensor?)] {
                let what = "\(describeShape(shape)) centered \(centered) weight \(weight != nil) bias \(bias != nil)"
                let eps: Float = centered ? 1e-5 : 1e-6
                let forward = Tensor.normalizeRows(x, weight: weight, bias: bias, epsilon: eps, centered: centered, savingStatistics: true)
                let ref = R.normalize(x, weight: weight, bias: bias, epsilon: Double(eps), centered: centered, outputGradient: dy)
                assertClose(forward.output, ref.output, rtol: 1e-5, atol: 1e-5, "output \(what)")
                #expect((forward.mean != nil) == centered)
                let back = Tensor.normalizeRowsBackward(
                    dy, x: x, weight: weight, mean: forward.mean, reciprocalStandardDeviation: forward.reciprocalStandardDeviation!,
                    weightGradient: true, biasGradient: true)
                assertClose(back.input, ref.input, rtol: 1e-4, atol: 1e-4, "dx \(what)")
                assertClose(back.weight!, ref.weight, rtol: 1e-4, atol: 1e-4, "dw \(what)")
                assertClose(back.bias!, ref.bias, rtol: 1e-4, atol: 1e-4, "db \(what)")
            }
        }
    }

    @Test func normalizationWeightGradientIsIndependentOfThreads() {
        let x = Self.random([300, 64], seed: 31), dy = Self.random([300, 64], seed: 32), w = Self.random([64], seed: 33)
        func run() -> [Tensor] {
            let f = Tensor.normalizeRows(x, weight: w, bias: nil, epsilon: 1e-5, centered: true, savingStatistics: true)
            let b = Tensor.normalizeRowsBackward(dy, x: x, weight: w, mean: f.mean, reciprocalStandardDeviation: f.reciprocalStandardDeviation!,
                                                 weightGradient: true, biasGradient: true)
            return [f.output, b.input, b.weight!, b.bias!]
        }
        #expect(withThreadCount(1, run) == withThreadCount(2, run))
    }

    @Test func normalizationWeightShapeMismatchStops() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.normalizeRows(Tensor.zeros([2, 3]), weight: Tensor.ones([4]), bias: nil, epsilon: 1e-5,
                                     centered: false, savingStatistics: false)
        }
    }

    // MARK: Attention

    struct AttentionCase: Sendable, CustomTestStringConvertible {
        var b = 2, hq = 4, hkv = 2, t = 5, s = 5, dh = 3, dv = 3
        var causal = true, padded = false
        var testDescription: String { "B\(b) Hq\(hq) Hkv\(hkv) T\(t) S\(s) Dh\(dh) Dv\(dv) causal \(causal) padded \(padded)" }
    }

    static let attentionCases: [AttentionCase] = [
        AttentionCase(),
        AttentionCase(b: 1, hq: 1, hkv: 1, t: 3, s: 7, dh: 4, dv: 4),
        AttentionCase(b: 2, hq: 6, hkv: 2, t: 4, s: 4, dh: 3, dv: 5, causal: false, padded: true),
        AttentionCase(b: 2, hq: 6, hkv: 2, t: 3, s: 7, dh: 8, dv: 8, causal: true, padded: true),
        AttentionCase(b: 3, hq: 2, hkv: 1, t: 33, s: 40, dh: 16, dv: 16),
        AttentionCase(b: 1, hq: 3, hkv: 3, t: 1, s: 9, dh: 5, dv: 5, causal: true, padded: true),
    ]

    /// `[B, S]` mask: batch 0 keeps everything, the others drop their first `b + 1` keys
    /// (left padding) and key 2 of batch 1.
    static func paddingMask(b: Int, s: Int) -> Tensor {
        var m = Tensor.ones([b, s])
        for bb in 1..<max(b, 1) {
            for j in 0..<min(s, bb + 1) { m[bb, j] = 0 }
            if bb == 1 && s > 2 { m[bb, 2] = 0 }
        }
        return m
    }

    @Test(arguments: attentionCases)
    func attentionMatchesReference(c: AttentionCase) {
        let q = Self.random([c.b, c.hq, c.t, c.dh], seed: 41), k = Self.random([c.b, c.hkv, c.s, c.dh], seed: 42)
        let v = Self.random([c.b, c.hkv, c.s, c.dv], seed: 43), dO = Self.random([c.b, c.hq, c.t, c.dv], seed: 44)
        let mask = c.padded ? Self.paddingMask(b: c.b, s: c.s) : nil
        let scale = 1 / Float(c.dh).squareRoot()
        let ref = R.attention(query: q, key: k, value: v, paddingMask: mask, causal: c.causal, scale: Double(scale), outputGradient: dO)
        let (out, lse) = Tensor.attention(query: q, key: k, value: v, paddingMask: mask, causal: c.causal, scale: scale, savingLogSumExp: true)
        assertClose(out, ref.output, rtol: 1e-5, atol: 1e-5, "output")
        let grads = Tensor.attentionBackward(outputGradient: dO, query: q, key: k, value: v, logSumExp: lse!,
                                             paddingMask: mask, causal: c.causal, scale: scale)
        assertClose(grads.query, ref.query, rtol: 1e-4, atol: 1e-5, "dQ")
        assertClose(grads.key, ref.key, rtol: 1e-4, atol: 1e-5, "dK")
        assertClose(grads.value, ref.value, rtol: 1e-4, atol: 1e-5, "dV")
    }

    @Test func fullyMaskedRowsGiveZeros() {
        // Batch 1 pads its first two keys; with causal T = S its first two queries see nothing.
        var mask = Tensor.ones([2, 4])
        mask[1, 0] = 0; mask[1, 1] = 0
        let q = Self.random([2, 1, 4, 3], seed: 51), k = Self.random([2, 1, 4, 3], seed: 52), v = Self.random([2, 1, 4, 3], seed: 53)
        let (out, lse) = Tensor.attention(query: q, key: k, value: v, paddingMask: mask, causal: true, scale: 0.5, savingLogSumExp: true)
        #expect(!out.scalars.contains { $0.isNaN })
        #expect(Array(out.scalars[12..<18]) == [0, 0, 0, 0, 0, 0])
        #expect(lse![1, 0, 0] == -.infinity)
        let g = Tensor.attentionBackward(outputGradient: Tensor.ones(out.shape), query: q, key: k, value: v, logSumExp: lse!,
                                         paddingMask: mask, causal: true, scale: 0.5)
        #expect(Array(g.query.scalars[12..<18]) == [0, 0, 0, 0, 0, 0])
        #expect(![g.query, g.key, g.value].contains { $0.scalars.contains { $0.isNaN } })
    }

    @Test func attentionHeadCountMismatchStops() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.attention(query: Tensor.zeros([1, 3, 2, 4]), key: Tensor.zeros([1, 2, 2, 4]), value: Tensor.zeros([1, 2, 2, 4]),
                                 paddingMask: nil, causal: false, scale: 1, savingLogSumExp: false)
        }
    }

    // MARK: Rotary embedding

    @Test(arguments: [false, true])
    func rotaryMatchesReference(interleaved: Bool) {
        let x = Self.random([2, 3, 5, 8], seed: 61)
        for (rotated, positions) in [(8, [0, 1, 2, 3, 4]), (8, [7, 8, 9, 10, 11, 3, 4, 5, 6, 7]), (4, [2, 3, 4, 5, 6])] {
            let (c, s) = Tensor.rotaryTables(inverseFrequencies: Tensor.rotaryInverseFrequencies(rotatedFeatures: rotated, base: 10_000),
                                             positions: 16)
            for inverse in [false, true] {
                let y = Tensor.rotaryEmbedding(x, cos: c, sin: s, positions: positions, interleaved: interleaved, inverse: inverse)
                let ref = R.rotary(x, positions: positions, rotatedFeatures: rotated, base: 10_000, interleaved: interleaved, inverse: inverse)
                assertClose(y, ref, rtol: 1e-5, atol: 1e-6, "R \(rotated) positions \(positions) inverse \(inverse)")
            }
            let back = Tensor.rotaryEmbedding(
                Tensor.rotaryEmbedding(x, cos: c, sin: s, positions: positions, interleaved: interleaved, inverse: false),
                cos: c, sin: s, positions: positions, interleaved: interleaved, inverse: true)
            assertClose(back, x, rtol: 1e-5, atol: 1e-6, "inverse undoes the rotation")
        }
    }

    @Test func rotaryPositionOutsideTableStops() async {
        await #expect(processExitsWith: .failure) {
            let (c, s) = Tensor.rotaryTables(inverseFrequencies: [1, 0.1], positions: 4)
            _ = Tensor.rotaryEmbedding(Tensor.zeros([1, 1, 2, 4]), cos: c, sin: s, positions: [3, 4], interleaved: false, inverse: false)
        }
    }

    // MARK: SwiGLU

    @Test(arguments: [[1], [7], [33, 3], [3, 100_003]])
    func swigluMatchesReference(shape: [Int]) {
        let g = Self.random(shape, seed: 71, scale: 4), u = Self.random(shape, seed: 72), dy = Self.random(shape, seed: 73)
        let ref = R.swiglu(gate: g, up: u, outputGradient: dy)
        assertClose(Tensor.swiglu(gate: g, up: u), ref.output, rtol: 1e-5, atol: 1e-6)
        let (dg, du) = Tensor.swigluBackward(dy, gate: g, up: u)
        assertClose(dg, ref.gate, rtol: 1e-5, atol: 1e-6)
        assertClose(du, ref.up, rtol: 1e-5, atol: 1e-6)
    }
}
