import Foundation

/// Plain, obviously-right reductions and softmax: one output element at a time, index
/// arithmetic spelled out, everything in `Double`. Tests hold the fast kernels of
/// `Tensor+Reduction.swift` and `Tensor+Softmax.swift` against these.
enum ReductionReference {
    /// `shape` split around `axis` (already non-negative): elements before, along, after.
    static func split(_ shape: [Int], _ axis: Int) -> (outer: Int, n: Int, inner: Int) {
        var outer = 1, inner = 1
        for d in shape[..<axis] { outer *= d }
        for d in shape[(axis + 1)...] { inner *= d }
        return (outer, shape[axis], inner)
    }

    static func resultShape(_ shape: [Int], _ axis: Int, _ keep: Bool) -> [Int] {
        var s = shape
        if keep { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Applies `f` to the slice `x[o, 0..<n, j]` (as `Double`s) for every output `(o, j)`.
    static func reduce(
        _ x: Tensor, axis: Int, keepingDimensions: Bool = false, _ f: ([Double]) -> Double
    ) -> Tensor {
        let a = axis < 0 ? axis + x.rank : axis
        let (outer, n, inner) = split(x.shape, a)
        let v = x.scalars
        var out = [Float]()
        for o in 0..<outer {
            for j in 0..<inner {
                var slice = [Double]()
                for k in 0..<n { slice.append(Double(v[(o * n + k) * inner + j])) }
                out.append(Float(f(slice)))
            }
        }
        return Tensor(shape: resultShape(x.shape, a, keepingDimensions), scalars: out)
    }

    static func sum(_ s: [Double]) -> Double {
        var t = 0.0
        for v in s { t += v }
        return t
    }

    static func mean(_ s: [Double]) -> Double { sum(s) / Double(s.count) }

    /// Maximum; NaN if any value is NaN.
    static func maximum(_ s: [Double]) -> Double {
        var m = -Double.infinity
        for v in s {
            if v.isNaN { return .nan }
            if v > m { m = v }
        }
        return m
    }

    static func minimum(_ s: [Double]) -> Double { -maximum(s.map { -$0 }) }

    /// First index of the maximum; the first NaN counts as the maximum.
    static func argmax(_ s: [Double]) -> Double {
        var best = 0
        for i in s.indices {
            if s[i].isNaN { return Double(i) }
            if s[i] > s[best] { best = i }
        }
        return Double(best)
    }

    static func argmin(_ s: [Double]) -> Double { argmax(s.map { -$0 }) }

    /// `log Σ exp(x)` by shifting with the maximum; −∞ for an empty or all-−∞ slice.
    static func logSumExp(_ s: [Double]) -> Double {
        let m = maximum(s)
        if m.isNaN { return .nan }
        if m.isInfinite { return m }
        var t = 0.0
        for v in s { t += Foundation.exp(v - m) }
        return m + Foundation.log(t)
    }

    static func variance(_ s: [Double], correction: Int) -> Double {
        let mu = mean(s)
        var t = 0.0
        for v in s { t += (v - mu) * (v - mu) }
        return t / Double(max(0, s.count - correction))
    }

    /// Softmax (or log-softmax) of every slice along `axis`, by the textbook formula
    /// `exp(xₖ − m) / Σ exp(xᵢ − m)`.
    static func softmax(_ x: Tensor, axis: Int, log: Bool = false) -> Tensor {
        let a = axis < 0 ? axis + x.rank : axis
        let (outer, n, inner) = split(x.shape, a)
        let v = x.scalars
        var out = [Float](repeating: 0, count: v.count)
        for o in 0..<outer {
            for j in 0..<inner {
                let at = (0..<n).map { (o * n + $0) * inner + j }
                let lse = logSumExp(at.map { Double(v[$0]) })
                let m = maximum(at.map { Double(v[$0]) })
                for i in at {
                    if m.isInfinite {
                        out[i] = .nan  // PyTorch: an all-−∞ (or +∞-holding) slice gives NaN
                    } else {
                        let l = Double(v[i]) - lse
                        out[i] = Float(log ? l : Foundation.exp(l))
                    }
                }
            }
        }
        return Tensor(shape: x.shape, scalars: out)
    }
}
