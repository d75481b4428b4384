import Testing
@testable import Curation

/// One filter switched on, a crafted document it must keep, one it must drop, and the value
/// it must measure on the dropped one.
struct FilterCase: Sendable, CustomTestStringConvertible {
    var reason: String
    var config: HeuristicFilterConfig
    var keep: String
    var drop: String
    var value: Double
    var testDescription: String { reason }

    init(_ reason: String, keep: String, drop: String, value: Double, _ configure: (inout HeuristicFilterConfig) -> Void) {
        self.reason = reason
        var config = HeuristicFilterConfig()
        configure(&config)
        self.config = config
        self.keep = keep
        self.drop = drop
        self.value = value
    }
}

@Suite struct HeuristicFilterTests {
    static let cases: [FilterCase] = [
        FilterCase("alpha_numeric", keep: "The quick brown fox jumps over the lazy dog.",
                   drop: "### $$$ %%% &&& abc", value: 16.0 / 19) { $0.alphaNumeric = .init() },
        FilterCase("symbol_to_word", keep: "A sentence with one hashtag #fine and many ordinary words in it here.",
                   drop: "### ## ... … words here", value: 2) { $0.symbolToWord = .init() },
        FilterCase("numbers_ratio", keep: "In 1603 the plague closed the theatres of London for months.",
                   drop: "Call 555 1234 5678 now", value: 11.0 / 22) { $0.numbersRatio = .init() },
        FilterCase("urls_ratio", keep: "See https://x.io for the details of the long explanation that follows here.",
                   drop: "see https://example.com/a/long/path/index.html", value: 42.0 / 46) { $0.urlsRatio = .init() },
        FilterCase("white_space", keep: "An ordinary sentence with ordinary spacing.",
                   drop: "a    b    c", value: 8.0 / 11) { $0.whiteSpace = .init() },
        FilterCase("parentheses_ratio", keep: "He left (quietly) before dawn, and nobody saw him go.",
                   drop: "[a] (b) {c}", value: 6.0 / 11) { $0.parenthesesRatio = .init() },
        FilterCase("boilerplate_string_ratio", keep: "One privacy policy mention.\n\nA real paragraph.\n\nAnother real one.",
                   drop: "Our Privacy Policy.\n\nTerms of use apply.\n\nReal text.", value: 2.0 / 3) { $0.boilerplateStringRatio = .init() },
        FilterCase("repeated_lines", keep: "a\nb\nc\na", drop: "same\nsame\nsame\nother", value: 0.5) { $0.repeatedLines = .init() },
        FilterCase("repeated_paragraphs", keep: "p\n\nq\n\nr\n\np", drop: "p\n\np\n\np\n\nq", value: 0.5) { $0.repeatedParagraphs = .init() },
        FilterCase("repeated_lines_char", keep: "short\nshort\na much longer line that is unique and dominates",
                   drop: "a long repeated line here\na long repeated line here\nshort", value: 30.0 / 55) { $0.repeatedLinesChar = .init() },
        FilterCase("repeated_paragraphs_char", keep: "short\n\nshort\n\na much longer paragraph that is unique and dominates",
                   drop: "a long repeated paragraph\n\na long repeated paragraph\n\nshort", value: 30.0 / 55) { $0.repeatedParagraphsChar = .init() },
        FilterCase("word_count", keep: "one two three", drop: "one two", value: 2) { $0.wordCount = .init(minWords: 3, maxWords: 5) },
        FilterCase("punctuation", keep: "one.\ntwo\nthree!", drop: "no end mark\nnor here\nnor here\nnor this\nnor that\nnor more\nnor\nyes.",
                   value: 7.0 / 8) { $0.punctuation = .init() },
        FilterCase("words_without_alphabets", keep: "the 2 cats ate fish", drop: "12 34 56 78 word",
                   value: 0.2) { $0.wordsWithoutAlphabets = .init() },
        FilterCase("common_english_words", keep: "the fox and the dog", drop: "The Fox And The Dog",
                   value: 0) { $0.commonEnglishWords = .init() },
        FilterCase("mean_word_length", keep: "the quick brown fox", drop: "a b c d e", value: 1) { $0.meanWordLength = .init() },
        FilterCase("max_word_length", keep: "short words only here", drop: "short words then averyveryverylongtoken",
                   value: 22) { $0.maxWordLength = .init(maxWordLength: 10) },
        FilterCase("ellipsis", keep: "one...\ntwo.\nthree.\nfour.", drop: "wait...\nmore…\nand so [...]\nfine.",
                   value: 0.75) { $0.ellipsis = .init() },
        FilterCase("repeating_top_2grams", keep: "the cat sat on the mat while the dog slept by the warm fire",
                   drop: "the cat the cat the cat sat on a very long mat today", value: 21.0 / 52) {
            $0.repeatingTopNGrams = [.init(n: 2, maxRepeatingNGramRatio: 0.2)]
        },
        FilterCase("repeating_dup_5gram", keep: "one two three four five six seven eight nine ten eleven twelve",
                   drop: "one two three four five six one two three four five six seven", value: 27.0 / 61) {
            $0.repeatingDuplicateNGrams = [.init(n: 5, maxRepeatingDuplicateNGramRatio: 0.15)]
        },
        FilterCase("bullet_ratio", keep: "• a\n• b\nplain", drop: "• a\n• b\n◦ c", value: 1) { $0.bulletRatio = .init() },
    ]

