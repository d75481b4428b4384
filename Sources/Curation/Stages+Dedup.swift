import Foundation

/// MinHash-LSH near-duplicate removal (``FuzzyDeduplicator``) as a pipeline stage.
///
/// It needs the whole corpus before it can decide, so it is a ``CorpusStage``: the pipeline
/// shows it every surviving document (signatures are computed on the pipeline's workers as
/// shards arrive), then each cluster keeps its first document in input order and the others
/// are removed with reason `near_duplicate`, the exact Jaccard similarity to the kept
/// document as value (when verification is on) and the kept document's location as detail.
public final class FuzzyDeduplicationStage: CorpusStage, @unchecked Sendable {
    public let name = "fuzzy_dedup"
    public let configuration: FuzzyDeduplicationConfiguration
    // Mutated only from the pipeline's calling thread (observe/decide are never concurrent).
    private var deduplicator: FuzzyDeduplicator
    private var origins: [DocumentOrigin] = []
    private var report: FuzzyDeduplicationReport?

    public init(_ configuration: FuzzyDeduplicationConfiguration = FuzzyDeduplicationConfiguration()) {
        self.configuration = configuration
        deduplicator = FuzzyDeduplicator(configuration, threads: 1)
    }

    public func observe(_ documents: [Document], workers: Int) {
        deduplicator.threads = max(1, workers)
        deduplicator.add(contentsOf: documents.map(\.text))
        origins.append(contentsOf: documents.map(\.origin))
    }

    public func decide() -> [StageOutcome] {
        let result = deduplicator.finish()
        report = result.report
        var outcomes = [StageOutcome](repeating: .kept, count: result.keep.count)
        for cluster in result.clusters {
            let kept = cluster[0]
            for member in cluster.dropFirst() {
                let similarity = deduplicator.jaccard(kept, member)
                var detail = "near duplicate of \(origins[kept])"
                if let similarity { detail += String(format: " (Jaccard %.3f)", similarity) }
                outcomes[member] = .removed(Removal(reason: "near_duplicate", value: similarity, detail: detail))
            }
        }
        return outcomes
    }

    public func notes() -> [String] {
        guard let report else { return [] }
        var lines = ["\(report.clusters) clusters, largest \(report.largestCluster); \(report.documentsWithoutShingles) documents too short to shingle"]
        if report.comparisons > 0 {
            lines.append("\(report.comparisons) Jaccard checks, \(report.rejectedComparisons) below \(configuration.jaccardThreshold)")
        }
        return lines
    }
}

/// Evaluation-set decontamination (``DecontaminationIndex``) as a pipeline stage: a document
/// sharing an n-gram (13 words by default) with an evaluation text is removed (`drop`, reason
/// `contaminated`, value = matching n-grams, detail = the first overlapping span) or, in `flag`
/// mode, kept with a `"contamination"` field listing the overlapping spans.
public final class DecontaminationStage: DocumentStage {
    public let name = "decontamination"
    public let index: DecontaminationIndex
    public let mode: DecontaminationMode

    public init(index: DecontaminationIndex, mode: DecontaminationMode = .drop) {
        self.index = index
        self.mode = mode
    }

    /// Indexes the evaluation texts of `config`'s files: for JSONL, the strings of
    /// `evaluation_fields` of each record joined by spaces; for `.txt`, each paragraph.
    public convenience init(config: DecontaminationStageConfig) throws {
        var texts: [String] = []
        for file in config.evaluationFiles {
            let format = InputFormat.forFile(file)
            var reader = try RecordReader(file: file, format: format, maximumRecordBytes: 64 << 20)
            defer { reader.close() }
            while let batch = try reader.nextBatch(maximumRecords: 4096, maximumBytes: 16 << 20) {
                for record in batch.records {
                    guard case .bytes(let range) = record.content else { continue }
                    let text = batch.storage[range].withUnsafeBufferPointer { bytes -> String? in
                        guard UTF8Validation.firstInvalidByte(in: bytes) == nil else { return nil }
                        if format == .text { return String(decoding: bytes, as: UTF8.self) }
                        guard let object = (try? JSONParser.parse(bytes))?.objectValue else { return nil }
                        return Self.evaluationText(object, fields: config.evaluationFields)
                    }
                    if let text, !text.isEmpty { texts.append(text) }
                }
            }
        }
        self.init(index: DecontaminationIndex(evaluationTexts: texts, ngramSize: config.ngramSize), mode: config.mode)
    }

    /// The strings of `fields` in `object` (strings inside arrays included), joined by spaces.
    static func evaluationText(_ object: JSONObject, fields: [String]) -> String {
        var parts: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let text): parts.append(text)
            case .array(let values): values.forEach(collect)
            default: break
            }
        }
        for field in fields { if let value = object[field] { collect(value) } }
        return parts.joined(separator: " ")
    }

    public func apply(to document: inout Document) -> StageOutcome {
        let overlaps = index.overlaps(in: document.text)
        guard let first = overlaps.first else { return .kept }
        let ngrams = overlaps.reduce(0) { $0 + $1.ngrams }
        switch mode {
        case .drop:
            return .removed(Removal(reason: "contaminated", value: Double(ngrams),
                                    detail: "\(ngrams) evaluation \(index.ngramSize)-grams, first: \"\(first.text.prefix(120))\""))
        case .flag:
            document.fields["contamination"] = .array(overlaps.map { .string($0.text) })
            return .modified(reasons: ["flagged"])
        }
    }
}
