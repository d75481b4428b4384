import Tensor

/// A trainable tensor: its value, the gradient accumulated by backward passes, and whether it
/// is trainable at all.
///
/// A parameter is a reference: a module and an optimizer hold the same object, and a weight
/// shared by two modules (tied embeddings) is one `Parameter`. Gradients *accumulate* across
/// ``valueAndGradient(_:)`` calls, as in PyTorch, until ``zeroGradient()``.
public final class Parameter: @unchecked Sendable {
    /// The current value.
    public var value: Tensor
    /// The sum of the gradients of every backward pass since the last ``zeroGradient()``;
    /// `nil` when none reached this parameter.
    public var gradient: Tensor?
    /// `false` freezes the parameter: it records no leaf on the tape and receives no gradient.
    public var requiresGradient: Bool

    public init(_ value: Tensor, requiresGradient: Bool = true) {
        self.value = value
        self.requiresGradient = requiresGradient
    }

    /// The parameter as an input of differentiable operations: a leaf on the current tape
    /// (when there is one and the parameter is trainable), otherwise a constant.
    public var variable: Variable {
        guard requiresGradient, let tape = Tape.current else { return Variable(value) }
        return Variable(value, id: tape.appendLeaf(self, shape: value.shape), tape: tape)
    }

    /// Forgets the accumulated gradient.
    public func zeroGradient() { gradient = nil }

    /// Adds `g` to ``gradient`` (the first contribution is kept as is, without a copy).
    func accumulateGradient(_ g: Tensor) {
        check(g.shape == value.shape,
              "Parameter: gradient of shape \(describeShape(g.shape)) for a value of shape \(describeShape(value.shape))")
        if gradient == nil { gradient = g } else { gradient! += g }
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }
}
