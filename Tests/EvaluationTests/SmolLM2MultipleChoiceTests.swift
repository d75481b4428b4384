import Foundation
import Testing
import Tensor
import Transformer
import Evaluation
import _TestSupport

/// The real SmolLM2-135M-Instruct GGUF, loaded once per test process.
private enum SmolLM2 {
    nonisolated(unsafe) static let loaded: PretrainedModel? = {
        guard let url = try? TestAssets.url(.smolLM2GGUF) else { return nil }
        return try? PretrainedModel.load(from: url.path)
    }()
}

@Suite(.serialized) struct SmolLM2MultipleChoiceTests {
    static let facts = [
        MultipleChoiceItem(question: "The capital of France is", choices: ["Berlin", "Madrid", "Paris", "Rome"], answer: 2),
        MultipleChoiceItem(question: "The largest planet in the solar system is", choices: ["Mars", "Venus", "Mercury", "Jupiter"],
                           answer: 3),
        MultipleChoiceItem(question: "Q: Which company did Bill Gates found?\nA:", choices: ["Microsoft", "Apple", "Amazon", "Google"],
                           answer: 0),
        MultipleChoiceItem(question: "The opposite of hot is", choices: ["blue", "cold", "tall", "fast"], answer: 1),
        MultipleChoiceItem(question: "Q: What is Charles Darwin's area of expertise?\nA:",
                           choices: ["economics", "linguistics", "architecture", "biology"], answer: 3),
    ]

    /// Easy real-world facts are scored right, by both strategies alike.
    @Test(TestAssets.requires(.smolLM2GGUF))
    func easyFactsScoreCorrectly() throws {
        let loaded = try #require(SmolLM2.loaded)
        var scorer = MultipleChoiceScorer(model: loaded.model, tokenizer: try #require(loaded.tokenizer))
        let cached = try scorer.score(Self.facts)
        for score in cached.items {
            #expect(score.isCorrect, "\(Self.facts[score.index].question): \(score.logLikelihoods)")
        }
        #expect(cached.overall.accuracy == 1 && cached.overall.chance == 0.25)
        scorer.strategy = .paddedBatch
        let padded = try scorer.score(Self.facts)
        for (a, b) in zip(cached.items, padded.items) {
            for (x, y) in zip(a.logLikelihoods, b.logLikelihoods) { #expect(abs(x - y) < 2e-3 * max(1, abs(x)), "\(x) vs \(y)") }
        }
    }
}
