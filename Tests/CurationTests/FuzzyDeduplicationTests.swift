import Foundation
import Testing
@testable import Curation

/// SplitMix64, for seeded test corpora.
struct MinHashTestGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// A corpus of unrelated base documents, each followed by variants whose word-5-gram
/// Jaccard similarity to it is spread over [0.3, 1].
///
/// A base is a sequence of random words from a 20,000-word vocabulary (so its 5-grams are
/// distinct); a variant replaces words at random positions by fresh words used nowhere else,
/// until (S − D)/(S + D) ≤ its target (S shingles, D of them destroyed: each destroyed
/// window becomes a new unique one). The true Jaccard similarity of each pair is then
/// measured exactly on the shingle sets.
struct PlantedCorpus {
    var texts: [String] = []
    /// (base index, variant index, exact Jaccard similarity of their 5-word shingle sets).
    var pairs: [(base: Int, variant: Int, jaccard: Double)] = []
    /// The family (base number) of each document.
    var family: [Int] = []

    init(bases: Int, variantsPerBase: Int, seed: UInt64, lowest: Double = 0.3) {
        var generator = MinHashTestGenerator(state: seed)
        var fresh = 1_000_000
        func word(_ id: Int) -> String { "w" + String(id, radix: 36) }
        let hasher = MinHasher(.datatrove)
        for familyNumber in 0..<bases {
            let length = Int.random(in: 120...360, using: &generator)
            let base = (0..<length).map { _ in Int.random(in: 0..<20_000, using: &generator) }
            let baseIndex = texts.count
            texts.append(base.map(word).joined(separator: " "))
            family.append(familyNumber)
            let baseShingles = hasher.shingles(of: texts[baseIndex])
            let windows = length - 4
            for _ in 0..<variantsPerBase {
                let target = Double.random(in: lowest...1, using: &generator)
                var words = base
                var destroyed = [Bool](repeating: false, count: windows)
                var destroyedCount = 0
                while Double(windows - destroyedCount) / Double(windows + destroyedCount) > target {
                    let position = Int.random(in: 0..<length, using: &generator)
                    words[position] = fresh
                    fresh += 1
                    for start in max(0, position - 4)...min(windows - 1, position) where !destroyed[start] {
                        destroyed[start] = true
                        destroyedCount += 1
                    }
                }
                let index = texts.count
                texts.append(words.map(word).joined(separator: " "))
                family.append(familyNumber)
                pairs.append((baseIndex, index, MinHasher.jaccard(baseShingles, hasher.shingles(of: texts[index]))))
            }
        }
    }
}

@Suite struct FuzzyDeduplicationTests {
    // MARK: Crafted cases

    @Test func exactAndNearCopiesClusterAndTheFirstIsKept() {
        let line = "the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat"
        let texts = [
            "an unrelated opening document about rivers mountains and the long roads between them",
            line,
            line.uppercased() + "!!!",
            "something else entirely, with enough words to make several shingles of its own",
            "The quick, brown fox jumps over the lazy dog -- while the cat sleeps on the warm mat.",
        ]
        let result = FuzzyDeduplicator.deduplicate(texts)
        #expect(result.clusters == [[1, 2, 4]])
        #expect(result.keep == [true, true, false, true, false])
        #expect(result.keptIndices == [0, 1, 3] && result.removedIndices == [2, 4])
        #expect(result.report.documents == 5 && result.report.clusters == 1 && result.report.removed == 2)
        #expect(result.report.examples == [.init(kept: 1, duplicate: 2, jaccard: 1)])
        #expect(result.report.clusterSizes == [.init(size: 3, clusters: 1)] && result.report.largestCluster == 3)
        #expect(result.report.summary.contains("5 documents, 1 clusters, 2 removed, 3 kept"))
    }

    @Test func documentsWithoutShinglesAreNeverDuplicates() {
        let result = FuzzyDeduplicator.deduplicate(["Exeunt.", "Exeunt.", "", "Enter a Messenger.", "Enter a Messenger."])
        #expect(result.clusters.isEmpty && result.keep.allSatisfy { $0 })
        #expect(result.report.documentsWithoutShingles == 5)
        #expect(FuzzyDeduplicator.deduplicate([]).report.documents == 0)
    }

