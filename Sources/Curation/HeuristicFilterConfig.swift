/// The heuristic quality filters and their thresholds, named as in NeMo Curator
/// (`nemo_curator/filters/heuristic_filter.py`: each key is a filter's `_name`, each
/// parameter its constructor argument). A filter whose key is absent (or `null`) is off.
///
/// ``nemoWeb`` is NeMo Curator's `config/heuristic_filter_en.yaml` (its web-text cascade);
/// ``prose`` is Lore's default for books, plays and other clean prose (see its notes).
/// What each filter measures is defined in ``TextStatistics``; filters run in the order of
/// NeMo's YAML and a document is removed by the first one it fails.
public struct HeuristicFilterConfig: Codable, Sendable, Equatable {
    /// `alpha_numeric` (NonAlphaNumericFilter): remove when
    /// `(characters − alphanumeric) / characters > max_non_alpha_numeric_to_text_ratio` (0.25).
    public var alphaNumeric: AlphaNumeric?
    /// `symbol_to_word` (SymbolsToWordsFilter): remove when
    /// `symbol tokens / words > max_symbol_to_word_ratio` (0.1); a symbol token is an ellipsis
    /// mark (`...`, `…`, `[...]`, `(...)`, `[…]`, `-»`) or more than half `#`.
    public var symbolToWord: SymbolToWord?
    /// `numbers_ratio` (NumbersFilter): remove when `digits / characters > max_number_to_text_ratio` (0.15).
    public var numbersRatio: NumbersRatio?
    /// `urls_ratio` (UrlsFilter): remove when `URL characters / characters > max_url_to_text_ratio` (0.2).
    public var urlsRatio: URLsRatio?
    /// `white_space` (WhiteSpaceFilter): remove when `whitespace / characters > max_white_space_ratio` (0.25).
    public var whiteSpace: WhiteSpace?
    /// `parentheses_ratio` (ParenthesesFilter): remove when `brackets / characters > max_parentheses_ratio` (0.1).
    public var parenthesesRatio: ParenthesesRatio?
    /// `boilerplate_string_ratio` (BoilerPlateStringFilter): remove when "lorem ipsum" occurs, or
    /// when `paragraphs with a policy substring / paragraphs > max_boilerplate_string_ratio` (0.4).
    public var boilerplateStringRatio: BoilerplateStringRatio?
    /// `repeated_lines` (RepeatedLinesFilter): remove when
    /// `unique lines / lines < max_repeated_line_fraction` (0.7 — despite NeMo's name, the
    /// smallest allowed fraction of unique lines; Gopher's "duplicate line fraction ≤ 0.3").
    public var repeatedLines: RepeatedLines?
    /// `repeated_paragraphs` (RepeatedParagraphsFilter): as ``repeatedLines`` for paragraphs (0.7).
    public var repeatedParagraphs: RepeatedParagraphs?
    /// `repeated_lines_char` (RepeatedLinesByCharFilter): remove when
    /// `characters of unique lines / characters of lines < max_repeated_lines_char_ratio` (0.8).
    public var repeatedLinesChar: RepeatedLinesChar?
    /// `repeated_paragraphs_char` (RepeatedParagraphsByCharFilter): as ``repeatedLinesChar`` for paragraphs (0.8).
    public var repeatedParagraphsChar: RepeatedParagraphsChar?
    /// `word_count` (WordCountFilter): remove unless `min_words ≤ words ≤ max_words` (50, 100 000).
    public var wordCount: WordCount?
    /// `punctuation` (PunctuationFilter): remove when `lines not ending in . ? ! " ' / lines >
    /// max_num_sentences_without_endmark_ratio` (0.85).
    public var punctuation: Punctuation?
    /// `words_without_alphabets` (WordsWithoutAlphabetsFilter): remove when
    /// `words with a letter / words < min_words_with_alphabets` (0.8).
    public var wordsWithoutAlphabets: WordsWithoutAlphabets?
    /// `common_english_words` (CommonEnglishWordsFilter): remove when fewer than
    /// `min_num_common_words` (2) words are in `common_words` (NeMo's and Gopher's stop words
    /// "the be to of and that have with", matched case-sensitively).
    public var commonEnglishWords: CommonEnglishWords?
    /// `mean_word_length` (MeanWordLengthFilter): remove unless
    /// `min_mean_word_length ≤ mean word length ≤ max_mean_word_length` (3, 10).
    public var meanWordLength: MeanWordLength?
    /// `max_word_length` (LongWordFilter): remove when the longest whitespace-separated token
    /// is longer than `max_word_length` (1000) characters.
    public var maxWordLength: MaxWordLength?
    /// `ellipsis` (EllipsisFilter): remove when `lines ending in an ellipsis mark / lines >
    /// max_num_lines_ending_with_ellipsis_ratio` (0.3).
    public var ellipsis: Ellipsis?
    /// `repeating_top_ngrams` (RepeatingTopNGramsFilter, one per `n`): remove when the most
    /// frequent word n-gram's non-overlapping occurrences cover more than
    /// `max_repeating_ngram_ratio` of the characters (Gopher: n 2, 3, 4 → 0.20, 0.18, 0.16).
    /// An n-gram that occurs only once is not a repetition (score 0).
    public var repeatingTopNGrams: [RepeatingTopNGrams]?
    /// `repeating_duplicate_ngrams` (RepeatingDuplicateNGramsFilter, one per `n`): remove when
    /// the characters covered by repeated occurrences of word n-grams exceed
    /// `max_repeating_duplicate_ngram_ratio` of the characters (Gopher: n 5…10 → 0.15…0.10).
    public var repeatingDuplicateNGrams: [RepeatingDuplicateNGrams]?
    /// `bullet_ratio` (BulletsFilter): remove when `lines starting with a bullet / lines >
    /// max_bullet_lines_ratio` (0.9).
    public var bulletRatio: BulletRatio?
    /// `repetition_min_words` (default 0): documents with fewer words skip the repetition
    /// filters (repeated lines and paragraphs, by count and by characters, and the top and
    /// duplicate n-gram filters). Gopher set those thresholds for web pages of at least 50
    /// words (its word-count minimum); in a seven-word line of verse one repeated word pair
    /// is already 20% of the characters.
    public var repetitionMinWords = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case alphaNumeric = "alpha_numeric", symbolToWord = "symbol_to_word", numbersRatio = "numbers_ratio"
        case urlsRatio = "urls_ratio", whiteSpace = "white_space", parenthesesRatio = "parentheses_ratio"
        case boilerplateStringRatio = "boilerplate_string_ratio", repeatedLines = "repeated_lines"
        case repeatedParagraphs = "repeated_paragraphs", repeatedLinesChar = "repeated_lines_char"
        case repeatedParagraphsChar = "repeated_paragraphs_char", wordCount = "word_count"
        case punctuation, wordsWithoutAlphabets = "words_without_alphabets"
        case commonEnglishWords = "common_english_words", meanWordLength = "mean_word_length"
        case maxWordLength = "max_word_length", ellipsis
        case repeatingTopNGrams = "repeating_top_ngrams", repeatingDuplicateNGrams = "repeating_duplicate_ngrams"
        case bulletRatio = "bullet_ratio", repetitionMinWords = "repetition_min_words"
    }

    // MARK: Filter settings (JSON keys are NeMo Curator's parameter names)

    public struct AlphaNumeric: Codable, Sendable, Equatable {
        public var maxNonAlphaNumericToTextRatio: Double
        public init(maxNonAlphaNumericToTextRatio: Double = 0.25) { self.maxNonAlphaNumericToTextRatio = maxNonAlphaNumericToTextRatio }
        enum CodingKeys: String, CodingKey { case maxNonAlphaNumericToTextRatio = "max_non_alpha_numeric_to_text_ratio" }
    }
    public struct SymbolToWord: Codable, Sendable, Equatable {
        public var maxSymbolToWordRatio: Double
        public init(maxSymbolToWordRatio: Double = 0.1) { self.maxSymbolToWordRatio = maxSymbolToWordRatio }
        enum CodingKeys: String, CodingKey { case maxSymbolToWordRatio = "max_symbol_to_word_ratio" }
    }
    public struct NumbersRatio: Codable, Sendable, Equatable {
        public var maxNumberToTextRatio: Double
        public init(maxNumberToTextRatio: Double = 0.15) { self.maxNumberToTextRatio = maxNumberToTextRatio }
        enum CodingKeys: String, CodingKey { case maxNumberToTextRatio = "max_number_to_text_ratio" }
    }
    public struct URLsRatio: Codable, Sendable, Equatable {
        public var maxURLToTextRatio: Double
        public init(maxURLToTextRatio: Double = 0.2) { self.maxURLToTextRatio = maxURLToTextRatio }
        enum CodingKeys: String, CodingKey { case maxURLToTextRatio = "max_url_to_text_ratio" }
    }
    public struct WhiteSpace: Codable, Sendable, Equatable {
        public var maxWhiteSpaceRatio: Double
        public init(maxWhiteSpaceRatio: Double = 0.25) { self.maxWhiteSpaceRatio = maxWhiteSpaceRatio }
        enum CodingKeys: String, CodingKey { case maxWhiteSpaceRatio = "max_white_space_ratio" }
    }
    public struct ParenthesesRatio: Codable, Sendable, Equatable {
        public var maxParenthesesRatio: Double
        public init(maxParenthesesRatio: Double = 0.1) { self.maxParenthesesRatio = maxParenthesesRatio }
        enum CodingKeys: String, CodingKey { case maxParenthesesRatio = "max_parentheses_ratio" }
    }
    public struct BoilerplateStringRatio: Codable, Sendable, Equatable {
        public var maxBoilerplateStringRatio: Double
        /// NeMo Curator's `policy_substrings` (lower case).
        public var policySubstrings: [String]
        public init(maxBoilerplateStringRatio: Double = 0.4, policySubstrings: [String] = HeuristicFilterConfig.nemoPolicySubstrings) {
            self.maxBoilerplateStringRatio = maxBoilerplateStringRatio
            self.policySubstrings = policySubstrings
        }
        enum CodingKeys: String, CodingKey {
            case maxBoilerplateStringRatio = "max_boilerplate_string_ratio", policySubstrings = "policy_substrings"
        }
    }
    public struct RepeatedLines: Codable, Sendable, Equatable {
        public var maxRepeatedLineFraction: Double
        public init(maxRepeatedLineFraction: Double = 0.7) { self.maxRepeatedLineFraction = maxRepeatedLineFraction }
        enum CodingKeys: String, CodingKey { case maxRepeatedLineFraction = "max_repeated_line_fraction" }
    }
    public struct RepeatedParagraphs: Codable, Sendable, Equatable {
        public var maxRepeatedParagraphsRatio: Double
        public init(maxRepeatedParagraphsRatio: Double = 0.7) { self.maxRepeatedParagraphsRatio = maxRepeatedParagraphsRatio }
        enum CodingKeys: String, CodingKey { case maxRepeatedParagraphsRatio = "max_repeated_paragraphs_ratio" }
    }
    public struct RepeatedLinesChar: Codable, Sendable, Equatable {
        public var maxRepeatedLinesCharRatio: Double
        public init(maxRepeatedLinesCharRatio: Double = 0.8) { self.maxRepeatedLinesCharRatio = maxRepeatedLinesCharRatio }
        enum CodingKeys: String, CodingKey { case maxRepeatedLinesCharRatio = "max_repeated_lines_char_ratio" }
    }
    public struct RepeatedParagraphsChar: Codable, Sendable, Equatable {
        public var maxRepeatedParagraphsCharRatio: Double
        public init(maxRepeatedParagraphsCharRatio: Double = 0.8) { self.maxRepeatedParagraphsCharRatio = maxRepeatedParagraphsCharRatio }
        enum CodingKeys: String, CodingKey { case maxRepeatedParagraphsCharRatio = "max_repeated_paragraphs_char_ratio" }
    }
    public struct WordCount: Codable, Sendable, Equatable {
        public var minWords: Int
        public var maxWords: Int
        public init(minWords: Int = 50, maxWords: Int = 100_000) { self.minWords = minWords; self.maxWords = maxWords }
        enum CodingKeys: String, CodingKey { case minWords = "min_words", maxWords = "max_words" }
    }
    public struct Punctuation: Codable, Sendable, Equatable {
        public var maxNumSentencesWithoutEndmarkRatio: Double
        public init(maxNumSentencesWithoutEndmarkRatio: Double = 0.85) { self.maxNumSentencesWithoutEndmarkRatio = maxNumSentencesWithoutEndmarkRatio }
        enum CodingKeys: String, CodingKey { case maxNumSentencesWithoutEndmarkRatio = "max_num_sentences_without_endmark_ratio" }
    }
    public struct WordsWithoutAlphabets: Codable, Sendable, Equatable {
        public var minWordsWithAlphabets: Double
        public init(minWordsWithAlphabets: Double = 0.8) { self.minWordsWithAlphabets = minWordsWithAlphabets }
        enum CodingKeys: String, CodingKey { case minWordsWithAlphabets = "min_words_with_alphabets" }
    }
    public struct CommonEnglishWords: Codable, Sendable, Equatable {
        public var minNumCommonWords: Int
        public var commonWords: [String]
        public init(minNumCommonWords: Int = 2, commonWords: [String] = HeuristicFilterConfig.nemoCommonEnglishWords) {
            self.minNumCommonWords = minNumCommonWords
            self.commonWords = commonWords
        }
        enum CodingKeys: String, CodingKey { case minNumCommonWords = "min_num_common_words", commonWords = "common_words" }
    }
    public struct MeanWordLength: Codable, Sendable, Equatable {
        public var minMeanWordLength: Double
        public var maxMeanWordLength: Double
        public init(minMeanWordLength: Double = 3, maxMeanWordLength: Double = 10) {
            self.minMeanWordLength = minMeanWordLength
            self.maxMeanWordLength = maxMeanWordLength
        }
        enum CodingKeys: String, CodingKey { case minMeanWordLength = "min_mean_word_length", maxMeanWordLength = "max_mean_word_length" }
    }
    public struct MaxWordLength: Codable, Sendable, Equatable {
        public var maxWordLength: Int
        public init(maxWordLength: Int = 1000) { self.maxWordLength = maxWordLength }
        enum CodingKeys: String, CodingKey { case maxWordLength = "max_word_length" }
    }
    public struct Ellipsis: Codable, Sendable, Equatable {
        public var maxNumLinesEndingWithEllipsisRatio: Double
        public init(maxNumLinesEndingWithEllipsisRatio: Double = 0.3) { self.maxNumLinesEndingWithEllipsisRatio = maxNumLinesEndingWithEllipsisRatio }
        enum CodingKeys: String, CodingKey { case maxNumLinesEndingWithEllipsisRatio = "max_num_lines_ending_with_ellipsis_ratio" }
    }
    public struct RepeatingTopNGrams: Codable, Sendable, Equatable {
        public var n: Int
        public var maxRepeatingNGramRatio: Double
        public init(n: Int, maxRepeatingNGramRatio: Double) { self.n = n; self.maxRepeatingNGramRatio = maxRepeatingNGramRatio }
        enum CodingKeys: String, CodingKey { case n, maxRepeatingNGramRatio = "max_repeating_ngram_ratio" }
    }
    public struct RepeatingDuplicateNGrams: Codable, Sendable, Equatable {
        public var n: Int
        public var maxRepeatingDuplicateNGramRatio: Double
        public init(n: Int, maxRepeatingDuplicateNGramRatio: Double) { self.n = n; self.maxRepeatingDuplicateNGramRatio = maxRepeatingDuplicateNGramRatio }
        enum CodingKeys: String, CodingKey { case n, maxRepeatingDuplicateNGramRatio = "max_repeating_duplicate_ngram_ratio" }
    }
    public struct BulletRatio: Codable, Sendable, Equatable {
        public var maxBulletLinesRatio: Double
        public init(maxBulletLinesRatio: Double = 0.9) { self.maxBulletLinesRatio = maxBulletLinesRatio }
        enum CodingKeys: String, CodingKey { case maxBulletLinesRatio = "max_bullet_lines_ratio" }
    }

    // MARK: Word lists

    /// NeMo Curator's `common_english_words` (= Gopher's / datatrove's `STOP_WORDS`).
    public static let nemoCommonEnglishWords = ["the", "be", "to", "of", "and", "that", "have", "with"]

    /// NeMo Curator's `policy_substrings` (its short phrases; the long cookie-banner sentences
    /// of the list all contain "cookies" and one of these).
    public static let nemoPolicySubstrings = [
        "terms of use", "privacy policy", "cookie policy", "uses cookies", "privacy overview",
        "use of cookies", "use cookies", "privacy & cookies policy", "privacy and cookies policy",
    ]

    // MARK: Presets

    /// NeMo Curator's English web cascade (`config/heuristic_filter_en.yaml`), every filter on
    /// with NeMo's default: words 50…100 000, mean word length 3…10, top 2/3/4-grams
    /// 0.20/0.18/0.16, duplicate 5…10-grams 0.15…0.10, …
    public static var nemoWeb: HeuristicFilterConfig {
        var config = HeuristicFilterConfig()
        config.alphaNumeric = AlphaNumeric()
        config.symbolToWord = SymbolToWord()
        config.numbersRatio = NumbersRatio()
        config.urlsRatio = URLsRatio()
        config.whiteSpace = WhiteSpace()
        config.parenthesesRatio = ParenthesesRatio()
        config.boilerplateStringRatio = BoilerplateStringRatio()
        config.repeatedLines = RepeatedLines()
        config.repeatedParagraphs = RepeatedParagraphs()
        config.repeatedLinesChar = RepeatedLinesChar()
        config.repeatedParagraphsChar = RepeatedParagraphsChar()
        config.wordCount = WordCount()
        config.punctuation = Punctuation()
        config.wordsWithoutAlphabets = WordsWithoutAlphabets()
        config.commonEnglishWords = CommonEnglishWords()
        config.meanWordLength = MeanWordLength()
        config.maxWordLength = MaxWordLength()
        config.ellipsis = Ellipsis()
        config.repeatingTopNGrams = [.init(n: 2, maxRepeatingNGramRatio: 0.2), .init(n: 3, maxRepeatingNGramRatio: 0.18),
                                     .init(n: 4, maxRepeatingNGramRatio: 0.16)]
        config.repeatingDuplicateNGrams = zip(5...10, [0.15, 0.14, 0.13, 0.12, 0.11, 0.10]).map {
            .init(n: $0, maxRepeatingDuplicateNGramRatio: $1)
        }
        config.bulletRatio = BulletRatio()
        return config
    }
}

