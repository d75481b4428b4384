/// Hashing of normalised words and shingles to 64 bits, shared by MinHash and
/// decontamination.
///
/// A word (as ``Words`` defines it, lower-cased) hashes to `mix(FNV-1a(UTF-8 bytes))`; a run
/// of `n` words hashes to ``ngram(_:count:)`` of the word hashes; a run of `n` scalars of the
/// normalised text hashes to `mix(Σ c_j · B^(n−1−j) mod 2^64)` (a polynomial that can be
/// rolled along the text). `mix` is the SplitMix64 finaliser. Shingle hashes keep the top 61
/// bits, so they are already residues modulo MinHash's prime `2^61 − 1` (or equal to it). No `String` is made per word:
/// ``scan(_:into:)`` reads UTF-8 bytes once, lower-cases as it goes and feeds the hash.
/// ``referenceWordHashes(_:)`` and ``referenceCharacterShingles(_:n:)`` compute the same
/// values through ``Words/split(_:lowercased:)``, slowly and obviously.
enum ShingleHash {
    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3
    /// Base of the rolling polynomial for character shingles (odd).
    static let characterBase: UInt64 = 0x9e37_79b9_7f4a_7c15

    /// The SplitMix64 finaliser: a bijection on 64 bits that spreads every input bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The hash of one word given its (already lower-cased) UTF-8 bytes.
    static func word<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h = fnvOffset
        for byte in bytes { h = (h ^ UInt64(byte)) &* fnvPrime }
        return mix(h)
    }

    /// The hash of `count` consecutive values (word hashes of an n-gram, or the rows of an
    /// LSH band); order matters.
    @inline(__always)
    static func ngram(_ values: UnsafePointer<UInt64>, count: Int) -> UInt64 {
        var h: UInt64 = 0x243f_6a88_85a3_08d3
        for j in 0..<count {
            h = (h ^ values[j]) &* 0x9e37_79b9_7f4a_7c15
            h ^= h >> 29
        }
        return mix(h)
    }

    /// `ngram` over an array slice (for callers outside hot loops).
    static func ngram(_ values: ArraySlice<UInt64>) -> UInt64 {
        let array = Array(values)
        return array.withUnsafeBufferPointer { ngram($0.baseAddress!, count: $0.count) }
    }

    // MARK: - Fast scanning

    /// What a normalised scan of one text produced; buffers are reused between texts.
    struct Scan {
        /// One hash per word, in order.
        var wordHashes: [UInt64] = []
        /// Byte offsets of each word in the source text (`start`, `end`), when requested.
        var wordStarts: [Int] = []
        var wordEnds: [Int] = []
        /// The normalised text as scalar values (words lower-cased, one space between
        /// words), when requested.
        var scalars: [UInt32] = []
        var wantsRanges = false
        var wantsScalars = false

        mutating func reset() {
            wordHashes.removeAll(keepingCapacity: true)
            wordStarts.removeAll(keepingCapacity: true)
            wordEnds.removeAll(keepingCapacity: true)
            scalars.removeAll(keepingCapacity: true)
        }
    }

    /// ASCII classes: 0 separator, 1 word byte, 2 apostrophe.
    private static let asciiClass: [UInt8] = (0..<128).map { byte -> UInt8 in
        switch byte {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: return 1
        case 0x27: return 2
        default: return 0
        }
    }

    /// Scans `text` into `scan` (which is reset first).
    static func scan(_ text: String, into scan: inout Scan) {
        scan.reset()
        var text = text
        text.withUTF8 { bytes in
            asciiClass.withUnsafeBufferPointer { table in
                scanBytes(bytes, table: table, into: &scan)
            }
        }
    }

    /// Decodes the scalar starting at `i` of valid UTF-8; returns it and its length.
    @inline(__always)
    private static func decode(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xe0 { return (((b0 & 0x1f) << 6) | (UInt32(p[i + 1]) & 0x3f), 2) }
        if b0 < 0xf0 {
            return (((b0 & 0x0f) << 12) | ((UInt32(p[i + 1]) & 0x3f) << 6) | (UInt32(p[i + 2]) & 0x3f), 3)
        }
        return (((b0 & 0x07) << 18) | ((UInt32(p[i + 1]) & 0x3f) << 12) | ((UInt32(p[i + 2]) & 0x3f) << 6)
                | (UInt32(p[i + 3]) & 0x3f), 4)
    }

    /// Whether the scalar at `i` (if any) is a word scalar.
    @inline(__always)
    private static func wordScalar(at i: Int, _ p: UnsafeBufferPointer<UInt8>, _ table: UnsafeBufferPointer<UInt8>) -> Bool {
        guard i < p.count else { return false }
        if p[i] < 0x80 { return table[Int(p[i])] == 1 }
        let (value, _) = decode(p, at: i)
        return Words.isWordScalar(Unicode.Scalar(value)!)
    }

    private static func scanBytes(_ p: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<UInt8>, into scan: inout Scan) {
        let wantsRanges = scan.wantsRanges, wantsScalars = scan.wantsScalars
        var h = fnvOffset
        var inWord = false
        var start = 0
        var i = 0
        let n = p.count

        @inline(__always) func begin(_ at: Int) {
            inWord = true
            start = at
            h = fnvOffset
            if wantsScalars, !scan.scalars.isEmpty { scan.scalars.append(0x20) }
        }
        @inline(__always) func end(_ at: Int) {
            scan.wordHashes.append(mix(h))
            if wantsRanges {
                scan.wordStarts.append(start)
                scan.wordEnds.append(at)
            }
            inWord = false
        }
        @inline(__always) func feed(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* fnvPrime }
        @inline(__always) func feedScalar(_ value: UInt32) {
            if value < 0x80 {
                feed(UInt8(value))
            } else if value < 0x800 {
                feed(UInt8(0xc0 | (value >> 6))); feed(UInt8(0x80 | (value & 0x3f)))
            } else if value < 0x10000 {
                feed(UInt8(0xe0 | (value >> 12))); feed(UInt8(0x80 | ((value >> 6) & 0x3f))); feed(UInt8(0x80 | (value & 0x3f)))
            } else {
                feed(UInt8(0xf0 | (value >> 18))); feed(UInt8(0x80 | ((value >> 12) & 0x3f)))
                feed(UInt8(0x80 | ((value >> 6) & 0x3f))); feed(UInt8(0x80 | (value & 0x3f)))
            }
            if wantsScalars { scan.scalars.append(value) }
        }

        while i < n {
            let b0 = p[i]
            if b0 < 0x80 {
                let cls = table[Int(b0)]
                if cls == 1 {
                    if !inWord { begin(i) }
                    let lower = (b0 >= 0x41 && b0 <= 0x5a) ? b0 | 0x20 : b0
                    feed(lower)
                    if wantsScalars { scan.scalars.append(UInt32(lower)) }
                } else if cls == 2, inWord, wordScalar(at: i + 1, p, table) {
                    feed(b0)
                    if wantsScalars { scan.scalars.append(UInt32(b0)) }
                } else if inWord {
                    end(i)
                }
                i += 1
                continue
            }
            let (value, length) = decode(p, at: i)
            let scalar = Unicode.Scalar(value)!
            if Words.isWordScalar(scalar) {
                if !inWord { begin(i) }
                let properties = scalar.properties
                if properties.changesWhenLowercased {
                    for lowered in properties.lowercaseMapping.unicodeScalars { feedScalar(lowered.value) }
                } else {
                    for k in 0..<length { feed(p[i + k]) }
                    if wantsScalars { scan.scalars.append(value) }
                }
            } else if value == 0x2019, inWord, wordScalar(at: i + length, p, table) {
                feedScalar(value)
            } else if inWord {
                end(i)
            }
            i += length
        }
        if inWord { end(n) }
    }

    // MARK: - Shingles from a scan

    /// Appends the hash of every `n`-word window of `wordHashes` to `out`.
    static func wordShingles(_ wordHashes: [UInt64], n: Int, into out: inout [UInt64]) {
        guard wordHashes.count >= n else { return }
        wordHashes.withUnsafeBufferPointer { words in
            let base = words.baseAddress!
            for start in 0...(words.count - n) { out.append(ngram(base + start, count: n) >> 3) }
        }
    }

    /// Appends the hash of every `n`-scalar window of `scalars` to `out` (rolling polynomial).
    static func characterShingles(_ scalars: [UInt32], n: Int, into out: inout [UInt64]) {
        guard scalars.count >= n else { return }
        var power: UInt64 = 1 // B^(n−1)
        for _ in 1..<max(n, 1) { power = power &* characterBase }
        scalars.withUnsafeBufferPointer { c in
            var h: UInt64 = 0
            for j in 0..<n { h = h &* characterBase &+ UInt64(c[j]) }
            out.append(mix(h) >> 3)
            var start = 0
            while start + n < c.count {
                h = (h &- UInt64(c[start]) &* power) &* characterBase &+ UInt64(c[start + n])
                start += 1
                out.append(mix(h) >> 3)
            }
        }
    }

    // MARK: - References (slow, obviously right)

    /// Word hashes through ``Words/split(_:lowercased:)``.
    static func referenceWordHashes(_ text: String) -> [UInt64] {
        Words.split(text, lowercased: true).map { word(Array($0.utf8)) }
    }

    /// Word n-gram hashes through ``Words/ngrams(_:n:)``: every window of `n` word hashes.
    static func referenceWordShingles(_ text: String, n: Int) -> [UInt64] {
        let hashes = referenceWordHashes(text)
        let windows = Words.ngrams(Words.split(text, lowercased: true), n: n)
        return windows.indices.map { ngram(hashes[$0..<($0 + n)]) >> 3 }
    }

    /// Character n-gram hashes of the normalised text, each polynomial summed directly.
    static func referenceCharacterShingles(_ text: String, n: Int) -> [UInt64] {
        let normalised = Words.split(text, lowercased: true).joined(separator: " ")
        let scalars = normalised.unicodeScalars.map { UInt64($0.value) }
        guard scalars.count >= n else { return [] }
        return (0...(scalars.count - n)).map { start in
            var sum: UInt64 = 0
            for j in 0..<n {
                var power: UInt64 = 1
                for _ in 0..<(n - 1 - j) { power = power &* characterBase }
                sum = sum &+ scalars[start + j] &* power
            }
            return mix(sum) >> 3
        }
    }
}
