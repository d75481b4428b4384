import Foundation

/// Identifies the language of a text with character n-gram profiles (naive Bayes), for 14
/// languages, with no model file to load.
///
/// The model (``LanguageProfiles``) holds, for each language, the 3,000 most frequent
/// character 1–3-grams of its translated Debian manual pages and their log-probabilities;
/// `Scripts/build_language_profiles.py` rebuilds it. A text is reduced to n-grams as the
/// script counted them: letters and marks (`\p{L}\p{M}`) lower-cased scalar by scalar, every
/// other scalar (space, digit, punctuation) ends a word, each word is wrapped in `_` boundary
/// markers, and all 1-, 2- and 3-grams of `_word_` except the lone `_` are taken
/// (`"Hi!"` → `h i _h hi i_ _hi hi_`).
///
/// Scoring over the `N` n-gram occurrences `g` of the text:
///
///     mean_l    = (1/N) Σ_g ln P(g | l)        (ln P = unseenLogProbability when g is not in l's profile)
///     posterior = softmax_l(sharpness · mean_l)  at the best language
///     coverage  = share of the N occurrences found in the best language's profile
///     score     = posterior × coverage          in [0, 1]
///
/// The score is therefore not fastText's probability: it is high only when one language is
/// clearly ahead *and* the text is made of n-grams that language uses. On held-out manual
/// pages it averages 0.90–0.99 for the Latin and Cyrillic languages and 0.64–0.72 for
/// Japanese and Chinese (whose profiles cover fewer of their many characters), and it falls
/// below 0.3 for 80% of Hungarian and Vietnamese snippets, languages without a profile.
/// Below ``threshold`` (default 0.3, NeMo Curator's `min_langid_score`) the answer is
/// ``unknown``.
///
/// Languages (ISO 639-1): en de fr es it nl pl pt ru sv cs tr ja zh. Portuguese is trained on
/// Brazilian Portuguese pages, Chinese on simplified-Chinese pages. Input is expected in NFC
/// (a decomposed `é` is two scalars and scores as `e` plus a mark).
public struct LanguageIdentifier: Sendable {
    /// The language reported when the score is below the threshold or the text has no letters.
    public static let unknown = "unknown"

    /// Multiplier of the mean log-likelihoods inside the softmax (`sharpness` above).
    public static let sharpness: Float = 10

    /// ln P of an n-gram missing from a language's profile (≈ 6 × 10⁻⁶). Kept n-grams are
    /// clamped at it (only the rarest Chinese ones fall below), so a profile n-gram never
    /// scores worse than an unseen one.
    public static let unseenLogProbability: Float = -12

    /// The languages the model knows, as ISO 639-1 codes.
    public static var languages: [String] { LanguageProfiles.model.codes }

    /// Scores below this give ``unknown`` (default 0.3).
    public var threshold: Float

    /// Only the first `maximumScalars` Unicode scalars of a text are read (default 20,000,
    /// about ten pages), so one huge document costs no more than a long one.
    public var maximumScalars: Int

    /// The full answer for one text.
    public struct Identification: Sendable, Equatable {
        /// ISO 639-1 code, or ``LanguageIdentifier/unknown``.
        public var language: String
        /// `posterior × coverage`, in [0, 1].
        public var score: Float
        /// The best language even when the score is below the threshold.
        public var bestLanguage: String
        /// Softmax share of the best language.
        public var posterior: Float
        /// Share of the text's n-gram occurrences found in the best language's profile.
        public var coverage: Float
        /// Number of n-gram occurrences scored (0 when the text has no letters).
        public var ngramCount: Int
    }

    /// - Parameters:
    ///   - threshold: scores below it give ``unknown`` (default 0.3).
    ///   - maximumScalars: how much of a text is read (default 20,000 scalars).
    public init(threshold: Float = 0.3, maximumScalars: Int = 20_000) {
        if !(threshold >= 0 && threshold <= 1) {
            fatalError("LanguageIdentifier: threshold \(threshold) is not in [0, 1]")
        }
        if maximumScalars <= 0 {
            fatalError("LanguageIdentifier: maximumScalars must be positive, got \(maximumScalars)")
        }
        self.threshold = threshold
        self.maximumScalars = maximumScalars
    }

    /// The language of `text` (ISO 639-1, or ``unknown``) and its score in [0, 1].
    public func identify(_ text: String) -> (language: String, score: Float) {
        let result = details(text)
        return (result.language, result.score)
    }

