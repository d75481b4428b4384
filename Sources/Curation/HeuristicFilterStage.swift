import Foundation

/// The heuristic quality filters as one pipeline stage: each document is measured once
/// (``TextStatistics``) and removed by the first filter of ``HeuristicFilterConfig`` it fails;
/// the removal names the filter (NeMo Curator's name, or `repeating_top_3grams`,
/// `repeating_dup_7gram` for the n-gram filters), the measured value and the threshold.
public final class HeuristicFilterStage: Stage {
    public let name = "heuristic_filters"
    public let config: HeuristicFilterConfig
    private let commonWordHashes: Set<UInt64>
    private let policy: SubstringMatcher?
    private let needsLines: Bool
    private let needsParagraphs: Bool

    public init(_ config: HeuristicFilterConfig) {
        self.config = config
        commonWordHashes = Set((config.commonEnglishWords?.commonWords ?? []).map { word in
            var word = word
            return word.withUTF8 { TextStatistics.hashBytes($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
        })
        policy = config.boilerplateStringRatio.map { SubstringMatcher($0.policySubstrings) }
        needsLines = config.repeatedLines != nil || config.repeatedLinesChar != nil || config.punctuation != nil
            || config.ellipsis != nil || config.bulletRatio != nil
        needsParagraphs = config.repeatedParagraphs != nil || config.repeatedParagraphsChar != nil
            || config.boilerplateStringRatio != nil
    }

    /// The first filter `text` fails, or nil when it passes them all.
    public func evaluate(_ text: String) -> Removal? {
        evaluate(text, scratch: StatisticsScratch())
    }

    public func process(_ documents: inout [Document], workers: Int) -> [StageOutcome] {
        let texts = documents.map(\.text)
        return Parallel.mapChunks(count: texts.count, workers: workers) { range in
            let scratch = StatisticsScratch()
            return range.map { index in
                self.evaluate(texts[index], scratch: scratch).map(StageOutcome.removed) ?? .kept
            }
        }
    }

    func evaluate(_ text: String, scratch: StatisticsScratch) -> Removal? {
        var text = text
        let stats = text.withUTF8 { bytes in
            TextStatistics.measure(bytes, commonWords: commonWordHashes, policy: policy,
                                   needsLines: needsLines, needsParagraphs: needsParagraphs, scratch: scratch)
        }
        return firstFailure(stats, scratch: scratch)
    }

    private func firstFailure(_ s: TextStatistics, scratch: StatisticsScratch) -> Removal? {
        let characters = Double(s.characters)
        let words = Double(s.wordCount)
        /// A fraction of the characters; an empty text scores 1 (NeMo removes empty documents).
        func ofText(_ count: Int) -> Double { s.characters > 0 ? Double(count) / characters : 1 }
        func fail(_ name: String, _ value: Double, _ comparison: String) -> Removal {
            Removal(reason: name, value: value, detail: "\(name) \(Self.format(value)) \(comparison)")
        }
        func above(_ name: String, _ value: Double, _ limit: Double) -> Removal? {
            value > limit ? fail(name, value, "> \(Self.format(limit))") : nil
        }
        func below(_ name: String, _ value: Double, _ limit: Double) -> Removal? {
            value < limit ? fail(name, value, "< \(Self.format(limit))") : nil
        }
        let c = config
        if let f = c.alphaNumeric, let r = above("alpha_numeric", ofText(s.characters - s.alphanumeric), f.maxNonAlphaNumericToTextRatio) { return r }
        if let f = c.symbolToWord {
            let ratio = s.wordCount > 0 ? Double(s.symbolTokens) / words : (s.symbolTokens > 0 ? 1 : 0)
            if let r = above("symbol_to_word", ratio, f.maxSymbolToWordRatio) { return r }
        }
        if let f = c.numbersRatio, let r = above("numbers_ratio", ofText(s.digits), f.maxNumberToTextRatio) { return r }
        if let f = c.urlsRatio, let r = above("urls_ratio", ofText(s.urlCharacters), f.maxURLToTextRatio) { return r }
        if let f = c.whiteSpace, let r = above("white_space", ofText(s.whitespace), f.maxWhiteSpaceRatio) { return r }
        if let f = c.parenthesesRatio, let r = above("parentheses_ratio", ofText(s.parentheses), f.maxParenthesesRatio) { return r }
        if let f = c.boilerplateStringRatio {
            if s.containsLoremIpsum { return fail("boilerplate_string_ratio", 1, "(contains \"lorem ipsum\")") }
            let ratio = s.paragraphs > 0 ? Double(s.boilerplateParagraphs) / Double(s.paragraphs) : 0
            if let r = above("boilerplate_string_ratio", ratio, f.maxBoilerplateStringRatio) { return r }
        }
        func fraction(_ part: Int, _ whole: Int) -> Double { whole > 0 ? Double(part) / Double(whole) : 1 }
        let judgeRepetition = s.wordCount >= c.repetitionMinWords
        if judgeRepetition, let f = c.repeatedLines, let r = below("repeated_lines", fraction(s.uniqueLines, s.lines), f.maxRepeatedLineFraction) { return r }
        if judgeRepetition, let f = c.repeatedParagraphs,
           let r = below("repeated_paragraphs", fraction(s.uniqueParagraphs, s.paragraphs), f.maxRepeatedParagraphsRatio) { return r }
        if judgeRepetition, let f = c.repeatedLinesChar,
           let r = below("repeated_lines_char", fraction(s.uniqueLineCharacters, s.lineCharacters), f.maxRepeatedLinesCharRatio) { return r }
        if judgeRepetition, let f = c.repeatedParagraphsChar,
           let r = below("repeated_paragraphs_char", fraction(s.uniqueParagraphCharacters, s.paragraphCharacters),
                         f.maxRepeatedParagraphsCharRatio) { return r }
        if let f = c.wordCount {
            if s.wordCount < f.minWords { return fail("word_count", words, "< min_words \(f.minWords)") }
            if s.wordCount > f.maxWords { return fail("word_count", words, "> max_words \(f.maxWords)") }
        }
        if let f = c.punctuation, s.lines > 0,
           let r = above("punctuation", Double(s.linesWithoutEndMark) / Double(s.lines), f.maxNumSentencesWithoutEndmarkRatio) { return r }
        if let f = c.wordsWithoutAlphabets,
           let r = below("words_without_alphabets", s.wordCount > 0 ? Double(s.wordsWithLetters) / words : 0, f.minWordsWithAlphabets) { return r }
        if let f = c.commonEnglishWords, s.commonWords < f.minNumCommonWords {
            return fail("common_english_words", Double(s.commonWords), "< min_num_common_words \(f.minNumCommonWords)")
        }
        if let f = c.meanWordLength {
            let mean = s.wordCount > 0 ? Double(s.wordCharacters) / words : 0
            if let r = below("mean_word_length", mean, f.minMeanWordLength) ?? above("mean_word_length", mean, f.maxMeanWordLength) { return r }
        }
        if let f = c.maxWordLength, s.longestToken > f.maxWordLength {
            return fail("max_word_length", Double(s.longestToken), "> \(f.maxWordLength)")
        }
        if let f = c.ellipsis, s.lines > 0,
           let r = above("ellipsis", Double(s.ellipsisLines) / Double(s.lines), f.maxNumLinesEndingWithEllipsisRatio) { return r }
        if judgeRepetition, let filters = c.repeatingTopNGrams {
            for f in filters {
                let score = NGramRepetition.topNGramCharacters(s, n: f.n, scratch: scratch)
                if let r = above("repeating_top_\(f.n)grams", ofText(score), f.maxRepeatingNGramRatio) { return r }
            }
        }
        if judgeRepetition, let filters = c.repeatingDuplicateNGrams {
            var smallestWithoutRepeats = Int.max  // no repeated n-gram at n ⇒ none at any larger n
            for f in filters where f.n < smallestWithoutRepeats {
                let score = NGramRepetition.duplicateNGramCharacters(s, n: f.n, scratch: scratch)
                if score == 0 { smallestWithoutRepeats = f.n }
                if let r = above("repeating_dup_\(f.n)gram", ofText(score), f.maxRepeatingDuplicateNGramRatio) { return r }
            }
        }
        if let f = c.bulletRatio, s.lines > 0,
           let r = above("bullet_ratio", Double(s.bulletLines) / Double(s.lines), f.maxBulletLinesRatio) { return r }
        return nil
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int(value)) : String(format: "%.4g", value)
    }
}

/// Gopher's n-gram repetition measures over a document's word hashes.
enum NGramRepetition {
    /// Rolling hashes of every `n`-word window of `words` (`words.count − n + 1` values).
    static func windowHashes(_ words: [UInt64], n: Int) -> [UInt64] {
        guard n >= 1, words.count >= n else { return [] }
        let base: UInt64 = 0x100_0000_01B3
        var power: UInt64 = 1
        for _ in 1..<max(n, 1) { power = power &* base }
        var hash: UInt64 = 0
        for index in 0..<n { hash = hash &* base &+ words[index] }
        var result = [UInt64](repeating: 0, count: words.count - n + 1)
        result[0] = mix(hash)
        for index in 1..<result.count {
            hash = (hash &- words[index - 1] &* power) &* base &+ words[index + n - 1]
            result[index] = mix(hash)
        }
        return result
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value ^ (value >> 31)
        x = x &* 0x9E37_79B9_7F4A_7C15
        return x ^ (x >> 29)
    }

