import Tensor

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
/// (coupled, L2) weight decay — exactly `torch.optim.SGD`.
///
/// For each parameter `p` with gradient `g`:
///
/// ```
/// g ← g + λ·p                                   weight decay (when λ ≠ 0)
/// b ← g                          at the first step with momentum μ ≠ 0,
/// b ← μ·b + (1 − τ)·g            afterwards     (momentum_buffer)
/// g ← g + μ·b   (Nesterov)   or   g ← b
/// p ← p − lr·g
/// ```
///
/// Sutskever et al., "On the importance of initialization and momentum in deep learning"
/// (2013), in PyTorch's formulation (the learning rate multiplies the whole update, not the
/// velocity). With `momentum` 0 no state is kept.
///
/// - Parameters:
///   - learningRate: `lr`, default `1e-3` (PyTorch's default).
///   - momentum: `μ`, default 0.
///   - dampening: `τ`, default 0.
///   - weightDecay: `λ`, default 0 (added to the gradient, i.e. L2 regularisation).
///   - nesterov: default `false`; needs `momentum > 0` and `dampening == 0`.
public struct SGD: Optimizer, Equatable {
    public var learningRate: Float
    public var momentum: Float
    public var dampening: Float
    public var weightDecay: Float
    public var nesterov: Bool

    /// `b` for each parameter that has taken a step with momentum, keyed by parameter name.
    public private(set) var momentumBuffers: [String: Tensor] = [:]

    public init(learningRate: Float = 1e-3, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        check(learningRate >= 0, "SGD: learning rate \(learningRate) is negative")
        check(momentum >= 0, "SGD: momentum \(momentum) is negative")
        check(weightDecay >= 0, "SGD: weight decay \(weightDecay) is negative")
        check(!nesterov || (momentum > 0 && dampening == 0),
              "SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum \(momentum), dampening \(dampening))")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public mutating func step(_ parameters: [(name: String, parameter: Parameter)]) {
        let c = SGDCoefficients(
            negativeLearningRate: -learningRate, weightDecay: weightDecay, momentum: momentum,
            gradientWeight: Float(1 - Double(dampening)), nesterov: nesterov)
        for (name, parameter, gradient) in steppable(parameters, optimizer: "SGD") {
            gradient.withUnsafeBufferPointer { g in
                guard momentum != 0 else {
                    parameter.value.withUnsafeMutableBufferPointer { p in
                        sgdUpdate(p.baseAddress!, g.baseAddress!, buffer: nil, firstStep: false, count: p.count, c)
                    }
                    return
                }
                let existing = momentumBuffers.removeValue(forKey: name)
                if let existing { checkStateShape(existing, parameter, name: name, buffer: "momentum_buffer", optimizer: "SGD") }
                var buffer = existing ?? Tensor(uninitializedShape: parameter.value.shape)
                buffer.withUnsafeMutableBufferPointer { b in
                    parameter.value.withUnsafeMutableBufferPointer { p in
                        sgdUpdate(p.baseAddress!, g.baseAddress!, buffer: b.baseAddress!,
                                  firstStep: existing == nil, count: p.count, c)
                    }
                }
                momentumBuffers[name] = buffer
            }
        }
    }

    // MARK: State

    public var state: OptimizerState {
        var tensors: [String: Tensor] = [:]
        for (name, buffer) in momentumBuffers { tensors[name + ".momentum_buffer"] = buffer }
        return OptimizerState(tensors: tensors, metadata: [
            "optimizer": "SGD",
            "lr": metadataText(learningRate),
            "momentum": metadataText(momentum),
            "dampening": metadataText(dampening),
            "weight_decay": metadataText(weightDecay),
            "nesterov": String(nesterov),
        ])
    }

    public mutating func restore(
        _ state: OptimizerState, for parameters: [(name: String, parameter: Parameter)], source: String
    ) throws(OptimizerStateError) {
        let reader = try OptimizerStateReader(state, optimizer: "SGD", parameters: parameters, source: source)
        let lr = try reader.float("lr"), mu = try reader.float("momentum"), tau = try reader.float("dampening")
        let wd = try reader.float("weight_decay"), nesterov = try reader.bool("nesterov")
        if nesterov && !(mu > 0 && tau == 0) {
            throw .invalidMetadata(source: source, key: "nesterov", value: "true",
                                   expected: "false unless momentum > 0 and dampening is 0")
        }
        var restored: [String: Tensor] = [:]
        for name in try reader.parameterNames(buffers: ["momentum_buffer"]) {
            restored[name] = try reader.tensor(name, "momentum_buffer")
        }
        learningRate = lr
        momentum = mu
        dampening = tau
        weightDecay = wd
        self.nesterov = nesterov
        momentumBuffers = restored
    }
}

/// The scalars of one SGD step (see ``SGD``).
struct SGDCoefficients {
    /// `−lr`.
    var negativeLearningRate: Float
    var weightDecay: Float
    var momentum: Float
    /// `1 − dampening`.
    var gradientWeight: Float
    var nesterov: Bool
}

/// One SGD update of `count` elements in place, in PyTorch's operation order; `buffer` is the
/// momentum buffer (written from scratch when `firstStep`), `nil` without momentum.
func sgdUpdate(
    _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, buffer: UnsafeMutablePointer<Float>?,
    firstStep: Bool, count: Int, _ c: SGDCoefficients
) {
    parallelChunks(total: count, grain: elementwiseGrain) { _, range in
        for i in range {
            var d = g[i]
            if c.weightDecay != 0 { d = d + c.weightDecay * p[i] }                 // grad.add(param, alpha=λ)
            if let b = buffer {
                b[i] = firstStep ? d : b[i] * c.momentum + c.gradientWeight * d     // buf.mul_(μ).add_(g, alpha=1−τ)
                d = c.nesterov ? d + c.momentum * b[i] : b[i]                       // grad.add(buf, alpha=μ)
            }
            p[i] = p[i] + c.negativeLearningRate * d                              // param.add_(grad, alpha=−lr)
        }
    }
}
