import Tensor

// Shape operations: reshape, transpose and permute, squeeze and unsqueeze, broadcast,
// slices, concatenate/stack and split/chunk. Values are the Tensor methods'; each gradient is
// the inverse movement of `g` (reshape back, inverse permutation, sum over broadcast axes,
// zeros with `g` written into the slice). They capture shapes and indices, never tensors.

extension Variable {
    // MARK: Reshape

    /// The same elements viewed with another shape (`-1` in one place is inferred); no copy.
    /// Gradient: `g` reshaped to the input's shape.
    public func reshaped(_ newShape: [Int]) -> Variable {
        let y = value.reshaped(newShape)
        guard isTracked else { return Variable(y) }
        let shape = self.shape
        return Variable.record(y, inputs: [self]) { g in [g.reshaped(shape)] }
    }

    /// The same elements without axis `axis`, which must have size 1. Gradient: `g` reshaped back.
    public func squeezed(axis: Int) -> Variable { reshapedLike(value.squeezed(axis: axis)) }

    /// The same elements without any axis of size 1. Gradient: `g` reshaped back.
    public func squeezed() -> Variable { reshapedLike(value.squeezed()) }

    /// The same elements with a new axis of size 1 at position `axis` (in `-(rank + 1)...rank`).
    /// Gradient: `g` reshaped back.
    public func unsqueezed(axis: Int) -> Variable { reshapedLike(value.unsqueezed(axis: axis)) }

    /// Records `y`, a reshape of `self`.
    private func reshapedLike(_ y: Tensor) -> Variable {
        guard isTracked else { return Variable(y) }
        let shape = self.shape
        return Variable.record(y, inputs: [self]) { g in [g.reshaped(shape)] }
    }

    // MARK: Transpose and permute

