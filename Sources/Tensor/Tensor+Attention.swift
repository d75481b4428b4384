import Foundation

// Scaled dot-product attention with grouped-query heads, causal and padding masks and document
// segments: the kernels behind Autograd's `scaledDotProductAttention`.
//
// Layout: query `[B, Hq, T, Dh]`, key `[B, Hkv, S, Dh]`, value `[B, Hkv, S, Dv]`, output
// `[B, Hq, T, Dv]`; query head `h` reads kv head `h / (Hq/Hkv)`. The `r = Hq/Hkv` query heads
// of one kv head are contiguous in memory, so each (batch, kv head) is one `[r·T, Dh] ×
// [Dh, S]` product: K and V are never copied per query head. The loop over (batch, kv head)
// runs in sequence and each product uses the threaded BLAS; the row softmax between two
// products runs in Lore's parallel loop (no BLAS inside it).
//
// The forward keeps only the log-sum-exp of every score row (`[B, Hq, T]`); the backward
// recomputes the probabilities from Q, K and it, as FlashAttention does, so no `[T, S]`
// matrix per head outlives the call.
//
// Document segments (packed sequences): `[B, S]` ids whose maximal runs of equal adjacent values
// are documents; a query sees only keys of its own run. Because a run is contiguous, the keys a
// score row may see are always one range `lo..<hi` (see `visibleKeys`): the segment only raises
// the row's lower bound (and, without the causal rule, lowers its upper bound), so no dense
// `[T, S]` mask is built and the row kernels touch no more entries than before.

/// Geometry of one attention call (see the file comment).
package struct AttentionGeometry: Sendable {
    package let batch: Int, queryHeads: Int, keyValueHeads: Int
    package let queryLength: Int, keyLength: Int, headSize: Int, valueSize: Int
    /// Query heads per kv head.
    package var group: Int { queryHeads / keyValueHeads }
    /// Causal offset `S − T`: query `t` sees keys `0…t + offset`.
    package var causalOffset: Int { keyLength - queryLength }

    package init(query: [Int], key: [Int], value: [Int], paddingMask: [Int]?, segmentCount: Int? = nil) {
        let shapes = "query \(describeShape(query)), key \(describeShape(key)), value \(describeShape(value))"
        check(query.count == 4 && key.count == 4 && value.count == 4,
              "scaledDotProductAttention: needs rank-4 [B, H, T, D] tensors; got \(shapes)")
        batch = query[0]; queryHeads = query[1]; queryLength = query[2]; headSize = query[3]
        keyValueHeads = key[1]; keyLength = key[2]; valueSize = value[3]
        check(key[0] == batch && value[0] == batch && value[1] == keyValueHeads && value[2] == keyLength
                && key[3] == headSize,
              "scaledDotProductAttention: shapes do not fit [B, Hq, T, Dh], [B, Hkv, S, Dh], [B, Hkv, S, Dv]; got \(shapes)")
        check(keyValueHeads > 0 ? queryHeads % keyValueHeads == 0 : queryHeads == 0,
              "scaledDotProductAttention: \(queryHeads) query heads are not a multiple of \(keyValueHeads) kv heads (\(shapes))")
        if let paddingMask {
            check(paddingMask == [batch, keyLength],
                  "scaledDotProductAttention: padding mask of shape \(describeShape(paddingMask)) for \(shapes); expected [\(batch), \(keyLength)]")
        }
        if let segmentCount {
            check(segmentCount == batch * keyLength,
                  "scaledDotProductAttention: \(segmentCount) segment ids for \(shapes); expected B·S = \(batch * keyLength)")
            check(queryLength <= keyLength,
                  "scaledDotProductAttention: segment ids need T ≤ S (queries aligned with the last T keys); got \(shapes)")
        }
    }
}

