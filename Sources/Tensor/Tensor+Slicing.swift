// Slicing along an axis, concatenate/stack, split/chunk, and writing a slice back.
//
// A row-major tensor seen around `axis` is `[outer, dim, inner]` with
// `outer = Π shape[..<axis]` and `inner = Π shape[(axis+1)...]`; every op here copies
// contiguous runs of `length·inner` floats per outer index.

extension Tensor {
    // MARK: Slices

    /// A copy of the elements whose index along `axis` lies in `range`:
    /// `result.shape[axis] == range.count`, other dimensions unchanged.
    ///
    /// ```swift
    /// let x = Tensor.ramp([4, 6])
    /// x.slice(alongAxis: 1, 2..<5)   // shape [4, 3]
    /// x.slice(alongAxis: 0, 1...)    // shape [3, 6]
    /// ```
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    ///   - range: indices along `axis`, within `0..<shape[axis]`; partial ranges are allowed.
    public func slice(alongAxis axis: Int, _ range: some RangeExpression<Int>) -> Tensor {
        let a = canonicalAxis(axis, rank: rank, operation: "slice(alongAxis:_:)", shape: shape)
        let bounds = resolveRange(range, axis: a, operation: "slice(alongAxis:_:)")
        if bounds == 0..<shape[a] { return self }
        var newShape = shape
        newShape[a] = bounds.count
        var result = Tensor(uninitializedShape: newShape)
        let (outer, dim, inner) = splitAround(a)
        let source = storage.pointer
        let run = bounds.count * inner
        result.withUnsafeMutableBufferPointer { out in
            let destination = out.baseAddress!
            parallelChunks(total: outer, grain: max(1, elementwiseGrain / max(1, run))) { _, rows in
                for o in rows {
                    (destination + o * run).update(from: source + (o * dim + bounds.lowerBound) * inner, count: run)
                }
            }
        }
        return result
    }

    /// A copy of the elements at `index` along `axis`, with that axis removed:
    /// `[B, T, C].select(alongAxis: 1, index: -1)` is the last position, shape `[B, C]`.
    ///
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    ///   - index: in `-shape[axis]..<shape[axis]`; negative counts from the end.
    public func select(alongAxis axis: Int, index: Int) -> Tensor {
        let a = canonicalAxis(axis, rank: rank, operation: "select(alongAxis:index:)", shape: shape)
        let i = index < 0 ? index + shape[a] : index
        check(i >= 0 && i < shape[a],
              "select(alongAxis: \(axis), index: \(index)): index out of range 0..<\(shape[a]) for shape \(describeShape(shape))")
        var newShape = shape
        newShape.remove(at: a)
        return slice(alongAxis: a, i..<(i + 1)).reshaped(newShape)
    }

    /// Rows `range` along axis 0 (a copy); setting writes them back, as
    /// ``replaceSlice(alongAxis:start:with:)`` does.
    public subscript(rows range: Range<Int>) -> Tensor {
        get { slice(alongAxis: 0, range) }
        set {
            var expected = shape
            if !expected.isEmpty { expected[0] = range.count }
            check(newValue.shape == expected,
                  "subscript(rows: \(range)): assigned shape \(describeShape(newValue.shape)) does not match \(describeShape(expected))")
            replaceSlice(alongAxis: 0, start: range.lowerBound, with: newValue)
        }
    }

    /// Overwrites the elements at indices `start ..< start + source.shape[axis]` along `axis`
    /// with `source`, in place (a key/value cache appends a step this way).
    ///
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    ///   - start: first index written along `axis`.
    ///   - source: same shape as `self` except along `axis`, where it must fit from `start`.
    public mutating func replaceSlice(alongAxis axis: Int, start: Int, with source: Tensor) {
        let a = canonicalAxis(axis, rank: rank, operation: "replaceSlice(alongAxis:start:with:)", shape: shape)
        let length = source.rank == rank ? source.shape[a] : -1
        var expected = shape
        expected[a] = length
        check(source.rank == rank && source.shape == expected && start >= 0 && start + length <= shape[a],
              "replaceSlice(alongAxis: \(axis), start: \(start)): source of shape \(describeShape(source.shape)) does not fit into \(describeShape(shape)) from index \(start)")
        if length == 0 { return }
        let (outer, dim, inner) = splitAround(a)
        let run = length * inner
        let from = source.storage.pointer
        withUnsafeMutableBufferPointer { buffer in
            let destination = buffer.baseAddress!
            parallelChunks(total: outer, grain: max(1, elementwiseGrain / max(1, run))) { _, rows in
                for o in rows {
                    (destination + (o * dim + start) * inner).update(from: from + o * run, count: run)
                }
            }
        }
    }

    // MARK: Concatenate and stack

