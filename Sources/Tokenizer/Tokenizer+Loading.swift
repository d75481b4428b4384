import Foundation
import GGUF

/// Loading GPT-2 `encoder.json` + `vocab.bpe`, and choosing a loader by file or folder.
extension Tokenizer {
    /// Loads a tokenizer from a `tokenizer.json`, a `.gguf`, an `encoder.json` (with `vocab.bpe`
    /// beside it), or a folder searched recursively for `tokenizer.json`, then `encoder.json` +
    /// `vocab.bpe`, then a `.gguf`.
    public init(contentsOf url: URL) throws(TokenizerError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw TokenizerError(path: url.path, reason: .io("no such file"))
        }
        if isFolder.boolValue {
            let files = (FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)?
                .compactMap { $0 as? URL } ?? []).sorted { $0.path < $1.path }
            if let json = files.first(where: { $0.lastPathComponent == "tokenizer.json" }) {
                try self.init(huggingFaceJSON: json)
            } else if let encoder = files.first(where: { $0.lastPathComponent == "encoder.json" }) {
                try self.init(gpt2Encoder: encoder, merges: encoder.deletingLastPathComponent().appendingPathComponent("vocab.bpe"))
            } else if let gguf = files.first(where: { $0.pathExtension == "gguf" }) {
                try self.init(gguf: gguf)
            } else {
                throw TokenizerError(path: url.path, reason: .notFound)
            }
        } else if url.pathExtension == "gguf" {
            try self.init(gguf: url)
        } else if url.lastPathComponent == "encoder.json" {
            try self.init(gpt2Encoder: url, merges: url.deletingLastPathComponent().appendingPathComponent("vocab.bpe"))
        } else {
            try self.init(huggingFaceJSON: url)
        }
    }

    /// Loads OpenAI's GPT-2 files: `encoder.json` (a JSON object token → id, byte-level strings)
    /// and `vocab.bpe` (a `#version` line, then one merge per line: two tokens and one space).
    /// `<|endoftext|>` becomes a special added token; the pre-tokenizer is ``PreTokenizer/gpt2``.
    public init(gpt2Encoder encoderURL: URL, merges mergesURL: URL) throws(TokenizerError) {
        let object = try readJSON(encoderURL)
        guard let encoder = object as? [String: Any] else {
            throw TokenizerError(path: encoderURL.path, reason: .wrongType(expected: "a JSON object token → id"))
        }
        let vocabulary = try denseVocabulary(encoder, path: encoderURL.path, field: "encoder")
        let text = try readText(mergesURL)
        var merges: [(String, String)] = []
        var lineNumbers: [Int] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty || (index == 0 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError(path: mergesURL.path, field: "line \(index + 1)", reason: .malformedMerge(String(line)))
            }
            merges.append((String(parts[0]), String(parts[1])))
            lineNumbers.append(index + 1)
        }
        var added: [AddedToken] = []
        if let id = encoder["<|endoftext|>"] as? Int { added.append(AddedToken(id: id, content: "<|endoftext|>")) }
        try self.init(vocabulary: vocabulary, merges: merges, addedTokens: added, preTokenizer: .gpt2,
                      path: mergesURL.path, mergeField: { "line \(lineNumbers[$0])" })
        if let id = added.first?.id { bosTokenID = id; eosTokenID = id }
    }

    /// Loads the tokenizer stored in GGUF metadata (llama.cpp's `gpt2` tokenizer model):
    /// `tokenizer.ggml.tokens` (byte-level strings by id), `tokenizer.ggml.merges` (`"a b"`),
    /// `tokenizer.ggml.token_type` (3 control and 4 user-defined become added tokens),
    /// `tokenizer.ggml.pre` (`gpt2`, `smollm`, `llama-bpe`, …), `bos/eos/padding_token_id`
    /// and `tokenizer.chat_template`.
    public init(gguf url: URL) throws(TokenizerError) {
        let file: GGUFFile
        do { file = try GGUFFile(url: url) } catch {
            throw TokenizerError(path: url.path, field: error.key, reason: .io(error.localizedDescription))
        }
        func read<T>(_ key: String, _ body: (String) throws(GGUFError) -> T) throws(TokenizerError) -> T {
            do { return try body(key) } catch {
                if case .missingKey = error.reason { throw TokenizerError(path: url.path, field: key, reason: .missingField) }
                throw TokenizerError(path: url.path, field: key, reason: .wrongType(expected: error.localizedDescription))
            }
        }
        let model = try read("tokenizer.ggml.model", file.string)
        guard model == "gpt2" else { throw TokenizerError(path: url.path, field: "tokenizer.ggml.model", reason: .unsupportedModelType(model)) }
        let tokens = try read("tokenizer.ggml.tokens", file.stringArray)
        let mergeLines = try read("tokenizer.ggml.merges", file.stringArray)
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeLines.count)
        for (index, line) in mergeLines.enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError(path: url.path, field: "tokenizer.ggml.merges[\(index)]", reason: .malformedMerge(line))
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        var added: [AddedToken] = []
        if file["tokenizer.ggml.token_type"] != nil {
            let types = try read("tokenizer.ggml.token_type", file.intArray)
            guard types.count == tokens.count else {
                throw TokenizerError(path: url.path, field: "tokenizer.ggml.token_type",
                                     reason: .wrongType(expected: "\(tokens.count) entries, one per token, found \(types.count)"))
            }
            for (id, type) in types.enumerated() where type == 3 || type == 4 {
                added.append(AddedToken(id: id, content: tokens[id], special: type == 3))
            }
        }
        let preName = file["tokenizer.ggml.pre"] == nil ? "default" : try read("tokenizer.ggml.pre", file.string)
        let pre: PreTokenizer
        switch preName {
        case "default", "gpt2", "gpt-2": pre = .gpt2
        case "smollm": pre = .smolLM
        case "llama-bpe", "llama3", "llama-v3": pre = .llama3
        default: throw TokenizerError(path: url.path, field: "tokenizer.ggml.pre", reason: .unsupported(value: "pre-tokenizer '\(preName)'"))
        }
        try self.init(vocabulary: tokens, merges: merges, addedTokens: added, preTokenizer: pre, path: url.path,
                      mergeField: { "tokenizer.ggml.merges[\($0)]" })
        func optionalID(_ key: String) throws(TokenizerError) -> Int? {
            file[key] == nil ? nil : try read(key, file.int)
        }
        bosTokenID = try optionalID("tokenizer.ggml.bos_token_id")
        eosTokenID = try optionalID("tokenizer.ggml.eos_token_id")
        padTokenID = try optionalID("tokenizer.ggml.padding_token_id")
        chatTemplate = file["tokenizer.chat_template"] == nil ? nil : try read("tokenizer.chat_template", file.string)
    }
}

