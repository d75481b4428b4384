import Foundation
import Testing
import Tensor
import _TestSupport
import Autograd

@Suite("Scaled dot-product attention")
struct AttentionTests {
    @Test func goldenValuesFromTorch() {
        // Scripts/reference_autograd_ops.py: F.scaled_dot_product_attention(enable_gqa=True), float64,
        // with an explicit mask: causal aligned bottom-right (offset S − T = 2) and padding
        // [[1,1,1,1,1],[0,1,1,0,1]].
        let gqaCausalPaddedOutput: [Float] = [
            1.8490673, 1.8289372, 1.756078, 1.660178, 1.5187737, 1.3335824,
            1.4264641, 1.2610716, 1.0593218, 1.7913141, 1.8280358, 1.8120544,
            1.6587862, 1.7211906, 1.7339722, 1.4568915, 1.4603143, 1.4216354,
            -1.412911, -1.5906723, -1.7225736, -1.2932229, -1.4494212, -1.5638319,
            -1.2405304, -1.2950507, -1.312234, -1.1474944, -1.373837, -1.5605713,
            -1.5612986, -1.6619915, -1.7147684, -1.6606113, -1.699453, -1.6892986,
            0.871986, 1.1517599, 1.3983278, 0.88546735, 1.1638541, 1.4086865,
            1.0234567, 1.2594781, 1.4591881, 0.9216172, 1.1962848, 1.4364629,
            0.9152067, 1.1905338, 1.4315373, 1.5166103, 1.5800403, 1.597917,
            0.27292192, -0.05532899, -0.38198474, 0.2393379, -0.08905513, -0.41488066,
            -0.779783, -1.0027901, -1.1968863, 0.15091103, -0.17785624, -0.50149584,
            0.16721712, -0.16148116, -0.48552385, -0.5288347, -0.7767354, -1.0022424,
        ]
        let q = goldenWave([2, 4, 3, 3], 0.31, 0.2), k = goldenWave([2, 2, 5, 3], 0.23, -0.4)
        let v = goldenWave([2, 2, 5, 3], 0.17, 0.9, scale: 2)
        let mask = Tensor(shape: [2, 5], scalars: [1, 1, 1, 1, 1, 0, 1, 1, 0, 1])
        let out = scaledDotProductAttention(query: Variable(q), key: Variable(k), value: Variable(v), causal: true, paddingMask: mask)
        assertClose(out.value, Tensor(shape: [2, 4, 3, 3], scalars: gqaCausalPaddedOutput), rtol: 1e-5, atol: 1e-6)

        // is_causal=True with T == S (both alignments agree), 6 query heads on 2 kv heads.
        let gqaCausalSquareOutput: [Float] = [
            -1.3368111, -1.2373285, -1.1169647, -0.97775066, -0.8220359, -1.2562605,
            -1.1472305, -1.0188397, -0.8732547, -0.71293247, -0.48191005, -0.31201637,
            -0.13685702, 0.04061195, 0.21739554, -0.0602305, 0.1196777, 0.29756618,
            0.47043288, 0.6353605, -1.3368111, -1.2373285, -1.1169647, -0.97775066,
            -0.8220359, -1.283717, -1.1779414, -1.0522867, -0.9088733, -0.7501216,
            -0.7429353, -0.5926187, -0.43230096, -0.26468757, -0.09260729, -0.14256123,
            0.03659652, 0.21513665, 0.3900461, 0.55837303, -1.3368111, -1.2373285,
            -1.1169647, -0.97775066, -0.8220359, -1.2783122, -1.171896, -1.0457026,
            -0.9018617, -0.74280083, -1.021164, -0.89459276, -0.7529243, -0.59854937,
            -0.43407315, -0.2274989, -0.052678388, 0.123031124, 0.29666436, 0.465291,
            1.4962425, 1.4973719, 1.4732314, 1.4242284, 1.3511897, 1.361876,
            1.2970998, 1.2104337, 1.1033399, 0.9776259, 0.69113207, 0.5355212,
            0.3708728, 0.19996543, 0.02568342, 0.70031863, 0.5966009, 0.48281485,
            0.3608807, 0.23285624, 1.4962425, 1.4973719, 1.4732314, 1.4242284,
            1.3511897, 1.3359779, 1.2584988, 1.1597812, 1.0414908, 0.90562403,
            0.63441205, 0.46857435, 0.2948289, 0.11610788, -0.06457261, 0.59796196,
            0.47993237, 0.35380334, 0.22170347, 0.08586206, 1.4962425, 1.4973719,
            1.4732314, 1.4242284, 1.3511897, 1.3208729, 1.235985, 1.1302385,
            1.0054178, 0.8636294, 0.6506002, 0.4860506, 0.31329834, 0.13525878,
            -0.04506344, 0.5344093, 0.3935461, 0.24604136, 0.09438439, -0.058865465,
        ]
        let q2 = goldenWave([1, 6, 4, 5], 0.29, 0), k2 = goldenWave([1, 2, 4, 5], 0.41, 0.7)
        let v2 = goldenWave([1, 2, 4, 5], 0.13, -1.1, scale: 1.5)
        let out2 = scaledDotProductAttention(query: Variable(q2), key: Variable(k2), value: Variable(v2), causal: true)
        assertClose(out2.value, Tensor(shape: [1, 6, 4, 5], scalars: gqaCausalSquareOutput), rtol: 1e-5, atol: 1e-6)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var b: Int, hq: Int, hkv: Int, t: Int, s: Int, dh: Int
        var causal: Bool, padded: Bool
        var testDescription: String { "B\(b) Hq\(hq) Hkv\(hkv) T\(t) S\(s) Dh\(dh)\(causal ? " causal" : "")\(padded ? " padded" : "")" }
    }

