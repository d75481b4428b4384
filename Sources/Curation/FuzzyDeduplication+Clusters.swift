import Dispatch

/// LSH buckets, candidate pairs, verification and clusters.
extension FuzzyDeduplicator {
    /// One document's hash in one band.
    struct BucketEntry: Comparable {
        var hash: UInt64
        var document: Int32

        static func < (a: BucketEntry, b: BucketEntry) -> Bool {
            a.hash != b.hash ? a.hash < b.hash : a.document < b.document
        }
    }

    /// For each band in `bands`, the documents with shingles sorted by (band hash, index);
    /// the bands are sorted in parallel, one band per thread.
    func sortedBands(_ bands: Range<Int>) -> [[BucketEntry]] {
        let bandCount = configuration.minHash.bands
        let slots = BandSlots(count: bands.count)
        let work: @Sendable (Int) -> Void = { [self] offset in
            let band = bands.lowerBound + offset
            var entries: [BucketEntry] = []
            entries.reserveCapacity(count)
            bandHashes.withUnsafeBufferPointer { hashes in
                for document in 0..<count where hasShingles[document] {
                    entries.append(BucketEntry(hash: hashes[document * bandCount + band], document: Int32(document)))
                }
            }
            entries.sort()
            slots.store(offset, entries)
        }
        if bands.count == 1 || threads == 1 {
            for offset in 0..<bands.count { work(offset) }
        } else {
            DispatchQueue.concurrentPerform(iterations: bands.count) { work($0) }
        }
        return (0..<bands.count).map { slots.take($0) }
    }

    /// Calls `body` with the members of every bucket of two or more documents (ascending
    /// indices), band by band.
    func forEachBucket(_ body: (ArraySlice<BucketEntry>) -> Void) {
        let bands = configuration.minHash.bands
        for group in stride(from: 0, to: bands, by: threads) {
            for entries in sortedBands(group..<min(bands, group + threads)) {
                var start = 0
                while start < entries.count {
                    var end = start + 1
                    while end < entries.count && entries[end].hash == entries[start].hash { end += 1 }
                    if end - start > 1 { body(entries[start..<end]) }
                    start = end
                }
            }
        }
    }

    /// Every pair of documents sharing at least one band (before verification), sorted.
    /// Quadratic in bucket sizes: meant for analysis and tests, not for large corpora.
    public func candidatePairs() -> [CandidatePair] {
        var pairs = Set<CandidatePair>()
        forEachBucket { members in
            for j in members.indices {
                for i in members.startIndex..<j {
                    pairs.insert(CandidatePair(Int(members[i].document), Int(members[j].document)))
                }
            }
        }
        return pairs.sorted()
    }

    /// Clusters the documents added so far and picks one to keep per cluster (the first in
    /// input order). Can be called again after adding more documents.
    public func finish() -> FuzzyDeduplicationResult {
        var sets = UnionFind(count: count)
        let verify = configuration.verifyJaccard, threshold = configuration.jaccardThreshold
        var comparisons = 0
        var rejected = Set<CandidatePair>()
        forEachBucket { members in
            guard verify else {
                let first = Int(members.first!.document)
                for entry in members.dropFirst() { sets.union(first, Int(entry.document)) }
                return
            }
            for j in members.indices {
                let b = Int(members[j].document)
                for i in members.startIndex..<j {
                    let a = Int(members[i].document)
                    if sets.connected(a, b) { continue }
                    let pair = CandidatePair(a, b)
                    if rejected.contains(pair) { continue }
                    comparisons += 1
                    let similarity = withShingles(a) { x in withShingles(b) { y in MinHasher.jaccard(x, y) } }
                    if similarity >= threshold { sets.union(a, b) } else { rejected.insert(pair) }
                }
            }
        }
        let clusters = sets.sets(minimumSize: 2)
        var keep = [Bool](repeating: true, count: count)
        for cluster in clusters { for member in cluster.dropFirst() { keep[member] = false } }
        let examples = clusters.map { cluster in
            FuzzyDeduplicationReport.Example(kept: cluster[0], duplicate: cluster[1], jaccard: jaccard(cluster[0], cluster[1]))
        }
        var sizes: [Int: Int] = [:]
        for cluster in clusters { sizes[cluster.count, default: 0] += 1 }
        let report = FuzzyDeduplicationReport(
            documents: count,
            documentsWithoutShingles: hasShingles.filter { !$0 }.count,
            clusters: clusters.count,
            removed: keep.filter { !$0 }.count,
            clusterSizes: sizes.keys.sorted().map { FuzzyDeduplicationReport.ClusterSize(size: $0, clusters: sizes[$0]!) },
            comparisons: comparisons,
            rejectedComparisons: rejected.count,
            examples: examples)
        return FuzzyDeduplicationResult(clusters: clusters, keep: keep, report: report)
    }
}

/// Two document indices, `first < second`.
public struct CandidatePair: Hashable, Comparable, Sendable, Codable {
    /// The smaller index.
    public let first: Int
    /// The larger index.
    public let second: Int

    /// The pair of `a` and `b` in either order (they must differ).
    public init(_ a: Int, _ b: Int) {
        if a == b { fatalError("CandidatePair: a document cannot pair with itself (\(a))") }
        first = min(a, b)
        second = max(a, b)
    }

    public static func < (x: CandidatePair, y: CandidatePair) -> Bool {
        (x.first, x.second) < (y.first, y.second)
    }
}

/// Sorted band arrays written by distinct workers (each slot written once).
private final class BandSlots: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<[FuzzyDeduplicator.BucketEntry]>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: [], count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func store(_ index: Int, _ entries: [FuzzyDeduplicator.BucketEntry]) { slots[index] = entries }

    func take(_ index: Int) -> [FuzzyDeduplicator.BucketEntry] {
        defer { slots[index] = [] }
        return slots[index]
    }
}