    /// Joins `tensors` end to end along `axis`; all shapes must agree except along `axis`.
    ///
    /// - Parameters:
    ///   - tensors: at least one tensor, all of the same rank.
    ///   - axis: in `-rank..<rank`; negative counts from the end. Default 0.
    /// - Returns: shape equal to the inputs' with `shape[axis] = Σ tensors[i].shape[axis]`.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        check(!tensors.isEmpty, "concatenate: needs at least one tensor")
        let first = tensors[0]
        let a = canonicalAxis(axis, rank: first.rank, operation: "concatenate", shape: first.shape)
        var total = 0
        for t in tensors {
            var expected = first.shape
            if t.rank == first.rank { expected[a] = t.shape[a] }
            check(t.shape == expected,
                  "concatenate(alongAxis: \(axis)): shapes \(describeShape(first.shape)) and \(describeShape(t.shape)) differ outside axis \(a)")
            total += t.shape[a]
        }
        if tensors.count == 1 { return first }
        var newShape = first.shape
        newShape[a] = total
        var result = Tensor(uninitializedShape: newShape)
        let (outer, _, inner) = first.splitAround(a)
        let runs = tensors.map { $0.shape[a] * inner }
        let sources = UnsafeTransfer(tensors.map { UnsafePointer($0.storage.pointer) })
        let rowLength = total * inner
        result.withUnsafeMutableBufferPointer { out in
            let destination = out.baseAddress!
            parallelChunks(total: outer, grain: max(1, elementwiseGrain / max(1, rowLength))) { _, rows in
                for o in rows {
                    var position = destination + o * rowLength
                    for (source, run) in zip(sources.value, runs) {
                        position.update(from: source + o * run, count: run)
                        position += run
                    }
                }
            }
        }
        return withExtendedLifetime(tensors) { result }
    }

    /// Joins same-shaped `tensors` along a new axis at position `axis`:
    /// three `[T, C]` tensors stacked along 0 give `[3, T, C]`, along -1 give `[T, C, 3]`.
    ///
    /// - Parameter axis: the new axis' position in the result, in `-(rank + 1)...rank`.
    public static func stack(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        check(!tensors.isEmpty, "stack: needs at least one tensor")
        let shape = tensors[0].shape
        for t in tensors {
            check(t.shape == shape, "stack: shapes \(describeShape(shape)) and \(describeShape(t.shape)) differ")
        }
        let a = canonicalAxis(axis, rank: shape.count + 1, operation: "stack", shape: shape)
        return concatenate(tensors.map { $0.unsqueezed(axis: a) }, alongAxis: a)
    }

    // MARK: Split and chunk

    /// Cuts `self` along `axis` into consecutive pieces of the given sizes (copies).
    ///
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    ///   - sizes: non-negative lengths summing to `shape[axis]`.
    /// - Returns: one tensor per size; `concatenate(split(…), alongAxis: axis)` is `self`.
    public func split(alongAxis axis: Int, sizes: [Int]) -> [Tensor] {
        let a = canonicalAxis(axis, rank: rank, operation: "split(alongAxis:sizes:)", shape: shape)
        check(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[a],
              "split(alongAxis: \(axis), sizes: \(describeShape(sizes))): sizes must be non-negative and sum to \(shape[a]) for shape \(describeShape(shape))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(alongAxis: a, start..<(start + size))
        }
    }

    /// Cuts `self` along `axis` into `n` consecutive pieces whose sizes differ by at most one,
    /// the larger ones first (`numpy.array_split`); equal pieces when `n` divides the size.
    ///
    /// - Parameters:
    ///   - n: number of pieces, at least 1 (pieces may be empty when `n > shape[axis]`).
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    public func chunked(into n: Int, alongAxis axis: Int) -> [Tensor] {
        check(n >= 1, "chunked(into: \(n)): needs at least one piece")
        let a = canonicalAxis(axis, rank: rank, operation: "chunked(into:alongAxis:)", shape: shape)
        let (base, extra) = shape[a].quotientAndRemainder(dividingBy: n)
        return split(alongAxis: a, sizes: (0..<n).map { base + ($0 < extra ? 1 : 0) })
    }

    // MARK: Helpers

    /// `(Π shape[..<axis], shape[axis], Π shape[(axis+1)...])` for a resolved `axis`.
    func splitAround(_ axis: Int) -> (outer: Int, dim: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// `range` resolved against `0..<shape[axis]`; stops when it reaches outside.
    private func resolveRange(_ range: some RangeExpression<Int>, axis: Int, operation: String) -> Range<Int> {
        let dim = shape[axis]
        // Resolve against all Ints so an out-of-range bound is reported instead of clamped.
        let r = range.relative(to: Int.min / 2 ..< dim)
        let lower = r.lowerBound == Int.min / 2 ? 0 : r.lowerBound
        check(lower >= 0 && r.upperBound <= dim && lower <= r.upperBound,
              "\(operation): range \(lower)..<\(r.upperBound) is out of 0..<\(dim) on axis \(axis) of shape \(describeShape(shape))")
        return lower..<r.upperBound
    }
}
