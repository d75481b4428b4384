// Shape operations that move elements: transpose, permute, squeeze/unsqueeze, broadcast.
//
// Every materialising op here is one call to `stridedCopy`, which reads a strided view of the
// source and writes a contiguous row-major result. It merges dimensions that stay adjacent,
// then picks the fastest inner loop: a `memcpy` run, a fill (broadcast), or a cache-blocked
// 2-D transpose when the source's contiguous axis is not the result's last axis.

extension Tensor {
    // MARK: Transpose and permute

    /// The transpose of a 2-D tensor: `result[j, i] = self[i, j]`, shape `[n, m]` for `[m, n]`.
    ///
    /// A copy made with a cache-blocked kernel. To multiply by a transpose, pass
    /// `transposeA`/`transposeB` to ``matmul(_:_:transposeA:transposeB:)`` instead.
    public func transposed() -> Tensor {
        check(rank == 2, "transposed(): needs a 2-D tensor, got shape \(describeShape(shape)); use transposed(_:_:) to swap two axes")
        return permuted([1, 0])
    }

    /// A copy with axes `a` and `b` swapped (negative axes count from the end).
    ///
    /// `x.transposed(-1, -2)` on `[batch, heads, T, d]` gives `[batch, heads, d, T]`.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        let a = canonicalAxis(a, rank: rank, operation: "transposed(_:_:)", shape: shape)
        let b = canonicalAxis(b, rank: rank, operation: "transposed(_:_:)", shape: shape)
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return permuted(axes)
    }

    /// A copy whose axis `i` is axis `axes[i]` of `self`, as `torch.permute` / `numpy.transpose`:
    /// `result.shape[i] == shape[axes[i]]`.
    ///
    /// - Parameter axes: a permutation of `0..<rank`; negative entries count from the end.
    ///   `[0, 2, 1, 3]` turns `[batch, T, heads, d]` into `[batch, heads, T, d]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        check(axes.count == rank,
              "permuted: \(axes.count) axes \(describeShape(axes)) for a tensor of shape \(describeShape(shape))")
        let resolved = axes.map { canonicalAxis($0, rank: rank, operation: "permuted", shape: shape) }
        check(Set(resolved).count == rank,
              "permuted: axes \(describeShape(axes)) are not a permutation of 0..<\(rank) (shape \(describeShape(shape)))")
        if resolved == Array(0..<rank) { return self }
        let strides = Tensor.rowMajorStrides(shape)
        let outShape = resolved.map { shape[$0] }
        let outStrides = resolved.map { strides[$0] }
        var result = Tensor(uninitializedShape: outShape)
        let source = storage.pointer
        result.withUnsafeMutableBufferPointer { out in
            stridedCopy(from: source, strides: outStrides, shape: outShape, to: out.baseAddress!)
        }
        return result
    }

    // MARK: Squeeze and unsqueeze (no copy)

    /// The same elements without axis `axis`, which must have size 1. Shares storage.
    ///
    /// - Parameter axis: in `-rank..<rank`; negative counts from the end.
    public func squeezed(axis: Int) -> Tensor {
        let a = canonicalAxis(axis, rank: rank, operation: "squeezed(axis:)", shape: shape)
        check(shape[a] == 1, "squeezed(axis: \(axis)): axis \(a) of shape \(describeShape(shape)) has size \(shape[a]), not 1")
        var newShape = shape
        newShape.remove(at: a)
        return reshaped(newShape)
    }

    /// The same elements without any axis of size 1 (`[1, 3, 1]` → `[3]`). Shares storage.
    public func squeezed() -> Tensor {
        reshaped(shape.filter { $0 != 1 })
    }

    /// The same elements with a new axis of size 1 at position `axis`. Shares storage.
    ///
    /// - Parameter axis: the new axis' position in the result, in `-(rank + 1)...rank`;
    ///   negative counts from the end of the result, so `-1` appends (as `torch.unsqueeze`).
    public func unsqueezed(axis: Int) -> Tensor {
        let a = canonicalAxis(axis, rank: rank + 1, operation: "unsqueezed(axis:)", shape: shape)
        var newShape = shape
        newShape.insert(1, at: a)
        return reshaped(newShape)
    }

    // MARK: Broadcast (materialised)

    /// A copy of `self` repeated along its size-1 (or missing leading) dimensions to fill
    /// `targetShape`, by numpy's broadcasting rule: `[3, 1]` expands to `[2, 3, 4]`.
    ///
    /// Stops with a message naming both shapes when `self` does not broadcast to `targetShape`.
    public func expanded(to targetShape: [Int]) -> Tensor {
        check(targetShape.count >= rank,
              "expanded(to:): shape \(describeShape(shape)) has more dimensions than the target \(describeShape(targetShape))")
        for i in 0..<rank {
            let d = shape[i], t = targetShape[i + targetShape.count - rank]
            check(d == t || d == 1,
                  "expanded(to:): shape \(describeShape(shape)) does not broadcast to \(describeShape(targetShape)) (dimension \(i): \(d) vs \(t))")
        }
        if targetShape == shape { return self }
        let strides = Tensor.broadcastStrides(of: shape, toRank: targetShape.count, resultShape: targetShape)
        var result = Tensor(uninitializedShape: targetShape)
        let source = storage.pointer
        result.withUnsafeMutableBufferPointer { out in
            stridedCopy(from: source, strides: strides, shape: targetShape, to: out.baseAddress!)
        }
        return result
    }

    /// Same as ``expanded(to:)``.
    public func broadcast(to targetShape: [Int]) -> Tensor { expanded(to: targetShape) }

    // MARK: Helpers

    /// Row-major strides (in elements) of a contiguous tensor of `shape`.
    static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = step
            step *= shape[i]
        }
        return strides
    }
}

