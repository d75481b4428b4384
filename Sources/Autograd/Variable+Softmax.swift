import Tensor

// Softmax and log-softmax along any axis, with the fused backward kernels of
// `Tensor+SoftmaxBackward.swift` (one reduction and one update pass per slice). Both capture
// their output only: the softmax derivative is written in `y`, and the log-softmax one in
// `exp(y)`.

extension Variable {
    /// Softmax along `axis`: `yₖ = exp(xₖ − m) / Σᵢ exp(xᵢ − m)`, `m = maxᵢ xᵢ` (as
    /// `Tensor.softmax(alongAxis:)`, whose value it returns).
    ///
    /// Gradient: `∂/∂x = y ⊙ (g − Σₖ gₖ·yₖ)`, the sum along `axis`.
    ///
    /// - Parameter axis: the axis whose slices sum to 1 (default `-1`, the last); negative
    ///   values count from the end.
    public func softmax(alongAxis axis: Int = -1) -> Variable {
        let y = value.softmax(alongAxis: axis)
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [Tensor.softmaxBackward(g, output: y, alongAxis: axis)] }
    }

    /// Log-softmax along `axis`: `yₖ = xₖ − m − log Σᵢ exp(xᵢ − m)` (as
    /// `Tensor.logSoftmax(alongAxis:)`).
    ///
    /// Gradient: `∂/∂x = g − softmax(x) ⊙ Σₖ gₖ`, with `softmax(x) = exp(y)` and the sum along `axis`.
    ///
    /// - Parameter axis: the axis to normalise (default `-1`); negative values count from the end.
    public func logSoftmax(alongAxis axis: Int = -1) -> Variable {
        let y = value.logSoftmax(alongAxis: axis)
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [Tensor.logSoftmaxBackward(g, output: y, alongAxis: axis)] }
    }
}
