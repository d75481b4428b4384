import Foundation

// Attention on token-major rows, the layout the projections produce: query `[B, T, Hq·Dh]`,
// key `[B, S, Hkv·Dh]`, value `[B, S, Hkv·Dv]` (head `h` in columns `h·D ..< (h + 1)·D`),
// output `[B, T, Hq·Dv]`, ready for the output projection. The fused form reads GPT-2's
// `c_attn` output `[B, T, 3·D]` directly: q in columns `0 ..< D`, k in `D ..< 2D`, v in
// `2D ..< 3D`, each split into `H` heads of `D/H`; its backward writes one `[B, T, 3·D]`
// gradient. No operand is transposed or copied: BLAS reads each head's `[L, D]` block with the
// row width as its leading dimension. The masks, semantics and kernels are those of
// Tensor+Attention.swift (AttentionKernels.swift); log-sum-exps stay `[B, Hq, T]`.

extension Tensor {
    /// `softmax(scale·Q·Kᵀ + mask)·V` per head on token-major rows (see the file comment).
    ///
    /// - Parameters:
    ///   - query: `[B, T, Hq·Dh]`; key: `[B, S, Hkv·Dh]`; value: `[B, S, Hkv·Dv]`.
    ///   - queryHeads: `Hq`; keyValueHeads: `Hkv` (divides `Hq`).
    ///   - paddingMask, causal, segmentIDs, scale, savingLogSumExp: as in the head-major
    ///     ``attention(query:key:value:paddingMask:causal:scale:savingLogSumExp:segmentIDs:)``.
    /// - Returns: output `[B, T, Hq·Dv]` and the `[B, Hq, T]` log-sum-exps.
    package static func attention(
        query: Tensor, key: Tensor, value: Tensor, queryHeads: Int, keyValueHeads: Int,
        paddingMask: Tensor?, causal: Bool, scale: Float, savingLogSumExp: Bool, segmentIDs: [Int32]? = nil
    ) -> (output: Tensor, logSumExp: Tensor?) {
        let g = tokenMajorGeometry(query: query.shape, key: key.shape, value: value.shape, queryHeads: queryHeads,
                                   keyValueHeads: keyValueHeads, paddingMask: paddingMask?.shape, segmentCount: segmentIDs?.count)
        let operands = TokenMajorOperands(g, query: query.storage.pointer, key: key.storage.pointer, value: value.storage.pointer,
                                          queryWidth: query.shape[2], keyWidth: key.shape[2], valueWidth: value.shape[2])
        return tokenMajorForward(g, operands, paddingMask: paddingMask, causal: causal, scale: scale,
                                 savingLogSumExp: savingLogSumExp, segmentIDs: segmentIDs, keeping: [query, key, value])
    }

    /// Gradients of the token-major
    /// ``attention(query:key:value:queryHeads:keyValueHeads:paddingMask:causal:scale:savingLogSumExp:segmentIDs:)``
    /// from `dO` `[B, T, Hq·Dv]` (formulas as in the head-major ``attentionBackward(outputGradient:query:key:value:logSumExp:paddingMask:causal:scale:segmentIDs:)``).
    /// - Returns: `dQ` `[B, T, Hq·Dh]`, `dK` `[B, S, Hkv·Dh]`, `dV` `[B, S, Hkv·Dv]`.
    package static func attentionBackward(
        outputGradient: Tensor, query: Tensor, key: Tensor, value: Tensor, queryHeads: Int, keyValueHeads: Int,
        logSumExp: Tensor, paddingMask: Tensor?, causal: Bool, scale: Float, segmentIDs: [Int32]? = nil
    ) -> (query: Tensor, key: Tensor, value: Tensor) {
        let g = tokenMajorGeometry(query: query.shape, key: key.shape, value: value.shape, queryHeads: queryHeads,
                                   keyValueHeads: keyValueHeads, paddingMask: paddingMask?.shape, segmentCount: segmentIDs?.count)
        guard query.count > 0 && key.count > 0 && value.count > 0 else {  // nothing attends: zero gradients
            return (Tensor.zeros(query.shape), Tensor.zeros(key.shape), Tensor.zeros(value.shape))
        }
        var dq = Tensor(uninitializedShape: query.shape)
        var dk = Tensor(uninitializedShape: key.shape), dv = Tensor(uninitializedShape: value.shape)
        let operands = TokenMajorOperands(g, query: query.storage.pointer, key: key.storage.pointer, value: value.storage.pointer,
                                          queryWidth: query.shape[2], keyWidth: key.shape[2], valueWidth: value.shape[2])
        dq.withUnsafeMutableBufferPointer { dqBuffer in
            dk.withUnsafeMutableBufferPointer { dkBuffer in
                dv.withUnsafeMutableBufferPointer { dvBuffer in
                    let gradients = TokenMajorOperands(g, query: dqBuffer.baseAddress, key: dkBuffer.baseAddress,
                                                       value: dvBuffer.baseAddress, queryWidth: query.shape[2],
                                                       keyWidth: key.shape[2], valueWidth: value.shape[2])
                    tokenMajorBackward(g, operands, gradients: gradients, outputGradient: outputGradient, logSumExp: logSumExp,
                                       paddingMask: paddingMask, causal: causal, scale: scale, segmentIDs: segmentIDs,
                                       keeping: [query, key, value])
                }
            }
        }
        return (dq, dk, dv)
    }

