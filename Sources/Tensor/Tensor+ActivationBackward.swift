// Fused backward kernels of the smooth activations: one pass over the output gradient and
// the saved forward tensor, eight lanes at a time, instead of three to six temporaries built
// from elementwise ops. Each kernel is `dx = g ⊙ f′(·)` with `f′` written so that it keeps its
// relative accuracy where `f′` is tiny (negative tails) and stays finite at ±∞.
//
// `Reference+Backward.swift` holds the Double-precision references the tests compare with.

extension Tensor {
    // MARK: Sigmoid and tanh (from the forward output)

    /// The gradient of `y = σ(x)` from its output: `dx = g ⊙ y ⊙ (1 − y)`.
    ///
    /// - Parameters:
    ///   - gradient: `g`, the gradient of `y`.
    ///   - output: `y = σ(x)`, the same shape as `gradient`.
    public static func sigmoidBackward(_ gradient: Tensor, output: Tensor) -> Tensor {
        var out = Tensor(uninitializedShape: gradient.shape)
        sigmoidBackward(gradient, output: output, into: &out)
        return out
    }

    /// ``sigmoidBackward(_:output:)`` written into `out` (the shape of `gradient`).
    public static func sigmoidBackward(_ gradient: Tensor, output: Tensor, into out: inout Tensor) {
        mapLanePairs(gradient, output, into: &out, "sigmoidBackward", SigmoidDerivative())
    }

    /// The gradient of `y = tanh x` from its output: `dx = g ⊙ (1 − y)(1 + y)` (the factored
    /// form of `1 − y²`, exact where `|y|` is near 1).
    ///
    /// - Parameters:
    ///   - gradient: `g`, the gradient of `y`.
    ///   - output: `y = tanh x`, the same shape as `gradient`.
    public static func tanhBackward(_ gradient: Tensor, output: Tensor) -> Tensor {
        var out = Tensor(uninitializedShape: gradient.shape)
        tanhBackward(gradient, output: output, into: &out)
        return out
    }

    /// ``tanhBackward(_:output:)`` written into `out` (the shape of `gradient`).
    public static func tanhBackward(_ gradient: Tensor, output: Tensor, into out: inout Tensor) {
        mapLanePairs(gradient, output, into: &out, "tanhBackward", TanhDerivative())
    }

    // MARK: SiLU and GELU (from the forward input)

    /// The gradient of `y = silu(x) = x·σ(x)` from its input:
    /// `dx = g ⊙ σ(x)(1 + x(1 − σ(x)))`.
    ///
    /// Inputs beyond ±200 are treated as ±200, where the derivative is 1 or 0 in Float, so
    /// ±∞ give 1 and 0 (PyTorch gives NaN for +∞). Relative error against the Double formula:
    /// measured 9.8e-7 over [−100, 100] (away from its zero near x ≈ −1.28).
    ///
    /// - Parameters:
    ///   - gradient: `g`, the gradient of `y`.
    ///   - input: `x`, the same shape as `gradient`.
    public static func siluBackward(_ gradient: Tensor, input: Tensor) -> Tensor {
        var out = Tensor(uninitializedShape: gradient.shape)
        siluBackward(gradient, input: input, into: &out)
        return out
    }

    /// ``siluBackward(_:input:)`` written into `out` (the shape of `gradient`).
    public static func siluBackward(_ gradient: Tensor, input: Tensor, into out: inout Tensor) {
        mapLanePairs(gradient, input, into: &out, "siluBackward", SiluDerivative())
    }

    /// The gradient of `y = gelu(x)` from its input, exact for each form of ``gelu(approximation:)``
    /// (as `torch.ops.aten.gelu_backward`):
    ///
    /// - `.none`: `gelu(x) = x·Φ(x)`, `dx = g ⊙ (Φ(x) + x·φ(x))`, `φ(x) = e^{−x²/2}/√(2π)`.
    /// - `.tanh`: `gelu(x) = x·s`, `s = ½(1 + tanh u) = σ(2u)`, `u = √(2/π)(x + 0.044715x³)`,
    ///   `dx = g ⊙ s·(1 + 2x(1 − s)·√(2/π)(1 + 3·0.044715x²))`.
    ///
    /// Inputs beyond ±30 are treated as ±30, where the derivative is 1 or 0 to Float precision,
    /// so ±∞ give 1 and 0 (PyTorch gives NaN there). The erf form gets `Φ(x)` as `gelu(x)/x`
    /// from the forward kernel. Relative error against the Double formula, measured over
    /// [−14, 14] where the result exceeds 1e-30 (away from its zero near x ≈ −0.75): 4.0e-6
    /// for `.none` (at x ≈ −11.4) and 9.7e-6 for `.tanh` (at x ≈ −9.2); both grow in the
    /// negative tail, where the rounding of `x²` (or `u`) enters the exponential.
    ///
    /// - Parameters:
    ///   - gradient: `g`, the gradient of `y`.
    ///   - input: `x`, the same shape as `gradient`.
    ///   - approximation: the form the forward pass used (default `.none`).
    public static func geluBackward(
        _ gradient: Tensor, input: Tensor, approximation: GELUApproximation = .none
    ) -> Tensor {
        var out = Tensor(uninitializedShape: gradient.shape)
        geluBackward(gradient, input: input, approximation: approximation, into: &out)
        return out
    }

