import Foundation

// The blocked attention kernels behind `Tensor.attention` / `Tensor.attentionBackward` in both
// layouts (head-major `[B, H, L, D]` and token-major `[B, L, H·D]`, possibly column slices of
// a wider row such as GPT-2's fused `[B, T, 3D]` q|k|v): the layouts differ only in strides.
//
// Work is ONE parallel loop over independent items; each item runs its BLAS products (inside a
// parallel loop they run on the calling thread, unsplit; see `sgemmRowMajor`) and softmax rows
// inline, with a scratch buffer of its own:
// - forward: an item is one (batch, query head), or one (batch, query head, query block) when
//   there are fewer than `attentionSplitThreshold` pairs;
// - backward: an item is one (batch, kv head), so the `dK`/`dV` rows of a kv head, summed over
//   its query heads, are written by one item only, in a fixed order.
// Queries go in blocks of `attentionQueryBlock(T)` rows; a block multiplies only against the keys
// `lo..<hi` that one of its rows may see (`visibleKeys`), so under the causal mask the score
// blocks above the diagonal are never computed, and document segments raise `lo`. Block
// boundaries depend only on `T`, so results do not depend on the thread count.

/// Query rows per block for `T` queries: about 8 blocks, 32 to 128 rows each — small enough
/// that the causal mask skips most of the upper triangle (a fraction `(n + 1)/(2n)` of the full
/// products remains for `n` blocks), large enough for efficient BLAS products. Measured with
/// single-threaded BLAS (`lore-bench autograd`, T 512, ratio to raw sgemm): 16 rows 1.18,
/// 32 rows 1.28, 64 rows 1.35, 128 rows 1.28. Depends on `T` only, never on the thread count.
func attentionQueryBlock(_ t: Int) -> Int { Swift.min(128, Swift.max(32, (t + 7) / 8)) }

/// Below this many (batch, query head) pairs the forward also splits over query blocks.
let attentionSplitThreshold = 8

/// Where the rows of one attention operand live: head `h` of sequence `b` at position `i`
/// starts `b·batch + h·head + i·row` floats after the operand's base pointer; its features are
/// contiguous.
package struct AttentionStrides: Sendable {
    package var batch: Int, head: Int, row: Int

    /// `[B, H, L, D]`.
    package static func headMajor(heads: Int, length: Int, features: Int) -> AttentionStrides {
        AttentionStrides(batch: heads * length * features, head: length * features, row: features)
    }

    /// `[B, L, W]` rows whose head `h` occupies columns `h·D ..< (h + 1)·D` after the base
    /// pointer (which may already point at a column offset inside the row).
    package static func tokenMajor(length: Int, rowWidth: Int, features: Int) -> AttentionStrides {
        AttentionStrides(batch: length * rowWidth, head: features, row: rowWidth)
    }

    @inline(__always)
    func offset(batch b: Int, head h: Int, row i: Int) -> Int { b * batch + h * head + i * row }
}

/// One attention call's masks and constants, shared by every work item.
struct AttentionMasks {
    var causal: Bool
    var scale: Float
    /// `[B, S]` padding mask (0 = padding), or `nil`.
    var padding: UnsafePointer<Float>?
    /// ``makeSegmentRuns(_:batch:keyLength:)``, or `nil`.
    var runs: UnsafeMutablePointer<Int32>?
}

