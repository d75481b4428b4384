/// What the heuristic filters measure in a document, computed in one pass over its UTF-8
/// bytes (plus one pass per line and paragraph).
///
/// Definitions (all counts are of Unicode scalars, which is what Python's `len(str)` counts):
/// - *characters*: every scalar of the text;
/// - *words*: ``Words``' words — runs of letters, marks and numbers with inner apostrophes;
/// - *tokens*: whitespace-separated pieces (Python's `str.split()`), used where NeMo Curator's
///   rule is about raw tokens (symbol words, the longest word);
/// - *lines*: pieces between `\n` that are not blank (NeMo Curator's `get_sentences`);
/// - *paragraphs*: pieces between `\n\n` that are not blank (NeMo Curator's `get_paragraphs`).
struct TextStatistics {
    var characters = 0
    /// Letters, marks and numbers, plus `\n ? ! , .` (NeMo Curator's `regex_alphanum` extended
    /// from ASCII to all scripts).
    var alphanumeric = 0
    /// Decimal digits (`[[:digit:]]`).
    var digits = 0
    /// `\t \n \r \b` and space (NeMo Curator's `white_space_list`).
    var whitespace = 0
    /// `{ } ⟨ ⟩ [ ] ( )` (NeMo Curator's `regex_paren`).
    var parentheses = 0
    /// Characters inside URLs (``URLScanner``).
    var urlCharacters = 0

    /// Tokens that are an ellipsis mark or more than half `#` (NeMo Curator's symbol words).
    var symbolTokens = 0
    /// Length of the longest token.
    var longestToken = 0

    /// Hash of each word (case-sensitive), in order.
    var wordHashes: [UInt64] = []
    /// Length of each word in scalars, in order.
    var wordLengths: [Int32] = []
    /// Words containing at least one letter.
    var wordsWithLetters = 0
    /// Words that are in the common-word list (case-sensitive, as NeMo Curator checks).
    var commonWords = 0

    /// Non-blank lines.
    var lines = 0
    var bulletLines = 0
    var linesWithoutEndMark = 0
    var ellipsisLines = 0
    /// Non-blank lines / their characters after removing repeated lines (a line's second and
    /// later copies).
    var uniqueLines = 0
    var lineCharacters = 0
    var uniqueLineCharacters = 0

    var paragraphs = 0
    var uniqueParagraphs = 0
    var paragraphCharacters = 0
    var uniqueParagraphCharacters = 0
    /// Paragraphs containing a policy substring.
    var boilerplateParagraphs = 0
    var containsLoremIpsum = false

    var wordCount: Int { wordHashes.count }
    var wordCharacters: Int { wordLengths.reduce(0) { $0 + Int($1) } }
}

/// Per-thread buffers reused from one document to the next.
final class StatisticsScratch {
    var counter = HashCounter()
}

/// Character classes of ASCII bytes for the statistics pass.
enum ASCIIClass {
    static let word: UInt8 = 1, letter: UInt8 = 2, digit: UInt8 = 4, whitespace: UInt8 = 8
    static let paren: UInt8 = 16, alnumExtra: UInt8 = 32, separator: UInt8 = 64

