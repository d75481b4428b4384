import Foundation

/// A tokenizer file that cannot be used, naming the file, the field or line, what is wrong and
/// a hint.
///
/// ```
/// vocab.bpe: line 17: expected two tokens separated by one space, found "Ġt"
/// ```
public struct TokenizerError: Error, LocalizedError, Equatable, Sendable {
    /// What is wrong.
    public enum Reason: Equatable, Sendable {
        /// The file could not be read (system reason).
        case io(String)
        /// The file is not valid JSON (parser reason).
        case invalidJSON(String)
        /// A required field is absent.
        case missingField
        /// The field has another type or shape than expected (`expected` says which).
        case wrongType(expected: String)
        /// A value of this field is not supported yet (`value` names it).
        case unsupported(value: String)
        /// `model.type` is not `BPE` (e.g. `WordPiece`).
        case unsupportedModelType(String)
        /// A merge line or entry is not two tokens.
        case malformedMerge(String)
        /// A merge names a token (or yields a merged token) that is not in the vocabulary.
        case unknownToken(String)
        /// Two ids for one token, or an id outside `0..<vocabularySize`.
        case invalidID(Int)
        /// No tokenizer file was found in the folder.
        case notFound
    }

    /// The file read.
    public let path: String
    /// The JSON field, GGUF key or file line involved, if any (e.g. `model.merges[17]`, `line 3`).
    public let field: String?
    /// What is wrong.
    public let reason: Reason

    public init(path: String, field: String? = nil, reason: Reason) {
        self.path = path
        self.field = field
        self.reason = reason
    }

    public var errorDescription: String? {
        var text = (path as NSString).lastPathComponent
        if let field { text += ": \(field)" }
        text += ": "
        switch reason {
        case .io(let why): text += "cannot read the file (\(why))"
        case .invalidJSON(let why): text += "not valid JSON (\(why)) — the file may be truncated"
        case .missingField: text += "required field is missing"
        case .wrongType(let expected): text += "expected \(expected)"
        case .unsupported(let value): text += "\(value) is not supported by Lore's tokenizer yet"
        case .unsupportedModelType(let type):
            text += "unsupported model type '\(type)': Lore reads byte-level BPE tokenizers only"
        case .malformedMerge(let found): text += "expected two tokens separated by one space, found \(found.debugDescription)"
        case .unknownToken(let token): text += "token \(token.debugDescription) is not in the vocabulary"
        case .invalidID(let id): text += "token id \(id) is duplicated or outside the vocabulary"
        case .notFound: text += "no tokenizer.json, encoder.json + vocab.bpe, or .gguf found"
        }
        return text
    }
}