    /// With one row per band almost any overlap is a candidate; verification keeps only pairs
    /// at or above the threshold.
    @Test func verificationRejectsDissimilarCandidates() throws {
        let a = (0..<40).map { "a\($0)" }.joined(separator: " ")
        let b = (20..<60).map { "a\($0)" }.joined(separator: " ") // 16 shared of 56 windows: J ≈ 0.29
        let loose = MinHashConfiguration(shingles: .words, shingleSize: 5, bands: 60, rowsPerBand: 1, seed: 5)
        var deduplicator = FuzzyDeduplicator(FuzzyDeduplicationConfiguration(minHash: loose))
        deduplicator.add(a)
        deduplicator.add(b)
        #expect(deduplicator.candidatePairs() == [CandidatePair(0, 1)])
        let truth = try #require(deduplicator.jaccard(0, 1))
        #expect(abs(truth - 16.0 / 56.0) < 1e-12)
        let verified = deduplicator.finish()
        #expect(verified.clusters.isEmpty && verified.report.comparisons == 1 && verified.report.rejectedComparisons == 1)

        let unverified = FuzzyDeduplicator.deduplicate([a, b], configuration: .init(minHash: loose, verifyJaccard: false))
        #expect(unverified.clusters == [[0, 1]] && unverified.report.comparisons == 0)
        #expect(unverified.report.examples.first?.jaccard == nil)

        let lenient = FuzzyDeduplicator.deduplicate([a, b], configuration: .init(minHash: loose, jaccardThreshold: 0.25))
        #expect(lenient.clusters == [[0, 1]])
    }

    @Test func characterShinglesFindNearCopies() {
        // 24-scalar windows: one changed letter destroys 24 of ~560 windows (J ≈ 0.92).
        let base = """
            It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of \
            foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, \
            it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had \
            everything before us, we had nothing before us, we were all going direct to Heaven, we were all \
            going direct the other way.
            """
        let texts = [base, base.replacingOccurrences(of: "wisdom", with: "wisd0m"), "A wholly different sentence, long enough for 24-character shingles."]
        let result = FuzzyDeduplicator.deduplicate(texts, configuration: .init(minHash: .nemoLike))
        #expect(result.clusters == [[0, 1]])
    }

    /// Candidate pairs and clusters equal a brute-force reading of the definition: pairs with
    /// an equal band hash (from the public signature API), then connected components of the
    /// pairs whose exact Jaccard similarity reaches the threshold.
    @Test func clustersMatchBruteForce() {
        let corpus = PlantedCorpus(bases: 40, variantsPerBase: 5, seed: 12)
        var texts = corpus.texts
        texts += ["too short", "", texts[3], texts[10] + " extra words at the end of it"]
        let hasher = MinHasher(.datatrove)
        let bands = texts.map { text in hasher.signature(of: text).map { hasher.bandHashes(of: $0) } }
        var expectedPairs: [CandidatePair] = []
        for j in texts.indices { for i in 0..<j {
            if let x = bands[i], let y = bands[j], zip(x, y).contains(where: ==) { expectedPairs.append(CandidatePair(i, j)) }
        } }
        var deduplicator = FuzzyDeduplicator()
        deduplicator.add(contentsOf: texts)
        #expect(deduplicator.candidatePairs() == expectedPairs.sorted())

        var labels = Array(texts.indices)
        for pair in expectedPairs {
            let similarity = MinHasher.jaccard(hasher.shingles(of: texts[pair.first]), hasher.shingles(of: texts[pair.second]))
            guard similarity >= 0.8 else { continue }
            let (from, to) = (labels[pair.second], labels[pair.first])
            for k in labels.indices where labels[k] == from { labels[k] = to }
        }
        let expectedClusters = Dictionary(grouping: texts.indices, by: { labels[$0] }).values
            .filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        let result = deduplicator.finish()
        #expect(result.clusters == expectedClusters)
        #expect(result.clusters.contains { $0.contains(3) && $0.contains(texts.count - 2) })
        #expect(result.keep == texts.indices.map { i in !expectedClusters.contains { $0.dropFirst().contains(i) } })
    }

