import Foundation
import Tensor

/// Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
/// Regularization", 2019), computed as `torch.optim.AdamW` computes it.
///
/// For each parameter `p` with gradient `g`, at its own step `t = 1, 2, …`:
///
/// ```
/// p ← p · (1 − lr·λ)                        decoupled weight decay
/// m ← β₁·m + (1 − β₁)·g                     first moment  (exp_avg)
/// v ← β₂·v + (1 − β₂)·g²                    second moment (exp_avg_sq)
/// m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
/// p ← p − lr · m̂ / (√v̂ + ε)
/// ```
///
/// The arithmetic follows PyTorch's single-tensor implementation step by step, so trajectories
/// agree with it to rounding: `m ← m + (1 − β₁)·(g − m)` (`lerp`), `v ← v·β₂ + (1 − β₂)·g·g`,
/// `denom = √v / √(1 − β₂ᵗ) + ε`, `p ← p + (−lr/(1 − β₁ᵗ))·m / denom`, with the scalar
/// coefficients computed in `Double`. Both moments start at zero; the step count is kept per
/// parameter (a parameter without a gradient does not advance). AMSGrad and `maximize` are not
/// offered.
///
/// The update is one fused pass over raw pointers (8 lanes at a time, split across
/// ``Threads/count`` threads for large tensors), reading `p, g, m, v` and writing `p, m, v` once.
///
/// - Parameters:
///   - learningRate: `lr`, default `1e-3`.
///   - betas: `(β₁, β₂)`, default `(0.9, 0.999)`, each in `[0, 1)`.
///   - epsilon: `ε`, default `1e-8`.
///   - weightDecay: `λ`, default `1e-2` (decoupled: not added to the gradient).
public struct AdamW: Optimizer, Equatable {
    public var learningRate: Float
    public var betas: (Float, Float)
    public var epsilon: Float
    public var weightDecay: Float

    /// The running moments of one parameter and how many steps it has taken.
    public struct Moments: Equatable, Sendable {
        /// `m`, PyTorch's `exp_avg`; the parameter's shape.
        public var firstMoment: Tensor
        /// `v`, PyTorch's `exp_avg_sq`; the parameter's shape.
        public var secondMoment: Tensor
        /// Steps taken (`t` of the last update).
        public var step: Int
    }

    /// Per-parameter state, keyed by parameter name; created at a parameter's first step.
    public private(set) var moments: [String: Moments] = [:]

    public init(learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                epsilon: Float = 1e-8, weightDecay: Float = 1e-2) {
        check(learningRate >= 0, "AdamW: learning rate \(learningRate) is negative")
        check(betas.0 >= 0 && betas.0 < 1 && betas.1 >= 0 && betas.1 < 1,
              "AdamW: betas (\(betas.0), \(betas.1)) must lie in [0, 1)")
        check(epsilon >= 0, "AdamW: epsilon \(epsilon) is negative")
        check(weightDecay >= 0, "AdamW: weight decay \(weightDecay) is negative")
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: [(name: String, parameter: Parameter)]) {
        for (name, parameter, gradient) in steppable(parameters, optimizer: "AdamW") {
            var slot = moments.removeValue(forKey: name)
                ?? Moments(firstMoment: .zeros(parameter.value.shape), secondMoment: .zeros(parameter.value.shape), step: 0)
            checkStateShape(slot.firstMoment, parameter, name: name, buffer: "exp_avg", optimizer: "AdamW")
            checkStateShape(slot.secondMoment, parameter, name: name, buffer: "exp_avg_sq", optimizer: "AdamW")
            slot.step += 1
            let c = coefficients(step: slot.step)
            slot.firstMoment.withUnsafeMutableBufferPointer { m in
                slot.secondMoment.withUnsafeMutableBufferPointer { v in
                    gradient.withUnsafeBufferPointer { g in
                        parameter.value.withUnsafeMutableBufferPointer { p in
                            adamWUpdate(p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, count: p.count, c)
                        }
                    }
                }
            }
            moments[name] = slot
        }
    }

    /// Equal hyper-parameters and equal state (every moment bit for bit, every step count).
    public static func == (a: AdamW, b: AdamW) -> Bool {
        a.learningRate == b.learningRate && a.betas == b.betas && a.epsilon == b.epsilon
            && a.weightDecay == b.weightDecay && a.moments == b.moments
    }

    /// The scalar factors of step `t`, computed in `Double` as PyTorch computes them in Python.
    func coefficients(step t: Int) -> AdamWCoefficients {
        let lr = Double(learningRate), beta1 = Double(betas.0), beta2 = Double(betas.1)
        let biasCorrection1 = 1 - pow(beta1, Double(t))
        let biasCorrection2 = 1 - pow(beta2, Double(t))
        return AdamWCoefficients(
            decay: Float(1 - lr * Double(weightDecay)),
            firstWeight: Float(1 - beta1),
            beta2: betas.1,
            secondWeight: Float(1 - beta2),
            biasCorrection2Root: Float(biasCorrection2.squareRoot()),
            epsilon: epsilon,
            negativeStepSize: Float(-(lr / biasCorrection1)))
    }

    // MARK: State

