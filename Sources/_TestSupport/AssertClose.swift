import Testing
import Tensor

/// Records a test failure unless `actual` and `expected` have the same shape and every element
/// satisfies `|a − e| ≤ atol + rtol·|e|` (numpy's `allclose` rule; NaN equals NaN only when
/// both are NaN at the same place).
///
/// The failure message prints both shapes, the number of offending elements, the worst one,
/// its multi-dimensional index and both values there.
public func assertClose(
    _ actual: Tensor, _ expected: Tensor,
    rtol: Float = 1e-5, atol: Float = 1e-6,
    _ comment: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    if let problem = closeness(actual, expected, rtol: rtol, atol: atol) {
        Issue.record(Comment(rawValue: (comment.isEmpty ? "" : comment + ": ") + problem), sourceLocation: sourceLocation)
    }
}

/// Array form of ``assertClose(_:_:rtol:atol:_:sourceLocation:)`` for 1-D expectations.
public func assertClose(
    _ actual: [Float], _ expected: [Float],
    rtol: Float = 1e-5, atol: Float = 1e-6,
    _ comment: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    assertClose(Tensor(actual), Tensor(expected), rtol: rtol, atol: atol, comment, sourceLocation: sourceLocation)
}

/// `nil` when the tensors are close; otherwise a description of how they differ.
public func closeness(_ actual: Tensor, _ expected: Tensor, rtol: Float, atol: Float) -> String? {
    guard actual.shape == expected.shape else {
        return "shape mismatch: actual \(describeShape(actual.shape)) vs expected \(describeShape(expected.shape))"
    }
    let a = actual.scalars, e = expected.scalars
    var bad = 0
    var worst = -1
    var worstExcess: Float = -.infinity
    for i in 0..<a.count {
        if a[i].isNaN && e[i].isNaN { continue }
        let diff = abs(a[i] - e[i])
        let allowed = atol + rtol * abs(e[i])
        let ok = diff <= allowed || (a[i] == e[i])  // equal infinities
        if !ok {
            bad += 1
            let excess = diff.isNaN ? .infinity : diff - allowed
            if excess > worstExcess || worst < 0 { worstExcess = excess; worst = i }
        }
    }
    guard bad > 0 else { return nil }
    let index = multiIndex(worst, shape: actual.shape)
    return "\(bad) of \(a.count) elements differ (shape \(describeShape(actual.shape)), rtol \(rtol), atol \(atol)); "
        + "worst at \(describeShape(index)): actual \(a[worst]) vs expected \(e[worst]) (|diff| \(abs(a[worst] - e[worst])))"
}

/// The multi-dimensional index of flat offset `flat` in a row-major `shape`.
public func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}
