import Tensor

/// How a loss combines its per-row values, as PyTorch's `reduction` argument.
public enum LossReduction: String, Sendable, CaseIterable {
    /// Mean over the rows whose target is not ignored (PyTorch's default).
    case mean
    /// Sum over all rows (ignored rows contribute 0). Divide by the number of targets in the
    /// whole accumulation window yourself (`targetCount(_:ignoreIndex:)`).
    case sum
    /// One loss per row, of the logits' leading shape.
    case none
}

/// Cross-entropy between logits and integer class targets, fused, as PyTorch's
/// `F.cross_entropy(logits, targets, ignore_index=, label_smoothing=, reduction=)`.
///
/// For row `i` with target `tᵢ`, `pᵢ = softmax(xᵢ)` over the `V` classes and smoothing `ε`:
///
/// `lossᵢ = (1 − ε)·(−log pᵢ[tᵢ]) + ε·meanᵥ(−log pᵢ[v])`
///
/// Rows with `tᵢ == ignoreIndex` contribute nothing. `.mean` divides the sum by the number of
/// non-ignored rows; when every row is ignored that is `0/0 = NaN`, as in PyTorch (the
/// gradient is then zero rather than PyTorch's NaN).
///
/// Memory: the forward keeps one log-sum-exp per row, never a `[N, V]` probability matrix;
/// the backward recomputes `softmax` row by row, writing `(pᵢ − (1 − ε)·onehot(tᵢ) − ε/V)·s`
/// straight into the gradient. Rows run in parallel chunks; results do not depend on the
/// thread count. For gradient accumulation over micro-batches, use `.sum` and divide by
/// the total `targetCount(_:ignoreIndex:)` of the window (not by the mean of
/// per-batch means).
///
/// - Parameters:
///   - logits: `[N, V]` or `[…, V]` (each row of the last axis is one prediction).
///   - targets: `N` class indices in `0..<V` (row-major over the leading axes), or `ignoreIndex`.
///   - ignoreIndex: target value that marks a row to skip (default `-100`, as PyTorch).
///   - labelSmoothing: `ε` in `[0, 1]` (default 0).
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: a scalar (shape `[]`) for `.mean` and `.sum`; the logits' leading shape for `.none`.
public func crossEntropy(
    logits: Variable, targets: [Int], ignoreIndex: Int = -100, labelSmoothing: Float = 0,
    reduction: LossReduction = .mean
) -> Variable {
    crossEntropy(logits: logits, targets: targets, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                 reduction: reduction, chunkRows: crossEntropyChunkRows)
}

/// `crossEntropy(logits:targets:ignoreIndex:labelSmoothing:reduction:)` for 32-bit
/// token ids.
public func crossEntropy(
    logits: Variable, targets: [Int32], ignoreIndex: Int = -100, labelSmoothing: Float = 0,
    reduction: LossReduction = .mean
) -> Variable {
    crossEntropy(logits: logits, targets: targets.map(Int.init), ignoreIndex: ignoreIndex,
                 labelSmoothing: labelSmoothing, reduction: reduction, chunkRows: crossEntropyChunkRows)
}

/// The number of targets that are not `ignoreIndex`: the divisor of a `.mean` cross-entropy,
/// and what to sum over an accumulation window before dividing a `.sum` loss by it.
public func targetCount(_ targets: [Int], ignoreIndex: Int = -100) -> Int {
    targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
}

/// `targetCount(_:ignoreIndex:)` for 32-bit token ids.
public func targetCount(_ targets: [Int32], ignoreIndex: Int = -100) -> Int {
    targets.reduce(0) { $0 + (Int($1) == ignoreIndex ? 0 : 1) }
}

/// The fused cross-entropy with an explicit number of rows per parallel chunk (tests lower it
/// to cross chunk boundaries on small inputs).
func crossEntropy(
    logits: Variable, targets: [Int], ignoreIndex: Int, labelSmoothing: Float,
    reduction: LossReduction, chunkRows: Int
) -> Variable {
    check(labelSmoothing >= 0 && labelSmoothing <= 1,
          "crossEntropy: labelSmoothing \(labelSmoothing) is outside [0, 1]")
    let x = logits.value
    let rows = Tensor.crossEntropyRows(logits: x, targets: targets, ignoreIndex: ignoreIndex,
                                       labelSmoothing: labelSmoothing, chunkRows: chunkRows)
    let count = rows.targetCount
    let value: Tensor
    switch reduction {
    case .none:
        value = rows.losses.reshaped(Array(x.shape.dropLast()))
    case .sum, .mean:
        var total = 0.0
        rows.losses.withUnsafeBufferPointer { for l in $0 { total += Double(l) } }
        value = Tensor(Float(reduction == .sum ? total : total / Double(count)))
    }
    let lse = rows.logSumExp
    return Variable.record(value, inputs: [logits]) { g in
        let gradient: Tensor
        switch reduction {
        case .none:
            gradient = Tensor.crossEntropyGradient(
                logits: x, targets: targets, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                logSumExp: lse, scale: 0, rowScales: g.reshaped([targets.count]), chunkRows: chunkRows)
        case .sum, .mean:
            let scale = reduction == .sum ? g.scalar : (count == 0 ? 0 : g.scalar / Float(count))
            gradient = Tensor.crossEntropyGradient(
                logits: x, targets: targets, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                logSumExp: lse, scale: scale, chunkRows: chunkRows)
        }
        return [gradient]
    }
}
