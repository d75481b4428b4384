import Foundation

/// Everything a curation run does, as a value: input field, sharding, and one setting block
/// per stage (a block that is `nil` — or `null` in the JSON file — turns its stage off).
///
/// The JSON keys (shown on each property) are what `lore curate --config FILE` reads. A file
/// may name a ``preset`` and override only some keys: objects are merged key by key over the
/// preset, everything else replaces it. An unknown key is an error, so a typo cannot silently
/// fall back to a default. `lore curate --print-config` prints the full default.
///
/// Stages run in this order: cleaning → exact dedup → language filter → heuristic filters →
/// fuzzy dedup → decontamination → PII redaction. Exact dedup comes before the filters so
/// that they judge (and report on) distinct texts only, and it is cheaper than any filter;
/// fuzzy dedup, the most expensive stage, comes after them; PII is redacted last, so that
/// deduplication sees the original text.
public struct CurationConfig: Codable, Sendable, Equatable {
    /// `preset`: the preset this config starts from (`"prose"` or `"nemo_web"`).
    public var preset: String
    /// `text_field` (default `"text"`): the JSONL field holding the text.
    public var textField: String
    /// `threads` (default null = all active processors).
    public var threads: Int?
    /// `shard_documents` (default 2048): documents per shard (the unit of parallel work).
    public var shardDocuments: Int
    /// `shard_bytes` (default 4 MiB): a shard also ends once its records reach this size.
    public var shardBytes: Int
    /// `max_document_bytes` (default 8 MiB): a longer line (or `.txt` paragraph) is rejected
    /// as `record_too_long` without being buffered.
    public var maxDocumentBytes: Int
    /// `cleaning`: ``CleaningStage`` settings.
    public var cleaning: CleaningConfig?
    /// `language_filter`: ``LanguageFilterStage`` settings (keep English by default).
    public var languageFilter: LanguageFilterConfig?
    /// `heuristic_filters`: ``HeuristicFilterStage`` settings.
    public var heuristicFilters: HeuristicFilterConfig?
    /// `exact_dedup`: ``ExactDeduplicationStage`` settings.
    public var exactDedup: ExactDedupConfig?
    /// `fuzzy_dedup`: MinHash-LSH settings (``FuzzyDeduplicationConfiguration``; datatrove's
    /// 5-word shingles, 14 bands × 8 rows, Jaccard verification at 0.8).
    public var fuzzyDedup: FuzzyDeduplicationConfiguration?
    /// `decontamination`: drop documents sharing a 13-word n-gram with evaluation files (off
    /// unless evaluation files are given).
    public var decontamination: DecontaminationStageConfig?
    /// `pii`: ``PIIRedactionStage`` settings (every type, replaced by `<TYPE>`).
    public var pii: PIIConfig?

    enum CodingKeys: String, CodingKey {
        case preset, textField = "text_field", threads, shardDocuments = "shard_documents"
        case shardBytes = "shard_bytes", maxDocumentBytes = "max_document_bytes", cleaning
        case languageFilter = "language_filter", heuristicFilters = "heuristic_filters", exactDedup = "exact_dedup"
        case fuzzyDedup = "fuzzy_dedup", decontamination, pii
    }

    /// Lore's default, for prose: all cleaning steps, exact dedup, English only, the prose
    /// filters (``HeuristicFilterConfig/prose``), fuzzy dedup, PII replaced by `<TYPE>`.
    public static var prose: CurationConfig {
        CurationConfig(preset: "prose", textField: "text", threads: nil, shardDocuments: 2048, shardBytes: 4 << 20,
                       maxDocumentBytes: 8 << 20, cleaning: CleaningConfig(), languageFilter: LanguageFilterConfig(),
                       heuristicFilters: .prose, exactDedup: ExactDedupConfig(), fuzzyDedup: FuzzyDeduplicationConfiguration(),
                       decontamination: nil, pii: PIIConfig())
    }

    /// NeMo Curator's English web recipe: the prose cleaning, NeMo's heuristic filter cascade
    /// with its defaults (``HeuristicFilterConfig/nemoWeb``), exact and fuzzy dedup.
    public static var nemoWeb: CurationConfig {
        var config = prose
        config.preset = "nemo_web"
        config.heuristicFilters = .nemoWeb
        return config
    }

    /// The presets by name.
    public static var presets: [String: CurationConfig] { ["prose": .prose, "nemo_web": .nemoWeb] }

    /// Every block switched on (NeMo defaults for filters): the shape an override may take.
    static var template: CurationConfig {
        var config = nemoWeb
        config.threads = 1
        config.decontamination = DecontaminationStageConfig()
        config.languageFilter?.languageField = "language"
        return config
    }

