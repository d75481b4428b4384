import Tensor

// Broadcasting arithmetic between variables and with Float scalars, elementwise maximum and
// minimum, and powers. Values are the Tensor operators' (bitwise); gradients of broadcast
// operands are summed back to their shapes by `reduceGradient(_:toShape:)`.
//
// Every op returns early with a constant when no input is tracked, so inference builds no
// closure and keeps nothing. A backward pass computes only the gradients of inputs that were
// tracked when the op ran, and captures only the tensors those gradients need.

// MARK: - Broadcast gradient reduction

/// Sums a gradient of a broadcast result back to the shape of the operand that was broadcast:
/// over the leading dimensions the operand lacked and over the dimensions where it had extent 1.
///
/// `[2, 3, 4]` reduced to `[3, 1]` sums axes 0 and 2 and gives `[3, 1]`; to `[]` it sums
/// everything. A gradient that already has `shape` is returned as is (no copy).
///
/// - Parameters:
///   - g: the gradient of the broadcast result; `shape` must broadcast to `g.shape`.
///   - shape: the operand's shape.
func reduceGradient(_ g: Tensor, toShape shape: [Int]) -> Tensor {
    if g.shape == shape { return g }
    let lead = g.rank - shape.count
    check(lead >= 0, "reduceGradient: gradient of shape \(describeShape(g.shape)) cannot come from broadcasting \(describeShape(shape))")
    var axes = Array(0..<lead)
    for (i, extent) in shape.enumerated() where extent != g.shape[lead + i] {
        check(extent == 1,
              "reduceGradient: gradient of shape \(describeShape(g.shape)) cannot come from broadcasting \(describeShape(shape))")
        axes.append(lead + i)
    }
    if axes.isEmpty { return g.reshaped(shape) }
    return g.sum(alongAxes: axes, keepingDimensions: true).reshaped(shape)
}

extension Variable {
    // MARK: - Variable ⊕ Variable

    /// `a + b` with broadcasting. Gradients: `∂/∂a = g`, `∂/∂b = g`, each summed over the
    /// dimensions along which that operand was broadcast.
    public static func + (a: Variable, b: Variable) -> Variable {
        let value = a.value + b.value
        guard anyTracked(a, b) else { return Variable(value) }
        let (shapeA, shapeB, needA, needB) = (a.shape, b.shape, a.isTracked, b.isTracked)
        return record(value, inputs: [a, b]) { g in
            [needA ? reduceGradient(g, toShape: shapeA) : nil,
             needB ? reduceGradient(g, toShape: shapeB) : nil]
        }
    }

    /// `a − b` with broadcasting. Gradients: `∂/∂a = g`, `∂/∂b = −g` (each summed over its
    /// broadcast dimensions).
    public static func - (a: Variable, b: Variable) -> Variable {
        let value = a.value - b.value
        guard anyTracked(a, b) else { return Variable(value) }
        let (shapeA, shapeB, needA, needB) = (a.shape, b.shape, a.isTracked, b.isTracked)
        return record(value, inputs: [a, b]) { g in
            [needA ? reduceGradient(g, toShape: shapeA) : nil,
             needB ? -reduceGradient(g, toShape: shapeB) : nil]
        }
    }

    /// `a ⊙ b` (elementwise) with broadcasting. Gradients: `∂/∂a = g ⊙ b`, `∂/∂b = g ⊙ a`
    /// (each summed over its broadcast dimensions).
    public static func * (a: Variable, b: Variable) -> Variable {
        let value = a.value * b.value
        guard anyTracked(a, b) else { return Variable(value) }
        let (shapeA, shapeB) = (a.shape, b.shape)
        // Each gradient needs the other operand's value only.
        let savedB = a.isTracked ? b.value : nil, savedA = b.isTracked ? a.value : nil
        return record(value, inputs: [a, b]) { g in
            [savedB.map { reduceGradient(g * $0, toShape: shapeA) },
             savedA.map { reduceGradient(g * $0, toShape: shapeB) }]
        }
    }

    /// `a ⊘ b` (elementwise) with broadcasting. With `y = a/b`: `∂/∂a = g/b`,
    /// `∂/∂b = −g·a/b² = −(g/b)·y` (each summed over its broadcast dimensions).
    public static func / (a: Variable, b: Variable) -> Variable {
        let value = a.value / b.value
        guard anyTracked(a, b) else { return Variable(value) }
        let (shapeA, shapeB, needA) = (a.shape, b.shape, a.isTracked)
        let divisor = b.value, quotient: Tensor? = b.isTracked ? value : nil
        return record(value, inputs: [a, b]) { g in
            let t = g / divisor
            return [needA ? reduceGradient(t, toShape: shapeA) : nil,
                    quotient.map { -reduceGradient(t * $0, toShape: shapeB) }]
        }
    }

    /// `a = a + b`: records a new node (no in-place update).
    public static func += (a: inout Variable, b: Variable) { a = a + b }
    /// `a = a − b`.
    public static func -= (a: inout Variable, b: Variable) { a = a - b }
    /// `a = a ⊙ b`.
    public static func *= (a: inout Variable, b: Variable) { a = a * b }
    /// `a = a ⊘ b`.
    public static func /= (a: inout Variable, b: Variable) { a = a / b }

    // MARK: - Variable ⊕ scalar

    /// `x + c` for every element. Gradient: `∂/∂x = g`.
    public static func + (x: Variable, c: Float) -> Variable {
        x.passingGradient(x.value + c)
    }

    /// `c + x` for every element. Gradient: `∂/∂x = g`.
    public static func + (c: Float, x: Variable) -> Variable {
        x.passingGradient(c + x.value)
    }

