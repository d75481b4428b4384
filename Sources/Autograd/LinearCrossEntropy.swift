import Tensor

/// The output head `z = h·Wᵀ + b` and the cross-entropy of `z`, fused and chunked so that the
/// `[N, V]` logits — and their gradient — are never stored. Equals
/// `crossEntropy(logits: linear(hidden, weight: weight, bias: bias), targets: …)`.
///
/// For row `i` with target `tᵢ`, `zᵢ = hᵢ·Wᵀ + b`, `pᵢ = softmax(zᵢ)` and smoothing `ε`:
///
/// `lossᵢ = (1 − ε)·(−log pᵢ[tᵢ]) + ε·meanᵥ(−log pᵢ[v])`, reduced as ``crossEntropy(logits:targets:ignoreIndex:labelSmoothing:reduction:)``
/// (rows whose target is `ignoreIndex` contribute nothing; `.mean` over zero targets is NaN with a zero gradient).
///
/// How: rows run in chunks of `C = max(256, 2²²/V)` rows (a 16 MiB buffer, or `256 × V` floats
/// for `V > 16,384`). A chunk's logits go into one reused `[C, V]` buffer; each
/// row's log-sum-exp and loss are taken from it. While a tape records, the same pass turns the
/// buffer into `gᵢ = pᵢ − (1 − ε)·onehot(tᵢ) − ε/V` and applies the head's backward at once —
/// `dH_c = g·W`, `dW += gᵀ·h_c`, `db += Σ_rows g` — for the tracked inputs only. The recorded
/// backward merely scales these by the upstream gradient (÷ the target count for `.mean`).
/// With no tape (evaluation) the gradient work is skipped.
///
/// Memory beyond the inputs: `C × V` floats, plus `dH` `[N, D]`, `dW` `[V, D]` and `db`
/// `[V]` while gradients are recorded — flat in `N × V`. (The unfused form holds `N × V`
/// logits plus an `N × V` gradient: 400 MB each for SmolLM2's V = 49,152 at 4 × 512 tokens.)
///
/// `.none` needs each row's upstream gradient before `dW` can be summed, so it falls back to
/// the unfused form (logits materialised).
///
/// - Parameters:
///   - hidden: `[N, D]` or `[…, D]` (each row of the last axis is one position).
///   - weight: `[V, D]`: a Linear layer's `[out, in]` weight, or a tied embedding table.
///   - bias: `[V]`, or `nil` (default).
///   - targets: `N` class indices in `0..<V` (row-major over the leading axes), or `ignoreIndex`.
///   - ignoreIndex: target value that marks a row to skip (default `-100`, as PyTorch).
///   - labelSmoothing: `ε` in `[0, 1]` (default 0).
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: a scalar (shape `[]`) for `.mean` and `.sum`; `hidden`'s leading shape for `.none`.
public func linearCrossEntropy(
    hidden: Variable, weight: Variable, bias: Variable? = nil, targets: [Int], ignoreIndex: Int = -100,
    labelSmoothing: Float = 0, reduction: LossReduction = .mean
) -> Variable {
    linearCrossEntropy(hidden: hidden, weight: weight, bias: bias, targets: targets, ignoreIndex: ignoreIndex,
                       labelSmoothing: labelSmoothing, reduction: reduction, chunkRows: nil)
}

/// ``linearCrossEntropy(hidden:weight:bias:targets:ignoreIndex:labelSmoothing:reduction:)`` for
/// 32-bit token ids.
public func linearCrossEntropy(
    hidden: Variable, weight: Variable, bias: Variable? = nil, targets: [Int32], ignoreIndex: Int = -100,
    labelSmoothing: Float = 0, reduction: LossReduction = .mean
) -> Variable {
    linearCrossEntropy(hidden: hidden, weight: weight, bias: bias, targets: targets.map(Int.init), ignoreIndex: ignoreIndex,
                       labelSmoothing: labelSmoothing, reduction: reduction, chunkRows: nil)
}

/// The gradients computed by the forward pass, handed over once to the backward pass (taken
/// out, so that scaling them happens in place rather than on a copy).
private final class HeadGradients {
    var hidden: Tensor?, weight: Tensor?, bias: Tensor?
    init(_ result: LinearCrossEntropyResult) {
        hidden = result.hiddenGradient
        weight = result.weightGradient
        bias = result.biasGradient
    }
}

/// The fused head and cross-entropy with an explicit number of rows per chunk, or `nil` for the
/// default (tests lower it to cross chunk boundaries on small inputs).
func linearCrossEntropy(
    hidden: Variable, weight: Variable, bias: Variable?, targets: [Int], ignoreIndex: Int,
    labelSmoothing: Float, reduction: LossReduction, chunkRows: Int?
) -> Variable {
    if reduction == .none {
        return crossEntropy(logits: linear(hidden, weight: weight, bias: bias), targets: targets, ignoreIndex: ignoreIndex,
                            labelSmoothing: labelSmoothing, reduction: .none, chunkRows: crossEntropyChunkRows)
    }
    let (needH, needW, needB) = (hidden.isTracked, weight.isTracked, bias?.isTracked ?? false)
    let result = Tensor.linearCrossEntropy(
        hidden: hidden.value, weight: weight.value, bias: bias?.value, targets: targets, ignoreIndex: ignoreIndex,
        labelSmoothing: labelSmoothing, hiddenGradient: needH, weightGradient: needW, biasGradient: needB,
        chunkRows: chunkRows)
    let count = result.targetCount
    var total = 0.0
    result.losses.withUnsafeBufferPointer { for l in $0 { total += Double(l) } }
    let value = Tensor(Float(reduction == .sum ? total : total / Double(count)))
    guard needH || needW || needB else { return Variable(value) }
    let gradients = HeadGradients(result)
    let hiddenShape = hidden.shape
    return Variable.record(value, inputs: [hidden, weight] + (bias.map { [$0] } ?? [])) { g in
        let scale = reduction == .sum ? g.scalar : (count == 0 ? 0 : g.scalar / Float(count))
        var dH = gradients.hidden.take(), dW = gradients.weight.take(), db = gradients.bias.take()
        check(dH != nil || dW != nil || db != nil, "linearCrossEntropy: the backward pass ran twice on one tape entry")
        if scale != 1 {
            dH? *= scale
            dW? *= scale
            db? *= scale
        }
        return [dH?.reshaped(hiddenShape), dW] + (bias == nil ? [] : [db])
    }
}
