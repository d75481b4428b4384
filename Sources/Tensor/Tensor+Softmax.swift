import Foundation

// Softmax and log-softmax along one axis.
//
// Both subtract the slice maximum before exponentiating, so no input overflows `exp`.
// The last axis is the fast path: rows in parallel, each row read twice (maximum, then
// exponentials and their sum) and scaled in place. Other axes go through the same
// `[outer, n, inner]` view as the reductions, vectorised across the `inner` columns.
// Each output element is computed by one thread in a fixed order, so results do not
// depend on `Threads.count`.

extension Tensor {
    /// Softmax along one axis: `yₖ = exp(xₖ − m) / Σᵢ exp(xᵢ − m)`, with `m = maxᵢ xᵢ`, as
    /// `torch.softmax(x, dim:)`.
    ///
    /// A slice that is all `−∞` gives NaN everywhere (`exp(−∞ − (−∞))`), as PyTorch does;
    /// so does a slice holding `+∞` or NaN. Masked attention should leave at least one
    /// finite score per row.
    ///
    /// - Parameter axis: the axis whose slices sum to 1 (default `-1`, the last); negative
    ///   values count from the end.
    /// - Returns: a tensor of the same shape as `self`.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        var out = Tensor(uninitializedShape: shape)
        softmax(alongAxis: axis, into: &out)
        return out
    }

    /// Writes ``softmax(alongAxis:)`` into `out`, which must have the shape of `self`.
    /// `out` may be a fresh copy of `self`'s value: the kernel works in place.
    public func softmax(alongAxis axis: Int = -1, into out: inout Tensor) {
        softmaxForm(logarithm: false, axis: axis, into: &out, "softmax(alongAxis:into:)")
    }

    /// Log-softmax along one axis: `yₖ = xₖ − m − log Σᵢ exp(xᵢ − m)`, as
    /// `torch.log_softmax(x, dim:)`. More accurate than `log(softmax(x))` for tiny
    /// probabilities. All-`−∞` slices give NaN, as PyTorch.
    ///
    /// - Parameter axis: the axis to normalise (default `-1`); negative values count from the end.
    /// - Returns: a tensor of the same shape as `self`.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        var out = Tensor(uninitializedShape: shape)
        logSoftmax(alongAxis: axis, into: &out)
        return out
    }

    /// Writes ``logSoftmax(alongAxis:)`` into `out`, which must have the shape of `self`.
    public func logSoftmax(alongAxis axis: Int = -1, into out: inout Tensor) {
        softmaxForm(logarithm: true, axis: axis, into: &out, "logSoftmax(alongAxis:into:)")
    }

    func softmaxForm(logarithm: Bool, axis: Int, into out: inout Tensor, _ operation: String) {
        let layout = ReductionLayout(shape: shape, axis: axis, operation)
        check(out.shape == shape,
              "\(operation): output shape \(describeShape(out.shape)) should equal the input shape \(describeShape(shape))")
        out.withUnsafeMutableBufferPointer { o in
            withUnsafeBufferPointer { x in
                guard x.count > 0 else { return }
                softmaxKernel(x.baseAddress!, o.baseAddress!, outer: layout.outer, n: layout.n,
                              inner: layout.inner, logarithm: logarithm)
            }
        }
    }
}

/// Elements per parallel chunk of softmax work (exp is costlier than a load, so smaller than
/// the reduction segment).
let softmaxGrain = 1 << 13

/// Softmax (or log-softmax) of `x` viewed as `[outer, n, inner]` along `n`, into `y`
/// (`y` may equal `x`).
func softmaxKernel(
    _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    outer: Int, n: Int, inner: Int, logarithm: Bool
) {
    guard n > 0 else { return }
    if inner == 1 {
        parallelChunks(total: outer, grain: Swift.max(1, softmaxGrain / n)) { _, rows in
            for r in rows { softmaxRow(x + r * n, y + r * n, n, logarithm: logarithm) }
        }
        return
    }
    let width = Swift.min(inner, reductionTileWidth)
    let tiles = (inner + width - 1) / width
    parallelChunks(total: outer * tiles, grain: Swift.max(1, softmaxGrain / (n * width))) { _, tasks in
        let maxima = UnsafeMutablePointer<Float>.allocate(capacity: width)
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: width)
        defer { maxima.deallocate(); sums.deallocate() }
        for t in tasks {
            let (o, tile) = t.quotientAndRemainder(dividingBy: tiles)
            let j0 = tile * width, w = Swift.min(width, inner - j0)
            let p = x + o * n * inner + j0, q = y + o * n * inner + j0
            softmaxColumns(p, q, rows: n, stride: inner, width: w, logarithm: logarithm, maxima, sums)
        }
    }
}