extension Tensor {
    /// `softmax(scale·Q·Kᵀ + mask)·V` per head; see the file comment for layouts.
    ///
    /// - Parameters:
    ///   - paddingMask: `[B, S]`, nonzero = attend, 0 = padding; or `nil`.
    ///   - causal: query `t` attends to keys `j ≤ t + S − T` only.
    ///   - segmentIDs: `[B, S]` document ids (see the file comment), or `nil` (default): query
    ///     `t` sees only keys in the run holding key `t + S − T`. Needs `T ≤ S`.
    ///   - savingLogSumExp: keep `[B, Hq, T]` row log-sum-exps for the backward.
    /// - Returns: output `[B, Hq, T, Dv]` and the log-sum-exps (`−∞` on fully masked rows).
    package static func attention(
        query: Tensor, key: Tensor, value: Tensor, paddingMask: Tensor?, causal: Bool, scale: Float,
        savingLogSumExp: Bool, segmentIDs: [Int32]? = nil
    ) -> (output: Tensor, logSumExp: Tensor?) {
        let g = AttentionGeometry(query: query.shape, key: key.shape, value: value.shape, paddingMask: paddingMask?.shape,
                                  segmentCount: segmentIDs?.count)
        let (r, t, s, dh, dv) = (g.group, g.queryLength, g.keyLength, g.headSize, g.valueSize)
        var output = Tensor(uninitializedShape: [g.batch, g.queryHeads, t, dv])
        var lse = Tensor(uninitializedShape: [g.batch, g.queryHeads, t])
        guard output.count > 0 else { return (output, savingLogSumExp ? lse : nil) }
        let rows = r * t
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: rows * s)
        defer { scores.deallocate() }
        let pq = UnsafePointer(query.storage.pointer), pk = UnsafePointer(key.storage.pointer)
        let pv = UnsafePointer(value.storage.pointer)
        let mask = paddingMask.map { UnsafePointer($0.storage.pointer) }
        let runs = segmentIDs.map { makeSegmentRuns($0, batch: g.batch, keyLength: s) }
        defer { runs?.deallocate() }
        output.withUnsafeMutableBufferPointer { out in
            lse.withUnsafeMutableBufferPointer { lseBuffer in
                for b in 0..<g.batch {
                    for kv in 0..<g.keyValueHeads {
                        let head = b * g.queryHeads + kv * r       // first query head of the group
                        let k = pk + (b * g.keyValueHeads + kv) * s * dh
                        let v = pv + (b * g.keyValueHeads + kv) * s * dv
                        sgemmRowMajor(transposeA: false, transposeB: true, m: rows, n: s, k: dh,
                                      pq + head * t * dh, lda: dh, k, ldb: dh, scores, ldc: s, accumulate: false)
                        let rowLSE = lseBuffer.baseAddress! + head * t
                        attentionSoftmax(scores, rows: rows, queryLength: t, keyLength: s, scale: scale,
                                         causal: causal, mask: mask.map { $0 + b * s },
                                         runs: segmentRuns(runs, batch: g.batch, keyLength: s, row: b), logSumExp: rowLSE)
                        sgemmRowMajor(transposeA: false, transposeB: false, m: rows, n: dv, k: s,
                                      scores, lda: s, v, ldb: dv, out.baseAddress! + head * t * dv, ldc: dv,
                                      accumulate: false)
                    }
                }
            }
        }
        return (output, savingLogSumExp ? lse : nil)
    }

    /// Gradients of ``attention(query:key:value:paddingMask:causal:scale:savingLogSumExp:)``
    /// from the output gradient `dO` `[B, Hq, T, Dv]`:
    ///
    /// `P = exp(scale·Q·Kᵀ − lse)` (masked entries 0), `dV = Pᵀ·dO`, `dP = dO·Vᵀ`,
    /// `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dQ = scale·dS·K`, `dK = scale·dSᵀ·Q`, where the
    /// products for `dK` and `dV` run over the stacked rows of a kv head's query heads, so they
    /// sum over the group. `segmentIDs` must be those of the forward.
    package static func attentionBackward(
        outputGradient: Tensor, query: Tensor, key: Tensor, value: Tensor, logSumExp: Tensor,
        paddingMask: Tensor?, causal: Bool, scale: Float, segmentIDs: [Int32]? = nil
    ) -> (query: Tensor, key: Tensor, value: Tensor) {
        let g = AttentionGeometry(query: query.shape, key: key.shape, value: value.shape, paddingMask: paddingMask?.shape,
                                  segmentCount: segmentIDs?.count)
        let (r, t, s, dh, dv) = (g.group, g.queryLength, g.keyLength, g.headSize, g.valueSize)
        check(outputGradient.shape == [g.batch, g.queryHeads, t, dv] && logSumExp.shape == [g.batch, g.queryHeads, t],
              "attentionBackward: output gradient \(describeShape(outputGradient.shape)) / log-sum-exp \(describeShape(logSumExp.shape)) do not fit query \(describeShape(query.shape)), value \(describeShape(value.shape))")
        var dq = Tensor(uninitializedShape: query.shape)
        var dk = Tensor(uninitializedShape: key.shape), dvT = Tensor(uninitializedShape: value.shape)
        let rows = r * t
        guard rows > 0 && s > 0 && g.batch > 0 && g.keyValueHeads > 0 else {
            return (Tensor.zeros(query.shape), Tensor.zeros(key.shape), Tensor.zeros(value.shape))
        }
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 2 * rows * s)
        defer { p.deallocate() }
        let dp = p + rows * s
        let pq = UnsafePointer(query.storage.pointer), pk = UnsafePointer(key.storage.pointer)
        let pv = UnsafePointer(value.storage.pointer), pdo = UnsafePointer(outputGradient.storage.pointer)
        let plse = UnsafePointer(logSumExp.storage.pointer)
        let mask = paddingMask.map { UnsafePointer($0.storage.pointer) }
        let runs = segmentIDs.map { makeSegmentRuns($0, batch: g.batch, keyLength: s) }
        defer { runs?.deallocate() }
        dq.withUnsafeMutableBufferPointer { dqBuffer in
            dk.withUnsafeMutableBufferPointer { dkBuffer in
                dvT.withUnsafeMutableBufferPointer { dvBuffer in
                    for b in 0..<g.batch {
                        for kv in 0..<g.keyValueHeads {
                            let head = b * g.queryHeads + kv * r
                            let kvIndex = b * g.keyValueHeads + kv
                            let q = pq + head * t * dh, dO = pdo + head * t * dv
                            let k = pk + kvIndex * s * dh, v = pv + kvIndex * s * dv
                            sgemmRowMajor(transposeA: false, transposeB: true, m: rows, n: s, k: dh,
                                          q, lda: dh, k, ldb: dh, p, ldc: s, accumulate: false)
                            attentionProbabilities(p, rows: rows, queryLength: t, keyLength: s, scale: scale,
                                                   causal: causal, mask: mask.map { $0 + b * s }, runs: segmentRuns(runs, batch: g.batch, keyLength: s, row: b),
                                                   logSumExp: plse + head * t)
                            // dV = Pᵀ·dO: [S, r·T] × [r·T, Dv].
                            sgemmRowMajor(transposeA: true, transposeB: false, m: s, n: dv, k: rows,
                                          p, lda: s, dO, ldb: dv, dvBuffer.baseAddress! + kvIndex * s * dv, ldc: dv,
                                          accumulate: false)
                            // dP = dO·Vᵀ: [r·T, Dv] × [Dv, S].
                            sgemmRowMajor(transposeA: false, transposeB: true, m: rows, n: s, k: dv,
                                          dO, lda: dv, v, ldb: dv, dp, ldc: s, accumulate: false)
                            attentionSoftmaxBackwardRows(p, dp, rows: rows, length: s, scale: scale)
                            // dQ = dS·K: [r·T, S] × [S, Dh]; dK = dSᵀ·Q: [S, r·T] × [r·T, Dh].
                            sgemmRowMajor(transposeA: false, transposeB: false, m: rows, n: dh, k: s,
                                          dp, lda: s, k, ldb: dh, dqBuffer.baseAddress! + head * t * dh, ldc: dh,
                                          accumulate: false)
                            sgemmRowMajor(transposeA: true, transposeB: false, m: s, n: dh, k: rows,
                                          dp, lda: s, q, ldb: dh, dkBuffer.baseAddress! + kvIndex * s * dh, ldc: dh,
                                          accumulate: false)
                        }
                    }
                }
            }
        }
        return (dq, dk, dvT)
    }
}

