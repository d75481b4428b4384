/// Settings of the language filter (JSON key `language_filter`).
public struct LanguageFilterConfig: Codable, Sendable, Equatable {
    /// `languages` (default `["en"]`): ISO 639-1 codes to keep (see ``LanguageIdentifier/languages``).
    public var languages: [String]
    /// `min_score` (default 0.3, NeMo Curator's `min_langid_score`): below it the language is
    /// `unknown`, which is removed like any language not listed.
    public var minScore: Double
    /// `min_letters` (default 40): documents with fewer letters are kept without a verdict —
    /// "Ber. He." is too short for any identifier (fastText included) to be more than a guess.
    public var minLetters: Int
    /// `language_field` (default null): when set, kept documents get this field with their
    /// language code (`"en"`, or `"unknown"` for short ones).
    public var languageField: String?

    public init(languages: [String] = ["en"], minScore: Double = 0.3, minLetters: Int = 40, languageField: String? = nil) {
        self.languages = languages
        self.minScore = minScore
        self.minLetters = minLetters
        self.languageField = languageField
    }

    enum CodingKeys: String, CodingKey {
        case languages, minScore = "min_score", minLetters = "min_letters", languageField = "language_field"
    }
}

/// Language identification (``LanguageIdentifier``, character n-gram profiles of 14
/// languages) as a pipeline stage: a document of at least `min_letters` letters whose
/// language is not listed — or scores below `min_score` — is removed with reason `language`,
/// the score as value and the detected language in the detail (`"de (0.93), not en"`).
public final class LanguageFilterStage: DocumentStage {
    public let name = "language_filter"
    public let config: LanguageFilterConfig
    private let identifier: LanguageIdentifier
    private let keep: Set<String>

    /// - Throws: ``CurationError/invalidSetting(key:reason:)`` for a language the model does not know.
    public init(_ config: LanguageFilterConfig = LanguageFilterConfig()) throws {
        let known = Set(LanguageIdentifier.languages)
        for code in config.languages where !known.contains(code) {
            throw CurationError.invalidSetting(key: "language_filter.languages",
                                               reason: "\"\(code)\" is not one of \(LanguageIdentifier.languages.joined(separator: " "))")
        }
        guard (0...1).contains(config.minScore) else {
            throw CurationError.invalidSetting(key: "language_filter.min_score", reason: "must be in 0…1, got \(config.minScore)")
        }
        self.config = config
        identifier = LanguageIdentifier(threshold: Float(config.minScore))
        keep = Set(config.languages)
    }

    /// Letters (``Words``' letters) in `text`, counting stops at `limit`.
    static func letterCount(_ text: String, limit: Int) -> Int {
        var count = 0
        for scalar in text.unicodeScalars {
            if scalar.isASCII ? (scalar.value | 0x20) &- 0x61 < 26 : scalar.properties.isAlphabetic {
                count += 1
                if count >= limit { break }
            }
        }
        return count
    }

    public func apply(to document: inout Document) -> StageOutcome {
        let letters = Self.letterCount(document.text, limit: config.minLetters)
        if letters < config.minLetters {
            if let field = config.languageField {
                document.fields[field] = .string(LanguageIdentifier.unknown)
                return .modified(reasons: ["too_short_to_identify"])
            }
            return .kept
        }
        let (language, score) = identifier.identify(document.text)
        if keep.contains(language) {
            guard let field = config.languageField else { return .kept }
            document.fields[field] = .string(language)
            return .modified(reasons: ["language_field"])
        }
        let found = language == LanguageIdentifier.unknown ? "unknown" : language
        return .removed(Removal(reason: "language", value: Double(score),
                                detail: "\(found) (\(String(format: "%.2f", score))), not \(config.languages.joined(separator: "/"))"))
    }
}

import Foundation