/// Resolves a possibly negative `axis` into `0..<rank`; stops naming the operation and shape.
func canonicalAxis(_ axis: Int, rank: Int, operation: String, shape: [Int]) -> Int {
    let a = axis < 0 ? axis + rank : axis
    check(a >= 0 && a < rank,
          "\(operation): axis \(axis) is out of range for shape \(describeShape(shape)) (valid: \(-rank)..<\(rank))")
    return a
}

// MARK: - Strided copy kernel

/// Writes the strided view `(source, strides, shape)` into `destination` as a contiguous
/// row-major array of `shape`: `destination[flat(i)] = source[Σ i_d·strides[d]]`.
///
/// Strides may be 0 (broadcast). Size-1 dimensions are dropped and dimensions that are
/// adjacent in memory are merged first; then the inner loop is a `memcpy` (inner stride 1),
/// a fill (inner stride 0), a blocked transpose (another axis has stride 1) or a plain strided
/// loop. Outer iterations run in parallel chunks; each writes its own part of `destination`.
func stridedCopy(
    from source: UnsafePointer<Float>, strides: [Int], shape: [Int],
    to destination: UnsafeMutablePointer<Float>
) {
    if shape.contains(0) { return }
    // Drop size-1 dimensions, then merge dimension d into d+1 when they are adjacent in memory.
    var dims: [Int] = [], steps: [Int] = []
    for (d, s) in zip(shape, strides) where d != 1 {
        if let last = dims.last, steps.last! == s * d {
            dims[dims.count - 1] = last * d
            steps[steps.count - 1] = s
        } else {
            dims.append(d)
            steps.append(s)
        }
    }
    if dims.isEmpty {
        destination[0] = source[0]
        return
    }
    let n = dims.count
    let innerCount = dims[n - 1], innerStride = steps[n - 1]
    let outStrides = Tensor.rowMajorStrides(dims)

    // A transposed pair: the source's unit-stride axis `t` is not the last one. Then the
    // work item is a 2-D block over (up to 64 indices of t) × (the last axis), and the loop
    // runs over the other axes and over t's blocks — so one big 2-D transpose is parallel too.
    let transposeAxis = innerStride == 1 || innerStride == 0 ? nil : steps[..<(n - 1)].lastIndex(of: 1)
    let columnBlock = 64
    var outerAxes = Array(0..<(n - 1))
    if let t = transposeAxis { outerAxes.removeAll { $0 == t } }
    var outerDims = outerAxes.map { dims[$0] }
    var sourceSteps = outerAxes.map { steps[$0] }
    var destinationSteps = outerAxes.map { outStrides[$0] }
    if let t = transposeAxis {
        outerDims.append((dims[t] + columnBlock - 1) / columnBlock)
        sourceSteps.append(columnBlock)
        destinationSteps.append(columnBlock * outStrides[t])
    }
    let outerCount = outerDims.reduce(1, *)
    let itemSize = transposeAxis.map { innerCount * min(columnBlock, dims[$0]) } ?? innerCount
    let grain = max(1, elementwiseGrain / max(1, itemSize))

    parallelChunks(total: outerCount, grain: grain) { _, range in
        // Odometer over the outer axes, started at range.lowerBound.
        var index = [Int](repeating: 0, count: outerDims.count)
        var rest = range.lowerBound
        for j in stride(from: outerDims.count - 1, through: 0, by: -1) {
            index[j] = rest % outerDims[j]
            rest /= outerDims[j]
        }
        for _ in range {
            var src = 0, dst = 0
            for j in 0..<outerDims.count {
                src += index[j] * sourceSteps[j]
                dst += index[j] * destinationSteps[j]
            }
            let s = source + src, o = destination + dst
            if let t = transposeAxis {
                // Source block: rows along the last axis (stride innerStride), columns along t
                // (stride 1). Destination: last axis has stride 1, t has stride outStrides[t].
                let columns = min(columnBlock, dims[t] - index[outerDims.count - 1] * columnBlock)
                transposeBlocked(s, rowStride: innerStride, rows: innerCount, columns: columns,
                                 into: o, destinationRowStride: outStrides[t])
            } else if innerStride == 1 {
                o.update(from: s, count: innerCount)
            } else if innerStride == 0 {
                o.update(repeating: s[0], count: innerCount)
            } else {
                for i in 0..<innerCount { o[i] = s[i * innerStride] }
            }
            // Advance the odometer.
            var j = outerDims.count - 1
            while j >= 0 {
                index[j] += 1
                if index[j] < outerDims[j] { break }
                index[j] = 0
                j -= 1
            }
        }
    }
}