    /// The language of `text` with the posterior, coverage and n-gram count behind the score.
    public func details(_ text: String) -> Identification {
        let model = LanguageProfiles.model
        let languages = model.codes.count
        // Pass 1: the profile row of every n-gram occurrence (-1: in no profile).
        var rows: [Int32] = []
        rows.reserveCapacity(min(text.utf8.count, maximumScalars) * 3)
        LanguageIdentifier.forEachNgram(text, maximumScalars: maximumScalars) { key in
            rows.append(model.rows[key] ?? -1)
        }
        let total = rows.count
        // Pass 2: per-language sums of log-probabilities and profile hits, one 16-lane row per
        // n-gram; Int32 lanes are flushed to Int64 every 2^20 n-grams (2^20 · 1200 < 2^31).
        var sums = [Int64](repeating: 0, count: languages)   // Σ round(100 ln P), exact
        var hits = [Int64](repeating: 0, count: languages)
        var unseen = 0
        rows.withUnsafeBufferPointer { rows in
            model.logProbabilities.withUnsafeBytes { logp in
                model.present.withUnsafeBytes { present in
                    var chunk = 0
                    while chunk < rows.count {
                        let end = min(chunk + (1 << 20), rows.count)
                        var sum = SIMD16<Int32>()
                        var hit = SIMD16<Int32>()
                        for k in chunk..<end {
                            let row = Int(rows[k])
                            if row < 0 { unseen += 1; continue }
                            let values = logp.loadUnaligned(fromByteOffset: row * 32, as: SIMD16<Int16>.self)
                            let flags = present.loadUnaligned(fromByteOffset: row * 16, as: SIMD16<UInt8>.self)
                            sum &+= SIMD16<Int32>(truncatingIfNeeded: values)
                            hit &+= SIMD16<Int32>(truncatingIfNeeded: flags)
                        }
                        for l in 0..<languages {
                            sums[l] += Int64(sum[l])
                            hits[l] += Int64(hit[l])
                        }
                        chunk = end
                    }
                }
            }
        }
        let unseenValue = Int64(Self.unseenLogProbability * 100)
        for l in 0..<languages { sums[l] += Int64(unseen) * unseenValue }
        guard total > 0 else {
            return Identification(language: Self.unknown, score: 0, bestLanguage: Self.unknown,
                                  posterior: 0, coverage: 0, ngramCount: 0)
        }
        var best = 0
        for l in 1..<languages where sums[l] > sums[best] { best = l }
        let n = Float(total)
        var z: Float = 0
        for l in 0..<languages { z += expf(Self.sharpness * Float(sums[l] - sums[best]) / (100 * n)) }
        let posterior = 1 / z
        let coverage = Float(hits[best]) / n
        let score = posterior * coverage
        let code = model.codes[best]
        return Identification(language: score >= threshold ? code : Self.unknown, score: score,
                              bestLanguage: code, posterior: posterior, coverage: coverage,
                              ngramCount: total)
    }

    /// Calls `body` with the key of every 1–3-gram of `text`, in order (see the type's summary).
    static func forEachNgram(_ text: String, maximumScalars: Int, _ body: (LanguageProfiles.Key) -> Void) {
        let boundary = UInt32(UInt8(ascii: "_"))
        var previous2: UInt32 = 0   // scalar two back (0: none)
        var previous1: UInt32 = 0   // scalar one back (0: none, i.e. outside a word)
        var inWord = false
        var seen = 0
        @inline(__always) func emit(_ c: UInt32) {
            // Unigram (never the lone boundary), bigram and trigram ending at c.
            if c != boundary { body(LanguageProfiles.key(c)) }
            if previous1 != 0 {
                body(LanguageProfiles.key(previous1, c))
                if previous2 != 0 { body(LanguageProfiles.key(previous2, previous1, c)) }
            }
            previous2 = previous1
            previous1 = c
        }
        for scalar in text.unicodeScalars {
            seen += 1
            if seen > maximumScalars { break }
            if let lower = wordScalar(scalar) {
                if !inWord {
                    previous2 = 0
                    previous1 = 0
                    emit(boundary)
                    inWord = true
                }
                emit(lower)
            } else if inWord {
                emit(boundary)
                inWord = false
            }
        }
        if inWord { emit(boundary) }
    }

    /// The lower-cased value of `scalar` when it is a letter or mark, else nil. Lower-casing
    /// is Unicode's full mapping when it yields one scalar (as Python's `str.lower` per
    /// character in the build script), the scalar itself otherwise (`İ`).
    @inline(__always)
    static func wordScalar(_ scalar: Unicode.Scalar) -> UInt32? {
        let v = scalar.value
        if v < 0x80 {
            if v >= 0x61 && v <= 0x7A { return v }
            if v >= 0x41 && v <= 0x5A { return v + 0x20 }
            return nil
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark:
            if scalar.properties.changesWhenLowercased {
                let mapped = scalar.properties.lowercaseMapping.unicodeScalars
                if mapped.count == 1, let first = mapped.first { return first.value }
            }
            return v
        default:
            return nil
        }
    }
}
