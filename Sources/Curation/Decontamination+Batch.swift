import Foundation

/// Decontamination of many training documents against one ``DecontaminationIndex``.
///
/// ```swift
/// let index = DecontaminationIndex(evaluationTexts: mmluQuestionsWithAnswers)
/// let result = Decontaminator(index: index).run(trainingTexts)
/// let clean = result.keptIndices.map { trainingTexts[$0] }
/// ```
public struct Decontaminator: Sendable {
    /// The evaluation n-grams.
    public let index: DecontaminationIndex
    /// Drop or flag.
    public var mode: DecontaminationMode
    /// Worker threads, at least 1. Default: active processors.
    public var threads: Int

    /// A decontaminator (drop mode by default).
    public init(index: DecontaminationIndex, mode: DecontaminationMode = .drop,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        if threads < 1 { fatalError("Decontaminator: threads must be at least 1, got \(threads)") }
        self.index = index
        self.mode = mode
        self.threads = threads
    }

    /// Checks every text (in parallel over fixed chunks of 256 documents).
    public func run(_ texts: [String]) -> DecontaminationResult {
        let index = self.index
        let chunks = ChunkedWork.map(count: texts.count, chunkSize: 256, threads: threads) { range in
            var scan = ShingleHash.Scan()
            var hashes: [UInt64] = []
            return range.compactMap { position -> (Int, [NGramOverlap])? in
                let found = index.overlaps(in: texts[position], scan: &scan, hashes: &hashes)
                return found.isEmpty ? nil : (position, found)
            }
        }
        var overlaps: [Int: [NGramOverlap]] = [:]
        for chunk in chunks { for (position, found) in chunk { overlaps[position] = found } }
        var keep = [Bool](repeating: true, count: texts.count)
        if mode == .drop { for position in overlaps.keys { keep[position] = false } }
        let report = DecontaminationReport(
            documents: texts.count,
            contaminated: overlaps.count,
            removed: keep.filter { !$0 }.count,
            matchedNGrams: overlaps.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.ngrams } },
            evaluationTexts: index.textCount,
            evaluationNGrams: index.ngrams.count,
            shortEvaluationTexts: index.shortTexts,
            ngramSize: index.ngramSize,
            mode: mode)
        return DecontaminationResult(keep: keep, overlaps: overlaps, report: report)
    }
}

/// What ``Decontaminator/run(_:)`` found.
public struct DecontaminationResult: Sendable {
    /// `keep[i]` is false when document `i` was dropped (drop mode only).
    public let keep: [Bool]
    /// The overlapping spans of each contaminated document, by document index.
    public let overlaps: [Int: [NGramOverlap]]
    /// Counts.
    public let report: DecontaminationReport

    /// Indices of contaminated documents (dropped or flagged), ascending.
    public var contaminatedIndices: [Int] { overlaps.keys.sorted() }
    /// Indices of the kept documents, ascending.
    public var keptIndices: [Int] { keep.indices.filter { keep[$0] } }
}

/// The numbers of one decontamination run.
public struct DecontaminationReport: Codable, Sendable, Hashable {
    /// Training documents checked.
    public var documents: Int
    /// Documents sharing at least one n-gram with the evaluation set.
    public var contaminated: Int
    /// Documents dropped (0 in flag mode).
    public var removed: Int
    /// Matching n-gram positions over all documents.
    public var matchedNGrams: Int
    /// Evaluation texts indexed.
    public var evaluationTexts: Int
    /// Distinct evaluation n-grams.
    public var evaluationNGrams: Int
    /// Evaluation texts shorter than one n-gram (undetectable).
    public var shortEvaluationTexts: Int
    /// Words per n-gram.
    public var ngramSize: Int
    /// Drop or flag.
    public var mode: DecontaminationMode

    /// A few plain-text lines for a terminal.
    public var summary: String {
        """
        decontamination (\(ngramSize)-grams, \(mode.rawValue)): \(documents) documents, \(contaminated) contaminated, \(removed) removed
          evaluation: \(evaluationTexts) texts, \(evaluationNGrams) n-grams, \(shortEvaluationTexts) shorter than \(ngramSize) words
        """
    }
}
