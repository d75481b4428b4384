import Tensor

/// SwiGLU, the gated unit of the Llama MLP (Shazeer 2020, "GLU Variants Improve
/// Transformer"): `y = silu(gate) ⊙ up = gate·σ(gate)·up`, fused.
///
/// Backward, in one pass: `dgate = dy·up·σ(g)·(1 + g·(1 − σ(g)))`, `dup = dy·silu(g)`.
///
/// - Parameters:
///   - gate: any shape (the output of `gate_proj`).
///   - up: the shape of `gate` (the output of `up_proj`).
/// - Returns: the shape of `gate`.
public func swiglu(gate: Variable, up: Variable) -> Variable {
    let (g, u) = (gate.value, up.value)
    return Variable.record(Tensor.swiglu(gate: g, up: u), inputs: [gate, up]) { dy in
        let (dg, du) = Tensor.swigluBackward(dy, gate: g, up: u)
        return [dg, du]
    }
}

/// Inverted dropout (Srivastava et al. 2014), as `torch.nn.functional.dropout`: while
/// training, each element is zeroed with probability `p` and the kept ones are scaled by
/// `1/(1 − p)`, so the expected value is unchanged; otherwise `x` passes through.
///
/// `y = x ⊙ m`, `m[i] = 1/(1 − p)` when `uᵢ ≥ p` else 0, with `uᵢ = generator.nextUniform()`
/// drawn once per element in row-major order — the same generator state gives the same mask.
/// The backward pass is `dx = dy ⊙ m`.
///
/// - Parameters:
///   - x: any shape.
///   - p: drop probability in `[0, 1]`; `p = 1` zeroes everything.
///   - generator: the source of the mask; advanced by `x.count` draws when it is used
///     (training and `p > 0`), untouched otherwise.
///   - training: apply dropout (`true`) or return `x` unchanged (`false`, evaluation).
/// - Returns: the shape of `x`.
public func dropout(
    _ x: Variable, probability p: Float, using generator: inout SeededGenerator, training: Bool
) -> Variable {
    check(p >= 0 && p <= 1, "dropout: probability \(p) is outside [0, 1]")
    guard training && p > 0 else { return x }
    let mask = dropoutMask(x.shape, probability: p, using: &generator)
    return Variable.record(x.value * mask, inputs: [x]) { g in [g * mask] }
}

/// The scaled keep-mask of ``dropout(_:probability:using:training:)``: `1/(1 − p)` where the
/// element is kept, 0 where it is dropped.
func dropoutMask(_ shape: [Int], probability p: Float, using generator: inout SeededGenerator) -> Tensor {
    var mask = Tensor(uninitializedShape: shape)
    let keep: Float = p < 1 ? 1 / (1 - p) : 0
    mask.withUnsafeMutableBufferPointer { m in
        for i in 0..<m.count { m[i] = generator.nextUniform() >= p ? keep : 0 }
    }
    return mask
}