/// Cache-blocked transpose: `destination[c·destinationRowStride + r] = source[r·rowStride + c]`
/// for `r < rows`, `c < columns` (the source rows have unit-stride columns).
///
/// Walks 16×16 tiles, each as four 8×8 blocks transposed in registers (``transpose8x8``), so
/// every source and destination cache line is used whole while it is in L1 — also for
/// power-of-two strides, where taller tiles would evict each other. Edges go element by element.
func transposeBlocked(
    _ source: UnsafePointer<Float>, rowStride: Int, rows: Int, columns: Int,
    into destination: UnsafeMutablePointer<Float>, destinationRowStride: Int
) {
    let tile = 16
    let fullRows = rows & ~7, fullColumns = columns & ~7
    var r0 = 0
    while r0 < fullRows {
        let r1 = min(fullRows, r0 + tile)
        var c0 = 0
        while c0 < fullColumns {
            let c1 = min(fullColumns, c0 + tile)
            var c = c0
            while c < c1 {
                var r = r0
                while r < r1 {
                    transpose8x8(source + r * rowStride + c, rowStride: rowStride,
                                 into: destination + c * destinationRowStride + r, destinationRowStride: destinationRowStride)
                    r += 8
                }
                c += 8
            }
            c0 = c1
        }
        r0 = r1
    }
    // Right edge (columns ≥ fullColumns) for the full rows, then the bottom rows.
    for c in fullColumns..<columns {
        let out = destination + c * destinationRowStride
        for r in 0..<fullRows { out[r] = source[r * rowStride + c] }
    }
    for c in 0..<columns {
        let out = destination + c * destinationRowStride
        for r in fullRows..<rows { out[r] = source[r * rowStride + c] }
    }
}

/// Transposes one 8×8 block held in eight `SIMD8` registers.
///
/// Three rounds of "evens of two rows, then odds of two rows": each rotates the 6-bit address
/// (row bits, column bits) of every element right by one bit, so three rounds swap row and
/// column bits — the transpose — using only shuffles.
@inline(__always)
func transpose8x8(
    _ source: UnsafePointer<Float>, rowStride: Int,
    into destination: UnsafeMutablePointer<Float>, destinationRowStride: Int
) {
    let raw = UnsafeRawPointer(source)
    let stride = rowStride * MemoryLayout<Float>.stride
    var v0 = raw.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self)
    var v1 = raw.loadUnaligned(fromByteOffset: stride, as: SIMD8<Float>.self)
    var v2 = raw.loadUnaligned(fromByteOffset: 2 * stride, as: SIMD8<Float>.self)
    var v3 = raw.loadUnaligned(fromByteOffset: 3 * stride, as: SIMD8<Float>.self)
    var v4 = raw.loadUnaligned(fromByteOffset: 4 * stride, as: SIMD8<Float>.self)
    var v5 = raw.loadUnaligned(fromByteOffset: 5 * stride, as: SIMD8<Float>.self)
    var v6 = raw.loadUnaligned(fromByteOffset: 6 * stride, as: SIMD8<Float>.self)
    var v7 = raw.loadUnaligned(fromByteOffset: 7 * stride, as: SIMD8<Float>.self)
    for _ in 0..<3 {
        (v0, v1, v2, v3, v4, v5, v6, v7) = (
            SIMD8(lowHalf: v0.evenHalf, highHalf: v1.evenHalf), SIMD8(lowHalf: v2.evenHalf, highHalf: v3.evenHalf),
            SIMD8(lowHalf: v4.evenHalf, highHalf: v5.evenHalf), SIMD8(lowHalf: v6.evenHalf, highHalf: v7.evenHalf),
            SIMD8(lowHalf: v0.oddHalf, highHalf: v1.oddHalf), SIMD8(lowHalf: v2.oddHalf, highHalf: v3.oddHalf),
            SIMD8(lowHalf: v4.oddHalf, highHalf: v5.oddHalf), SIMD8(lowHalf: v6.oddHalf, highHalf: v7.oddHalf))
    }
    let out = UnsafeMutableRawPointer(destination)
    let outStride = destinationRowStride * MemoryLayout<Float>.stride
    out.storeBytes(of: v0, toByteOffset: 0, as: SIMD8<Float>.self)
    out.storeBytes(of: v1, toByteOffset: outStride, as: SIMD8<Float>.self)
    out.storeBytes(of: v2, toByteOffset: 2 * outStride, as: SIMD8<Float>.self)
    out.storeBytes(of: v3, toByteOffset: 3 * outStride, as: SIMD8<Float>.self)
    out.storeBytes(of: v4, toByteOffset: 4 * outStride, as: SIMD8<Float>.self)
    out.storeBytes(of: v5, toByteOffset: 5 * outStride, as: SIMD8<Float>.self)
    out.storeBytes(of: v6, toByteOffset: 6 * outStride, as: SIMD8<Float>.self)
    out.storeBytes(of: v7, toByteOffset: 7 * outStride, as: SIMD8<Float>.self)
}
