import Tensor

/// Scaled dot-product attention with grouped-query heads, as PyTorch's
/// `F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal, scale, enable_gqa=True)`
/// (Vaswani et al. 2017; grouped-query attention: Ainslie et al. 2023):
///
/// `out[b, h] = softmax(scale·Q[b, h]·K[b, h']ᵀ + M)·V[b, h']`, `h' = h / (Hq/Hkv)`,
///
/// where `M` is 0 where attention is allowed and `−∞` where it is not:
/// - `causal`: query `t` sees keys `j ≤ t + (S − T)`. The last query is aligned with the last
///   key, as when decoding with a KV cache (`T ≤ S`: the `T` queries are the last `T` positions
///   of `S`). For `T == S` this is the usual lower-triangular mask. (PyTorch's `is_causal`
///   aligns top-left instead; it differs only when `T ≠ S`.)
/// - `paddingMask[b, j] == 0`: key `j` of sequence `b` is padding and is never seen
///   (Hugging Face's `attention_mask`, 1 = token, 0 = pad).
/// - `segmentIDs[b, j]`: documents packed into one sequence. A maximal run of equal adjacent
///   ids is one document; query `t` (aligned with key `a = t + S − T`) sees only keys in `a`'s
///   run, so with `causal` it sees keys `runStart(a)…a`. This is the block-diagonal causal mask
///   of packed pretraining (as FlashAttention's variable-length kernels or Hugging Face's
///   packing with `position_ids`); it is applied as a per-row lower bound on the key index, so
///   it costs nothing extra. Pair it with positions that restart at 0 per document.
///
/// A query row that sees no key at all (e.g. a left-padded position under the causal mask)
/// gives an output row of zeros and zero gradients — not NaN as in PyTorch.
///
/// Computation: one parallel loop over heads (the backward over kv heads, so `dK` and `dV` are
/// each written by one work item), each item running single-threaded BLAS products on blocks of
/// 32–128 queries against only the keys the block may see (under the causal mask the blocks above
/// the diagonal are skipped, not computed and zeroed); K and V are never copied per query
/// head. The forward keeps only one log-sum-exp per query row; the backward recomputes the
/// probabilities `P` and applies `dV = Pᵀ·dO`, `dP = dO·Vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`,
/// `dQ = scale·dS·K`, `dK = scale·dSᵀ·Q`, with `dK`, `dV` summed over the query heads of each
/// kv head. Results do not depend on the thread count. For the `[B, T, H·D]` rows that
/// projections produce, ``scaledDotProductAttention(query:key:value:queryHeads:keyValueHeads:causal:paddingMask:segmentIDs:scale:)``
/// and ``scaledDotProductAttention(fusedQKV:heads:causal:paddingMask:segmentIDs:scale:)``
/// run the same kernels without transposes.
///
/// - Parameters:
///   - query: `[B, Hq, T, Dh]`.
///   - key: `[B, Hkv, S, Dh]`, `Hq` a multiple of `Hkv`.
///   - value: `[B, Hkv, S, Dv]`.
///   - causal: apply the causal mask described above.
///   - paddingMask: `[B, S]`, nonzero = attend, 0 = padding; or `nil` (default).
///   - segmentIDs: `[B, S]` row-major document ids (contiguous runs), or `nil` (default: one
///     document). Needs `T ≤ S`.
///   - scale: the factor on the scores (default `1/√Dh`).
/// - Returns: `[B, Hq, T, Dv]`.
public func scaledDotProductAttention(
    query: Variable, key: Variable, value: Variable, causal: Bool, paddingMask: Tensor? = nil,
    segmentIDs: [Int32]? = nil, scale: Float? = nil
) -> Variable {
    let scale = scale ?? 1 / Float(query.shape.last ?? 1).squareRoot()
    let tracked = query.isTracked || key.isTracked || value.isTracked
    let (q, k, v) = (query.value, key.value, value.value)
    let (output, lse) = Tensor.attention(query: q, key: k, value: v, paddingMask: paddingMask, causal: causal,
                                         scale: scale, savingLogSumExp: tracked, segmentIDs: segmentIDs)
    guard tracked, let lse else { return Variable(output) }
    return Variable.record(output, inputs: [query, key, value]) { g in
        let grads = Tensor.attentionBackward(outputGradient: g, query: q, key: k, value: v, logSumExp: lse,
                                             paddingMask: paddingMask, causal: causal, scale: scale,
                                             segmentIDs: segmentIDs)
        return [grads.query, grads.key, grads.value]
    }
}
