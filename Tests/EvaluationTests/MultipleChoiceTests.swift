import Foundation
import Testing
import Tensor
import Tokenizer
import Transformer
@testable import Evaluation
import _TestSupport

/// A tiny random Llama and a small byte-level BPE tokenizer of the same vocabulary.
private enum Tiny {
    static let tokenizer: Tokenizer = {
        var tokenizer = BPETrainer(vocabularySize: 320, minimumFrequency: 1, specialTokens: ["<|endoftext|>"]).train([
            "The capital of France is Paris. The capital of Germany is Berlin.",
            "Q: what jumps?\nA: the quick brown fox jumps over the lazy dog",
            "Answer: yes or no, an answer indeed",
        ])
        tokenizer.eosTokenID = 0
        return tokenizer
    }()

    nonisolated(unsafe) static let model: any CausalLanguageModel = {
        var configuration = LlamaConfiguration.tiny
        configuration.vocabularySize = tokenizer.vocabularySize
        var generator = SeededGenerator(seed: 21)
        return ModelConfiguration.llama(configuration).makeModel(using: &generator)
    }()

    static let items = [
        MultipleChoiceItem(question: "The capital of France is", choices: ["Paris", "Berlin", "a very long answer indeed", "X"],
                           answer: 0, subject: "geography"),
        MultipleChoiceItem(question: "Q: what jumps?\nA:", choices: ["the fox", "lazy dog", "the quick brown fox jumps"],
                           answer: 2, subject: "animals"),
        MultipleChoiceItem(question: "Is it", choices: ["yes", "no"], answer: 1),
        MultipleChoiceItem(question: "Über café", choices: ["日本", "ü", "x y z"], answer: 1, subject: "geography"),
    ]

    /// `Σ log softmax(forward(context + continuation))[t − 1][id_t]` over the continuation,
    /// from one full training forward of the sequence alone.
    static func reference(context: [Int32], continuation: [Int32]) -> Double {
        let ids = context + continuation
        let v = model.configuration.vocabularySize
        let logProbabilities = model(ids).value.reshaped([ids.count, v]).logSoftmax(alongAxis: -1).scalars
        var sum = 0.0
        for t in context.count..<ids.count { sum += Double(logProbabilities[(t - 1) * v + Int(ids[t])]) }
        return sum
    }

    static func ids(_ text: String) -> [Int32] { tokenizer.encode(text, parseSpecialTokens: false).map(Int32.init) }
}

@Suite struct MultipleChoiceTests {
    /// Each choice's score equals the log-likelihood of its continuation computed from a
    /// forward pass of that one sequence, for both strategies.
    @Test(arguments: MultipleChoiceScorer.Strategy.allCases)
    func sumsEqualTheDirectComputation(strategy: MultipleChoiceScorer.Strategy) throws {
        var scorer = MultipleChoiceScorer(model: Tiny.model, tokenizer: Tiny.tokenizer)
        scorer.strategy = strategy
        let result = try scorer.score(Tiny.items)
        for (i, item) in Tiny.items.enumerated() {
            let context = Tiny.ids(item.question)
            for (j, choice) in item.choices.enumerated() {
                let continuation = Tiny.ids(" " + choice)
                let expected = Tiny.reference(context: context, continuation: continuation)
                let got = result.items[i].logLikelihoods[j]
                #expect(abs(got - expected) < 1e-4, "item \(i) choice \(j): \(got) vs \(expected)")
                #expect(result.items[i].tokenCounts[j] == continuation.count)
                #expect(result.items[i].characterCounts[j] == choice.unicodeScalars.count)
            }
        }
        #expect(result.items.contains { $0.tokenCounts.contains { $0 > 2 } })   // multi-token continuations are exercised
    }

