import Dispatch
import Foundation

/// Settings of MinHash-LSH near-duplicate removal.
///
/// Candidate pairs come from LSH (documents sharing one band of their MinHash signature,
/// see ``MinHashConfiguration``). With ``verifyJaccard`` on (the default) a candidate pair
/// becomes a cluster edge only when the exact Jaccard similarity of the two shingle sets is
/// at least ``jaccardThreshold`` (default 0.8, NeMo Curator's false-positive-check
/// threshold). Why 0.8 rather than the 14 × 8 S-curve's 0.72: LSH's threshold is where a
/// pair has about a 1 in 2 chance of being *looked at*; the verification threshold is what
/// the user means by "near duplicate". At 0.8 a pair is found with probability 0.924 and,
/// once found, kept or rejected on its true similarity, so no edge joins documents less
/// similar than 0.8 and pairs at 0.85 and above are found ≥ 98% of the time. Clusters are
/// connected components of the edges, so two members joined through a chain of `k` edges
/// can differ by up to `k·(1 − threshold)` in Jaccard distance (a metric); in practice
/// chains are short.
///
/// Coding keys: `minhash`, `verify_jaccard`, `jaccard_threshold`.
public struct FuzzyDeduplicationConfiguration: Codable, Sendable, Hashable {
    /// Shingles, bands × rows, seed. Default ``MinHashConfiguration/datatrove``.
    public var minHash: MinHashConfiguration
    /// Check each candidate pair's exact Jaccard similarity. Default true.
    public var verifyJaccard: Bool
    /// The smallest exact Jaccard similarity of a cluster edge when verifying. Default 0.8.
    public var jaccardThreshold: Double

    /// A configuration (datatrove's MinHash, verification at 0.8 by default).
    public init(minHash: MinHashConfiguration = .datatrove, verifyJaccard: Bool = true, jaccardThreshold: Double = 0.8) {
        if !(0...1).contains(jaccardThreshold) {
            fatalError("FuzzyDeduplicationConfiguration: jaccardThreshold must be in 0...1, got \(jaccardThreshold)")
        }
        self.minHash = minHash
        self.verifyJaccard = verifyJaccard
        self.jaccardThreshold = jaccardThreshold
    }

    enum CodingKeys: String, CodingKey {
        case minHash = "minhash"
        case verifyJaccard = "verify_jaccard"
        case jaccardThreshold = "jaccard_threshold"
    }

    /// Decodes; missing keys take the defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        minHash = try container.decodeIfPresent(MinHashConfiguration.self, forKey: .minHash) ?? .datatrove
        verifyJaccard = try container.decodeIfPresent(Bool.self, forKey: .verifyJaccard) ?? true
        jaccardThreshold = try container.decodeIfPresent(Double.self, forKey: .jaccardThreshold) ?? 0.8
        if !(0...1).contains(jaccardThreshold) {
            throw DecodingError.dataCorruptedError(forKey: .jaccardThreshold, in: container,
                                                   debugDescription: "jaccard_threshold must be in 0...1, got \(jaccardThreshold)")
        }
    }
}

/// Near-duplicate removal with MinHash + LSH + union-find, on texts added in order.
///
/// ```swift
/// var dedup = FuzzyDeduplicator()            // datatrove's 5-word shingles, 14 × 8
/// dedup.add(contentsOf: paragraphs)           // signatures on all cores
/// let result = dedup.finish()
/// let unique = result.keptIndices.map { paragraphs[$0] }
/// print(result.report.summary)
/// ```
///
/// Steps: (1) per document, shingle hashes, MinHash signature and one hash per band
/// (parallel over fixed chunks of documents; each document's values do not depend on the
/// thread count); (2) per band, documents sorted by band hash — a run of equal hashes is a
/// bucket, and every two members of a bucket are a candidate pair; (3) each candidate pair
/// not yet in one cluster is verified (if on) and joined in a ``UnionFind``; (4) each
/// cluster keeps its first document in input order. Clusters are the connected components
/// of the accepted pairs, so they do not depend on the order in which pairs are visited:
/// the result is a function of the texts and the configuration only.
///
/// Memory: `bands × 8` bytes per document, plus its sorted shingle set (8 bytes per
/// distinct shingle) when verifying.
public struct FuzzyDeduplicator: Sendable {
    /// The settings.
    public let configuration: FuzzyDeduplicationConfiguration
    /// The signature maker (permutations drawn from the configuration's seed).
    public let hasher: MinHasher
    /// Worker threads for ``add(contentsOf:)``; at least 1. Default: active processors.
    public var threads: Int

    /// Documents added so far.
    public private(set) var count = 0
    /// Band hashes, `count × bands`, row-major.
    var bandHashes: [UInt64] = []
    /// Whether each document has at least one shingle.
    var hasShingles: [Bool] = []
    /// Sorted shingle sets when verifying: document `i` is `shingleValues[shingleOffsets[i]..<shingleOffsets[i + 1]]`.
    var shingleValues: [UInt64] = []
    var shingleOffsets: [Int] = [0]
    /// Buffers for ``add(_:)``, made on first use.
    var scratch: MinHasher.Workspace?

    /// Documents per parallel work item.
    static let chunkSize = 64

    /// An empty deduplicator.
    public init(_ configuration: FuzzyDeduplicationConfiguration = FuzzyDeduplicationConfiguration(),
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        if threads < 1 { fatalError("FuzzyDeduplicator: threads must be at least 1, got \(threads)") }
        self.configuration = configuration
        self.hasher = MinHasher(configuration.minHash)
        self.threads = threads
    }

