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
    affineMap(x, weight: weight, bias: bias, weightIsInputByOutput: false, operation: "linear")
}

/// The affine map `y = x·W + b` with the weight stored `[in, out]` — Hugging Face's GPT-2
/// `Conv1D` layout (`torch.addmm(b, x, W)`), the transpose of ``linear(_:weight:bias:)``'s.
///
/// Computed as ``linear(_:weight:bias:)``: one `sgemm` accumulated onto the bias written
/// first (no separate bias pass), and only the tracked gradients:
///
/// `dX = dY·Wᵀ`, `dW = Xᵀ·dY`, `db = Σ_rows dY`.
///
/// - Parameters:
///   - x: `[…, in]`.
///   - weight: `[in, out]`.
///   - bias: `[out]`, or `nil` (default).
/// - Returns: `[…, out]`.
public func affine(_ x: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    affineMap(x, weight: weight, bias: bias, weightIsInputByOutput: true, operation: "affine")
}

/// `x·op(W) + b` for a weight stored `[out, in]` (`op(W) = Wᵀ`) or `[in, out]`.
private func affineMap(
    _ x: Variable, weight: Variable, bias: Variable?, weightIsInputByOutput: Bool, operation: String
) -> Variable {
    let w = weight.value
    let inAxis = weightIsInputByOutput ? 0 : 1
    check(w.rank == 2 && x.rank >= 1 && x.shape[x.rank - 1] == w.shape[inAxis],
          "\(operation): input of shape \(describeShape(x.shape)) does not fit weight \(describeShape(w.shape)) (\(weightIsInputByOutput ? "[in, out]" : "[out, in]") with in = the input's last axis)")
    let (outputs, inputs) = (w.shape[1 - inAxis], w.shape[inAxis])
    if let bias {
        check(bias.shape == [outputs],
              "\(operation): bias of shape \(describeShape(bias.shape)) for weight \(describeShape(w.shape)); expected [\(outputs)]")
    }
    let leading = Array(x.shape.dropLast())
    let rows = leading.reduce(1, *)
    let x2 = x.value.reshaped([rows, inputs])
    let transposeW = !weightIsInputByOutput
    var y: Tensor
    if let b = bias?.value {
        y = Tensor(uninitializedShape: [rows, outputs])
        y.withUnsafeMutableBufferPointer { out in
            b.withUnsafeBufferPointer { source in
                guard let s = source.baseAddress, let o = out.baseAddress else { return }
                parallelChunks(total: rows, grain: Swift.max(1, elementwiseGrain / Swift.max(1, outputs))) { _, range in
                    for r in range { (o + r * outputs).update(from: s, count: outputs) }
                }
            }
        }
        Tensor.matmul(x2, w, transposeB: transposeW, into: &y, accumulate: true)
    } else {
        y = Tensor.matmul(x2, w, transposeB: transposeW)
    }
    let value = y.reshaped(leading + [outputs])
    let (needX, needW, needB) = (x.isTracked, weight.isTracked, bias?.isTracked ?? false)
    let xShape = x.shape, hasBias = bias != nil
    return Variable.record(value, inputs: [x, weight] + (bias.map { [$0] } ?? [])) { g in
        let g2 = g.reshaped([rows, outputs])
        var grads: [Tensor?] = [
            needX ? Tensor.matmul(g2, w, transposeB: !transposeW).reshaped(xShape) : nil,
            needW ? (transposeW ? Tensor.matmul(g2, x2, transposeA: true) : Tensor.matmul(x2, g2, transposeA: true)) : nil,
        ]
        if hasBias { grads.append(needB ? Tensor.columnSums(g2) : nil) }
        return grads
    }
}