// MARK: - Row kernels (run in Lore's parallel loop; no BLAS inside)

/// Score rows per parallel chunk (rows of `S` floats).
private func attentionGrain(_ s: Int) -> Int { Swift.max(1, (1 << 14) / Swift.max(1, s)) }

/// The key ranges of one sequence's segment runs: key `j` lies in the run `start[j] ..< end[j]`.
private typealias SegmentRuns = (start: UnsafePointer<Int32>, end: UnsafePointer<Int32>)

/// The runs of equal adjacent ids in `[B, S]` segment ids, as each key's run bounds: one
/// allocation of `2·B·S` values, `[B, S]` run starts then `[B, S]` run ends (one past the last
/// key). The caller deallocates it.
private func makeSegmentRuns(_ ids: [Int32], batch: Int, keyLength s: Int) -> UnsafeMutablePointer<Int32> {
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
private func segmentRuns(_ bounds: UnsafeMutablePointer<Int32>?, batch: Int, keyLength s: Int, row b: Int) -> SegmentRuns? {
    guard let bounds else { return nil }
    return (UnsafePointer(bounds + b * s), UnsafePointer(bounds + batch * s + b * s))
}

/// Keys `lo..<hi` that row `i` (query `i mod T`, aligned with key `a = i mod T + S − T`) may see:
/// - causal: `hi = a + 1`, else `hi = S`;
/// - with segment runs: `lo` = the first key of `a`'s run and, without the causal rule, `hi` =
///   one past its last key; else `lo = 0`.
/// Padding is applied on top, key by key, by the callers.
@inline(__always)
private func visibleKeys(
    row i: Int, queryLength t: Int, keyLength s: Int, causal: Bool,
    runs: SegmentRuns?
) -> Range<Int> {
    let aligned = i % t + (s - t)
    var lo = 0, hi = causal ? Swift.max(0, Swift.min(s, aligned + 1)) : s
    if let runs, aligned >= 0 && aligned < s {
        lo = Int(runs.start[aligned])
        if !causal { hi = Int(runs.end[aligned]) }
    }
    return lo..<Swift.max(lo, hi)
}

/// Turns raw scores `Q·Kᵀ` (`rows × S`, in place) into masked softmax probabilities of
/// `scale·scores`, writing each row's log-sum-exp (`−∞` and a zero row when fully masked).
private func attentionSoftmax(
    _ scores: UnsafeMutablePointer<Float>, rows: Int, queryLength t: Int, keyLength s: Int, scale: Float,
    causal: Bool, mask: UnsafePointer<Float>?, runs: SegmentRuns?,
    logSumExp: UnsafeMutablePointer<Float>
) {
    parallelChunks(total: rows, grain: attentionGrain(s)) { _, range in
        for i in range {
            let row = scores + i * s
            let keys = visibleKeys(row: i, queryLength: t, keyLength: s, causal: causal, runs: runs)
            let visible = row + keys.lowerBound, n = keys.count   // the row's visible keys
            for j in keys { row[j] *= scale }
            if let mask { for j in keys where mask[j] == 0 { row[j] = -.infinity } }
            let m = Float(segmentExtreme(visible, n, sign: 1))
            guard m > -.infinity else {
                row.update(repeating: 0, count: s)
                logSumExp[i] = -.infinity
                continue
            }
            let sum = shiftedExpSum(visible, n, shift: m, storingInto: visible)
            let inverse = Float(1 / sum)
            for j in keys { row[j] *= inverse }
            row.update(repeating: 0, count: keys.lowerBound)
            (row + keys.upperBound).update(repeating: 0, count: s - keys.upperBound)
            logSumExp[i] = m + Float(Foundation.log(sum))
        }
    }
}

/// Recomputes probabilities from raw scores (in place): `exp(scale·score − lse)` where
/// visible, 0 elsewhere and on fully masked rows.
private func attentionProbabilities(
    _ scores: UnsafeMutablePointer<Float>, rows: Int, queryLength t: Int, keyLength s: Int, scale: Float,
    causal: Bool, mask: UnsafePointer<Float>?, runs: SegmentRuns?,
    logSumExp: UnsafePointer<Float>
) {
    parallelChunks(total: rows, grain: attentionGrain(s)) { _, range in
        for i in range {
            let row = scores + i * s
            let keys = visibleKeys(row: i, queryLength: t, keyLength: s, causal: causal, runs: runs)
            let shift = logSumExp[i]
            guard shift > -.infinity else { row.update(repeating: 0, count: s); continue }
            for j in keys { row[j] *= scale }
            if let mask { for j in keys where mask[j] == 0 { row[j] = -.infinity } }
            fusedExpMinusConstant(row + keys.lowerBound, row + keys.lowerBound, keys.count, shift: shift, scale: 1, constant: 0)
            row.update(repeating: 0, count: keys.lowerBound)
            (row + keys.upperBound).update(repeating: 0, count: s - keys.upperBound)
        }
    }
}

/// `dS = scale·P ⊙ (dP − rowsum(dP ⊙ P))`, written over `dP`.
private func attentionSoftmaxBackwardRows(
    _ p: UnsafePointer<Float>, _ dp: UnsafeMutablePointer<Float>, rows: Int, length s: Int, scale: Float
) {
    parallelChunks(total: rows, grain: attentionGrain(s)) { _, range in
        for i in range {
            let pr = p + i * s, dr = dp + i * s
            var dot: Float = 0
            for j in 0..<s { dot += pr[j] * dr[j] }
            for j in 0..<s { dr[j] = scale * pr[j] * (dr[j] - dot) }
        }
    }
}
