import Testing
import Tensor
import _TestSupport
import Autograd

/// `scaledDotProductAttention` on token-major rows and on a fused q|k|v projection, and
/// `rotaryEmbedding(_:heads:…)`: finite-difference gradients, and equality with the head-major
/// functions after the transposes they replace.
@Suite("Token-major attention and rotary embedding")
struct AttentionTokenMajorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var b: Int, hq: Int, hkv: Int, t: Int, s: Int, dh: Int
        var causal = true, padded = false, segmented = false
        var testDescription: String {
            "B\(b) Hq\(hq) Hkv\(hkv) T\(t) S\(s) Dh\(dh)\(causal ? " causal" : "")\(padded ? " padded" : "")\(segmented ? " segments" : "")"
        }
    }

    static let cases: [Case] = [
        Case(b: 1, hq: 3, hkv: 1, t: 7, s: 7, dh: 3),
        Case(b: 2, hq: 2, hkv: 1, t: 3, s: 5, dh: 3, padded: true),
        Case(b: 2, hq: 4, hkv: 2, t: 6, s: 6, dh: 2, causal: false, segmented: true),
        Case(b: 1, hq: 2, hkv: 2, t: 1, s: 4, dh: 3),
    ]

    /// `[B, S]`: sequence 1 pads its first key and key 2.
    static func mask(_ c: Case) -> Tensor? {
        guard c.padded else { return nil }
        var m = Tensor.ones([c.b, c.s])
        m[1, 0] = 0; m[1, 2] = 0
        return m
    }

    /// Documents of 2 and `S − 2` tokens in every sequence.
    static func segments(_ c: Case) -> [Int32]? {
        c.segmented ? (0..<(c.b * c.s)).map { Int32($0 % c.s < 2 ? 0 : 1) } : nil
    }

    /// `[B, L, H·D]` → `[B, H, L, D]` and back, as the models did before.
    static func heads(_ x: Variable, _ h: Int) -> Variable {
        x.reshaped([x.shape[0], x.shape[1], h, x.shape[2] / h]).transposed(1, 2)
    }
    static func rows(_ x: Variable) -> Variable {
        x.transposed(1, 2).reshaped([x.shape[0], x.shape[2], x.shape[1] * x.shape[3]])
    }

    @Test(arguments: cases)
    func gradientCheck(c: Case) {
        let q = fusedInput([c.b, c.t, c.hq * c.dh], seed: 41), k = fusedInput([c.b, c.s, c.hkv * c.dh], seed: 42)
        let v = fusedInput([c.b, c.s, c.hkv * c.dh], seed: 43)
        let (mask, segments) = (Self.mask(c), Self.segments(c))
        gradcheck([q, k, v], c.testDescription) { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], queryHeads: c.hq, keyValueHeads: c.hkv,
                                      causal: c.causal, paddingMask: mask, segmentIDs: segments)
        }
    }

    @Test(arguments: cases)
    func equalsHeadMajorWithTransposes(c: Case) {
        let inputs = [fusedInput([c.b, c.t, c.hq * c.dh], seed: 44), fusedInput([c.b, c.s, c.hkv * c.dh], seed: 45),
                      fusedInput([c.b, c.s, c.hkv * c.dh], seed: 46)]
        let upstream = fusedInput([c.b, c.t, c.hq * c.dh], seed: 47)
        let (mask, segments) = (Self.mask(c), Self.segments(c))
        let direct = vectorJacobianProduct(at: inputs, seed: upstream) { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], queryHeads: c.hq, keyValueHeads: c.hkv,
                                      causal: c.causal, paddingMask: mask, segmentIDs: segments)
        }
        let transposed = vectorJacobianProduct(at: inputs, seed: upstream) { x in
            Self.rows(scaledDotProductAttention(query: Self.heads(x[0], c.hq), key: Self.heads(x[1], c.hkv),
                                                value: Self.heads(x[2], c.hkv), causal: c.causal, paddingMask: mask,
                                                segmentIDs: segments))
        }
        assertClose(direct.value, transposed.value, rtol: 1e-6, atol: 1e-6, "output")
        for i in 0..<3 { assertClose(direct.gradients[i], transposed.gradients[i], rtol: 1e-5, atol: 1e-6, "gradient \(i)") }
    }

    @Test(arguments: [true, false])
    func fusedGradientCheckAndSplitEquality(causal: Bool) {
        let (b, t, h, dh) = (2, 5, 2, 3)
        let x = fusedInput([b, t, 3 * h * dh], seed: 48)
        let mask = Tensor(shape: [b, t], scalars: [1, 1, 1, 1, 1, 0, 1, 1, 0, 1])
        gradcheck([x], "fused, causal \(causal)") { v in
            scaledDotProductAttention(fusedQKV: v[0], heads: h, causal: causal, paddingMask: mask)
        }
        let upstream = fusedInput([b, t, h * dh], seed: 49)
        let fused = vectorJacobianProduct(at: [x], seed: upstream) { v in
            scaledDotProductAttention(fusedQKV: v[0], heads: h, causal: causal, paddingMask: mask)
        }
        let split = vectorJacobianProduct(at: [x], seed: upstream) { v in
            let parts = v[0].split(alongAxis: 2, sizes: [h * dh, h * dh, h * dh])
            return scaledDotProductAttention(query: parts[0], key: parts[1], value: parts[2], queryHeads: h, causal: causal,
                                             paddingMask: mask)
        }
        #expect(fused.value == split.value)
        assertClose(fused.gradients[0], split.gradients[0], rtol: 1e-6, atol: 1e-7, "dQ | dK | dV")
    }

    @Test func defaultScaleIsOneOverSquareRootOfHeadSize() {
        let x = Variable(fusedInput([1, 3, 3 * 2 * 5], seed: 50))
        let a = scaledDotProductAttention(fusedQKV: x, heads: 2, causal: true)
        let b = scaledDotProductAttention(fusedQKV: x, heads: 2, causal: true, scale: 1 / Float(5).squareRoot())
        #expect(a.value == b.value)
        #expect(a.shape == [1, 3, 10])
    }

    @Test func rotaryOnTokenMajorRows() {
        let table = RotaryTable(rotatedFeatures: 4, maxPositions: 12)
        let x = fusedInput([2, 3, 2 * 6], seed: 51)
        let positions = [5, 0, 7, 1, 2, 3]
        gradcheck([x], "rotary, token-major") { v in rotaryEmbedding(v[0], heads: 2, positions: positions, table: table) }
        let direct = rotaryEmbedding(Variable(x), heads: 2, positions: positions, table: table, layout: .interleaved).value
        let viaHeads = Self.rows(rotaryEmbedding(Self.heads(Variable(x), 2), positions: positions, table: table,
                                                 layout: .interleaved)).value
        #expect(direct == viaHeads)
    }
}
