import Foundation

/// Learns a byte-level BPE vocabulary and its merges from texts, as Hugging Face `tokenizers`'
/// `BpeTrainer` does with `initial_alphabet = ByteLevel.alphabet()`.
///
/// The vocabulary is laid out as Hugging Face lays it out: the special tokens first (ids
/// `0..<specialTokens.count`), then the 256 byte symbols in the order of their byte-level scalars
/// (`!` … `~`, `¡` … `¬`, `®` … `ÿ`, `Ā` … `Ń`, as in GPT-2's `encoder.json`), then one token per
/// merge. Training:
/// 1. each text is cut at special tokens (which are never merged), pre-tokenized, and the distinct
///    pieces ("words") are counted — on all threads, over fixed chunks of text, counts summed;
/// 2. every adjacent symbol pair is counted over all words, weighted by the word count;
/// 3. repeatedly, the most frequent pair is merged into a new token, until the vocabulary has
///    `vocabularySize` ids or the best pair occurs fewer than `minimumFrequency` times. Ties go to
///    the pair with the smaller `(left id, right id)` — Hugging Face's rule, so with the same
///    layout both pick the same merges. Within a word, occurrences merge left to right
///    (`aaa` with `a a` → `aa a`). Only the words holding the merged pair are revisited and pair
///    counts change incrementally (a lazy max-heap keyed by `(count, -pair)`), never a full recount.
///
/// When two merges make the same byte string (`a bc` and `ab c`), the second reuses the first id,
/// so the vocabulary can hold fewer tokens than `specials + 256 + merges`.
///
/// ```swift
/// let trainer = BPETrainer(vocabularySize: 2048, specialTokens: ["<|endoftext|>"])
/// let tokenizer = trainer.train(["First Citizen: Before we proceed any further, hear me speak."])
/// try tokenizer.save(to: URL(fileURLWithPath: "my-tokenizer"))
/// ```
public struct BPETrainer: Sendable {
    /// Total number of ids wanted: special tokens + 256 bytes + merges (at least 256 + specials).
    public var vocabularySize: Int
    /// The smallest pair count still merged. Default 2 (Hugging Face's default is 0).
    public var minimumFrequency: Int
    /// Literal tokens given the first ids, matched in the texts and never split or merged.
    public var specialTokens: [String]
    /// How texts are cut before counting (merges never cross a piece). Default ``PreTokenizer/gpt2``.
    public var preTokenizer: PreTokenizer
    /// Threads used to count words. Default: the active processor count.
    public var threads: Int

    /// - Parameters:
    ///   - vocabularySize: total ids wanted, specials and the 256 bytes included.
    ///   - minimumFrequency: smallest pair count still merged. Default 2.
    ///   - specialTokens: literal tokens given ids `0..<specialTokens.count`. Default none.
    ///   - preTokenizer: how texts are cut before counting. Default ``PreTokenizer/gpt2``.
    public init(vocabularySize: Int, minimumFrequency: Int = 2, specialTokens: [String] = [],
                preTokenizer: PreTokenizer = .gpt2) {
        self.vocabularySize = vocabularySize
        self.minimumFrequency = minimumFrequency
        self.specialTokens = specialTokens
        self.preTokenizer = preTokenizer
        self.threads = ProcessInfo.processInfo.activeProcessorCount
    }

    /// Trains on texts (their UTF-8 bytes), read in batches of about 8 MB so the sequence can be lazy.
    public func train(_ texts: some Sequence<String>) -> Tokenizer {
        var counts = WordCounts()
        var batch: [[UInt8]] = []
        var batchBytes = 0
        for text in texts {
            batch.append(Array(text.utf8))
            batchBytes += batch[batch.count - 1].count
            if batchBytes >= 8 << 20 {
                counts.add(countWords(batch))
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
            }
        }
        counts.add(countWords(batch))
        return train(counts: counts)
    }

    /// Trains on raw documents (any bytes, invalid UTF-8 included).
    public func train(documents: [[UInt8]]) -> Tokenizer {
        train(counts: countWords(documents))
    }

    // MARK: Counting