extension HeuristicFilterConfig {
    /// Lore's default for clean prose — books, plays, articles — curated paragraph by
    /// paragraph. NeMo's web cascade (``nemoWeb``) assumes web pages of 50 words or more; on
    /// the Shakespeare paragraphs (38,942, 42% under 10 words) it keeps 37%. Differences:
    /// - `word_count`: 1 … 100 000 words (NeMo: 50): a paragraph of verse is a document;
    /// - `common_english_words`: off (NeMo: ≥ 2) — "Heaven bless him!--Farewell, Bertram."
    ///   has none; language identification is the stage for "is this English";
    /// - `punctuation`: off (NeMo: ≤ 0.85 of lines without an end mark) — verse lines end in
    ///   commas or nothing, headings and stage directions in nothing;
    /// - `mean_word_length`: 2.5 … 10 (NeMo: 3 … 10) — "How now! is he dead?" averages 2.8;
    /// - `parentheses_ratio`: ≤ 0.2 (NeMo: 0.1) — "[Enter a PAGE.]" is 13% brackets;
    /// - `repetition_min_words`: 50 — the repetition filters keep NeMo's thresholds but
    ///   judge only paragraphs of 50 words or more (see ``repetitionMinWords``).
    /// Every other filter keeps NeMo's default. On the Shakespeare texts the prose pipeline
    /// keeps ≥ 90% of the paragraphs; what it removes is mostly duplicates (a test checks both).
    public static var prose: HeuristicFilterConfig {
        var config = nemoWeb
        config.wordCount = WordCount(minWords: 1, maxWords: 100_000)
        config.commonEnglishWords = nil
        config.punctuation = nil
        config.meanWordLength = MeanWordLength(minMeanWordLength: 2.5, maxMeanWordLength: 10)
        config.parenthesesRatio = ParenthesesRatio(maxParenthesesRatio: 0.2)
        config.repetitionMinWords = 50
        return config
    }
}
