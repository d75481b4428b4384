/// Turns token ids generated one at a time into text, emitting only complete UTF-8 characters:
/// the bytes of a character split across tokens are held back until the character is whole.
///
/// ```swift
/// var stream = StreamingDecoder(tokenizer: tokenizer)
/// for id in generated { print(stream.append(id), terminator: "") }
/// print(stream.finish())
/// ```
public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    /// Skip special tokens (`<|im_end|>`). Default false.
    public var skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one id; returns the text that is now complete (possibly empty). Invalid UTF-8 that
    /// can never complete is emitted as U+FFFD rather than held forever.
    public mutating func append(_ id: Int) -> String {
        pending.append(contentsOf: tokenizer.decode([id], skipSpecialTokens: skipSpecialTokens))
        let cut = Self.completePrefixLength(pending)
        if cut == 0 { return "" }
        let text = String(decoding: pending[0..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns whatever is held back (incomplete characters as U+FFFD) and clears it.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of `bytes` without a trailing incomplete (but so far valid) UTF-8 sequence.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var start = n - 1
        // Walk back over at most 3 continuation bytes to the lead byte of the last sequence.
        while start >= 0 && n - start <= 4 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0 && n - start <= 4 else { return n }
        let lead = bytes[start]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return n
        }
        guard n - start < needed else { return n }
        // Hold back only when the partial sequence can still become valid.
        if n - start >= 2 {
            let second = bytes[start + 1]
            let valid: Bool
            switch lead {
            case 0xE0: valid = second >= 0xA0
            case 0xED: valid = second <= 0x9F
            case 0xF0: valid = second >= 0x90
            case 0xF4: valid = second <= 0x8F
            default: valid = true
            }
            if !valid { return n }
        }
        return start
    }
}