func readData(_ url: URL) throws(TokenizerError) -> Data {
    do { return try Data(contentsOf: url) } catch {
        throw TokenizerError(path: url.path, reason: .io(error.localizedDescription))
    }
}

func readText(_ url: URL) throws(TokenizerError) -> String {
    let data = try readData(url)
    guard let text = String(data: data, encoding: .utf8) else {
        throw TokenizerError(path: url.path, reason: .io("the file is not valid UTF-8"))
    }
    return text
}

func readJSON(_ url: URL) throws(TokenizerError) -> Any {
    let data = try readData(url)
    do { return try JSONSerialization.jsonObject(with: data) } catch {
        throw TokenizerError(path: url.path, reason: .invalidJSON(error.localizedDescription))
    }
}

/// Token strings by id from a JSON object token → id whose ids are exactly `0..<count`
/// (`extra` fills ids the object lacks, e.g. added tokens).
func denseVocabulary(_ object: [String: Any], path: String, field: String,
                     extra: [Int: String] = [:]) throws(TokenizerError) -> [String] {
    var maxID = extra.keys.max() ?? -1
    var pairs: [(String, Int)] = []
    pairs.reserveCapacity(object.count)
    for (token, value) in object {
        guard let id = value as? Int else {
            throw TokenizerError(path: path, field: "\(field)[\(token.debugDescription)]", reason: .wrongType(expected: "an integer id"))
        }
        guard id >= 0 && id < 10_000_000 else {
            throw TokenizerError(path: path, field: "\(field)[\(token.debugDescription)]", reason: .invalidID(id))
        }
        pairs.append((token, id))
        maxID = max(maxID, id)
    }
    var vocabulary = [String?](repeating: nil, count: maxID + 1)
    for (token, id) in pairs {
        guard vocabulary[id] == nil else { throw TokenizerError(path: path, field: "\(field)[\(token.debugDescription)]", reason: .invalidID(id)) }
        vocabulary[id] = token
    }
    for (id, token) in extra where vocabulary[id] == nil { vocabulary[id] = token }
    if let gap = vocabulary.firstIndex(where: { $0 == nil }) {
        throw TokenizerError(path: path, field: field, reason: .invalidID(gap))
    }
    return vocabulary.map { $0! }
}
