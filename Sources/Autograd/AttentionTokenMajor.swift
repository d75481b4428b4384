import Tensor

/// ``scaledDotProductAttention(query:key:value:causal:paddingMask:segmentIDs:scale:)`` on the
/// token-major rows that linear projections produce, with no transposes:
///
/// `out[b, t, h·Dv ..< (h+1)·Dv] = softmax(scale·q[b, ·, h]·k[b, ·, h']ᵀ + M)[t]·v[b, ·, h']`,
/// `h' = h / (Hq/Hkv)`,
///
/// where `x[b, ·, h]` is the `[L, D]` block of head `h` (columns `h·D ..< (h + 1)·D`) and the
/// mask `M` (causal aligned bottom-right, padding, document segments) is the one described on
/// the head-major function. Equal to reshaping to `[B, L, H, D]`, transposing to
/// `[B, H, L, D]`, calling the head-major function and transposing back to `[B, T, Hq·Dv]`,
/// but BLAS reads each head in place (the row width is its leading dimension) and the output
/// is written where the output projection reads it.
///
/// - Parameters:
///   - query: `[B, T, Hq·Dh]`.
///   - key: `[B, S, Hkv·Dh]`.
///   - value: `[B, S, Hkv·Dv]`.
///   - queryHeads: `Hq`.
///   - keyValueHeads: `Hkv`, dividing `Hq` (default: `Hq`, plain multi-head attention).
///   - causal, paddingMask (`[B, S]`), segmentIDs (`[B, S]`, needs `T ≤ S`): as on the
///     head-major function.
///   - scale: the factor on the scores (default `1/√Dh`).
/// - Returns: `[B, T, Hq·Dv]`.
public func scaledDotProductAttention(
    query: Variable, key: Variable, value: Variable, queryHeads: Int, keyValueHeads: Int? = nil, causal: Bool,
    paddingMask: Tensor? = nil, segmentIDs: [Int32]? = nil, scale: Float? = nil
) -> Variable {
    let hkv = keyValueHeads ?? queryHeads
    let headSize = queryHeads > 0 ? (query.shape.last ?? 0) / queryHeads : 0
    let scale = scale ?? 1 / Float(Swift.max(1, headSize)).squareRoot()
    let tracked = query.isTracked || key.isTracked || value.isTracked
    let (q, k, v) = (query.value, key.value, value.value)
    let (output, lse) = Tensor.attention(query: q, key: k, value: v, queryHeads: queryHeads, keyValueHeads: hkv,
                                         paddingMask: paddingMask, causal: causal, scale: scale,
                                         savingLogSumExp: tracked, segmentIDs: segmentIDs)
    guard tracked, let lse else { return Variable(output) }
    return Variable.record(output, inputs: [query, key, value]) { g in
        let grads = Tensor.attentionBackward(outputGradient: g, query: q, key: k, value: v, queryHeads: queryHeads,
                                             keyValueHeads: hkv, logSumExp: lse, paddingMask: paddingMask, causal: causal,
                                             scale: scale, segmentIDs: segmentIDs)
        return [grads.query, grads.key, grads.value]
    }
}

/// Multi-head self-attention read straight from a fused q|k|v projection such as GPT-2's
/// `c_attn`: equal to splitting `fusedQKV` into q, k, v `[B, T, D]` along the last axis and
/// calling ``scaledDotProductAttention(query:key:value:queryHeads:keyValueHeads:causal:paddingMask:segmentIDs:scale:)``
/// with `heads` query and kv heads, without the split; the gradient is one `[B, T, 3·D]`
/// tensor `dQ | dK | dV`.
///
/// - Parameters:
///   - fusedQKV: `[B, T, 3·D]`: q in columns `0 ..< D`, k in `D ..< 2D`, v in `2D ..< 3D`.
///   - heads: `H`, dividing `D` (head size `D/H`).
///   - causal, paddingMask (`[B, T]`), segmentIDs (`[B, T]`): as on the head-major function.
///   - scale: the factor on the scores (default `1/√(D/H)`).
/// - Returns: `[B, T, D]`.
public func scaledDotProductAttention(
    fusedQKV: Variable, heads: Int, causal: Bool, paddingMask: Tensor? = nil, segmentIDs: [Int32]? = nil,
    scale: Float? = nil
) -> Variable {
    let headSize = heads > 0 ? (fusedQKV.shape.last ?? 0) / (3 * heads) : 0
    let scale = scale ?? 1 / Float(Swift.max(1, headSize)).squareRoot()
    let x = fusedQKV.value
    let (output, lse) = Tensor.attention(fusedQKV: x, heads: heads, paddingMask: paddingMask, causal: causal, scale: scale,
                                         savingLogSumExp: fusedQKV.isTracked, segmentIDs: segmentIDs)
    guard fusedQKV.isTracked, let lse else { return Variable(output) }
    return Variable.record(output, inputs: [fusedQKV]) { g in
        [Tensor.attentionBackward(outputGradient: g, fusedQKV: x, heads: heads, logSumExp: lse, paddingMask: paddingMask,
                                  causal: causal, scale: scale, segmentIDs: segmentIDs)]
    }
}
