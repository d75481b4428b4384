import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// Reductions against `ReductionReference` (plain loops in Double), golden values, edge cases.
/// Serialized because one test changes the global `Threads.count`.
@Suite("Reductions", .serialized)
struct ReductionTests {
    typealias R = ReductionReference

    static func random(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.randomNormal(shape, using: &g)
    }

    /// Small integers 0…3: many ties for argmax/argmin.
    static func ties(_ shape: [Int], seed: UInt64 = 2) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let u = Tensor.randomUniform(shape, low: 0, high: 4, using: &g)
        return Tensor(shape: shape, scalars: u.scalars.map { $0.rounded(.down) })
    }

    /// Holds every axis reduction of `x` against the reference, for `axis` and `keep`.
    static func checkAgainstReference(_ x: Tensor, axis: Int, keep: Bool) {
        let what = "shape \(describeShape(x.shape)) axis \(axis) keep \(keep)"
        func ref(_ f: @escaping ([Double]) -> Double) -> Tensor {
            R.reduce(x, axis: axis, keepingDimensions: keep, f)
        }
        assertClose(x.sum(alongAxis: axis, keepingDimensions: keep), ref(R.sum), "sum \(what)")
        assertClose(x.mean(alongAxis: axis, keepingDimensions: keep), ref(R.mean), "mean \(what)")
        assertClose(x.maximum(alongAxis: axis, keepingDimensions: keep), ref(R.maximum), "maximum \(what)")
        assertClose(x.minimum(alongAxis: axis, keepingDimensions: keep), ref(R.minimum), "minimum \(what)")
        assertClose(x.logSumExp(alongAxis: axis, keepingDimensions: keep), ref(R.logSumExp), "logSumExp \(what)")
        assertClose(x.variance(alongAxis: axis, keepingDimensions: keep), ref { R.variance($0, correction: 0) },
                    "variance \(what)")
        assertClose(x.variance(alongAxis: axis, correction: 1, keepingDimensions: keep),
                    ref { R.variance($0, correction: 1) }, "unbiased variance \(what)")
        #expect(x.argmax(alongAxis: axis, keepingDimensions: keep) == ref(R.argmax), "argmax \(what)")
        #expect(x.argmin(alongAxis: axis, keepingDimensions: keep) == ref(R.argmin), "argmin \(what)")
    }

    @Test func goldenSmallMatrix() {
        // Expected values computed offline with numpy 2.4 in float64 (np.log(np.exp(x).sum(axis)),
        // x.var(axis, ddof=…)) for x = [[1, 2, 3], [4, 5, 7]].
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 7])
        #expect(x.sum(alongAxis: 0).scalars == [5, 7, 10])
        #expect(x.sum(alongAxis: 1).scalars == [6, 16])
        #expect(x.sum(alongAxis: -1, keepingDimensions: true).shape == [2, 1])
        #expect(x.sum().scalar == 22)
        #expect(x.sum().shape == [])
        #expect(x.mean(alongAxis: 0).scalars == [2.5, 3.5, 5])
        #expect(x.maximum(alongAxis: 1).scalars == [3, 7])
        #expect(x.minimum(alongAxis: 0).scalars == [1, 2, 3])
        #expect(x.maximum().scalar == 7 && x.minimum().scalar == 1)
        #expect(x.argmax(alongAxis: 0).scalars == [1, 1, 1])
        #expect(x.argmin(alongAxis: 1).scalars == [0, 0])
        #expect(x.argmax().scalar == 5)
        assertClose(x.logSumExp(alongAxis: 1), Tensor([3.40760596, 7.16984602]))
        assertClose(x.logSumExp(alongAxis: 0), Tensor([4.04858735, 5.04858735, 7.01814993]))
        assertClose(x.variance(alongAxis: 1), Tensor([0.66666667, 1.55555556]))
        assertClose(x.variance(alongAxis: 1, correction: 1), Tensor([1, 2.33333333]))
        assertClose(x.variance(alongAxis: 0, correction: 1), Tensor([4.5, 4.5, 8]))
        // [1, 2, 3, 4, 5, 7]: mean 11/3, population variance Σx²/6 − (11/3)² = 104/6 − 121/9 = 35/9 (by hand).
        assertClose(x.variance(), Tensor(35.0 / 9.0))
        assertClose(x.mean(), Tensor(22.0 / 6.0))
    }

    @Test(arguments: [[1], [7], [33, 5], [2, 3, 4, 5], [1, 1, 9]])
    func matchesReferenceOnEveryAxis(shape: [Int]) {
        let x = Self.random(shape)
        let t = Self.ties(shape)
        for axis in -shape.count..<shape.count {
            for keep in [false, true] {
                Self.checkAgainstReference(x, axis: axis, keep: keep)
                Self.checkAgainstReference(t, axis: axis, keep: keep)
            }
        }
    }

    @Test(arguments: [[3, 100_003], [100_003, 3], [2, 70_001, 5], [40, 2_500], [70_000, 2], [1, 200_000]])
    func largeShapesHitTheParallelPaths(shape: [Int]) {
        let x = Self.random(shape, seed: 3)
        for axis in 0..<shape.count {
            Self.checkAgainstReference(x, axis: axis, keep: false)
        }
    }

    @Test func fullReductionsMatchReference() {
        for shape in [[1], [7], [33, 5], [2, 3, 4, 5], [3, 100_003]] {
            let x = Self.random(shape, seed: 4)
            let flat = x.reshaped([x.count])
            func ref(_ f: @escaping ([Double]) -> Double) -> Tensor {
                R.reduce(flat, axis: 0, f).reshaped([])
            }
            let what = describeShape(shape)
            assertClose(x.sum(), ref(R.sum), "sum \(what)")
            assertClose(x.mean(), ref(R.mean), "mean \(what)")
            assertClose(x.maximum(), ref(R.maximum), "maximum \(what)")
            assertClose(x.minimum(), ref(R.minimum), "minimum \(what)")
            assertClose(x.logSumExp(), ref(R.logSumExp), "logSumExp \(what)")
            assertClose(x.variance(correction: 1), ref { R.variance($0, correction: 1) }, "variance \(what)")
            #expect(x.argmax() == ref(R.argmax), "argmax \(what)")
            #expect(x.argmin() == ref(R.argmin), "argmin \(what)")
        }
    }

    @Test func emptyTensors() {
        let empty = Tensor.zeros([0])
        #expect(empty.sum().scalar == 0)
        #expect(empty.mean().scalar.isNaN)
        #expect(empty.logSumExp().scalar == -.infinity)
        let m = Tensor.zeros([0, 3])
        #expect(m.sum(alongAxis: 0) == Tensor.zeros([3]))
        #expect(m.mean(alongAxis: 0).scalars.allSatisfy { $0.isNaN })
        #expect(m.sum(alongAxis: 1).shape == [0])
        #expect(m.maximum(alongAxis: 1).shape == [0])   // nothing to reduce: no outputs
        #expect(m.argmax(alongAxis: 1, keepingDimensions: true).shape == [0, 1])
        #expect(m.logSumExp(alongAxis: 0).scalars == [-.infinity, -.infinity, -.infinity])
        #expect(Tensor.zeros([2, 0, 3]).sum(alongAxis: 1) == Tensor.zeros([2, 3]))
    }

    @Test func scalarTensorsReduceToThemselves() {
        let s = Tensor(3)
        #expect(s.sum(alongAxis: 0) == s)
        #expect(s.maximum(alongAxis: -1, keepingDimensions: true) == s)
        #expect(s.argmax().scalar == 0)
        #expect(s.sum() == s)
    }

    @Test func tiesAndNaN() {
        // Ties: first occurrence, as numpy.argmax.
        let t = Tensor(shape: [2, 4], scalars: [1, 3, 3, 0, 2, 2, 2, 2])
        #expect(t.argmax(alongAxis: 1).scalars == [1, 0])
        #expect(t.argmin(alongAxis: 1).scalars == [3, 0])
        #expect(t.argmax(alongAxis: 0).scalars == [1, 0, 0, 1])
        // NaN: maximum/minimum/sum propagate it; argmax/argmin give the first NaN (numpy, PyTorch).
        let n = Tensor(shape: [2, 5], scalars: [1, .nan, 9, .nan, 0, 4, 5, 6, 7, 8])
        #expect(n.maximum(alongAxis: 1).scalars[0].isNaN)
        #expect(n.maximum(alongAxis: 1).scalars[1] == 8)
        #expect(n.minimum(alongAxis: 1).scalars[0].isNaN)
        #expect(n.argmax(alongAxis: 1).scalars == [1, 4])
        #expect(n.argmin(alongAxis: 1).scalars == [1, 0])
        #expect(n.argmax(alongAxis: 0).scalars == [1, 0, 0, 0, 1])
        #expect(n.maximum(alongAxis: 0).scalars[1].isNaN)
        #expect(n.sum().scalar.isNaN && n.logSumExp().scalar.isNaN && n.maximum().scalar.isNaN)
        #expect(n.argmax().scalar == 1)
        // NaN past the SIMD part of a long row, and at index 0.
        var long = Self.random([1, 1000])
        long[0, 997] = .nan
        #expect(long.maximum().scalar.isNaN)
        #expect(long.argmax().scalar == 997)
        long[0, 0] = .nan
        #expect(long.argmin().scalar == 0)
        // All −∞ gives −∞ for maximum, argmax 0, logSumExp −∞; +∞ gives +∞.
        let inf = Tensor(shape: [2, 3], scalars: [-.infinity, -.infinity, -.infinity, 1, .infinity, 2])
        #expect(inf.maximum(alongAxis: 1).scalars == [-.infinity, .infinity])
        #expect(inf.argmax(alongAxis: 1).scalars == [0, 1])
        #expect(inf.logSumExp(alongAxis: 1).scalars == [-.infinity, .infinity])
    }

    @Test func logSumExpIsStableForLargeMagnitudes() {
        // numpy: y.max() + log(exp(y − y.max()).sum()) for y = [1e4, −1e4, 1e4 − 1] → 10000.31326168752.
        let y = Tensor([1e4, -1e4, 1e4 - 1])
        assertClose(y.logSumExp(), Tensor(10000.31326168752))
        #expect(Tensor([-1e4, -1e4]).logSumExp().scalar == -1e4 + Float(log(2.0)))
        let big = Self.random([5, 300], seed: 6)
        for scale: Float in [1e4, -1e4] {
            let x = Tensor(shape: big.shape, scalars: big.scalars.map { $0 * 30 + scale })
            for axis in 0..<2 { Self.checkAgainstReference(x, axis: axis, keep: false) }
        }
    }

    @Test func varianceSurvivesALargeOffset() {
        // 1e4 + N(0, 1): the naive E[x²] − E[x]² in Float loses every digit.
        let noise = Self.random([4, 10_000], seed: 7)
        let x = Tensor(shape: noise.shape, scalars: noise.scalars.map { $0 + 1e4 })
        let expected = R.reduce(x, axis: 1) { R.variance($0, correction: 1) }
        assertClose(x.variance(alongAxis: 1, correction: 1), expected)
        assertClose(x.variance(alongAxis: 0), R.reduce(x, axis: 0) { R.variance($0, correction: 0) })
        for v in x.variance(alongAxis: 1).scalars { #expect(abs(v - 1) < 0.1) }
        // One element with correction 1: 0 / 0 = NaN, as torch.var.
        #expect(Tensor([5]).variance(correction: 1).scalar.isNaN)
    }

    @Test func severalAxes() {
        let x = Self.random([2, 3, 4, 5], seed: 8)
        func sequential(_ axes: [Int], keep: Bool) -> Tensor {
            var r = x
            for a in axes.sorted(by: >) { r = R.reduce(r, axis: a, keepingDimensions: true, R.sum) }
            var s = x.shape
            for a in axes.sorted(by: >) { if keep { s[a] = 1 } else { s.remove(at: a) } }
            return r.reshaped(s)
        }
        for axes in [[0], [1, 2], [0, 2], [0, 1, 3], [0, 1, 2, 3], [3, 1]] {
            for keep in [false, true] {
                assertClose(x.sum(alongAxes: axes, keepingDimensions: keep), sequential(axes, keep: keep),
                            "sum along \(axes) keep \(keep)")
            }
        }
        assertClose(x.sum(alongAxes: [-1, 0]), sequential([0, 3], keep: false))
        let count = Float(2 * 4)
        let mean = sequential([0, 2], keep: false)
        assertClose(x.mean(alongAxes: [0, 2]), Tensor(shape: mean.shape, scalars: mean.scalars.map { $0 / count }))
        #expect(x.sum(alongAxes: []) == x)
    }

    @Test func intoFormsAcceptBothResultShapes() {
        let x = Self.random([6, 40], seed: 9)
        var dropped = Tensor.zeros([40])
        x.sum(alongAxis: 0, into: &dropped)
        assertClose(dropped, R.reduce(x, axis: 0, R.sum))
        var kept = Tensor.zeros([6, 1])
        x.mean(alongAxis: -1, into: &kept)
        assertClose(kept, R.reduce(x, axis: 1, keepingDimensions: true, R.mean))
        // The buffer is reused, not reallocated.
        let before = kept.withUnsafeBufferPointer { $0.baseAddress }
        x.sum(alongAxis: 1, into: &kept)
        #expect(kept.withUnsafeBufferPointer { $0.baseAddress } == before)
    }

    @Test func resultsDoNotDependOnThreadCount() {
        let x = Self.random([3, 100_003], seed: 10)
        let y = x.reshaped([100_003, 3])
        func everything() -> [Tensor] {
            [x.sum(), x.mean(), x.logSumExp(), x.variance(), x.maximum(), x.argmax(),
             x.sum(alongAxis: 0), x.sum(alongAxis: 1), y.sum(alongAxis: 0), y.variance(alongAxis: 0),
             x.logSumExp(alongAxis: 1), y.logSumExp(alongAxis: 0), x.softmax(), y.softmax(alongAxis: 0)]
        }
        let one = withThreadCount(1, everything)
        let two = withThreadCount(2, everything)
        let three = withThreadCount(3, everything)
        for i in one.indices {
            #expect(one[i].scalars.map(\.bitPattern) == two[i].scalars.map(\.bitPattern), "result \(i), 1 vs 2 threads")
            #expect(one[i].scalars.map(\.bitPattern) == three[i].scalars.map(\.bitPattern), "result \(i), 1 vs 3 threads")
        }
    }

    @Test func axisOutOfRangeStopsNamingTheShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).sum(alongAxis: 2)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("axis 2 is out of range for shape [2, 3]"))
    }

    @Test func maximumOfAnEmptyAxisStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([0, 3]).maximum(alongAxis: 0)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("empty axis of shape [0, 3]"))
        await #expect(processExitsWith: .failure) { _ = Tensor.zeros([0]).maximum() }
        await #expect(processExitsWith: .failure) { _ = Tensor.zeros([4, 0]).argmax(alongAxis: 1) }
    }

    @Test func wrongIntoShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var out = Tensor.zeros([3])
            Tensor.zeros([2, 3]).sum(alongAxis: 1, into: &out)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[3]") && message.contains("[2]") && message.contains("[2, 3]"))
        await #expect(processExitsWith: .failure) { _ = Tensor.zeros([2, 3]).sum(alongAxes: [1, -1]) }
    }
}
