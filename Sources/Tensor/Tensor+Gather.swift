// Gathering by index and its adjoint, scatter-add: embedding lookup and its gradient,
// index-select along an axis, and the per-row pick used for target logits.
//
// Scatter-adds walk the indices in order and split the work by columns, never by index, so
// repeated indices accumulate in the same order on any thread count (bitwise deterministic).

extension Tensor {
    // MARK: Rows (embedding lookup)

    /// Rows `ids` of a table, as an embedding lookup: `result[i, …] = self[ids[i], …]`.
    ///
    /// - Parameter ids: indices into axis 0, each in `0..<shape[0]` (repeats allowed).
    /// - Returns: shape `[ids.count] + shape[1...]` (`[n, D]` for a `[V, D]` table).
    public func gatherRows(_ ids: [Int]) -> Tensor {
        indexSelect(alongAxis: 0, ids)
    }

    /// ``gatherRows(_:)`` for 32-bit token ids.
    public func gatherRows(_ ids: [Int32]) -> Tensor {
        gatherRows(ids.map(Int.init))
    }

    /// ``gatherRows(_:)`` written into a caller-owned `out` of shape `[ids.count] + shape[1...]`.
    public static func gatherRows(_ table: Tensor, _ ids: [Int], into out: inout Tensor) {
        check(table.rank >= 1, "gatherRows: table must have at least one dimension, got \(describeShape(table.shape))")
        let expected = [ids.count] + table.shape.dropFirst()
        check(out.shape == expected,
              "gatherRows(into:): out has shape \(describeShape(out.shape)) but \(ids.count) rows of \(describeShape(table.shape)) give \(describeShape(expected))")
        indexSelectKernel(table, axis: 0, ids, into: &out, operation: "gatherRows")
    }

    /// An embedding lookup with the ids' own shape: `[B, T]` ids in a `[V, D]` table give
    /// `[B, T, D]`, `result[b, t, :] = table[ids[b·T + t], :]`.
    ///
    /// - Parameters:
    ///   - table: shape `[V, D]` (or `[V, …]`).
    ///   - indices: `Π shape` ids in row-major order, each in `0..<V`.
    ///   - shape: the ids' shape, e.g. `[batch, sequence]`.
    public static func embedding(_ table: Tensor, indices: [Int], shape: [Int]) -> Tensor {
        check(Tensor.elementCount(shape) == indices.count,
              "embedding: \(indices.count) indices do not fill shape \(describeShape(shape))")
        let rows = table.gatherRows(indices)
        return rows.reshaped(shape + Array(table.shape.dropFirst()))
    }

    /// ``embedding(_:indices:shape:)`` for 32-bit token ids.
    public static func embedding(_ table: Tensor, indices: [Int32], shape: [Int]) -> Tensor {
        embedding(table, indices: indices.map(Int.init), shape: shape)
    }

    /// Adds `rows[i, …]` into `table[ids[i], …]` for every `i`, in order — the gradient of
    /// ``gatherRows(_:)``; repeated ids accumulate.
    ///
    /// - Parameters:
    ///   - ids: indices into `table`'s axis 0.
    ///   - rows: `ids.count` rows of `table.shape[1...]`, e.g. `[n, D]` or `[B, T, D]` for
    ///     `n = B·T` ids.
    ///   - table: the gradient table `[V, D]`, updated in place.
    public static func scatterAddRows(_ ids: [Int], _ rows: Tensor, into table: inout Tensor) {
        check(table.rank >= 1, "scatterAddRows: table must have at least one dimension, got \(describeShape(table.shape))")
        let rowShape = Array(table.shape.dropFirst())
        let width = rowShape.reduce(1, *)
        check(rows.count == ids.count * width && Array(rows.shape.suffix(rowShape.count)) == rowShape,
              "scatterAddRows: rows of shape \(describeShape(rows.shape)) are not \(ids.count) rows of \(describeShape(rowShape)) for table \(describeShape(table.shape))")
        let vocabulary = table.shape[0]
        for id in ids {
            check(id >= 0 && id < vocabulary,
                  "scatterAddRows: id \(id) is out of range 0..<\(vocabulary) for table of shape \(describeShape(table.shape))")
        }
        let source = UnsafePointer(rows.storage.pointer)
        let count = ids.count
        ids.withUnsafeBufferPointer { idBuffer in
            let idPointer = idBuffer.baseAddress
            table.withUnsafeMutableBufferPointer { buffer in
                let destination = buffer.baseAddress!
                // Column blocks of at least 64 floats; each block takes every id in order.
                let block = max(64, elementwiseGrain / max(1, count))
                parallelChunks(total: width, grain: block) { _, columns in
                    for i in 0..<count {
                        let from = source + i * width, to = destination + idPointer![i] * width
                        for c in columns { to[c] += from[c] }
                    }
                }
            }
        }
    }

    // MARK: Index select

