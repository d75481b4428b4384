import Tensor

/// The affine map of a fully connected layer, `y = x·Wᵀ + b`, as
/// `torch.nn.functional.linear(x, weight, bias)`.
///
/// All leading axes of `x` are flattened into one `[M, in]` matrix, so the product is a single
/// `sgemm` (with `W` read transposed by a BLAS flag, never copied); the bias is written first
/// and the product accumulated onto it. The backward pass computes only what is tracked:
///
/// `dX = dY·W`, `dW = dYᵀ·X`, `db = Σ_rows dY`
///
/// (a frozen weight, as under LoRA, costs no `dW` product).
///
/// - Parameters:
///   - x: `[…, in]` (any number of leading axes, including none).
///   - weight: `[out, in]`, PyTorch's layout.
///   - bias: `[out]`, or `nil` (default).
/// - Returns: `[…, out]`.
public func linear(_ x: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    let w = weight.value
    check(w.rank == 2 && x.rank >= 1 && x.shape[x.rank - 1] == w.shape[1],
          "linear: input of shape \(describeShape(x.shape)) does not fit weight \(describeShape(w.shape)) ([out, in] with in = the input's last axis)")
    let (outputs, inputs) = (w.shape[0], w.shape[1])
    if let bias {
        check(bias.shape == [outputs],
              "linear: bias of shape \(describeShape(bias.shape)) for weight \(describeShape(w.shape)); expected [\(outputs)]")
    }
    let leading = Array(x.shape.dropLast())
    let rows = leading.reduce(1, *)
    let x2 = x.value.reshaped([rows, inputs])
    var y: Tensor
    if let b = bias?.value {
        y = Tensor(uninitializedShape: [rows, outputs])
        y.withUnsafeMutableBufferPointer { out in
            b.withUnsafeBufferPointer { source in
                guard let s = source.baseAddress, let o = out.baseAddress else { return }
                for r in 0..<rows { (o + r * outputs).update(from: s, count: outputs) }
            }
        }
        Tensor.matmul(x2, w, transposeB: true, into: &y, accumulate: true)
    } else {
        y = Tensor.matmul(x2, w, transposeB: true)
    }
    let value = y.reshaped(leading + [outputs])
    let (needX, needW, needB) = (x.isTracked, weight.isTracked, bias?.isTracked ?? false)
    let xShape = x.shape, hasBias = bias != nil
    return Variable.record(value, inputs: [x, weight] + (bias.map { [$0] } ?? [])) { g in
        let g2 = g.reshaped([rows, outputs])
        var grads: [Tensor?] = [
            needX ? Tensor.matmul(g2, w).reshaped(xShape) : nil,
            needW ? Tensor.matmul(g2, x2, transposeA: true) : nil,
        ]
        if hasBias { grads.append(needB ? g2.sum(alongAxis: 0) : nil) }
        return grads
    }
}
