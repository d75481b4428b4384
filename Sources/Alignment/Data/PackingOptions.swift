/// What to do with an input record that cannot be used (invalid JSON, not an object, no text
/// field, invalid UTF-8, an empty file).
public enum BadRecordPolicy: String, Codable, Sendable {
    /// Stop with ``DataError/badRecord(_:)`` naming the file and line.
    case fail
    /// Report the record (``TextData/prepare(files:tokenizer:eosTokenID:options:directory:report:)``'s
    /// `report`), count it in ``DataSummary/skippedRecords`` and go on.
    case skip
}

/// How raw text becomes packed training sequences.
///
/// Documents are concatenated with the EOS id after each one and cut into sequences of
/// ``sequenceLength`` tokens; ``validationFraction`` of the documents, drawn with ``seed``, form
/// the validation split (see `Documentation/Alignment.md`, *Data*, for the exact rule).
///
/// Encoded with the property names as keys; a missing key takes its default, so
/// `{"sequenceLength": 256}` is a complete options file.
public struct PackingOptions: Codable, Equatable, Sendable {
    /// Tokens per packed sequence, the model's input length `L`. Default 512; at least 2.
    public var sequenceLength: Int
    /// True: a token attends only to earlier tokens of its own document (segment ids), positions
    /// restart at 0 for each document, and no document predicts the next one's first token.
    /// Default false (documents see the ones before them in the sequence, as in GPT-style
    /// pretraining).
    public var separateDocuments: Bool
    /// The probability that a document is held out for validation, in `[0, 1)`. Default 0.05;
    /// 0 disables the validation split.
    public var validationFraction: Double
    /// Drives the validation draw. Default 0.
    public var seed: UInt64
    /// What to do with unusable records. Default ``BadRecordPolicy/fail``.
    public var badRecords: BadRecordPolicy
    /// The JSONL field holding a document's text. Default `"text"`.
    public var textField: String

    /// - Parameters:
    ///   - sequenceLength: tokens per sequence (default 512).
    ///   - separateDocuments: no attention across document boundaries (default false).
    ///   - validationFraction: share of documents held out (default 0.05).
    ///   - seed: seed of the validation draw (default 0).
    ///   - badRecords: fail or skip on unusable records (default `.fail`).
    ///   - textField: JSONL text field (default `"text"`).
    public init(sequenceLength: Int = 512, separateDocuments: Bool = false, validationFraction: Double = 0.05,
                seed: UInt64 = 0, badRecords: BadRecordPolicy = .fail, textField: String = "text") {
        self.sequenceLength = sequenceLength
        self.separateDocuments = separateDocuments
        self.validationFraction = validationFraction
        self.seed = seed
        self.badRecords = badRecords
        self.textField = textField
    }

    private enum CodingKeys: String, CodingKey {
        case sequenceLength, separateDocuments, validationFraction, seed, badRecords, textField
    }

    /// Decodes the options; every key is optional and defaults as in ``init(sequenceLength:separateDocuments:validationFraction:seed:badRecords:textField:)``.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PackingOptions()
        self.init(sequenceLength: try c.decodeIfPresent(Int.self, forKey: .sequenceLength) ?? d.sequenceLength,
                  separateDocuments: try c.decodeIfPresent(Bool.self, forKey: .separateDocuments) ?? d.separateDocuments,
                  validationFraction: try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? d.validationFraction,
                  seed: try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed,
                  badRecords: try c.decodeIfPresent(BadRecordPolicy.self, forKey: .badRecords) ?? d.badRecords,
                  textField: try c.decodeIfPresent(String.self, forKey: .textField) ?? d.textField)
    }

    /// The first problem with these options, or `nil` when they can be used.
    func problem() -> String? {
        if sequenceLength < 2 { return "sequenceLength is \(sequenceLength); it must be at least 2 (a sequence of one token has no target)" }
        if !(validationFraction >= 0 && validationFraction < 1) {
            return "validationFraction is \(validationFraction); it must be in [0, 1) (0 disables validation)"
        }
        if textField.isEmpty { return "textField is empty; name the JSONL field holding the text (default \"text\")" }
        return nil
    }
}
