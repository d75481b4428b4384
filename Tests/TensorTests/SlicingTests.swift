import Foundation
import Testing
@testable import Tensor
import _TestSupport

@Suite("Slicing")
struct SlicingTests {
    let x = Tensor.ramp([2, 3, 4, 5])

    @Test func slicesOnEveryAxis() {
        for axis in 0..<4 {
            let dim = x.shape[axis]
            for range in [0..<dim, 0..<1, 1..<dim, (dim - 1)..<dim, 1..<1] {
                let s = x.slice(alongAxis: axis, range)
                #expect(s == LinalgReference.slice(x, axis: axis, range), "axis \(axis) range \(range)")
                #expect(x.slice(alongAxis: axis - 4, range) == s, "negative axis \(axis - 4)")
            }
        }
    }

    @Test func partialRangesAndRows() {
        #expect(x.slice(alongAxis: 2, 1...) == LinalgReference.slice(x, axis: 2, 1..<4))
        #expect(x.slice(alongAxis: -1, ..<2) == LinalgReference.slice(x, axis: 3, 0..<2))
        #expect(x.slice(alongAxis: 1, 0...1) == LinalgReference.slice(x, axis: 1, 0..<2))
        #expect(x[rows: 1..<2] == LinalgReference.slice(x, axis: 0, 1..<2))
        let big = Tensor.ramp([300, 500])   // parallel chunks
        #expect(big.slice(alongAxis: 1, 7..<340) == LinalgReference.slice(big, axis: 1, 7..<340))
    }

    @Test func selectDropsTheAxis() {
        let s = x.select(alongAxis: 1, index: -1)
        #expect(s.shape == [2, 4, 5])
        #expect(s == LinalgReference.slice(x, axis: 1, 2..<3).reshaped([2, 4, 5]))
        #expect(x.select(alongAxis: -1, index: 0) == LinalgReference.slice(x, axis: 3, 0..<1).reshaped([2, 3, 4]))
    }

    @Test func concatenateSplitRoundTrip() {
        for axis in 0..<4 {
            let dim = x.shape[axis]
            let sizes = [1, 0, dim - 1]
            let parts = x.split(alongAxis: axis, sizes: sizes)
            #expect(parts.map { $0.shape[axis] } == sizes)
            #expect(Tensor.concatenate(parts, alongAxis: axis) == x, "axis \(axis)")
            #expect(Tensor.concatenate(parts, alongAxis: axis) == LinalgReference.concatenate(parts, axis: axis))
        }
        let a = Tensor.ramp([3, 2, 7]), b = Tensor.ramp([3, 5, 7], start: 100), c = Tensor.ramp([3, 1, 7], start: -9)
        #expect(Tensor.concatenate([a, b, c], alongAxis: -2) == LinalgReference.concatenate([a, b, c], axis: 1))
        #expect(Tensor.concatenate([a]) == a)
    }

    @Test func chunkedSizes() {
        let v = Tensor.ramp([7, 2])
        #expect(v.chunked(into: 3, alongAxis: 0).map { $0.shape[0] } == [3, 2, 2])
        #expect(v.chunked(into: 2, alongAxis: 1).map(\.shape) == [[7, 1], [7, 1]])
        #expect(v.chunked(into: 9, alongAxis: 0).map { $0.shape[0] } == [1, 1, 1, 1, 1, 1, 1, 0, 0])
        #expect(Tensor.concatenate(v.chunked(into: 3, alongAxis: 0), alongAxis: 0) == v)
        let qkv = Tensor.ramp([4, 3 * 6])
        let pieces = qkv.chunked(into: 3, alongAxis: -1)
        #expect(pieces[1] == qkv.slice(alongAxis: 1, 6..<12))
    }

    @Test func stackAddsAnAxis() {
        let parts = (0..<3).map { Tensor.ramp([2, 4], start: Float($0 * 100)) }
        for axis in [0, 1, 2, -1, -3] {
            let s = Tensor.stack(parts, alongAxis: axis)
            let a = axis < 0 ? axis + 3 : axis
            var shape = [2, 4]
            shape.insert(3, at: a)
            #expect(s.shape == shape)
            for i in 0..<3 {
                #expect(s.select(alongAxis: a, index: i) == parts[i], "axis \(axis) part \(i)")
            }
        }
    }

    @Test func replaceSliceWritesOnlyThatRange() {
        for axis in 0..<4 {
            var y = x
            let dim = x.shape[axis]
            var patchShape = x.shape
            patchShape[axis] = dim - 1
            let patch = Tensor.ramp(patchShape, start: -1000)
            y.replaceSlice(alongAxis: axis, start: 1, with: patch)
            #expect(y.slice(alongAxis: axis, 1..<dim) == patch)
            #expect(y.slice(alongAxis: axis, 0..<1) == x.slice(alongAxis: axis, 0..<1))
            #expect(x == Tensor.ramp([2, 3, 4, 5]), "copy-on-write kept x")
        }
        // A key/value cache grows one step at a time.
        var cache = Tensor.zeros([2, 6, 3])
        for t in 0..<6 {
            cache.replaceSlice(alongAxis: 1, start: t, with: Tensor.full([2, 1, 3], Float(t)))
        }
        #expect(cache.select(alongAxis: 1, index: 4) == Tensor.full([2, 3], 4))
        var rows = Tensor.zeros([4, 2])
        rows[rows: 1..<3] = Tensor.ones([2, 2])
        #expect(rows.scalars == [0, 0, 1, 1, 1, 1, 0, 0])
    }

    @Test func sliceOutOfRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).slice(alongAxis: 1, 1..<4)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("1..<4") && message.contains("[2, 3]"))
    }

    @Test func concatenateMismatchStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.concatenate([Tensor.zeros([2, 3]), Tensor.zeros([4, 2])], alongAxis: 0)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4, 2]"))
    }
}
