import Foundation

/// What to do with a training document that shares an n-gram with the evaluation set.
public enum DecontaminationMode: String, Codable, Sendable, Hashable {
    /// Remove the document.
    case drop
    /// Keep the document and report its overlaps.
    case flag
}

/// Settings of n-gram decontamination (coding keys `ngram_size`, `mode`).
///
/// The default n = 13 words is the GPT-3 paper's choice (Brown et al. 2020, appendix C),
/// also used by lm-evaluation-harness's decontamination; words are ``Words`` lower-cased,
/// so case, punctuation and spacing do not hide an overlap.
public struct DecontaminationConfiguration: Codable, Sendable, Hashable {
    /// Words per n-gram, at least 1. Default 13.
    public var ngramSize: Int
    /// Drop (default) or flag contaminated documents.
    public var mode: DecontaminationMode

    /// A configuration.
    public init(ngramSize: Int = 13, mode: DecontaminationMode = .drop) {
        if ngramSize < 1 { fatalError("DecontaminationConfiguration: ngramSize must be at least 1, got \(ngramSize)") }
        self.ngramSize = ngramSize
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey {
        case ngramSize = "ngram_size"
        case mode
    }

    /// Decodes; missing keys take the defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ngramSize = try container.decodeIfPresent(Int.self, forKey: .ngramSize) ?? 13
        mode = try container.decodeIfPresent(DecontaminationMode.self, forKey: .mode) ?? .drop
        if ngramSize < 1 {
            throw DecodingError.dataCorruptedError(forKey: .ngramSize, in: container,
                                                   debugDescription: "ngram_size must be at least 1, got \(ngramSize)")
        }
    }
}

/// The word n-grams of an evaluation set, hashed to 64 bits, for finding training
/// documents that contain evaluation text.
///
/// Each n-gram is hashed as in ``MinHashConfiguration/Shingles/words`` (FNV-1a of each
/// lower-cased word's UTF-8 bytes, then the n word hashes combined); a lookup is one
/// `Set<UInt64>` probe per training n-gram. An evaluation text shorter than `n` words has
/// no n-gram: it is counted in ``shortTexts`` and cannot be detected (use a smaller `n` for
/// very short items, or index question and answer together).
public struct DecontaminationIndex: Sendable {
    /// Words per n-gram.
    public let ngramSize: Int
    /// The distinct evaluation n-gram hashes.
    public private(set) var ngrams: Set<UInt64> = []
    /// Evaluation texts indexed.
    public private(set) var textCount = 0
    /// Evaluation texts with fewer than ``ngramSize`` words.
    public private(set) var shortTexts = 0

    /// An index of the n-grams of `evaluationTexts`.
    public init<S: Sequence>(evaluationTexts: S, ngramSize: Int = 13) where S.Element == String {
        if ngramSize < 1 { fatalError("DecontaminationIndex: ngramSize must be at least 1, got \(ngramSize)") }
        self.ngramSize = ngramSize
        for text in evaluationTexts { insert(text) }
    }

    /// Adds the n-grams of one evaluation text.
    public mutating func insert(_ text: String) {
        var scan = ShingleHash.Scan()
        ShingleHash.scan(text, into: &scan)
        textCount += 1
        if scan.wordHashes.count < ngramSize {
            shortTexts += 1
            return
        }
        var hashes: [UInt64] = []
        ShingleHash.wordShingles(scan.wordHashes, n: ngramSize, into: &hashes)
        ngrams.formUnion(hashes)
    }

    /// Whether `text` shares at least one n-gram with the evaluation set (stops at the first).
    public func isContaminated(_ text: String) -> Bool {
        var scan = ShingleHash.Scan()
        var hashes: [UInt64] = []
        return firstMatch(text, scan: &scan, hashes: &hashes)
    }

    /// The spans of `text` covered by evaluation n-grams: overlapping or adjacent matching
    /// n-grams merged into one span, in text order; empty when the text is clean.
    public func overlaps(in text: String) -> [NGramOverlap] {
        var scan = ShingleHash.Scan()
        var hashes: [UInt64] = []
        return overlaps(in: text, scan: &scan, hashes: &hashes)
    }

    func firstMatch(_ text: String, scan: inout ShingleHash.Scan, hashes: inout [UInt64]) -> Bool {
        scan.wantsRanges = false
        ShingleHash.scan(text, into: &scan)
        hashes.removeAll(keepingCapacity: true)
        ShingleHash.wordShingles(scan.wordHashes, n: ngramSize, into: &hashes)
        return hashes.contains { ngrams.contains($0) }
    }

    func overlaps(in text: String, scan: inout ShingleHash.Scan, hashes: inout [UInt64]) -> [NGramOverlap] {
        guard !ngrams.isEmpty, firstMatch(text, scan: &scan, hashes: &hashes) else { return [] }
        // Contaminated (rare): scan again with word ranges to report the spans.
        scan.wantsRanges = true
        ShingleHash.scan(text, into: &scan)
        scan.wantsRanges = false
        var spans: [NGramOverlap] = []
        let utf8 = Array(text.utf8)
        for (start, hash) in hashes.enumerated() where ngrams.contains(hash) {
            let end = start + ngramSize
            if let last = spans.last, start <= last.words.upperBound {
                spans[spans.count - 1].words = last.words.lowerBound..<end
                spans[spans.count - 1].ngrams += 1
            } else {
                spans.append(NGramOverlap(words: start..<end, bytes: 0..<0, text: "", ngrams: 1))
            }
        }
        for index in spans.indices {
            let bytes = scan.wordStarts[spans[index].words.lowerBound]..<scan.wordEnds[spans[index].words.upperBound - 1]
            spans[index].bytes = bytes
            spans[index].text = String(decoding: utf8[bytes], as: UTF8.self)
        }
        return spans
    }
}

/// A span of a training text covered by evaluation n-grams.
public struct NGramOverlap: Sendable, Hashable, Codable {
    /// Word positions in the training text (``Words`` of it), `[start, end)`.
    public var words: Range<Int>
    /// UTF-8 byte offsets of the span in the training text.
    public var bytes: Range<Int>
    /// The span as written in the training text.
    public var text: String
    /// Evaluation n-grams inside the span.
    public var ngrams: Int
}
