// Matrix products through OpenBLAS, with numpy `matmul` shape rules.
//
// Transposes are BLAS flags, never copies. A batched product whose right operand is one
// matrix folds the batch into M and makes a single `sgemm` call; other batched products make
// one BLAS call per batch element, in sequence (BLAS is itself threaded, so never inside
// Lore's parallel loop). Products with M = 1 or N = 1 go to `sgemv`, which is much faster
// than `sgemm` there (single-token decoding).
internal import COpenBLAS

extension Tensor {
    /// The matrix product `op(a) · op(b)` with numpy `matmul` shape rules, where `op(x)` is
    /// `x` or, when the matching `transpose` flag is set, `x` with its last two axes swapped.
    ///
    /// `result[…, i, j] = Σ_k op(a)[…, i, k] · op(b)[…, k, j]`.
    ///
    /// Shapes (`op` applied): `[m, k] × [k, n] → [m, n]`; `[…, m, k] × […, k, n] → […, m, n]`
    /// with the batch dimensions `…` broadcast (`[a, 1, m, k] × [b, k, n] → [a, b, m, n]`);
    /// a 1-D `a` of shape `[k]` is a row vector and a 1-D `b` of shape `[k]` a column vector,
    /// whose axis is dropped from the result (`[m, k] × [k] → [m]`, `[k] × [k] → []`).
    ///
    /// - Parameters:
    ///   - a: shape `[…, m, k]` (`[…, k, m]` when `transposeA`), or `[k]`.
    ///   - b: shape `[…, k, n]` (`[…, n, k]` when `transposeB`), or `[k]`.
    ///   - transposeA: use `a`'s last two axes swapped (default `false`; not for 1-D `a`).
    ///   - transposeB: use `b`'s last two axes swapped (default `false`; not for 1-D `b`).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let plan = MatmulPlan(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
        var out = Tensor(uninitializedShape: plan.resultShape)
        plan.run(a, b, into: &out, accumulate: false)
        return out
    }

    /// ``matmul(_:_:transposeA:transposeB:)`` written into a caller-owned `out`:
    /// `out = op(a)·op(b)`, or `out += op(a)·op(b)` when `accumulate` (BLAS `beta = 1`, for
    /// summing gradients).
    ///
    /// - Parameters:
    ///   - out: must already have the result shape; its old values are read only when
    ///     `accumulate` is `true`.
    ///   - accumulate: add to `out` instead of overwriting it (default `false`).
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
        into out: inout Tensor, accumulate: Bool = false
    ) {
        let plan = MatmulPlan(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
        check(out.shape == plan.resultShape,
              "matmul(into:): out has shape \(describeShape(out.shape)) but \(plan.describeOperands) gives \(describeShape(plan.resultShape))")
        plan.run(a, b, into: &out, accumulate: accumulate)
    }

    /// `self · other`; see ``matmul(_:_:transposeA:transposeB:)``.
    public func matmul(_ other: Tensor) -> Tensor { Tensor.matmul(self, other) }

    /// The matrix–vector product `op(a) · x` (`sgemv`): `[m, k] × [k] → [m]`.
    ///
    /// - Parameters:
    ///   - a: shape `[m, k]`, or `[k, m]` when `transposeA` (default `false`).
    ///   - x: shape `[k]`.
    public static func matvec(_ a: Tensor, _ x: Tensor, transposeA: Bool = false) -> Tensor {
        check(a.rank == 2 && x.rank == 1,
              "matvec: needs a matrix and a vector, got \(describeShape(a.shape)) and \(describeShape(x.shape))")
        return matmul(a, x, transposeA: transposeA)
    }
}

/// Shapes, batch broadcasting and BLAS dimensions of one `matmul` call.
struct MatmulPlan {
    let aShape: [Int], bShape: [Int]
    let transposeA: Bool, transposeB: Bool
    /// Per product: `[m, k] × [k, n]` after `op` and after promoting 1-D operands.
    let m: Int, n: Int, k: Int
    /// Broadcast batch shape, and each operand's batch strides counted in matrices (0 = broadcast).
    let batchShape: [Int]
    let aBatchStrides: [Int], bBatchStrides: [Int]
    let resultShape: [Int]

    var describeOperands: String {
        "\(describeShape(aShape))\(transposeA ? "ᵀ" : "") × \(describeShape(bShape))\(transposeB ? "ᵀ" : "")"
    }

