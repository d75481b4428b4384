import Foundation
import Tensor

/// Rescales gradients so that their global norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping.
///
/// The norm is taken over all gradients together, as if concatenated into one vector:
/// `‖g‖ₚ = (Σ |gᵢ|ᵖ)^(1/p)`, or `max |gᵢ|` for `p = ∞`, accumulated in `Double` (chunk partials
/// combined in a fixed order, so the result does not depend on the thread count). When
/// `c = maxNorm / (‖g‖ + 1e-6)` is below 1, every gradient is multiplied by `c`; otherwise the
/// gradients are left as they are (PyTorch multiplies by `min(c, 1)`, which is the same).
///
/// A non-finite norm (a NaN or infinite gradient somewhere) is returned as is and the gradients
/// are left **untouched** — unlike PyTorch, which would multiply them by NaN. Check the result
/// and skip the optimizer step:
///
/// ```swift
/// let norm = clipGradientNorm(model.namedParameters(), maxNorm: 1)
/// if norm.isFinite { optimizer.step(model) }
/// model.zeroGradients()
/// ```
///
/// - Parameters:
///   - parameters: the parameters whose ``Parameter/gradient``s to clip; those without a
///     gradient are ignored. A parameter listed twice counts once.
///   - maxNorm: the largest norm allowed (≥ 0).
///   - normType: `p` (> 0), default 2; `.infinity` for the largest magnitude.
/// - Returns: the global norm of the gradients before clipping (0 when there are none).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float, normType: Float = 2) -> Float {
    check(maxNorm >= 0, "clipGradientNorm: maxNorm \(maxNorm) is negative")
    check(normType > 0, "clipGradientNorm: normType \(normType) must be positive (2, 1, .infinity, …)")
    var seen = Set<ObjectIdentifier>()
    let unique = parameters.filter { $0.gradient != nil && seen.insert(ObjectIdentifier($0)).inserted }
    var norm = 0.0
    if normType == .infinity {
        for p in unique {
            let largest = p.gradient!.withUnsafeBufferPointer { largestMagnitude($0) }
            if largest.isNaN || largest > norm { norm = largest }
            if norm.isNaN { break }
        }
    } else {
        var total = 0.0
        for p in unique { total += p.gradient!.withUnsafeBufferPointer { powerSum($0, Double(normType)) } }
        norm = normType == 2 ? total.squareRoot() : pow(total, 1 / Double(normType))
    }
    let result = Float(norm)
    guard norm.isFinite else { return result }
    let coefficient = Double(maxNorm) / (norm + 1e-6)
    if coefficient < 1 {
        let scale = Float(coefficient)
        for p in unique { p.gradient! *= scale }
    }
    return result
}

/// Clips the gradients of `parameters` given with names (``Module/namedParameters()``); see
/// ``clipGradientNorm(_:maxNorm:normType:)-([Parameter],_,_)``.
@discardableResult
public func clipGradientNorm(
    _ parameters: [(name: String, parameter: Parameter)], maxNorm: Float, normType: Float = 2
) -> Float {
    clipGradientNorm(parameters.map(\.parameter), maxNorm: maxNorm, normType: normType)
}

/// Clips the gradients of every parameter of `module`; see
/// ``clipGradientNorm(_:maxNorm:normType:)-([Parameter],_,_)``.
@discardableResult
public func clipGradientNorm(_ module: some Module, maxNorm: Float, normType: Float = 2) -> Float {
    clipGradientNorm(module.parameters(), maxNorm: maxNorm, normType: normType)
}

/// `Σ |xᵢ|ᵖ` in `Double`: per-chunk partials (8 lanes for `p = 2`), summed in chunk order.
func powerSum(_ x: UnsafeBufferPointer<Float>, _ power: Double) -> Double {
    guard let base = x.baseAddress, x.count > 0 else { return 0 }
    var partials = [Double](repeating: 0, count: chunkCount(total: x.count, grain: elementwiseGrain))
    partials.withUnsafeMutableBufferPointer { out in
        let out = out.baseAddress!
        parallelChunks(total: x.count, grain: elementwiseGrain) { chunk, range in
            out[chunk] = power == 2 ? sumOfSquares(base + range.lowerBound, count: range.count)
                                    : referencePowerSum(UnsafeBufferPointer(rebasing: x[range]), power)
        }
    }
    return partials.reduce(0, +)
}

/// `Σ xᵢ²` in `Double`, four `SIMD4<Double>` accumulators over 8-float loads.
func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var low = SIMD4<Double>(), high = SIMD4<Double>()
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        let a = SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
        let b = SIMD4<Double>(Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
        low += a * a
        high += b * b
        i += 8
    }
    var total = (low + high).sum()
    while i < count {
        let d = Double(x[i])
        total += d * d
        i += 1
    }
    return total
}

/// `Σ |xᵢ|ᵖ` in `Double`, one element at a time: the reference for ``powerSum(_:_:)``.
func referencePowerSum(_ x: UnsafeBufferPointer<Float>, _ power: Double) -> Double {
    var total = 0.0
    for value in x {
        let a = abs(Double(value))
        total += power == 2 ? a * a : power == 1 ? a : pow(a, power)
    }
    return total
}

/// `max |xᵢ|`, or NaN when an element is NaN.
func largestMagnitude(_ x: UnsafeBufferPointer<Float>) -> Double {
    var largest: Float = 0
    for value in x {
        if value.isNaN { return .nan }
        if abs(value) > largest { largest = abs(value) }
    }
    return Double(largest)
}
