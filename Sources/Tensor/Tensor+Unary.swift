import Foundation

/// Which formula ``Tensor/gelu(approximation:)`` uses, named as PyTorch's `approximate=` argument.
public enum GELUApproximation: String, Sendable, CaseIterable {
    /// The exact form `½x(1 + erf(x/√2))` (PyTorch `approximate='none'`, the default).
    case none
    /// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` (PyTorch `approximate='tanh'`, GPT-2's `gelu_new`).
    case tanh
}

/// Elementwise functions of one tensor.
///
/// Each has a value form (`x.exp()`, allocates the result) and an `into:` form
/// (`Tensor.exp(x, into: &out)`) that writes into a caller-owned tensor of the same shape,
/// reusing its storage; `out` may be a tensor whose storage nobody else shares, or `x` itself is
/// read before `out` is written element by element. Large tensors are split into chunks of
/// `elementwiseGrain` elements run on ``Threads/count`` threads; results do not depend on the
/// thread count. exp, tanh, sigmoid, silu and gelu use the SIMD approximations in
/// `FastMath.swift`, whose maximum errors are stated there and measured by `UnaryTests`.
extension Tensor {
    // MARK: Drivers

    /// Stops with a message naming both shapes unless `out` has the `expected` shape.
    @inline(__always)
    static func checkOutShape(_ out: [Int], _ expected: [Int], _ function: StaticString) {
        check(out == expected,
              "\(function): out has shape \(describeShape(out)) but the result has shape \(describeShape(expected))")
    }

    /// `out[i] = f(x[i])`; the loop auto-vectorises for simple `f`.
    @inline(__always)
    static func mapElements<F: ElementFunction>(
        _ x: Tensor, into out: inout Tensor, _ function: StaticString, _ f: F
    ) {
        checkOutShape(out.shape, x.shape, function)
        out.makeUnique()
        let src = x.storage.pointer, dst = out.storage.pointer
        parallelChunks(total: x.count, grain: elementwiseGrain) { _, range in
            let s = src + range.lowerBound, d = dst + range.lowerBound
            for i in 0..<range.count { d[i] = f(s[i]) }
        }
    }

    /// `out[i] = f(x[i])` with a `SIMD8<Float>` function, eight lanes at a time.
    @inline(__always)
    static func mapLanes<F: LaneFunction>(
        _ x: Tensor, into out: inout Tensor, _ function: StaticString, _ f: F
    ) {
        checkOutShape(out.shape, x.shape, function)
        out.makeUnique()
        let src = x.storage.pointer, dst = out.storage.pointer
        parallelChunks(total: x.count, grain: elementwiseGrain) { _, range in
            mapSIMD8(src + range.lowerBound, dst + range.lowerBound, range.count, f)
        }
    }

    /// A new tensor of this shape filled by `body(self, &out)`.
    @inline(__always)
    func mapped(_ body: (Tensor, inout Tensor) -> Void) -> Tensor {
        var out = Tensor(uninitializedShape: shape)
        body(self, &out)
        return out
    }

    /// `f` of every element, as a new tensor.
    @inline(__always)
    func mapped<F: ElementFunction>(_ name: StaticString, _ f: F) -> Tensor {
        var out = Tensor(uninitializedShape: shape)
        Tensor.mapElements(self, into: &out, name, f)
        return out
    }

    // MARK: SIMD approximations

    /// `eˣ` elementwise. Relative error ≤ 1.6e-7 for normal results; overflows to inf above
    /// ≈ 88.72, gives denormals below ≈ −87.3 and 0 below ≈ −103.3.
    public func exp() -> Tensor { mapped { Tensor.exp($0, into: &$1) } }

    /// `out = eˣ` elementwise; `out` must have `x`'s shape.
    public static func exp(_ x: Tensor, into out: inout Tensor) {
        mapLanes(x, into: &out, "exp(_:into:)", ElementOps.Exp())
    }

    /// `tanh x` elementwise. Relative error ≤ 2.5e-7.
    public func tanh() -> Tensor { mapped { Tensor.tanh($0, into: &$1) } }

