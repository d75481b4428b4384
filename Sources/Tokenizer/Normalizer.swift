import Foundation

/// A text normalization applied before pre-tokenization, as Hugging Face `tokenizers`'
/// `normalizer` does (for example Qwen2's `NFC`).
///
/// Normalizers run on the text between added tokens (added tokens are matched on the raw text
/// first, as `tokenizers` does for tokens with `normalized: false`), in order.
public enum Normalizer: String, Sendable, Equatable, CaseIterable {
    /// Unicode canonical composition (`NFC`): `e` + U+0301 becomes `é`.
    case nfc = "NFC"
    /// Compatibility composition (`NFKC`): `ﬁ` becomes `fi`, `²` becomes `2`.
    case nfkc = "NFKC"
    /// Canonical decomposition (`NFD`).
    case nfd = "NFD"
    /// Compatibility decomposition (`NFKD`).
    case nfkd = "NFKD"
    /// Unicode lowercase (`Lowercase`).
    case lowercase = "Lowercase"

    /// `text` normalized.
    public func apply(_ text: String) -> String {
        switch self {
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase: return text.lowercased()
        }
    }

    /// Reads a `tokenizer.json` `normalizer` node: `null`, one of the types above, or a
    /// `Sequence` of them. Anything else is a typed error naming the field.
    static func parse(_ node: Any?, path: String, field: String = "normalizer") throws(TokenizerError) -> [Normalizer] {
        guard let node, !(node is NSNull) else { return [] }
        guard let object = node as? [String: Any], let type = object["type"] as? String else {
            throw TokenizerError(path: path, field: field, reason: .wrongType(expected: "an object with a \"type\""))
        }
        if type == "Sequence" {
            guard let list = object["normalizers"] as? [Any] else {
                throw TokenizerError(path: path, field: field + ".normalizers", reason: .wrongType(expected: "a list"))
            }
            var result: [Normalizer] = []
            for (i, item) in list.enumerated() {
                result += try parse(item, path: path, field: "\(field).normalizers[\(i)]")
            }
            return result
        }
        guard let normalizer = Normalizer(rawValue: type) else {
            throw TokenizerError(path: path, field: field + ".type", reason: .unsupported(value: "normalizer \(type)"))
        }
        return [normalizer]
    }

    /// The `tokenizer.json` form of a list of normalizers (`null`, one, or a `Sequence`).
    static func json(_ normalizers: [Normalizer]) -> String {
        switch normalizers.count {
        case 0: return "null"
        case 1: return "{\"type\": \"\(normalizers[0].rawValue)\"}"
        default:
            let items = normalizers.map { "{\"type\": \"\($0.rawValue)\"}" }.joined(separator: ", ")
            return "{\"type\": \"Sequence\", \"normalizers\": [\(items)]}"
        }
    }
}
