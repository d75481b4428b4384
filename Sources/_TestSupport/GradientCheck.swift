import Testing
import Tensor
import Autograd

/// Checks the hand-written backward pass of `body` against central finite differences.
///
/// The output is reduced to a scalar with fixed random weights `R` (seeded), `L = Σⱼ Rⱼ·f(x)ⱼ`,
/// summed in `Double`. For every element `xᵢ` of every checked input, the numeric derivative
/// `(L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h` must match the analytic `Rᵀ·J` from
/// ``vectorJacobianProduct(at:seed:_:)`` within `atol + rtol·|numeric|`.
///
/// Float32 forward passes limit the precision: the defaults (`step` 1e-3, `rtol` 1e-2,
/// `atol` 1e-3) suit values of order 1. Keep inputs small: each element costs two forward passes.
///
/// - Parameters:
///   - inputs: the point to check at.
///   - checking: indices of the inputs to differentiate (default: all).
///   - body: the function under test; may return any shape.
/// - Returns: the largest `|analytic − numeric|` seen.
@discardableResult
public func gradcheck(
    _ inputs: [Tensor],
    checking: [Int]? = nil,
    step: Float = 1e-3, rtol: Float = 1e-2, atol: Float = 1e-3, seed: UInt64 = 0x5EED,
    _ comment: String = "",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: ([Variable]) -> Variable
) -> Float {
    let probe = withoutGradient { body(inputs.map { Variable($0) }) }.value
    var rng = SeededGenerator(seed: seed)
    let weights = Tensor.randomUniform(probe.shape, low: -1, high: 1, using: &rng)
    let analytic = vectorJacobianProduct(at: inputs, seed: weights, body).gradients

    func weightedSum(_ point: [Tensor]) -> Double {
        let out = withoutGradient { body(point.map { Variable($0) }) }.value
        let o = out.scalars, w = weights.scalars
        var total = 0.0
        for j in 0..<o.count { total += Double(o[j]) * Double(w[j]) }
        return total
    }

    var worst: Float = 0
    var failures: [String] = []
    for k in checking ?? Array(inputs.indices) {
        var point = inputs
        let base = inputs[k].scalars
        let grad = analytic[k].scalars
        for i in 0..<base.count {
            var plus = base, minus = base
            plus[i] += step
            minus[i] -= step
            let h2 = Double(plus[i]) - Double(minus[i])  // the step actually taken, after rounding
            point[k] = Tensor(shape: inputs[k].shape, scalars: plus)
            let up = weightedSum(point)
            point[k] = Tensor(shape: inputs[k].shape, scalars: minus)
            let down = weightedSum(point)
            let numeric = Float((up - down) / h2)
            let diff = abs(grad[i] - numeric)
            worst = max(worst, diff)
            if !(diff <= atol + rtol * abs(numeric)) && failures.count < 5 {
                let index = describeShape(multiIndex(i, shape: inputs[k].shape))
                failures.append("input \(k) \(describeShape(inputs[k].shape)) at \(index): analytic \(grad[i]) vs numeric \(numeric)")
            }
        }
    }
    if !failures.isEmpty {
        Issue.record(Comment(rawValue: (comment.isEmpty ? "" : comment + ": ") + "gradient check failed (rtol \(rtol), atol \(atol)): "
                             + failures.joined(separator: "; ")), sourceLocation: sourceLocation)
    }
    return worst
}
