/// Settings of the cleaning stage. JSON keys are the snake_case names shown on each property;
/// a key left out of a config file keeps the default shown.
public struct CleaningConfig: Codable, Sendable, Equatable {
    /// `repair_mojibake` (default true): re-decode UTF-8 that was read as Windows-1252
    /// (``Mojibake``).
    public var repairMojibake = true
    /// `remove_control_characters` (default true): ``TextCleaner/removeControlCharacters(_:)``.
    public var removeControlCharacters = true
    /// `unicode_normalization` (default `"NFC"`; `"NFKC"` or `"none"`).
    public var unicodeNormalization = TextCleaner.NormalizationForm.nfc
    /// `normalize_whitespace` (default true): ``TextCleaner/normalizeWhitespace(_:maxBlankLines:)``.
    public var normalizeWhitespace = true
    /// `max_blank_lines` (default 1): longest run of blank lines kept by whitespace normalization.
    public var maxBlankLines = 1
    /// `remove_boilerplate_lines` (default true): drop lines containing one of
    /// ``boilerplateSubstrings`` (C4's line filter).
    public var removeBoilerplateLines = true
    /// `boilerplate_substrings` (default ``TextCleaner/c4BoilerplateSubstrings``).
    public var boilerplateSubstrings = TextCleaner.c4BoilerplateSubstrings
    /// `remove_curly_brace_lines` (default true): drop lines containing `{` or `}` (C4 drops the
    /// whole page; Lore drops the line).
    public var removeCurlyBraceLines = true
    /// `remove_urls` (default false): delete URLs (NeMo Curator's pattern) from the text.
    public var removeURLs = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case repairMojibake = "repair_mojibake"
        case removeControlCharacters = "remove_control_characters"
        case unicodeNormalization = "unicode_normalization"
        case normalizeWhitespace = "normalize_whitespace"
        case maxBlankLines = "max_blank_lines"
        case removeBoilerplateLines = "remove_boilerplate_lines"
        case boilerplateSubstrings = "boilerplate_substrings"
        case removeCurlyBraceLines = "remove_curly_brace_lines"
        case removeURLs = "remove_urls"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = CleaningConfig()
        repairMojibake = try container.decodeIfPresent(Bool.self, forKey: .repairMojibake) ?? defaults.repairMojibake
        removeControlCharacters = try container.decodeIfPresent(Bool.self, forKey: .removeControlCharacters) ?? defaults.removeControlCharacters
        unicodeNormalization = try container.decodeIfPresent(TextCleaner.NormalizationForm.self, forKey: .unicodeNormalization) ?? defaults.unicodeNormalization
        normalizeWhitespace = try container.decodeIfPresent(Bool.self, forKey: .normalizeWhitespace) ?? defaults.normalizeWhitespace
        maxBlankLines = try container.decodeIfPresent(Int.self, forKey: .maxBlankLines) ?? defaults.maxBlankLines
        removeBoilerplateLines = try container.decodeIfPresent(Bool.self, forKey: .removeBoilerplateLines) ?? defaults.removeBoilerplateLines
        boilerplateSubstrings = try container.decodeIfPresent([String].self, forKey: .boilerplateSubstrings) ?? defaults.boilerplateSubstrings
        removeCurlyBraceLines = try container.decodeIfPresent(Bool.self, forKey: .removeCurlyBraceLines) ?? defaults.removeCurlyBraceLines
        removeURLs = try container.decodeIfPresent(Bool.self, forKey: .removeURLs) ?? defaults.removeURLs
        if maxBlankLines < 0 {
            throw DecodingError.dataCorruptedError(forKey: .maxBlankLines, in: container, debugDescription: "max_blank_lines must be at least 0")
        }
    }
}

/// The cleaning stage: mojibake repair, control characters, Unicode normalization,
/// boilerplate lines, URLs and whitespace, in that order. A document whose text is empty
/// afterwards is removed (reason `empty`). Modification reasons: `mojibake`,
/// `control_characters`, `unicode_normalization`, `boilerplate_lines`, `urls`, `whitespace`.
public final class CleaningStage: DocumentStage {
    public let name = "cleaning"
    public let config: CleaningConfig
    private let matcher: SubstringMatcher

    public init(_ config: CleaningConfig = CleaningConfig()) {
        self.config = config
        matcher = SubstringMatcher(config.removeBoilerplateLines ? config.boilerplateSubstrings : [])
    }

    /// The cleaned text and what changed (empty when nothing did).
    public func clean(_ text: String) -> (text: String, reasons: [String]) {
        var text = text
        var reasons: [String] = []
        func step(_ reason: String, _ transform: (String) -> String?) {
            if let changed = transform(text) {
                text = changed
                reasons.append(reason)
            }
        }
        if config.repairMojibake { step("mojibake", Mojibake.repair) }
        if config.removeControlCharacters { step("control_characters", TextCleaner.removeControlCharacters) }
        step("unicode_normalization") { TextCleaner.normalize($0, form: self.config.unicodeNormalization) }
        if config.removeBoilerplateLines || config.removeCurlyBraceLines {
            step("boilerplate_lines") {
                TextCleaner.removeBoilerplateLines($0, matcher: self.matcher, curlyBraces: self.config.removeCurlyBraceLines)?.0
            }
        }
        if config.removeURLs { step("urls", TextCleaner.removeURLs) }
        if config.normalizeWhitespace {
            step("whitespace") { TextCleaner.normalizeWhitespace($0, maxBlankLines: self.config.maxBlankLines) }
        }
        return (text, reasons)
    }

    public func apply(to document: inout Document) -> StageOutcome {
        let (text, reasons) = clean(document.text)
        if text.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) {
            return .removed(Removal(reason: "empty", value: 0, detail: "no text left after cleaning"))
        }
        guard !reasons.isEmpty else { return .kept }
        document.text = text
        return .modified(reasons: reasons)
    }
}