    /// Multi-head attention read straight from a fused q|k|v projection (see the file comment).
    ///
    /// - Parameters:
    ///   - fusedQKV: `[B, T, 3·D]`, q|k|v side by side; `heads` divides `D`.
    ///   - heads: `H`, for queries, keys and values alike (head size `D/H`).
    ///   - paddingMask: `[B, T]` or `nil`; causal, segmentIDs (`[B, T]`), scale: as in the
    ///     head-major ``attention(query:key:value:paddingMask:causal:scale:savingLogSumExp:segmentIDs:)``.
    /// - Returns: output `[B, T, D]` and the `[B, H, T]` log-sum-exps.
    package static func attention(
        fusedQKV: Tensor, heads: Int, paddingMask: Tensor?, causal: Bool, scale: Float, savingLogSumExp: Bool,
        segmentIDs: [Int32]? = nil
    ) -> (output: Tensor, logSumExp: Tensor?) {
        let g = fusedGeometry(fusedQKV.shape, heads: heads, paddingMask: paddingMask?.shape, segmentCount: segmentIDs?.count)
        return tokenMajorForward(g, .fused(g, fusedQKV.storage.pointer), paddingMask: paddingMask, causal: causal, scale: scale,
                                 savingLogSumExp: savingLogSumExp, segmentIDs: segmentIDs, keeping: [fusedQKV])
    }

    /// Gradient of ``attention(fusedQKV:heads:paddingMask:causal:scale:savingLogSumExp:segmentIDs:)``
    /// from `dO` `[B, T, D]`: one `[B, T, 3·D]` tensor holding `dQ | dK | dV`.
    package static func attentionBackward(
        outputGradient: Tensor, fusedQKV: Tensor, heads: Int, logSumExp: Tensor, paddingMask: Tensor?, causal: Bool,
        scale: Float, segmentIDs: [Int32]? = nil
    ) -> Tensor {
        let g = fusedGeometry(fusedQKV.shape, heads: heads, paddingMask: paddingMask?.shape, segmentCount: segmentIDs?.count)
        guard fusedQKV.count > 0 else { return Tensor.zeros(fusedQKV.shape) }
        var gradient = Tensor(uninitializedShape: fusedQKV.shape)
        gradient.withUnsafeMutableBufferPointer { buffer in
            tokenMajorBackward(g, .fused(g, fusedQKV.storage.pointer), gradients: .fused(g, buffer.baseAddress),
                               outputGradient: outputGradient, logSumExp: logSumExp, paddingMask: paddingMask,
                               causal: causal, scale: scale, segmentIDs: segmentIDs, keeping: [fusedQKV])
        }
        return gradient
    }
}

// MARK: - Shared plumbing

/// Base pointers and strides of token-major q, k, v (or of their gradients).
private struct TokenMajorOperands {
    var query: UnsafeMutablePointer<Float>?, key: UnsafeMutablePointer<Float>?, value: UnsafeMutablePointer<Float>?
    var queryStrides: AttentionStrides, keyStrides: AttentionStrides, valueStrides: AttentionStrides

    init(_ g: AttentionGeometry, query: UnsafeMutablePointer<Float>?, key: UnsafeMutablePointer<Float>?,
         value: UnsafeMutablePointer<Float>?, queryWidth: Int, keyWidth: Int, valueWidth: Int) {
        (self.query, self.key, self.value) = (query, key, value)
        queryStrides = .tokenMajor(length: g.queryLength, rowWidth: queryWidth, features: g.headSize)
        keyStrides = .tokenMajor(length: g.keyLength, rowWidth: keyWidth, features: g.headSize)
        valueStrides = .tokenMajor(length: g.keyLength, rowWidth: valueWidth, features: g.valueSize)
    }

    /// q, k, v as the three column blocks of one `[B, T, 3·D]` tensor.
    static func fused(_ g: AttentionGeometry, _ base: UnsafeMutablePointer<Float>?) -> TokenMajorOperands {
        let d = g.queryHeads * g.headSize
        return TokenMajorOperands(g, query: base, key: base.map { $0 + d }, value: base.map { $0 + 2 * d },
                                  queryWidth: 3 * d, keyWidth: 3 * d, valueWidth: 3 * d)
    }
}

