import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// Softmax and log-softmax against `ReductionReference.softmax` (Double), goldens, edge cases.
@Suite("Softmax")
struct SoftmaxTests {
    typealias R = ReductionReference

    static func random(_ shape: [Int], seed: UInt64 = 11, scale: Float = 3) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.randomNormal(shape, standardDeviation: scale, using: &g)
    }

    @Test func goldenValues() {
        // numpy 2.4, float64: e = exp(x − x.max(axis, keepdims=True)); e / e.sum(axis, keepdims=True),
        // for x = [[1, 2, 3], [4, 5, 7]].
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 7])
        assertClose(x.softmax(), Tensor(shape: [2, 3], scalars: [
            0.09003057, 0.24472847, 0.66524096, 0.04201007, 0.1141952, 0.84379473]))
        assertClose(x.logSoftmax(), Tensor(shape: [2, 3], scalars: [
            -2.40760596, -1.40760596, -0.40760596, -3.16984602, -2.16984602, -0.16984602]))
        assertClose(x.softmax(alongAxis: 0), Tensor(shape: [2, 3], scalars: [
            0.04742587, 0.04742587, 0.01798621, 0.95257413, 0.95257413, 0.98201379]))
    }

    @Test(arguments: [[1], [7], [33, 5], [2, 3, 4, 5], [3, 1100, 2], [1, 1]])
    func matchesReferenceOnEveryAxis(shape: [Int]) {
        let x = Self.random(shape)
        for axis in -shape.count..<shape.count {
            let what = "shape \(describeShape(shape)) axis \(axis)"
            assertClose(x.softmax(alongAxis: axis), R.softmax(x, axis: axis), "softmax \(what)")
            assertClose(x.logSoftmax(alongAxis: axis), R.softmax(x, axis: axis, log: true), rtol: 1e-5, atol: 1e-5,
                        "logSoftmax \(what)")
        }
    }

    @Test func largeRowsSumToOneAndLogMatches() {
        let x = Self.random([4, 50_000], seed: 12)
        let y = x.softmax()
        assertClose(y, R.softmax(x, axis: -1))
        assertClose(y.sum(alongAxis: -1), Tensor.ones([4]))
        let logY = x.logSoftmax()
        assertClose(logY, R.softmax(x, axis: -1, log: true), rtol: 1e-5, atol: 1e-5)
        // logSoftmax = log(softmax) where softmax is not tiny.
        let ys = y.scalars, ls = logY.scalars
        for i in stride(from: 0, to: ys.count, by: 97) where ys[i] > 1e-30 {
            #expect(abs(Float(log(Double(ys[i]))) - ls[i]) <= 1e-4 * max(1, abs(ls[i])))
        }
        // Many short rows and a column softmax over a long axis.
        let many = Self.random([20_000, 7], seed: 13)
        assertClose(many.softmax(), R.softmax(many, axis: 1))
        assertClose(many.softmax(alongAxis: 0), R.softmax(many, axis: 0))
        assertClose(many.softmax(alongAxis: 0).sum(alongAxis: 0), Tensor.ones([7]))
    }

    @Test func stableForLargeMagnitudes() {
        // numpy: softmax([1e4, −1e4, 1e4 − 1]) = [0.73105858, 0, 0.26894142].
        let x = Tensor([1e4, -1e4, 1e4 - 1])
        assertClose(x.softmax(), Tensor([0.73105858, 0, 0.26894142]))
        assertClose(x.logSoftmax(), Tensor([-0.31326169, -20000.31326169, -1.31326169]), rtol: 1e-6, atol: 1e-4)
        let shifted = Tensor(shape: [3, 4], scalars: [-1e4, -1e4 + 1, -1e4 + 2, -1e4 + 3,
                                                      1e4, 1e4, 1e4, 1e4, 0, 0, 0, 0])
        let y = shifted.softmax()
        assertClose(y, R.softmax(shifted, axis: 1))
        #expect(!y.scalars.contains { $0.isNaN })
        assertClose(Array(y.scalars[4..<8]), [0.25, 0.25, 0.25, 0.25])
    }

    @Test func allNegativeInfinityRowGivesNaNLikePyTorch() {
        // torch.softmax(torch.full((1, 3), -inf), -1) → [nan, nan, nan]; a masked row with one
        // finite score is fine.
        let x = Tensor(shape: [2, 3], scalars: [-.infinity, -.infinity, -.infinity, -.infinity, 2, -.infinity])
        let y = x.softmax()
        #expect(y.scalars[0..<3].allSatisfy { $0.isNaN })
        #expect(Array(y.scalars[3..<6]) == [0, 1, 0])
        #expect(x.logSoftmax().scalars[0..<3].allSatisfy { $0.isNaN })
        #expect(Array(x.logSoftmax().scalars[3..<6]) == [-.infinity, 0, -.infinity])
        // Same along a non-last axis.
        let c = x.reshaped([3, 2]).softmax(alongAxis: 0)
        assertClose(c, R.softmax(x.reshaped([3, 2]), axis: 0))
    }

    @Test func intoFormReusesTheBufferAndWorksOnAnAlias() {
        let x = Self.random([5, 9], seed: 14)
        var out = Tensor.zeros([5, 9])
        let before = out.withUnsafeBufferPointer { $0.baseAddress }
        x.softmax(into: &out)
        #expect(out.withUnsafeBufferPointer { $0.baseAddress } == before)
        assertClose(out, R.softmax(x, axis: 1))
        x.logSoftmax(alongAxis: 0, into: &out)
        assertClose(out, R.softmax(x, axis: 0, log: true), rtol: 1e-5, atol: 1e-5)
        // `out` starting as a copy of `x` (shared storage): x is untouched.
        var alias = x
        x.softmax(into: &alias)
        assertClose(alias, R.softmax(x, axis: 1))
        #expect(x == Self.random([5, 9], seed: 14))
        // Empty tensors pass through.
        #expect(Tensor.zeros([0, 4]).softmax().shape == [0, 4])
        #expect(Tensor.zeros([4, 0]).logSoftmax().shape == [4, 0])
    }

    @Test func wrongOutputShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var out = Tensor.zeros([3, 2])
            Tensor.zeros([2, 3]).softmax(into: &out)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[3, 2]") && message.contains("[2, 3]"))
        await #expect(processExitsWith: .failure) { _ = Tensor.zeros([2, 3]).logSoftmax(alongAxis: -3) }
    }
}
