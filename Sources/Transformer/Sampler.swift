import Foundation
import Tensor

/// How the next token is chosen from the logits, as Hugging Face's `generate` options.
///
/// Applied in Hugging Face's order: repetition penalty, then temperature, top-k, top-p and
/// min-p, then a draw. `temperature == 0` is greedy (argmax after the repetition penalty).
public struct SamplingParameters: Sendable, Equatable {
    /// `0` = greedy; otherwise logits are divided by it (default 0).
    public var temperature: Float
    /// Keep only the `k` most likely tokens (`0` = off, default).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `p` (default 1 = off).
    public var topP: Float
    /// Drop tokens whose probability is below `minP × p(most likely)` (default 0 = off).
    public var minP: Float
    /// CTRL's repetition penalty (Keskar et al. 2019): the logit `z` of every token already in the
    /// sequence becomes `z/θ` if `z > 0`, else `z·θ` (default 1 = off).
    public var repetitionPenalty: Float
    /// Seed of the draws.
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingParameters()
}

/// Chooses tokens from logits with ``SamplingParameters``; owns its random generator and
/// scratch space, so choosing allocates nothing once it has run once.
public struct Sampler {
    public let parameters: SamplingParameters
    public private(set) var generator: SeededGenerator
    private var scores: [Float] = []
    private var candidates: [Int32] = []
    private var penalised: [UInt32] = []
    private var stamp: UInt32 = 0

    public init(_ parameters: SamplingParameters) {
        check(parameters.temperature >= 0, "Sampler: temperature \(parameters.temperature) is negative")
        check(parameters.topP > 0 && parameters.topP <= 1, "Sampler: top-p \(parameters.topP) is outside (0, 1]")
        check(parameters.minP >= 0 && parameters.minP <= 1, "Sampler: min-p \(parameters.minP) is outside [0, 1]")
        check(parameters.topK >= 0, "Sampler: top-k \(parameters.topK) is negative")
        check(parameters.repetitionPenalty > 0, "Sampler: repetition penalty \(parameters.repetitionPenalty) must be positive")
        self.parameters = parameters
        generator = SeededGenerator(seed: parameters.seed)
    }

    /// The next token for `logits` (`[V]`), given the tokens so far (for the repetition penalty).
    public mutating func next(logits: Tensor, history: some Collection<Int32> = EmptyCollection()) -> Int32 {
        logits.withUnsafeBufferPointer { next(logits: $0, history: history) }
    }

    /// The next token for a `[V]` buffer of logits.
    public mutating func next(logits: UnsafeBufferPointer<Float>, history: some Collection<Int32>) -> Int32 {
        let p = parameters, v = logits.count
        check(v > 0, "Sampler: empty logits")
        if scores.count != v {
            scores = [Float](repeating: 0, count: v)
            penalised = [UInt32](repeating: 0, count: v)
            candidates.reserveCapacity(v)
        }
        return scores.withUnsafeMutableBufferPointer { s in
            _ = s.initialize(from: logits)
            if p.repetitionPenalty != 1 {
                stamp &+= 1
                if stamp == 0 { for i in penalised.indices { penalised[i] = 0 }; stamp = 1 }
                for token in history where token >= 0 && Int(token) < v && penalised[Int(token)] != stamp {
                    penalised[Int(token)] = stamp
                    let z = s[Int(token)]
                    s[Int(token)] = z > 0 ? z / p.repetitionPenalty : z * p.repetitionPenalty
                }
            }
            var best = 0
            for i in 1..<v where s[i] > s[best] { best = i }
            if p.temperature == 0 { return Int32(best) }

            // Candidates: tokens within e^40 of the best after temperature (the rest have
            // probability below 4e-18 of the best one and cannot change any filter), sorted.
            let inverseT = 1 / p.temperature, top = s[best] * inverseT
            candidates.removeAll(keepingCapacity: true)
            for i in 0..<v {
                s[i] *= inverseT
                if s[i] >= top - 40 { candidates.append(Int32(i)) }
            }
            candidates.sort { s[Int($0)] > s[Int($1)] || (s[Int($0)] == s[Int($1)] && $0 < $1) }
            var keep = candidates.count
            if p.topK > 0 { keep = Swift.min(keep, p.topK) }
            // Probabilities of the kept candidates (relative to the best).
            var total: Double = 0
            for j in 0..<keep { total += Double(exp(s[Int(candidates[j])] - top)) }
            if p.topP < 1 {
                var cumulative: Double = 0
                for j in 0..<keep {
                    cumulative += Double(exp(s[Int(candidates[j])] - top)) / total
                    if cumulative >= Double(p.topP) { keep = j + 1; break }
                }
            }
            if p.minP > 0 {
                // p(token) ≥ minP·p(best) ⇔ z ≥ z_best + log(minP).
                let floor = top + log(p.minP)
                var j = 1
                while j < keep && s[Int(candidates[j])] >= floor { j += 1 }
                keep = j
            }
            total = 0
            for j in 0..<keep { total += Double(exp(s[Int(candidates[j])] - top)) }
            var u = generator.nextUniformDouble() * total
            for j in 0..<keep {
                u -= Double(exp(s[Int(candidates[j])] - top))
                if u < 0 { return candidates[j] }
            }
            return candidates[keep - 1]
        }
    }
}