/// The forward: `out = softmax(scale·Q·Kᵀ + mask)·V` per query head, and each row's
/// log-sum-exp into `lse` `[B, Hq, T]` (`−∞` and a zero output row when fully masked).
func attentionForwardKernel(
    _ g: AttentionGeometry, masks: AttentionMasks,
    query q: UnsafePointer<Float>, _ qs: AttentionStrides,
    key k: UnsafePointer<Float>, _ ks: AttentionStrides,
    value v: UnsafePointer<Float>, _ vs: AttentionStrides,
    output o: UnsafeMutablePointer<Float>, _ os: AttentionStrides,
    logSumExp lse: UnsafeMutablePointer<Float>
) {
    let (t, s) = (g.queryLength, g.keyLength)
    let pairs = g.batch * g.queryHeads
    guard pairs > 0 && t > 0 else { return }
    let blockRows = attentionQueryBlock(t)
    let blocks = (t + blockRows - 1) / blockRows
    let split = pairs < attentionSplitThreshold
    let items = split ? pairs * blocks : pairs
    parallelChunks(total: items, grain: 1) { _, range in
        for item in range {
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, Swift.min(t, blockRows) * s))
            defer { scores.deallocate() }
            let pair = split ? item / blocks : item
            let blockRange = split ? (item % blocks)..<(item % blocks + 1) : 0..<blocks
            let b = pair / g.queryHeads, h = pair % g.queryHeads, kvh = h / g.group
            let runs = segmentRuns(masks.runs, batch: g.batch, keyLength: s, row: b)
            let mask = masks.padding.map { $0 + b * s }
            for block in blockRange {
                let i0 = block * blockRows, rows = Swift.min(t, i0 + blockRows) - i0
                let keys = blockKeys(i0..<(i0 + rows), queryLength: t, keyLength: s, causal: masks.causal, runs: runs)
                let n = keys.count
                let qBlock = q + qs.offset(batch: b, head: h, row: i0)
                sgemmRowMajor(transposeA: false, transposeB: true, m: rows, n: n, k: g.headSize,
                              qBlock, lda: qs.row, k + ks.offset(batch: b, head: kvh, row: keys.lowerBound), ldb: ks.row,
                              scores, ldc: Swift.max(1, n), accumulate: false)
                let rowLSE = lse + pair * t + i0
                for r in 0..<rows {
                    rowLSE[r] = softmaxRow(scores + r * n, blockKeys: keys,
                                           visible: visibleKeys(query: i0 + r, queryLength: t, keyLength: s,
                                                                causal: masks.causal, runs: runs),
                                           scale: masks.scale, mask: mask)
                }
                sgemmRowMajor(transposeA: false, transposeB: false, m: rows, n: g.valueSize, k: n,
                              scores, lda: Swift.max(1, n), v + vs.offset(batch: b, head: kvh, row: keys.lowerBound), ldb: vs.row,
                              o + os.offset(batch: b, head: h, row: i0), ldc: os.row, accumulate: false)
            }
        }
    }
}

