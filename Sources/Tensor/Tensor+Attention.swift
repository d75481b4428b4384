import Foundation

// Scaled dot-product attention with grouped-query heads, causal and padding masks and document
// segments: the kernels behind Autograd's `scaledDotProductAttention`.
//
// Layout here: query `[B, Hq, T, Dh]`, key `[B, Hkv, S, Dh]`, value `[B, Hkv, S, Dv]`, output
// `[B, Hq, T, Dv]`; query head `h` reads kv head `h / (Hq/Hkv)`. (Tensor+AttentionTokenMajor.swift
// holds the same kernels for `[B, T, H·D]` rows.) K and V are never copied per query head.
// The work (one parallel loop over heads, query blocks that skip the keys above the causal
// diagonal, single-threaded BLAS products per item) is described in AttentionKernels.swift.
//
// The forward keeps only the log-sum-exp of every score row (`[B, Hq, T]`); the backward
// recomputes the probabilities from Q, K and it, as FlashAttention does, so no `[T, S]`
// matrix per head outlives the call.
//
// Document segments (packed sequences): `[B, S]` ids whose maximal runs of equal adjacent values
// are documents; a query sees only keys of its own run. Because a run is contiguous, the keys a
// score row may see are always one range `lo..<hi` (see `visibleKeys`): the segment only raises
// the row's lower bound (and, without the causal rule, lowers its upper bound), so no dense
// `[T, S]` mask is built and a block of queries multiplies against its key range only.

