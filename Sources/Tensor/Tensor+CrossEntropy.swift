import Foundation

// Fused cross-entropy kernels: softmax, log and the pick of the target logit in one pass per
// row, so a `[N, V]` probability matrix never exists.
//
// The forward reads each row of logits three times (maximum, shifted exponentials summed,
// plain sum for label smoothing) and keeps one float per row: the log-sum-exp. The backward
// recomputes `exp(x − lse)` row by row and writes the gradient straight into its output. Rows
// are split into fixed chunks of `chunkRows` run in parallel; every row is computed by one
// thread in a fixed order, so results never depend on `Threads.count` or on `chunkRows`.
//
// The differentiable wrapper (`crossEntropy(logits:targets:…)`) lives in Autograd; these are
// its kernels, visible to the package only.

/// Default rows per parallel chunk of the cross-entropy kernels.
package let crossEntropyChunkRows = 256

/// Per-row results of ``Tensor/crossEntropyRows(logits:targets:ignoreIndex:labelSmoothing:chunkRows:)``.
package struct CrossEntropyRows {
    /// `[N]`: the loss of each row, 0 for rows whose target is `ignoreIndex`.
    package var losses: Tensor
    /// `[N]`: `log Σᵥ exp(x[v])` of each row (computed for ignored rows too).
    package var logSumExp: Tensor
    /// Number of rows whose target is not `ignoreIndex`.
    package var targetCount: Int
}

extension Tensor {
    /// Checks that `targets` has one entry per row of `logits` (`[N, V]` seen as rows of the
    /// last axis) and that each is in `0..<V` or equals `ignoreIndex`.
    package static func checkCrossEntropyTargets(
        logits shape: [Int], targets: [Int], ignoreIndex: Int, _ operation: String
    ) {
        check(shape.count >= 1, "\(operation): logits need a class axis, got shape \(describeShape(shape))")
        let classes = shape[shape.count - 1]
        let rows = shape.dropLast().reduce(1, *)
        check(targets.count == rows,
              "\(operation): \(targets.count) targets for logits of shape \(describeShape(shape)) (\(rows) rows)")
        for (i, t) in targets.enumerated() where t != ignoreIndex && !(t >= 0 && t < classes) {
            fatalError("\(operation): target \(t) at row \(i) is outside 0..<\(classes) and is not ignoreIndex \(ignoreIndex) (logits \(describeShape(shape)))")
        }
    }

    /// Cross-entropy of every row of `logits`, fused, as PyTorch's `F.cross_entropy(…,
    /// reduction='none')`:
    ///
    /// `lossᵢ = lseᵢ − (1 − ε)·xᵢ[tᵢ] − ε·meanᵥ xᵢ[v]`, `lseᵢ = log Σᵥ exp xᵢ[v]`,
    ///
    /// which equals `(1 − ε)·(−log pᵢ[tᵢ]) + ε·meanᵥ(−log pᵢ[v])`; rows with `tᵢ == ignoreIndex`
    /// get loss 0.
    ///
    /// - Parameters:
    ///   - logits: `[N, V]` or `[…, V]` (rows of the last axis).
    ///   - targets: `N` class indices in `0..<V`, or `ignoreIndex`.
    ///   - labelSmoothing: `ε` in `[0, 1]`.
    ///   - chunkRows: rows per parallel chunk (results do not depend on it).
    package static func crossEntropyRows(
        logits: Tensor, targets: [Int], ignoreIndex: Int, labelSmoothing: Float,
        chunkRows: Int = crossEntropyChunkRows
    ) -> CrossEntropyRows {
        checkCrossEntropyTargets(logits: logits.shape, targets: targets, ignoreIndex: ignoreIndex, "crossEntropy")
        let v = logits.shape[logits.rank - 1], n = targets.count
        var losses = Tensor(uninitializedShape: [n]), lse = Tensor(uninitializedShape: [n])
        let epsilon = Double(labelSmoothing)
        let x = UnsafePointer(logits.storage.pointer)
        let count = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
        targets.withUnsafeBufferPointer { t in
            losses.withUnsafeMutableBufferPointer { lossPointer in
                lse.withUnsafeMutableBufferPointer { lsePointer in
                    parallelChunks(total: n, grain: chunkRows) { _, rows in
                        for i in rows {
                            let row = x + i * v
                            let s = fusedRowLogSumExp(row, v)
                            lsePointer[i] = Float(s)
                            guard t[i] != ignoreIndex else { lossPointer[i] = 0; continue }
                            var loss = s - (1 - epsilon) * Double(row[t[i]])
                            if epsilon != 0 { loss -= epsilon * fusedRowSum(row, v) / Double(v) }
                            lossPointer[i] = Float(loss)
                        }
                    }
                }
            }
        }
        return CrossEntropyRows(losses: losses, logSumExp: lse, targetCount: count)
    }

