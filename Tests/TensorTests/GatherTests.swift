import Foundation
import Testing
@testable import Tensor
import _TestSupport

@Suite("Gather")
struct GatherTests {
    @Test func gatherRowsWithRepeatedIds() {
        let table = Tensor.ramp([7, 33])
        let ids = [3, 0, 6, 3, 3, 1]
        let rows = table.gatherRows(ids)
        #expect(rows.shape == [6, 33])
        #expect(rows == LinalgReference.indexSelect(table, axis: 0, ids))
        #expect(table.gatherRows(ids.map(Int32.init)) == rows)
        var out = Tensor.full([6, 33], .nan)
        Tensor.gatherRows(table, ids, into: &out)
        #expect(out == rows)
        #expect(table.gatherRows([Int]()).shape == [0, 33])
        let cube = Tensor.ramp([5, 2, 3])
        #expect(cube.gatherRows([4, 4, 0]) == LinalgReference.indexSelect(cube, axis: 0, [4, 4, 0]))
    }

    @Test func embeddingKeepsTheIdsShape() {
        let table = Tensor.ramp([10, 4])
        let ids = [1, 2, 3, 9, 9, 0]
        let e = Tensor.embedding(table, indices: ids, shape: [2, 3])
        #expect(e.shape == [2, 3, 4])
        #expect(e.reshaped([6, 4]) == LinalgReference.indexSelect(table, axis: 0, ids))
        #expect(Tensor.embedding(table, indices: ids.map(Int32.init), shape: [2, 3]) == e)
    }

    @Test(arguments: [(7, 33, 20), (3, 1000, 200), (50, 5, 1), (4, 8, 0)])
    func scatterAddRowsAccumulatesRepeats(vocabulary: Int, width: Int, n: Int) {
        var g = SeededGenerator(seed: 2)
        let ids = (0..<n).map { _ in Int(g.next() % UInt64(vocabulary)) }
        let rows = Tensor.randomNormal([n, width], using: &g)
        let start = Tensor.randomNormal([vocabulary, width], using: &g)
        var fast = start, slow = start
        Tensor.scatterAddRows(ids, rows, into: &fast)
        LinalgReference.scatterAddRows(ids, rows, into: &slow)
        // Same additions in the same order: bitwise equal, on any thread count.
        #expect(fast == slow)
    }

    @Test func scatterAddRowsTakesBatchedRows() {
        var grad = Tensor.zeros([4, 3])
        Tensor.scatterAddRows([1, 1, 2, 1], Tensor.ones([2, 2, 3]), into: &grad)
        #expect(grad.scalars == [0, 0, 0, 3, 3, 3, 1, 1, 1, 0, 0, 0])
    }

    @Test func indexSelectAlongAnyAxis() {
        let x = Tensor.ramp([2, 3, 4, 5])
        for axis in 0..<4 {
            let dim = x.shape[axis]
            let indices = [dim - 1, 0, dim - 1]
            #expect(x.indexSelect(alongAxis: axis, indices) == LinalgReference.indexSelect(x, axis: axis, indices), "axis \(axis)")
            #expect(x.indexSelect(alongAxis: axis - 4, indices) == LinalgReference.indexSelect(x, axis: axis, indices))
        }
    }

    @Test func gatherAndScatterAddAlongAxis() {
        var g = SeededGenerator(seed: 3)
        let logits = Tensor.randomNormal([7, 33], using: &g)
        let targets = (0..<7).map { _ in Int(g.next() % 33) }
        let picked = logits.gather(indices: targets)
        #expect(picked.shape == [7])
        #expect(picked == LinalgReference.gather(logits, axis: 1, targets))
        #expect(picked.scalars == (0..<7).map { logits[$0, targets[$0]] })

        let x = Tensor.ramp([2, 3, 4])
        let indices = (0..<8).map { $0 % 3 }
        #expect(x.gather(alongAxis: 1, indices: indices) == LinalgReference.gather(x, axis: 1, indices))
        #expect(x.gather(alongAxis: 0, indices: (0..<12).map { $0 % 2 }) == LinalgReference.gather(x, axis: 0, (0..<12).map { $0 % 2 }))

        // scatterAdd is the adjoint of gather: <gather(x), v> == <x, scatterAdd(v)>.
        var grad = Tensor.zeros([7, 33])
        let upstream = Tensor.randomNormal([7], using: &g)
        Tensor.scatterAdd(upstream, indices: targets, into: &grad)
        for r in 0..<7 {
            for c in 0..<33 { #expect(grad[r, c] == (c == targets[r] ? upstream[r] : 0)) }
        }
        var middle = Tensor.ones([2, 3, 4])
        Tensor.scatterAdd(Tensor.ones([2, 4]), alongAxis: 1, indices: [Int](repeating: 2, count: 8), into: &middle)
        #expect(middle.select(alongAxis: 1, index: 2) == Tensor.full([2, 4], 2))
        #expect(middle.select(alongAxis: 1, index: 0) == Tensor.ones([2, 4]))
    }

    @Test func outOfRangeIdStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([10, 4]).gatherRows([3, 10])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("id 10") && message.contains("0..<10"))
    }

    @Test func scatterOutOfRangeIdStops() async {
        await #expect(processExitsWith: .failure) {
            var grad = Tensor.zeros([10, 4])
            Tensor.scatterAddRows([-1], Tensor.zeros([1, 4]), into: &grad)
        }
    }
}
