import Foundation

/// A byte-level BPE tokenizer (GPT-2, SmolLM, Llama 3 …): text or bytes to token ids and back.
///
/// Encoding runs three stages, as Hugging Face `tokenizers` does:
/// 1. added (special) tokens such as `<|im_start|>` are found in the raw bytes first, leftmost and
///    longest first, and become their ids directly (unless `parseSpecialTokens` is false);
/// 2. the text between them is cut into pieces by the ``PreTokenizer``;
/// 3. each piece's bytes are merged by ranked byte-pair merges.
///
/// Any byte sequence, valid UTF-8 or not, encodes, and `decode(encode(bytes: b)) == b` when the
/// vocabulary has a token for each of the 256 bytes (GPT-2's does). A byte without a token is
/// dropped, as Hugging Face does (SmolLM2 lacks 21 bytes, e.g. 0x04 and 0xC0, 0xC1, 0xF5…0xFF).
///
/// ```swift
/// let tokenizer = try Tokenizer(contentsOf: URL(fileURLWithPath: "model.gguf"))
/// let ids = tokenizer.encode("Hello world")          // [19556, 905] with SmolLM2
/// let text = tokenizer.decodeText(ids)                 // "Hello world"
/// ```
public struct Tokenizer: Sendable {
    /// A token matched in the raw text before pre-tokenization (Hugging Face `added_tokens`,
    /// GGUF control and user-defined tokens). Its `content` is literal text, not byte-level.
    public struct AddedToken: Sendable, Equatable {
        public var id: Int
        public var content: String
        /// True for control tokens (`<|im_end|>`), which `decode(_:skipSpecialTokens:)` can drop.
        public var special: Bool
        public init(id: Int, content: String, special: Bool = true) {
            self.id = id
            self.content = content
            self.special = special
        }
    }

    /// How text is cut into pieces before merging.
    public var preTokenizer: PreTokenizer
    /// Tokens matched before BPE, in id order.
    public let addedTokens: [AddedToken]
    /// Beginning-of-sequence token id, when the file names one (not added by `encode`).
    public var bosTokenID: Int?
    /// End-of-sequence token id, when the file names one.
    public var eosTokenID: Int?
    /// Padding token id, when the file names one.
    public var padTokenID: Int?
    /// The Jinja chat template string stored with the tokenizer, if any (render it with
    /// ``applyChatTemplate(_:addGenerationPrompt:extra:)``).
    public var chatTemplate: String?
    /// Normalizations applied, in order, to the text between added tokens before
    /// pre-tokenization (from `tokenizer.json`'s `normalizer`; empty for GPT-2 and GGUF files).
    public var normalizers: [Normalizer] = []

    let model: BytePairEncoding
    /// Vocabulary strings as stored (byte-level for ordinary tokens), indexed by id.
    let tokens: [String]
    /// The bytes each id decodes to.
    let tokenBytes: [[UInt8]]
    let tokenIDs: [String: Int32]
    let isSpecial: [Bool]
    /// Added tokens by first byte, longest first: `(bytes, id)`.
    let addedByFirstByte: [[([UInt8], Int32)]]

    /// Number of ids (the vocabulary plus added tokens).
    public var vocabularySize: Int { tokens.count }

