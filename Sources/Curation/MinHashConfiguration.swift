import Foundation

/// How a document is cut into the shingles whose set MinHash summarises, and how the
/// MinHash signature is banded for locality-sensitive hashing (LSH).
///
/// Text is normalised first, as datatrove's `simplify_text` does for its word shingles:
/// lower case, punctuation and symbols removed, whitespace collapsed. Concretely the
/// document becomes its ``Words`` (letters, marks and numbers, with apostrophes inside a
/// word), each lower-cased, joined by single spaces. (datatrove also strips diacritics and
/// maps digit runs to `0`; Lore keeps both.)
///
/// - ``Shingles/words(_:)``: every run of `n` consecutive words (datatrove: 5).
/// - ``Shingles/characters(_:)``: every run of `n` consecutive Unicode scalars of the
///   normalised text, spaces included (NeMo Curator: 24, on its raw text).
///
/// A document with fewer than `n` words (or scalars) has no shingles, no signature and is
/// never a duplicate of anything — as in datatrove, whose `ngrams` yields nothing then.
///
/// The signature has `bands × rows` values; value `k` is `min over shingles x of
/// (a_k·x + b_k) mod p` with the Mersenne prime `p = 2^61 − 1` and `a_k ∈ [1, p)`,
/// `b_k ∈ [0, p)` drawn from a SplitMix64 generator seeded with ``seed`` (datatrove draws
/// them the same way with NumPy's generator, so the numbers differ but not the method).
/// Two documents become an LSH *candidate pair* when all `rows` values of at least one band
/// agree. For Jaccard similarity `s` each value agrees with probability `s`, so
///
///     P(candidate | s) = 1 − (1 − s^rows)^bands,
///
/// an S-curve whose steepest point is near the threshold `(1/bands)^(1/rows)`:
/// 0.719 for datatrove's 14 × 8 (P(0.8) = 0.924, P(0.85) = 0.988, P(0.9) = 0.9996) and
/// 0.794 for NeMo Curator's 20 × 13 (P(0.7) = 0.18, P(0.8) = 0.68, P(0.9) = 0.997).
///
/// The coding keys are datatrove's `MinhashConfig` field names (`n_grams`, `num_buckets`,
/// `hashes_per_bucket`, `seed`) plus `shingles` (`"words"` or `"characters"`).
public struct MinHashConfiguration: Codable, Sendable, Hashable {
    /// What a shingle is.
    public enum Shingles: String, Codable, Sendable, Hashable {
        /// Runs of consecutive normalised words.
        case words
        /// Runs of consecutive Unicode scalars of the normalised text.
        case characters
    }

    /// Word or character shingles.
    public var shingles: Shingles
    /// Words (or scalars) per shingle, at least 1.
    public var shingleSize: Int
    /// LSH bands `b`, at least 1.
    public var bands: Int
    /// Signature values per band `r`, at least 1.
    public var rowsPerBand: Int
    /// Seed of the permutation parameters; equal seeds give equal signatures.
    public var seed: UInt64

    /// A configuration; sizes are checked (a caller mistake stops the program).
    public init(shingles: Shingles = .words, shingleSize: Int = 5, bands: Int = 14, rowsPerBand: Int = 8, seed: UInt64 = 1) {
        self.shingles = shingles
        self.shingleSize = shingleSize
        self.bands = bands
        self.rowsPerBand = rowsPerBand
        self.seed = seed
        validate()
    }

    /// datatrove's defaults: word 5-grams, 14 bands × 8 rows (112 hashes), seed 1.
    public static let datatrove = MinHashConfiguration(shingles: .words, shingleSize: 5, bands: 14, rowsPerBand: 8, seed: 1)

    /// NeMo Curator's defaults: character 24-grams, 20 bands × 13 rows (260 hashes), seed 42.
    public static let nemoLike = MinHashConfiguration(shingles: .characters, shingleSize: 24, bands: 20, rowsPerBand: 13, seed: 42)

    /// Signature length `bands × rows`.
    public var hashCount: Int { bands * rowsPerBand }

    /// The similarity near which the S-curve is steepest: `(1/bands)^(1/rows)`.
    public var threshold: Double { pow(1 / Double(bands), 1 / Double(rowsPerBand)) }

    /// The probability that two documents of Jaccard similarity `jaccard` share at least one
    /// band: `1 − (1 − s^rows)^bands`.
    public func candidateProbability(jaccard: Double) -> Double {
        1 - pow(1 - pow(jaccard, Double(rowsPerBand)), Double(bands))
    }

    enum CodingKeys: String, CodingKey {
        case shingles
        case shingleSize = "n_grams"
        case bands = "num_buckets"
        case rowsPerBand = "hashes_per_bucket"
        case seed
    }

    /// Decodes; missing keys take datatrove's defaults. Out-of-range sizes are a decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        shingles = try container.decodeIfPresent(Shingles.self, forKey: .shingles) ?? .words
        shingleSize = try container.decodeIfPresent(Int.self, forKey: .shingleSize) ?? 5
        bands = try container.decodeIfPresent(Int.self, forKey: .bands) ?? 14
        rowsPerBand = try container.decodeIfPresent(Int.self, forKey: .rowsPerBand) ?? 8
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        for (key, value) in [(CodingKeys.shingleSize, shingleSize), (.bands, bands), (.rowsPerBand, rowsPerBand)] where value < 1 {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                   debugDescription: "\(key.stringValue) must be at least 1, got \(value)")
        }
    }

    func validate() {
        if shingleSize < 1 { fatalError("MinHashConfiguration: shingleSize must be at least 1, got \(shingleSize)") }
        if bands < 1 { fatalError("MinHashConfiguration: bands must be at least 1, got \(bands)") }
        if rowsPerBand < 1 { fatalError("MinHashConfiguration: rowsPerBand must be at least 1, got \(rowsPerBand)") }
    }
}