    /// The transpose of a 2-D variable (a copy). Gradient: `gᵀ`.
    ///
    /// To multiply by a transpose, pass `transposeA`/`transposeB` to
    /// ``Variable/matmul(_:_:transposeA:transposeB:)`` instead.
    public func transposed() -> Variable {
        let y = value.transposed()
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [g.transposed()] }
    }

    /// A copy with axes `a` and `b` swapped. Gradient: `g` with the same axes swapped back.
    public func transposed(_ a: Int, _ b: Int) -> Variable {
        let y = value.transposed(a, b)
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [g.transposed(a, b)] }
    }

    /// A copy whose axis `i` is axis `axes[i]` of `self` (`torch.permute`). Gradient: `g`
    /// permuted by the inverse permutation.
    public func permuted(_ axes: [Int]) -> Variable {
        let y = value.permuted(axes)
        guard isTracked else { return Variable(y) }
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, axis) in axes.enumerated() { inverse[axis < 0 ? axis + axes.count : axis] = i }
        return Variable.record(y, inputs: [self]) { g in [g.permuted(inverse)] }
    }

    // MARK: Broadcast

    /// A copy repeated along size-1 (or missing leading) dimensions to fill `targetShape`
    /// (numpy broadcasting). Gradient: `g` summed over the repeated dimensions.
    public func expanded(to targetShape: [Int]) -> Variable {
        let y = value.expanded(to: targetShape)
        guard isTracked else { return Variable(y) }
        let shape = self.shape
        return Variable.record(y, inputs: [self]) { g in [reduceGradient(g, toShape: shape)] }
    }

    /// Same as ``expanded(to:)``.
    public func broadcast(to targetShape: [Int]) -> Variable { expanded(to: targetShape) }

    // MARK: Slices

    /// A copy of the elements whose index along `axis` lies in `range`. Gradient: zeros of the
    /// input's shape with `g` written at `range` along `axis`.
    ///
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    ///   - range: indices along `axis`, within `0..<shape[axis]`; partial ranges are allowed.
    public func slice(alongAxis axis: Int, _ range: some RangeExpression<Int>) -> Variable {
        let y = value.slice(alongAxis: axis, range)
        guard isTracked else { return Variable(y) }
        let a = axis < 0 ? axis + rank : axis
        let start = range.relative(to: 0..<shape[a]).lowerBound
        return placing(y, alongAxis: a, start: start)
    }

    /// The elements at `index` along `axis`, with that axis removed. Gradient: zeros of the
    /// input's shape with `g` written at `index`.
    ///
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    ///   - index: in `-shape[axis]..<shape[axis]`; negative counts from the end.
    public func select(alongAxis axis: Int, index: Int) -> Variable {
        let y = value.select(alongAxis: axis, index: index)
        guard isTracked else { return Variable(y) }
        let a = axis < 0 ? axis + rank : axis
        let i = index < 0 ? index + shape[a] : index
        var kept = shape
        kept[a] = 1
        return placing(y, alongAxis: a, start: i, gradientShape: kept)
    }

    /// Records `y`, the part of `self` starting at `start` along the resolved `axis`; its
    /// gradient (reshaped to `gradientShape` when given) is written into zeros.
    private func placing(_ y: Tensor, alongAxis axis: Int, start: Int, gradientShape: [Int]? = nil) -> Variable {
        let shape = self.shape
        return Variable.record(y, inputs: [self]) { g in
            var dx = Tensor.zeros(shape)
            dx.replaceSlice(alongAxis: axis, start: start, with: gradientShape.map { g.reshaped($0) } ?? g)
            return [dx]
        }
    }

    // MARK: Concatenate, stack, split

    /// Joins `variables` end to end along `axis` (shapes equal elsewhere). Gradient: the slice
    /// of `g` each input occupies.
    ///
    /// - Parameters:
    ///   - variables: at least one, all of the same rank.
    ///   - axis: in `-rank..<rank`; negative counts from the end. Default 0.
    public static func concatenate(_ variables: [Variable], alongAxis axis: Int = 0) -> Variable {
        let y = Tensor.concatenate(variables.map(\.value), alongAxis: axis)
        guard variables.contains(where: \.isTracked) else { return Variable(y) }
        let a = axis < 0 ? axis + y.rank : axis
        var starts: [Int] = [], offset = 0
        for v in variables { starts.append(offset); offset += v.shape[a] }
        let pieces = variables.enumerated().map { (i, v) in v.isTracked ? starts[i]..<(starts[i] + v.shape[a]) : nil }
        return record(y, inputs: variables) { g in
            pieces.map { range in range.map { g.slice(alongAxis: a, $0) } }
        }
    }

    /// Joins same-shaped `variables` along a new axis at position `axis` (in
    /// `-(rank + 1)...rank`). Gradient: `g` selected at each input's index along that axis.
    public static func stack(_ variables: [Variable], alongAxis axis: Int = 0) -> Variable {
        let y = Tensor.stack(variables.map(\.value), alongAxis: axis)
        guard variables.contains(where: \.isTracked) else { return Variable(y) }
        let a = axis < 0 ? axis + y.rank : axis
        let tracked = variables.map(\.isTracked)
        return record(y, inputs: variables) { g in
            tracked.indices.map { tracked[$0] ? g.select(alongAxis: a, index: $0) : nil }
        }
    }

    /// Cuts `self` along `axis` into consecutive pieces of the given sizes (copies), each
    /// recorded as a slice: its gradient is zeros with `g` written where the piece was.
    ///
    /// - Parameters:
    ///   - axis: in `-rank..<rank`; negative counts from the end.
    ///   - sizes: non-negative lengths summing to `shape[axis]`.
    public func split(alongAxis axis: Int, sizes: [Int]) -> [Variable] {
        let pieces = value.split(alongAxis: axis, sizes: sizes)
        guard isTracked else { return pieces.map { Variable($0) } }
        let a = axis < 0 ? axis + rank : axis
        var start = 0
        return zip(pieces, sizes).map { piece, size in
            defer { start += size }
            return placing(piece, alongAxis: a, start: start)
        }
    }

    /// Cuts `self` along `axis` into `n` consecutive pieces whose sizes differ by at most one,
    /// the larger ones first (as `Tensor.chunked(into:alongAxis:)`). Gradients as ``split(alongAxis:sizes:)``.
    public func chunked(into n: Int, alongAxis axis: Int) -> [Variable] {
        let a = axis < 0 ? axis + rank : axis
        check(n >= 1 && a >= 0 && a < rank,
              "chunked(into: \(n), alongAxis: \(axis)): needs at least one piece and an axis in \(-rank)..<\(rank) for shape \(describeShape(shape))")
        let (base, extra) = shape[a].quotientAndRemainder(dividingBy: n)
        return split(alongAxis: a, sizes: (0..<n).map { base + ($0 < extra ? 1 : 0) })
    }
}
