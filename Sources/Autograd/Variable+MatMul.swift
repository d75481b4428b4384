import Tensor

// Matrix products with numpy `matmul` batching, differentiated with BLAS transpose flags: no
// gradient ever materialises a transposed operand.
//
// For `C = op(A)·op(B)` with output gradient `G`:
//
//     op(A) = A:   dA = G·op(B)ᵀ          op(B) = B:   dB = op(A)ᵀ·G
//     op(A) = Aᵀ:  dA = op(B)·Gᵀ          op(B) = Bᵀ:  dB = Gᵀ·op(A)
//
// each one `Tensor.matmul` call whose transpose flags absorb every `ᵀ`. A 1-D operand is
// promoted as in the forward pass (`[k]` → `[1, k]` for `a`, `[k, 1]` for `b`) and its
// gradient reshaped back. Batch dimensions an operand was broadcast along are summed over by
// `reduceGradient(_:toShape:)`; in the common case of a batched `a` times one matrix `b`
// (activations times a weight), `dB` instead folds the batch into the rows of a single
// product, `[batch·m, k]ᵀ × [batch·m, n]`, and the per-batch products are never stored.

extension Variable {
    /// The matrix product `op(a) · op(b)` with numpy `matmul` shape rules, where `op(x)` is `x`
    /// or, when the matching flag is set, `x` with its last two axes swapped (as
    /// `Tensor.matmul(_:_:transposeA:transposeB:)`, whose value it returns).
    ///
    /// Gradients, with `G` the output gradient: `dA = G·op(B)ᵀ` (or `op(B)·Gᵀ` when
    /// `transposeA`), `dB = op(A)ᵀ·G` (or `Gᵀ·op(A)` when `transposeB`), summed over the batch
    /// dimensions along which that operand was broadcast.
    ///
    /// ```swift
    /// let scores = Variable.matmul(q, k, transposeB: true)   // [B, H, T, d] × [B, H, T, d]ᵀ
    /// ```
    /// - Parameters:
    ///   - a: shape `[…, m, k]` (`[…, k, m]` when `transposeA`), or `[k]`.
    ///   - b: shape `[…, k, n]` (`[…, n, k]` when `transposeB`), or `[k]`.
    ///   - transposeA: use `a`'s last two axes swapped (default `false`).
    ///   - transposeB: use `b`'s last two axes swapped (default `false`).
    /// - Returns: shape `[…, m, n]`, the batch dimensions broadcast; a 1-D operand's axis is dropped.
    public static func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        let y = Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
        guard anyTracked(a, b) else { return Variable(y) }
        let (aShape, bShape) = (a.shape, b.shape)
        // dA needs only b's value and dB only a's.
        let savedB = a.isTracked ? b.value : nil, savedA = b.isTracked ? a.value : nil
        return record(y, inputs: [a, b]) { g in
            let a2Shape = aShape.count == 1 ? [1, aShape[0]] : aShape
            let b2Shape = bShape.count == 1 ? [bShape[0], 1] : bShape
            // The output gradient with the dropped vector axes restored: batch + [m, n].
            var g2Shape = g.shape
            if bShape.count == 1 { g2Shape.append(1) }
            if aShape.count == 1 { g2Shape.insert(1, at: g2Shape.count - 1) }
            let g2 = g.reshaped(g2Shape)

            let dA = savedB.map { bValue -> Tensor in
                let b2 = bValue.reshaped(b2Shape)
                let full = transposeA
                    ? Tensor.matmul(b2, g2, transposeA: transposeB, transposeB: true)
                    : Tensor.matmul(g2, b2, transposeB: !transposeB)
                return reduceGradient(full, toShape: a2Shape).reshaped(aShape)
            }
            let dB = savedA.map { aValue -> Tensor in
                let a2 = aValue.reshaped(a2Shape)
                if a2Shape.count > 2 && b2Shape.count == 2 && !transposeA {
                    // Fold the batch into the rows: Σ_batch A_iᵀ·G_i = [batch·m, k]ᵀ·[batch·m, n].
                    let k = a2Shape[a2Shape.count - 1], n = g2Shape[g2Shape.count - 1]
                    let aRows = a2.reshaped([-1, k]), gRows = g2.reshaped([-1, n])
                    let folded = transposeB
                        ? Tensor.matmul(gRows, aRows, transposeA: true)
                        : Tensor.matmul(aRows, gRows, transposeA: true)
                    return folded.reshaped(bShape)
                }
                let full = transposeB
                    ? Tensor.matmul(g2, a2, transposeA: true, transposeB: transposeA)
                    : Tensor.matmul(a2, g2, transposeA: !transposeA)
                return reduceGradient(full, toShape: b2Shape).reshaped(bShape)
            }
            return [dA, dB]
        }
    }

    /// `self · other`; see ``matmul(_:_:transposeA:transposeB:)``.
    public func matmul(_ other: Variable) -> Variable { Variable.matmul(self, other) }
}