    /// `x − c` for every element. Gradient: `∂/∂x = g`.
    public static func - (x: Variable, c: Float) -> Variable {
        x.passingGradient(x.value - c)
    }

    /// `c − x` for every element. Gradient: `∂/∂x = −g`.
    public static func - (c: Float, x: Variable) -> Variable {
        let value = c - x.value
        guard x.isTracked else { return Variable(value) }
        return record(value, inputs: [x]) { g in [-g] }
    }

    /// `x·c` for every element. Gradient: `∂/∂x = g·c`.
    public static func * (x: Variable, c: Float) -> Variable {
        let value = x.value * c
        guard x.isTracked else { return Variable(value) }
        return record(value, inputs: [x]) { g in [g * c] }
    }

    /// `c·x` for every element. Gradient: `∂/∂x = c·g`.
    public static func * (c: Float, x: Variable) -> Variable {
        let value = c * x.value
        guard x.isTracked else { return Variable(value) }
        return record(value, inputs: [x]) { g in [c * g] }
    }

    /// `x/c` for every element. Gradient: `∂/∂x = g/c`.
    public static func / (x: Variable, c: Float) -> Variable {
        let value = x.value / c
        guard x.isTracked else { return Variable(value) }
        return record(value, inputs: [x]) { g in [g / c] }
    }

    /// `c/x` for every element. With `y = c/x`: `∂/∂x = −g·c/x² = −g·y/x`.
    public static func / (c: Float, x: Variable) -> Variable {
        let value = c / x.value
        guard x.isTracked else { return Variable(value) }
        let input = x.value
        return record(value, inputs: [x]) { g in [-(g * value / input)] }
    }

    /// `−x`. Gradient: `∂/∂x = −g`.
    public static prefix func - (x: Variable) -> Variable {
        let value = -x.value
        guard x.isTracked else { return Variable(value) }
        return record(value, inputs: [x]) { g in [-g] }
    }

    /// `value`, recorded as an op whose gradient passes through unchanged (`∂/∂x = g`).
    private func passingGradient(_ value: Tensor) -> Variable {
        guard isTracked else { return Variable(value) }
        return Variable.record(value, inputs: [self]) { g in [g] }
    }

    // MARK: - Powers, maximum, minimum

    /// Each element raised to the power `exponent` (`powf`, as `Tensor.pow(_:_:)`).
    /// Gradient: `∂/∂x = g·p·x^(p−1)` (`2g·x` for `p = 2`, zero for `p = 0`).
    public static func pow(_ x: Variable, _ exponent: Float) -> Variable {
        let value = Tensor.pow(x.value, exponent)
        guard x.isTracked else { return Variable(value) }
        let input = x.value
        return record(value, inputs: [x]) { g in
            switch exponent {
            case 0: return [Tensor.zeros(input.shape)]
            case 1: return [g]
            case 2: return [g * input * 2]
            default: return [g * (exponent * Tensor.pow(input, exponent - 1))]
            }
        }
    }

    /// The larger of `a` and `b` elementwise, with broadcasting (as `torch.maximum`).
    ///
    /// Gradient: `g` flows to the larger operand, `∂/∂a = g·[a > b]`, `∂/∂b = g·[b > a]`; at
    /// ties each gets `g/2` (as PyTorch). Each is summed over its broadcast dimensions.
    public static func maximum(_ a: Variable, _ b: Variable) -> Variable {
        extreme(a, b, value: Tensor.maximum(a.value, b.value), larger: true)
    }

    /// The smaller of `a` and `b` elementwise, with broadcasting (as `torch.minimum`).
    ///
    /// Gradient: `∂/∂a = g·[a < b]`, `∂/∂b = g·[b < a]`; at ties each gets `g/2`.
    public static func minimum(_ a: Variable, _ b: Variable) -> Variable {
        extreme(a, b, value: Tensor.minimum(a.value, b.value), larger: false)
    }

    /// The larger of each element and `c`. Gradient: `∂/∂x = g·[x > c]` (`g/2` where `x = c`).
    public static func maximum(_ x: Variable, _ c: Float) -> Variable {
        extreme(x, c, value: Tensor.maximum(x.value, c), larger: true)
    }

    /// The smaller of each element and `c`. Gradient: `∂/∂x = g·[x < c]` (`g/2` where `x = c`).
    public static func minimum(_ x: Variable, _ c: Float) -> Variable {
        extreme(x, c, value: Tensor.minimum(x.value, c), larger: false)
    }

    /// The weight of `a` in `maximum(a, b)` (or `minimum`): 1 where it wins, ½ at ties, 0 else.
    private static func winnerWeight(_ a: Tensor, _ b: Tensor, larger: Bool) -> Tensor {
        let wins = larger ? Tensor.greater(a, b) : Tensor.less(a, b)
        return wins + Tensor.equal(a, b) * 0.5
    }

    private static func extreme(_ a: Variable, _ b: Variable, value: Tensor, larger: Bool) -> Variable {
        guard anyTracked(a, b) else { return Variable(value) }
        let (va, vb, needA, needB) = (a.value, b.value, a.isTracked, b.isTracked)
        return record(value, inputs: [a, b]) { g in
            let toA = g * winnerWeight(va, vb, larger: larger)
            return [needA ? reduceGradient(toA, toShape: va.shape) : nil,
                    needB ? reduceGradient(g - toA, toShape: vb.shape) : nil]
        }
    }

    private static func extreme(_ x: Variable, _ c: Float, value: Tensor, larger: Bool) -> Variable {
        guard x.isTracked else { return Variable(value) }
        let input = x.value
        return record(value, inputs: [x]) { g in
            let wins = larger ? Tensor.greater(input, c) : Tensor.less(input, c)
            return [g * (wins + Tensor.equal(input, c) * 0.5)]
        }
    }
}