    /// The entries at `indices` along `axis`, as `torch.index_select`:
    /// `result[…, i, …] = self[…, indices[i], …]`, `result.shape[axis] == indices.count`.
    ///
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    ///   - indices: each in `0..<shape[axis]` (repeats allowed).
    public func indexSelect(alongAxis axis: Int, _ indices: [Int]) -> Tensor {
        let a = canonicalAxis(axis, rank: rank, operation: "indexSelect(alongAxis:_:)", shape: shape)
        var newShape = shape
        newShape[a] = indices.count
        var result = Tensor(uninitializedShape: newShape)
        Tensor.indexSelectKernel(self, axis: a, indices, into: &result, operation: a == 0 ? "gatherRows" : "indexSelect")
        return result
    }

    /// Copies the runs of `source` selected along a resolved `axis` into `out`.
    private static func indexSelectKernel(_ source: Tensor, axis: Int, _ indices: [Int], into out: inout Tensor, operation: String) {
        let (outer, dim, inner) = source.splitAround(axis)
        for i in indices {
            check(i >= 0 && i < dim,
                  "\(operation): \(axis == 0 ? "id" : "index") \(i) is out of range 0..<\(dim) along axis \(axis) of shape \(describeShape(source.shape))")
        }
        let from = UnsafePointer(source.storage.pointer)
        let count = indices.count
        indices.withUnsafeBufferPointer { idBuffer in
            let ids = idBuffer.baseAddress
            out.withUnsafeMutableBufferPointer { buffer in
                let to = buffer.baseAddress!
                let total = outer * count
                parallelChunks(total: total, grain: max(1, elementwiseGrain / max(1, inner))) { _, range in
                    for r in range {
                        let (o, i) = r.quotientAndRemainder(dividingBy: count)
                        (to + r * inner).update(from: from + (o * dim + ids![i]) * inner, count: inner)
                    }
                }
            }
        }
    }

    // MARK: Per-row pick along an axis

    /// One element per position of the other axes, picked along `axis`:
    /// `result[o…, i…] = self[o…, indices[flat(o…, i…)], i…]`, with `axis` removed from the shape.
    ///
    /// For logits `[N, V]` and targets `[N]`, `logits.gather(alongAxis: -1, indices: targets)`
    /// is the `[N]` target logits (`torch.gather(x, -1, t[:, None]).squeeze(-1)`).
    ///
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; default `-1` (the last axis).
    ///   - indices: `count / shape[axis]` values in row-major order of the result, each in
    ///     `0..<shape[axis]`.
    public func gather(alongAxis axis: Int = -1, indices: [Int]) -> Tensor {
        let a = canonicalAxis(axis, rank: rank, operation: "gather(alongAxis:indices:)", shape: shape)
        var newShape = shape
        newShape.remove(at: a)
        let (outer, dim, inner) = splitAround(a)
        check(indices.count == outer * inner,
              "gather(alongAxis: \(axis)): \(indices.count) indices for shape \(describeShape(shape)), which needs \(outer * inner) (one per element of \(describeShape(newShape)))")
        for i in indices {
            check(i >= 0 && i < dim, "gather(alongAxis: \(axis)): index \(i) is out of range 0..<\(dim) for shape \(describeShape(shape))")
        }
        var result = Tensor(uninitializedShape: newShape)
        withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { out in
                for o in 0..<outer {
                    for j in 0..<inner {
                        let r = o * inner + j
                        out[r] = x[(o * dim + indices[r]) * inner + j]
                    }
                }
            }
        }
        return result
    }

    /// Adds `values[r]` into the element of `target` that ``gather(alongAxis:indices:)`` with
    /// the same `axis` and `indices` would read at `r` — its gradient; in order, so repeats
    /// accumulate deterministically.
    ///
    /// - Parameters:
    ///   - values: shape of `target` with `axis` removed (e.g. `[N]` for `[N, V]`).
    ///   - axis: in `-rank..<rank` of `target`; default `-1`.
    ///   - indices: as for ``gather(alongAxis:indices:)``.
    ///   - target: updated in place.
    public static func scatterAdd(_ values: Tensor, alongAxis axis: Int = -1, indices: [Int], into target: inout Tensor) {
        let a = canonicalAxis(axis, rank: target.rank, operation: "scatterAdd(_:alongAxis:indices:into:)", shape: target.shape)
        var reduced = target.shape
        reduced.remove(at: a)
        check(values.shape == reduced && indices.count == values.count,
              "scatterAdd(alongAxis: \(axis)): values \(describeShape(values.shape)) and \(indices.count) indices do not match target \(describeShape(target.shape)) (expected values \(describeShape(reduced)))")
        let (outer, dim, inner) = target.splitAround(a)
        for i in indices {
            check(i >= 0 && i < dim, "scatterAdd(alongAxis: \(axis)): index \(i) is out of range 0..<\(dim) for target \(describeShape(target.shape))")
        }
        values.withUnsafeBufferPointer { v in
            target.withUnsafeMutableBufferPointer { t in
                for o in 0..<outer {
                    for j in 0..<inner {
                        let r = o * inner + j
                        t[(o * dim + indices[r]) * inner + j] += v[r]
                    }
                }
            }
        }
    }
}