    init(_ aShape: [Int], _ bShape: [Int], transposeA: Bool, transposeB: Bool) {
        self.aShape = aShape; self.bShape = bShape
        self.transposeA = transposeA; self.transposeB = transposeB
        let operands = "matmul: \(describeShape(aShape)) (transposeA: \(transposeA)) × \(describeShape(bShape)) (transposeB: \(transposeB))"
        check(aShape.count >= 1 && bShape.count >= 1, "\(operands): operands must have at least one dimension")
        check(!(transposeA && aShape.count == 1) && !(transposeB && bShape.count == 1),
              "\(operands): a transpose flag has no meaning on a 1-D operand")
        // Promote vectors: a [k] → [1, k], b [k] → [k, 1].
        let a2 = aShape.count == 1 ? [1, aShape[0]] : aShape
        let b2 = bShape.count == 1 ? [bShape[0], 1] : bShape
        let (ar, ac) = (a2[a2.count - 2], a2[a2.count - 1])
        let (br, bc) = (b2[b2.count - 2], b2[b2.count - 1])
        m = transposeA ? ac : ar
        k = transposeA ? ar : ac
        let kb = transposeB ? bc : br
        n = transposeB ? br : bc
        check(k == kb, "\(operands): inner dimensions differ (\(k) vs \(kb))")

        let aBatch = Array(a2.dropLast(2)), bBatch = Array(b2.dropLast(2))
        guard let batch = Tensor.broadcastShapeIfCompatible(aBatch, bBatch) else {
            fatalError("\(operands): batch dimensions \(describeShape(aBatch)) and \(describeShape(bBatch)) do not broadcast")
        }
        let rank = batch.count
        batchShape = batch
        aBatchStrides = Tensor.broadcastStrides(of: aBatch, toRank: rank, resultShape: batch)
        bBatchStrides = Tensor.broadcastStrides(of: bBatch, toRank: rank, resultShape: batch)
        resultShape = batch + (aShape.count == 1 ? [] : [m]) + (bShape.count == 1 ? [] : [n])
    }

    /// Computes the product into `out` (already of `resultShape`).
    func run(_ a: Tensor, _ b: Tensor, into out: inout Tensor, accumulate: Bool) {
        let batchCount = batchShape.reduce(1, *)
        let aBatchCount = aShape.dropLast(2).reduce(1, *)
        let bBatchCount = bShape.dropLast(2).reduce(1, *)
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        let pa = UnsafePointer(a.storage.pointer), pb = UnsafePointer(b.storage.pointer)
        out.withUnsafeMutableBufferPointer { buffer in
            let pc = buffer.baseAddress!
            if batchCount == 0 || m == 0 || n == 0 { return }
            if bBatchCount == 1 && !transposeA {
                // b is one matrix: [batch·m, k] × [k, n] is one product.
                sgemmRowMajor(transposeA: false, transposeB: transposeB, m: aBatchCount * m, n: n, k: k,
                     pa, lda: lda, pb, ldb: ldb, pc, ldc: n, accumulate: accumulate)
                return
            }
            var index = [Int](repeating: 0, count: batchShape.count)
            for batch in 0..<batchCount {
                var aMatrix = 0, bMatrix = 0
                for j in 0..<index.count {
                    aMatrix += index[j] * aBatchStrides[j]
                    bMatrix += index[j] * bBatchStrides[j]
                }
                sgemmRowMajor(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                     pa + aMatrix * m * k, lda: lda, pb + bMatrix * k * n, ldb: ldb,
                     pc + batch * m * n, ldc: n, accumulate: accumulate)
                var j = index.count - 1
                while j >= 0 {
                    index[j] += 1
                    if index[j] < batchShape[j] { break }
                    index[j] = 0
                    j -= 1
                }
            }
        }
    }
}

/// Row-major `C[m, n] = op(A)[m, k] · op(B)[k, n] (+ C when accumulate)` through BLAS, on
/// Lore's threads.
///
/// `A` is stored `[m, k]` (or `[k, m]` when `transposeA`) with row stride `lda`; likewise `B`.
/// Routes `m == 1` and `n == 1` to `sgemv`, `k == 0` to a fill, the rest to `sgemm`.
///
/// OpenBLAS runs single-threaded (see ``Threads``); a product of at least
/// ``parallelProductWork`` multiply-adds (``parallelVectorProductWork`` for a matrix–vector
/// product) is cut into ``Threads/count`` blocks along its longer output dimension, each one
/// BLAS call on one thread of Lore's pool. The
/// result is reproducible bit for bit on a given thread count; across thread counts the
/// kernels may round a block's edge rows differently in the last bit (as OpenBLAS's own
/// threading does). Called from inside a parallel loop, the blocks run in turn on the calling
/// thread.
package func sgemmRowMajor(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
    _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
    if m == 0 || n == 0 { return }
    _ = Threads.applied
    let workers = Threads.count
    let vector = m == 1 || n == 1
    guard workers > 1, m * n * Swift.max(k, 1) >= (vector ? parallelVectorProductWork : parallelProductWork) else {
        serialProduct(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb,
                      c, ldc: ldc, accumulate: accumulate)
        return
    }
    let product = SplitProduct(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda,
                               b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate, workers: workers)
    if !WorkerPool.shared.run(product, workers: workers) {
        for part in 0..<product.parts { product.run(part: part) }
    }
}

