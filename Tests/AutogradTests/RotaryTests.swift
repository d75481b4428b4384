import Foundation
import Testing
import Tensor
import _TestSupport
import Autograd

@Suite("Rotary position embedding")
struct RotaryTests {
    @Test func goldenValuesFromTorch() {
        // Scripts/reference_autograd_ops.py: HF apply_rotary_pos_emb (rotate_half) and the GPT-J
        // pairing, cos/sin in float64; x = wave([1, 2, 4, 6], 0.3, 0), positions [3, 4, 5, 6].
        let halfSplitOutput: [Float] = [
            -0.1105431, 0.16329454, 0.5581836, -0.7754878, 0.9640352, 1.0011235,
            -0.31310713, 0.8223237, 0.6767975, -1.0163645, 0.29804206, -0.15191893,
            -1.0629036, -0.44020772, -0.86155236, 0.14705527, -1.127645, -0.93514955,
            -0.73728746, -0.6151133, -0.2868692, 0.23206659, 0.14814916, 0.5747796,
            -0.9225961, 0.8103041, 0.99423754, -0.84818125, 0.9765196, 0.6694092,
            -0.6156429, 0.2515115, -0.1667394, -0.012826887, -0.6648725, -0.8811654,
            -1.008939, -0.84447616, -0.91643965, 0.7244976, -0.7509363, -0.27311948,
            0.25687367, 0.05542623, 0.5791067, 0.7623751, 0.997361, 1.0068792,
        ]
        let interleavedOutput: [Float] = [
            -0.041703817, -0.29256278, 0.45045286, 0.8541162, 0.9255726, 1.0034982,
            0.016729712, -1.3012416, 0.5849609, 0.5447246, 0.14247416, -0.1565237,
            -0.7850419, 0.22925034, -0.6233754, -1.1517867, -0.986134, -0.9364916,
            -0.8958556, -0.3128295, -0.27327195, -0.06064784, 0.30403826, 0.5824185,
            -0.91809577, -0.8166105, 0.85425925, 1.0990978, 0.8502961, 0.6684789,
            -0.17519121, -0.39324114, -0.08687025, -0.48185316, -0.69226784, -0.8856944,
            -1.2319552, 0.6585266, -0.719424, -0.9530021, -0.5337063, -0.26899645,
            0.12378529, 0.30503643, 0.34829322, 0.93558127, 0.9306995, 1.0114243,
        ]
        let x = Variable(goldenWave([1, 2, 4, 6], 0.3, 0))
        let table = RotaryTable(rotatedFeatures: 6, maxPositions: 16)
        let half = rotaryEmbedding(x, positions: [3, 4, 5, 6], table: table)  // default layout .halfSplit
        assertClose(half.value, Tensor(shape: [1, 2, 4, 6], scalars: halfSplitOutput), rtol: 1e-5, atol: 1e-6)
        let inter = rotaryEmbedding(x, positions: [3, 4, 5, 6], table: table, layout: .interleaved)
        assertClose(inter.value, Tensor(shape: [1, 2, 4, 6], scalars: interleavedOutput), rtol: 1e-5, atol: 1e-6)
        // The one-off form (default base 10 000) builds the same table.
        #expect(rotaryEmbedding(x, positions: [3, 4, 5, 6]).value == half.value)
    }

    @Test(arguments: RotaryLayout.allCases)
    func gradientCheck(layout: RotaryLayout) {
        let x = fusedInput([2, 3, 4, 6], seed: 1)
        let table = RotaryTable(rotatedFeatures: 6, maxPositions: 20, base: 100)
        gradcheck([x], "\(layout) shared positions with an offset") { v in
            rotaryEmbedding(v[0], positions: [5, 6, 7, 8], table: table, layout: layout)
        }
        gradcheck([x], "\(layout) per-batch positions") { v in
            rotaryEmbedding(v[0], positions: [0, 1, 2, 3, 9, 10, 11, 19], table: table, layout: layout)
        }
        let partial = RotaryTable(rotatedFeatures: 4, maxPositions: 20)
        gradcheck([x], "\(layout) partial rotary") { v in
            rotaryEmbedding(v[0], positions: [1, 2, 3, 4], table: partial, layout: layout)
        }
    }

    @Test func scoresDependOnlyOnRelativePosition() {
        // ⟨R(m)q, R(n)k⟩ = ⟨R(m + s)q, R(n + s)k⟩: the point of RoPE.
        let q = fusedInput([1, 1, 1, 8], seed: 2), k = fusedInput([1, 1, 1, 8], seed: 3)
        let table = RotaryTable(rotatedFeatures: 8, maxPositions: 64)
        func score(_ m: Int, _ n: Int, _ layout: RotaryLayout) -> Float {
            let a = rotaryEmbedding(Variable(q), positions: [m], table: table, layout: layout).value
            let b = rotaryEmbedding(Variable(k), positions: [n], table: table, layout: layout).value
            return (a * b).sum().scalar
        }
        for layout in RotaryLayout.allCases {
            #expect(abs(score(3, 1, layout) - score(40, 38, layout)) < 1e-5)
            #expect(abs(score(0, 0, layout) - (q * k).sum().scalar) < 1e-5)
        }
    }

    @Test func customInverseFrequenciesAndPassThrough() {
        let standard = RotaryTable(rotatedFeatures: 4, maxPositions: 8, base: 500)
        let custom = RotaryTable(inverseFrequencies: [1, pow(500, -0.5)], maxPositions: 8)
        #expect(standard.cos == custom.cos && standard.sin == custom.sin)
        #expect(standard.rotatedFeatures == 4 && standard.maxPositions == 8)
        let x = fusedInput([1, 1, 3, 6], seed: 4)
        let y = rotaryEmbedding(Variable(x), positions: [1, 2, 3], table: standard).value
        for t in 0..<3 { for i in 4..<6 { #expect(y[0, 0, t, i] == x[0, 0, t, i]) } }
    }

    @Test func positionBeyondTheTableStops() async {
        await #expect(processExitsWith: .failure) {
            _ = rotaryEmbedding(Variable(Tensor.zeros([1, 1, 2, 4])), positions: [7, 8], table: RotaryTable(rotatedFeatures: 4, maxPositions: 8))
        }
    }
}
