import Foundation
import GGUF
import Testing
import Tensor
import Tokenizer
import Transformer
import _TestSupport

/// Round trips: what Lore saves, Lore loads back to the same logits.
@Suite struct ModelSavingTests {
    func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lore-save-\(UUID().uuidString)").appendingPathComponent(name)
    }

    func logits(_ loaded: PretrainedModel, _ golden: TransformerFixtures.Golden) -> Tensor { loaded.model(golden.batch).value }

    /// GGUF → Hugging Face directory → load: identical logits; the directory holds what
    /// `transformers` expects, a tied embedding once.
    @Test func ggufToHuggingFaceDirectoryIsExact() throws {
        let source = try PretrainedModel.load(from: TransformerFixtures.path("tiny-llama.gguf"))
        let folder = temporary("tiny-llama-hf")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try source.saveHuggingFaceDirectory(to: folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files == ["config.json", "generation_config.json", "model.safetensors"])
        let weights = try SafetensorsFile(url: folder.appendingPathComponent("model.safetensors"))
        #expect(!weights.contains("lm_head.weight") && weights.contains("model.embed_tokens.weight"))
        let golden = try TransformerFixtures.golden("tiny-llama")
        let reloaded = try PretrainedModel.load(from: folder.path)
        #expect(reloaded.model.configuration == source.model.configuration)
        #expect(logits(reloaded, golden) == logits(source, golden))
        // Saving again over an existing directory replaces it.
        try reloaded.saveHuggingFaceDirectory(to: folder, dtype: .bf16)
        #expect(try SafetensorsFile(url: folder.appendingPathComponent("model.safetensors")).tensors.allSatisfy { $0.dtype == .bf16 })
    }

    /// Hugging Face directory → GGUF (F32) → load: identical logits, for both families;
    /// Q8_0 and F16 within their rounding.
    @Test(arguments: ["tiny-llama", "tiny-gpt2"])
    func huggingFaceDirectoryToGGUF(_ name: String) throws {
        let source = try PretrainedModel.load(from: TransformerFixtures.path(name))
        let golden = try TransformerFixtures.golden(name)
        let expected = logits(source, golden)
        let file = temporary("\(name).gguf")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try source.saveGGUF(to: file, type: .f32)
        #expect(logits(try PretrainedModel.load(from: file.path), golden) == expected)
        try source.saveGGUF(to: file, type: .f16)
        assertClose(logits(try PretrainedModel.load(from: file.path), golden), expected, rtol: 5e-3, atol: 5e-3, "f16")
        try source.saveGGUF(to: file, type: .q8_0)
        let q8 = try PretrainedModel.load(from: file.path)
        let gguf = try GGUFFile(path: file.path)
        #expect(gguf.tensors.contains { $0.type == .q8_0 })
        assertClose(logits(q8, golden), expected, rtol: 2e-2, atol: 2e-2, "q8_0")
    }

    /// The same model exported as GGUF matches llama.cpp's converter's layout: the permuted
    /// Q/K rows of the reference fixture.
    @Test func ggufExportMatchesTheConverterLayout() throws {
        let source = try PretrainedModel.load(from: TransformerFixtures.path("tiny-llama"))
        let file = temporary("tiny.gguf")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try source.saveGGUF(to: file)
        let ours = try GGUFFile(path: file.path), reference = try GGUFFile(path: TransformerFixtures.path("tiny-llama.gguf"))
        for name in ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_down.weight", "token_embd.weight"] {
            #expect(try Tensor(gguf: ours, tensorNamed: name) == Tensor(gguf: reference, tensorNamed: name), "\(name)")
        }
        #expect(try ours.int("llama.attention.head_count_kv") == 2)
        #expect(!ours.tensors.contains { $0.name == "output.weight" })
    }

    /// A tokenizer travels with the model through both formats.
    @Test func tokenizerIsSavedWithTheModel() throws {
        let source = try PretrainedModel.load(from: TransformerFixtures.path("tiny-gpt2"))
        var tokenizer = BPETrainer(vocabularySize: 128 + 0, minimumFrequency: 1, specialTokens: ["<|endoftext|>"])
            .train(["the quick brown fox jumps over the lazy dog"])
        tokenizer.chatTemplate = "{% for m in messages %}{{ m.content }}{% endfor %}"
        tokenizer.eosTokenID = 0
        let model = PretrainedModel(model: source.model, tokenizer: tokenizer, path: "memory")
        let folder = temporary("with-tokenizer")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try model.saveHuggingFaceDirectory(to: folder)
        let text = "the lazy fox"
        let fromFolder = try #require(try PretrainedModel.load(from: folder.path).tokenizer)
        #expect(fromFolder.encode(text) == tokenizer.encode(text))
        #expect(fromFolder.chatTemplate == tokenizer.chatTemplate)
        let file = folder.deletingLastPathComponent().appendingPathComponent("m.gguf")
        try model.saveGGUF(to: file)
        let fromGGUF = try #require(try PretrainedModel.load(from: file.path).tokenizer)
        #expect(fromGGUF.encode(text) == tokenizer.encode(text))
        #expect(fromGGUF.eosTokenID == 0)
    }
}
