import Foundation
import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// The deterministic inputs of `Scripts/reference_autograd_ops.py`:
/// `element i = Float(scale·sin(a·i + b))` (flat row-major index, sine in Double).
func goldenWave(_ shape: [Int], _ a: Double, _ b: Double, scale: Double = 1) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { Float(scale * sin(a * Double($0) + b)) })
}

/// Seeded normal inputs for the gradient checks of the fused-op tests.
func fusedInput(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape, standardDeviation: scale, using: &g)
}

@Suite("Cross-entropy")
struct CrossEntropyTests {
    static let logits = goldenWave([6, 7], 0.7, 0.3, scale: 3)
    static let targets = [3, -100, 0, 6, 2, -100]

    @Test func goldenValuesFromTorch() {
        // Scripts/reference_autograd_ops.py (torch 2.13, F.cross_entropy in float64).
        let meanLoss: Float = 2.6003296, smoothedMeanLoss: Float = 2.6911292, sumLoss: Float = 10.401319
        let rowLosses: [Float] = [1.8936069, 0.0, 5.293041, 1.5931062, 1.9847629, 0.0]
        let smoothedMeanGradient: [Float] = [
            0.010397312, 0.0682853, 0.109187916, -0.18490188, 0.002949413, -0.002653203,
            -0.0032648647, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, -0.2274995, -0.0032028654, -0.0030656678, -0.0011845715,
            0.015101758, 0.088461906, 0.13138895, 0.14947003, 0.018709587, -0.00036382079,
            -0.0024352728, -0.001958198, 0.0042151655, -0.1676375, 0.07946627, 0.11412192,
            -0.18694937, 0.0024168775, -0.0026990436, -0.0032530087, -0.0031036492, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ]
        let x = Variable(Self.logits)
        assertClose([crossEntropy(logits: x, targets: Self.targets).value.scalar], [meanLoss])
        assertClose([crossEntropy(logits: x, targets: Self.targets, labelSmoothing: 0.1).value.scalar], [smoothedMeanLoss])
        assertClose([crossEntropy(logits: x, targets: Self.targets, reduction: .sum).value.scalar], [sumLoss])
        let rows = crossEntropy(logits: x, targets: Self.targets, labelSmoothing: 0.1, reduction: .none)
        #expect(rows.shape == [6])
        assertClose(rows.value.scalars, rowLosses)
        let (_, grads) = valueAndGradient(at: [Self.logits]) { v in
            crossEntropy(logits: v[0], targets: Self.targets, labelSmoothing: 0.1)
        }
        assertClose(grads[0], Tensor(shape: [6, 7], scalars: smoothedMeanGradient), rtol: 1e-5, atol: 1e-7)
        // torch: the mean over zero targets is nan.
        let allIgnored = crossEntropy(logits: x, targets: [Int](repeating: -100, count: 6))
        #expect(allIgnored.value.scalar.isNaN)
        #expect(allIgnored.shape == [])
    }

    @Test func defaultsAreTorchs() {
        let x = Variable(Self.logits)
        let explicit = crossEntropy(logits: x, targets: Self.targets, ignoreIndex: -100, labelSmoothing: 0, reduction: .mean)
        #expect(crossEntropy(logits: x, targets: Self.targets).value == explicit.value)
        #expect(crossEntropy(logits: x, targets: Self.targets.map(Int32.init)).value == explicit.value)
    }

    @Test(arguments: [7, 33])
    func gradientCheckAcrossChunkBoundaries(v: Int) {
        let logits = fusedInput([2, 5, v], seed: UInt64(v), scale: 2)
        let targets = [1, -100, 0, v - 1, 3, 5, -100, 2, 4, 6]
        for reduction in LossReduction.allCases {
            for smoothing: Float in [0, 0.1] {
                // A scalar sum of ~10 rows is ~30: Float32 resolves its differences only with a larger step.
                gradcheck([logits], step: 1e-2, "V \(v) \(reduction) ε \(smoothing)") { x in
                    crossEntropy(logits: x[0], targets: targets, ignoreIndex: -100, labelSmoothing: smoothing,
                                 reduction: reduction, chunkRows: 3)
                }
            }
        }
        // A custom ignore index, and chunk size not changing a single bit.
        let a = crossEntropy(logits: Variable(logits), targets: targets.map { $0 == -100 ? 2 : $0 }, ignoreIndex: 2,
                             labelSmoothing: 0.1, reduction: .none, chunkRows: 1)
        let b = crossEntropy(logits: Variable(logits), targets: targets.map { $0 == -100 ? 2 : $0 }, ignoreIndex: 2,
                             labelSmoothing: 0.1, reduction: .none, chunkRows: 512)
        #expect(a.value == b.value)
        #expect(a.shape == [2, 5])
    }

    @Test func sumOverMicroBatchesDividedByTotalCountEqualsTheMean() {
        let logits = fusedInput([8, 11], seed: 3, scale: 2)
        let targets: [Int32] = [1, -100, 4, 10, -100, -100, 0, 7]
        let whole = crossEntropy(logits: Variable(logits), targets: targets).value.scalar
        let first = logits.slice(alongAxis: 0, 0..<3), second = logits.slice(alongAxis: 0, 3..<8)
        let total = targetCount(Array(targets[0..<3])) + targetCount(Array(targets[3..<8]))
        #expect(total == 5 && targetCount(targets) == 5 && targetCount([1, 2, 9], ignoreIndex: 9) == 2)
        let summed = crossEntropy(logits: Variable(first), targets: Array(targets[0..<3]), reduction: .sum).value.scalar
            + crossEntropy(logits: Variable(second), targets: Array(targets[3..<8]), reduction: .sum).value.scalar
        #expect(abs(summed / Float(total) - whole) <= 1e-5 * abs(whole))
    }

    @Test func bigVocabularyGradientMatchesExplicitSoftmax() {
        // The chunked backward against softmax − one-hot, built from Tensor ops.
        let logits = fusedInput([20, 1000], seed: 4, scale: 3)
        let targets = (0..<20).map { $0 * 37 % 1000 }
        let (_, grads) = valueAndGradient(at: [logits]) { v in
            crossEntropy(logits: v[0], targets: targets, ignoreIndex: -100, labelSmoothing: 0, reduction: .sum, chunkRows: 7)
        }
        var expected = logits.softmax()
        for (i, t) in targets.enumerated() { expected[i, t] -= 1 }
        assertClose(grads[0], expected, rtol: 1e-5, atol: 1e-6)
    }

    @Test func badLabelSmoothingStops() async {
        await #expect(processExitsWith: .failure) {
            _ = crossEntropy(logits: Variable(Tensor.zeros([2, 3])), targets: [0, 1], labelSmoothing: 1.5)
        }
        await #expect(processExitsWith: .failure) {
            _ = crossEntropy(logits: Variable(Tensor.zeros([2, 3])), targets: [0, 1, 2])
        }
    }
}