    /// `out = tanh x` elementwise; `out` must have `x`'s shape.
    public static func tanh(_ x: Tensor, into out: inout Tensor) {
        mapLanes(x, into: &out, "tanh(_:into:)", ElementOps.Tanh())
    }

    /// The logistic sigmoid `σ(x) = 1/(1 + e^{−x})` elementwise. Relative error ≤ 2.5e-7 for
    /// normal results.
    public func sigmoid() -> Tensor { mapped { Tensor.sigmoid($0, into: &$1) } }

    /// `out = σ(x)` elementwise; `out` must have `x`'s shape.
    public static func sigmoid(_ x: Tensor, into out: inout Tensor) {
        mapLanes(x, into: &out, "sigmoid(_:into:)", ElementOps.Sigmoid())
    }

    /// SiLU (swish), `x·σ(x)`, elementwise, as `torch.nn.functional.silu`. Relative error
    /// ≤ 2.5e-7 for normal results.
    public func silu() -> Tensor { mapped { Tensor.silu($0, into: &$1) } }

    /// `out = x·σ(x)` elementwise; `out` must have `x`'s shape.
    public static func silu(_ x: Tensor, into out: inout Tensor) {
        mapLanes(x, into: &out, "silu(_:into:)", ElementOps.Silu())
    }

    /// GELU elementwise, as `torch.nn.functional.gelu(x, approximate:)`.
    ///
    /// - `.none` (default): `½x(1 + erf(x/√2))`; relative error ≤ 1e-6 for normal results.
    /// - `.tanh`: `½x(1 + tanh(u))`, `u = √(2/π)(x + 0.044715x³)`; relative error
    ///   ≤ 2.5e-7 + 2e-7·|2u| for normal results (measured 2.2e-7 for x ≥ −1, growing to
    ///   1.3e-5 in the far negative tail, where |gelu| < 1e-30).
    ///
    /// The tanh form costs about half as much as the exact one (one exp and one division per
    /// element against an exp, a division and a degree-8 polynomial).
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        mapped { Tensor.gelu($0, approximation: approximation, into: &$1) }
    }

    /// `out = gelu(x)` elementwise; `out` must have `x`'s shape. See ``gelu(approximation:)``.
    public static func gelu(_ x: Tensor, approximation: GELUApproximation = .none, into out: inout Tensor) {
        switch approximation {
        case .none: mapLanes(x, into: &out, "gelu(_:approximation:into:)", ElementOps.GeluErf())
        case .tanh: mapLanes(x, into: &out, "gelu(_:approximation:into:)", ElementOps.GeluTanh())
        }
    }

    // MARK: Plain elementwise functions

    /// Natural logarithm elementwise (libm `logf`): log 0 = −inf, log of a negative is NaN.
    public func log() -> Tensor { mapped { Tensor.log($0, into: &$1) } }

    /// `out = log x` elementwise; `out` must have `x`'s shape.
    public static func log(_ x: Tensor, into out: inout Tensor) {
        mapElements(x, into: &out, "log(_:into:)", ElementOps.Log())
    }

    /// Square root elementwise (correctly rounded); negative values give NaN.
    public func sqrt() -> Tensor { mapped { Tensor.sqrt($0, into: &$1) } }

    /// `out = √x` elementwise; `out` must have `x`'s shape.
    public static func sqrt(_ x: Tensor, into out: inout Tensor) {
        mapElements(x, into: &out, "sqrt(_:into:)", ElementOps.SquareRoot())
    }

    /// `1/√x` elementwise, computed as a correctly rounded square root and a division
    /// (rsqrt 0 = inf).
    public func rsqrt() -> Tensor { mapped { Tensor.rsqrt($0, into: &$1) } }

    /// `out = 1/√x` elementwise; `out` must have `x`'s shape.
    public static func rsqrt(_ x: Tensor, into out: inout Tensor) {
        mapElements(x, into: &out, "rsqrt(_:into:)", ElementOps.ReciprocalSquareRoot())
    }

    /// `max(x, 0)` elementwise; NaN stays NaN.
    public func relu() -> Tensor { mapped { Tensor.relu($0, into: &$1) } }

    /// `out = max(x, 0)` elementwise; `out` must have `x`'s shape.
    public static func relu(_ x: Tensor, into out: inout Tensor) {
        mapElements(x, into: &out, "relu(_:into:)", ElementOps.Relu())
    }

    /// `|x|` elementwise.
    public func abs() -> Tensor { mapped { Tensor.abs($0, into: &$1) } }

    /// `out = |x|` elementwise; `out` must have `x`'s shape.
    public static func abs(_ x: Tensor, into out: inout Tensor) {
        mapElements(x, into: &out, "abs(_:into:)", ElementOps.Absolute())
    }

    /// `−x` elementwise (same as prefix `-`).
    public func neg() -> Tensor { mapped { Tensor.neg($0, into: &$1) } }

    /// `out = −x` elementwise; `out` must have `x`'s shape.
    public static func neg(_ x: Tensor, into out: inout Tensor) {
        mapElements(x, into: &out, "neg(_:into:)", ElementOps.Negate())
    }

    /// `x²` elementwise.
    public func square() -> Tensor { mapped { Tensor.square($0, into: &$1) } }

    /// `out = x²` elementwise; `out` must have `x`'s shape.
    public static func square(_ x: Tensor, into out: inout Tensor) {
        mapElements(x, into: &out, "square(_:into:)", ElementOps.Square())
    }

    /// Each element limited to `[min, max]`, as `torch.clamp`; NaN stays NaN.
    ///
    /// - Parameters:
    ///   - min: lower bound.
    ///   - max: upper bound, at least `min`.
    public func clamp(min: Float, max: Float) -> Tensor {
        mapped { Tensor.clamp($0, min: min, max: max, into: &$1) }
    }

    /// `out = clamp(x, min, max)` elementwise; `out` must have `x`'s shape.
    public static func clamp(_ x: Tensor, min low: Float, max high: Float, into out: inout Tensor) {
        check(low <= high, "clamp: min \(low) is above max \(high)")
        mapElements(x, into: &out, "clamp(_:min:max:into:)", ElementOps.Clamp(low: low, high: high))
    }

    /// `−x` elementwise.
    public static prefix func - (x: Tensor) -> Tensor { x.neg() }
}

