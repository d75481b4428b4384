import Foundation
import Testing
@testable import Tensor
import _TestSupport

@Suite("Softmax backward kernels")
struct SoftmaxBackwardTests {
    /// Shapes and axes: rows (last axis, including lengths not a multiple of 8), columns of
    /// every width class, a wide tile, and empty tensors.
    static let cases: [([Int], Int)] = [
        ([1], 0), ([7], -1), ([33], 0), ([3, 5], -1), ([3, 5], 0), ([2, 3, 4], 1), ([4, 1], 1),
        ([2, 7, 9], -1), ([2, 5, 1030], 1), ([0, 4], -1), ([3, 0], 0), ([5, 2_000], -1),
    ]

    @Test(arguments: cases)
    func fusedKernelsMatchTheReference(_ shape: [Int], _ axis: Int) {
        var rng = SeededGenerator(seed: 11)
        let x = Tensor.randomNormal(shape, standardDeviation: 3, using: &rng)
        let g = Tensor.randomUniform(shape, low: -1, high: 1, using: &rng)
        let y = x.softmax(alongAxis: axis), logY = x.logSoftmax(alongAxis: axis)
        assertClose(Tensor.softmaxBackward(g, output: y, alongAxis: axis),
                    BackwardReference.softmaxBackward(g, y, axis: axis, logarithm: false), "softmax")
        assertClose(Tensor.logSoftmaxBackward(g, output: logY, alongAxis: axis),
                    BackwardReference.softmaxBackward(g, logY, axis: axis, logarithm: true), rtol: 1e-5, atol: 2e-6, "logSoftmax")
    }

    @Test func intoFormsAndDefaultAxis() {
        var rng = SeededGenerator(seed: 12)
        let x = Tensor.randomNormal([4, 9], using: &rng), g = Tensor.randomNormal([4, 9], using: &rng)
        var out = Tensor.zeros([4, 9])
        Tensor.softmaxBackward(g, output: x.softmax(), into: &out)
        #expect(out == Tensor.softmaxBackward(g, output: x.softmax(), alongAxis: 1))
        Tensor.logSoftmaxBackward(g, output: x.logSoftmax(), into: &out)
        #expect(out == Tensor.logSoftmaxBackward(g, output: x.logSoftmax(), alongAxis: -1))
    }

    @Test func largeTensorsTakeTheParallelPath() {
        var rng = SeededGenerator(seed: 13)
        let x = Tensor.randomNormal([300, 100], using: &rng), g = Tensor.randomNormal([300, 100], using: &rng)
        let y = x.softmax(alongAxis: 0)
        let reference = BackwardReference.softmaxBackward(g, y, axis: 0, logarithm: false)
        // Rows and columns both take the parallel path at this size.
        assertClose(Tensor.softmaxBackward(g, output: y, alongAxis: 0), reference)
        assertClose(Tensor.softmaxBackward(g, output: x.softmax(), alongAxis: 1),
                    BackwardReference.softmaxBackward(g, x.softmax(), axis: 1, logarithm: false))
    }

    @Test func mismatchedShapesStop() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.softmaxBackward(Tensor.zeros([2, 3]), output: Tensor.zeros([2, 4]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[2, 4]"))
        await #expect(processExitsWith: .failure) {
            _ = Tensor.logSoftmaxBackward(Tensor.zeros([2, 3]), output: Tensor.zeros([2, 3]), alongAxis: 2)
        }
    }
}
