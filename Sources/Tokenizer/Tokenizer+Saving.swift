import Foundation

/// Saving as a Hugging Face folder: `tokenizer.json` and `tokenizer_config.json`.
extension Tokenizer {
    /// Writes `tokenizer.json` and `tokenizer_config.json` into `folder` (created if missing),
    /// each written to a temporary file first and renamed into place, so a reader never sees half a
    /// file.
    ///
    /// `tokenizer.json` is what ``init(huggingFaceJSON:)`` and Hugging Face `tokenizers`
    /// (`Tokenizer.from_file`) load: `model` (`BPE`, `vocab` token → id in id order, `merges` as
    /// `["a","b"]` pairs in rank order, `ignore_merges`), `added_tokens`, `pre_tokenizer`
    /// (``PreTokenizer/gpt2``: `ByteLevel(use_regex=true)`; ``PreTokenizer/smolLM``:
    /// `Sequence[Digits(individual_digits=true), ByteLevel(use_regex=true)]`;
    /// ``PreTokenizer/llama3``: `Sequence[Split(pattern, Isolated), ByteLevel(use_regex=false)]`;
    /// ``PreTokenizer/whitespace``: `WhitespaceSplit`), `post_processor` and `decoder` `ByteLevel`.
    /// `tokenizer_config.json` names `bos_token`, `eos_token`, `pad_token` (when known),
    /// `chat_template` (when present), `model_max_length` (when given) and `added_tokens_decoder`
    /// for `transformers`' `PreTrainedTokenizerFast`.
    ///
    /// - Parameters:
    ///   - folder: the output folder.
    ///   - modelMaxLength: the context length written as `model_max_length`; nil leaves it out
    ///     (transformers then assumes no limit). Default nil.
    /// - Throws: ``TokenizerError`` (`.io`) when the folder or a file cannot be written, or
    ///   (`.invalidID`) when two ids share one token string (a JSON `vocab` cannot hold both).
    public func save(to folder: URL, modelMaxLength: Int? = nil) throws(TokenizerError) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw TokenizerError(path: folder.path, reason: .io(error.localizedDescription))
        }
        let jsonURL = folder.appendingPathComponent("tokenizer.json")
        try writeAtomically(try huggingFaceJSON(path: jsonURL.path), to: jsonURL)
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        try writeAtomically(huggingFaceConfig(modelMaxLength: modelMaxLength), to: configURL)
    }

    /// Merge pairs as token strings in rank order (duplicate pairs, which never apply, left out).
    public var mergePairs: [(String, String)] {
        model.merges.sorted { $0.value < $1.value }.map { key, _ in
            (tokens[Int(key >> 32)], tokens[Int(key & 0xFFFF_FFFF)])
        }
    }

    /// Whether a piece that is itself a token skips merging (Hugging Face `ignore_merges`).
    public var ignoresMerges: Bool { model.pieceIDs != nil }

    /// The text of `tokenizer.json`.
    func huggingFaceJSON(path: String = "<memory>") throws(TokenizerError) -> String {
        var seen: [String: Int] = [:]
        for (id, token) in tokens.enumerated() {
            if seen[token] != nil { throw TokenizerError(path: path, field: "model.vocab[\(token.debugDescription)]", reason: .invalidID(id)) }
            seen[token] = id
        }
        var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for (index, added) in addedTokens.enumerated() {
            out += index == 0 ? "\n    " : ",\n    "
            out += "{\"id\": \(added.id), \"content\": \(jsonString(added.content)), \"single_word\": false, "
            out += "\"lstrip\": false, \"rstrip\": false, \"normalized\": \(!added.special), \"special\": \(added.special)}"
        }
        out += addedTokens.isEmpty ? "],\n" : "\n  ],\n"
        out += "  \"normalizer\": \(Normalizer.json(normalizers)),\n  \"pre_tokenizer\": \(preTokenizerJSON),\n"
        out += "  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false},\n"
        out += "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false},\n"
        out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
        out += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
        out += "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": \(ignoresMerges),\n"
        out += "    \"vocab\": {"
        for (id, token) in tokens.enumerated() {
            out += id == 0 ? "\n      " : ",\n      "
            out += "\(jsonString(token)): \(id)"
        }
        out += tokens.isEmpty ? "},\n" : "\n    },\n"
        out += "    \"merges\": ["
        for (index, (left, right)) in mergePairs.enumerated() {
            out += index == 0 ? "\n      " : ",\n      "
            out += "[\(jsonString(left)), \(jsonString(right))]"
        }
        out += "\n    ]\n  }\n}\n"
        return out
    }

    /// The `pre_tokenizer` object for this tokenizer's ``PreTokenizer``, in the form
    /// ``init(huggingFaceJSON:)`` recognises.
    var preTokenizerJSON: String {
        let byteLevel = { (regex: Bool) in
            "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": \(regex)}"
        }
        switch preTokenizer {
        case .gpt2: return byteLevel(true)
        case .smolLM:
            return "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": true}, \(byteLevel(true))]}"
        case .llama3:
            return "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \(jsonString(PreTokenizer.llama3.pattern))}, "
                + "\"behavior\": \"Isolated\", \"invert\": false}, \(byteLevel(false))]}"
        case .whitespace: return "{\"type\": \"WhitespaceSplit\"}"
        }
    }

    /// The text of `tokenizer_config.json`.
    func huggingFaceConfig(modelMaxLength: Int?) -> String {
        var out = "{\n  \"added_tokens_decoder\": {"
        for (index, added) in addedTokens.enumerated() {
            out += index == 0 ? "\n    " : ",\n    "
            out += "\"\(added.id)\": {\"content\": \(jsonString(added.content)), \"lstrip\": false, \"normalized\": \(!added.special), "
            out += "\"rstrip\": false, \"single_word\": false, \"special\": \(added.special)}"
        }
        out += addedTokens.isEmpty ? "},\n" : "\n  },\n"
        for (key, id) in [("bos_token", bosTokenID), ("eos_token", eosTokenID), ("pad_token", padTokenID)] {
            if let id, tokens.indices.contains(id) { out += "  \"\(key)\": \(jsonString(tokens[id])),\n" }
        }
        if let chatTemplate { out += "  \"chat_template\": \(jsonString(chatTemplate)),\n" }
        if let modelMaxLength { out += "  \"model_max_length\": \(modelMaxLength),\n" }
        out += "  \"clean_up_tokenization_spaces\": false,\n  \"tokenizer_class\": \"PreTrainedTokenizerFast\"\n}\n"
        return out
    }
}

/// A JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`… or `\u00XX`,
/// everything else as raw UTF-8 (as serde_json writes it).
func jsonString(_ text: String) -> String {
    var out = "\""
    out.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 2)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// Writes `text` to a temporary file beside `url`, then renames it over `url`.
func writeAtomically(_ text: String, to url: URL) throws(TokenizerError) {
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    do {
        try Data(text.utf8).write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw TokenizerError(path: url.path, reason: .io(reason))
        }
    } catch let error as TokenizerError {
        throw error
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw TokenizerError(path: url.path, reason: .io(error.localizedDescription))
    }
}
