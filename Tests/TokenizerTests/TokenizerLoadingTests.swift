import Foundation
import Testing
import _TestSupport
@testable import Tokenizer

/// tokenizer.json files saved by Hugging Face `tokenizers` encode as `tokenizers` does; malformed
/// files are typed errors naming the file and the field or line.
@Suite struct TokenizerLoadingTests {
    @Test(arguments: [("gpt2", PreTokenizer.gpt2), ("smollm", .smolLM), ("llama3", .llama3)])
    func huggingFaceJSONMatchesTokenizers(_ name: String, _ pre: PreTokenizer) throws {
        let url = TokenizerFixtures.folder.appendingPathComponent("hf_\(name).tokenizer.json")
        let tokenizer = try Tokenizer(contentsOf: url)
        #expect(tokenizer.preTokenizer == pre)
        #expect(tokenizer.addedTokens.map(\.content) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        let golden = try TokenizerFixtures.json("hf_\(name).golden.json")
        for entry in golden["tricky"] as! [[String: Any]] {
            let text = entry["text"] as! String
            #expect(tokenizer.encode(text) == TokenizerParityTests.ids(entry["ids"]), "\(name): \(text.debugDescription)")
        }
        let macbeth = golden["macbeth"] as! [String: Any]
        #expect(tokenizer.encode(macbeth["text"] as! String) == TokenizerParityTests.ids(macbeth["ids"]))
    }

