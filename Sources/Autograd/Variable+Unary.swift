import Tensor

// Elementwise functions of one variable. Values are the Tensor methods' (bitwise). Each
// backward captures the one tensor its derivative is written in — the output when the
// derivative is a function of it (exp, sqrt, tanh, sigmoid, relu), the input otherwise — and
// nothing at all when the input is not tracked. Smooth activations use the fused kernels of
// `Tensor+ActivationBackward.swift`.

extension Variable {
    /// `eˣ` elementwise. With `y = eˣ`: `∂/∂x = g ⊙ y`.
    public func exp() -> Variable {
        let y = value.exp()
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [g * y] }
    }

    /// Natural logarithm elementwise. Gradient: `∂/∂x = g / x`.
    public func log() -> Variable {
        let y = value.log()
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in [g / x] }
    }

    /// `√x` elementwise. With `y = √x`: `∂/∂x = g / (2y)`.
    public func sqrt() -> Variable {
        let y = value.sqrt()
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [(g / y) * 0.5] }
    }

    /// `1/√x` elementwise. With `y = x^(−1/2)`: `∂/∂x = −½·g·y³ = −½·g·y/x`.
    public func rsqrt() -> Variable {
        let y = value.rsqrt()
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in [(g * y / x) * -0.5] }
    }

    /// `tanh x` elementwise. With `y = tanh x`: `∂/∂x = g ⊙ (1 − y²)`.
    public func tanh() -> Variable {
        let y = value.tanh()
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [Tensor.tanhBackward(g, output: y)] }
    }

    /// The logistic sigmoid `σ(x) = 1/(1 + e^{−x})` elementwise. With `y = σ(x)`:
    /// `∂/∂x = g ⊙ y ⊙ (1 − y)`.
    public func sigmoid() -> Variable {
        let y = value.sigmoid()
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [Tensor.sigmoidBackward(g, output: y)] }
    }

    /// `max(x, 0)` elementwise. Gradient: `∂/∂x = g ⊙ [x > 0]` (0 at x = 0, as PyTorch).
    public func relu() -> Variable {
        let y = value.relu()
        guard isTracked else { return Variable(y) }
        return Variable.record(y, inputs: [self]) { g in [g * Tensor.greater(y, 0)] }
    }

    /// GELU elementwise, as `torch.nn.functional.gelu(x, approximate:)`, with the exact
    /// derivative of the form used:
    ///
    /// - `.none`: `gelu(x) = x·Φ(x)`, `∂/∂x = g ⊙ (Φ(x) + x·φ(x))`, `φ` the standard normal
    ///   density.
    /// - `.tanh`: `gelu(x) = ½x(1 + tanh u)`, `u = √(2/π)(x + 0.044715x³)`,
    ///   `∂/∂x = g ⊙ (½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²))`.
    ///
    /// - Parameter approximation: `.none` (default, erf) or `.tanh`.
    public func gelu(approximation: GELUApproximation = .none) -> Variable {
        let y = value.gelu(approximation: approximation)
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in
            [Tensor.geluBackward(g, input: x, approximation: approximation)]
        }
    }

    /// SiLU (swish) `x·σ(x)` elementwise. Gradient: `∂/∂x = g ⊙ σ(x)(1 + x(1 − σ(x)))`.
    public func silu() -> Variable {
        let y = value.silu()
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in [Tensor.siluBackward(g, input: x)] }
    }

    /// `|x|` elementwise. Gradient: `∂/∂x = g ⊙ sign(x)` (0 at x = 0, as PyTorch).
    public func abs() -> Variable {
        let y = value.abs()
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in [g * (Tensor.greater(x, 0) - Tensor.less(x, 0))] }
    }

    /// `−x` elementwise (same as prefix `-`). Gradient: `∂/∂x = −g`.
    public func neg() -> Variable { -self }

    /// `x²` elementwise. Gradient: `∂/∂x = 2g ⊙ x`.
    public func square() -> Variable {
        let y = value.square()
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in [g * x * 2] }
    }

    /// Each element limited to `[min, max]`, as `torch.clamp`. Gradient:
    /// `∂/∂x = g ⊙ [min ≤ x ≤ max]` (the bounds themselves pass the gradient, as PyTorch).
    ///
    /// - Parameters:
    ///   - min: lower bound.
    ///   - max: upper bound, at least `min`.
    public func clamp(min low: Float, max high: Float) -> Variable {
        let y = value.clamp(min: low, max: high)
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in
            [g * (Tensor.greaterEqual(x, low) * Tensor.lessEqual(x, high))]
        }
    }
}
