// Vectorised approximations of exp, tanh, sigmoid, SiLU and GELU on `SIMD8<Float>`.
//
// Each function states a maximum error against the Double-precision libm value of the same
// formula, and the largest error measured. `UnaryTests` sweeps 2 M + 1 points over [−10, 10],
// ±10ᵏ for k from −38 to 38 in 1/16 steps, and special values (±0, ±inf, NaN,
// ±greatestFiniteMagnitude, denormals, the overflow edges) and asserts every bound: relative
// error where the exact result is a normal Float, absolute error where it is 0 or denormal, and
// exact agreement on inf, NaN and ±1 limits.
//
// Polynomials and range reductions use fused multiply-adds (``muladd(_:_:_:)``), single
// instructions in the Haswell build that Package.swift selects. Without an FMA target they
// become a libm `fmaf` call per lane (same values, ~40× slower); compiling with
// `-D LORE_NO_FMA` switches them to a multiply and an add (errors stay within the stated
// bounds: measured up to 1.6e-7 for exp/tanh/sigmoid/silu, 4.7e-7 for erf-GELU). Nothing else
// needs more than SSE2: rounding to an integer uses the 1.5·2²³ trick rather than `rounded()`,
// and lane comparisons stay on Float (the compiler scalarises comparisons of `SIMD8<Int32>`).
//
// Speed (Haswell build, 16 Mi elements, 2 threads, into a reused buffer): gelu(.tanh) 3.1–3.4 ms,
// gelu 5.6 ms, exp / sigmoid / silu 2.6–2.7 ms, against 3.2 ms for one memcpy of the 64 MiB
// output.
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

/// `a·b + c` with one rounding (an FMA instruction when the target has one).
@inline(__always)
func muladd(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
    #if LORE_NO_FMA
    a * b + c
    #else
    c.addingProduct(a, b)
    #endif
}

/// `a² = hi + lo` with `hi` a Float and `lo` the (small) rest: exactly, by FMA; without FMA,
/// `hi` is the square of `a` cut to 12 significant bits (exact) and `lo` is rounded once.
@inline(__always)
func squareSplit(_ a: SIMD8<Float>) -> (hi: SIMD8<Float>, lo: SIMD8<Float>) {
    #if LORE_NO_FMA
    let aHi = floatFromBits(floatBits(a) & SIMD8(repeating: Int32(bitPattern: 0xFFFF_F000)))
    let aLo = a - aHi
    return (aHi * aHi, aLo * (a + aHi))
    #else
    let hi = a * a
    return (hi, muladd(a, a, -hi))
    #endif
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
/// Maximum error: relative 1.6e-7 for normal results (measured 8.8e-8, under 1 ulp);
/// denormal results within 1 denormal ulp (1.4e-45; measured 6.8e-46).
@inline(__always)
func simdExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Beyond these limits the result is inf or 0 anyway; clamping keeps n in Int32 range.
    let (p, shiftedN) = expReduced(lanesAtMost(lanesAtLeast(x, SIMD8(repeating: -104)), SIMD8(repeating: 89)))
    let n = floatBits(shiftedN) &- 0x4B40_0000
    // 2ⁿ as two factors 2^(n/2)·2^(n−n/2), each a normal float, so that n ∈ [−150, 129] gives
    // correct overflow to inf and a single rounding into the denormal range.
    let n1 = n &>> 1
    let n2 = n &- n1
    return p * floatFromBits((n1 &+ 127) &<< 23) * floatFromBits((n2 &+ 127) &<< 23)
}

/// `eˣ` for each lane where only normal results matter: results below 2⁻¹²⁶ may be flushed to
/// 0 or rounded coarsely, and inputs above ≈ 88.37 give `+inf`. NaN propagates. Cheaper than
/// ``simdExp(_:)`` by one scaling step; for `1/(1 + eˣ)`-style uses (sigmoid, SiLU, GELU,
/// tanh) where a tiny or huge `eˣ` only needs to stay tiny or huge.
@inline(__always)
func simdExpNormalRange(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // n ∈ [−127, 128]: exponent field 0 makes the scale 0, field 255 makes it inf.
    let (p, shiftedN) = expReduced(lanesAtMost(lanesAtLeast(x, SIMD8(repeating: -88)), SIMD8(repeating: 89)))
    return p * powerOfTwo(shiftedN)
}

