import Foundation
import Testing
import Tensor
import Transformer
@testable import Evaluation
import _TestSupport

@Suite struct PerplexityTests {
    /// Windows of `context` tokens scored from an empty cache equal the per-row log-softmax of
    /// the training forward on each window.
    @Test func windowsMatchTheTrainingForward() throws {
        var generator = SeededGenerator(seed: 7)
        let model = ModelConfiguration.llama(.tiny).makeModel(using: &generator)
        let tokens: [Int32] = (0..<45).map { _ in Int32(generator.next() % 128) }
        let result = perplexity(of: tokens, model: model, context: 16, chunk: 5)
        #expect(result.windows == 3)           // 16 + 16 + 13
        #expect(result.predictions == 15 + 15 + 12)
        var expected = 0.0
        for start in stride(from: 0, to: tokens.count, by: 16) {
            let window = Array(tokens[start..<min(tokens.count, start + 16)])
            let logits = model(window).value.reshaped([window.count, 128])
            expected += negativeLogLikelihood(logits, targets: window[1...])
        }
        #expect(abs(result.totalNegativeLogLikelihood - expected) < 1e-3 * expected)
        #expect(abs(result.perplexity - exp(expected / 42)) < 1e-3 * result.perplexity)
    }

    /// A uniform model (all logits equal) has perplexity equal to the vocabulary size.
    @Test func uniformLogitsGiveTheVocabularySize() {
        let logits = Tensor.zeros([3, 128])
        let nll = negativeLogLikelihood(logits, targets: [4, 5, 6][...])
        #expect(abs(nll / 3 - log(128.0)) < 1e-9)
    }
}
