/// Byte-level text scanning shared by cleaning and the filters: UTF-8 decoding, ASCII
/// case-insensitive multi-substring search, and NeMo Curator's URL pattern.
enum UTF8Scan {
    /// Length of the UTF-8 sequence that starts with `lead` (1 for ASCII and stray bytes).
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        if lead < 0xC0 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// The scalar value starting at `index` of valid UTF-8 `bytes`, and its length.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        let length = min(sequenceLength(lead), bytes.count - index)
        var value: UInt32
        switch length {
        case 2: value = UInt32(lead & 0x1F)
        case 3: value = UInt32(lead & 0x0F)
        default: value = UInt32(lead & 0x07)
        }
        for offset in 1..<max(length, 1) { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        return (value, length)
    }

    /// Number of Unicode scalars in valid UTF-8 `bytes` (bytes that are not continuation bytes).
    static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// ASCII lower case of one byte (other bytes unchanged).
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }
}

/// Finds any of several ASCII patterns in UTF-8 text, ignoring ASCII case.
///
/// Patterns of 4 or more bytes are found through their first four bytes (case-folded) in a
/// 4096-slot table, so a scan costs about one table lookup per byte and a full comparison only
/// where a pattern's prefix occurs. Shorter patterns are compared at every position.
struct SubstringMatcher: Sendable {
    let patterns: [[UInt8]]
    private var table = [UInt8](repeating: 0, count: 4096)
    private var prefixes: [UInt32] = []
    private var shortPatterns: [Int] = []

    init(_ patterns: [String]) {
        self.patterns = patterns.map { Array($0.lowercased().utf8) }
        for (index, pattern) in self.patterns.enumerated() {
            if pattern.count >= 4 {
                let prefix = Self.fold(UInt32(pattern[0]) | UInt32(pattern[1]) << 8 | UInt32(pattern[2]) << 16 | UInt32(pattern[3]) << 24)
                table[Self.slot(prefix)] = 1
                prefixes.append(prefix)
            } else if !pattern.isEmpty {
                shortPatterns.append(index)
            }
        }
    }

    var isEmpty: Bool { patterns.allSatisfy(\.isEmpty) }

    @inline(__always) static func fold(_ word: UInt32) -> UInt32 { word | 0x2020_2020 }
    @inline(__always) static func slot(_ word: UInt32) -> Int { Int((word &* 0x9E37_79B1) >> 20) }

    /// Whether any pattern occurs in `bytes` (ASCII case ignored).
    func contains(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { firstMatch(in: bytes) != nil }

    /// The index of a pattern found in `bytes`, or nil.
    func firstMatch(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return nil }
        for index in shortPatterns where Self.find(patterns[index], in: bytes) { return index }
        guard !prefixes.isEmpty, count >= 4 else { return nil }
        return table.withUnsafeBufferPointer { table -> Int? in
            var position = 0
            while position + 4 <= count {
                let word = Self.fold(UnsafeRawPointer(base + position).loadUnaligned(as: UInt32.self))
                if table[Self.slot(word)] != 0, prefixes.contains(word) {
                    for (index, pattern) in patterns.enumerated() where pattern.count >= 4 && position + pattern.count <= count {
                        if Self.matches(pattern, base + position) { return index }
                    }
                }
                position += 1
            }
            return nil
        }
    }

    @inline(__always)
    static func matches(_ pattern: [UInt8], _ at: UnsafePointer<UInt8>) -> Bool {
        for offset in 0..<pattern.count where UTF8Scan.lower(at[offset]) != pattern[offset] { return false }
        return true
    }

    static func find(_ pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, bytes.count >= pattern.count else { return false }
        for position in 0...(bytes.count - pattern.count) where matches(pattern, base + position) { return true }
        return false
    }
}

/// NeMo Curator's URL pattern (`nemo_curator/utils/constants.py::regex_url`):
/// `http[s]?://` followed by one or more of `[a-zA-Z0-9]`, `[$-_@.&+]` (the byte range `$`…`_`),
/// `[!*(),]` or a `%XX` escape. Matching is case-sensitive, as the regex is.
enum URLScanner {
    /// Whether `byte` may continue a URL.
    @inline(__always)
    static func isURLByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "$")...UInt8(ascii: "_"),
             UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
             UInt8(ascii: "@"), UInt8(ascii: "."), UInt8(ascii: "&"), UInt8(ascii: "+"):
            return true
        default:
            return false
        }
    }

    /// Byte ranges of the URLs in `bytes`, in order, non-overlapping.
    static func ranges(in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        let count = bytes.count
        var position = 0
        while position + 8 <= count {
            guard bytes[position] == UInt8(ascii: "h"), bytes[position + 1] == UInt8(ascii: "t"),
                  bytes[position + 2] == UInt8(ascii: "t"), bytes[position + 3] == UInt8(ascii: "p") else {
                position += 1
                continue
            }
            var cursor = position + 4
            if bytes[cursor] == UInt8(ascii: "s") { cursor += 1 }
            guard cursor + 3 < count, bytes[cursor] == UInt8(ascii: ":"), bytes[cursor + 1] == UInt8(ascii: "/"),
                  bytes[cursor + 2] == UInt8(ascii: "/") else {
                position += 1
                continue
            }
            cursor += 3
            let bodyStart = cursor
            while cursor < count, isURLByte(bytes[cursor]) { cursor += 1 }
            if cursor > bodyStart {
                result.append(position..<cursor)
                position = cursor
            } else {
                position += 1
            }
        }
        return result
    }
}
