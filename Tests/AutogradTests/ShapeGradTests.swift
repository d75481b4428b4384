import Testing
import Tensor
import _TestSupport
@testable import Autograd

@Suite("Shape gradients")
struct ShapeGradTests {
    @Test func reshapeSqueezeUnsqueeze() {
        let x = OpsHarness.uniform([2, 1, 3, 1], seed: 1)
        OpsHarness.check([x], expected: x.reshaped([3, 2]), "reshaped") { $0[0].reshaped([3, 2]) }
        OpsHarness.check([x], expected: x.reshaped([-1]), "reshaped -1") { $0[0].reshaped([-1]) }
        OpsHarness.check([x], expected: x.squeezed(axis: 1), "squeezed(axis: 1)") { $0[0].squeezed(axis: 1) }
        OpsHarness.check([x], expected: x.squeezed(axis: -1), "squeezed(axis: -1)") { $0[0].squeezed(axis: -1) }
        OpsHarness.check([x], expected: x.squeezed(), "squeezed()") { $0[0].squeezed() }
        OpsHarness.check([x], expected: x.unsqueezed(axis: 0), "unsqueezed(axis: 0)") { $0[0].unsqueezed(axis: 0) }
        OpsHarness.check([x], expected: x.unsqueezed(axis: -1), "unsqueezed(axis: -1)") { $0[0].unsqueezed(axis: -1) }
        let s = OpsHarness.uniform([], seed: 2)
        OpsHarness.check([s], expected: s.reshaped([1, 1]), "scalar reshaped") { $0[0].reshaped([1, 1]) }
    }

    @Test func transposeAndPermute() {
        let m = OpsHarness.uniform([3, 5], seed: 3)
        OpsHarness.check([m], expected: m.transposed(), "transposed()") { $0[0].transposed() }
        let x = OpsHarness.uniform([2, 3, 4], seed: 4)
        OpsHarness.check([x], expected: x.transposed(0, 2), "transposed(0, 2)") { $0[0].transposed(0, 2) }
        OpsHarness.check([x], expected: x.transposed(-1, -2), "transposed(-1, -2)") { $0[0].transposed(-1, -2) }
        for axes in [[2, 0, 1], [1, 2, 0], [0, -1, 1], [0, 1, 2]] {
            OpsHarness.check([x], expected: x.permuted(axes), "permuted \(axes)") { $0[0].permuted(axes) }
        }
        // The gradient of a permutation is the inverse permutation of g.
        let seed = Tensor.ramp([4, 2, 3])
        let g = vectorJacobianProduct(at: [x], seed: seed) { $0[0].permuted([2, 0, 1]) }.gradients[0]
        #expect(g == seed.permuted([1, 2, 0]))
    }

    @Test func expandSumsOverRepeatedDimensions() {
        for (i, (from, to)) in [([3, 1], [2, 3, 4]), ([1], [7]), ([], [2, 2]), ([3, 5], [3, 5]), ([1, 4], [3, 4])].enumerated() {
            let x = OpsHarness.uniform(from, seed: UInt64(10 + i))
            OpsHarness.check([x], expected: x.expanded(to: to), "\(describeShape(from)) → \(describeShape(to))") {
                $0[0].expanded(to: to)
            }
        }
        let g = vectorJacobianProduct(at: [Tensor.zeros([3, 1])], seed: Tensor.ones([2, 3, 4])) { $0[0].broadcast(to: [2, 3, 4]) }
        #expect(g.gradients[0].scalars == [8, 8, 8])
    }

