import Foundation
import Testing
import Tensor
import Transformer
import _TestSupport

/// The real SmolLM2-135M-Instruct GGUF (Q4_1/Q8_0), loaded once per test process.
enum SmolLM2 {
    nonisolated(unsafe) static let loaded: PretrainedModel? = {
        guard let url = try? TestAssets.url(.smolLM2GGUF) else { return nil }
        return try? PretrainedModel.load(from: url.path)
    }()
}

@Suite(.serialized) struct SmolLM2Tests {
    @Test(TestAssets.requires(.smolLM2GGUF))
    func configurationComesFromTheMetadata() throws {
        let loaded = try #require(SmolLM2.loaded)
        guard case .llama(let c) = loaded.model.configuration else { Issue.record("not llama"); return }
        var expected = LlamaConfiguration.smolLM2_135M
        expected.maxPositions = c.maxPositions
        #expect(c == expected)
        #expect(loaded.model.parameterCount == 134_515_008)
        #expect(loaded.tokenizer?.vocabularySize == 49_152)
    }

    /// DESIGN.md: the greedy answer through the chat template.
    @Test(TestAssets.requires(.smolLM2GGUF))
    func answersTheCapitalOfFrance() throws {
        let loaded = try #require(SmolLM2.loaded)
        let generator = TextGenerator(model: loaded.model, tokenizer: try #require(loaded.tokenizer))
        let reply = try generator.chat("What is the capital of France?", options: .init(maxNewTokens: 20))
        #expect(reply.text == "The capital of France is Paris.")
        #expect(reply.finishReason == .endOfSequence)
    }
}
