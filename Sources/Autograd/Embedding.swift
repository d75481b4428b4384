import Tensor

/// Embedding lookup, as `torch.nn.functional.embedding(ids, table)`:
/// `result[b, t, :] = table[ids[b·T + t], :]`.
///
/// The backward pass is a scatter-add of the output gradient's rows into a zero `[V, D]`
/// gradient, `dTable[ids[i]] += dY[i]`, taken in id order so repeated ids accumulate the same
/// way on any thread count (bitwise deterministic).
///
/// - Parameters:
///   - table: `[V, D]` (a `[V, …]` table works the same way).
///   - ids: `Π shape` ids in row-major order, each in `0..<V` (repeats allowed).
///   - shape: the ids' shape, e.g. `[B, T]`.
/// - Returns: `shape + [D]`, e.g. `[B, T, D]`.
public func embedding(_ table: Variable, ids: [Int], shape: [Int]) -> Variable {
    check(table.rank >= 1, "embedding: table must have at least one axis, got \(describeShape(table.shape))")
    let value = Tensor.embedding(table.value, indices: ids, shape: shape)
    let tableShape = table.shape
    return Variable.record(value, inputs: [table]) { g in
        var gradient = Tensor.zeros(tableShape)
        Tensor.scatterAddRows(ids, g, into: &gradient)
        return [gradient]
    }
}

/// `embedding(_:ids:shape:)` for 32-bit token ids.
public func embedding(_ table: Variable, ids: [Int32], shape: [Int]) -> Variable {
    embedding(table, ids: ids.map(Int.init), shape: shape)
}
