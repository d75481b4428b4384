import Foundation
import GGUF
import Testing
@testable import Tokenizer

/// Tokenizers read from GGUF metadata written by `GGUFWriter`; malformed metadata is a typed error
/// naming the key.
@Suite struct TokenizerGGUFTests {
    /// 256 byte tokens, `Ġt` (merge `Ġ t`) and a control token `<|x|>`.
    static func writer() -> GGUFWriter {
        var writer = GGUFWriter()
        writer.set("tokenizer.ggml.model", "gpt2")
        writer.set("tokenizer.ggml.pre", "smollm")
        writer.set("tokenizer.ggml.tokens", .array(.string(ByteLevel.scalars.map { String($0) } + ["Ġt", "<|x|>"])))
        writer.set("tokenizer.ggml.merges", .array(.string(["Ġ t"])))
        writer.set("tokenizer.ggml.token_type", .array(.int32([Int32](repeating: 1, count: 257) + [3])))
        writer.set("tokenizer.ggml.bos_token_id", .uint32(257))
        writer.set("tokenizer.ggml.eos_token_id", .uint32(257))
        writer.set("tokenizer.chat_template", "{{ messages }}")
        return writer
    }

    static func load(_ writer: GGUFWriter) throws(TokenizerError) -> Tokenizer {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lore-tokenizer-\(UUID().uuidString).gguf")
        try? Data(writer.encode()).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Tokenizer(contentsOf: url)
    }

    @Test func readsTokensMergesTypesAndIDs() throws {
        let tokenizer = try Self.load(Self.writer())
        #expect(tokenizer.preTokenizer == .smolLM)
        #expect(tokenizer.encode(" t<|x|> t") == [256, 257, 256])
        #expect(tokenizer.encode("<|x|>", parseSpecialTokens: false).count == 5)
        #expect(tokenizer.bosTokenID == 257 && tokenizer.eosTokenID == 257 && tokenizer.padTokenID == nil)
        #expect(tokenizer.chatTemplate == "{{ messages }}")
        #expect(tokenizer.addedTokens == [Tokenizer.AddedToken(id: 257, content: "<|x|>", special: true)])
    }

    static func expectError(_ change: (inout GGUFWriter) -> Void, field: String, _ check: (TokenizerError.Reason) -> Bool) {
        var writer = writer()
        change(&writer)
        do {
            _ = try load(writer)
            Issue.record("expected an error at \(field)")
        } catch {
            #expect(error.field == field, "\(error.localizedDescription)")
            #expect(check(error.reason), "\(error.localizedDescription)")
        }
    }

    @Test func malformedMetadataNamesTheKey() {
        Self.expectError({ $0.set("tokenizer.ggml.model", "llama") }, field: "tokenizer.ggml.model") { $0 == .unsupportedModelType("llama") }
        Self.expectError({ $0.set("tokenizer.ggml.pre", "qwen2") }, field: "tokenizer.ggml.pre") {
            if case .unsupported = $0 { return true } else { return false }
        }
        Self.expectError({ $0.set("tokenizer.ggml.tokens", .array(.int32([1, 2]))) }, field: "tokenizer.ggml.tokens") {
            if case .wrongType = $0 { return true } else { return false }
        }
        Self.expectError({ $0.set("tokenizer.ggml.merges", .array(.string(["Ġ t", "Ġt"]))) }, field: "tokenizer.ggml.merges[1]") {
            $0 == .malformedMerge("Ġt")
        }
        Self.expectError({ $0.set("tokenizer.ggml.merges", .array(.string(["t Ġ"]))) }, field: "tokenizer.ggml.merges[0]") {
            $0 == .unknownToken("tĠ")
        }
        Self.expectError({ $0.set("tokenizer.ggml.token_type", .array(.int32([1]))) }, field: "tokenizer.ggml.token_type") {
            if case .wrongType = $0 { return true } else { return false }
        }
        Self.expectError({ $0.set("tokenizer.ggml.bos_token_id", "one") }, field: "tokenizer.ggml.bos_token_id") {
            if case .wrongType = $0 { return true } else { return false }
        }
    }

    @Test func missingTokensAndTruncatedFiles() throws {
        var writer = GGUFWriter()
        writer.set("tokenizer.ggml.model", "gpt2")
        do { _ = try Self.load(writer); Issue.record("expected an error") } catch {
            #expect(error.field == "tokenizer.ggml.tokens" && error.reason == .missingField)
        }
        let bytes = Self.writer().encode()
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 50)) {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("lore-truncated-\(UUID().uuidString).gguf")
            try Data(bytes[0..<length]).write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            #expect(throws: TokenizerError.self) { try Tokenizer(gguf: url) }
        }
    }
}