    @Test func slicesAndSelect() {
        let x = OpsHarness.uniform([4, 6], seed: 20)
        OpsHarness.check([x], expected: x.slice(alongAxis: 1, 2..<5), "2..<5") { $0[0].slice(alongAxis: 1, 2..<5) }
        OpsHarness.check([x], expected: x.slice(alongAxis: 0, 1...), "1...") { $0[0].slice(alongAxis: 0, 1...) }
        OpsHarness.check([x], expected: x.slice(alongAxis: -1, ..<2), "..<2") { $0[0].slice(alongAxis: -1, ..<2) }
        OpsHarness.check([x], expected: x.slice(alongAxis: 0, 1...2), "1...2") { $0[0].slice(alongAxis: 0, 1...2) }
        OpsHarness.check([x], expected: x.slice(alongAxis: 1, 0..<6), "whole") { $0[0].slice(alongAxis: 1, 0..<6) }
        OpsHarness.check([x], expected: x.select(alongAxis: 1, index: -1), "select -1") { $0[0].select(alongAxis: 1, index: -1) }
        OpsHarness.check([x], expected: x.select(alongAxis: 0, index: 2), "select 2") { $0[0].select(alongAxis: 0, index: 2) }
        let g = vectorJacobianProduct(at: [Tensor.zeros([2, 3])], seed: Tensor([1, 2])) { $0[0].select(alongAxis: 1, index: 1) }
        #expect(g.gradients[0].scalars == [0, 1, 0, 0, 2, 0])
    }

    @Test func concatenateAndStack() {
        let a = OpsHarness.uniform([2, 1, 3], seed: 30)
        let b = OpsHarness.uniform([2, 4, 3], seed: 31)
        let c = OpsHarness.uniform([2, 2, 3], seed: 32)
        OpsHarness.check([a, b, c], expected: Tensor.concatenate([a, b, c], alongAxis: 1), "concatenate axis 1") {
            Variable.concatenate($0, alongAxis: 1)
        }
        OpsHarness.check([a, b, c], expected: Tensor.concatenate([a, b, c], alongAxis: -2), "concatenate axis -2") {
            Variable.concatenate($0, alongAxis: -2)
        }
        let r = OpsHarness.uniform([7], seed: 33), s = OpsHarness.uniform([1], seed: 34)
        OpsHarness.check([r, s], expected: Tensor.concatenate([r, s]), "concatenate 1-D") { Variable.concatenate($0) }
        let p = OpsHarness.uniform([3, 5], seed: 35), q = OpsHarness.uniform([3, 5], seed: 36)
        for axis in [0, 1, 2, -1] {
            OpsHarness.check([p, q], expected: Tensor.stack([p, q], alongAxis: axis), "stack axis \(axis)") {
                Variable.stack($0, alongAxis: axis)
            }
        }
    }

    @Test func splitAndChunk() {
        let x = OpsHarness.uniform([3, 7], seed: 40)
        let sizes = [2, 0, 4, 1]
        // Weight the pieces differently so that each one's gradient is visible.
        let expected = Tensor.concatenate(x.split(alongAxis: 1, sizes: sizes).enumerated().map { $1 * Float($0 + 1) }, alongAxis: 1)
        OpsHarness.check([x], expected: expected, "split") { v in
            Variable.concatenate(v[0].split(alongAxis: -1, sizes: sizes).enumerated().map { $1 * Float($0 + 1) }, alongAxis: 1)
        }
        let third = x.chunked(into: 3, alongAxis: 1)[2]
        OpsHarness.check([x], expected: third, "one chunk") { $0[0].chunked(into: 3, alongAxis: 1)[2] }
        let (_, grads) = vectorJacobianProduct(at: [Tensor.zeros([2, 3])], seed: Tensor.ones([1, 3])) {
            $0[0].split(alongAxis: 0, sizes: [1, 1])[1]
        }
        #expect(grads[0].scalars == [0, 0, 0, 1, 1, 1])
        let pieces = withoutGradient { Variable(x).chunked(into: 3, alongAxis: 1) }
        #expect(pieces.map(\.shape) == [[3, 3], [3, 2], [3, 2]])
    }

    @Test func badPermutationStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = valueAndGradient(at: [Tensor.zeros([2, 3])]) { v in v[0].permuted([0, 0]).sum() }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]"))
    }
}
