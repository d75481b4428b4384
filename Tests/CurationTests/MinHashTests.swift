import Foundation
import Testing
@testable import Curation

@Suite struct MinHashTests {
    // MARK: Configuration

    @Test func presetsAreDatatroveAndNeMoDefaults() {
        let datatrove = MinHashConfiguration.datatrove
        #expect(datatrove.shingles == .words && datatrove.shingleSize == 5)
        #expect(datatrove.bands == 14 && datatrove.rowsPerBand == 8 && datatrove.seed == 1 && datatrove.hashCount == 112)
        #expect(MinHashConfiguration() == datatrove)
        let nemo = MinHashConfiguration.nemoLike
        #expect(nemo.shingles == .characters && nemo.shingleSize == 24)
        #expect(nemo.bands == 20 && nemo.rowsPerBand == 13 && nemo.seed == 42 && nemo.hashCount == 260)
        #expect(FuzzyDeduplicationConfiguration().verifyJaccard && FuzzyDeduplicationConfiguration().jaccardThreshold == 0.8)
    }

    /// The S-curve values quoted in the doc comments (datatrove's comment: threshold 0.72, P(0.8) = 0.924).
    @Test func sCurveMatchesDocumentedValues() {
        let datatrove = MinHashConfiguration.datatrove, nemo = MinHashConfiguration.nemoLike
        #expect(abs(datatrove.threshold - 0.7190) < 1e-4)
        #expect(abs(nemo.threshold - 0.7942) < 1e-4)
        for (s, p) in [(0.8, 0.9235), (0.85, 0.9884), (0.9, 0.9996), (0.5, 0.0533)] {
            #expect(abs(datatrove.candidateProbability(jaccard: s) - p) < 1e-4, "14 × 8 at \(s)")
        }
        for (s, p) in [(0.7, 0.1769), (0.8, 0.6773), (0.9, 0.9972)] {
            #expect(abs(nemo.candidateProbability(jaccard: s) - p) < 1e-4, "20 × 13 at \(s)")
        }
        #expect(datatrove.candidateProbability(jaccard: 0) == 0 && datatrove.candidateProbability(jaccard: 1) == 1)
    }