    static let table: [UInt8] = (0..<256).map { byte in
        var flags: UInt8 = 0
        let b = UInt8(byte)
        if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) { flags |= word | letter }
        if b >= 0x30 && b <= 0x39 { flags |= word | digit }
        if [0x09, 0x0A, 0x0D, 0x08, 0x20].contains(b) { flags |= whitespace }
        if Array("{}[]()".utf8).contains(b) { flags |= paren }
        if Array("\n?!,.".utf8).contains(b) { flags |= alnumExtra }
        // Python's str.split() separators among ASCII: \t \n \v \f \r, 0x1C–0x1F, space.
        if [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20].contains(b) { flags |= separator }
        return flags
    }

    /// Python's `str.isspace()` for non-ASCII scalars (what `str.split()` splits on).
    static func isSeparator(_ value: UInt32) -> Bool {
        switch value {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
}

extension TextStatistics {
    /// Hash of a word's bytes (FNV-1a 64 with a final avalanche), never 0.
    @inline(__always)
    static func hashBytes(_ base: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in 0..<count { hash = (hash ^ UInt64(base[index])) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 29
        return hash | 1
    }

    static let ellipsisTokens: [[UInt8]] = ["...", "[...]", "…", "(...)", "[…]", "-»"].map { Array($0.utf8) }
    /// NeMo Curator's `ellipsis_marks`, checked at the end of a lower-cased line.
    static let ellipsisEndings: [[UInt8]] = ["...", "[...]", "…", "(...)", "[…]", "-»", "read more..", "read more"].map { Array($0.utf8) }
    /// NeMo Curator's `bullet_list`.
    static let bullets: Set<UInt32> = [0x2022, 0x2023, 0x2043, 0x204C, 0x204D, 0x2219, 0x25CB, 0x25CF, 0x25D8, 0x25E6, 0x29BE, 0x29BF]
    /// NeMo Curator's `end_marks`: `. ? ! " '`.
    static let endMarks: [UInt8] = Array(".?!\"'".utf8)

    /// Measures `bytes` (valid UTF-8).
    /// - Parameters:
    ///   - commonWords: hashes (``hashBytes(_:_:)``) of the common words.
    ///   - policy: matcher of the boilerplate policy substrings.
    ///   - needsLines, needsParagraphs: skip the line or paragraph pass when no filter uses it.
    static func measure(_ bytes: UnsafeBufferPointer<UInt8>, commonWords: Set<UInt64>, policy: SubstringMatcher?,
                        needsLines: Bool, needsParagraphs: Bool, scratch: StatisticsScratch) -> TextStatistics {
        var stats = TextStatistics()
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return stats }
        let count = bytes.count
        stats.wordHashes.reserveCapacity(count / 5)
        stats.wordLengths.reserveCapacity(count / 5)
        let table = ASCIIClass.table

        var wordStart = -1, wordScalars = 0, wordHasLetter = false
        var tokenStart = -1, tokenScalars = 0, tokenHashes = 0

        func endWord(_ end: Int) {
            guard wordStart >= 0 else { return }
            let hash = hashBytes(base + wordStart, end - wordStart)
            stats.wordHashes.append(hash)
            stats.wordLengths.append(Int32(wordScalars))
            if wordHasLetter { stats.wordsWithLetters += 1 }
            if commonWords.contains(hash) { stats.commonWords += 1 }
            wordStart = -1; wordScalars = 0; wordHasLetter = false
        }
        func endToken(_ end: Int) {
            guard tokenStart >= 0 else { return }
            stats.longestToken = max(stats.longestToken, tokenScalars)
            let length = end - tokenStart
            if tokenHashes * 2 > tokenScalars {
                stats.symbolTokens += 1
            } else if length <= 5 {
                let token = UnsafeBufferPointer(start: base + tokenStart, count: length)
                if ellipsisTokens.contains(where: { $0.elementsEqual(token) }) { stats.symbolTokens += 1 }
            }
            tokenStart = -1; tokenScalars = 0; tokenHashes = 0
        }

        var index = 0
        while index < count {
            let byte = base[index]
            var value = UInt32(byte), length = 1
            var isWord = false, isLetter = false, isSeparator = false
            if byte < 0x80 {
                let flags = table[Int(byte)]
                isWord = flags & ASCIIClass.word != 0
                isLetter = flags & ASCIIClass.letter != 0
                isSeparator = flags & ASCIIClass.separator != 0
                if flags & ASCIIClass.digit != 0 { stats.digits += 1 }
                if flags & ASCIIClass.whitespace != 0 { stats.whitespace += 1 }
                if flags & ASCIIClass.paren != 0 { stats.parentheses += 1 }
                if isWord || flags & ASCIIClass.alnumExtra != 0 { stats.alphanumeric += 1 }
            } else {
                (value, length) = UTF8Scan.decode(bytes, at: index)
                if let scalar = Unicode.Scalar(value) {
                    isWord = Words.isWordScalar(scalar)
                    isLetter = isWord && scalar.properties.isAlphabetic
                    if isWord { stats.alphanumeric += 1 }
                    if scalar.properties.generalCategory == .decimalNumber { stats.digits += 1 }
                    if value == 0x27E8 || value == 0x27E9 { stats.parentheses += 1 }
                    isSeparator = ASCIIClass.isSeparator(value)
                }
            }
            stats.characters += 1

            // Words (``Words``): word scalars, with an apostrophe inside when a word scalar follows.
            if isWord {
                if wordStart < 0 { wordStart = index }
                wordScalars += 1
                if isLetter { wordHasLetter = true }
            } else if wordStart >= 0, value == 0x27 || value == 0x2019, index + length < count,
                      Self.isWordAt(bytes, index + length, table) {
                wordScalars += 1
            } else {
                endWord(index)
            }

            // Whitespace-separated tokens.
            if isSeparator {
                endToken(index)
            } else {
                if tokenStart < 0 { tokenStart = index }
                tokenScalars += 1
                if byte == UInt8(ascii: "#") { tokenHashes += 1 }
            }
            index += length
        }
        endWord(count)
        endToken(count)

        for range in URLScanner.ranges(in: bytes) { stats.urlCharacters += range.count }
        if needsLines { measureLines(bytes, into: &stats, scratch: scratch) }
        if needsParagraphs { measureParagraphs(bytes, policy: policy, into: &stats, scratch: scratch) }
        return stats
    }

    @inline(__always)
    static func isWordAt(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, _ table: [UInt8]) -> Bool {
        let byte = bytes[index]
        if byte < 0x80 { return table[Int(byte)] & ASCIIClass.word != 0 }
        guard let scalar = Unicode.Scalar(UTF8Scan.decode(bytes, at: index).value) else { return false }
        return Words.isWordScalar(scalar)
    }

    /// Whether `bytes` is blank: only ASCII whitespace.
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0B || $0 == 0x0C || $0 == 0x0A }
    }

    static func measureLines(_ bytes: UnsafeBufferPointer<UInt8>, into stats: inout TextStatistics, scratch: StatisticsScratch) {
        let counter = scratch.counter
        counter.reset(expected: 64)
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = end + 1
            // Strip ASCII whitespace at both ends (Python's strip, for the cases that matter).
            var first = 0, last = line.count
            while first < last, isSpace(line[first]) { first += 1 }
            while last > first, isSpace(line[last - 1]) { last -= 1 }
            guard first < last, let base = line.baseAddress else { continue }
            stats.lines += 1
            let scalars = UTF8Scan.scalarCount(line)
            stats.lineCharacters += scalars
            if counter.add(hashBytes(base, line.count)) == 1 {
                stats.uniqueLines += 1
                stats.uniqueLineCharacters += scalars
            }
            let firstScalar = UTF8Scan.decode(line, at: first).value
            if bullets.contains(firstScalar) { stats.bulletLines += 1 }
            let stripped = UnsafeBufferPointer(rebasing: line[first..<last])
            if !endMarks.contains(stripped[stripped.count - 1]) { stats.linesWithoutEndMark += 1 }
            if endsWithEllipsis(stripped) { stats.ellipsisLines += 1 }
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    static func endsWithEllipsis(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for mark in ellipsisEndings where line.count >= mark.count {
            var matches = true
            let offset = line.count - mark.count
            for index in 0..<mark.count where UTF8Scan.lower(line[offset + index]) != mark[index] {
                matches = false
                break
            }
            if matches { return true }
        }
        return false
    }

    static let loremIpsum = SubstringMatcher(["lorem ipsum"])

    static func measureParagraphs(_ bytes: UnsafeBufferPointer<UInt8>, policy: SubstringMatcher?,
                                  into stats: inout TextStatistics, scratch: StatisticsScratch) {
        let counter = scratch.counter
        counter.reset(expected: 16)
        var start = 0
        while start <= bytes.count {
            var end = start
            while end + 1 < bytes.count, !(bytes[end] == 0x0A && bytes[end + 1] == 0x0A) { end += 1 }
            if end + 1 >= bytes.count { end = bytes.count }
            let paragraph = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = end + 2
            guard !isBlank(paragraph), let base = paragraph.baseAddress else { continue }
            stats.paragraphs += 1
            let scalars = UTF8Scan.scalarCount(paragraph)
            stats.paragraphCharacters += scalars
            if counter.add(hashBytes(base, paragraph.count)) == 1 {
                stats.uniqueParagraphs += 1
                stats.uniqueParagraphCharacters += scalars
            }
            if let policy, policy.contains(paragraph) { stats.boilerplateParagraphs += 1 }
            if loremIpsum.contains(paragraph) { stats.containsLoremIpsum = true }
        }
    }
}

