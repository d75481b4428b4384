import Tensor

/// Root-mean-square normalisation over the last axis (Zhang & Sennrich 2019), as Hugging
/// Face's `LlamaRMSNorm` and `torch.nn.functional.rms_norm`:
///
/// `y = x / √(mean(x²) + eps) · w`
///
/// Fused: the forward keeps one reciprocal RMS per row; the backward is written by hand,
/// `dx = r·(dx̂ − x̂·mean(dx̂·x̂))` with `x̂ = x·r`, `dx̂ = dy·w`, and `dw = Σ_rows dy·x̂`
/// (summed per fixed chunk of rows, chunks added in order: independent of the thread count).
///
/// - Parameters:
///   - x: `[…, D]`.
///   - weight: `[D]`, or `nil` for no scale.
///   - epsilon: added to the mean square (default `1e-6`, Hugging Face's `LlamaRMSNorm`
///     default; models set it from `rms_norm_eps` in `config.json`).
/// - Returns: the shape of `x`.
public func rmsNorm(_ x: Variable, weight: Variable?, epsilon: Float = 1e-6) -> Variable {
    normalize(x, weight: weight, bias: nil, epsilon: epsilon, centered: false)
}

/// Layer normalisation over the last axis (Ba, Kiros & Hinton 2016), as
/// `torch.nn.functional.layer_norm(x, [D], weight, bias, eps)`:
///
/// `y = (x − μ) / √(σ² + eps) · w + b`, `μ = mean(x)`, `σ² = mean((x − μ)²)` (biased).
///
/// Fused: the forward keeps the mean and reciprocal standard deviation of each row; the
/// backward is `dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))`, `dw = Σ_rows dy·x̂`, `db = Σ_rows dy`.
///
/// - Parameters:
///   - x: `[…, D]`.
///   - weight: `[D]`, or `nil` for no scale.
///   - bias: `[D]`, or `nil` for no shift.
///   - epsilon: added to the variance (default `1e-5`, as PyTorch).
/// - Returns: the shape of `x`.
public func layerNorm(_ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float = 1e-5) -> Variable {
    normalize(x, weight: weight, bias: bias, epsilon: epsilon, centered: true)
}

private func normalize(_ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float, centered: Bool) -> Variable {
    let needX = x.isTracked, needW = weight?.isTracked ?? false, needB = bias?.isTracked ?? false
    let forward = Tensor.normalizeRows(x.value, weight: weight?.value, bias: bias?.value, epsilon: epsilon,
                                       centered: centered, savingStatistics: needX || needW || needB)
    guard needX || needW || needB else { return Variable(forward.output) }
    let (xValue, wValue) = (x.value, weight?.value)
    let (mean, rstd) = (forward.mean, forward.reciprocalStandardDeviation!)
    let (hasW, hasB) = (weight != nil, bias != nil)
    var inputs = [x]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    return Variable.record(forward.output, inputs: inputs) { g in
        let back = Tensor.normalizeRowsBackward(g, x: xValue, weight: wValue, mean: mean, reciprocalStandardDeviation: rstd,
                                                weightGradient: needW, biasGradient: needB)
        var grads: [Tensor?] = [needX ? back.input : nil]
        if hasW { grads.append(back.weight) }
        if hasB { grads.append(back.bias) }
        return grads
    }
}
