import GGUF

extension Tokenizer {
    /// The tokenizer as llama.cpp's GGUF metadata (the keys ``init(gguf:)`` reads):
    /// `tokenizer.ggml.model` = `gpt2` (byte-level BPE), `.pre` (`gpt2`, `smollm`, `llama-bpe`),
    /// `.tokens`, `.token_type` (1 normal, 3 control = special added token, 4 user-defined = other
    /// added token), `.merges` (`"a b"`), the bos/eos/padding ids that are set, and
    /// `tokenizer.chat_template` when there is one.
    ///
    /// - Throws: ``TokenizerError`` for what GGUF cannot express: the whitespace pre-tokenizer,
    ///   normalizers, or `ignore_merges`.
    public func ggufMetadata() throws(TokenizerError) -> [(key: String, value: GGUFValue)] {
        let pre: String
        switch preTokenizer {
        case .gpt2: pre = "gpt2"
        case .smolLM: pre = "smollm"
        case .llama3: pre = "llama-bpe"
        case .whitespace: throw TokenizerError(path: "<gguf export>", reason: .unsupported(value: "the whitespace pre-tokenizer in GGUF"))
        }
        guard normalizers.isEmpty else {
            throw TokenizerError(path: "<gguf export>", reason: .unsupported(value: "normalizers in GGUF"))
        }
        guard !ignoresMerges else { throw TokenizerError(path: "<gguf export>", reason: .unsupported(value: "ignore_merges in GGUF")) }
        var types = [Int32](repeating: 1, count: vocabularySize)
        for added in addedTokens { types[added.id] = added.special ? 3 : 4 }
        var entries: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .array(.string(tokens))),
            ("tokenizer.ggml.token_type", .array(.int32(types))),
            ("tokenizer.ggml.merges", .array(.string(mergePairs.map { "\($0.0) \($0.1)" }))),
        ]
        if let bosTokenID { entries.append(("tokenizer.ggml.bos_token_id", .uint32(UInt32(bosTokenID)))) }
        if let eosTokenID { entries.append(("tokenizer.ggml.eos_token_id", .uint32(UInt32(eosTokenID)))) }
        if let padTokenID { entries.append(("tokenizer.ggml.padding_token_id", .uint32(UInt32(padTokenID)))) }
        if let chatTemplate { entries.append(("tokenizer.chat_template", .string(chatTemplate))) }
        return entries
    }
}