/// Range reduction and polynomial shared by the exp kernels: `eˣ = p·2ⁿ` with
/// `|x − n·ln 2| ≤ ln2/2`, `n` returned as the Float `n + 1.5·2²³` (its bit pattern is
/// `0x4B40_0000 + n`; see ``powerOfTwo(_:)``). Needs |x| < 2²² (callers clamp).
@inline(__always)
func expReduced(_ x: SIMD8<Float>) -> (p: SIMD8<Float>, shiftedN: SIMD8<Float>) {
    let magic = SIMD8<Float>(repeating: 12_582_912)          // 1.5·2²³: adding rounds to an integer
    let shifted = muladd(x, SIMD8(repeating: 1.442_695_041), magic)
    let n = shifted - magic                                  // round(x·log₂e) as Float
    // ln 2 = 0.693359375 + (−2.12e-4): n·0.693359375 is exact, so the first step is exact.
    let r = muladd(n, SIMD8(repeating: 2.121_944_401e-4), muladd(n, SIMD8(repeating: -0.693_359_375), x))
    return (expPolynomial(r), shifted)
}

/// `e^(x + tail)` reduced as in ``expReduced(_:)``, for an exactly representable `x` and a
/// small `tail` whose sum with `x` would not be representable: the tail joins the reduced
/// argument, so the rounding of `x + tail` never reaches the result.
@inline(__always)
func expReduced(_ x: SIMD8<Float>, tail: SIMD8<Float>) -> (p: SIMD8<Float>, shiftedN: SIMD8<Float>) {
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = muladd(x + tail, SIMD8(repeating: 1.442_695_041), magic)
    let n = shifted - magic
    let r = muladd(n, SIMD8(repeating: 2.121_944_401e-4), muladd(n, SIMD8(repeating: -0.693_359_375), x)) + tail
    return (expPolynomial(r), shifted)
}

/// `2ⁿ` from `n + 1.5·2²³` as a Float, for n ∈ [−127, 128]: −127 gives 0, 128 gives inf.
@inline(__always)
func powerOfTwo(_ shiftedN: SIMD8<Float>) -> SIMD8<Float> {
    floatFromBits((floatBits(shiftedN) &- (0x4B40_0000 - 127)) &<< 23)
}

/// `eʳ` for |r| ≤ 0.35: degree-6 minimax, relative error 2e-9 before Float rounding.
@inline(__always)
func expPolynomial(_ r: SIMD8<Float>) -> SIMD8<Float> {
    var p = muladd(SIMD8(repeating: 1.384_175_953e-3), r, SIMD8(repeating: 8.375_782_622e-3))
    p = muladd(p, r, SIMD8(repeating: 4.166_811_289e-2))
    p = muladd(p, r, SIMD8(repeating: 1.666_641_224e-1))
    p = muladd(p, r, SIMD8(repeating: 4.999_999_348e-1))
    p = muladd(p, r, SIMD8(repeating: 1.000_000_036))
    return muladd(p, r, SIMD8(repeating: 1))
}

/// `tanh x` for each lane: an odd minimax polynomial `x + x³·P(x²)` for |x| < 0.625, and
/// `1 − 2/(1 + e^{2|x|})` with the sign of `x` above. ±inf gives ±1, NaN propagates.
///
/// Maximum error: relative 2.5e-7 everywhere (measured 1.37e-7); exactly ±1 for |x| ≥ 9.1.
@inline(__always)
func simdTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let signBit = SIMD8<Int32>(repeating: Int32(bitPattern: 0x8000_0000))
    let a = floatFromBits(floatBits(x) & ~signBit)
    let a2 = a * a
    var p = muladd(SIMD8(repeating: -5.704_987_018e-3), a2, SIMD8(repeating: 2.063_908_726e-2))
    p = muladd(p, a2, SIMD8(repeating: -5.373_971_509e-2))
    p = muladd(p, a2, SIMD8(repeating: 1.333_144_220e-1))
    p = muladd(p, a2, SIMD8(repeating: -3.333_328_194e-1))
    let small = muladd(a * a2, p, a)
    let large = 1 - 2 / (1 + simdExpNormalRange(a + a))
    let magnitude = small.replacing(with: large, where: a .>= 0.625)
    return floatFromBits(floatBits(magnitude) | (floatBits(x) & signBit))
}

/// The logistic function `σ(x) = 1 / (1 + e^{−x})` for each lane. σ(−inf) = 0, σ(inf) = 1,
/// NaN propagates.
///
/// Maximum error: relative 2.5e-7 for normal results, x ≥ −87.3 (measured 1.28e-7); below
/// that the result is 0 or a denormal (absolute error < 1.2e-38).
@inline(__always)
func simdSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    1 / (1 + simdExpNormalRange(-x))
}