/// Counts of 64-bit keys in an open-addressing table reused between documents (raw
/// storage: this is the filters' inner loop).
final class HashCounter {
    private var keys: UnsafeMutablePointer<UInt64>
    private var counts: UnsafeMutablePointer<Int32>
    private var capacity: Int
    private var mask: Int
    private var occupied = 0

    init() {
        capacity = 64
        mask = capacity - 1
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: capacity)
    }

    deinit {
        keys.deallocate()
        counts.deallocate()
    }

    /// Empties the table and sizes it for about `expected` distinct keys.
    func reset(expected: Int) {
        var wanted = 64
        while wanted < expected * 2 { wanted <<= 1 }
        if wanted > capacity {
            reallocate(wanted)
        } else {
            keys.update(repeating: 0, count: capacity)
        }
        occupied = 0
    }

    private func reallocate(_ newCapacity: Int) {
        keys.deallocate()
        counts.deallocate()
        capacity = newCapacity
        mask = capacity - 1
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: capacity)
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask }

    /// Adds one occurrence of `key` (0 is stored as 1); returns its count so far.
    @discardableResult
    func add(_ key: UInt64) -> Int {
        let key = key == 0 ? 1 : key
        if occupied * 2 >= capacity { grow() }
        var index = slot(key)
        while true {
            let stored = keys[index]
            if stored == key {
                counts[index] += 1
                return Int(counts[index])
            }
            if stored == 0 {
                keys[index] = key
                counts[index] = 1
                occupied += 1
                return 1
            }
            index = (index + 1) & mask
        }
    }

    /// The count of `key` (0 when absent).
    func count(of key: UInt64) -> Int {
        let key = key == 0 ? 1 : key
        var index = slot(key)
        while keys[index] != 0 {
            if keys[index] == key { return Int(counts[index]) }
            index = (index + 1) & mask
        }
        return 0
    }

    private func grow() {
        let oldKeys = Array(UnsafeBufferPointer(start: keys, count: capacity))
        let oldCounts = Array(UnsafeBufferPointer(start: counts, count: capacity))
        reallocate(capacity * 2)
        occupied = 0
        for (key, count) in zip(oldKeys, oldCounts) where key != 0 {
            var index = slot(key)
            while keys[index] != 0 { index = (index + 1) & mask }
            keys[index] = key
            counts[index] = count
            occupied += 1
        }
    }
}
