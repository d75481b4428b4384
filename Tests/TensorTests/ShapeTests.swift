import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// All permutations of `items` (Heap's algorithm would do; recursion is clearer here).
private func permutations(_ items: [Int]) -> [[Int]] {
    if items.count <= 1 { return [items] }
    return items.indices.flatMap { i -> [[Int]] in
        var rest = items
        let head = rest.remove(at: i)
        return permutations(rest).map { [head] + $0 }
    }
}

@Suite("Shape")
struct ShapeTests {
    @Test(arguments: [[1, 1], [7, 33], [33, 7], [100, 67], [1, 40], [0, 3]])
    func transposed2D(shape: [Int]) {
        let x = Tensor.ramp(shape)
        let t = x.transposed()
        #expect(t.shape == [shape[1], shape[0]])
        #expect(t == LinalgReference.permuted(x, [1, 0]))
        #expect(t.transposed() == x)
    }

    @Test func permuteAllPermutationsRoundTrip() {
        let x = Tensor.ramp([2, 3, 4, 5])
        for axes in permutations([0, 1, 2, 3]) {
            let p = x.permuted(axes)
            #expect(p == LinalgReference.permuted(x, axes), "axes \(axes)")
            var inverse = [Int](repeating: 0, count: 4)
            for (i, a) in axes.enumerated() { inverse[a] = i }
            #expect(p.permuted(inverse) == x, "axes \(axes) round trip")
        }
    }

    @Test(arguments: [
        ([1, 3, 1, 5], [3, 2, 1, 0]),
        ([2, 1, 7], [2, 0, 1]),
        ([2, 3, 0, 4], [0, 2, 1, 3]),
        ([33, 7, 5], [1, 2, 0]),
        ([8, 64, 64, 16], [0, 2, 1, 3]),    // large: parallel chunks, contiguous inner runs
        ([4, 96, 80], [0, 2, 1]),           // large batched transpose
        ([6, 5, 4, 3, 2], [4, 1, 3, 0, 2]),
    ])
    func permuteAwkwardShapes(shape: [Int], axes: [Int]) {
        var g = SeededGenerator(seed: 1)
        let x = Tensor.randomNormal(shape, using: &g)
        #expect(x.permuted(axes) == LinalgReference.permuted(x, axes))
    }

    @Test func transposeTwoAxesWithNegativeAxes() {
        let x = Tensor.ramp([2, 3, 33, 7])
        #expect(x.transposed(-1, -2) == LinalgReference.permuted(x, [0, 1, 3, 2]))
        #expect(x.transposed(0, 2) == LinalgReference.permuted(x, [2, 1, 0, 3]))
        #expect(x.transposed(1, 1) == x)
        #expect(x.permuted([0, -3, 2, -1]) == x)
    }

    @Test func squeezeAndUnsqueezeShareStorage() {
        let x = Tensor.ramp([2, 1, 3, 1])
        #expect(x.squeezed(axis: 1).shape == [2, 3, 1])
        #expect(x.squeezed(axis: -1).shape == [2, 1, 3])
        #expect(x.squeezed().shape == [2, 3])
        #expect(x.squeezed(axis: 1).sharesStorage(with: x))
        let v = Tensor.ramp([3])
        #expect(v.unsqueezed(axis: 0).shape == [1, 3])
        #expect(v.unsqueezed(axis: 1).shape == [3, 1])
        #expect(v.unsqueezed(axis: -1).shape == [3, 1])
        #expect(v.unsqueezed(axis: -2).shape == [1, 3])
        #expect(v.unsqueezed(axis: 0).sharesStorage(with: v))
        #expect(Tensor(5).unsqueezed(axis: 0).shape == [1])
    }

    @Test(arguments: [
        ([3, 1], [2, 3, 4]),
        ([1], [5]),
        ([4], [3, 4]),
        ([2, 1, 3], [2, 4, 3]),
        ([], [2, 2]),
        ([1, 1], [3, 33]),
        ([7, 1, 33], [2, 7, 5, 33]),
        ([1, 300, 1], [4, 300, 64]),   // large enough for parallel chunks
        ([2, 3], [2, 3]),
        ([3, 1], [0, 3, 4]),
    ])
    func expandMatchesReference(shape: [Int], target: [Int]) {
        let x = Tensor.ramp(shape, start: 1)
        let e = x.expanded(to: target)
        #expect(e == LinalgReference.expanded(x, to: target))
        #expect(x.broadcast(to: target) == e)
    }

    @Test func expandToIncompatibleShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3, 2]).expanded(to: [3, 4])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[3, 2]") && message.contains("[3, 4]"))
    }

    @Test func badPermutationStops() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([2, 3, 4]).permuted([0, 0, 1])
        }
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([2, 3]).squeezed(axis: 0)
        }
    }
}