/// A function of one element. Drivers take it as a generic struct rather than a closure so
/// that specialisation inlines it into each loop, including the loops run on worker threads
/// (a captured closure would be an indirect call per element there).
protocol ElementFunction { func callAsFunction(_ x: Float) -> Float }

/// A function of eight lanes, for the SIMD kernels of `FastMath.swift`.
protocol LaneFunction { func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> }

/// A function of two elements (binary arithmetic, comparisons, selections).
protocol ElementOperator { func callAsFunction(_ a: Float, _ b: Float) -> Float }

/// The elementwise functions and operators, as types for the generic drivers.
enum ElementOps {
    struct Exp: LaneFunction { @inline(__always) func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { simdExp(x) } }
    struct Tanh: LaneFunction { @inline(__always) func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { simdTanh(x) } }
    struct Sigmoid: LaneFunction { @inline(__always) func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { simdSigmoid(x) } }
    struct Silu: LaneFunction { @inline(__always) func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { simdSilu(x) } }
    struct GeluErf: LaneFunction { @inline(__always) func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { simdGeluErf(x) } }
    struct GeluTanh: LaneFunction { @inline(__always) func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { simdGeluTanh(x) } }

    struct Log: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
    struct SquareRoot: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
    struct ReciprocalSquareRoot: ElementFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / x.squareRoot() }
    }
    struct Relu: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x < 0 ? 0 : x } }
    struct Absolute: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
    struct Negate: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
    struct Square: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x } }
    struct Clamp: ElementFunction {
        let low: Float, high: Float
        @inline(__always) func callAsFunction(_ x: Float) -> Float { x < low ? low : (x > high ? high : x) }
    }
}
