// Fused backward passes of softmax and log-softmax along one axis.
//
// Same layout as `Tensor+Softmax.swift`: the last axis is the fast path (rows in parallel,
// each row read twice: one reduction, then the update, eight lanes at a time); other axes view
// the tensors as `[outer, n, inner]` and work on tiles of contiguous columns. Every output
// element is computed by one thread in a fixed order, so results do not depend on
// `Threads.count`. Row sums use eight Float partial sums combined in Double.

extension Tensor {
    /// The gradient of `y = softmax(x)` along `axis`, from its output:
    /// `dx = y ⊙ (g − Σₖ gₖ·yₖ)`, the sum taken along `axis`.
    ///
    /// - Parameters:
    ///   - gradient: `g`, the gradient of `y`.
    ///   - output: `y`, the softmax output; same shape as `gradient`.
    ///   - axis: the axis the softmax normalised (default `-1`); negative counts from the end.
    public static func softmaxBackward(_ gradient: Tensor, output: Tensor, alongAxis axis: Int = -1) -> Tensor {
        var out = Tensor(uninitializedShape: gradient.shape)
        softmaxBackward(gradient, output: output, alongAxis: axis, into: &out)
        return out
    }

    /// ``softmaxBackward(_:output:alongAxis:)`` written into `out` (the shape of `gradient`).
    public static func softmaxBackward(_ gradient: Tensor, output: Tensor, alongAxis axis: Int = -1, into out: inout Tensor) {
        softmaxBackwardForm(gradient, output, axis: axis, logarithm: false, into: &out, "softmaxBackward")
    }

    /// The gradient of `y = logSoftmax(x)` along `axis`, from its output:
    /// `dx = g − exp(y) ⊙ Σₖ gₖ`, the sum taken along `axis` (`exp(y)` is the softmax).
    ///
    /// - Parameters:
    ///   - gradient: `g`, the gradient of `y`.
    ///   - output: `y`, the log-softmax output; same shape as `gradient`.
    ///   - axis: the axis the log-softmax normalised (default `-1`); negative counts from the end.
    public static func logSoftmaxBackward(_ gradient: Tensor, output: Tensor, alongAxis axis: Int = -1) -> Tensor {
        var out = Tensor(uninitializedShape: gradient.shape)
        logSoftmaxBackward(gradient, output: output, alongAxis: axis, into: &out)
        return out
    }

    /// ``logSoftmaxBackward(_:output:alongAxis:)`` written into `out` (the shape of `gradient`).
    public static func logSoftmaxBackward(_ gradient: Tensor, output: Tensor, alongAxis axis: Int = -1, into out: inout Tensor) {
        softmaxBackwardForm(gradient, output, axis: axis, logarithm: true, into: &out, "logSoftmaxBackward")
    }

    static func softmaxBackwardForm(
        _ g: Tensor, _ y: Tensor, axis: Int, logarithm: Bool, into out: inout Tensor, _ operation: String
    ) {
        check(g.shape == y.shape,
              "\(operation): gradient of shape \(describeShape(g.shape)) for an output of shape \(describeShape(y.shape))")
        check(out.shape == g.shape,
              "\(operation): out has shape \(describeShape(out.shape)) but the result has shape \(describeShape(g.shape))")
        let layout = ReductionLayout(shape: g.shape, axis: axis, operation)
        guard g.count > 0 else { return }
        out.makeUnique()
        softmaxBackwardKernel(UnsafePointer(g.storage.pointer), UnsafePointer(y.storage.pointer), out.storage.pointer,
                              outer: layout.outer, n: layout.n, inner: layout.inner, logarithm: logarithm)
        withExtendedLifetime((g, y)) {}
    }
}