/// A product cut into blocks for ``sgemmRowMajor(transposeA:transposeB:m:n:k:_:lda:_:ldb:_:ldc:accumulate:)``:
/// the longer output dimension (when it gives every worker a block of at least
/// ``productBlockAlignment``; else the other) in blocks of a multiple of
/// ``productBlockAlignment``, one BLAS call each. Cutting rows of a tall activation matrix lets
/// each thread read only its half of it (and all of the small weight): `train_tiny` ran at
/// 32.2–33.3 k tokens/s against 31.4–32.3 k when cutting columns, in alternating runs.
struct SplitProduct {
    let transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int
    let a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int
    let c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    let byColumns: Bool, step: Int, parts: Int

    init(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, workers: Int) {
        (self.transposeA, self.transposeB, self.m, self.n, self.k) = (transposeA, transposeB, m, n, k)
        (self.a, self.lda, self.b, self.ldb, self.c, self.ldc, self.accumulate) = (a, lda, b, ldb, c, ldc, accumulate)
        let columnsFit = n >= workers * productBlockAlignment, rowsFit = m >= workers * productBlockAlignment
        byColumns = columnsFit && (n >= m || !rowsFit)
        let length = byColumns ? n : m
        let block = (length + workers - 1) / workers
        step = (block + productBlockAlignment - 1) / productBlockAlignment * productBlockAlignment
        parts = (length + step - 1) / step
    }

    /// Block `part`: columns (or rows) `part·step ..< min(part·step + step, n or m)`.
    func run(part: Int) {
        let lo = part * step
        if byColumns {
            let columnStart = transposeB ? b + lo * ldb : b + lo
            serialProduct(transposeA: transposeA, transposeB: transposeB, m: m, n: Swift.min(step, n - lo), k: k,
                          a, lda: lda, columnStart, ldb: ldb, c + lo, ldc: ldc, accumulate: accumulate)
        } else {
            let rowStart = transposeA ? a + lo : a + lo * lda
            serialProduct(transposeA: transposeA, transposeB: transposeB, m: Swift.min(step, m - lo), n: n, k: k,
                          rowStart, lda: lda, b, ldb: ldb, c + lo * ldc, ldc: ldc, accumulate: accumulate)
        }
    }
}

/// Products smaller than this many multiply-adds (`m·n·k`, 2 Mi) run on one thread: below it,
/// splitting costs more than it saves (a 128×128×32 attention product ran at 110 GFLOP/s on one
/// thread and 59–78 split in two; 256×256×64 at 121 and 147–150).
package let parallelProductWork = 1 << 21

/// Matrix–vector products (`m == 1` or `n == 1`: single-token decoding) are memory-bound and
/// split from 128 Ki multiply-adds (half a megabyte of matrix).
package let parallelVectorProductWork = 1 << 17

/// Blocks of a split product are multiples of this many rows or columns (OpenBLAS's Haswell
/// `sgemm` kernel works on 16-wide panels).
let productBlockAlignment = 16

/// One single-threaded BLAS call (OpenBLAS is kept at one thread; see ``Threads``).
func serialProduct(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
    _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
    let limit = Int(Int32.max)
    check(m <= limit && n <= limit && k <= limit && lda <= limit && ldb <= limit && ldc <= limit,
          "matmul: a dimension of the product [\(m), \(k)] × [\(k), \(n)] exceeds the 32-bit BLAS interface")
    if k == 0 {
        if !accumulate {
            for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
        }
        return
    }
    let noTrans = CblasNoTrans, trans = CblasTrans
    if m == 1 || n == 1 {
        // gemv writes y = M·x; zero y ourselves rather than trust beta = 0 on uninitialised memory.
        let y = c, incy = m == 1 ? 1 : ldc, length = m == 1 ? n : m
        if !accumulate {
            if incy == 1 { y.update(repeating: 0, count: length) } else { for i in 0..<length { y[i * incy] = 0 } }
        }
        if m == 1 {
            // y[n] = op(B)ᵀ · a-row; the a-row has stride lda when A is stored [k, 1].
            let incx = transposeA ? lda : 1
            if transposeB {  // B stored [n, k]
                cblas_sgemv(CblasRowMajor, noTrans, Int32(n), Int32(k), 1, b, Int32(ldb), a, Int32(incx), 1, y, Int32(incy))
            } else {         // B stored [k, n]
                cblas_sgemv(CblasRowMajor, trans, Int32(k), Int32(n), 1, b, Int32(ldb), a, Int32(incx), 1, y, Int32(incy))
            }
        } else {
            // y[m] = op(A) · b-column; the column has stride ldb when B is stored [k, 1].
            let incx = transposeB ? 1 : ldb
            if transposeA {  // A stored [k, m]
                cblas_sgemv(CblasRowMajor, trans, Int32(k), Int32(m), 1, a, Int32(lda), b, Int32(incx), 1, y, Int32(incy))
            } else {         // A stored [m, k]
                cblas_sgemv(CblasRowMajor, noTrans, Int32(m), Int32(k), 1, a, Int32(lda), b, Int32(incx), 1, y, Int32(incy))
            }
        }
        return
    }
    cblas_sgemm(CblasRowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(max(1, lda)), b, Int32(max(1, ldb)),
                accumulate ? 1 : 0, c, Int32(max(1, ldc)))
}
