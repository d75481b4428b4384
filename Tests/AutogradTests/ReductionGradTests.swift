import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// Distinct values (a shuffled ramp, 0.1 apart) so that maxima and minima are unique and stay
/// put under finite-difference steps.
private func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
    let n = Tensor.elementCount(shape)
    var rng = SeededGenerator(seed: seed)
    var values = (0..<n).map { Float($0) * 0.1 - Float(n) * 0.05 }
    for i in stride(from: n - 1, to: 0, by: -1) {
        values.swapAt(i, Int(rng.nextUniform() * Float(i + 1)) % (i + 1))
    }
    return Tensor(shape: shape, scalars: values)
}

@Suite("Reduction gradients")
struct ReductionGradTests {
    @Test func sumAndMeanOfEverything() {
        for (i, shape) in [[1], [7], [3, 5], [], [2, 3, 4]].enumerated() {
            let x = OpsHarness.uniform(shape, seed: UInt64(i))
            OpsHarness.check([x], expected: x.sum(), "sum \(describeShape(shape))") { $0[0].sum() }
            OpsHarness.check([x], expected: x.mean(), "mean \(describeShape(shape))") { $0[0].mean() }
        }
    }

    @Test func sumAndMeanAlongAxes() {
        let x = OpsHarness.uniform([2, 3, 4], seed: 1)
        for axis in [0, 1, 2, -1] {
            for keep in [false, true] {
                let name = "axis \(axis) keep \(keep)"
                OpsHarness.check([x], expected: x.sum(alongAxis: axis, keepingDimensions: keep), "sum \(name)") {
                    $0[0].sum(alongAxis: axis, keepingDimensions: keep)
                }
                OpsHarness.check([x], expected: x.mean(alongAxis: axis, keepingDimensions: keep), "mean \(name)") {
                    $0[0].mean(alongAxis: axis, keepingDimensions: keep)
                }
            }
        }
        for axes in [[0, 2], [-1, 0], [1], [0, 1, 2], []] {
            for keep in [false, true] {
                OpsHarness.check([x], expected: x.sum(alongAxes: axes, keepingDimensions: keep), "sum \(axes)") {
                    $0[0].sum(alongAxes: axes, keepingDimensions: keep)
                }
                OpsHarness.check([x], expected: x.mean(alongAxes: axes, keepingDimensions: keep), "mean \(axes)") {
                    $0[0].mean(alongAxes: axes, keepingDimensions: keep)
                }
            }
        }
        let row = OpsHarness.uniform([7], seed: 2)
        OpsHarness.check([row], expected: row.sum(alongAxis: 0)) { $0[0].sum(alongAxis: 0) }
    }

    @Test func logSumExp() {
        let x = OpsHarness.uniform([3, 5], -2, 2, seed: 3)
        OpsHarness.check([x], expected: x.logSumExp()) { $0[0].logSumExp() }
        for axis in [0, 1, -1] {
            for keep in [false, true] {
                OpsHarness.check([x], expected: x.logSumExp(alongAxis: axis, keepingDimensions: keep), "axis \(axis)") {
                    $0[0].logSumExp(alongAxis: axis, keepingDimensions: keep)
                }
            }
        }
        let y = OpsHarness.uniform([2, 3, 4], -2, 2, seed: 4)
        OpsHarness.check([y], expected: y.logSumExp(alongAxis: 1)) { $0[0].logSumExp(alongAxis: 1) }
        let one = OpsHarness.uniform([1], seed: 5)
        OpsHarness.check([one], expected: one.logSumExp()) { $0[0].logSumExp() }
    }

    @Test func maximumAndMinimum() {
        let x = distinct([3, 5], seed: 6)
        OpsHarness.check([x], expected: x.maximum()) { $0[0].maximum() }
        OpsHarness.check([x], expected: x.minimum()) { $0[0].minimum() }
        for axis in [0, 1, -1] {
            for keep in [false, true] {
                OpsHarness.check([x], expected: x.maximum(alongAxis: axis, keepingDimensions: keep), "maximum axis \(axis)") {
                    $0[0].maximum(alongAxis: axis, keepingDimensions: keep)
                }
                OpsHarness.check([x], expected: x.minimum(alongAxis: axis, keepingDimensions: keep), "minimum axis \(axis)") {
                    $0[0].minimum(alongAxis: axis, keepingDimensions: keep)
                }
            }
        }
        let y = distinct([2, 3, 4], seed: 7)
        OpsHarness.check([y], expected: y.maximum(alongAxis: 1)) { $0[0].maximum(alongAxis: 1) }
    }

    @Test func maximumGradientGoesToTheFirstOccurrence() {
        let x = Tensor(shape: [2, 4], scalars: [1, 3, 3, 2, 5, 5, 5, 5])
        let seed = Tensor([10, 20])
        let rows = vectorJacobianProduct(at: [x], seed: seed) { $0[0].maximum(alongAxis: 1) }.gradients[0]
        #expect(rows.scalars == [0, 10, 0, 0, 20, 0, 0, 0])
        let all = vectorJacobianProduct(at: [x], seed: Tensor(7)) { $0[0].maximum() }.gradients[0]
        #expect(all.scalars == [0, 0, 0, 0, 7, 0, 0, 0])
        let lows = vectorJacobianProduct(at: [x], seed: seed) { $0[0].minimum(alongAxis: 1) }.gradients[0]
        #expect(lows.scalars == [10, 0, 0, 0, 20, 0, 0, 0])
    }

    @Test func variance() {
        let x = OpsHarness.uniform([3, 5], seed: 8)
        for correction in [0, 1] {
            OpsHarness.check([x], expected: x.variance(correction: correction), "correction \(correction)") {
                $0[0].variance(correction: correction)
            }
            for axis in [0, 1, -1] {
                for keep in [false, true] {
                    OpsHarness.check([x], expected: x.variance(alongAxis: axis, correction: correction, keepingDimensions: keep),
                                     "axis \(axis) correction \(correction)") {
                        $0[0].variance(alongAxis: axis, correction: correction, keepingDimensions: keep)
                    }
                }
            }
        }
    }

    @Test func sumGradientIsOnes() {
        let (_, grads) = vectorJacobianProduct(at: [Tensor.ramp([2, 3])], seed: Tensor([1, 2])) { $0[0].sum(alongAxis: 1) }
        #expect(grads[0].scalars == [1, 1, 1, 2, 2, 2])
        let (_, means) = vectorJacobianProduct(at: [Tensor.ramp([2, 3])], seed: Tensor(6)) { $0[0].mean() }
        #expect(means[0].scalars == [1, 1, 1, 1, 1, 1])
    }

    @Test func axisOutOfRangeStopsNamingTheShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = valueAndGradient(at: [Tensor.zeros([2, 3])]) { v in v[0].sum(alongAxis: 2).sum() }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]"))
    }
}