    // MARK: Union-find

    @Test func unionFindMatchesNaiveLabels() {
        var generator = MinHashTestGenerator(state: 4)
        var sets = UnionFind(count: 200)
        var labels = Array(0..<200)
        for _ in 0..<150 {
            let a = Int.random(in: 0..<200, using: &generator), b = Int.random(in: 0..<200, using: &generator)
            let merged = sets.union(a, b)
            let (from, to) = (labels[b], labels[a])
            #expect(merged == (from != to))
            for i in labels.indices where labels[i] == from { labels[i] = to }
        }
        for i in 0..<200 {
            let members = labels.indices.filter { labels[$0] == labels[i] }
            #expect(sets.smallestMember(i) == members.first! && sets.setSize(i) == members.count)
        }
        let groups = sets.sets(minimumSize: 2)
        #expect(groups.map(\.first!) == groups.map(\.first!).sorted())
        #expect(groups.allSatisfy { $0 == $0.sorted() && $0.count >= 2 })
        #expect(groups.reduce(0) { $0 + $1.count } == (0..<200).filter { sets.setSize($0) >= 2 }.count)
        sets.grow(by: 3)
        #expect(sets.count == 203 && sets.setSize(202) == 1 && !sets.connected(201, 202))
    }

    // MARK: Determinism

    @Test func sameResultForAnyThreadCountAndBatching() {
        let corpus = PlantedCorpus(bases: 60, variantsPerBase: 4, seed: 21)
        let one = FuzzyDeduplicator.deduplicate(corpus.texts, threads: 1)
        let two = FuzzyDeduplicator.deduplicate(corpus.texts, threads: 2)
        #expect(one.clusters == two.clusters && one.report == two.report)
        #expect(!one.clusters.isEmpty)
        var pieces = FuzzyDeduplicator(threads: 2)
        pieces.add(corpus.texts[0])
        pieces.add(contentsOf: Array(corpus.texts[1..<77]))
        pieces.add(contentsOf: Array(corpus.texts[77...]))
        #expect(pieces.count == corpus.texts.count)
        let streamed = pieces.finish()
        #expect(streamed.clusters == one.clusters && streamed.report == one.report)
    }

    // MARK: Quality on planted near-duplicates