    /// Builds a tokenizer from its parts.
    /// - Parameters:
    ///   - vocabulary: token strings indexed by id, byte-level encoded (`Ġthe`); added tokens'
    ///     entries hold their literal content.
    ///   - merges: merge pairs in rank order, as token strings (`("Ġ", "t")`).
    ///   - addedTokens: tokens matched before BPE; their ids must be inside `vocabulary`.
    ///   - preTokenizer: how text is cut before merging.
    ///   - ignoreMerges: emit a piece that is itself a vocabulary token without merging
    ///     (Hugging Face `ignore_merges`, used by Llama 3). Default false.
    ///   - path: the file named in errors.
    ///   - mergeField: names merge `i` in errors (e.g. `"line \(i + 2)"`). Default `merges[i]`.
    /// - Throws: ``TokenizerError`` when a merge names an unknown token or an added token's id is
    ///   outside the vocabulary.
    public init(vocabulary: [String], merges: [(String, String)], addedTokens: [AddedToken] = [],
                preTokenizer: PreTokenizer, ignoreMerges: Bool = false, path: String = "<memory>",
                mergeField: (Int) -> String = { "merges[\($0)]" }) throws(TokenizerError) {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (id, token) in vocabulary.enumerated() where ids[token] == nil { ids[token] = Int32(id) }
        var special = [Bool](repeating: false, count: vocabulary.count)
        var bytes = vocabulary.map { ByteLevel.decode($0) ?? Array($0.utf8) }
        var byFirst = [[([UInt8], Int32)]](repeating: [], count: 256)
        for added in addedTokens {
            guard added.id >= 0 && added.id < vocabulary.count else {
                throw TokenizerError(path: path, field: "added token \(added.content.debugDescription)", reason: .invalidID(added.id))
            }
            let content = Array(added.content.utf8)
            bytes[added.id] = content
            special[added.id] = added.special
            ids[added.content] = Int32(added.id)
            if let first = content.first { byFirst[Int(first)].append((content, Int32(added.id))) }
        }
        for i in 0..<256 { byFirst[i].sort { $0.0.count > $1.0.count } }

        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 { byteIDs[byte] = ids[String(ByteLevel.scalars[byte])] ?? -1 }
        var resolved: [(Int32, Int32, Int32)] = []
        resolved.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let l = ids[left] else { throw TokenizerError(path: path, field: mergeField(rank), reason: .unknownToken(left)) }
            guard let r = ids[right] else { throw TokenizerError(path: path, field: mergeField(rank), reason: .unknownToken(right)) }
            guard let m = ids[left + right] else {
                throw TokenizerError(path: path, field: mergeField(rank), reason: .unknownToken(left + right))
            }
            resolved.append((l, r, m))
        }
        var pieceIDs: [[UInt8]: Int32]? = nil
        if ignoreMerges {
            var table: [[UInt8]: Int32] = [:]
            for (id, token) in vocabulary.enumerated() where !special[id] {
                if let raw = ByteLevel.decode(token), table[raw] == nil { table[raw] = Int32(id) }
            }
            pieceIDs = table
        }
        self.preTokenizer = preTokenizer
        self.addedTokens = addedTokens.sorted { $0.id < $1.id }
        self.model = BytePairEncoding(byteIDs: byteIDs, merges: resolved, pieceIDs: pieceIDs)
        self.tokens = vocabulary
        self.tokenBytes = bytes
        self.tokenIDs = ids
        self.isSpecial = special
        self.addedByFirstByte = byFirst
    }

    /// The same tokenizer with another pre-tokenizer.
    public func withPreTokenizer(_ preTokenizer: PreTokenizer) -> Tokenizer {
        var copy = self
        copy.preTokenizer = preTokenizer
        return copy
    }

    // MARK: Lookup

    /// The id of a token string (byte-level for ordinary tokens, literal for added ones).
    public func id(for token: String) -> Int? { tokenIDs[token].map(Int.init) }

    /// The stored string of a token id, or nil outside the vocabulary.
    public func token(for id: Int) -> String? { tokens.indices.contains(id) ? tokens[id] : nil }

    // MARK: Decoding

    /// The bytes of `ids` concatenated.
    /// - Parameters:
    ///   - ids: token ids, each in `0..<vocabularySize` (stops the program otherwise).
    ///   - skipSpecialTokens: drop special added tokens. Default false.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            guard id >= 0 && id < tokenBytes.count else {
                fatalError("Tokenizer.decode: token id \(id) is outside the vocabulary 0..<\(tokenBytes.count)")
            }
            if skipSpecialTokens && isSpecial[id] { continue }
            bytes.append(contentsOf: tokenBytes[id])
        }
        return bytes
    }

    /// The text of `ids`; bytes that are not valid UTF-8 become U+FFFD.
    public func decodeText(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        String(decoding: decode(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    /// The bytes one id decodes to.
    public func bytes(of id: Int) -> [UInt8] {
        guard id >= 0 && id < tokenBytes.count else {
            fatalError("Tokenizer.bytes(of:): token id \(id) is outside the vocabulary 0..<\(tokenBytes.count)")
        }
        return tokenBytes[id]
    }
}