    /// Characters of the word n-gram `index…index+n−1`, spaces between words included.
    static func ngramCharacters(_ lengths: [Int32], _ index: Int, _ n: Int) -> Int {
        var total = n - 1
        for offset in 0..<n { total += Int(lengths[index + offset]) }
        return total
    }

    /// Characters covered by the non-overlapping occurrences of the most frequent n-gram
    /// (the first to reach the highest count); 0 when no n-gram occurs twice.
    static func topNGramCharacters(_ s: TextStatistics, n: Int, scratch: StatisticsScratch) -> Int {
        let hashes = windowHashes(s.wordHashes, n: n)
        guard hashes.count >= 2 else { return 0 }
        let counter = scratch.counter
        counter.reset(expected: hashes.count)
        var best = 1, bestIndex = -1
        for (index, hash) in hashes.enumerated() {
            let count = counter.add(hash)
            if count > best { best = count; bestIndex = index }
        }
        guard bestIndex >= 0 else { return 0 }
        // The n-gram that first reached `best` may not be the first one seen with that count:
        // find the first index whose final count equals `best`.
        for (index, hash) in hashes.enumerated() where counter.count(of: hash) == best {
            bestIndex = index
            break
        }
        let target = hashes[bestIndex]
        var occurrences = 0, nextFree = 0
        for (index, hash) in hashes.enumerated() where hash == target && index >= nextFree {
            occurrences += 1
            nextFree = index + n
        }
        return occurrences * ngramCharacters(s.wordLengths, bestIndex, n)
    }

    /// Characters covered by the second and later occurrences of repeated n-grams, each word
    /// counted once, plus the spaces between covered words of one run (NeMo Curator's count).
    static func duplicateNGramCharacters(_ s: TextStatistics, n: Int, scratch: StatisticsScratch) -> Int {
        let hashes = windowHashes(s.wordHashes, n: n)
        guard hashes.count >= 2 else { return 0 }
        let counter = scratch.counter
        counter.reset(expected: hashes.count)
        var covered = 0
        var coveredUntil = 0  // words before this index are already counted
        for (index, hash) in hashes.enumerated() where counter.add(hash) > 1 {
            let from = max(index, coveredUntil)
            for word in from..<(index + n) { covered += Int(s.wordLengths[word]) }
            covered += index < coveredUntil ? (index + n - coveredUntil) : n - 1
            coveredUntil = index + n
        }
        return covered
    }
}
