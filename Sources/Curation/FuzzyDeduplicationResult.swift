/// What ``FuzzyDeduplicator/finish()`` found: clusters, the documents to keep, a report.
public struct FuzzyDeduplicationResult: Sendable {
    /// Clusters of two or more near-duplicate documents: indices ascending (the first is the
    /// one kept), clusters ordered by their first index.
    public let clusters: [[Int]]
    /// `keep[i]` is false when document `i` is a near duplicate of an earlier document.
    public let keep: [Bool]
    /// Counts, cluster sizes and one example pair per cluster.
    public let report: FuzzyDeduplicationReport

    /// Indices of the kept documents, ascending.
    public var keptIndices: [Int] { keep.indices.filter { keep[$0] } }
    /// Indices of the removed documents, ascending.
    public var removedIndices: [Int] { keep.indices.filter { !keep[$0] } }
}

/// The numbers of one fuzzy deduplication run (Codable, for JSON reports).
public struct FuzzyDeduplicationReport: Codable, Sendable, Hashable {
    /// Documents seen.
    public var documents: Int
    /// Documents shorter than one shingle (never clustered).
    public var documentsWithoutShingles: Int
    /// Clusters of two or more documents.
    public var clusters: Int
    /// Documents removed (each cluster's members but its first).
    public var removed: Int
    /// How many clusters have each size, by ascending size.
    public var clusterSizes: [ClusterSize]
    /// Candidate pairs whose exact Jaccard similarity was computed (0 without verification).
    public var comparisons: Int
    /// Candidate pairs below the verification threshold (LSH false positives).
    public var rejectedComparisons: Int
    /// One pair per cluster: the kept document, the next member, their exact Jaccard
    /// similarity (nil without verification).
    public var examples: [Example]

    /// A number of clusters of one size.
    public struct ClusterSize: Codable, Sendable, Hashable {
        public var size: Int
        public var clusters: Int
    }

    /// A kept document and one document removed as its near duplicate.
    public struct Example: Codable, Sendable, Hashable {
        public var kept: Int
        public var duplicate: Int
        public var jaccard: Double?
    }

    /// The largest cluster size (0 when there are no clusters).
    public var largestCluster: Int { clusterSizes.last?.size ?? 0 }

    /// A few plain-text lines for a terminal.
    public var summary: String {
        var lines = [
            "fuzzy dedup: \(documents) documents, \(clusters) clusters, \(removed) removed, \(documents - removed) kept",
            "  without shingles: \(documentsWithoutShingles); largest cluster: \(largestCluster)",
        ]
        if comparisons > 0 {
            lines.append("  Jaccard checks: \(comparisons), rejected: \(rejectedComparisons)")
        }
        if !clusterSizes.isEmpty {
            lines.append("  cluster sizes: " + clusterSizes.prefix(8).map { "\($0.size)×\($0.clusters)" }.joined(separator: ", ")
                         + (clusterSizes.count > 8 ? ", …" : ""))
        }
        return lines.joined(separator: "\n")
    }
}