/// Softmax or log-softmax backward of `[outer, n, inner]` tensors along `n`.
func softmaxBackwardKernel(
    _ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
    outer: Int, n: Int, inner: Int, logarithm: Bool
) {
    if inner == 1 {
        parallelChunks(total: outer, grain: max(1, softmaxGrain / n)) { _, rows in
            for r in rows {
                let (p, q, d) = (g + r * n, y + r * n, dx + r * n)
                if logarithm {
                    logSoftmaxBackwardRow(p, q, d, n, sum: laneSum(p, nil, n))
                } else {
                    softmaxBackwardRow(p, q, d, n, dot: laneSum(p, q, n))
                }
            }
        }
        return
    }
    let width = min(inner, reductionTileWidth)
    let tiles = (inner + width - 1) / width
    parallelChunks(total: outer * tiles, grain: max(1, softmaxGrain / (n * width))) { _, tasks in
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: width)
        defer { sums.deallocate() }
        for t in tasks {
            let (o, tile) = t.quotientAndRemainder(dividingBy: tiles)
            let j0 = tile * width, w = min(width, inner - j0)
            let base = o * n * inner + j0
            let (p, q, d) = (g + base, y + base, dx + base)
            sums.update(repeating: 0, count: w)
            for k in 0..<n {
                let (gk, yk) = (p + k * inner, q + k * inner)
                if logarithm {
                    for j in 0..<w { sums[j] += gk[j] }
                } else {
                    for j in 0..<w { sums[j] += gk[j] * yk[j] }
                }
            }
            for k in 0..<n {
                let (gk, yk, dk) = (p + k * inner, q + k * inner, d + k * inner)
                if logarithm {
                    logSoftmaxBackwardColumns(gk, yk, dk, w, sums: sums)
                } else {
                    for j in 0..<w { dk[j] = yk[j] * (gk[j] - sums[j]) }
                }
            }
        }
    }
}

/// `Σᵢ a[i]·b[i]` (or `Σᵢ a[i]` when `b` is nil) with eight Float lanes, combined in Double.
@inline(__always)
func laneSum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, _ n: Int) -> Float {
    let ra = UnsafeRawPointer(a)
    var acc = SIMD8<Float>()
    var i = 0
    if let b {
        let rb = UnsafeRawPointer(b)
        while i + 8 <= n {
            acc = muladd(ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                         rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), acc)
            i += 8
        }
    } else {
        while i + 8 <= n {
            acc += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
    }
    var total = 0.0
    for k in 0..<8 { total += Double(acc[k]) }
    while i < n {
        total += Double(a[i]) * Double(b?[i] ?? 1)
        i += 1
    }
    return Float(total)
}

/// `d[i] = y[i]·(g[i] − dot)` over one row.
@inline(__always)
func softmaxBackwardRow(
    _ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int, dot: Float
) {
    for i in 0..<n { d[i] = y[i] * (g[i] - dot) }
}

/// `d[i] = g[i] − exp(y[i])·sum` over one row, eight lanes at a time.
@inline(__always)
func logSoftmaxBackwardRow(
    _ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int, sum: Float
) {
    let rg = UnsafeRawPointer(g), ry = UnsafeRawPointer(y), rd = UnsafeMutableRawPointer(d)
    let s = SIMD8<Float>(repeating: sum)
    var i = 0
    while i + 8 <= n {
        let gv = rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let yv = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        rd.storeBytes(of: muladd(-simdExp(yv), s, gv), toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    if i < n {
        var gv = SIMD8<Float>(), yv = SIMD8<Float>()
        for k in 0..<(n - i) { gv[k] = g[i + k]; yv[k] = y[i + k] }
        let r = muladd(-simdExp(yv), s, gv)
        for k in 0..<(n - i) { d[i + k] = r[k] }
    }
}

/// `d[j] = g[j] − exp(y[j])·sums[j]` over `w` contiguous columns, eight lanes at a time.
@inline(__always)
func logSoftmaxBackwardColumns(
    _ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ w: Int,
    sums: UnsafePointer<Float>
) {
    var j = 0
    while j < w {
        let lanes = min(8, w - j)
        var gv = SIMD8<Float>(), yv = SIMD8<Float>(), sv = SIMD8<Float>()
        for k in 0..<lanes { gv[k] = g[j + k]; yv[k] = y[j + k]; sv[k] = sums[j + k] }
        let r = muladd(-simdExp(yv), sv, gv)
        for k in 0..<lanes { d[j + k] = r[k] }
        j += 8
    }
}