    public var state: OptimizerState {
        var tensors: [String: Tensor] = [:]
        var metadata = [
            "optimizer": "AdamW",
            "lr": metadataText(learningRate),
            "beta1": metadataText(betas.0),
            "beta2": metadataText(betas.1),
            "eps": metadataText(epsilon),
            "weight_decay": metadataText(weightDecay),
        ]
        for (name, slot) in moments {
            tensors[name + ".exp_avg"] = slot.firstMoment
            tensors[name + ".exp_avg_sq"] = slot.secondMoment
            metadata[name + ".step"] = String(slot.step)
        }
        return OptimizerState(tensors: tensors, metadata: metadata)
    }

    public mutating func restore(
        _ state: OptimizerState, for parameters: [(name: String, parameter: Parameter)], source: String
    ) throws(OptimizerStateError) {
        let reader = try OptimizerStateReader(state, optimizer: "AdamW", parameters: parameters, source: source)
        let lr = try reader.float("lr"), beta1 = try reader.float("beta1"), beta2 = try reader.float("beta2")
        let eps = try reader.float("eps"), wd = try reader.float("weight_decay")
        for (key, value) in [("beta1", beta1), ("beta2", beta2)] where !(value >= 0 && value < 1) {
            throw .invalidMetadata(source: source, key: key, value: state.metadata[key]!, expected: "a number in [0, 1)")
        }
        var restored: [String: Moments] = [:]
        for name in try reader.parameterNames(buffers: ["exp_avg", "exp_avg_sq"]) {
            restored[name] = Moments(firstMoment: try reader.tensor(name, "exp_avg"),
                                     secondMoment: try reader.tensor(name, "exp_avg_sq"),
                                     step: try reader.count(name + ".step"))
        }
        learningRate = lr
        betas = (beta1, beta2)
        epsilon = eps
        weightDecay = wd
        moments = restored
    }
}

/// The per-step scalars of one AdamW update (see ``AdamW``).
struct AdamWCoefficients {
    /// `1 − lr·λ`.
    var decay: Float
    /// `1 − β₁`, the `lerp` weight of the first moment.
    var firstWeight: Float
    var beta2: Float
    /// `1 − β₂`.
    var secondWeight: Float
    /// `√(1 − β₂ᵗ)`.
    var biasCorrection2Root: Float
    var epsilon: Float
    /// `−lr / (1 − β₁ᵗ)`.
    var negativeStepSize: Float
}

/// One AdamW update of `count` elements in place: `p`, `m`, `v` are read and written, `g` read.
///
/// Eight lanes at a time with a scalar tail in the same operation order (so every element gets
/// the same bits as ``referenceAdamWUpdate(_:_:_:_:count:_:)``), in chunks of
/// `elementwiseGrain` spread over the threads.
func adamWUpdate(
    _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
    _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
    count: Int, _ c: AdamWCoefficients
) {
    // PyTorch's lerp switches formula at weight 0.5 (exact at weight 1, i.e. β₁ = 0).
    let smallWeight = abs(c.firstWeight) < 0.5
    parallelChunks(total: count, grain: elementwiseGrain) { _, range in
        let decay = SIMD8<Float>(repeating: c.decay), w1 = SIMD8<Float>(repeating: c.firstWeight)
        let keep1 = SIMD8<Float>(repeating: 1 - c.firstWeight)
        let beta2 = SIMD8<Float>(repeating: c.beta2), w2 = SIMD8<Float>(repeating: c.secondWeight)
        let root2 = SIMD8<Float>(repeating: c.biasCorrection2Root), eps = SIMD8<Float>(repeating: c.epsilon)
        let stepSize = SIMD8<Float>(repeating: c.negativeStepSize)
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let pv = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            var mv = UnsafeRawPointer(m + i).loadUnaligned(as: SIMD8<Float>.self)
            var vv = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self)
            let decayed = pv * decay
            mv = smallWeight ? mv + w1 * (gv - mv) : gv - (gv - mv) * keep1
            vv = vv * beta2 + w2 * gv * gv
            let denominator = vv.squareRoot() / root2 + eps
            let updated = decayed + stepSize * mv / denominator
            UnsafeMutableRawPointer(p + i).storeBytes(of: updated, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(m + i).storeBytes(of: mv, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vv, as: SIMD8<Float>.self)
            i += 8
        }
        if i < range.upperBound {
            referenceAdamWUpdate(p + i, g + i, m + i, v + i, count: range.upperBound - i, c)
        }
    }
}

/// The obviously-right AdamW update, one element at a time, in PyTorch's operation order.
func referenceAdamWUpdate(
    _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
    _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
    count: Int, _ c: AdamWCoefficients
) {
    for i in 0..<count {
        let decayed = p[i] * c.decay                                      // param.mul_(1 − lr·wd)
        m[i] = abs(c.firstWeight) < 0.5                                   // exp_avg.lerp_(grad, 1 − β₁)
            ? m[i] + c.firstWeight * (g[i] - m[i])
            : g[i] - (g[i] - m[i]) * (1 - c.firstWeight)
        v[i] = v[i] * c.beta2 + c.secondWeight * g[i] * g[i]              // exp_avg_sq.mul_(β₂).addcmul_(g, g, 1 − β₂)
        let denominator = v[i].squareRoot() / c.biasCorrection2Root + c.epsilon
        p[i] = decayed + c.negativeStepSize * m[i] / denominator          // param.addcdiv_(m, denom, −step_size)
    }
}