/// The backward: from `dO` and the forward's log-sum-exps, with `P = exp(scale·Q·Kᵀ − lse)`
/// (0 where masked), `dV = Pᵀ·dO`, `dP = dO·Vᵀ`, `dS = scale·P ⊙ (dP − rowsum(dP ⊙ P))`,
/// `dQ = dS·K`, `dK = dSᵀ·Q`; `dK` and `dV` sum over the query heads of each kv head.
/// Every element of `dQ`, `dK` and `dV` is written.
func attentionBackwardKernel(
    _ g: AttentionGeometry, masks: AttentionMasks,
    query q: UnsafePointer<Float>, _ qs: AttentionStrides,
    key k: UnsafePointer<Float>, _ ks: AttentionStrides,
    value v: UnsafePointer<Float>, _ vs: AttentionStrides,
    outputGradient dO: UnsafePointer<Float>, _ dos: AttentionStrides,
    logSumExp lse: UnsafePointer<Float>,
    queryGradient dq: UnsafeMutablePointer<Float>, _ dqs: AttentionStrides,
    keyGradient dk: UnsafeMutablePointer<Float>, _ dks: AttentionStrides,
    valueGradient dv: UnsafeMutablePointer<Float>, _ dvs: AttentionStrides
) {
    let (t, s, dh, dvSize) = (g.queryLength, g.keyLength, g.headSize, g.valueSize)
    let blockRows = attentionQueryBlock(t)
    let blocks = (t + blockRows - 1) / blockRows
    let items = g.batch * g.keyValueHeads
    parallelChunks(total: items, grain: 1) { _, range in
        for item in range {
            let b = item / g.keyValueHeads, kvh = item % g.keyValueHeads
            let dkHead = dk + dks.offset(batch: b, head: kvh, row: 0), dvHead = dv + dvs.offset(batch: b, head: kvh, row: 0)
            for j in 0..<s {
                (dkHead + j * dks.row).update(repeating: 0, count: dh)
                (dvHead + j * dvs.row).update(repeating: 0, count: dvSize)
            }
            guard t > 0 else { return }
            let capacity = Swift.max(1, Swift.min(t, blockRows) * s)
            let p = UnsafeMutablePointer<Float>.allocate(capacity: 2 * capacity)
            defer { p.deallocate() }
            let dp = p + capacity
            let runs = segmentRuns(masks.runs, batch: g.batch, keyLength: s, row: b)
            let mask = masks.padding.map { $0 + b * s }
            let kHead = k + ks.offset(batch: b, head: kvh, row: 0), vHead = v + vs.offset(batch: b, head: kvh, row: 0)
            for h in (kvh * g.group)..<((kvh + 1) * g.group) {
                for block in 0..<blocks {
                    let i0 = block * blockRows, rows = Swift.min(t, i0 + blockRows) - i0
                    let keys = blockKeys(i0..<(i0 + rows), queryLength: t, keyLength: s, causal: masks.causal, runs: runs)
                    let (n, lo) = (keys.count, keys.lowerBound)
                    let qBlock = q + qs.offset(batch: b, head: h, row: i0), dOBlock = dO + dos.offset(batch: b, head: h, row: i0)
                    let dqBlock = dq + dqs.offset(batch: b, head: h, row: i0)
                    guard n > 0 else {
                        for r in 0..<rows { (dqBlock + r * dqs.row).update(repeating: 0, count: dh) }
                        continue
                    }
                    sgemmRowMajor(transposeA: false, transposeB: true, m: rows, n: n, k: dh,
                                  qBlock, lda: qs.row, kHead + lo * ks.row, ldb: ks.row, p, ldc: n, accumulate: false)
                    let rowLSE = lse + (b * g.queryHeads + h) * t + i0
                    for r in 0..<rows {
                        probabilityRow(p + r * n, blockKeys: keys,
                                       visible: visibleKeys(query: i0 + r, queryLength: t, keyLength: s, causal: masks.causal, runs: runs),
                                       scale: masks.scale, mask: mask, logSumExp: rowLSE[r])
                    }
                    // dV[lo..<hi] += Pᵀ·dO: [n, rows] × [rows, Dv].
                    sgemmRowMajor(transposeA: true, transposeB: false, m: n, n: dvSize, k: rows,
                                  p, lda: n, dOBlock, ldb: dos.row, dvHead + lo * dvs.row, ldc: dvs.row, accumulate: true)
                    // dP = dO·Vᵀ: [rows, Dv] × [Dv, n].
                    sgemmRowMajor(transposeA: false, transposeB: true, m: rows, n: n, k: dvSize,
                                  dOBlock, lda: dos.row, vHead + lo * vs.row, ldb: vs.row, dp, ldc: n, accumulate: false)
                    for r in 0..<rows { softmaxBackwardRow(p + r * n, dp + r * n, n, scale: masks.scale) }
                    // dQ = dS·K: [rows, n] × [n, Dh]; dK[lo..<hi] += dSᵀ·Q: [n, rows] × [rows, Dh].
                    sgemmRowMajor(transposeA: false, transposeB: false, m: rows, n: dh, k: n,
                                  dp, lda: n, kHead + lo * ks.row, ldb: ks.row, dqBlock, ldc: dqs.row, accumulate: false)
                    sgemmRowMajor(transposeA: true, transposeB: false, m: n, n: dh, k: rows,
                                  dp, lda: n, qBlock, ldb: qs.row, dkHead + lo * dks.row, ldc: dks.row, accumulate: true)
                }
            }
        }
    }
}

// MARK: - Key ranges

/// The key ranges of one sequence's segment runs: key `j` lies in the run `start[j] ..< end[j]`.
typealias SegmentRuns = (start: UnsafePointer<Int32>, end: UnsafePointer<Int32>)

/// The runs of equal adjacent ids in `[B, S]` segment ids, as each key's run bounds: one
/// allocation of `2·B·S` values, `[B, S]` run starts then `[B, S]` run ends (one past the last
/// key). The caller deallocates it.
func makeSegmentRuns(_ ids: [Int32], batch: Int, keyLength s: Int) -> UnsafeMutablePointer<Int32> {
    let bounds = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(1, 2 * ids.count))
    let ends = bounds + ids.count
    for b in 0..<batch {
        let row = b * s
        var first = 0
        for j in 0..<s {
            if j > 0 && ids[row + j] != ids[row + j - 1] { first = j }
            bounds[row + j] = Int32(first)
        }
        var last = s
        for j in stride(from: s - 1, through: 0, by: -1) {
            if j < s - 1 && ids[row + j] != ids[row + j + 1] { last = j + 1 }
            ends[row + j] = Int32(last)
        }
    }
    return bounds
}

/// Sequence `b`'s slice of ``makeSegmentRuns(_:batch:keyLength:)``.
@inline(__always)
func segmentRuns(_ bounds: UnsafeMutablePointer<Int32>?, batch: Int, keyLength s: Int, row b: Int) -> SegmentRuns? {
    guard let bounds else { return nil }
    return (UnsafePointer(bounds + b * s), UnsafePointer(bounds + batch * s + b * s))
}