private func tokenMajorGeometry(
    query: [Int], key: [Int], value: [Int], queryHeads hq: Int, keyValueHeads hkv: Int, paddingMask: [Int]?, segmentCount: Int?
) -> AttentionGeometry {
    let shapes = "query \(describeShape(query)), key \(describeShape(key)), value \(describeShape(value)), \(hq) query heads, \(hkv) kv heads"
    check(query.count == 3 && key.count == 3 && value.count == 3 && hq > 0 && hkv > 0,
          "scaledDotProductAttention: token-major attention needs rank-3 [B, L, H·D] tensors and positive head counts; got \(shapes)")
    check(query[2] % hq == 0 && key[2] % hkv == 0 && value[2] % hkv == 0 && query[2] / hq == key[2] / hkv
            && key[0] == query[0] && value[0] == query[0] && value[1] == key[1],
          "scaledDotProductAttention: shapes do not fit [B, T, Hq·Dh], [B, S, Hkv·Dh], [B, S, Hkv·Dv]; got \(shapes)")
    return AttentionGeometry(batch: query[0], queryHeads: hq, keyValueHeads: hkv, queryLength: query[1], keyLength: key[1],
                             headSize: query[2] / hq, valueSize: value[2] / hkv, paddingMask: paddingMask,
                             segmentCount: segmentCount, shapes: shapes)
}

private func fusedGeometry(_ shape: [Int], heads: Int, paddingMask: [Int]?, segmentCount: Int?) -> AttentionGeometry {
    let shapes = "fused q|k|v \(describeShape(shape)), \(heads) heads"
    check(shape.count == 3 && heads > 0 && shape[2] % (3 * heads) == 0,
          "scaledDotProductAttention: fused q|k|v must be [B, T, 3·D] with D a multiple of the head count; got \(shapes)")
    let headSize = shape[2] / (3 * heads)
    return AttentionGeometry(batch: shape[0], queryHeads: heads, keyValueHeads: heads, queryLength: shape[1],
                             keyLength: shape[1], headSize: headSize, valueSize: headSize, paddingMask: paddingMask,
                             segmentCount: segmentCount, shapes: shapes)
}

/// Runs the forward kernel on token-major operands; `keeping` holds their tensors alive.
private func tokenMajorForward(
    _ g: AttentionGeometry, _ x: TokenMajorOperands, paddingMask: Tensor?, causal: Bool, scale: Float,
    savingLogSumExp: Bool, segmentIDs: [Int32]?, keeping: [Tensor]
) -> (output: Tensor, logSumExp: Tensor?) {
    let (t, width) = (g.queryLength, g.queryHeads * g.valueSize)
    var output = Tensor(uninitializedShape: [g.batch, t, width])
    var lse = Tensor(uninitializedShape: [g.batch, g.queryHeads, t])
    guard lse.count > 0 else { return (output, savingLogSumExp ? lse : nil) }
    guard let q = x.query, let k = x.key, let v = x.value else {  // an empty operand (Dh = 0 or S = 0)
        return (Tensor.zeros(output.shape), savingLogSumExp ? Tensor(shape: lse.shape, repeating: -.infinity) : nil)
    }
    withExtendedLifetime(keeping) {
        withAttentionMasks(g, paddingMask: paddingMask, causal: causal, scale: scale, segmentIDs: segmentIDs) { masks in
            output.withUnsafeMutableBufferPointer { out in
                lse.withUnsafeMutableBufferPointer { lseBuffer in
                    attentionForwardKernel(
                        g, masks: masks, query: q, x.queryStrides, key: k, x.keyStrides, value: v, x.valueStrides,
                        // With Dv = 0 the output is empty and never written.
                        output: out.baseAddress ?? lseBuffer.baseAddress!,
                        .tokenMajor(length: t, rowWidth: width, features: g.valueSize),
                        logSumExp: lseBuffer.baseAddress!)
                }
            }
        }
    }
    return (output, savingLogSumExp ? lse : nil)
}

/// Runs the backward kernel on token-major operands, writing every element of `gradients`.
private func tokenMajorBackward(
    _ g: AttentionGeometry, _ x: TokenMajorOperands, gradients: TokenMajorOperands, outputGradient: Tensor,
    logSumExp: Tensor, paddingMask: Tensor?, causal: Bool, scale: Float, segmentIDs: [Int32]?, keeping: [Tensor]
) {
    let (t, width) = (g.queryLength, g.queryHeads * g.valueSize)
    check(outputGradient.shape == [g.batch, t, width] && logSumExp.shape == [g.batch, g.queryHeads, t],
          "attentionBackward: output gradient \(describeShape(outputGradient.shape)) / log-sum-exp \(describeShape(logSumExp.shape)); expected [\(g.batch), \(t), \(width)] / [\(g.batch), \(g.queryHeads), \(t)]")
    guard let q = x.query, let k = x.key, let v = x.value,
          let dq = gradients.query, let dk = gradients.key, let dv = gradients.value else { return }  // callers exclude empty operands
    withExtendedLifetime(keeping) {
        withAttentionMasks(g, paddingMask: paddingMask, causal: causal, scale: scale, segmentIDs: segmentIDs) { masks in
            attentionBackwardKernel(
                g, masks: masks, query: q, x.queryStrides, key: k, x.keyStrides, value: v, x.valueStrides,
                outputGradient: outputGradient.storage.pointer, .tokenMajor(length: t, rowWidth: width, features: g.valueSize),
                logSumExp: logSumExp.storage.pointer,
                queryGradient: dq, gradients.queryStrides, keyGradient: dk, gradients.keyStrides,
                valueGradient: dv, gradients.valueStrides)
        }
    }
}
