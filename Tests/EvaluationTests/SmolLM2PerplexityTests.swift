import Foundation
import Testing
import Tensor
import Transformer
import Evaluation
import _TestSupport

@Suite(.serialized) struct SmolLM2PerplexityTests {
    /// The first 512 tokens of Hamlet: `Scripts/reference_smollm2_perplexity.py` (transformers
    /// loading the same GGUF, dequantized by the `gguf` package) gives mean NLL 2.87048,
    /// perplexity 17.6456. Lore must agree within 0.5%.
    @Test(TestAssets.requires(.smolLM2GGUF), TestAssets.requires(.shakespeareTexts))
    func hamletPerplexityMatchesTheReference() throws {
        let loaded = try PretrainedModel.load(from: try TestAssets.url(.smolLM2GGUF).path)
        let folder = try TestAssets.url(.shakespeareTexts)
        let text = try Data(contentsOf: folder.appendingPathComponent("hamlet_gut.txt"))
        let ids = try #require(loaded.tokenizer).encode(bytes: text, parseSpecialTokens: false).prefix(512).map(Int32.init)
        #expect(Array(ids.prefix(4)) == [56, 38348, 3438, 28])
        let result = perplexity(of: ids, model: loaded.model, context: 2048)
        #expect(result.predictions == 511)
        #expect(abs(result.perplexity / 17.6456 - 1) < 0.005, "perplexity \(result.perplexity)")
        #expect(abs(result.meanNegativeLogLikelihood - 2.87048) < 0.005)
    }
}