    @Test func configurationCodesWithDatatroveKeys() throws {
        let data = try JSONEncoder().encode(MinHashConfiguration.nemoLike)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["shingles", "n_grams", "num_buckets", "hashes_per_bucket", "seed"])
        #expect(object["shingles"] as? String == "characters" && object["n_grams"] as? Int == 24)
        #expect(try JSONDecoder().decode(MinHashConfiguration.self, from: data) == .nemoLike)
        // Missing keys take datatrove's defaults; bad sizes are decoding errors, not crashes.
        #expect(try JSONDecoder().decode(MinHashConfiguration.self, from: Data("{}".utf8)) == .datatrove)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(MinHashConfiguration.self, from: Data(#"{"num_buckets": 0}"#.utf8))
        }
        let dedup = try JSONDecoder().decode(FuzzyDeduplicationConfiguration.self,
                                             from: Data(#"{"minhash": {"n_grams": 3}, "jaccard_threshold": 0.7}"#.utf8))
        #expect(dedup.minHash.shingleSize == 3 && dedup.minHash.bands == 14 && dedup.jaccardThreshold == 0.7 && dedup.verifyJaccard)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FuzzyDeduplicationConfiguration.self, from: Data(#"{"jaccard_threshold": 1.5}"#.utf8))
        }
    }

    @Test func zeroBandsStops() async {
        await #expect(processExitsWith: .failure) {
            _ = MinHashConfiguration(bands: 0)
        }
    }

    // MARK: Shingles: fast scanner against the Words-based reference

    static let awkwardTexts = [
        "", "   ", "...!?", "one", "The quick brown fox", "The quick brown fox jumps",
        "Don't stop—o'er the hills, 42 times! 'quoted' words' rock''n'roll",
        "ÉCOLE Élève ÇA ßtraße İstanbul ΟΔΟΣ ΣΟΦΙΑ ǅemal",
        "cafe\u{301} au lait, na\u{308}ive co-operation\r\nnext\tline",
        "東京 と 大阪 に 行きました 。 東京タワー",
        "emoji 😀 between 🇫🇷 words ① ² Ⅻ mixed",
        "it’s the ’80s and rock’n’roll’ ends’",
        "UPPER lower MiXeD 123abc ABC123 _under_score_ a__b",
        String(repeating: "Lorem ipsum dolor sit amet, consectetur. ", count: 40),
    ]

    @Test func wordHashesMatchReference() {
        for text in Self.awkwardTexts {
            var scan = ShingleHash.Scan()
            ShingleHash.scan(text, into: &scan)
            #expect(scan.wordHashes == ShingleHash.referenceWordHashes(text), "\(text.prefix(40))")
            for n in [1, 2, 5] {
                var fast: [UInt64] = []
                ShingleHash.wordShingles(scan.wordHashes, n: n, into: &fast)
                #expect(fast == ShingleHash.referenceWordShingles(text, n: n), "n \(n): \(text.prefix(40))")
            }
        }
    }

    @Test func wordRangesCoverTheWords() {
        let text = "Héllo, WORLD—it’s 42!"
        var scan = ShingleHash.Scan()
        scan.wantsRanges = true
        ShingleHash.scan(text, into: &scan)
        let bytes = Array(text.utf8)
        let words = zip(scan.wordStarts, scan.wordEnds).map { String(decoding: bytes[$0..<$1], as: UTF8.self) }
        #expect(words == Words.split(text))
    }

    @Test func characterShinglesMatchReference() {
        for text in Self.awkwardTexts {
            var scan = ShingleHash.Scan()
            scan.wantsScalars = true
            ShingleHash.scan(text, into: &scan)
            let normalised = Words.split(text, lowercased: true).joined(separator: " ")
            #expect(scan.scalars == normalised.unicodeScalars.map(\.value), "\(text.prefix(40))")
            for n in [1, 3, 24] {
                var fast: [UInt64] = []
                ShingleHash.characterShingles(scan.scalars, n: n, into: &fast)
                #expect(fast == ShingleHash.referenceCharacterShingles(text, n: n), "n \(n): \(text.prefix(40))")
            }
        }
    }

    @Test func normalisationIgnoresCasePunctuationAndSpacing() {
        let hasher = MinHasher()
        let a = hasher.shingles(of: "To be, or not to be: that is the question.")
        let b = hasher.shingles(of: "to   BE or not\nto be -- That is THE question")
        #expect(a.count == 6 && a == b)
        #expect(hasher.shingles(of: "only four words here").isEmpty)
        #expect(hasher.signature(of: "only four words here") == nil)
        let characters = MinHasher(.nemoLike)
        #expect(characters.shingles(of: "To be, or not to be!") == characters.shingles(of: "TO BE  OR NOT TO BE"))
        #expect(characters.shingles(of: "short text").isEmpty)
    }

    // MARK: Permutations and signatures

    @Test func permutationMatchesDoubleAndAdd() {
        let p = MinHasher.prime
        var generator = MinHashTestGenerator(state: 17)
        let edges: [UInt64] = [0, 1, 2, p - 1, p - 2, 1 << 60, (1 << 61) - 2, 0x1234_5678_9abc_def]
        var cases: [(UInt64, UInt64, UInt64)] = []
        for x in edges { for a in edges where a > 0 { cases.append((x, a, edges[(cases.count * 3) % edges.count])) } }
        for _ in 0..<2000 {
            cases.append((UInt64.random(in: 0..<p, using: &generator), UInt64.random(in: 1..<p, using: &generator),
                          UInt64.random(in: 0..<p, using: &generator)))
        }
        for (x, a, b) in cases {
            #expect(MinHasher.permute(x, a, b) == MinHasher.referencePermute(x, a, b), "x \(x) a \(a) b \(b)")
        }
        #expect(MinHasher.permute(p, 5, 7) == 7, "x = p is 0 mod p")
        for x: UInt64 in [0, 1, p, p + 1, .max, .max - 7] { #expect(MinHasher.reduce(x) == x % p) }
    }

    @Test func parametersAreSeededAndInRange() {
        let one = MinHasher(.datatrove), again = MinHasher(.datatrove)
        #expect(one.multipliers == again.multipliers && one.offsets == again.offsets)
        #expect(one.multipliers.count == 112 && one.offsets.count == 112)
        #expect(one.multipliers.allSatisfy { $0 >= 1 && $0 < MinHasher.prime })
        #expect(one.offsets.allSatisfy { $0 < MinHasher.prime })
        #expect(Set(one.multipliers).count == 112)
        var reseeded = MinHashConfiguration.datatrove
        reseeded.seed = 2
        #expect(MinHasher(reseeded).multipliers != one.multipliers)
    }

    /// The kernel signature equals the definition min_x (a_k x + b_k) mod p, computed slowly.
    @Test func signatureIsMinimumOfPermutations() throws {
        let hasher = MinHasher(MinHashConfiguration(shingleSize: 2, bands: 4, rowsPerBand: 3, seed: 9))
        let text = "the cat sat on the mat and the cat sat down"
        let shingles = hasher.shingles(of: text)
        let signature = try #require(hasher.signature(of: text))
        for k in 0..<12 {
            let slow = shingles.map { MinHasher.referencePermute($0, hasher.multipliers[k], hasher.offsets[k]) }.min()!
            #expect(signature[k] == slow)
        }
        // Band hashes: one per band, from that band's rows only.
        var changed = signature
        changed[4] ^= 1
        let before = hasher.bandHashes(of: signature), after = hasher.bandHashes(of: changed)
        #expect(before.count == 4 && before[0] == after[0] && before[1] != after[1] && before[2...] == after[2...])
        // The workspace path (used by the deduplicator) gives the same band hashes.
        var workspace = MinHasher.Workspace(hasher.configuration)
        workspace.shingle(text)
        var bands = [UInt64](repeating: 0, count: 4)
        bands.withUnsafeMutableBufferPointer { workspace.bandHashes(hasher, into: $0.baseAddress!) }
        #expect(bands == before)
    }

    @Test func jaccardOfSortedSets() {
        #expect(MinHasher.jaccard([1, 2, 3, 4], [3, 4, 5, 6]) == 2.0 / 6.0)
        #expect(MinHasher.jaccard([], []) == 1 && MinHasher.jaccard([1], []) == 0)
        #expect(MinHasher.jaccard([7, 9], [7, 9]) == 1)
    }

    /// Over 260 hashes the fraction of equal values estimates the Jaccard similarity
    /// (binomial standard error √(J(1−J)/260) ≈ 0.03; tolerance 4 SE).
    @Test func signaturesEstimateJaccard() throws {
        let hasher = MinHasher(MinHashConfiguration(shingles: .words, shingleSize: 1, bands: 20, rowsPerBand: 13, seed: 3))
        let a = (0..<300).map { "w\($0)" }.joined(separator: " ")
        let b = (100..<400).map { "w\($0)" }.joined(separator: " ")
        let truth = MinHasher.jaccard(hasher.shingles(of: a), hasher.shingles(of: b))
        #expect(abs(truth - 0.5) < 1e-12)
        let estimate = MinHasher.estimatedJaccard(try #require(hasher.signature(of: a)), try #require(hasher.signature(of: b)))
        #expect(abs(estimate - truth) < 4 * (0.25 / 260).squareRoot())
    }
}
