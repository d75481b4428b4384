/// Settings of PII redaction (JSON key `pii`).
public struct PIIConfig: Codable, Sendable, Equatable {
    /// `types` (default: all): placeholder names of ``PIIType`` (`"EMAIL"`, `"PHONE"`,
    /// `"IP_ADDRESS"`, `"CREDIT_CARD"`, `"US_SSN"`, `"IBAN"`, `"SECRET"`, `"URL_CREDENTIALS"`).
    public var types: [String]
    /// `mode` (default `"replace"`, NeMo Curator's default): `"replace"` → `<EMAIL>`,
    /// `"mask"` → `*****`, `"hash"` → `<EMAIL:1f3a…>` (salted).
    public var mode: String
    /// `mask_character` (default `"*"`) and `keep_separators` (default false) for `mask`.
    public var maskCharacter: String
    public var keepSeparators: Bool
    /// `salt` (default `""`) and `hex_digits` (default 16) for `hash`.
    public var salt: String
    public var hexDigits: Int

    public init(types: [String] = PIIType.allCases.map(\.rawValue), mode: String = "replace", maskCharacter: String = "*",
                keepSeparators: Bool = false, salt: String = "", hexDigits: Int = 16) {
        self.types = types
        self.mode = mode
        self.maskCharacter = maskCharacter
        self.keepSeparators = keepSeparators
        self.salt = salt
        self.hexDigits = hexDigits
    }

    enum CodingKeys: String, CodingKey {
        case types, mode, maskCharacter = "mask_character", keepSeparators = "keep_separators", salt, hexDigits = "hex_digits"
    }

    /// The redactor these settings describe.
    /// - Throws: ``CurationError/invalidSetting(key:reason:)`` for an unknown type or mode.
    public func redactor() throws -> PIIRedactor {
        var set = Set<PIIType>()
        for name in types {
            guard let type = PIIType(rawValue: name) else {
                throw CurationError.invalidSetting(key: "pii.types", reason: "unknown type \"\(name)\" (known: \(PIIType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            set.insert(type)
        }
        switch mode {
        case "replace": return PIIRedactor(types: set, mode: .replace)
        case "mask":
            guard maskCharacter.count == 1, let character = maskCharacter.first else {
                throw CurationError.invalidSetting(key: "pii.mask_character", reason: "must be one character, got \"\(maskCharacter)\"")
            }
            return PIIRedactor(types: set, mode: .mask(character: character, keepSeparators: keepSeparators))
        case "hash":
            guard (1...64).contains(hexDigits) else {
                throw CurationError.invalidSetting(key: "pii.hex_digits", reason: "must be in 1…64, got \(hexDigits)")
            }
            return PIIRedactor(types: set, mode: .hash(salt: salt, hexDigits: hexDigits))
        default:
            throw CurationError.invalidSetting(key: "pii.mode", reason: "\"\(mode)\" is not replace, mask or hash")
        }
    }
}

/// PII redaction (``PIIRedactor``) as a pipeline stage: each document's matches are rewritten
/// (modification reasons are the types found, e.g. `EMAIL`), and the summary counts matches
/// per type. Person names and postal addresses are not found (they need a trained NER model).
public final class PIIRedactionStage: Stage, @unchecked Sendable {
    public let name = "pii_redaction"
    public let redactor: PIIRedactor
    // Mutated only in the sequential part of `process`.
    private var matches: [PIIType: Int] = [:]

    public init(_ redactor: PIIRedactor = PIIRedactor()) {
        self.redactor = redactor
    }

    public func process(_ documents: inout [Document], workers: Int) -> [StageOutcome] {
        let texts = documents.map(\.text)
        let redactor = self.redactor
        let results = Parallel.map(count: texts.count, workers: workers) { index -> PIIRedaction? in
            let redaction = redactor.redact(texts[index])
            return redaction.matches.isEmpty ? nil : redaction
        }
        var outcomes: [StageOutcome] = []
        outcomes.reserveCapacity(documents.count)
        for (index, result) in results.enumerated() {
            guard let result else { outcomes.append(.kept); continue }
            documents[index].text = result.text
            for (type, count) in result.counts { matches[type, default: 0] += count }
            outcomes.append(.modified(reasons: result.counts.keys.sorted().map(\.rawValue)))
        }
        return outcomes
    }

    public func finish() -> [String] {
        guard !matches.isEmpty else { return ["no PII found"] }
        return ["matches: " + matches.keys.sorted().map { "\($0.rawValue) \(matches[$0]!)" }.joined(separator: ", ")]
    }
}