/// SiLU (swish) `x·σ(x) = x / (1 + e^{−x})` for each lane. silu(−inf) = −0, NaN propagates.
///
/// Maximum error: relative 2.5e-7 for normal results (measured 1.50e-7); absolute < 1.2e-38
/// below.
@inline(__always)
func simdSilu(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // −inf would give −inf/inf = NaN; the largest finite negative gives −0, the limit.
    lanesAtLeast(x, SIMD8(repeating: -.greatestFiniteMagnitude)) / (1 + simdExpNormalRange(-x))
}

/// GELU, tanh approximation: `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`, computed as the
/// identical `x / (1 + e^{−2u})` with `u = √(2/π)(x + 0.044715x³)` (one exp, one divide, no
/// cancellation for negative x). gelu(−inf) = −0, NaN propagates.
///
/// Maximum error (against the same formula in Double): relative 2.5e-7 + 2e-7·|2u| for
/// normal results, absolute < 1.2e-38 below. The rounding of `u` enters the exponential, so the
/// relative error grows in the negative tail where |gelu| is tiny: measured 2.2e-7 at most
/// for x ≥ −1 and 1.27e-5 at x ≈ −9.9 (|gelu| ≈ 1e-36); the worst ratio to the bound was 0.77.
@inline(__always)
func simdGeluTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // −2√(2/π) and −2√(2/π)·0.044715
    let v = x * muladd(SIMD8(repeating: -7.135_481_627e-2), x * x, SIMD8(repeating: -1.595_769_122))
    return lanesAtLeast(x, SIMD8(repeating: -.greatestFiniteMagnitude)) / (1 + simdExpNormalRange(v))
}

/// GELU, exact (erf) form: `½x(1 + erf(x/√2)) = x·Φ(x)`, Φ the standard normal CDF.
///
/// With `a = |x|`, the tail `h = Φ(−a) = e^{−a²/2}·G(t)`, `t = 1/(1 + 0.295a)`, where `G` is a
/// degree-8 minimax polynomial in `t` for `½·erfcx(a/√2)` on a ∈ [0, 13.5] (3e-8 before
/// Float rounding); `e^{−a²/2}` splits a² so that its rounding never reaches the result. Then `Φ(x) = h` for
/// x < 0 and `1 − h` for x ≥ 0, so negative x keeps full relative accuracy.
/// gelu(−inf) = −0, gelu(inf) = inf, NaN propagates.
///
/// Maximum error (against `0.5·x·erfc(−x/√2)` in Double): relative 1e-6 for normal results,
/// x ≥ −13.1 (measured 4.4e-7); absolute < 1.2e-38 below (measured 9.6e-40).
@inline(__always)
func simdGeluErf(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let signBit = SIMD8<Int32>(repeating: Int32(bitPattern: 0x8000_0000))
    // Beyond 15, e^{−a²/2} underflows to 0 (so gelu(−big) = −0); clamping keeps the exact
    // split below finite for huge |x|.
    let a = lanesAtMost(floatFromBits(floatBits(x) & ~signBit), SIMD8(repeating: 15))
    let t = 1 / muladd(SIMD8(repeating: 0.295), a, SIMD8(repeating: 1))
    var g = muladd(SIMD8(repeating: 3.971_698_816e-2), t, SIMD8(repeating: -1.847_427_551e-1))
    g = muladd(g, t, SIMD8(repeating: 2.735_746_970e-1))
    g = muladd(g, t, SIMD8(repeating: -1.197_736_726e-1))
    g = muladd(g, t, SIMD8(repeating: 1.680_089_098e-1))
    g = muladd(g, t, SIMD8(repeating: 8.407_098_694e-2))
    g = muladd(g, t, SIMD8(repeating: 1.218_578_283e-1))
    g = muladd(g, t, SIMD8(repeating: 1.172_689_214e-1))
    g = muladd(g, t, SIMD8(repeating: 1.811_129_854e-5))
    // e^{−a²/2} with a² = hi + lo: −hi/2 is exact and −lo/2 joins the reduced argument, so no
    // rounding of a² reaches the result.
    let (hi, lo) = squareSplit(a)
    let (p, shiftedN) = expReduced(-0.5 * hi, tail: -0.5 * lo)
    // n ≥ −127 (scale 0): e^{−a²/2} underflows to 0 from a ≈ 13.3 on. The clamp is on the Float
    // (an Int32 lane comparison is scalarised by the compiler).
    let h = p * powerOfTwo(lanesAtLeast(shiftedN, SIMD8(repeating: 12_582_912 - 127))) * g
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
