import Foundation
import Testing
import Tensor
import Tokenizer
import Transformer
import _TestSupport

/// Generation with a tiny random Llama over a byte-level vocabulary (`<eos>` = 0, bytes 1…256).
@Suite struct GenerationTests {
    static let tokenizer: Tokenizer = {
        var t = try! Tokenizer(vocabulary: ["<eos>"] + ByteLevel.scalars.map { String($0) }, merges: [],
                               addedTokens: [.init(id: 0, content: "<eos>")], preTokenizer: .gpt2)
        t.eosTokenID = 0
        return t
    }()

    static func model(seed: UInt64 = 3) -> any CausalLanguageModel {
        var c = LlamaConfiguration.tiny
        c.vocabularySize = 257
        c.eosTokenIDs = [0]
        var g = SeededGenerator(seed: seed)
        return LlamaForCausalLM(c, using: &g)
    }

    /// Greedy generation equals repeatedly taking the argmax of a full forward pass.
    @Test func greedyEqualsArgmaxOfFullForward() {
        let model = Self.model()
        let generator = TextGenerator(model: model, tokenizer: Self.tokenizer)
        let prompt: [Int32] = [72, 101, 108, 108, 111]
        let result = generator.generate(promptIDs: prompt, options: .init(maxNewTokens: 12, stopTokenIDs: []))
        var ids = prompt
        for _ in 0..<12 {
            let logits = model(ids).value
            let last = logits.select(alongAxis: 0, index: 0).select(alongAxis: 0, index: ids.count - 1).scalars
            ids.append(Int32(last.indices.max { last[$0] < last[$1] }!))
        }
        #expect(result.tokens == Array(ids.dropFirst(prompt.count)))
        #expect(result.finishReason == .length)
        #expect(result.tokens.count == 12)
    }

    /// Same seed, same tokens; another seed, other tokens; the batch matches single runs.
    @Test func samplingIsSeededAndBatchMatchesSingleRuns() {
        let generator = TextGenerator(model: Self.model(), tokenizer: Self.tokenizer)
        let options = GenerationOptions(maxNewTokens: 16, sampling: .init(temperature: 1.5, topK: 50, topP: 0.95, minP: 0.01, seed: 11),
                                        stopTokenIDs: [])
        let a = generator.generate(promptIDs: [10, 20, 30], options: options)
        let b = generator.generate(promptIDs: [10, 20, 30], options: options)
        #expect(a.tokens == b.tokens)
        var other = options
        other.sampling.seed = 12
        #expect(generator.generate(promptIDs: [10, 20, 30], options: other).tokens != a.tokens)
        // In a batch, prompt i draws with seed + i.
        let batch = generator.generate(batch: [[10, 20, 30], [5, 6, 7, 8, 9, 10, 11]], options: options)
        #expect(batch[0].tokens == a.tokens)
        var second = options
        second.sampling.seed = 12
        #expect(batch[1].tokens == generator.generate(promptIDs: [5, 6, 7, 8, 9, 10, 11], options: second).tokens)
    }

    @Test func stopsOnEndOfSequenceAndStopStrings() throws {
        let model = Self.model()
        let generator = TextGenerator(model: model, tokenizer: Self.tokenizer)
        // Sampling (seeded) so that the tiny random model's tokens vary.
        let sampling = SamplingParameters(temperature: 1, seed: 5)
        let free = generator.generate(promptIDs: [40, 41], options: .init(maxNewTokens: 10, sampling: sampling, stopTokenIDs: []))
        // Declare the first token that did not occur before it an end-of-sequence token:
        // generation stops just before it.
        let j = try #require((1..<free.tokens.count).first { !free.tokens[..<$0].contains(free.tokens[$0]) })
        let stopped = generator.generate(promptIDs: [40, 41], options: .init(maxNewTokens: 10, sampling: sampling, stopTokenIDs: [free.tokens[j]]))
        #expect(stopped.finishReason == .endOfSequence)
        #expect(stopped.tokens == Array(free.tokens.prefix(j)))
        // A stop string made of the text of tokens 3–4 cuts the text before it.
        let text = Self.tokenizer.decodeText(free.tokens.map(Int.init))
        let stopText = Self.tokenizer.decodeText(free.tokens[3...4].map(Int.init))
        var streamed = ""
        let cut = generator.generate(promptIDs: [40, 41], options: .init(maxNewTokens: 10, sampling: sampling, stopTokenIDs: [], stopStrings: [stopText])) {
            streamed += $0; return true
        }
        #expect(cut.finishReason == .stopString)
        #expect(cut.text == String(text[..<text.range(of: stopText)!.lowerBound]))
        #expect(streamed == cut.text)
        // The callback can cancel.
        var pieces = 0
        let cancelled = generator.generate(promptIDs: [40, 41], options: .init(maxNewTokens: 10, sampling: sampling, stopTokenIDs: [])) { _ in
            pieces += 1; return pieces < 3
        }
        #expect(cancelled.finishReason == .cancelled)
    }

    @Test func samplerFiltersFollowTheirDefinitions() {
        // Logits: token 0 best, then 1, 2, 3 with decreasing probabilities.
        let logits = Tensor([4, 3, 2, -10])
        var topK = Sampler(.init(temperature: 1, topK: 2, seed: 1))
        var seen = Set<Int32>()
        for _ in 0..<400 { seen.insert(topK.next(logits: logits)) }
        #expect(seen == [0, 1])
        // p = softmax([4,3,2]) ≈ [0.665, 0.245, 0.090]: top-p 0.8 keeps {0, 1}.
        var topP = Sampler(.init(temperature: 1, topP: 0.8, seed: 2))
        seen = []
        for _ in 0..<400 { seen.insert(topP.next(logits: logits)) }
        #expect(seen == [0, 1])
        // min-p 0.2: p(2)/p(0) = e^-2 ≈ 0.135 < 0.2, dropped; p(1)/p(0) = e^-1 ≈ 0.37 kept.
        var minP = Sampler(.init(temperature: 1, minP: 0.2, seed: 3))
        seen = []
        for _ in 0..<400 { seen.insert(minP.next(logits: logits)) }
        #expect(seen == [0, 1])
        // Repetition penalty 3 on token 0 (logit 4 → 4/3 < 2... < 3): greedy picks token 1.
        var penalised = Sampler(.init(repetitionPenalty: 3))
        #expect(penalised.next(logits: logits, history: [0, 0]) == 1)
        // A negative logit is multiplied: token 3 never wins.
        var greedy = Sampler(.greedy)
        #expect(greedy.next(logits: Tensor([-1, -2]), history: [Int32]()) == 0)
        #expect(penalised.next(logits: Tensor([-1, -2]), history: [0]) == 1)   // -3 < -2
    }
}

extension GenerationTests {
    /// A prompt longer than the context keeps its tail instead of stopping the program.
    @Test func overlongPromptKeepsItsTail() {
        let generator = TextGenerator(model: Self.model(), tokenizer: Self.tokenizer)
        let long = (0..<200).map { Int32(1 + $0 % 200) }          // tiny preset: 128 positions
        let result = generator.generate(promptIDs: long, options: .init(maxNewTokens: 5, stopTokenIDs: []))
        #expect(result.promptTokens == 127)
        #expect(result.tokens.count == 1 && result.finishReason == .contextFull)
    }
}