/// Geometry of one attention call (see the file comment).
package struct AttentionGeometry: Sendable {
    package let batch: Int, queryHeads: Int, keyValueHeads: Int
    package let queryLength: Int, keyLength: Int, headSize: Int, valueSize: Int
    /// Query heads per kv head.
    package var group: Int { queryHeads / keyValueHeads }
    /// Causal offset `S − T`: query `t` sees keys `0…t + offset`.
    package var causalOffset: Int { keyLength - queryLength }

    package init(
        batch: Int, queryHeads: Int, keyValueHeads: Int, queryLength: Int, keyLength: Int, headSize: Int, valueSize: Int,
        paddingMask: [Int]?, segmentCount: Int?, shapes: @autoclosure () -> String
    ) {
        self.batch = batch; self.queryHeads = queryHeads; self.keyValueHeads = keyValueHeads
        self.queryLength = queryLength; self.keyLength = keyLength; self.headSize = headSize; self.valueSize = valueSize
        check(keyValueHeads > 0 ? queryHeads % keyValueHeads == 0 : queryHeads == 0,
              "scaledDotProductAttention: \(queryHeads) query heads are not a multiple of \(keyValueHeads) kv heads (\(shapes()))")
        if let paddingMask {
            check(paddingMask == [batch, keyLength],
                  "scaledDotProductAttention: padding mask of shape \(describeShape(paddingMask)) for \(shapes()); expected [\(batch), \(keyLength)]")
        }
        if let segmentCount {
            check(segmentCount == batch * keyLength,
                  "scaledDotProductAttention: \(segmentCount) segment ids for \(shapes()); expected B·S = \(batch * keyLength)")
            check(queryLength <= keyLength,
                  "scaledDotProductAttention: segment ids need T ≤ S (queries aligned with the last T keys); got \(shapes())")
        }
    }

    /// The geometry of head-major `[B, H, L, D]` operands.
    package init(query: [Int], key: [Int], value: [Int], paddingMask: [Int]?, segmentCount: Int? = nil) {
        let shapes = "query \(describeShape(query)), key \(describeShape(key)), value \(describeShape(value))"
        check(query.count == 4 && key.count == 4 && value.count == 4,
              "scaledDotProductAttention: needs rank-4 [B, H, T, D] tensors; got \(shapes)")
        check(key[0] == query[0] && value[0] == query[0] && value[1] == key[1] && value[2] == key[2]
                && key[3] == query[3],
              "scaledDotProductAttention: shapes do not fit [B, Hq, T, Dh], [B, Hkv, S, Dh], [B, Hkv, S, Dv]; got \(shapes)")
        self.init(batch: query[0], queryHeads: query[1], keyValueHeads: key[1], queryLength: query[2], keyLength: key[2],
                  headSize: query[3], valueSize: value[3], paddingMask: paddingMask, segmentCount: segmentCount, shapes: shapes)
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
        let (hq, hkv, t, s) = (g.queryHeads, g.keyValueHeads, g.queryLength, g.keyLength)
        var output = Tensor(uninitializedShape: [g.batch, hq, t, g.valueSize])
        var lse = Tensor(uninitializedShape: [g.batch, hq, t])
        guard lse.count > 0 else { return (output, savingLogSumExp ? lse : nil) }
        withAttentionMasks(g, paddingMask: paddingMask, causal: causal, scale: scale, segmentIDs: segmentIDs) { masks in
            output.withUnsafeMutableBufferPointer { out in
                lse.withUnsafeMutableBufferPointer { lseBuffer in
                    attentionForwardKernel(
                        g, masks: masks,
                        query: query.storage.pointer, .headMajor(heads: hq, length: t, features: g.headSize),
                        key: key.storage.pointer, .headMajor(heads: hkv, length: s, features: g.headSize),
                        value: value.storage.pointer, .headMajor(heads: hkv, length: s, features: g.valueSize),
                        // With Dv = 0 the output is empty and never written.
                        output: out.baseAddress ?? lseBuffer.baseAddress!, .headMajor(heads: hq, length: t, features: g.valueSize),
                        logSumExp: lseBuffer.baseAddress!)
                }
            }
        }
        return (output, savingLogSumExp ? lse : nil)
    }

    /// Gradients of ``attention(query:key:value:paddingMask:causal:scale:savingLogSumExp:segmentIDs:)``
    /// from the output gradient `dO` `[B, Hq, T, Dv]`:
    ///
    /// `P = exp(scale·Q·Kᵀ − lse)` (masked entries 0), `dV = Pᵀ·dO`, `dP = dO·Vᵀ`,
    /// `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dQ = scale·dS·K`, `dK = scale·dSᵀ·Q`, where `dK` and
    /// `dV` sum over the query heads of each kv head. `segmentIDs` must be those of the forward.
    package static func attentionBackward(
        outputGradient: Tensor, query: Tensor, key: Tensor, value: Tensor, logSumExp: Tensor,
        paddingMask: Tensor?, causal: Bool, scale: Float, segmentIDs: [Int32]? = nil
    ) -> (query: Tensor, key: Tensor, value: Tensor) {
        let g = AttentionGeometry(query: query.shape, key: key.shape, value: value.shape, paddingMask: paddingMask?.shape,
                                  segmentCount: segmentIDs?.count)
        let (hq, hkv, t, s, dh, dv) = (g.queryHeads, g.keyValueHeads, g.queryLength, g.keyLength, g.headSize, g.valueSize)
        check(outputGradient.shape == [g.batch, hq, t, dv] && logSumExp.shape == [g.batch, hq, t],
              "attentionBackward: output gradient \(describeShape(outputGradient.shape)) / log-sum-exp \(describeShape(logSumExp.shape)) do not fit query \(describeShape(query.shape)), value \(describeShape(value.shape))")
        guard t > 0 && s > 0 && g.batch > 0 && hkv > 0 && dh > 0 && dv > 0 else {
            return (Tensor.zeros(query.shape), Tensor.zeros(key.shape), Tensor.zeros(value.shape))
        }
        var dq = Tensor(uninitializedShape: query.shape)
        var dk = Tensor(uninitializedShape: key.shape), dvT = Tensor(uninitializedShape: value.shape)
        withAttentionMasks(g, paddingMask: paddingMask, causal: causal, scale: scale, segmentIDs: segmentIDs) { masks in
            dq.withUnsafeMutableBufferPointer { dqBuffer in
                dk.withUnsafeMutableBufferPointer { dkBuffer in
                    dvT.withUnsafeMutableBufferPointer { dvBuffer in
                        attentionBackwardKernel(
                            g, masks: masks,
                            query: query.storage.pointer, .headMajor(heads: hq, length: t, features: dh),
                            key: key.storage.pointer, .headMajor(heads: hkv, length: s, features: dh),
                            value: value.storage.pointer, .headMajor(heads: hkv, length: s, features: dv),
                            outputGradient: outputGradient.storage.pointer, .headMajor(heads: hq, length: t, features: dv),
                            logSumExp: logSumExp.storage.pointer,
                            queryGradient: dqBuffer.baseAddress!, .headMajor(heads: hq, length: t, features: dh),
                            keyGradient: dkBuffer.baseAddress!, .headMajor(heads: hkv, length: s, features: dh),
                            valueGradient: dvBuffer.baseAddress!, .headMajor(heads: hkv, length: s, features: dv))
                    }
                }
            }
        }
        return (dq, dk, dvT)
    }
}

/// Runs `body` with the masks of one attention call: the padding mask's storage and the
/// segment runs of `segmentIDs` (built here, freed after `body`).
func withAttentionMasks<R>(
    _ g: AttentionGeometry, paddingMask: Tensor?, causal: Bool, scale: Float, segmentIDs: [Int32]?,
    _ body: (AttentionMasks) -> R
) -> R {
    let runs = segmentIDs.map { makeSegmentRuns($0, batch: g.batch, keyLength: g.keyLength) }
    defer { runs?.deallocate() }
    let masks = AttentionMasks(causal: causal, scale: scale, padding: paddingMask.map { UnsafePointer($0.storage.pointer) },
                               runs: runs)
    return withExtendedLifetime(paddingMask) { body(masks) }
}