/// Softmax of one contiguous row of `n` elements.
@inline(__always)
func softmaxRow(_ p: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ n: Int, logarithm: Bool) {
    let m = Float(segmentExtreme(p, n, sign: 1))
    if logarithm {
        let logSum = Float(Foundation.log(shiftedExpSum(p, n, shift: m, storingInto: nil)))
        for i in 0..<n { q[i] = (p[i] - m) - logSum }  // not p − (m + logSum): keeps digits near m
    } else {
        let scale = Float(1 / shiftedExpSum(p, n, shift: m, storingInto: q))
        for i in 0..<n { q[i] *= scale }
    }
}

/// Softmax down `rows` rows (`stride` apart) for `width` contiguous columns at once.
func softmaxColumns(
    _ p: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>, rows: Int, stride: Int, width w: Int,
    logarithm: Bool, _ maxima: UnsafeMutablePointer<Float>, _ sums: UnsafeMutablePointer<Double>
) {
    maxima.update(repeating: -.infinity, count: w)
    for k in 0..<rows {
        let v = p + k * stride
        for j in 0..<w { let e = v[j]; maxima[j] = (e > maxima[j] || e != e) ? e : maxima[j] }
    }
    shiftedExpColumns(p, logarithm ? nil : q, rows: rows, stride: stride, width: w, shifts: maxima, sums: sums)
    if logarithm {
        for j in 0..<w { sums[j] = Foundation.log(sums[j]) }
        for k in 0..<rows {
            let v = p + k * stride, u = q + k * stride
            for j in 0..<w { u[j] = (v[j] - maxima[j]) - Float(sums[j]) }
        }
    } else {
        for j in 0..<w { maxima[j] = Float(1 / sums[j]) }  // reuse as scales
        for k in 0..<rows {
            let u = q + k * stride
            for j in 0..<w { u[j] *= maxima[j] }
        }
    }
}

// MARK: - Exponentials of shifted values

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inline(__always)
private func store8(_ v: SIMD8<Float>, _ q: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(q).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// `Σᵢ exp(p[i] − shift)` over `n` contiguous elements (lanes summed in `Float` within blocks of
/// 1024, blocks in `Double`); stores each exponential into `q` when given (`q` may equal `p`).
func shiftedExpSum(_ p: UnsafePointer<Float>, _ n: Int, shift: Float, storingInto q: UnsafeMutablePointer<Float>?) -> Double {
    let s = SIMD8<Float>(repeating: shift)
    var total = 0.0, i = 0
    while i < n {
        let end = Swift.min(n, i + 1024)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        while i + 16 <= end {
            let e0 = simdExp(load8(p + i) - s), e1 = simdExp(load8(p + i + 8) - s)
            if let q { store8(e0, q + i); store8(e1, q + i + 8) }
            a0 += e0; a1 += e1
            i += 16
        }
        if i < end {  // up to 15 left: pad with −∞, whose exponential is 0
            var x0 = SIMD8<Float>(repeating: -.infinity), x1 = x0
            for l in 0..<(end - i) { if l < 8 { x0[l] = p[i + l] - shift } else { x1[l - 8] = p[i + l] - shift } }
            let e0 = simdExp(x0), e1 = simdExp(x1)
            if let q { for l in 0..<(end - i) { q[i + l] = l < 8 ? e0[l] : e1[l - 8] } }
            a0 += e0; a1 += e1
            i = end
        }
        total += Double((a0 + a1).sum())
    }
    return total
}

/// For `rows` rows (`stride` apart) of `width` columns: `sums[j] = Σₖ exp(p[k, j] − shifts[j])`,
/// storing each exponential into `q` when given. Blocks of 64 rows are summed in `Float`,
/// blocks added in `Double`.
func shiftedExpColumns(
    _ p: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>?, rows: Int, stride: Int, width: Int,
    shifts: UnsafePointer<Float>, sums: UnsafeMutablePointer<Double>
) {
    sums.update(repeating: 0, count: width)
    let padded = (width + 7) & ~7
    let block = UnsafeMutablePointer<Float>.allocate(capacity: 2 * padded)  // block sums, padded shifts
    defer { block.deallocate() }
    let shift = block + padded
    shift.update(from: shifts, count: width)
    (shift + width).update(repeating: .infinity, count: padded - width)  // padding lanes: exp(−∞) = 0
    var k0 = 0
    while k0 < rows {
        block.update(repeating: 0, count: padded)
        for k in k0..<Swift.min(rows, k0 + 64) {
            let v = p + k * stride, u = q.map { $0 + k * stride }
            var j = 0
            while j < padded {
                var x: SIMD8<Float>
                if j + 8 <= width {
                    x = load8(v + j)
                } else {
                    x = SIMD8<Float>(repeating: 0)
                    for l in 0..<(width - j) { x[l] = v[j + l] }
                }
                let e = simdExp(x - load8(shift + j))
                store8(load8(block + j) + e, block + j)
                if let u {
                    if j + 8 <= width { store8(e, u + j) } else { for l in 0..<(width - j) { u[j + l] = e[l] } }
                }
                j += 8
            }
        }
        for j in 0..<width { sums[j] += Double(block[j]) }
        k0 += 64
    }
}
