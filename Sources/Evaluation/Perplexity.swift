import Foundation
import Tensor
import Transformer

/// The result of scoring a token sequence: how surprised the model is by it.
public struct PerplexityResult: Sendable, Equatable {
    /// Tokens predicted (each window's first token is not).
    public var predictions: Int
    /// Windows the tokens were split into.
    public var windows: Int
    /// Sum of `−log p(token | preceding tokens of its window)` over the predictions, in nats.
    public var totalNegativeLogLikelihood: Double
    /// `total / predictions`.
    public var meanNegativeLogLikelihood: Double { predictions > 0 ? totalNegativeLogLikelihood / Double(predictions) : .nan }
    /// `exp(mean NLL)`.
    public var perplexity: Double { exp(meanNegativeLogLikelihood) }
}

/// Perplexity of `tokens` in non-overlapping windows of `context` tokens, as
/// `llama-perplexity` and Hugging Face's fixed-length evaluation without stride do:
///
/// `PPL = exp( (1/N) Σ_w Σ_{i=1}^{|w|−1} −log p(w_i | w_0 … w_{i−1}) )`,
///
/// where each window `w` is scored from an empty cache, so its first token is context only,
/// and `N` counts the predictions (`Σ_w (|w| − 1)`). A last window shorter than `context` is
/// scored as it is.
///
/// The log-softmax is computed in `Double` per row from the model's Float32 logits. Windows run
/// through an ``InferenceSession`` in chunks of `chunk` tokens so the logits held at once stay
/// at `chunk × vocabulary` floats.
///
/// - Parameters:
///   - model: the model to score with.
///   - tokens: the ids, e.g. a tokenized file.
///   - context: window length (default 2,048; at most the model's positions).
///   - chunk: tokens per forward pass inside a window (default 256).
///   - progress: called after each window with (tokens scored so far, total).
public func perplexity(
    of tokens: [Int32], model: any CausalLanguageModel, context: Int = 2048, chunk: Int = 256,
    progress: ((Int, Int) -> Void)? = nil
) -> PerplexityResult {
    check(context >= 2, "perplexity: context \(context) must be at least 2 tokens")
    check(chunk >= 1, "perplexity: chunk \(chunk) must be positive")
    let context = Swift.min(context, model.configuration.maxPositions)
    let session = InferenceSession(model: model, sequences: 1, capacity: context)
    var result = PerplexityResult(predictions: 0, windows: 0, totalNegativeLogLikelihood: 0)
    var logits = Tensor(uninitializedShape: [chunk, model.configuration.vocabularySize])
    var windowStart = 0
    while windowStart < tokens.count {
        let window = Array(tokens[windowStart..<Swift.min(tokens.count, windowStart + context)])
        session.reset()
        var start = 0
        while start < window.count {
            let piece = Array(window[start..<Swift.min(window.count, start + chunk)])
            session.run([(0, piece)], logits: &logits, allPositions: true)
            // Row i predicts window[start + i + 1].
            result.totalNegativeLogLikelihood += negativeLogLikelihood(
                logits, targets: window[(start + 1)..<Swift.min(window.count, start + piece.count + 1)])
            result.predictions += Swift.min(window.count, start + piece.count + 1) - (start + 1)
            start += piece.count
        }
        result.windows += 1
        windowStart += window.count
        progress?(windowStart, tokens.count)
    }
    return result
}

/// `Σ_i −log softmax(logits[i])[targets[i]]` over the first `targets.count` rows, in `Double`.
func negativeLogLikelihood(_ logits: Tensor, targets: ArraySlice<Int32>) -> Double {
    let v = logits.shape[logits.rank - 1]
    return logits.withUnsafeBufferPointer { p in
        var total = 0.0
        for (i, target) in targets.enumerated() {
            let row = p.baseAddress! + i * v
            var m = -Double.infinity
            for j in 0..<v { m = Swift.max(m, Double(row[j])) }
            var sum = 0.0
            for j in 0..<v { sum += Foundation.exp(Double(row[j]) - m) }
            total += m + Foundation.log(sum) - Double(row[Int(target)])
        }
        return total
    }
}