    /// Pass sizes, strategies and item order change nothing.
    @Test func batchingAndOrderDoNotChangeTheScores() throws {
        func sums(_ configure: (inout MultipleChoiceScorer) -> Void, _ items: [MultipleChoiceItem] = Tiny.items) throws -> [[Double]] {
            var scorer = MultipleChoiceScorer(model: Tiny.model, tokenizer: Tiny.tokenizer)
            configure(&scorer)
            return try scorer.score(items).items.map(\.logLikelihoods)
        }
        let base = try sums { _ in }
        let variants = [
            try sums { $0.itemsPerPass = 1 },
            try sums { $0.itemsPerPass = 3 },
            try sums { $0.cachedTokensPerPass = 1 },
            try sums { $0.strategy = .paddedBatch; $0.tokensPerPass = 1 },
            try sums { $0.strategy = .paddedBatch; $0.tokensPerPass = 10_000 },
            Array(try sums({ _ in }, Tiny.items.reversed()).reversed()),
            Array(try sums({ $0.strategy = .paddedBatch }, Tiny.items.reversed()).reversed()),
        ]
        for (n, variant) in variants.enumerated() {
            for (a, b) in zip(base.joined(), variant.joined()) { #expect(abs(a - b) < 1e-5, "variant \(n): \(a) vs \(b)") }
        }
        var progress: [Int] = []
        var scorer = MultipleChoiceScorer(model: Tiny.model, tokenizer: Tiny.tokenizer)
        scorer.itemsPerPass = 3
        _ = try scorer.score(Tiny.items) { done, total in progress.append(done); #expect(total == 4) }
        #expect(progress == [3, 4])
    }

    /// lm-evaluation-harness's text rules: a space before the choice unless the context ends in
    /// whitespace, which then moves into the continuation; an empty context is the end token.
    @Test func contextAndContinuationFollowTheHarness() throws {
        #expect(MultipleChoiceScorer.continuation(of: "Paris", after: "is") == " Paris")
        #expect(MultipleChoiceScorer.continuation(of: "Paris", after: "is ") == "Paris")
        #expect(MultipleChoiceScorer.continuation(of: "Paris", after: "A:\n") == "Paris")
        #expect(MultipleChoiceScorer.continuation(of: "Paris", after: "") == "Paris")
        let scorer = MultipleChoiceScorer(model: Tiny.model, tokenizer: Tiny.tokenizer)
        let spaced = try scorer.score([MultipleChoiceItem(question: "The capital of France is ", choices: ["Paris", "Berlin"], answer: 0)])
        let plain = try scorer.score([MultipleChoiceItem(question: "The capital of France is", choices: ["Paris", "Berlin"], answer: 0)])
        #expect(spaced.items[0].logLikelihoods == plain.items[0].logLikelihoods)
        let empty = try scorer.score([MultipleChoiceItem(question: "", choices: ["Paris", "Berlin"], answer: 0)])
        #expect(abs(empty.items[0].logLikelihoods[0] - Tiny.reference(context: [0], continuation: Tiny.ids("Paris"))) < 1e-4)
        // A custom prompt builds the context.
        let templated = MultipleChoiceScorer(model: Tiny.model, tokenizer: Tiny.tokenizer) { "Q: \($0.question)\nA:" }
        let scored = try templated.score([MultipleChoiceItem(question: "what jumps?", choices: ["the fox", "dog"], answer: 0)])
        let context = Tiny.ids("Q: what jumps?\nA:")
        #expect(abs(scored.items[0].logLikelihoods[1] - Tiny.reference(context: context, continuation: Tiny.ids(" dog"))) < 1e-4)
    }

    /// A context longer than the model's positions loses tokens from its start.
    @Test(arguments: MultipleChoiceScorer.Strategy.allCases)
    func longContextsAreCutFromTheLeft(strategy: MultipleChoiceScorer.Strategy) throws {
        let question = String(repeating: "the quick brown fox jumps over the lazy dog ", count: 20) + "and the answer is"
        let item = MultipleChoiceItem(question: question, choices: ["yes", "the quick brown fox"], answer: 0)
        var scorer = MultipleChoiceScorer(model: Tiny.model, tokenizer: Tiny.tokenizer)
        scorer.strategy = strategy
        let result = try scorer.score([item])
        let limit = Tiny.model.configuration.maxPositions
        let continuations = item.choices.map { Tiny.ids(" " + $0) }
        let context = Array(Tiny.ids(question).suffix(limit - continuations.map(\.count).max()!))
        #expect(Tiny.ids(question).count > limit)
        for j in 0..<2 {
            let expected = Tiny.reference(context: context, continuation: continuations[j])
            #expect(abs(result.items[0].logLikelihoods[j] - expected) < 1e-4)
        }
    }

    @Test func itemsThatCannotBeScoredAreTypedErrors() {
        let scorer = MultipleChoiceScorer(model: Tiny.model, tokenizer: Tiny.tokenizer)
        let good = Tiny.items[0]
        #expect(throws: MultipleChoiceError.invalidItem(index: 1, reason: "\"answer\" 2 is outside 0..<2")) {
            try scorer.score([good, MultipleChoiceItem(question: "q", choices: ["a", "b"], answer: 2)])
        }
        #expect(throws: MultipleChoiceError.invalidItem(index: 0, reason: "\"choices\" has 1 entry; at least 2 are needed")) {
            try scorer.score([MultipleChoiceItem(question: "q", choices: ["a"], answer: 0)])
        }
        #expect(throws: MultipleChoiceError.emptyContinuation(index: 0, choice: 1)) {
            try scorer.score([MultipleChoiceItem(question: "", choices: ["a", ""], answer: 0)])
        }
        let huge = String(repeating: "x", count: 500)
        #expect(throws: MultipleChoiceError.tooLong(index: 0, tokens: Tiny.ids(" " + huge).count, limit: 128)) {
            try scorer.score([MultipleChoiceItem(question: "q", choices: ["a", huge], answer: 0)])
        }
    }

    // MARK: Metrics

    /// acc, acc_norm (by characters), chance and per-subject grouping on hand-made scores.
    @Test func accuracyArithmetic() {
        let scores = [
            // acc picks 1 (−4), acc_norm picks 0 (−6/10 = −0.6 > −4/2 = −2): right only by acc_norm.
            MultipleChoiceItemScore(index: 0, subject: "a", answer: 0, logLikelihoods: [-6, -4],
                                    tokenCounts: [3, 1], characterCounts: [10, 2]),
            // A tie goes to the first choice for both.
            MultipleChoiceItemScore(index: 1, subject: "a", answer: 2, logLikelihoods: [-3, -1, -1, -5],
                                    tokenCounts: [1, 1, 1, 1], characterCounts: [1, 1, 1, 1]),
            // Right by both; a zero-length choice divides by 1.
            MultipleChoiceItemScore(index: 2, subject: "b", answer: 1, logLikelihoods: [-3, -0.5, -9, -9],
                                    tokenCounts: [1, 1, 1, 1], characterCounts: [4, 0, 4, 4]),
            MultipleChoiceItemScore(index: 3, subject: nil, answer: 0, logLikelihoods: [-1, -2],
                                    tokenCounts: [1, 1], characterCounts: [1, 1]),
        ]
        #expect(scores.map(\.prediction) == [1, 1, 1, 0])
        #expect(scores.map(\.normalizedPrediction) == [0, 1, 1, 0])
        let result = MultipleChoiceResult(items: scores)
        #expect(result.overall.count == 4 && result.overall.correct == 2 && result.overall.correctNormalized == 3)
        #expect(result.overall.accuracy == 0.5 && result.overall.normalizedAccuracy == 0.75)
        #expect(abs(result.overall.chance - (0.5 + 0.25 + 0.25 + 0.5) / 4) < 1e-12)
        #expect(abs(result.overall.accuracyStandardError - (0.25 / 3).squareRoot()) < 1e-12)
        #expect(result.subjects.keys.sorted() == ["a", "b"])
        #expect(result.subjects["a"] == MultipleChoiceAccuracy(count: 2, correct: 0, correctNormalized: 1, chanceSum: 0.75))
        #expect(result.subjects["b"]!.accuracy == 1)
        let table = result.table.split(separator: "\n").map(String.init)
        #expect(table.count == 4 && table[3].hasPrefix("overall") && table[3].contains("0.5000") && table[3].contains("0.7500"))
    }

    // MARK: JSONL

    @Test func readsTheMultipleChoiceFormat() throws {
        let url = temporaryFile("good.jsonl")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let text = """
        {"question": "2+2 =", "choices": ["3", "4"], "answer": 1, "subject": "math", "id": 7}\r

        {"question": "Sky?", "choices": ["blue", "green", "red"], "answer": 0, "subject": null}
        \(MultipleChoiceItem(question: "a/b \"q\"", choices: ["x", "ü"], answer: 1, subject: "s").jsonLine)
        """
        try Data(text.utf8).write(to: url)
        let items = try MultipleChoiceItem.readJSONL(from: url)
        #expect(items == [
            MultipleChoiceItem(question: "2+2 =", choices: ["3", "4"], answer: 1, subject: "math"),
            MultipleChoiceItem(question: "Sky?", choices: ["blue", "green", "red"], answer: 0, subject: nil),
            MultipleChoiceItem(question: "a/b \"q\"", choices: ["x", "ü"], answer: 1, subject: "s"),
        ])
    }

    @Test(arguments: [
        ("{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 0", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ("{\"choices\": [\"a\", \"b\"], \"answer\": 0}", "no \"question\" field"),
        ("{\"question\": 3, \"choices\": [\"a\", \"b\"], \"answer\": 0}", "\"question\" is not a string"),
        ("{\"question\": \"q\", \"choices\": \"a\", \"answer\": 0}", "\"choices\" is not an array"),
        ("{\"question\": \"q\", \"choices\": [\"a\", 2], \"answer\": 0}", "\"choices\"[1] is not a string"),
        ("{\"question\": \"q\", \"choices\": [\"a\", \"b\"]}", "no \"answer\" field"),
        ("{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"B\"}",
         "\"answer\" is not an integer index (letters such as \"B\" are not accepted)"),
        ("{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 1.5}",
         "\"answer\" is not an integer index (letters such as \"B\" are not accepted)"),
        ("{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 2}", "\"answer\" 2 is outside 0..<2"),
        ("{\"question\": \"q\", \"choices\": [\"a\"], \"answer\": 0}", "\"choices\" has 1 entry; at least 2 are needed"),
        ("{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 0, \"subject\": 4}", "\"subject\" is not a string"),
    ])
    func malformedLinesNameTheFileAndLine(line: String, reason: String) throws {
        let url = temporaryFile("bad.jsonl")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try Data("{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 0}\n\n\(line)\n".utf8).write(to: url)
        let expected = MultipleChoiceError.malformed(path: url.path, line: 3, reason: reason)
        #expect(throws: expected) { try MultipleChoiceItem.readJSONL(from: url) }
        #expect(expected.localizedDescription.hasPrefix("\(url.path):3: \(reason)"))
    }

    @Test func emptyAndMissingFilesAreTypedErrors() throws {
        let url = temporaryFile("empty.jsonl")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try Data("\n  \n".utf8).write(to: url)
        #expect(throws: MultipleChoiceError.empty(path: url.path)) { try MultipleChoiceItem.readJSONL(from: url) }
        try Data([0x7B, 0xFF, 0x7D, 0x0A]).write(to: url)
        #expect(throws: MultipleChoiceError.malformed(path: url.path, line: 1, reason: "not valid UTF-8")) {
            try MultipleChoiceItem.readJSONL(from: url)
        }
        let missing = url.deletingLastPathComponent().appendingPathComponent("missing.jsonl")
        #expect { try MultipleChoiceItem.readJSONL(from: missing) } throws: { error in
            guard case .unreadable(let path, _) = error as? MultipleChoiceError else { return false }
            return path == missing.path
        }
    }

    private func temporaryFile(_ name: String) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-mc-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name)
    }
}