    /// Per 0.1 bin of true Jaccard similarity, the number of base–variant pairs that LSH
    /// makes candidates equals Σ P(s_i), P(s) = 1 − (1 − s^8)^14, within 4 binomial standard
    /// errors (+1 for bins where P ≈ 1); pairs at J ≥ 0.85 end in one cluster ≥ 95% of the time.
    /// Corpus: 1,000 bases × 5 variants (6,000 documents, 5,000 pairs of known similarity).
    @Test func recallFollowsTheSCurve() throws {
        let corpus = PlantedCorpus(bases: 1000, variantsPerBase: 5, seed: 7)
        var deduplicator = FuzzyDeduplicator()
        deduplicator.add(contentsOf: corpus.texts)
        let candidates = Set(deduplicator.candidatePairs())
        let configuration = MinHashConfiguration.datatrove
        var lines: [String] = []
        for bin in 3..<10 {
            let low = Double(bin) / 10, high = bin == 9 ? 1.0001 : Double(bin + 1) / 10
            let inBin = corpus.pairs.filter { $0.jaccard >= low && $0.jaccard < high }
            #expect(inBin.count > 200, "bin \(low) has \(inBin.count) pairs")
            let observed = inBin.filter { candidates.contains(CandidatePair($0.base, $0.variant)) }.count
            let probabilities = inBin.map { configuration.candidateProbability(jaccard: $0.jaccard) }
            let expected = probabilities.reduce(0, +)
            let standardError = probabilities.map { $0 * (1 - $0) }.reduce(0, +).squareRoot()
            lines.append(String(format: "J %.1f–%.1f: %4d pairs, candidates %4d, S-curve %7.1f ± %.1f",
                                low, min(high, 1), inBin.count, observed, expected, standardError))
            #expect(abs(Double(observed) - expected) <= 4 * standardError + 1, "bin \(low): \(observed) vs \(expected) ± \(standardError)")
        }
        print(lines.joined(separator: "\n"))

        let result = deduplicator.finish()
        var cluster = [Int](repeating: -1, count: corpus.texts.count)
        for (number, members) in result.clusters.enumerated() { for member in members { cluster[member] = number } }
        let similar = corpus.pairs.filter { $0.jaccard >= 0.85 }
        let found = similar.filter { cluster[$0.base] >= 0 && cluster[$0.base] == cluster[$0.variant] }.count
        let recall = Double(found) / Double(similar.count)
        print(String(format: "dedup recall at J ≥ 0.85: %.4f (%d of %d pairs)", recall, found, similar.count))
        #expect(similar.count > 500 && recall >= 0.95)

        // With verification at 0.8, no cluster holds two documents below half of it, and
        // clusters never mix families (unrelated bases).
        var lowest = 1.0
        for members in result.clusters {
            #expect(Set(members.map { corpus.family[$0] }).count == 1)
            for j in members.indices { for i in 0..<j {
                lowest = min(lowest, try #require(deduplicator.jaccard(members[i], members[j])))
            } }
        }
        print(String(format: "lowest Jaccard inside a cluster: %.3f (%d clusters)", lowest, result.clusters.count))
        #expect(lowest >= 0.4)
        // Every pair at or above the threshold that LSH found is in one cluster, none below
        // the threshold joins on its own edge.
        for pair in corpus.pairs where candidates.contains(CandidatePair(pair.base, pair.variant)) && pair.jaccard >= 0.8 {
            #expect(cluster[pair.base] >= 0 && cluster[pair.base] == cluster[pair.variant])
        }
        try dumpForDatasketch(corpus: corpus, candidates: candidates)
    }

    /// Without verification, LSH false positives join dissimilar documents.
    @Test func withoutVerificationClustersAreLooser() {
        let corpus = PlantedCorpus(bases: 150, variantsPerBase: 5, seed: 8)
        let loose = FuzzyDeduplicator.deduplicate(corpus.texts, configuration: .init(verifyJaccard: false))
        let strict = FuzzyDeduplicator.deduplicate(corpus.texts)
        #expect(loose.report.removed > strict.report.removed)
        let hasher = MinHasher(.datatrove)
        let belowThreshold = loose.clusters.contains { members in
            let first = hasher.shingles(of: corpus.texts[members[0]])
            return members.dropFirst().contains { MinHasher.jaccard(first, hasher.shingles(of: corpus.texts[$0])) < 0.8 }
        }
        #expect(belowThreshold)
    }

    /// With `LORE_DUMP_MINHASH=folder`, writes `planted.json` there: the planted corpus, its
    /// pairs and Lore's candidate pairs, for `Scripts/check_minhash_datasketch.py`.
    func dumpForDatasketch(corpus: PlantedCorpus, candidates: Set<CandidatePair>) throws {
        guard let folder = ProcessInfo.processInfo.environment["LORE_DUMP_MINHASH"], !folder.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: folder).appendingPathComponent("planted.json").path
        let configuration = MinHashConfiguration.datatrove
        let object: [String: Any] = [
            "n_grams": configuration.shingleSize, "num_buckets": configuration.bands,
            "hashes_per_bucket": configuration.rowsPerBand,
            "documents": corpus.texts,
            "pairs": corpus.pairs.map { [$0.base, $0.variant, $0.jaccard] as [Any] },
            "lore_candidates": candidates.sorted().map { [$0.first, $0.second] },
        ]
        let data = try JSONSerialization.data(withJSONObject: object)
        try data.write(to: URL(fileURLWithPath: path))
        print("wrote \(path) (\(data.count) bytes)")
    }
}