    /// Gradient of the fused cross-entropy with respect to the logits, written row by row:
    ///
    /// `dxᵢ[v] = sᵢ·(exp(xᵢ[v] − lseᵢ) − ε/V − (1 − ε)·[v = tᵢ])`, and 0 on ignored rows,
    ///
    /// where `sᵢ` is `rowScales[i]` when given, else `scale`.
    ///
    /// - Parameters:
    ///   - logits: `[…, V]`, as in the forward.
    ///   - logSumExp: `[N]` from ``crossEntropyRows(logits:targets:ignoreIndex:labelSmoothing:chunkRows:)``.
    ///   - scale: the factor of every row (e.g. `g / count` for a mean).
    ///   - rowScales: `N` per-row factors (reduction `none`), or `nil`.
    /// - Returns: a tensor of `logits`' shape.
    package static func crossEntropyGradient(
        logits: Tensor, targets: [Int], ignoreIndex: Int, labelSmoothing: Float,
        logSumExp: Tensor, scale: Float, rowScales: Tensor? = nil,
        chunkRows: Int = crossEntropyChunkRows
    ) -> Tensor {
        let v = logits.shape[logits.rank - 1], n = targets.count
        check(logSumExp.count == n && (rowScales?.count ?? n) == n,
              "crossEntropyGradient: \(n) targets, \(logSumExp.count) log-sum-exps, \(rowScales?.count ?? n) row scales")
        var gradient = Tensor(uninitializedShape: logits.shape)
        let x = UnsafePointer(logits.storage.pointer), lse = UnsafePointer(logSumExp.storage.pointer)
        let scales = rowScales.map { UnsafePointer($0.storage.pointer) }
        let epsilon = labelSmoothing
        targets.withUnsafeBufferPointer { t in
            gradient.withUnsafeMutableBufferPointer { out in
                let d = out.baseAddress!
                parallelChunks(total: n, grain: chunkRows) { _, rows in
                    for i in rows {
                        let q = d + i * v
                        guard t[i] != ignoreIndex else { q.update(repeating: 0, count: v); continue }
                        let s = scales?[i] ?? scale
                        fusedExpMinusConstant(x + i * v, q, v, shift: lse[i], scale: s, constant: s * epsilon / Float(v))
                        q[t[i]] -= s * (1 - epsilon)
                    }
                }
            }
        }
        return gradient
    }
}

// MARK: - Row kernels

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inline(__always)
private func store8(_ v: SIMD8<Float>, _ q: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(q).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// `log Σ exp p[0..<n]` with the maximum subtracted first (−∞ for an empty or all-−∞ row).
@inline(__always)
func fusedRowLogSumExp(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
    let m = segmentExtreme(p, n, sign: 1)
    guard m.isFinite else { return m }
    return m + Foundation.log(shiftedExpSum(p, n, shift: Float(m), storingInto: nil))
}

/// `Σ p[0..<n]`: float lanes within blocks of 1024, blocks in `Double`.
@inline(__always)
func fusedRowSum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
    var total = 0.0, i = 0
    while i < n {
        let end = Swift.min(n, i + 1024)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        while i + 16 <= end { a0 += load8(p + i); a1 += load8(p + i + 8); i += 16 }
        var block = Double((a0 + a1).sum())
        while i < end { block += Double(p[i]); i += 1 }
        total += block
    }
    return total
}

/// `q[v] = scale·exp(p[v] − shift) − constant` for `v` in `0..<n`.
@inline(__always)
func fusedExpMinusConstant(
    _ p: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ n: Int,
    shift: Float, scale: Float, constant: Float
) {
    let sh = SIMD8<Float>(repeating: shift), sc = SIMD8<Float>(repeating: scale), c = SIMD8<Float>(repeating: constant)
    var i = 0
    while i + 8 <= n {
        store8(simdExp(load8(p + i) - sh) * sc - c, q + i)
        i += 8
    }
    if i < n {
        var tail = SIMD8<Float>(repeating: -.infinity)
        for l in 0..<(n - i) { tail[l] = p[i + l] - shift }
        let e = simdExp(tail) * sc - c
        for l in 0..<(n - i) { q[i + l] = e[l] }
    }
}
