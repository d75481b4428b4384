import Foundation

// The output head and the cross-entropy fused, a fixed number of rows at a time, so that a
// `[N, V]` logits matrix (or its gradient) never exists.
//
// For each chunk of `C` rows the kernel writes the chunk's logits `h_c·Wᵀ (+ b)` into one
// reusable `[C, V]` buffer (one `sgemm`), computes every row's log-sum-exp and loss in
// parallel, and — when gradients are wanted — turns the buffer in place into
// `dlogits = softmax − (1 − ε)·onehot − ε/V` and at once applies the head's backward:
// `dH_c = dlogits·W`, `dW += dlogitsᵀ·h_c`, `db += Σ_rows dlogits` (two more `sgemm`s). The
// products run from the top level of the chunk loop (BLAS is never called inside Lore's
// parallel loop); the per-row work runs in `parallelChunks`, one row per thread at a time.
// Chunk boundaries depend only on `chunkRows`, never on the thread count.
//
// The gradients are those of the *sum* of the row losses; the differentiable wrapper
// (`linearCrossEntropy(hidden:weight:…)` in Autograd) scales them by the upstream gradient.

/// Default rows per chunk of ``Tensor/linearCrossEntropy(hidden:weight:bias:targets:ignoreIndex:labelSmoothing:hiddenGradient:weightGradient:biasGradient:chunkRows:)``
/// for a vocabulary of `V`: `max(256, 2²² / V)`, i.e. a `[rows, V]` buffer of 16 MiB — or of
/// `256 × V` floats when `V > 16,384` (SmolLM2's 49,152: 48 MiB). At least 256 rows keeps the
/// three products per chunk at full `sgemm` speed; small vocabularies get longer chunks (GPT-2
/// "small" at V = 8,192: 512 rows; V = 512: 8,192 rows), so tiny products do not dominate.
package func linearCrossEntropyChunkRows(vocabulary: Int) -> Int {
    Swift.max(256, (1 << 22) / Swift.max(vocabulary, 1))
}

/// The losses and (sum-of-losses) gradients of ``Tensor/linearCrossEntropy(hidden:weight:bias:targets:ignoreIndex:labelSmoothing:hiddenGradient:weightGradient:biasGradient:chunkRows:)``.
package struct LinearCrossEntropyResult {
    /// `[N]`: the loss of each row, 0 where the target is `ignoreIndex`.
    package var losses: Tensor
    /// Number of rows whose target is not `ignoreIndex`.
    package var targetCount: Int
    /// `[N, D]`: `∂(Σᵢ lossᵢ)/∂H`, or `nil` when not requested.
    package var hiddenGradient: Tensor?
    /// `[V, D]`: `∂(Σᵢ lossᵢ)/∂W`, or `nil` when not requested.
    package var weightGradient: Tensor?
    /// `[V]`: `∂(Σᵢ lossᵢ)/∂b`, or `nil` when not requested (or there is no bias).
    package var biasGradient: Tensor?
}