    /// Counts the pre-tokenized pieces of `documents` (special tokens removed) on `threads` threads.
    func countWords(_ documents: [[UInt8]]) -> WordCounts {
        let segments = Self.chunks(of: documents, specials: specialTokens.map { Array($0.utf8) }, target: 1 << 18)
        if segments.isEmpty { return WordCounts() }
        // Fixed chunks of segments; counts are sums, so the result does not depend on threads.
        let perChunk = 4
        let chunkCount = (segments.count + perChunk - 1) / perChunk
        let results = CountSlots(count: chunkCount)
        let pre = preTokenizer
        let work: @Sendable (Int) -> Void = { chunk in
            var counts = WordCounts()
            var text = ScalarText()
            for s in (chunk * perChunk)..<min(segments.count, (chunk + 1) * perChunk) {
                let (document, range) = segments[s]
                documents[document].withUnsafeBufferPointer { all in
                    let bytes = UnsafeBufferPointer(rebasing: all[range])
                    text.decode(bytes)
                    let offsets = text.offsets
                    pre.split(text) { lower, upper in
                        counts.add(UnsafeBufferPointer(rebasing: bytes[Int(offsets[lower])..<Int(offsets[upper])]), 1)
                    }
                }
            }
            results.set(chunk, counts)
        }
        if threads <= 1 || chunkCount == 1 {
            for chunk in 0..<chunkCount { work(chunk) }
        } else {
            let next = Counter()
            DispatchQueue.concurrentPerform(iterations: min(threads, chunkCount)) { _ in
                while true {
                    let chunk = next.increment()
                    if chunk >= chunkCount { break }
                    work(chunk)
                }
            }
        }
        var total = WordCounts()
        for chunk in 0..<chunkCount { total.add(results.take(chunk)) }
        return total
    }