    @Test(arguments: [
        Case(b: 1, hq: 2, hkv: 2, t: 5, s: 5, dh: 3, causal: true, padded: false),
        Case(b: 1, hq: 1, hkv: 1, t: 3, s: 7, dh: 3, causal: true, padded: false),
        Case(b: 1, hq: 4, hkv: 2, t: 4, s: 4, dh: 3, causal: true, padded: false),
        Case(b: 1, hq: 6, hkv: 2, t: 3, s: 3, dh: 3, causal: false, padded: false),
        Case(b: 2, hq: 2, hkv: 1, t: 3, s: 4, dh: 3, causal: true, padded: true),
    ])
    func gradientCheck(c: Case) {
        let q = fusedInput([c.b, c.hq, c.t, c.dh], seed: 1), k = fusedInput([c.b, c.hkv, c.s, c.dh], seed: 2)
        let v = fusedInput([c.b, c.hkv, c.s, c.dh], seed: 3)
        // Sequence 1 pads its first key and key 2 (left padding plus a hole); sequence 0 is whole.
        var mask: Tensor? = nil
        if c.padded {
            var m = Tensor.ones([c.b, c.s])
            m[1, 0] = 0; m[1, 2] = 0
            mask = m
        }
        gradcheck([q, k, v], c.testDescription) { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], causal: c.causal, paddingMask: mask)
        }
    }

    @Test func defaultScaleIsOneOverSquareRootOfHeadSize() {
        let q = fusedInput([1, 2, 3, 5], seed: 4), k = fusedInput([1, 1, 3, 5], seed: 5), v = fusedInput([1, 1, 3, 2], seed: 6)
        let a = scaledDotProductAttention(query: Variable(q), key: Variable(k), value: Variable(v), causal: false)
        let b = scaledDotProductAttention(query: Variable(q), key: Variable(k), value: Variable(v), causal: false,
                                          scale: 1 / Float(5).squareRoot())
        #expect(a.value == b.value)
        #expect(a.shape == [1, 2, 3, 2])
    }

    @Test func groupedHeadsEqualRepeatedKeyValueHeads() {
        // GQA with Hq/Hkv = 3 equals plain multi-head attention on K, V repeated per query head.
        let q = fusedInput([2, 6, 4, 3], seed: 7), k = fusedInput([2, 2, 4, 3], seed: 8), v = fusedInput([2, 2, 4, 3], seed: 9)
        func repeated(_ x: Tensor) -> Tensor {
            Tensor.concatenate((0..<2).flatMap { h in Array(repeating: x.slice(alongAxis: 1, h..<(h + 1)), count: 3) }, alongAxis: 1)
        }
        let grouped = scaledDotProductAttention(query: Variable(q), key: Variable(k), value: Variable(v), causal: true)
        let full = scaledDotProductAttention(query: Variable(q), key: Variable(repeated(k)), value: Variable(repeated(v)), causal: true)
        assertClose(grouped.value, full.value, rtol: 1e-6, atol: 1e-6)
    }

    @Test func fullyMaskedQueryRowIsZeroNotNaN() {
        let q = fusedInput([1, 1, 3, 2], seed: 10), k = fusedInput([1, 1, 3, 2], seed: 11), v = fusedInput([1, 1, 3, 2], seed: 12)
        let mask = Tensor(shape: [1, 3], scalars: [0, 1, 1])  // query 0 under the causal mask sees only key 0, a pad
        let (out, grads) = valueAndGradient(at: [q, k, v]) { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], causal: true, paddingMask: mask).sum()
        }
        #expect(!out.scalar.isNaN)
        #expect(grads.allSatisfy { !$0.scalars.contains { $0.isNaN } })
        let y = scaledDotProductAttention(query: Variable(q), key: Variable(k), value: Variable(v), causal: true, paddingMask: mask)
        #expect(Array(y.value.scalars[0..<2]) == [0, 0])
    }

    @Test func headMismatchStops() async {
        await #expect(processExitsWith: .failure) {
            _ = scaledDotProductAttention(query: Variable(Tensor.zeros([1, 4, 2, 3])), key: Variable(Tensor.zeros([1, 3, 2, 3])),
                                          value: Variable(Tensor.zeros([1, 3, 2, 3])), causal: false)
        }
        await #expect(processExitsWith: .failure) {
            _ = scaledDotProductAttention(query: Variable(Tensor.zeros([1, 2, 2, 3])), key: Variable(Tensor.zeros([1, 1, 2, 3])),
                                          value: Variable(Tensor.zeros([1, 1, 2, 3])), causal: false, paddingMask: Tensor.ones([1, 3]))
        }
    }
}
