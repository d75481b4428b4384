import Foundation

// Scaled dot-product attention with grouped-query heads, causal and padding masks: the kernels
// behind Autograd's `scaledDotProductAttention`.
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

/// Geometry of one attention call (see the file comment).
package struct AttentionGeometry: Sendable {
    package let batch: Int, queryHeads: Int, keyValueHeads: Int
    package let queryLength: Int, keyLength: Int, headSize: Int, valueSize: Int
    /// Query heads per kv head.
    package var group: Int { queryHeads / keyValueHeads }
    /// Causal offset `S − T`: query `t` sees keys `0…t + offset`.
    package var causalOffset: Int { keyLength - queryLength }

    package init(query: [Int], key: [Int], value: [Int], paddingMask: [Int]?) {
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
    }
}

extension Tensor {
    /// `softmax(scale·Q·Kᵀ + mask)·V` per head; see the file comment for layouts.
    ///
    /// - Parameters:
    ///   - paddingMask: `[B, S]`, nonzero = attend, 0 = padding; or `nil`.
    ///   - causal: query `t` attends to keys `j ≤ t + S − T` only.
    ///   - savingLogSumExp: keep `[B, Hq, T]` row log-sum-exps for the backward.
    /// - Returns: output `[B, Hq, T, Dv]` and the log-sum-exps (`−∞` on fully masked rows).
    package static func attention(
        query: Tensor, key: Tensor, value: Tensor, paddingMask: Tensor?, causal: Bool, scale: Float,
        savingLogSumExp: Bool
    ) -> (output: Tensor, logSumExp: Tensor?) {
        let g = AttentionGeometry(query: query.shape, key: key.shape, value: value.shape, paddingMask: paddingMask?.shape)
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
                                         causal: causal, mask: mask.map { $0 + b * s }, logSumExp: rowLSE)
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
    /// sum over the group.
    package static func attentionBackward(
        outputGradient: Tensor, query: Tensor, key: Tensor, value: Tensor, logSumExp: Tensor,
        paddingMask: Tensor?, causal: Bool, scale: Float
    ) -> (query: Tensor, key: Tensor, value: Tensor) {
        let g = AttentionGeometry(query: query.shape, key: key.shape, value: value.shape, paddingMask: paddingMask?.shape)
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
                                                   causal: causal, mask: mask.map { $0 + b * s }, logSumExp: plse + head * t)
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

/// Keys `0..<limit` that row `i` (query `i mod T`) may see under the causal rule.
@inline(__always)
private func visibleKeys(row i: Int, queryLength t: Int, keyLength s: Int, causal: Bool) -> Int {
    guard causal else { return s }
    return Swift.max(0, Swift.min(s, i % t + (s - t) + 1))
}

/// Turns raw scores `Q·Kᵀ` (`rows × S`, in place) into masked softmax probabilities of
/// `scale·scores`, writing each row's log-sum-exp (`−∞` and a zero row when fully masked).
private func attentionSoftmax(
    _ scores: UnsafeMutablePointer<Float>, rows: Int, queryLength t: Int, keyLength s: Int, scale: Float,
    causal: Bool, mask: UnsafePointer<Float>?, logSumExp: UnsafeMutablePointer<Float>
) {
    parallelChunks(total: rows, grain: attentionGrain(s)) { _, range in
        for i in range {
            let row = scores + i * s
            let limit = visibleKeys(row: i, queryLength: t, keyLength: s, causal: causal)
            for j in 0..<limit { row[j] *= scale }
            if let mask { for j in 0..<limit where mask[j] == 0 { row[j] = -.infinity } }
            let m = Float(segmentExtreme(row, limit, sign: 1))
            guard m > -.infinity else {
                row.update(repeating: 0, count: s)
                logSumExp[i] = -.infinity
                continue
            }
            let sum = shiftedExpSum(row, limit, shift: m, storingInto: row)
            let inverse = Float(1 / sum)
            for j in 0..<limit { row[j] *= inverse }
            (row + limit).update(repeating: 0, count: s - limit)
            logSumExp[i] = m + Float(Foundation.log(sum))
        }
    }
}

/// Recomputes probabilities from raw scores (in place): `exp(scale·score − lse)` where
/// visible, 0 elsewhere and on fully masked rows.
private func attentionProbabilities(
    _ scores: UnsafeMutablePointer<Float>, rows: Int, queryLength t: Int, keyLength s: Int, scale: Float,
    causal: Bool, mask: UnsafePointer<Float>?, logSumExp: UnsafePointer<Float>
) {
    parallelChunks(total: rows, grain: attentionGrain(s)) { _, range in
        for i in range {
            let row = scores + i * s
            let limit = visibleKeys(row: i, queryLength: t, keyLength: s, causal: causal)
            let shift = logSumExp[i]
            guard shift > -.infinity else { row.update(repeating: 0, count: s); continue }
            for j in 0..<limit { row[j] *= scale }
            if let mask { for j in 0..<limit where mask[j] == 0 { row[j] = -.infinity } }
            fusedExpMinusConstant(row, row, limit, shift: shift, scale: 1, constant: 0)
            (row + limit).update(repeating: 0, count: s - limit)
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