    /// The threads a run uses.
    public var resolvedThreads: Int { max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount) }

    /// Checks ranges a decoder cannot.
    public func validate() throws {
        func require(_ condition: Bool, _ key: String, _ reason: String) throws {
            if !condition { throw CurationError.invalidSetting(key: key, reason: reason) }
        }
        try require(!textField.isEmpty, "text_field", "must not be empty")
        try require((threads ?? 1) >= 1, "threads", "must be at least 1")
        try require(shardDocuments >= 1, "shard_documents", "must be at least 1")
        try require(shardBytes >= 1, "shard_bytes", "must be at least 1")
        try require(maxDocumentBytes >= 1, "max_document_bytes", "must be at least 1")
        if let languageFilter { _ = try LanguageFilterStage(languageFilter) }
        if let pii { _ = try pii.redactor() }
        if let decontamination {
            try require(!decontamination.evaluationFiles.isEmpty, "decontamination.evaluation_files",
                        "name at least one evaluation file, or set decontamination to null")
        }
    }

    // MARK: Loading

    /// Reads a config file: a JSON object naming a `preset` (default `"prose"`) and the keys
    /// that differ from it.
    public static func load(contentsOf url: URL) throws -> CurationConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CurationError.invalidConfig(path: url.path, reason: error.localizedDescription)
        }
        return try decode(Array(data), path: url.path)
    }

    /// Decodes config JSON text (see ``load(contentsOf:)``); `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String = "<config>") throws -> CurationConfig {
        let value: JSONValue
        do {
            value = try bytes.withUnsafeBufferPointer { buffer in
                if let offset = UTF8Validation.firstInvalidByte(in: buffer) {
                    throw JSONParseError(message: "invalid UTF-8", offset: offset)
                }
                return try JSONParser.parse(buffer)
            }
        } catch let error as JSONParseError {
            throw CurationError.invalidConfig(path: path, reason: error.description)
        }
        guard case .object(let overrides) = value else {
            throw CurationError.invalidConfig(path: path, reason: "the config must be a JSON object")
        }
        let presetName = overrides["preset"]?.stringValue ?? "prose"
        guard let preset = presets[presetName] else {
            throw CurationError.invalidConfig(path: path, reason: "unknown preset \"\(presetName)\" (known: \(presets.keys.sorted().joined(separator: ", ")))")
        }
        let template = try encodedValue(Self.template)
        if let problem = unknownKey(in: .object(overrides), template: template, path: "") {
            throw CurationError.invalidConfig(path: path, reason: problem)
        }
        let merged = merge(.object(overrides), over: try encodedValue(preset), template: template)
        do {
            let config = try JSONDecoder().decode(CurationConfig.self, from: Data(merged.serialized().utf8))
            try config.validate()
            return config
        } catch let error as DecodingError {
            throw CurationError.invalidConfig(path: path, reason: describe(error))
        }
    }

    /// The config as pretty JSON, keys in declaration order of the coding keys' JSON.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    static func encodedValue(_ config: CurationConfig) throws -> JSONValue {
        let data = try JSONEncoder().encode(config)
        return try Array(data).withUnsafeBufferPointer { try JSONParser.parse($0) }
    }

    /// `override` merged over `base`: objects key by key (recursively; where `base` lacks a
    /// key, over the `template`'s value for it), anything else replaced.
    static func merge(_ override: JSONValue, over base: JSONValue?, template: JSONValue?) -> JSONValue {
        guard case .object(let overrides) = override else { return override }
        var result = base?.objectValue ?? template?.objectValue ?? JSONObject()
        for (key, value) in overrides.members {
            let baseValue = result[key].flatMap { $0 == .null ? nil : $0 }
            result[key] = merge(value, over: baseValue, template: template?.objectValue?[key])
        }
        return .object(result)
    }

    /// The first key of `value` that `template` does not have, as a readable message.
    static func unknownKey(in value: JSONValue, template: JSONValue, path: String) -> String? {
        switch (value, template) {
        case (.object(let object), .object(let known)):
            for (key, child) in object.members {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard let knownChild = known[key] else {
                    return "unknown key \"\(childPath)\" (known here: \(known.keys.joined(separator: ", ")))"
                }
                if let problem = unknownKey(in: child, template: knownChild, path: childPath) { return problem }
            }
        case (.array(let values), .array(let known)):
            guard let first = known.first else { return nil }
            for (index, child) in values.enumerated() {
                if let problem = unknownKey(in: child, template: first, path: "\(path)[\(index)]") { return problem }
            }
        default:
            break
        }
        return nil
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type) (\(context.debugDescription))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): missing \(type)"
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing key \"\(key.stringValue)\""
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Settings of the decontamination stage (JSON key `decontamination`).
public struct DecontaminationStageConfig: Codable, Sendable, Equatable {
    /// `evaluation_files`: JSONL (or `.txt`) files of evaluation items.
    public var evaluationFiles: [String]
    /// `evaluation_fields` (default `["text", "question", "choices", "prompt", "completion"]`):
    /// of each evaluation record, the string values (and strings inside arrays) of these
    /// fields, joined by spaces, are one evaluation text.
    public var evaluationFields: [String]
    /// `ngram_size` (default 13, GPT-3's) and `mode` (`"drop"` or `"flag"`).
    public var ngramSize: Int
    public var mode: DecontaminationMode

    public init(evaluationFiles: [String] = [], evaluationFields: [String] = ["text", "question", "choices", "prompt", "completion"],
                ngramSize: Int = 13, mode: DecontaminationMode = .drop) {
        self.evaluationFiles = evaluationFiles
        self.evaluationFields = evaluationFields
        self.ngramSize = ngramSize
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey {
        case evaluationFiles = "evaluation_files", evaluationFields = "evaluation_fields", ngramSize = "ngram_size", mode
    }
}
