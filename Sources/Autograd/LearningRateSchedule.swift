import Foundation
import Tensor

/// The learning rate as a function of the optimizer step, as a value.
///
/// Steps count from 0, like `last_epoch` of the Hugging Face schedulers (the rate of the very
/// first update is `learningRate(atStep: 0)`). The caller applies it before each step:
///
/// ```swift
/// let schedule: some LearningRateSchedule = .cosine(peak: 3e-4, warmupSteps: 100, totalSteps: 2_000)
/// for step in 0..<2_000 {
///     optimizer.learningRate = schedule.learningRate(atStep: step)
///     …
/// }
/// ```
///
/// Each schedule is `peak · factor(step)` with the factor computed in `Double` exactly as the
/// corresponding `transformers.optimization` lambda computes it.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for update number `step` (≥ 0, counted from 0).
    func learningRate(atStep step: Int) -> Float
}

/// The warm-up factor `step / warmupSteps` (Hugging Face's
/// `float(step) / float(max(1, num_warmup_steps))`), `nil` after it.
private func warmupFactor(_ step: Int, _ warmupSteps: Int, _ schedule: String) -> Double? {
    check(step >= 0, "\(schedule).learningRate(atStep:): step \(step) is negative; steps count from 0")
    return step < warmupSteps ? Double(step) / Double(max(1, warmupSteps)) : nil
}

/// A constant learning rate, optionally reached by a linear warm-up from 0
/// (`get_constant_schedule` / `get_constant_schedule_with_warmup`):
///
/// ```
/// lr(s) = peak · s / warmupSteps   for s < warmupSteps
/// lr(s) = peak                     afterwards
/// ```
public struct ConstantSchedule: LearningRateSchedule {
    /// The learning rate after the warm-up.
    public var peak: Float
    /// Length of the linear warm-up (default 0: none).
    public var warmupSteps: Int

    public init(peak: Float, warmupSteps: Int = 0) {
        check(warmupSteps >= 0, "ConstantSchedule: warmupSteps \(warmupSteps) is negative")
        self.peak = peak
        self.warmupSteps = warmupSteps
    }

    public func learningRate(atStep step: Int) -> Float {
        Float(Double(peak) * (warmupFactor(step, warmupSteps, "ConstantSchedule") ?? 1))
    }
}

/// Linear warm-up from 0 to `peak`, then linear decay to 0 at `totalSteps`
/// (`get_linear_schedule_with_warmup`):
///
/// ```
/// lr(s) = peak · s / warmupSteps                                        for s < warmupSteps
/// lr(s) = peak · max(0, (totalSteps − s) / (totalSteps − warmupSteps))  afterwards
/// ```
///
/// Denominators are at least 1, as in Hugging Face's code; past `totalSteps` the rate is 0.
public struct LinearSchedule: LearningRateSchedule {
    public var peak: Float
    public var warmupSteps: Int
    /// The step at which the rate reaches 0.
    public var totalSteps: Int

    public init(peak: Float, warmupSteps: Int = 0, totalSteps: Int) {
        check(warmupSteps >= 0 && totalSteps >= 0,
              "LinearSchedule: warmupSteps \(warmupSteps) and totalSteps \(totalSteps) must not be negative")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func learningRate(atStep step: Int) -> Float {
        if let f = warmupFactor(step, warmupSteps, "LinearSchedule") { return Float(Double(peak) * f) }
        let f = max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        return Float(Double(peak) * f)
    }
}

/// Linear warm-up from 0 to `peak`, then a cosine decay (`get_cosine_schedule_with_warmup`,
/// with a floor as in `get_cosine_with_min_lr_schedule_with_warmup`):
///
/// ```
/// lr(s) = peak · s / warmupSteps                          for s < warmupSteps
/// p     = (s − warmupSteps) / (totalSteps − warmupSteps)
/// c     = ½ · (1 + cos(π · cycles · 2 · p))
/// lr(s) = peak · max(0, c · (1 − minimumRatio) + minimumRatio)   afterwards
/// ```
///
/// With the default half cycle the rate falls from `peak` to `peak · minimumRatio` at
/// `totalSteps`. As in Hugging Face's code `p` is not clamped: past `totalSteps` the cosine
/// rises again, so schedule exactly `totalSteps` updates.
///
/// - Parameters:
///   - peak: the rate at the end of the warm-up.
///   - warmupSteps: default 0.
///   - totalSteps: the step at which the (half-cycle) decay ends.
///   - cycles: number of cosine periods over the decay, default 0.5 (one half-wave down).
///   - minimumRatio: the floor as a fraction of `peak` (`min_lr_rate`), default 0.
public struct CosineSchedule: LearningRateSchedule {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var cycles: Double
    public var minimumRatio: Double

    public init(peak: Float, warmupSteps: Int = 0, totalSteps: Int, cycles: Double = 0.5, minimumRatio: Double = 0) {
        check(warmupSteps >= 0 && totalSteps >= 0,
              "CosineSchedule: warmupSteps \(warmupSteps) and totalSteps \(totalSteps) must not be negative")
        check(minimumRatio >= 0 && minimumRatio <= 1, "CosineSchedule: minimumRatio \(minimumRatio) must lie in [0, 1]")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.cycles = cycles
        self.minimumRatio = minimumRatio
    }

    public func learningRate(atStep step: Int) -> Float {
        if let f = warmupFactor(step, warmupSteps, "CosineSchedule") { return Float(Double(peak) * f) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        let cosine = 0.5 * (1.0 + cos(Double.pi * cycles * 2.0 * progress))
        let f = max(0, cosine * (1 - minimumRatio) + minimumRatio)
        return Float(Double(peak) * f)
    }
}

extension LearningRateSchedule where Self == ConstantSchedule {
    /// `peak` at every step, after an optional linear warm-up; see ``ConstantSchedule``.
    public static func constant(_ peak: Float, warmupSteps: Int = 0) -> ConstantSchedule {
        ConstantSchedule(peak: peak, warmupSteps: warmupSteps)
    }
}

extension LearningRateSchedule where Self == LinearSchedule {
    /// Linear warm-up, then linear decay to 0; see ``LinearSchedule``.
    public static func linear(peak: Float, warmupSteps: Int = 0, totalSteps: Int) -> LinearSchedule {
        LinearSchedule(peak: peak, warmupSteps: warmupSteps, totalSteps: totalSteps)
    }
}

extension LearningRateSchedule where Self == CosineSchedule {
    /// Linear warm-up, then cosine decay; see ``CosineSchedule``.
    public static func cosine(
        peak: Float, warmupSteps: Int = 0, totalSteps: Int, cycles: Double = 0.5, minimumRatio: Double = 0
    ) -> CosineSchedule {
        CosineSchedule(peak: peak, warmupSteps: warmupSteps, totalSteps: totalSteps, cycles: cycles, minimumRatio: minimumRatio)
    }
}
