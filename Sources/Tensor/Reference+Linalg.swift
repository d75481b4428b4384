// Slow, obviously-right versions of the shape, slicing, matmul and gather kernels.
//
// Each walks the result element by element through full multi-indices and `subscript(indices:)`;
// sums are taken in `Double`. Tests hold the fast kernels against these on awkward shapes.

enum LinalgReference {
    /// The multi-index of row-major offset `flat` in `shape`.
    static func unflatten(_ flat: Int, _ shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    /// A tensor of `shape` whose element at each multi-index is `value(index)`.
    static func build(_ shape: [Int], _ value: ([Int]) -> Float) -> Tensor {
        let count = Tensor.elementCount(shape)
        return Tensor(shape: shape, scalars: (0..<count).map { value(unflatten($0, shape)) })
    }

    /// numpy `matmul` by definition: promote 1-D operands, broadcast the batch dimensions, and
    /// sum `op(a)[…, i, p] · op(b)[…, p, j]` over `p` in `Double`.
    static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let a2 = a.rank == 1 ? a.reshaped([1, a.count]) : a
        let b2 = b.rank == 1 ? b.reshaped([b.count, 1]) : b
        // op(x)[batch…, i, j] read from the stored tensor.
        func element(_ x: Tensor, _ transpose: Bool, _ batch: [Int], _ i: Int, _ j: Int) -> Float {
            let batchRank = x.rank - 2
            // Right-align the batch index; broadcast dimensions of size 1 read index 0.
            var index = (0..<batchRank).map { d -> Int in
                let i = batch[d + batch.count - batchRank]
                return x.shape[d] == 1 ? 0 : i
            }
            index += transpose ? [j, i] : [i, j]
            return x[indices: index]
        }
        let m = transposeA ? a2.shape[a2.rank - 1] : a2.shape[a2.rank - 2]
        let k = transposeA ? a2.shape[a2.rank - 2] : a2.shape[a2.rank - 1]
        let n = transposeB ? b2.shape[b2.rank - 2] : b2.shape[b2.rank - 1]
        let batchShape = Tensor.broadcastShape(Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2)))
        let full = build(batchShape + [m, n]) { index in
            let batch = Array(index.dropLast(2))
            let i = index[index.count - 2], j = index[index.count - 1]
            var sum = 0.0
            for p in 0..<k {
                sum += Double(element(a2, transposeA, batch, i, p)) * Double(element(b2, transposeB, batch, p, j))
            }
            return Float(sum)
        }
        let shape = batchShape + (a.rank == 1 ? [] : [m]) + (b.rank == 1 ? [] : [n])
        return full.reshaped(shape)
    }

    /// `result[i₀, …] = x[j…]` with `j[axes[d]] = i[d]`.
    static func permuted(_ x: Tensor, _ axes: [Int]) -> Tensor {
        build(axes.map { x.shape[$0] }) { index in
            var source = [Int](repeating: 0, count: x.rank)
            for d in 0..<axes.count { source[axes[d]] = index[d] }
            return x[indices: source]
        }
    }

    /// numpy broadcasting by definition: align right, read index 0 on size-1 dimensions.
    static func expanded(_ x: Tensor, to shape: [Int]) -> Tensor {
        build(shape) { index in
            let offset = shape.count - x.rank
            return x[indices: (0..<x.rank).map { x.shape[$0] == 1 ? 0 : index[$0 + offset] }]
        }
    }

    /// `result[…, i, …] = x[…, range.lowerBound + i, …]` along `axis`.
    static func slice(_ x: Tensor, axis: Int, _ range: Range<Int>) -> Tensor {
        var shape = x.shape
        shape[axis] = range.count
        return build(shape) { index in
            var source = index
            source[axis] += range.lowerBound
            return x[indices: source]
        }
    }

    /// Concatenation by definition: find which input a result index along `axis` falls in.
    static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        var shape = tensors[0].shape
        shape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
        return build(shape) { index in
            var source = index
            for t in tensors {
                if source[axis] < t.shape[axis] { return t[indices: source] }
                source[axis] -= t.shape[axis]
            }
            fatalError("LinalgReference.concatenate: index past the end")
        }
    }

    /// `result[…, i, …] = x[…, indices[i], …]` along `axis` (index select; rows when `axis` is 0).
    static func indexSelect(_ x: Tensor, axis: Int, _ indices: [Int]) -> Tensor {
        var shape = x.shape
        shape[axis] = indices.count
        return build(shape) { index in
            var source = index
            source[axis] = indices[index[axis]]
            return x[indices: source]
        }
    }

    /// `table[ids[i], …] += rows[i, …]` one element at a time, ids in order.
    static func scatterAddRows(_ ids: [Int], _ rows: Tensor, into table: inout Tensor) {
        let rowShape = Array(table.shape.dropFirst())
        let rows = rows.reshaped([ids.count] + rowShape)
        for (i, id) in ids.enumerated() {
            for flat in 0..<rowShape.reduce(1, *) {
                let within = unflatten(flat, rowShape)
                table[indices: [id] + within] += rows[indices: [i] + within]
            }
        }
    }

    /// `result[o…, i…] = x[o…, indices[flat(o…, i…)], i…]` with `axis` removed.
    static func gather(_ x: Tensor, axis: Int, _ indices: [Int]) -> Tensor {
        var shape = x.shape
        shape.remove(at: axis)
        return build(shape) { index in
            let flat = flatten(index, shape)
            var source = index
            source.insert(indices[flat], at: axis)
            return x[indices: source]
        }
    }

    /// The row-major offset of `index` in `shape`.
    static func flatten(_ index: [Int], _ shape: [Int]) -> Int {
        zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }
}