/// Keys `lo..<hi` that query `i` (aligned with key `a = i + S − T`) may see:
/// - causal: `hi = a + 1`, else `hi = S`;
/// - with segment runs: `lo` = the first key of `a`'s run and, without the causal rule, `hi` =
///   one past its last key; else `lo = 0`.
/// Padding is applied on top, key by key.
@inline(__always)
func visibleKeys(query i: Int, queryLength t: Int, keyLength s: Int, causal: Bool, runs: SegmentRuns?) -> Range<Int> {
    let aligned = i + (s - t)
    var lo = 0, hi = causal ? Swift.max(0, Swift.min(s, aligned + 1)) : s
    if let runs, aligned >= 0 && aligned < s {
        lo = Int(runs.start[aligned])
        if !causal { hi = Int(runs.end[aligned]) }
    }
    return lo..<Swift.max(lo, hi)
}

/// The smallest range holding the visible keys of every query in `queries` (empty when none
/// sees any key).
@inline(__always)
func blockKeys(_ queries: Range<Int>, queryLength t: Int, keyLength s: Int, causal: Bool, runs: SegmentRuns?) -> Range<Int> {
    var lo = Int.max, hi = Int.min
    for i in queries {
        let keys = visibleKeys(query: i, queryLength: t, keyLength: s, causal: causal, runs: runs)
        if keys.isEmpty { continue }
        lo = Swift.min(lo, keys.lowerBound); hi = Swift.max(hi, keys.upperBound)
    }
    return lo < hi ? lo..<hi : 0..<0
}

// MARK: - Row kernels

/// Turns one row of raw scores `Q·Kᵀ` over the block's keys into masked softmax
/// probabilities of `scale·score` (in place; 0 outside `visible` and on padding) and returns
/// its log-sum-exp, `−∞` (with a zero row) when no key is visible.
@inline(__always)
private func softmaxRow(
    _ row: UnsafeMutablePointer<Float>, blockKeys keys: Range<Int>, visible: Range<Int>, scale: Float,
    mask: UnsafePointer<Float>?
) -> Float {
    let n = keys.count
    let first = visible.lowerBound - keys.lowerBound, count = visible.count
    let seen = row + first
    for j in 0..<count { seen[j] *= scale }
    if let mask { for j in 0..<count where mask[visible.lowerBound + j] == 0 { seen[j] = -.infinity } }
    let m = count > 0 ? Float(segmentExtreme(seen, count, sign: 1)) : -.infinity
    guard m > -.infinity else {
        row.update(repeating: 0, count: n)
        return -.infinity
    }
    let sum = shiftedExpSum(seen, count, shift: m, storingInto: seen)
    let inverse = Float(1 / sum)
    for j in 0..<count { seen[j] *= inverse }
    row.update(repeating: 0, count: first)
    (seen + count).update(repeating: 0, count: n - first - count)
    return m + Float(Foundation.log(sum))
}

/// Recomputes one probability row from raw scores over the block's keys (in place):
/// `exp(scale·score − lse)` where visible, 0 elsewhere and on fully masked rows.
@inline(__always)
private func probabilityRow(
    _ row: UnsafeMutablePointer<Float>, blockKeys keys: Range<Int>, visible: Range<Int>, scale: Float,
    mask: UnsafePointer<Float>?, logSumExp shift: Float
) {
    let n = keys.count
    guard shift > -.infinity else { row.update(repeating: 0, count: n); return }
    let first = visible.lowerBound - keys.lowerBound, count = visible.count
    let seen = row + first
    for j in 0..<count { seen[j] *= scale }
    if let mask { for j in 0..<count where mask[visible.lowerBound + j] == 0 { seen[j] = -.infinity } }
    fusedExpMinusConstant(seen, seen, count, shift: shift, scale: 1, constant: 0)
    row.update(repeating: 0, count: first)
    (seen + count).update(repeating: 0, count: n - first - count)
}

/// `dS = scale·P ⊙ (dP − rowsum(dP ⊙ P))` for one row, written over `dP`.
@inline(__always)
private func softmaxBackwardRow(_ p: UnsafePointer<Float>, _ dp: UnsafeMutablePointer<Float>, _ n: Int, scale: Float) {
    var dot: Float = 0
    for j in 0..<n { dot += p[j] * dp[j] }
    for j in 0..<n { dp[j] = scale * p[j] * (dp[j] - dot) }
}