    /// ``geluBackward(_:input:approximation:)`` written into `out` (the shape of `gradient`).
    public static func geluBackward(
        _ gradient: Tensor, input: Tensor, approximation: GELUApproximation = .none, into out: inout Tensor
    ) {
        switch approximation {
        case .none: mapLanePairs(gradient, input, into: &out, "geluBackward", GeluErfDerivative())
        case .tanh: mapLanePairs(gradient, input, into: &out, "geluBackward", GeluTanhDerivative())
        }
    }

    // MARK: Driver

    /// `out[i] = f(g[i], t[i])` eight lanes at a time, for same-shaped `g`, `t` and `out`.
    @inline(__always)
    static func mapLanePairs<F: LanePairFunction>(
        _ g: Tensor, _ t: Tensor, into out: inout Tensor, _ function: StaticString, _ f: F
    ) {
        check(g.shape == t.shape,
              "\(function): gradient of shape \(describeShape(g.shape)) for a saved tensor of shape \(describeShape(t.shape))")
        checkOutShape(out.shape, g.shape, function)
        out.makeUnique()
        let pg = UnsafePointer(g.storage.pointer), pt = UnsafePointer(t.storage.pointer)
        let po = out.storage.pointer
        parallelChunks(total: g.count, grain: elementwiseGrain) { _, range in
            let start = range.lowerBound, count = range.count
            let a = UnsafeRawPointer(pg + start), b = UnsafeRawPointer(pt + start)
            let d = UnsafeMutableRawPointer(po + start)
            var i = 0
            while i + 8 <= count {
                let y = f(a.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                          b.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
                d.storeBytes(of: y, toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            let rest = count - i
            if rest > 0 {
                var u = SIMD8<Float>(), v = SIMD8<Float>()
                for k in 0..<rest { u[k] = pg[start + i + k]; v[k] = pt[start + i + k] }
                let y = f(u, v)
                for k in 0..<rest { po[start + i + k] = y[k] }
            }
        }
        withExtendedLifetime((g, t)) {}
    }
}

/// A function of two lanes of eight: the output gradient and one saved forward tensor.
protocol LanePairFunction { func callAsFunction(_ g: SIMD8<Float>, _ t: SIMD8<Float>) -> SIMD8<Float> }

/// `g·y(1 − y)`.
struct SigmoidDerivative: LanePairFunction {
    @inline(__always) func callAsFunction(_ g: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
        g * (y * (1 - y))
    }
}

/// `g·(1 − y)(1 + y)`.
struct TanhDerivative: LanePairFunction {
    @inline(__always) func callAsFunction(_ g: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
        g * ((1 - y) * (1 + y))
    }
}

/// `g·σ(x)(1 + x(1 − σ(x)))`.
struct SiluDerivative: LanePairFunction {
    @inline(__always) func callAsFunction(_ g: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        // Beyond ±200 the derivative is 1 or 0 in Float; the clamp keeps ±∞ from giving ∞·0.
        let xc = lanesAtMost(lanesAtLeast(x, SIMD8(repeating: -200)), SIMD8(repeating: 200))
        let s = simdSigmoid(xc)
        return g * (s * muladd(xc, 1 - s, SIMD8(repeating: 1)))
    }
}

/// `g·(Φ(x) + x·φ(x))`, with `Φ(x) = gelu(x)/x` (½ near 0) from the forward kernel.
struct GeluErfDerivative: LanePairFunction {
    @inline(__always) func callAsFunction(_ g: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        let xc = lanesAtMost(lanesAtLeast(x, SIMD8(repeating: -30)), SIMD8(repeating: 30))
        let ratio = simdGeluErf(xc) / xc
        let cdf = ratio.replacing(with: 0.5, where: (xc .< 1e-30) .& (xc .> -1e-30))
        let density = simdExp(-0.5 * (xc * xc)) * 0.398_942_280_4  // 1/√(2π)
        return g * muladd(xc, density, cdf)
    }
}

/// `g·s(1 + 2x(1 − s)·√(2/π)(1 + 3·0.044715x²))`, `s = σ(2u)`.
struct GeluTanhDerivative: LanePairFunction {
    @inline(__always) func callAsFunction(_ g: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        let xc = lanesAtMost(lanesAtLeast(x, SIMD8(repeating: -30)), SIMD8(repeating: 30))
        let x2 = xc * xc
        // 2u = 2√(2/π)(x + 0.044715x³)
        let twoU = xc * muladd(SIMD8(repeating: 7.135_481_627e-2), x2, SIMD8(repeating: 1.595_769_122))
        let s = simdSigmoid(twoU)
        // 2√(2/π)(1 + 3·0.044715x²) = 1.595769122 + 0.2140644488x²
        let slope = muladd(SIMD8(repeating: 2.140_644_488e-1), x2, SIMD8(repeating: 1.595_769_122))
        return g * (s * muladd(xc * (1 - s), slope, SIMD8(repeating: 1)))
    }
}