extension Tensor {
    /// Cross-entropy of the logits `H·Wᵀ + b` without materialising them, and optionally the
    /// gradients of the summed loss, computed in the same pass:
    ///
    /// `zᵢ = hᵢ·Wᵀ + b`, `lossᵢ = lse(zᵢ) − (1 − ε)·zᵢ[tᵢ] − ε·meanᵥ zᵢ[v]` (0 when `tᵢ` is ignored),
    ///
    /// `gᵢ = softmax(zᵢ) − (1 − ε)·onehot(tᵢ) − ε/V` (0 on ignored rows),
    /// `∂/∂hᵢ = gᵢ·W`, `∂/∂W = Σᵢ gᵢᵀ·hᵢ`, `∂/∂b = Σᵢ gᵢ`.
    ///
    /// Memory beyond the inputs: one `[chunkRows, V]` buffer, plus the requested gradients
    /// (`[N, D]`, `[V, D]`, `[V]`); nothing of size `N × V`.
    ///
    /// - Parameters:
    ///   - hidden: `[N, D]` or `[…, D]` (rows of the last axis).
    ///   - weight: `[V, D]` (a Linear layer's `[out, in]` layout, or a tied embedding table).
    ///   - bias: `[V]`, or `nil`.
    ///   - targets: `N` class indices in `0..<V`, or `ignoreIndex`.
    ///   - labelSmoothing: `ε` in `[0, 1]`.
    ///   - hiddenGradient, weightGradient, biasGradient: which gradients to compute; with none
    ///     (evaluation) the pass computes only the losses.
    ///   - chunkRows: rows per chunk; default `nil` = ``linearCrossEntropyChunkRows(vocabulary:)``
    ///     (tests lower it to cross chunk boundaries).
    package static func linearCrossEntropy(
        hidden: Tensor, weight: Tensor, bias: Tensor?, targets: [Int], ignoreIndex: Int, labelSmoothing: Float,
        hiddenGradient needH: Bool, weightGradient needW: Bool, biasGradient needB: Bool,
        chunkRows: Int? = nil
    ) -> LinearCrossEntropyResult {
        check(weight.rank == 2 && hidden.rank >= 1 && hidden.shape[hidden.rank - 1] == weight.shape[1],
              "linearCrossEntropy: hidden states of shape \(describeShape(hidden.shape)) do not fit weight \(describeShape(weight.shape)) ([V, D] with D = the hidden states' last axis)")
        let (v, d) = (weight.shape[0], weight.shape[1])
        if let bias {
            check(bias.shape == [v], "linearCrossEntropy: bias of shape \(describeShape(bias.shape)) for weight \(describeShape(weight.shape)); expected [\(v)]")
        }
        check(labelSmoothing >= 0 && labelSmoothing <= 1, "linearCrossEntropy: labelSmoothing \(labelSmoothing) is outside [0, 1]")
        let n = hidden.shape.dropLast().reduce(1, *)
        checkCrossEntropyTargets(logits: Array(hidden.shape.dropLast()) + [v], targets: targets,
                                 ignoreIndex: ignoreIndex, "linearCrossEntropy")
        let needB = needB && bias != nil
        let anyGradient = needH || needW || needB
        // Fresh tensors own their storage, so their pointers may be written directly.
        let losses = Tensor(uninitializedShape: [n])
        let dH = needH ? Tensor(uninitializedShape: [n, d]) : nil
        let dW = needW ? Tensor.zeros([v, d]) : nil
        let db = needB ? Tensor.zeros([v]) : nil
        let count = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
        guard n > 0 else {
            return LinearCrossEntropyResult(losses: losses, targetCount: 0, hiddenGradient: dH, weightGradient: dW, biasGradient: db)
        }
        let chunk = Swift.max(1, Swift.min(chunkRows ?? linearCrossEntropyChunkRows(vocabulary: v), n))
        let buffer = Tensor(uninitializedShape: [chunk, v])
        let z = buffer.storage.pointer, loss = losses.storage.pointer
        let h = hidden.basePointer, w = weight.basePointer, b = bias?.basePointer
        let epsilon = labelSmoothing
        // Rows per parallel task: about 64 Ki logits each, so small vocabularies batch many rows.
        let rowGrain = Swift.max(1, elementwiseGrain / Swift.max(v, 1))
        targets.withUnsafeBufferPointer { t in
            var start = 0
            while start < n {
                let rows = Swift.min(chunk, n - start)
                defer { start += rows }
                if !(start..<(start + rows)).contains(where: { t[$0] != ignoreIndex }) {
                    // Nothing to learn from this chunk: zero losses and hidden gradients, no products.
                    (loss + start).update(repeating: 0, count: rows)
                    if let dH { (dH.storage.pointer + start * d).update(repeating: 0, count: rows * d) }
                    continue
                }
                let hc = h + start * d
                if let b {
                    for r in 0..<rows { (z + r * v).update(from: b, count: v) }
                }
                sgemmRowMajor(transposeA: false, transposeB: true, m: rows, n: v, k: d,
                              hc, lda: d, w, ldb: d, z, ldc: v, accumulate: b != nil)
                parallelChunks(total: rows, grain: rowGrain) { _, range in
                    for r in range {
                        let i = start + r, row = z + r * v
                        guard t[i] != ignoreIndex else {
                            loss[i] = 0
                            if anyGradient { row.update(repeating: 0, count: v) }
                            continue
                        }
                        let s = fusedRowLogSumExp(row, v)
                        var l = s - Double(1 - epsilon) * Double(row[t[i]])
                        if epsilon != 0 { l -= Double(epsilon) * fusedRowSum(row, v) / Double(v) }
                        loss[i] = Float(l)
                        guard anyGradient else { continue }
                        fusedExpMinusConstant(row, row, v, shift: Float(s), scale: 1, constant: epsilon / Float(v))
                        row[t[i]] -= 1 - epsilon
                    }
                }
                guard anyGradient else { continue }
                if let dH {
                    sgemmRowMajor(transposeA: false, transposeB: false, m: rows, n: d, k: v,
                                  z, lda: v, w, ldb: d, dH.storage.pointer + start * d, ldc: d, accumulate: false)
                }
                if let dW {
                    sgemmRowMajor(transposeA: true, transposeB: false, m: v, n: d, k: rows,
                                  z, lda: v, hc, ldb: d, dW.storage.pointer, ldc: d, accumulate: true)
                }
                if let db {
                    // Column sums in row order; columns split across threads.
                    let out = db.storage.pointer
                    parallelChunks(total: v, grain: elementwiseGrain / 16) { _, columns in
                        for r in 0..<rows {
                            let row = z + r * v
                            for j in columns { out[j] += row[j] }
                        }
                    }
                }
            }
        }
        return LinearCrossEntropyResult(losses: losses, targetCount: count, hiddenGradient: dH, weightGradient: dW, biasGradient: db)
    }
}
