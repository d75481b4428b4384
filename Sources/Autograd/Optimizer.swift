import Tensor

/// Updates parameters from their accumulated gradients: one step of a first-order method.
///
/// An optimizer is a small value: its hyper-parameters and its per-parameter state (moments,
/// momentum buffers, step counts), keyed by the parameter's dotted name. It holds no reference
/// to the parameters themselves; each ``step(_:)`` receives them, so the same names must be
/// passed every step (``Module/namedParameters()`` gives a stable list).
///
/// The training loop belongs to the caller, as with `torch.optim`:
///
/// ```swift
/// var optimizer = AdamW(learningRate: 3e-4)
/// for (step, batch) in batches.enumerated() {
///     optimizer.learningRate = schedule.learningRate(atStep: step)
///     let loss = valueAndGradient { model.loss(batch) }
///     clipGradientNorm(model.namedParameters(), maxNorm: 1)
///     optimizer.step(model)
///     model.zeroGradients()            // step does not clear gradients (as in PyTorch)
/// }
/// ```
///
/// ``step(_:)`` updates each parameter whose ``Parameter/requiresGradient`` is true and whose
/// ``Parameter/gradient`` is not `nil`, and skips the others (their state is left as it was).
/// It does **not** clear gradients, exactly as `torch.optim.Optimizer.step()` does not: call
/// ``Module/zeroGradients()`` (`optimizer.zero_grad()`) yourself, which also lets gradients
/// accumulate over several micro-batches before a step.
///
/// Conforming types: ``SGD``, ``AdamW``. Save and restore the state with
/// ``Optimizer/saveState(to:)`` and ``Optimizer/loadState(from:for:)``.
public protocol Optimizer {
    /// The step size used by the next ``step(_:)``; a ``LearningRateSchedule`` sets it before
    /// each step. Stored with the state.
    var learningRate: Float { get set }

    /// Updates every trainable parameter that has a gradient, in place.
    ///
    /// - Parameter parameters: dotted names and parameters; names must be unique and stay the
    ///   same from step to step (the state is keyed by them). A parameter's state must have
    ///   its shape (stops with a message naming both shapes otherwise).
    mutating func step(_ parameters: [(name: String, parameter: Parameter)])

    /// The optimizer's full state as tensors and string metadata, as written by
    /// ``Optimizer/saveState(to:)``: tensors under `<parameter>.<buffer>` keys, step counts
    /// and hyper-parameters (and `optimizer`, the type's name) in ``OptimizerState/metadata``.
    var state: OptimizerState { get }

    /// Replaces the hyper-parameters and per-parameter state with `state`.
    ///
    /// - Parameters:
    ///   - state: as produced by ``state``, possibly read back from a file.
    ///   - parameters: the parameters the state belongs to; every state tensor must name one
    ///     of them and have its shape.
    ///   - source: where `state` came from, for error messages (a file path).
    /// - Throws: ``OptimizerStateError`` naming `source` and the offending key.
    mutating func restore(
        _ state: OptimizerState, for parameters: [(name: String, parameter: Parameter)], source: String
    ) throws(OptimizerStateError)
}

extension Optimizer {
    /// Updates every trainable parameter of `module` that has a gradient
    /// (``Module/namedParameters()``: dotted names, tied weights once).
    public mutating func step(_ module: some Module) {
        step(module.namedParameters())
    }
}

/// The parameters a step updates, with their gradients: trainable, with a gradient, and
/// checked for unique names and objects (a tied weight listed twice would be stepped twice).
func steppable(
    _ parameters: [(name: String, parameter: Parameter)], optimizer: String
) -> [(name: String, parameter: Parameter, gradient: Tensor)] {
    var names = Set<String>()
    var objects = Set<ObjectIdentifier>()
    var result: [(name: String, parameter: Parameter, gradient: Tensor)] = []
    result.reserveCapacity(parameters.count)
    for (name, parameter) in parameters {
        check(names.insert(name).inserted, "\(optimizer).step: parameter name '\(name)' appears twice")
        check(objects.insert(ObjectIdentifier(parameter)).inserted,
              "\(optimizer).step: parameter '\(name)' is the same object as an earlier one (a tied weight listed twice)")
        guard parameter.requiresGradient, let gradient = parameter.gradient else { continue }
        check(gradient.shape == parameter.value.shape,
              "\(optimizer).step: gradient of '\(name)' has shape \(describeShape(gradient.shape)), the parameter \(describeShape(parameter.value.shape))")
        result.append((name, parameter, gradient))
    }
    return result
}

/// Stops with a message unless the state buffer kept for `name` has the parameter's shape.
func checkStateShape(_ buffer: Tensor, _ parameter: Parameter, name: String, buffer key: String, optimizer: String) {
    check(buffer.shape == parameter.value.shape,
          "\(optimizer).step: state '\(name).\(key)' has shape \(describeShape(buffer.shape)) but parameter '\(name)' has shape \(describeShape(parameter.value.shape))")
}
