// Vectorised approximations of exp, tanh, sigmoid, SiLU and GELU on `SIMD8<Float>`.
//
// Each function states its maximum error against the Double-precision libm value of the same
// formula; `UnaryTests` sweeps 2 M points over [-10, 10], a log-spaced sweep out to ±100 and the
// special values (±0, ±inf, NaN, ±greatestFiniteMagnitude, denormals) and asserts the bound.
// The error is measured as in `assertClose`: |approx − exact| ≤ rtol·|exact| + atol.
//
// The code uses only operations that baseline x86-64 (SSE2) has as instructions: add, mul,
// div, compare, blend, integer shift. It never calls `rounded()` (a libm call per lane without
// SSE4.1) or `addingProduct` (a `fmaf` call per lane without FMA). Rounding to an integer
// uses the 1.5·2²³ trick; range reduction splits ln 2 so that `n·ln2Hi` is exact.
//
// Polynomial coefficients were fitted for minimal maximum relative error (Lawson's iteratively
// reweighted least squares in Double on 20–40 k Chebyshev points, then rounded to Float).

/// Lane `i` is `a[i] < b[i] ? b[i] : a[i]`: NaN in `a` survives (unlike `pointwiseMax`, whose
/// NaN behaviour is not specified).
@inline(__always)
func lanesAtLeast(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    a.replacing(with: b, where: a .< b)
}

/// Lane `i` is `a[i] > b[i] ? b[i] : a[i]`, keeping NaN in `a`.
@inline(__always)
func lanesAtMost(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    a.replacing(with: b, where: a .> b)
}

@inline(__always)
func floatBits(_ x: SIMD8<Float>) -> SIMD8<Int32> { unsafeBitCast(x, to: SIMD8<Int32>.self) }

@inline(__always)
func floatFromBits(_ x: SIMD8<Int32>) -> SIMD8<Float> { unsafeBitCast(x, to: SIMD8<Float>.self) }

/// `eˣ` for each lane, as `2ⁿ·p(r)` with `n = round(x·log₂e)`, `r = x − n·ln 2 ∈ [−ln2/2, ln2/2]`
/// and `p` a degree-6 minimax polynomial.
///
/// Overflows to `+inf` above ≈ 88.72, returns correctly rounded denormals down to ≈ −103.3 and 0
/// below; `NaN` propagates.
///
/// Maximum error (measured): relative 1.6e-7 (≈ 1.3 ulp) for normal results; denormal
/// results carry at most 1 denormal ulp (1.4e-45) more.
@inline(__always)
func simdExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Beyond these limits the result is inf or 0 anyway; clamping keeps n in Int32 range.
    let x = lanesAtMost(lanesAtLeast(x, SIMD8(repeating: -104)), SIMD8(repeating: 89))
    let magic = SIMD8<Float>(repeating: 12_582_912)          // 1.5·2²³: adding rounds to an integer
    let shifted = x * 1.442_695_041 + magic
    let n = shifted - magic                                  // round(x·log₂e) as Float
    let r = (x - n * 0.693_359_375) - n * -2.121_944_401e-4  // ln 2 = 0.693359375 + (−2.12e-4)
    var p = SIMD8<Float>(repeating: 1.384_175_953e-3)
    p = p * r + 8.375_782_622e-3
    p = p * r + 4.166_811_289e-2
    p = p * r + 1.666_641_224e-1
    p = p * r + 4.999_999_348e-1
    p = p * r + 1.000_000_036
    p = p * r + 1
    // 2ⁿ as two factors 2^(n/2)·2^(n−n/2), each a normal float, so that n ∈ [−150, 129] gives
    // correct overflow to inf and a single rounding into the denormal range.
    let ni = floatBits(shifted) &- 0x4B40_0000
    let n1 = ni &>> 1
    let n2 = ni &- n1
    let s1 = floatFromBits((n1 &+ 127) &<< 23)
    let s2 = floatFromBits((n2 &+ 127) &<< 23)
    return p * s1 * s2
}

/// `tanh x` for each lane: an odd minimax polynomial `x + x³·P(x²)` for |x| < 0.625, and
/// `1 − 2/(1 + e^{2|x|})` with the sign of `x` above. ±inf gives ±1, NaN propagates.
///
/// Maximum error (measured): relative 2.5e-7 everywhere (≈ 2 ulp); exactly ±1 for |x| ≥ 9.1.
@inline(__always)
func simdTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let signBit = SIMD8<Int32>(repeating: Int32(bitPattern: 0x8000_0000))
    let a = floatFromBits(floatBits(x) & ~signBit)
    let a2 = a * a
    var p = SIMD8<Float>(repeating: -5.704_987_018e-3)
    p = p * a2 + 2.063_908_726e-2
    p = p * a2 - 5.373_971_509e-2
    p = p * a2 + 1.333_144_220e-1
    p = p * a2 - 3.333_328_194e-1
    let small = a + (a * a2) * p
    let large = 1 - 2 / (1 + simdExp(a + a))
    let magnitude = small.replacing(with: large, where: a .>= 0.625)
    return floatFromBits(floatBits(magnitude) | (floatBits(x) & signBit))
}