    /// Writes `text` to a temporary file named `name` and loads it.
    static func load(_ name: String, _ text: String) throws(TokenizerError) -> Tokenizer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-tokenizer-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try? text.write(to: url, atomically: true, encoding: .utf8)
        return try Tokenizer(contentsOf: url)
    }

    /// The 256 byte tokens as JSON object members (`"!": 0, …`), without braces.
    static let vocabularyJSON: String = {
        var members: [String: Int] = [:]
        for byte in 0..<256 { members[String(ByteLevel.scalars[byte])] = byte }
        let data = try! JSONSerialization.data(withJSONObject: members, options: [.sortedKeys])
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }()

    /// A minimal byte-level tokenizer.json with the given model fields, as a string.
    static func json(model: String, preTokenizer: String = #"{"type":"ByteLevel","add_prefix_space":false}"#,
                     normalizer: String = "null") -> String {
        let vocab = vocabularyJSON
        return #"{"added_tokens":[],"normalizer":\#(normalizer),"pre_tokenizer":\#(preTokenizer),"decoder":null,"model":{"type":"BPE","vocab":{\#(vocab),"Ġt":256},\#(model)}}"#
    }

    static func expectError(_ body: () throws(TokenizerError) -> Tokenizer, field: String?, _ check: (TokenizerError.Reason) -> Bool) {
        do {
            _ = try body()
            Issue.record("expected a TokenizerError at \(field ?? "nil")")
        } catch {
            #expect(error.field == field, "\(error.localizedDescription)")
            #expect(check(error.reason), "\(error.localizedDescription)")
            #expect(error.localizedDescription.contains(error.path.split(separator: "/").last.map(String.init) ?? "?"))
        }
    }

    /// `normalizer` nodes as real files use them (Qwen2: NFC): applied to the text between
    /// added tokens before pre-tokenization, and written back by `save(to:)`.
    @Test func normalizersApplyAndRoundTrip() throws {
        let plain = try Self.load("tokenizer.json", Self.json(model: #""merges":["Ġ t"]"#))
        let nfc = try Self.load("tokenizer.json", Self.json(model: #""merges":["Ġ t"]"#, normalizer: #"{"type":"NFC"}"#))
        #expect(nfc.normalizers == [.nfc])
        #expect(nfc.encode("e\u{301}") == nfc.encode("\u{E9}"))
        #expect(plain.encode("e\u{301}") != plain.encode("\u{E9}"))
        let sequence = try Self.load("tokenizer.json", Self.json(
            model: #""merges":["Ġ t"]"#,
            normalizer: #"{"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"}]}"#))
        #expect(sequence.normalizers == [.nfkc, .lowercase])
        #expect(sequence.encode("\u{FB01} \u{FF34}") == sequence.encode("fi t"))  // ﬁ, fullwidth T
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-normalizer-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try sequence.save(to: folder)
        let loaded = try Tokenizer(contentsOf: folder)
        #expect(loaded.normalizers == [.nfkc, .lowercase])
        #expect(loaded.encode("\u{FB01} \u{FF34}") == sequence.encode("fi t"))
    }

    @Test func mergesAsStringsAndPairsBothLoad() throws {
        let a = try Self.load("tokenizer.json", Self.json(model: #""merges":["Ġ t"]"#))
        let b = try Self.load("tokenizer.json", Self.json(model: #""merges":[["Ġ","t"]]"#))
        #expect(a.encode(" t") == [256])
        #expect(b.encode(" t") == [256])
    }

    @Test func malformedTokenizerJSON() {
        Self.expectError({ () throws(TokenizerError) in try Self.load("tokenizer.json", #"{"model": "#) }, field: nil) {
            if case .invalidJSON = $0 { return true } else { return false }
        }
        Self.expectError({ () throws(TokenizerError) in try Self.load("tokenizer.json", Self.json(model: #""merges":["Ġ t", "Ġt"]"#)) },
                         field: "model.merges[1]") { $0 == .malformedMerge("Ġt") }
        Self.expectError({ () throws(TokenizerError) in try Self.load("tokenizer.json", Self.json(model: #""merges":[["Ġ","q"]]"#)) },
                         field: "model.merges[0]") { $0 == .unknownToken("Ġq") }
        Self.expectError({ () throws(TokenizerError) in try Self.load("tokenizer.json", Self.json(model: #""nomerges":[]"#)) },
                         field: "model.merges") { $0 == .missingField }
        Self.expectError({ () throws(TokenizerError) in
            try Self.load("tokenizer.json", Self.json(model: #""merges":[]"#, normalizer: #"{"type":"Precompiled"}"#))
        }, field: "normalizer.type") { $0 == .unsupported(value: "normalizer Precompiled") }
        Self.expectError({ () throws(TokenizerError) in
            try Self.load("tokenizer.json", Self.json(model: #""merges":[]"#,
                                                      normalizer: #"{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Replace"}]}"#))
        }, field: "normalizer.normalizers[1].type") { $0 == .unsupported(value: "normalizer Replace") }
        Self.expectError({ () throws(TokenizerError) in
            try Self.load("tokenizer.json", Self.json(model: #""merges":[]"#, preTokenizer: #"{"type":"Metaspace"}"#))
        }, field: "pre_tokenizer.type") { $0 == .unsupported(value: "pre-tokenizer Metaspace") }
        Self.expectError({ () throws(TokenizerError) in
            try Self.load("tokenizer.json", Self.json(model: #""merges":[]"#,
                          preTokenizer: #"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\w+"},"behavior":"Isolated"}]}"#))
        }, field: "pre_tokenizer.pretokenizers[0].pattern") { if case .unsupported = $0 { return true } else { return false } }
    }

    @Test func malformedVocabBPELineIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-gpt2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "{\(Self.vocabularyJSON), \"Ġt\": 256}".write(to: folder.appendingPathComponent("encoder.json"), atomically: true, encoding: .utf8)
        try "#version: 0.2\nĠ t\nĠt\n".write(to: folder.appendingPathComponent("vocab.bpe"), atomically: true, encoding: .utf8)
        Self.expectError({ () throws(TokenizerError) in try Tokenizer(contentsOf: folder) }, field: "line 3") { $0 == .malformedMerge("Ġt") }
    }

    @Test(TestAssets.requires(.miniLMTokenizer))
    func wordPieceIsAnUnsupportedModelType() throws {
        let url = try TestAssets.url(.miniLMTokenizer)
        Self.expectError({ () throws(TokenizerError) in try Tokenizer(contentsOf: url) }, field: "model.type") {
            $0 == .unsupportedModelType("WordPiece")
        }
    }

    @Test func missingFileIsAnIOError() {
        Self.expectError({ () throws(TokenizerError) in try Tokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/tokenizer.json")) },
                         field: nil) { if case .io = $0 { return true } else { return false } }
    }

    @Test(TestAssets.requires(.gpt2Encoder))
    func gpt2FolderIsFound() throws {
        let tokenizer = try Tokenizer(contentsOf: try TestAssets.url(.gpt2Encoder).deletingLastPathComponent())
        #expect(tokenizer.vocabularySize == 50257)
        #expect(tokenizer.encode("Hello world") == [15496, 995])
        #expect(tokenizer.eosTokenID == 50256)
    }
}