    /// The byte ranges of `documents` between special tokens, cut further into ranges of about
    /// `target` bytes at safe places: between `\n` and a printable ASCII byte, the `\n` itself
    /// following a printable ASCII byte (every pre-tokenizer ends pieces on both sides of such a
    /// lone `\n`, and no lookahead reaches across it).
    static func chunks(of documents: [[UInt8]], specials: [[UInt8]], target: Int) -> [(Int, Range<Int>)] {
        @inline(__always) func printable(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
        var result: [(Int, Range<Int>)] = []
        let specials = specials.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        for (index, document) in documents.enumerated() {
            var segments: [Range<Int>] = []
            var start = 0, i = 0
            let n = document.count
            if specials.isEmpty {
                segments.append(0..<n)
            } else {
                while i < n {
                    var matched = 0
                    for special in specials where special[0] == document[i] && special.count <= n - i {
                        if document[i..<(i + special.count)].elementsEqual(special) { matched = special.count; break }
                    }
                    if matched > 0 {
                        if start < i { segments.append(start..<i) }
                        i += matched
                        start = i
                    } else {
                        i += 1
                    }
                }
                if start < n { segments.append(start..<n) }
            }
            for segment in segments {
                var lower = segment.lowerBound
                while segment.upperBound - lower > target {
                    var cut = lower + target
                    while cut < segment.upperBound && !(document[cut - 1] == 0x0A && printable(document[cut])
                                                         && cut - 2 >= lower && printable(document[cut - 2])) {
                        cut += 1
                    }
                    result.append((index, lower..<cut))
                    lower = cut
                }
                if lower < segment.upperBound { result.append((index, lower..<segment.upperBound)) }
            }
        }
        return result
    }

    // MARK: Merging

    /// Learns merges from counted words and builds the tokenizer.
    func train(counts: WordCounts) -> Tokenizer {
        for (i, special) in specialTokens.enumerated() {
            if special.isEmpty || specialTokens[..<i].contains(special) {
                fatalError("BPETrainer: special token \(special.debugDescription) is empty or listed twice in \(specialTokens)")
            }
        }
        let words = counts.sortedWords()
        let s = specialTokens.count
        // Byte → id: bytes sorted by their byte-level scalar.
        let byteOrder = (0..<256).sorted { ByteLevel.scalars[$0].value < ByteLevel.scalars[$1].value }
        var byteID = [Int32](repeating: 0, count: 256)
        var tokenBytes: [[UInt8]] = specialTokens.map { Array($0.utf8) }
        for (rank, byte) in byteOrder.enumerated() {
            byteID[byte] = Int32(s + rank)
            tokenBytes.append([UInt8(byte)])
        }
        let merges = Self.learnMerges(words: words.map { $0.0.map { byteID[Int($0)] } }, counts: words.map { $0.1 },
                                      tokenBytes: &tokenBytes, firstMergeable: s,
                                      vocabularySize: vocabularySize, minimumFrequency: minimumFrequency)
        var vocabulary = specialTokens
        for id in s..<tokenBytes.count { vocabulary.append(ByteLevel.encode(tokenBytes[id])) }
        let mergeStrings = merges.map { (vocabulary[Int($0.0)], vocabulary[Int($0.1)]) }
        let added = specialTokens.enumerated().map { Tokenizer.AddedToken(id: $0.offset, content: $0.element, special: true) }
        do {
            return try Tokenizer(vocabulary: vocabulary, merges: mergeStrings, addedTokens: added, preTokenizer: preTokenizer)
        } catch {
            fatalError("BPETrainer: the trained vocabulary does not form a tokenizer (\(error.localizedDescription))")
        }
    }

    /// The merge loop: `words` as symbol ids with their `counts`; appends new tokens' bytes to
    /// `tokenBytes` and returns the merges `(left, right)` in order.
    static func learnMerges(words: [[Int32]], counts: [Int], tokenBytes: inout [[UInt8]], firstMergeable: Int,
                            vocabularySize: Int, minimumFrequency: Int) -> [(Int32, Int32)] {
        var words = words
        var pairCount: [UInt64: Int] = [:]
        var pairWords: [UInt64: [Int32]] = [:]
        @inline(__always) func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }
        for (w, word) in words.enumerated() where word.count > 1 {
            for i in 0..<(word.count - 1) {
                let p = key(word[i], word[i + 1])
                pairCount[p, default: 0] += counts[w]
                pairWords[p, default: []].append(Int32(w))
            }
        }
        var heap = BinaryHeap<PairCandidate>()
        for (p, c) in pairCount { heap.push(PairCandidate(count: c, pair: p)) }
        var idOfBytes: [[UInt8]: Int32] = [:]
        for id in firstMergeable..<tokenBytes.count { idOfBytes[tokenBytes[id]] = Int32(id) }

        var merges: [(Int32, Int32)] = []
        var stamp = [Int](repeating: -1, count: words.count)
        var merged: [Int32] = []
        while tokenBytes.count < vocabularySize, let top = heap.pop() {
            let current = pairCount[top.pair] ?? 0
            if current != top.count {
                if current > 0 { heap.push(PairCandidate(count: current, pair: top.pair)) }
                continue
            }
            if top.count < 1 || top.count < minimumFrequency { break }
            let left = Int32(truncatingIfNeeded: top.pair >> 32), right = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
            let bytes = tokenBytes[Int(left)] + tokenBytes[Int(right)]
            let newID: Int32
            if let existing = idOfBytes[bytes] {
                newID = existing
            } else {
                newID = Int32(tokenBytes.count)
                tokenBytes.append(bytes)
                idOfBytes[bytes] = newID
            }
            merges.append((left, right))
            var touched: [UInt64] = []
            let iteration = merges.count
            for w32 in pairWords.removeValue(forKey: top.pair) ?? [] {
                let w = Int(w32)
                if stamp[w] == iteration { continue }
                stamp[w] = iteration
                let word = words[w]
                merged.removeAll(keepingCapacity: true)
                var i = 0
                while i < word.count {
                    if i + 1 < word.count && word[i] == left && word[i + 1] == right {
                        merged.append(newID)
                        i += 2
                    } else {
                        merged.append(word[i])
                        i += 1
                    }
                }
                if merged.count == word.count { continue }
                let c = counts[w]
                for i in 0..<(word.count - 1) { pairCount[key(word[i], word[i + 1])]! -= c }
                if merged.count > 1 {
                    for i in 0..<(merged.count - 1) {
                        let p = key(merged[i], merged[i + 1])
                        pairCount[p, default: 0] += c
                        if merged[i] == newID || merged[i + 1] == newID {
                            pairWords[p, default: []].append(w32)
                            touched.append(p)
                        }
                    }
                }
                words[w] = merged
            }
            pairCount[top.pair] = nil
            for p in Set(touched) { if let c = pairCount[p], c > 0 { heap.push(PairCandidate(count: c, pair: p)) } }
        }
        return merges
    }
}

/// A pair candidate of the training loop: the larger count first, then the smaller pair key
/// (left id, then right id). Entries may be stale; the merge loop checks them against the
/// current counts.
struct PairCandidate: HeapOrdered {
    var count: Int
    var pair: UInt64

    @inline(__always)
    static func comesBefore(_ a: Self, _ b: Self) -> Bool {
        a.count != b.count ? a.count > b.count : a.pair < b.pair
    }
}