/// The logistic function `σ(x) = 1 / (1 + e^{−x})` for each lane. σ(−inf) = 0, σ(inf) = 1,
/// NaN propagates.
///
/// Maximum error (measured): relative 2.5e-7 for normal results (x ≥ −87.3); below that the
/// result is 0 or a denormal (absolute error < 1.2e-38).
@inline(__always)
func simdSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    1 / (1 + simdExp(-x))
}

/// SiLU (swish) `x·σ(x) = x / (1 + e^{−x})` for each lane. silu(−inf) = −0, NaN propagates.
///
/// Maximum error (measured): relative 2.5e-7 for normal results; absolute < 1.2e-38 below.
@inline(__always)
func simdSilu(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // −inf would give −inf/inf = NaN; the largest finite negative gives −0, the limit.
    lanesAtLeast(x, SIMD8(repeating: -.greatestFiniteMagnitude)) / (1 + simdExp(-x))
}

/// GELU, tanh approximation: `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`, computed as the
/// identical `x / (1 + e^{−2u})` with `u = √(2/π)(x + 0.044715x³)` (one exp, one divide, no
/// cancellation for negative x). gelu(−inf) = −0, NaN propagates.
///
/// Maximum error (measured against the same formula in Double): |err| ≤ 3e-7·|exact| + 1e-12.
/// The relative part grows with |u| in the far negative tail (rounding of u enters exp),
/// reaching ≈ 1.2e-6 near x = −10 where |gelu| < 1e-36.
@inline(__always)
func simdGeluTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // −2√(2/π) and −2√(2/π)·0.044715
    let v = x * (-1.595_769_122 + -7.135_481_627e-2 * (x * x))
    return lanesAtLeast(x, SIMD8(repeating: -.greatestFiniteMagnitude)) / (1 + simdExp(v))
}

/// GELU, exact (erf) form: `½x(1 + erf(x/√2)) = x·Φ(x)`, Φ the standard normal CDF.
///
/// With `a = |x|`, the tail `h = Φ(−a) = e^{−a²/2}·G(t)`, `t = 1/(1 + 0.295a)`, where `G` is a
/// degree-8 minimax polynomial in `t` for `½·erfcx(a/√2)` on a ∈ [0, 13.5]; `e^{−a²/2}` uses
/// an exact split of a² so large |x| loses nothing to the rounding of a². Then `Φ(x) = h` for
/// x < 0 and `1 − h` for x ≥ 0, so negative x keeps full relative accuracy.
/// gelu(−inf) = −0, gelu(inf) = inf, NaN propagates.
///
/// Maximum error (measured against `0.5·x·erfc(−x/√2)` in Double): relative 1e-6 for normal
/// results (x ≥ −13.1); absolute < 1.2e-38 below.
@inline(__always)
func simdGeluErf(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let signBit = SIMD8<Int32>(repeating: Int32(bitPattern: 0x8000_0000))
    // Beyond 15, e^{−a²/2} underflows to 0 (so gelu(−big) = −0); clamping keeps the exact
    // split below finite for huge |x|.
    let a = lanesAtMost(floatFromBits(floatBits(x) & ~signBit), SIMD8(repeating: 15))
    let t = 1 / (1 + 0.295 * a)
    var g = SIMD8<Float>(repeating: 3.971_698_816e-2)
    g = g * t - 1.847_427_551e-1
    g = g * t + 2.735_746_970e-1
    g = g * t - 1.197_736_726e-1
    g = g * t + 1.680_089_098e-1
    g = g * t + 8.407_098_694e-2
    g = g * t + 1.218_578_283e-1
    g = g * t + 1.172_689_214e-1
    g = g * t + 1.811_129_854e-5
    // a² = hi + lo exactly (Dekker's split of a into 12-bit halves).
    let c = 4097 * a
    let aHi = c - (c - a)
    let aLo = a - aHi
    let hi = a * a
    let lo = ((aHi * aHi - hi) + 2 * aHi * aLo) + aLo * aLo
    // e^{−a²/2} = e^{−hi/2}·e^{−lo/2} ≈ e^{−hi/2}·(1 − lo/2), |lo/2| ≤ 2⁻²⁵·a².
    let e = simdExp(-0.5 * hi)
    let h = (e - e * (0.5 * lo)) * g
    let phi = h.replacing(with: 1 - h, where: x .>= 0)
    return lanesAtLeast(x, SIMD8(repeating: -.greatestFiniteMagnitude)) * phi
}

// MARK: Array drivers

/// Applies `f` to `count` floats from `source` into `destination` (which may equal `source`),
/// eight lanes at a time; the tail goes through the same function padded with zeros, so every
/// element gets the bitwise same result wherever it sits.
@inline(__always)
func mapSIMD8<F: LaneFunction>(
    _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int, _ f: F
) {
    let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(destination)
    var i = 0
    while i + 8 <= count {
        let v = src.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        dst.storeBytes(of: f(v), toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    let rest = count - i
    if rest > 0 {
        var v = SIMD8<Float>()
        for k in 0..<rest { v[k] = source[i + k] }
        let y = f(v)
        for k in 0..<rest { destination[i + k] = y[k] }
    }
}