    @Test(arguments: cases)
    func eachFilterKeepsOneDocumentAndDropsAnother(_ filter: FilterCase) throws {
        let stage = HeuristicFilterStage(filter.config)
        #expect(stage.evaluate(filter.keep) == nil)
        let removal = try #require(stage.evaluate(filter.drop))
        #expect(removal.reason == filter.reason)
        let value = try #require(removal.value)
        #expect(abs(value - filter.value) < 1e-9, "measured \(value), expected \(filter.value)")
        #expect(removal.detail?.hasPrefix(filter.reason) == true)
    }

    @Test func loremIpsumRemovesTheDocumentOutright() {
        let stage = HeuristicFilterStage({ var c = HeuristicFilterConfig(); c.boilerplateStringRatio = .init(); return c }())
        #expect(stage.evaluate("Fine text.\n\nMore fine text.\n\nLorem Ipsum dolor.\n\nEnd.")?.value == 1)
    }

    @Test func wordCountAboveTheMaximumIsNamed() {
        let stage = HeuristicFilterStage({ var c = HeuristicFilterConfig(); c.wordCount = .init(minWords: 1, maxWords: 3); return c }())
        #expect(stage.evaluate("one two three four") == Removal(reason: "word_count", value: 4, detail: "word_count 4 > max_words 3"))
    }

    @Test func nGramsAreWordsAndOnceIsNoRepetition() {
        let stage = HeuristicFilterStage({ var c = HeuristicFilterConfig()
            c.repeatingTopNGrams = [.init(n: 2, maxRepeatingNGramRatio: 0.2)]; return c }())
        // Short documents: one 2-gram is most of the text, but it occurs once (datatrove/NeMo would drop it).
        #expect(stage.evaluate("Who's there?") == nil)
        // Punctuation separates words: "cat, the cat. The" still repeats "the cat" (case-sensitive).
        #expect(stage.evaluate("the cat, the cat. the cat; the end")?.reason == "repeating_top_2grams")
    }

    @Test func duplicateNGramCoverageCountsOverlappingRunsOnce() {
        var s = TextStatistics()
        s.wordHashes = [1, 2, 1, 2, 1, 2, 1]        // a b a b a b a
        s.wordLengths = [1, 1, 1, 1, 1, 1, 1]
        // 2-grams ab ba ab ba ab ba: repeats start at index 2 → words 2…6 covered once (5 chars + 4 spaces).
        #expect(NGramRepetition.duplicateNGramCharacters(s, n: 2, scratch: StatisticsScratch()) == 9)
        // Top 2-gram "a b" occurs 3 times without overlap (indices 0, 2, 4): 3 × 3 characters.
        #expect(NGramRepetition.topNGramCharacters(s, n: 2, scratch: StatisticsScratch()) == 9)
    }

