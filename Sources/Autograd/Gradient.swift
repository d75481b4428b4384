import Tensor

/// Runs `body` on a fresh ``Tape``, then differentiates its scalar result and **adds** the
/// gradients into the ``Parameter/gradient`` of every parameter the result depends on.
///
/// This is `loss.backward()`: gradients accumulate across calls (gradient accumulation) until
/// ``Parameter/zeroGradient()`` or ``Module/zeroGradients()`` clears them (an optimizer's step
/// does not, as in PyTorch).
///
/// ```swift
/// let loss = valueAndGradient {
///     crossEntropy(logits: model(x), targets: y)
/// }
/// optimizer.step(model)
/// model.zeroGradients()
/// ```
///
/// - Parameter body: computes a one-element result (shape `[]` or `[1]`).
/// - Returns: the value of `body`'s result.
@discardableResult
public func valueAndGradient(_ body: () throws -> Variable) rethrows -> Tensor {
    let tape = Tape()
    let result = try Tape.$current.withValue(tape) { try body() }
    check(result.value.count == 1,
          "valueAndGradient: the closure must return one value (a loss), got shape \(describeShape(result.shape))")
    if let id = result.id, result.tape === tape {
        tape.backward(from: id, seed: Tensor(shape: result.shape, repeating: 1))
    }
    return result.value
}

/// Differentiates `body` with respect to the tensors `inputs`: returns its (one-element) value
/// and one gradient per input, of that input's shape (zeros when the value does not depend on
/// it). Parameters used inside `body` also accumulate their gradients, as in
/// ``valueAndGradient(_:)``.
public func valueAndGradient(
    at inputs: [Tensor], _ body: ([Variable]) throws -> Variable
) rethrows -> (value: Tensor, gradients: [Tensor]) {
    let leaves = inputs.map { Parameter($0) }
    let value = try valueAndGradient { try body(leaves.map(\.variable)) }
    return (value, leaves.map { $0.gradient ?? Tensor.zeros($0.shape) })
}

/// Runs `body` with no tape: operations record nothing and keep nothing for a backward pass
/// (`torch.no_grad()`); for inference and evaluation.
public func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
    try Tape.$current.withValue(nil) { try body() }
}

/// The vector–Jacobian product of `body` at `inputs`: runs `body` on a fresh tape, seeds its
/// output gradient with `seed` (the output's shape) and returns the output and `seedᵀ·J` for
/// each input (zeros where the output does not depend on it).
///
/// This is what a backward pass computes for a non-scalar output; `gradcheck` uses it with a
/// random `seed`.
public func vectorJacobianProduct(
    at inputs: [Tensor], seed: Tensor, _ body: ([Variable]) throws -> Variable
) rethrows -> (value: Tensor, gradients: [Tensor]) {
    let leaves = inputs.map { Parameter($0) }
    let tape = Tape()
    let result = try Tape.$current.withValue(tape) { try body(leaves.map(\.variable)) }
    check(seed.shape == result.shape,
          "vectorJacobianProduct: seed of shape \(describeShape(seed.shape)) for an output of shape \(describeShape(result.shape))")
    if let id = result.id, result.tape === tape {
        tape.backward(from: id, seed: seed)
    }
    return (result.value, leaves.map { $0.gradient ?? Tensor.zeros($0.shape) })
}
