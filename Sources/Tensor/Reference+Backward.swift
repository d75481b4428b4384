import Foundation

/// Plain, obviously-right backward passes of activations and softmax: each derivative in its
/// textbook form, one element at a time, in `Double` with libm. Tests hold the fused kernels
/// of `Tensor+ActivationBackward.swift` and `Tensor+SoftmaxBackward.swift` against these.
enum BackwardReference {
    /// `g·f′(t)` for every pair of elements of the same-shaped `g` and `t`.
    static func map(_ g: Tensor, _ t: Tensor, _ derivative: (Double) -> Double) -> Tensor {
        precondition(g.shape == t.shape, "reference: shapes \(g.shape) and \(t.shape) differ")
        let gs = g.scalars, ts = t.scalars
        return Tensor(shape: g.shape, scalars: (0..<gs.count).map { Float(Double(gs[$0]) * derivative(Double(ts[$0]))) })
    }

    /// σ′ from the output y = σ(x): `y(1 − y)`.
    static func sigmoidFromOutput(_ y: Double) -> Double { y * (1 - y) }

    /// tanh′ from the output y = tanh x: `1 − y²`.
    static func tanhFromOutput(_ y: Double) -> Double { 1 - y * y }

    /// silu′(x) = σ(x) + x·σ(x)(1 − σ(x)).
    static func silu(_ x: Double) -> Double {
        let s = 1 / (1 + Foundation.exp(-x))
        return s + x * s * (1 - s)
    }

    /// gelu′(x) = Φ(x) + x·φ(x) for the erf form.
    static func geluErf(_ x: Double) -> Double {
        let cdf = 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
        let pdf = Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
        return cdf + x * pdf
    }

    /// gelu′(x) for the tanh form `½x(1 + tanh u)`, `u = √(2/π)(x + 0.044715x³)`:
    /// `½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)`, with `½(1 + tanh u)`
    /// written `1/(1 + e^{−2u})` and `1 − tanh²u` written `1/cosh²u` (which do not cancel
    /// in Double where `tanh u` is near −1).
    static func geluTanh(_ x: Double) -> Double {
        let c = (2 / Double.pi).squareRoot()
        let u = c * (x + 0.044715 * x * x * x)
        let half = 1 / (1 + Foundation.exp(-2 * u))
        let sech2 = 1 / (Foundation.cosh(u) * Foundation.cosh(u))
        return half + 0.5 * x * sech2 * c * (1 + 3 * 0.044715 * x * x)
    }

    /// Softmax (or log-softmax) backward along `axis` from the output `y`, one slice at a time:
    /// `dx = y(g − Σ g·y)`, or `dx = g − exp(y)·Σ g`.
    static func softmaxBackward(_ g: Tensor, _ y: Tensor, axis: Int, logarithm: Bool) -> Tensor {
        precondition(g.shape == y.shape, "reference: shapes \(g.shape) and \(y.shape) differ")
        let a = axis < 0 ? axis + g.rank : axis
        let (outer, n, inner) = ReductionReference.split(g.shape, a)
        let gs = g.scalars, ys = y.scalars
        var out = [Float](repeating: 0, count: gs.count)
        for o in 0..<outer {
            for j in 0..<inner {
                let at = (0..<n).map { (o * n + $0) * inner + j }
                var s = 0.0
                for i in at { s += logarithm ? Double(gs[i]) : Double(gs[i]) * Double(ys[i]) }
                for i in at {
                    out[i] = logarithm
                        ? Float(Double(gs[i]) - Foundation.exp(Double(ys[i])) * s)
                        : Float(Double(ys[i]) * (Double(gs[i]) - s))
                }
            }
        }
        return Tensor(shape: g.shape, scalars: out)
    }
}
