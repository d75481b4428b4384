import Foundation

// Reductions: sum, mean, maximum, minimum, argmax, argmin, logSumExp, variance — along one
// axis, several axes, or over all elements.
//
// Every kernel views the input as `[outer, n, inner]` around the reduced axis. Rows
// (`inner == 1`, the reduced axis is contiguous) are cut into fixed segments of
// `reductionSegment` elements; columns (`inner > 1`) are cut into tiles of at most
// `reductionTileWidth` columns by `reductionSegment / width` rows, accumulated one row vector
// at a time. Each segment or tile yields a partial result in `Double`, and partials are
// combined in segment order. Segment boundaries depend only on the shape, so results are
// bitwise identical for any `Threads.count`.
//
// The reductions named `maximum`/`minimum` (not `max`/`min`): a method called `max` on
// `Tensor` would hide `Swift.max(_:_:)` inside every `extension Tensor` of the module.

extension Tensor {
    // MARK: Sum and mean

    /// Sum along one axis: `out[…, …] = Σₖ self[…, k, …]`, accumulated in `Double`.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end (`-1` is the last).
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`: drop it).
    /// - Returns: `shape` without `axis` (or with `shape[axis] = 1`). The sum of an empty axis is 0.
    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        reduced(.sum, axis: axis, keepingDimensions: keepingDimensions, "sum(alongAxis:)")
    }

    /// Sum along several axes (each may be negative; duplicates are an error), as `torch.sum(dim:)`.
    /// Adjacent axes are reduced together in one pass. An empty list returns `self` unchanged
    /// (`torch.sum(dim=[])` would sum everything: use ``sum()`` for that).
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        reduced(.sum, axes: axes, keepingDimensions: keepingDimensions, "sum(alongAxes:)")
    }

    /// Sum of all elements as a scalar tensor (shape `[]`); 0 for an empty tensor.
    public func sum() -> Tensor { reducedAll(.sum, "sum()") }

    /// Writes the sum along `axis` into `out`, whose shape must be the result shape with or
    /// without the reduced axis (`[…, 1, …]` or `[…, …]`). Allocates nothing for `inner == 1`
    /// and small column reductions.
    public func sum(alongAxis axis: Int, into out: inout Tensor) {
        reduce(.sum, axis: axis, into: &out, "sum(alongAxis:into:)")
    }

    /// Mean along one axis: `Σₖ x[…, k, …] / n`. The mean of an empty axis is NaN (0 / 0), as in PyTorch.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        reduced(.mean, axis: axis, keepingDimensions: keepingDimensions, "mean(alongAxis:)")
    }

    /// Mean along several axes: the sum over them divided by the product of their extents.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        reduced(.mean, axes: axes, keepingDimensions: keepingDimensions, "mean(alongAxes:)")
    }

    /// Mean of all elements as a scalar tensor (shape `[]`); NaN for an empty tensor.
    public func mean() -> Tensor { reducedAll(.mean, "mean()") }

    /// Writes the mean along `axis` into `out` (shape as for ``sum(alongAxis:into:)``).
    public func mean(alongAxis axis: Int, into out: inout Tensor) {
        reduce(.mean, axis: axis, into: &out, "mean(alongAxis:into:)")
    }

    // MARK: Extremes

    /// Largest value along one axis, as `torch.amax`. NaN propagates: a slice holding a NaN
    /// gives NaN. Stops with a message when the axis is empty.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func maximum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        reduced(.maximum, axis: axis, keepingDimensions: keepingDimensions, "maximum(alongAxis:)")
    }

    /// Largest element as a scalar tensor; NaN if any element is NaN; stops on an empty tensor.
    public func maximum() -> Tensor { reducedAll(.maximum, "maximum()") }

    /// Smallest value along one axis, as `torch.amin`; NaN propagates; stops on an empty axis.
    public func minimum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        reduced(.minimum, axis: axis, keepingDimensions: keepingDimensions, "minimum(alongAxis:)")
    }

    /// Smallest element as a scalar tensor; NaN if any element is NaN; stops on an empty tensor.
    public func minimum() -> Tensor { reducedAll(.minimum, "minimum()") }

    // MARK: logSumExp and variance

    /// `log Σₖ exp(x[…, k, …])` along one axis, computed stably as `m + log Σₖ exp(xₖ − m)` with
    /// `m` the slice maximum (sum in `Double`).
    ///
    /// An all-`−∞` slice (and an empty axis) gives `−∞`; a slice holding `+∞` gives `+∞`; NaN propagates.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func logSumExp(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        reduced(.logSumExp, axis: axis, keepingDimensions: keepingDimensions, "logSumExp(alongAxis:)")
    }

    /// `log Σ exp(x)` over all elements, as a scalar tensor (stable; see ``logSumExp(alongAxis:keepingDimensions:)``).
    public func logSumExp() -> Tensor { reducedAll(.logSumExp, "logSumExp()") }

    /// Variance along one axis: `Σₖ (xₖ − x̄)² / max(0, n − correction)`, as `torch.var(dim:correction:)`.
    ///
    /// Two passes in `Double` (mean, then squared deviations), so a large common offset does
    /// not cancel. `n − correction ≤ 0` divides by 0 (NaN for a zero sum), as PyTorch does.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - correction: 0 (default) for the population variance, 1 for the unbiased estimate.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func variance(alongAxis axis: Int, correction: Int = 0, keepingDimensions: Bool = false) -> Tensor {
        reduced(.variance(correction: correction), axis: axis, keepingDimensions: keepingDimensions,
                "variance(alongAxis:)")
    }

    /// Variance of all elements (`correction` as in ``variance(alongAxis:correction:keepingDimensions:)``).
    public func variance(correction: Int = 0) -> Tensor { reducedAll(.variance(correction: correction), "variance(correction:)") }

    // MARK: Arguments of extremes

    /// Index of the largest value along one axis, as a `Float` (exact below 2²⁴).
    ///
    /// Ties give the first occurrence; a NaN counts as larger than everything, so a slice
    /// holding NaN gives the index of its first NaN (numpy and PyTorch do the same). Stops on
    /// an empty axis.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func argmax(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        argExtreme(sign: 1, axis: axis, keepingDimensions: keepingDimensions, "argmax(alongAxis:)")
    }

    /// Row-major flat index of the largest element (first on ties, first NaN wins), shape `[]`.
    public func argmax() -> Tensor {
        reshaped([count]).argExtreme(sign: 1, axis: 0, keepingDimensions: false, "argmax()")
    }

    /// Index of the smallest value along one axis (first on ties; first NaN wins), as a `Float`.
    public func argmin(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        argExtreme(sign: -1, axis: axis, keepingDimensions: keepingDimensions, "argmin(alongAxis:)")
    }

    /// Row-major flat index of the smallest element (first on ties, first NaN wins), shape `[]`.
    public func argmin() -> Tensor {
        reshaped([count]).argExtreme(sign: -1, axis: 0, keepingDimensions: false, "argmin()")
    }
}

// MARK: - Plumbing

/// What a reduction computes per output element.
enum ReductionKind {
    case sum, mean, maximum, minimum, logSumExp
    case variance(correction: Int)
}

/// A tensor shape seen as `[outer, n, inner]` around one reduced axis.
struct ReductionLayout {
    let shape: [Int]
    let axis: Int
    let outer: Int, n: Int, inner: Int

    /// Normalises `axis` (negative counts from the end; a scalar accepts 0 and −1) and stops
    /// with a message naming the shape when it is out of range.
    init(shape: [Int], axis: Int, _ operation: String) {
        let span = max(shape.count, 1)
        check(axis >= -span && axis < span,
              "\(operation): axis \(axis) is out of range for shape \(describeShape(shape)) (valid axes \(-span)..<\(span))")
        self.shape = shape
        self.axis = axis < 0 ? axis + span : axis
        if shape.isEmpty {
            (outer, n, inner) = (1, 1, 1)
        } else {
            outer = shape[..<self.axis].reduce(1, *)
            n = shape[self.axis]
            inner = shape[(self.axis + 1)...].reduce(1, *)
        }
    }

    /// All elements as one row.
    init(allOf shape: [Int]) {
        self.shape = shape
        axis = 0
        (outer, n, inner) = (1, Tensor.elementCount(shape), 1)
    }

    func resultShape(keepingDimensions: Bool) -> [Int] {
        guard !shape.isEmpty else { return [] }
        var result = shape
        if keepingDimensions { result[axis] = 1 } else { result.remove(at: axis) }
        return result
    }
}

extension Tensor {
    func reduced(_ kind: ReductionKind, axis: Int, keepingDimensions: Bool, _ operation: String) -> Tensor {
        let layout = ReductionLayout(shape: shape, axis: axis, operation)
        var out = Tensor(uninitializedShape: layout.resultShape(keepingDimensions: keepingDimensions))
        out.withUnsafeMutableBufferPointer { o in
            withUnsafeBufferPointer { x in runReduction(kind, x.baseAddress!, layout, o.baseAddress!, operation) }
        }
        return out
    }

    func reducedAll(_ kind: ReductionKind, _ operation: String) -> Tensor {
        let layout = ReductionLayout(allOf: shape)
        var out = Tensor(uninitializedShape: [])
        out.withUnsafeMutableBufferPointer { o in
            withUnsafeBufferPointer { x in runReduction(kind, x.baseAddress!, layout, o.baseAddress!, operation) }
        }
        return out
    }

    func reduce(_ kind: ReductionKind, axis: Int, into out: inout Tensor, _ operation: String) {
        let layout = ReductionLayout(shape: shape, axis: axis, operation)
        let dropped = layout.resultShape(keepingDimensions: false), kept = layout.resultShape(keepingDimensions: true)
        check(out.shape == dropped || out.shape == kept,
              "\(operation): output shape \(describeShape(out.shape)) should be \(describeShape(dropped)) or \(describeShape(kept)) for input \(describeShape(shape)) reduced along axis \(axis)")
        out.withUnsafeMutableBufferPointer { o in
            withUnsafeBufferPointer { x in runReduction(kind, x.baseAddress!, layout, o.baseAddress!, operation) }
        }
    }

    /// Several axes: adjacent axes are merged by reshaping, groups are reduced last to first.
    func reduced(_ kind: ReductionKind, axes: [Int], keepingDimensions: Bool, _ operation: String) -> Tensor {
        let normalized = axes.map { ReductionLayout(shape: shape, axis: $0, operation).axis }.sorted()
        check(Set(normalized).count == normalized.count,
              "\(operation): axes \(axes) repeat an axis of shape \(describeShape(shape))")
        guard !normalized.isEmpty, rank > 0 else { return self }
        var finalShape = shape
        for a in normalized.reversed() {
            if keepingDimensions { finalShape[a] = 1 } else { finalShape.remove(at: a) }
        }
        var current = self, currentShape = shape
        var i = normalized.count - 1
        while i >= 0 {
            var first = i
            while first > 0 && normalized[first - 1] == normalized[first] - 1 { first -= 1 }
            let lo = normalized[first], hi = normalized[i]
            let merged = Array(currentShape[..<lo]) + [currentShape[lo...hi].reduce(1, *)] + Array(currentShape[(hi + 1)...])
            current = current.reshaped(merged).reduced(kind, axis: lo, keepingDimensions: true, operation)
            currentShape = Array(currentShape[..<lo]) + [Int](repeating: 1, count: hi - lo + 1) + Array(currentShape[(hi + 1)...])
            i = first - 1
        }
        return current.reshaped(finalShape)
    }

    func argExtreme(sign: Float, axis: Int, keepingDimensions: Bool, _ operation: String) -> Tensor {
        let layout = ReductionLayout(shape: shape, axis: axis, operation)
        let (outer, n, inner) = (layout.outer, layout.n, layout.inner)
        check(n > 0 || outer * inner == 0, "\(operation): cannot reduce an empty axis of shape \(describeShape(shape))")
        check(n <= 1 << 24, "\(operation): axis length \(n) of shape \(describeShape(shape)) exceeds 2^24; indices would not be exact in Float")
        var out = Tensor(uninitializedShape: layout.resultShape(keepingDimensions: keepingDimensions))
        out.withUnsafeMutableBufferPointer { o in
            withUnsafeBufferPointer { x in
                argExtremeKernel(x.baseAddress!, outer: outer, n: n, inner: inner, sign: sign, o.baseAddress!)
            }
        }
        return out
    }
}

// MARK: - Kernels

/// Elements per segment (rows) or per tile (columns); fixed, so results never depend on threads.
let reductionSegment = 1 << 15
/// Widest column tile of a strided (`inner > 1`) reduction.
let reductionTileWidth = 1024

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

/// `b` if it is larger than `a` or NaN, else `a`: a maximum that propagates NaN.
@inline(__always) private func nanPropagatingMax(_ a: Double, _ b: Double) -> Double { (b > a || b.isNaN) ? b : a }

/// Σ p[0..<n]: float SIMD lanes within blocks of 1024 elements, blocks added in `Double`.
@inline(__always)
private func segmentSum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
    var total = 0.0, i = 0
    while i < n {
        let end = Swift.min(n, i + 1024)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        while i + 32 <= end {
            a0 += load8(p + i); a1 += load8(p + i + 8); a2 += load8(p + i + 16); a3 += load8(p + i + 24)
            i += 32
        }
        while i + 8 <= end { a0 += load8(p + i); i += 8 }
        var block = Double(((a0 + a1) + (a2 + a3)).sum())
        while i < end { block += Double(p[i]); i += 1 }
        total += block
    }
    return total
}

/// max over `sign · p[0..<n]` (NaN-propagating), −∞ when empty.
@inline(__always)
func segmentExtreme(_ p: UnsafePointer<Float>, _ n: Int, sign: Float) -> Double {
    let s = SIMD8<Float>(repeating: sign)
    var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0, m2 = m0, m3 = m0
    var nan = SIMDMask<SIMD8<Int32>>(repeating: false)  // NaN seen, kept off the max chains
    var i = 0
    while i + 32 <= n {
        let a = s * load8(p + i), b = s * load8(p + i + 8), c = s * load8(p + i + 16), d = s * load8(p + i + 24)
        m0.replace(with: a, where: a .> m0); m1.replace(with: b, where: b .> m1)
        m2.replace(with: c, where: c .> m2); m3.replace(with: d, where: d .> m3)
        nan .|= (a .!= a) .| (b .!= b) .| (c .!= c) .| (d .!= d)
        i += 32
    }
    if any(nan) { return .nan }
    m0.replace(with: m1, where: m1 .> m0); m2.replace(with: m3, where: m3 .> m2); m0.replace(with: m2, where: m2 .> m0)
    var m = Double(m0.max())
    while i < n { m = nanPropagatingMax(m, Double(sign * p[i])); i += 1 }
    return m
}

/// Reduces `x` viewed as `[outer, n, inner]` into `result[outer · inner]` (Double).
///
/// - `row(outputIndex, start, count)` reduces a contiguous segment (used when `inner == 1`).
/// - `columns(outputOffset, start, rows, stride, width, acc)` folds `rows` row vectors of
///   `width` columns (rows `stride` apart) into `acc[0..<width]`, preset to `identity`.
/// - `combine` merges partials of consecutive segments, in segment order.
func accumulateAlongAxis(
    _ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
    into result: UnsafeMutablePointer<Double>, identity: Double,
    combine: (Double, Double) -> Double,
    row: (_ output: Int, _ start: UnsafePointer<Float>, _ count: Int) -> Double,
    columns: (_ outputOffset: Int, _ start: UnsafePointer<Float>, _ rows: Int, _ stride: Int, _ width: Int,
              _ acc: UnsafeMutablePointer<Double>) -> Void
) {
    let outputs = outer * inner
    guard outputs > 0 else { return }
    if inner == 1 {
        let segments = Swift.max(1, (n + reductionSegment - 1) / reductionSegment)
        if segments == 1 {
            parallelChunks(total: outer, grain: Swift.max(1, reductionSegment / Swift.max(n, 1))) { _, rows in
                for r in rows { result[r] = row(r, x + r * n, n) }
            }
            return
        }
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: outer * segments)
        defer { partial.deallocate() }
        parallelChunks(total: outer * segments, grain: 1) { _, tasks in
            for t in tasks {
                let (r, s) = t.quotientAndRemainder(dividingBy: segments)
                let start = s * reductionSegment
                partial[t] = row(r, x + r * n + start, Swift.min(n - start, reductionSegment))
            }
        }
        for r in 0..<outer {
            var acc = partial[r * segments]
            for s in 1..<segments { acc = combine(acc, partial[r * segments + s]) }
            result[r] = acc
        }
        return
    }
    let width = Swift.min(inner, reductionTileWidth)
    let tiles = (inner + width - 1) / width
    let tileRows = Swift.max(1, reductionSegment / width)
    let segments = Swift.max(1, (n + tileRows - 1) / tileRows)
    // Segment partials live in `partial[outer, segments, inner]`, or straight in `result`.
    let partial = segments == 1 ? result : UnsafeMutablePointer<Double>.allocate(capacity: outer * segments * inner)
    defer { if segments > 1 { partial.deallocate() } }
    let taskWork = Swift.min(n, tileRows) * width
    parallelChunks(total: outer * segments * tiles, grain: Swift.max(1, reductionSegment / Swift.max(taskWork, 1))) { _, tasks in
        for t in tasks {
            let (os, tile) = t.quotientAndRemainder(dividingBy: tiles)
            let (o, s) = os.quotientAndRemainder(dividingBy: segments)
            let j0 = tile * width, w = Swift.min(width, inner - j0)
            let k0 = s * tileRows, rows = Swift.min(tileRows, n - k0)
            let acc = partial + (o * segments + s) * inner + j0
            acc.update(repeating: identity, count: w)
            columns(o * inner + j0, x + (o * n + k0) * inner + j0, rows, inner, w, acc)
        }
    }
    guard segments > 1 else { return }
    for o in 0..<outer {
        let base = partial + o * segments * inner
        for j in 0..<inner {
            var acc = base[j]
            for s in 1..<segments { acc = combine(acc, base[s * inner + j]) }
            result[o * inner + j] = acc
        }
    }
}

/// Computes `kind` for `x` viewed through `layout` into `out[outer · inner]`.
func runReduction(
    _ kind: ReductionKind, _ x: UnsafePointer<Float>, _ layout: ReductionLayout,
    _ out: UnsafeMutablePointer<Float>, _ operation: String
) {
    let (outer, n, inner) = (layout.outer, layout.n, layout.inner)
    let outputs = outer * inner
    guard outputs > 0 else { return }
    let result = UnsafeMutablePointer<Double>.allocate(capacity: outputs)
    defer { result.deallocate() }

    func sums(into r: UnsafeMutablePointer<Double>) {
        accumulateAlongAxis(x, outer: outer, n: n, inner: inner, into: r, identity: 0, combine: +,
                            row: { _, p, c in segmentSum(p, c) },
                            columns: { _, p, rows, stride, w, acc in
            for k in 0..<rows { let v = p + k * stride; for j in 0..<w { acc[j] += Double(v[j]) } }
        })
    }
    func extremes(sign: Float, into r: UnsafeMutablePointer<Double>) {
        check(n > 0, "\(operation): cannot reduce an empty axis of shape \(describeShape(layout.shape))")
        accumulateAlongAxis(x, outer: outer, n: n, inner: inner, into: r, identity: -.infinity,
                            combine: nanPropagatingMax,
                            row: { _, p, c in segmentExtreme(p, c, sign: sign) },
                            columns: { _, p, rows, stride, w, acc in
            for k in 0..<rows {
                let v = p + k * stride
                for j in 0..<w { let e = Double(sign * v[j]); acc[j] = (e > acc[j] || e != e) ? e : acc[j] }
            }
        })
    }

    switch kind {
    case .sum, .mean:
        sums(into: result)
        let scale = kind.isMean ? 1 / Double(n) : 1
        for i in 0..<outputs { out[i] = Float(result[i] * scale) }
    case .maximum, .minimum:
        let sign: Float = kind.isMaximum ? 1 : -1
        extremes(sign: sign, into: result)
        for i in 0..<outputs { out[i] = sign * Float(result[i]) }
    case .logSumExp:
        guard n > 0 else { out.update(repeating: -.infinity, count: outputs); return }
        extremes(sign: 1, into: result)
        let shifts = result
        let sumsOfExp = UnsafeMutablePointer<Double>.allocate(capacity: outputs)
        defer { sumsOfExp.deallocate() }
        accumulateAlongAxis(x, outer: outer, n: n, inner: inner, into: sumsOfExp, identity: 0, combine: +,
                            row: { r, p, c in shiftedExpSum(p, c, shift: Float(shifts[r]), storingInto: nil) },
                            columns: { offset, p, rows, stride, w, acc in
            let m = UnsafeMutablePointer<Float>.allocate(capacity: w)
            defer { m.deallocate() }
            for j in 0..<w { m[j] = Float(shifts[offset + j]) }
            shiftedExpColumns(p, nil, rows: rows, stride: stride, width: w, shifts: m, sums: acc)
        })
        for i in 0..<outputs {
            let m = shifts[i]
            out[i] = m.isInfinite ? Float(m) : Float(m + Foundation.log(sumsOfExp[i]))
        }
    case .variance(let correction):
        sums(into: result)
        let means = result
        for i in 0..<outputs { means[i] /= Double(n) }
        let squares = UnsafeMutablePointer<Double>.allocate(capacity: outputs)
        defer { squares.deallocate() }
        accumulateAlongAxis(x, outer: outer, n: n, inner: inner, into: squares, identity: 0, combine: +,
                            row: { r, p, c in
            let mu = means[r]
            var s0 = 0.0, s1 = 0.0, i = 0
            while i + 2 <= c {
                let d0 = Double(p[i]) - mu, d1 = Double(p[i + 1]) - mu
                s0 += d0 * d0; s1 += d1 * d1; i += 2
            }
            if i < c { let d = Double(p[i]) - mu; s0 += d * d }
            return s0 + s1
        }, columns: { offset, p, rows, stride, w, acc in
            for k in 0..<rows {
                let v = p + k * stride
                for j in 0..<w { let d = Double(v[j]) - means[offset + j]; acc[j] += d * d }
            }
        })
        let divisor = Double(Swift.max(0, n - correction))
        for i in 0..<outputs { out[i] = Float(squares[i] / divisor) }
    }
}

extension ReductionKind {
    var isMean: Bool { if case .mean = self { return true } else { return false } }
    var isMaximum: Bool { if case .maximum = self { return true } else { return false } }
}

/// Index of the first maximum of `sign · x` along `n` (first NaN wins), written as Float.
func argExtremeKernel(
    _ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int, sign: Float, _ out: UnsafeMutablePointer<Float>
) {
    let outputs = outer * inner
    guard outputs > 0 else { return }
    if inner == 1 {  // the maximum (vectorised), then the first element equal to it
        parallelChunks(total: outer, grain: Swift.max(1, reductionSegment / n)) { _, rows in
            for r in rows {
                let p = x + r * n
                let m = Float(segmentExtreme(p, n, sign: sign))
                var index = 0
                if m.isNaN {
                    while !p[index].isNaN { index += 1 }
                } else {
                    while sign * p[index] != m { index += 1 }
                }
                out[r] = Float(index)
            }
        }
        return
    }
    parallelChunks(total: outer, grain: Swift.max(1, reductionSegment / (n * inner))) { _, slabs in
        let best = UnsafeMutablePointer<Float>.allocate(capacity: inner)
        defer { best.deallocate() }
        for o in slabs {
            let p = x + o * n * inner, index = out + o * inner
            for j in 0..<inner { best[j] = sign * p[j]; index[j] = 0 }
            for k in 1..<n {
                let v = p + k * inner
                for j in 0..<inner where !best[j].isNaN {
                    let e = sign * v[j]
                    if e > best[j] || e.isNaN { best[j] = e; index[j] = Float(k) }
                }
            }
        }
    }
}