    /// Deduplicates `texts` in one call: ``add(contentsOf:)`` then ``finish()``.
    public static func deduplicate(_ texts: [String],
                                   configuration: FuzzyDeduplicationConfiguration = FuzzyDeduplicationConfiguration(),
                                   threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> FuzzyDeduplicationResult {
        var deduplicator = FuzzyDeduplicator(configuration, threads: threads)
        deduplicator.add(contentsOf: texts)
        return deduplicator.finish()
    }

    /// Adds one document (index ``count`` before the call), on the calling thread.
    public mutating func add(_ text: String) {
        var workspace = scratch ?? MinHasher.Workspace(configuration.minHash)
        scratch = nil // keep the buffers uniquely referenced while they are written
        var chunk = Chunk()
        Self.process(text, hasher: hasher, keepShingles: configuration.verifyJaccard, workspace: &workspace, into: &chunk)
        scratch = workspace
        append(chunk)
    }

    /// Adds documents in order (indices ``count``, ``count`` + 1, …), signatures computed
    /// on ``threads`` threads over fixed chunks of 64 documents.
    public mutating func add(contentsOf texts: [String]) {
        let hasher = self.hasher, keep = configuration.verifyJaccard, minHash = configuration.minHash
        let chunks = ChunkedWork.map(count: texts.count, chunkSize: Self.chunkSize, threads: threads) { range in
            var workspace = MinHasher.Workspace(minHash)
            var chunk = Chunk()
            for position in range {
                Self.process(texts[position], hasher: hasher, keepShingles: keep, workspace: &workspace, into: &chunk)
            }
            return chunk
        }
        for chunk in chunks { append(chunk) }
    }

    /// Per-document values computed by one worker for a run of consecutive documents.
    struct Chunk {
        var bandHashes: [UInt64] = []
        var hasShingles: [Bool] = []
        var shingleValues: [UInt64] = []
        var shingleCounts: [Int] = []
    }

    static func process(_ text: String, hasher: MinHasher, keepShingles: Bool,
                        workspace: inout MinHasher.Workspace, into chunk: inout Chunk) {
        workspace.shingle(text)
        if keepShingles { workspace.sortUniqueShingles() }
        let bands = hasher.configuration.bands
        let start = chunk.bandHashes.count
        chunk.bandHashes.append(contentsOf: repeatElement(0, count: bands))
        if workspace.shingles.isEmpty {
            chunk.hasShingles.append(false)
        } else {
            chunk.hasShingles.append(true)
            chunk.bandHashes.withUnsafeMutableBufferPointer { out in
                workspace.bandHashes(hasher, into: out.baseAddress! + start)
            }
        }
        if keepShingles {
            chunk.shingleValues.append(contentsOf: workspace.shingles)
            chunk.shingleCounts.append(workspace.shingles.count)
        }
    }

    mutating func append(_ chunk: Chunk) {
        bandHashes.append(contentsOf: chunk.bandHashes)
        hasShingles.append(contentsOf: chunk.hasShingles)
        shingleValues.append(contentsOf: chunk.shingleValues)
        for shingles in chunk.shingleCounts { shingleOffsets.append(shingleOffsets.last! + shingles) }
        count += chunk.hasShingles.count
    }

    /// The sorted shingle set of document `index` (only when verifying).
    func withShingles<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        shingleValues.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[shingleOffsets[index]..<shingleOffsets[index + 1]]))
        }
    }

    /// Exact Jaccard similarity of documents `a` and `b`, or nil when shingle sets are not
    /// kept (verification off).
    public func jaccard(_ a: Int, _ b: Int) -> Double? {
        guard configuration.verifyJaccard else { return nil }
        if a < 0 || a >= count || b < 0 || b >= count {
            fatalError("FuzzyDeduplicator.jaccard: indices \(a), \(b) out of 0..<\(count)")
        }
        return withShingles(a) { x in withShingles(b) { y in MinHasher.jaccard(x, y) } }
    }
}

/// Fixed-chunk parallel work whose result does not depend on the thread count.
enum ChunkedWork {
    /// Splits `0..<count` into chunks of `chunkSize` (the last may be shorter), runs `body`
    /// on each over `threads` workers, and returns the chunk results in chunk order. Workers
    /// claim the next chunk from a shared counter, so a worker the OS delays on a busy
    /// machine does not hold the others up; which worker runs a chunk never changes its result.
    static func map<T>(count: Int, chunkSize: Int, threads: Int, _ body: @Sendable (Range<Int>) -> T) -> [T] {
        let chunkCount = (count + chunkSize - 1) / chunkSize
        let ranges = (0..<chunkCount).map { ($0 * chunkSize)..<min(count, ($0 + 1) * chunkSize) }
        let workers = min(threads, chunkCount)
        if workers <= 1 { return ranges.map(body) }
        let slots = Slots<T>(count: chunkCount)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = slots.claim() { slots.store(index, body(ranges[index])) }
        }
        return slots.values()
    }

    /// Results written by distinct workers (each slot once), read after the join.
    private final class Slots<T>: @unchecked Sendable {
        private let slots: UnsafeMutablePointer<T?>
        private let count: Int
        private let lock = NSLock()
        private var next = 0

        /// The next unclaimed chunk index, or nil when all are claimed.
        func claim() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard next < count else { return nil }
            next += 1
            return next - 1
        }

        init(count: Int) {
            self.count = count
            slots = .allocate(capacity: max(count, 1))
            slots.initialize(repeating: nil, count: count)
        }

        deinit {
            slots.deinitialize(count: count)
            slots.deallocate()
        }

        func store(_ index: Int, _ value: T) { slots[index] = value }

        func values() -> [T] { (0..<count).map { slots[$0]! } }
    }
}
