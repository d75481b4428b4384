import Foundation

/// Plain, obviously-right elementwise operations: one output element at a time, broadcasting
/// spelled out index by index, math in `Double` with libm. Tests hold the fast kernels of
/// `Tensor+Elementwise.swift`, `Tensor+Unary.swift`, `Tensor+Comparison.swift` and
/// `FastMath.swift` against these.
enum ElementwiseReference {
    /// Flat offset into an operand of `shape` for the result index `index` (numpy broadcasting:
    /// shapes aligned on the right, size-1 dimensions repeat).
    static func broadcastOffset(_ index: [Int], into shape: [Int]) -> Int {
        let lead = index.count - shape.count
        var flat = 0
        for d in 0..<shape.count {
            let i = shape[d] == 1 ? 0 : index[lead + d]
            flat = flat * shape[d] + i
        }
        return flat
    }

    /// The row-major index of flat offset `flat` in `shape`.
    static func index(_ flat: Int, in shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }

    /// The broadcast shape, computed independently of `Tensor.broadcastShape`.
    static func broadcastShape(_ shapes: [[Int]]) -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        return (0..<rank).map { d in
            let sizes = shapes.map { s in d < rank - s.count ? 1 : s[d - (rank - s.count)] }
            let size = sizes.first { $0 != 1 } ?? 1
            precondition(sizes.allSatisfy { $0 == 1 || $0 == size }, "reference: shapes \(shapes) do not broadcast")
            return size
        }
    }

    /// `op` applied to every broadcast tuple of elements of `operands`, in `Double`.
    static func map(_ operands: [Tensor], _ op: ([Double]) -> Double) -> Tensor {
        let shape = broadcastShape(operands.map(\.shape))
        let n = shape.reduce(1, *)
        let values = operands.map(\.scalars)
        var out = [Float](repeating: 0, count: n)
        for flat in 0..<n {
            let i = index(flat, in: shape)
            let args = operands.indices.map { Double(values[$0][broadcastOffset(i, into: operands[$0].shape)]) }
            out[flat] = Float(op(args))
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// `op(a, b)` elementwise with broadcasting.
    static func binary(_ a: Tensor, _ b: Tensor, _ op: (Double, Double) -> Double) -> Tensor {
        map([a, b]) { op($0[0], $0[1]) }
    }

    /// `f(x)` elementwise.
    static func unary(_ x: Tensor, _ f: (Double) -> Double) -> Tensor {
        Tensor(shape: x.shape, scalars: x.scalars.map { Float(f(Double($0))) })
    }

    /// `condition != 0 ? a : b` with all three broadcast.
    static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        map([condition, a, b]) { $0[0] != 0 ? $0[1] : $0[2] }
    }

    /// `x` with `value` where the broadcast `mask` is nonzero.
    static func maskedFill(_ x: Tensor, _ mask: Tensor, _ value: Float) -> Tensor {
        map([x, mask]) { $0[1] != 0 ? Double(value) : $0[0] }
    }

    // MARK: Scalar functions in Double

    /// NaN when either is NaN, else the larger.
    static func maximum(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
    /// NaN when either is NaN, else the smaller.
    static func minimum(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.min(a, b) }

    static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    /// `1/(1 + e^{−x})`.
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
    /// `x/(1 + e^{−x})`; the limit 0 at −inf.
    static func silu(_ x: Double) -> Double { x == -.infinity ? -0.0 : x / (1 + Foundation.exp(-x)) }

    /// `½x(1 + erf(x/√2))`, written `½x·erfc(−x/√2)` so that negative x keeps its relative
    /// accuracy (1 + erf cancels); the limit 0 at −inf.
    static func geluErf(_ x: Double) -> Double {
        x == -.infinity ? -0.0 : 0.5 * x * erfc(-x / 2.0.squareRoot())
    }

    /// `½x(1 + tanh(u))`, `u = √(2/π)(x + 0.044715x³)`, written as the identical
    /// `x/(1 + e^{−2u})` (since ½(1 + tanh u) = σ(2u)) so that negative x keeps its relative
    /// accuracy; the limit 0 at −inf.
    static func geluTanh(_ x: Double) -> Double {
        if x == -.infinity { return -0.0 }
        let u = (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)
        return x / (1 + Foundation.exp(-2 * u))
    }

    /// The literal `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`, to confirm the identity above.
    static func geluTanhLiteral(_ x: Double) -> Double {
        0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
}
