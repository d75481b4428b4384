/// What ``TextData/prepare(files:tokenizer:eosTokenID:options:directory:report:)`` read and made.
public struct DataSummary: Codable, Sendable, Equatable {
    /// Input files read.
    public var files: Int
    /// Usable documents (paragraphs of `.txt` files, JSONL records), both splits.
    public var documents: Int
    /// Unusable records skipped under ``BadRecordPolicy/skip`` (each one was reported).
    public var skippedRecords: Int
    /// Tokens of the training split, one EOS per document included, padding excluded.
    public var trainTokens: Int
    /// Tokens of the validation split (0 without one).
    public var validationTokens: Int
    /// Packed training sequences, `⌈trainTokens / L⌉`.
    public var trainSequences: Int
    /// Packed validation sequences, `⌈validationTokens / L⌉` (0 without a split).
    public var validationSequences: Int
    /// Things worth knowing that are not errors, e.g. `validation skipped: fewer than two
    /// sequences`, `empty file a.txt`.
    public var notes: [String]

    public init(files: Int = 0, documents: Int = 0, skippedRecords: Int = 0, trainTokens: Int = 0,
                validationTokens: Int = 0, trainSequences: Int = 0, validationSequences: Int = 0, notes: [String] = []) {
        self.files = files
        self.documents = documents
        self.skippedRecords = skippedRecords
        self.trainTokens = trainTokens
        self.validationTokens = validationTokens
        self.trainSequences = trainSequences
        self.validationSequences = validationSequences
        self.notes = notes
    }
}
