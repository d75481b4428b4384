import Foundation

// Raw-pointer kernels for inference with a KV cache (Transformer's `InferenceSession`): they
// write into caller-owned buffers, so a decoding step allocates nothing. Each computes the
// same formula as its Tensor/Autograd counterpart (normalizeRows, swiglu, gelu, rotary
// embedding, attention) with the same accumulation order where it matters, so cached and
// uncached logits agree to float rounding.

package enum InferenceKernels {
    /// `y[r] = (x[r] − μ)/√(σ² + eps)·w (+ b)` for each of `rows` rows of `width` (RMSNorm when
    /// `centered` is false: `μ = 0`, `σ²` = mean of squares). Rows are contiguous in both.
    package static func normalizeRows(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, width d: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, epsilon: Float, centered: Bool
    ) {
        let task = UnsafeTransfer(y)
        parallelChunks(total: rows, grain: Swift.max(1, normalizationGrain / Swift.max(d, 1))) { _, range in
            for r in range {
                _ = normalizeRow(x + r * d, into: task.value + r * d, width: d, weight: weight, bias: bias,
                                 epsilon: epsilon, centered: centered)
            }
        }
    }

    /// `gate[i] = silu(gate[i])·up[i]` for `count` elements (SwiGLU, in place).
    package static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        swigluKernel(gate: gate, up: up, into: gate, count: count)
    }

    /// `x[i] = gelu(x[i])` for `count` elements, in place.
    package static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, approximation: GELUApproximation) {
        let task = UnsafeTransfer(x)
        parallelChunks(total: count, grain: elementwiseGrain) { _, range in
            let p = task.value
            @inline(__always) func f(_ v: SIMD8<Float>) -> SIMD8<Float> {
                approximation == .tanh ? simdGeluTanh(v) : simdGeluErf(v)
            }
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(p + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
                i += 8
            }
            while i < range.upperBound {
                var v = SIMD8<Float>(repeating: 0); v[0] = p[i]
                p[i] = f(v)[0]
                i += 1
            }
        }
    }

    /// Rotary embedding in place (`.halfSplit` pairs `(i, i + R/2)`) of `heads` heads of
    /// `headSize` that start at `x + r·rowStride` for row `r`, at `positions[r]`.
    ///
    /// - Parameters:
    ///   - cos, sin: `[P, R/2]` tables (see `rotaryTables`); `R ≤ headSize`.
    package static func rotate(
        _ x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headSize: Int,
        positions: UnsafePointer<Int>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, half: Int
    ) {
        for r in 0..<rows {
            let c = cos + positions[r] * half, s = sin + positions[r] * half
            for h in 0..<heads {
                let a = x + r * rowStride + h * headSize
                for i in 0..<half {
                    let (u, v) = (a[i], a[i + half])
                    a[i] = u * c[i] - v * s[i]
                    a[i + half] = v * c[i] + u * s[i]
                }
            }
        }
    }

    /// Causal attention of `n` new query rows against a sequence's cached keys and values.
    ///
    /// Query row `i` (position `L − n + i`) sees keys `0…L − n + i`:
    /// `out[i, h] = softmax(scale·q[i, h]·K[g]ᵀ)·V[g]`, `g = h / (heads/kvHeads)`.
    ///
    /// - Parameters:
    ///   - query: row `i`, head `h` at `query + i·queryStride + h·headSize`.
    ///   - keys, values: `[kvHeads, capacity, headSize]`, the first `length` positions filled.
    ///   - output: row `i`, head `h` at `output + i·outputStride + h·headSize`.
    ///   - scratch: at least `max(heads, n)·length` floats.
    package static func attendCached(
        query: UnsafePointer<Float>, rows n: Int, queryStride: Int, heads: Int, kvHeads: Int, headSize dh: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, capacity: Int, length: Int, scale: Float,
        output: UnsafeMutablePointer<Float>, outputStride: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        let group = heads / kvHeads, offset = length - n
        if n == 1 {
            // One query per head: dot products by hand (no BLAS call per head). Heads are split
            // across threads in chunks of ~1 M multiply-adds (2·length·Dh per head), so short
            // contexts (9 heads of 64 up to a cached length of ~900) run inline: there a
            // dispatch costs about what it saves, and libdispatch allocates on every dispatch.
            let out = UnsafeTransfer(output), buffer = UnsafeTransfer(scratch)
            parallelChunks(total: heads, grain: Swift.max(1, (1 << 20) / Swift.max(1, 2 * length * dh))) { _, range in
                for h in range {
                    let q = query + h * dh, g = h / group
                    let k = keys + g * capacity * dh, v = values + g * capacity * dh
                    let scores = buffer.value + h * length
                    for j in 0..<length { scores[j] = dot(q, k + j * dh, dh) * scale }
                    let m = Float(segmentExtreme(scores, length, sign: 1))
                    let inverse = Float(1 / shiftedExpSum(scores, length, shift: m, storingInto: scores))
                    let y = out.value + h * dh
                    y.update(repeating: 0, count: dh)
                    for j in 0..<length { axpy(scores[j] * inverse, v + j * dh, y, dh) }
                }
            }
            return
        }
        for h in 0..<heads {
            let g = h / group
            let k = keys + g * capacity * dh, v = values + g * capacity * dh
            sgemmRowMajor(transposeA: false, transposeB: true, m: n, n: length, k: dh,
                          query + h * dh, lda: queryStride, k, ldb: dh, scratch, ldc: length, accumulate: false)
            let rowsBuffer = UnsafeTransfer(scratch)
            parallelChunks(total: n, grain: Swift.max(1, (1 << 14) / Swift.max(1, length))) { _, range in
                for i in range {
                    let row = rowsBuffer.value + i * length, visible = offset + i + 1
                    for j in 0..<visible { row[j] *= scale }
                    let m = Float(segmentExtreme(row, visible, sign: 1))
                    let inverse = Float(1 / shiftedExpSum(row, visible, shift: m, storingInto: row))
                    for j in 0..<visible { row[j] *= inverse }
                    (row + visible).update(repeating: 0, count: length - visible)
                }
            }
            sgemmRowMajor(transposeA: false, transposeB: false, m: n, n: dh, k: length,
                          scratch, lda: length, v, ldb: dh, output + h * dh, ldc: outputStride, accumulate: false)
        }
    }

    /// Copies `bias` (`width` floats) into each of `rows` rows of stride `rowStride`, so a
    /// following accumulating product adds `x·W` to it.
    package static func fillRows(_ y: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, with bias: UnsafePointer<Float>, width: Int) {
        for r in 0..<rows { (y + r * rowStride).update(from: bias, count: width) }
    }

    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), i = 0
        while i + 16 <= n {
            acc0 += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc1 += UnsafeRawPointer(a + i + 8).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            i += 16
        }
        var total = (acc0 + acc1).sum()
        while i < n { total += a[i] * b[i]; i += 1 }
        return total
    }

    @inline(__always)
    private static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i + 8 <= n {
            let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: yv + a * xv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }
}
