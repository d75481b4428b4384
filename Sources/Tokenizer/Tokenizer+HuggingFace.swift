import Foundation

/// Loading Hugging Face `tokenizer.json` (the `tokenizers` library's serialization).
extension Tokenizer {
    /// Loads a Hugging Face `tokenizer.json` with a byte-level BPE model.
    ///
    /// Read: `model` (`type` `BPE`, `vocab` token → id, `merges` as `"a b"` strings or
    /// `["a","b"]` pairs, `ignore_merges`), `added_tokens` (`id`, `content`, `special`),
    /// `pre_tokenizer` (`ByteLevel`, `Split` with the GPT-2 / Llama-3 pattern or `\p{N}`, `Digits`,
    /// `WhitespaceSplit`, or a `Sequence` of them, recognised as one ``PreTokenizer``),
    /// `normalizer` (null, NFC, NFKC, NFD, NFKD, Lowercase, or a Sequence of them), `decoder` (null or `ByteLevel`). Anything else is a
    /// ``TokenizerError`` naming the field; `post_processor` is ignored (no BOS is added).
    public init(huggingFaceJSON url: URL) throws(TokenizerError) {
        let path = url.path
        guard let root = try readJSON(url) as? [String: Any] else {
            throw TokenizerError(path: path, reason: .wrongType(expected: "a JSON object"))
        }
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError(path: path, field: "model", reason: root["model"] == nil ? .missingField : .wrongType(expected: "an object"))
        }
        let type = model["type"] as? String ?? (model["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else { throw TokenizerError(path: path, field: "model.type", reason: .unsupportedModelType(type)) }
        if model["byte_fallback"] as? Bool == true {
            throw TokenizerError(path: path, field: "model.byte_fallback", reason: .unsupported(value: "byte_fallback true"))
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key] as? String, !value.isEmpty {
                throw TokenizerError(path: path, field: "model.\(key)", reason: .unsupported(value: value.debugDescription))
            }
        }
        if let dropout = model["dropout"], !(dropout is NSNull) {
            throw TokenizerError(path: path, field: "model.dropout", reason: .unsupported(value: "BPE dropout"))
        }

        // Added tokens.
        var added: [AddedToken] = []
        if let list = root["added_tokens"], !(list is NSNull) {
            guard let entries = list as? [Any] else {
                throw TokenizerError(path: path, field: "added_tokens", reason: .wrongType(expected: "an array"))
            }
            for (index, entry) in entries.enumerated() {
                guard let object = entry as? [String: Any], let id = object["id"] as? Int,
                      let content = object["content"] as? String else {
                    throw TokenizerError(path: path, field: "added_tokens[\(index)]",
                                         reason: .wrongType(expected: "an object with integer id and string content"))
                }
                added.append(AddedToken(id: id, content: content, special: object["special"] as? Bool ?? false))
            }
        }

        // Vocabulary and merges.
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError(path: path, field: "model.vocab", reason: model["vocab"] == nil ? .missingField : .wrongType(expected: "an object token → id"))
        }
        var extra: [Int: String] = [:]
        for token in added { extra[token.id] = token.content }
        let vocabulary = try denseVocabulary(vocab, path: path, field: "model.vocab", extra: extra)
        guard let mergeList = model["merges"] as? [Any] else {
            throw TokenizerError(path: path, field: "model.merges", reason: model["merges"] == nil ? .missingField : .wrongType(expected: "an array"))
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeList.count)
        for (index, entry) in mergeList.enumerated() {
            if let line = entry as? String {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw TokenizerError(path: path, field: "model.merges[\(index)]", reason: .malformedMerge(line))
                }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = entry as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                merges.append((left, right))
            } else {
                throw TokenizerError(path: path, field: "model.merges[\(index)]", reason: .malformedMerge("\(entry)"))
            }
        }

        // Normalizer, pre-tokenizer, decoder.
        let normalizers = try Normalizer.parse(root["normalizer"], path: path)
        let pre = try Self.recognise(root["pre_tokenizer"], path: path)
        if let decoder = root["decoder"], !(decoder is NSNull) {
            let name = (decoder as? [String: Any])?["type"] as? String ?? "\(decoder)"
            guard name == "ByteLevel" else {
                throw TokenizerError(path: path, field: "decoder.type", reason: .unsupported(value: "decoder \(name)"))
            }
        }
        try self.init(vocabulary: vocabulary, merges: merges, addedTokens: added, preTokenizer: pre,
                      ignoreMerges: model["ignore_merges"] as? Bool ?? false, path: path,
                      mergeField: { "model.merges[\($0)]" })
        self.normalizers = normalizers
        let config = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: config.path) {
            try applyConfig(config)
        }
    }

    /// Reads the special-token names and the chat template of a `tokenizer_config.json`
    /// beside `tokenizer.json`, as `transformers` does: `bos_token`, `eos_token`, `pad_token`
    /// (a string, or an object with `content`), and `chat_template` (a string, or a list of
    /// `{name, template}` from which the one named `default` — else the first — is taken).
    mutating func applyConfig(_ url: URL) throws(TokenizerError) {
        let path = url.path
        guard let root = try readJSON(url) as? [String: Any] else {
            throw TokenizerError(path: path, reason: .wrongType(expected: "a JSON object"))
        }
        func tokenID(_ field: String) throws(TokenizerError) -> Int? {
            guard let value = root[field], !(value is NSNull) else { return nil }
            let content: String
            if let text = value as? String {
                content = text
            } else if let object = value as? [String: Any], let text = object["content"] as? String {
                content = text
            } else {
                throw TokenizerError(path: path, field: field, reason: .wrongType(expected: "a string or an object with \"content\""))
            }
            guard let id = id(for: content) else {
                throw TokenizerError(path: path, field: field, reason: .unknownToken(content))
            }
            return id
        }
        if let id = try tokenID("bos_token") { bosTokenID = id }
        if let id = try tokenID("eos_token") { eosTokenID = id }
        if let id = try tokenID("pad_token") { padTokenID = id }
        switch root["chat_template"] {
        case nil, is NSNull:
            break
        case let template as String:
            chatTemplate = template
        case let list as [[String: Any]]:
            let chosen = list.first { $0["name"] as? String == "default" } ?? list.first
            guard let template = chosen?["template"] as? String else {
                throw TokenizerError(path: path, field: "chat_template", reason: .wrongType(expected: "a list of {name, template} objects"))
            }
            chatTemplate = template
        default:
            throw TokenizerError(path: path, field: "chat_template", reason: .wrongType(expected: "a string or a list of {name, template} objects"))
        }
    }

    /// One step of a Hugging Face pre-tokenizer, as far as Lore understands it.
    private enum Step: Equatable {
        case byteLevel(regex: Bool)
        case split(PreTokenizer)
        case digits
        case whitespaceSplit
    }

    /// Maps the `pre_tokenizer` JSON to a ``PreTokenizer`` by recognising known combinations.
    private static func recognise(_ json: Any?, path: String) throws(TokenizerError) -> PreTokenizer {
        var steps: [Step] = []
        func visit(_ node: Any?, field: String) throws(TokenizerError) {
            guard let object = node as? [String: Any], let type = object["type"] as? String else {
                throw TokenizerError(path: path, field: field, reason: node == nil || node is NSNull ? .missingField : .wrongType(expected: "an object with a type"))
            }
            switch type {
            case "Sequence":
                guard let list = object["pretokenizers"] as? [Any] else {
                    throw TokenizerError(path: path, field: field + ".pretokenizers", reason: .wrongType(expected: "an array"))
                }
                for (index, item) in list.enumerated() { try visit(item, field: field + ".pretokenizers[\(index)]") }
            case "ByteLevel":
                if object["add_prefix_space"] as? Bool == true {
                    throw TokenizerError(path: path, field: field + ".add_prefix_space", reason: .unsupported(value: "add_prefix_space true"))
                }
                steps.append(.byteLevel(regex: object["use_regex"] as? Bool ?? true))
            case "Digits":
                guard object["individual_digits"] as? Bool == true else {
                    throw TokenizerError(path: path, field: field + ".individual_digits", reason: .unsupported(value: "Digits without individual_digits"))
                }
                steps.append(.digits)
            case "WhitespaceSplit":
                steps.append(.whitespaceSplit)
            case "Split":
                let pattern = (object["pattern"] as? [String: Any])?["Regex"] as? String
                let behavior = object["behavior"] as? String ?? ""
                if object["invert"] as? Bool == true {
                    throw TokenizerError(path: path, field: field + ".invert", reason: .unsupported(value: "invert true"))
                }
                if let pattern, behavior == "Isolated",
                   let known = [PreTokenizer.gpt2, .llama3].first(where: { $0.pattern == pattern }) {
                    steps.append(.split(known))
                } else if (pattern == #"\p{N}"# || pattern == #"\d"#) && behavior == "Isolated" {
                    steps.append(.digits)
                } else {
                    throw TokenizerError(path: path, field: field + ".pattern",
                                         reason: .unsupported(value: "Split pattern \((pattern ?? "?").debugDescription) (\(behavior))"))
                }
            default:
                throw TokenizerError(path: path, field: field + ".type", reason: .unsupported(value: "pre-tokenizer \(type)"))
            }
        }
        try visit(json, field: "pre_tokenizer")
        switch steps {
        case [.byteLevel(regex: true)], [.split(.gpt2), .byteLevel(regex: false)]: return .gpt2
        case [.split(.llama3), .byteLevel(regex: false)]: return .llama3
        case [.digits, .byteLevel(regex: true)]: return .smolLM
        case [.whitespaceSplit]: return .whitespace
        default:
            throw TokenizerError(path: path, field: "pre_tokenizer", reason: .unsupported(value: "this combination of pre-tokenizers"))
        }
    }
}
