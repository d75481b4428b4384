import Testing
import Tensor
import _TestSupport
@testable import Autograd

@Suite("Softmax gradients")
struct SoftmaxGradTests {
    static let cases: [([Int], Int)] = [
        ([1], -1), ([7], 0), ([3, 5], -1), ([3, 5], 0), ([2, 3, 4], 1), ([2, 3, 4], -1), ([2, 3, 4], 0), ([1, 33], 1),
    ]

    @Test(arguments: cases)
    func softmaxAndLogSoftmax(_ shape: [Int], _ axis: Int) {
        let x = OpsHarness.uniform(shape, -2, 2, seed: UInt64(shape.reduce(axis + 10, *)))
        OpsHarness.check([x], expected: x.softmax(alongAxis: axis), "softmax \(describeShape(shape)) axis \(axis)") {
            $0[0].softmax(alongAxis: axis)
        }
        OpsHarness.check([x], expected: x.logSoftmax(alongAxis: axis), "logSoftmax \(describeShape(shape)) axis \(axis)") {
            $0[0].logSoftmax(alongAxis: axis)
        }
    }

    @Test func defaultAxisIsTheLast() {
        let x = OpsHarness.uniform([3, 5], seed: 1)
        #expect(withoutGradient { Variable(x).softmax() }.value == x.softmax(alongAxis: -1))
        OpsHarness.check([x], expected: x.logSoftmax(alongAxis: 1)) { $0[0].logSoftmax() }
    }

    @Test func gradientsMatchTheCompositeFormulas() {
        let x = OpsHarness.uniform([4, 6], -3, 3, seed: 2), g = OpsHarness.uniform([4, 6], seed: 3)
        let y = x.softmax()
        let soft = vectorJacobianProduct(at: [x], seed: g) { $0[0].softmax() }.gradients[0]
        assertClose(soft, y * (g - (g * y).sum(alongAxis: 1, keepingDimensions: true)), rtol: 1e-5, atol: 1e-6)
        let log = vectorJacobianProduct(at: [x], seed: g) { $0[0].logSoftmax() }.gradients[0]
        assertClose(log, g - y * g.sum(alongAxis: 1, keepingDimensions: true), rtol: 1e-5, atol: 1e-6)
    }

    @Test func aConstantShiftHasNoGradient() {
        // softmax(x + c) = softmax(x): the gradient of the per-row shift is zero.
        let x = OpsHarness.uniform([3, 5], seed: 4), shift = Tensor(shape: [3, 1], scalars: [1, -2, 0.5])
        let grads = vectorJacobianProduct(at: [x, shift], seed: OpsHarness.uniform([3, 5], seed: 5)) {
            ($0[0] + $0[1]).softmax()
        }.gradients
        assertClose(grads[1], Tensor.zeros([3, 1]), atol: 1e-6)
    }

    @Test func axisOutOfRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = valueAndGradient(at: [Tensor.zeros([2, 3])]) { v in v[0].softmax(alongAxis: 2).sum() }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]"))
    }
}