    @Test func theFirstFailingFilterInNeMoOrderIsReported() {
        let stage = HeuristicFilterStage(.nemoWeb)
        // Too short and without stop words: word_count comes before common_english_words.
        #expect(stage.evaluate("Hello there friend")?.reason == "word_count")
        #expect(stage.evaluate("")?.reason == "alpha_numeric")
    }

    @Test func statisticsFollowTheWordsDefinition() {
        var text = "Don't stop—o'er the hills, 42 times! ### … http://a.b/c"
        let stats = text.withUTF8 {
            TextStatistics.measure($0, commonWords: [], policy: nil, needsLines: true, needsParagraphs: true, scratch: StatisticsScratch())
        }
        let words = Words.split(text)
        #expect(stats.wordCount == words.count)
        #expect(stats.wordLengths.map(Int.init) == words.map { $0.unicodeScalars.count })
        #expect(stats.characters == text.unicodeScalars.count)
        #expect(stats.digits == 2 && stats.symbolTokens == 2 && stats.urlCharacters == 12)
    }

    @Test func nemoWebPresetIsNeMoCuratorsEnglishCascade() throws {
        let c = HeuristicFilterConfig.nemoWeb
        #expect(c.alphaNumeric?.maxNonAlphaNumericToTextRatio == 0.25)
        #expect(c.symbolToWord?.maxSymbolToWordRatio == 0.1)
        #expect(c.numbersRatio?.maxNumberToTextRatio == 0.15)
        #expect(c.urlsRatio?.maxURLToTextRatio == 0.2)
        #expect(c.whiteSpace?.maxWhiteSpaceRatio == 0.25)
        #expect(c.parenthesesRatio?.maxParenthesesRatio == 0.1)
        #expect(c.boilerplateStringRatio?.maxBoilerplateStringRatio == 0.4)
        #expect(c.repeatedLines?.maxRepeatedLineFraction == 0.7 && c.repeatedParagraphs?.maxRepeatedParagraphsRatio == 0.7)
        #expect(c.repeatedLinesChar?.maxRepeatedLinesCharRatio == 0.8 && c.repeatedParagraphsChar?.maxRepeatedParagraphsCharRatio == 0.8)
        #expect(c.wordCount == .init(minWords: 50, maxWords: 100_000))
        #expect(c.punctuation?.maxNumSentencesWithoutEndmarkRatio == 0.85)
        #expect(c.wordsWithoutAlphabets?.minWordsWithAlphabets == 0.8)
        #expect(c.commonEnglishWords == .init(minNumCommonWords: 2, commonWords: ["the", "be", "to", "of", "and", "that", "have", "with"]))
        #expect(c.meanWordLength == .init(minMeanWordLength: 3, maxMeanWordLength: 10))
        #expect(c.maxWordLength?.maxWordLength == 1000)
        #expect(c.ellipsis?.maxNumLinesEndingWithEllipsisRatio == 0.3)
        #expect(c.repeatingTopNGrams?.map(\.n) == [2, 3, 4])
        #expect(c.repeatingTopNGrams?.map(\.maxRepeatingNGramRatio) == [0.2, 0.18, 0.16])
        #expect(c.repeatingDuplicateNGrams?.map(\.n) == [5, 6, 7, 8, 9, 10])
        #expect(c.repeatingDuplicateNGrams?.map(\.maxRepeatingDuplicateNGramRatio) == [0.15, 0.14, 0.13, 0.12, 0.11, 0.10])
        #expect(c.bulletRatio?.maxBulletLinesRatio == 0.9)
    }
}
