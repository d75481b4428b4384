/// Encoding: added-token matching, pre-tokenization and merging with a per-call piece cache.
extension Tokenizer {
    /// The ids of `text`.
    /// - Parameters:
    ///   - text: any string; its UTF-8 bytes are encoded (CRLF and all).
    ///   - parseSpecialTokens: match added tokens like `<|im_end|>` in the text (Hugging Face's
    ///     default). False treats them as plain text. Default true.
    public func encode(_ text: String, parseSpecialTokens: Bool = true) -> [Int] {
        var copy = text
        return copy.withUTF8 { encode(bytes: $0, parseSpecialTokens: parseSpecialTokens) }
    }

    /// The ids of arbitrary bytes (invalid UTF-8 included).
    public func encode(bytes: some Collection<UInt8>, parseSpecialTokens: Bool = true) -> [Int] {
        let ids: [Int32] = bytes.withContiguousStorageIfAvailable {
            encode32($0, parseSpecialTokens: parseSpecialTokens)
        } ?? Array(bytes).withUnsafeBufferPointer { encode32($0, parseSpecialTokens: parseSpecialTokens) }
        return ids.map(Int.init)
    }

    /// The length of the longest added token at `i`, and its id.
    @inline(__always)
    func addedToken(at i: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int32)? {
        let candidates = addedByFirstByte[Int(bytes[i])]
        if candidates.isEmpty { return nil }
        for (content, id) in candidates where content.count <= bytes.count - i {
            var k = 1
            while k < content.count && bytes[i + k] == content[k] { k += 1 }
            if k == content.count { return (k, id) }
        }
        return nil
    }

    /// The ids of `bytes` as `Int32` (the fast path behind `encode`).
    func encode32(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecialTokens: Bool = true) -> [Int32] {
        var state = EncodingState()
        var ids: [Int32] = []
        ids.reserveCapacity(bytes.count / 3 + 1)
        var start = 0
        if parseSpecialTokens && !addedTokens.isEmpty {
            var i = 0
            while i < bytes.count {
                if let (length, id) = addedToken(at: i, in: bytes) {
                    encodeText(UnsafeBufferPointer(rebasing: bytes[start..<i]), into: &ids, state: &state)
                    ids.append(id)
                    i += length
                    start = i
                } else {
                    i += 1
                }
            }
        }
        encodeText(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]), into: &ids, state: &state)
        return ids
    }

    /// Normalizes (when the tokenizer has normalizers), pre-tokenizes and merges a stretch of
    /// bytes without added tokens. Normalization reads the bytes as UTF-8 (invalid sequences
    /// become U+FFFD, as they would in a Python `str`).
    func encodeText(_ bytes: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], state: inout EncodingState) {
        if bytes.isEmpty { return }
        if normalizers.isEmpty {
            encodeNormalizedText(bytes, into: &ids, state: &state)
            return
        }
        var text = String(decoding: bytes, as: UTF8.self)
        for normalizer in normalizers { text = normalizer.apply(text) }
        text.withUTF8 { encodeNormalizedText($0, into: &ids, state: &state) }
    }

    /// Pre-tokenizes and merges a stretch of already normalized bytes.
    func encodeNormalizedText(_ bytes: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], state: inout EncodingState) {
        if bytes.isEmpty { return }
        state.text.decode(bytes)
        let offsets = state.text.offsets
        preTokenizer.split(state.text) { lower, upper in
            let from = Int(offsets[lower]), to = Int(offsets[upper])
            let piece = UnsafeBufferPointer(rebasing: bytes[from..<to])
            guard let key = PieceKey(piece) else {
                model.encode(piece, into: &ids, parts: &state.parts, ranks: &state.ranks)
                return
            }
            if let span = state.cache[key] {
                let begin = Int(span >> 32), count = Int(span & 0xFFFF_FFFF)
                ids.append(contentsOf: state.cached[begin..<(begin + count)])
                return
            }
            let before = ids.count
            model.encode(piece, into: &ids, parts: &state.parts, ranks: &state.ranks)
            state.cache[key] = UInt64(state.cached.count) << 32 | UInt64(ids.count - before)
            state.cached.append(contentsOf: ids[before...])
        }
    }
}

/// Scratch space reused across the pieces of one encode call.
struct EncodingState {
    var text = ScalarText()
    var parts: [Int32] = []
    var ranks: [UInt64] = []
    /// Piece → `(start << 32 | count)` into `cached`.
    var cache: [PieceKey: UInt64] = [:]
    var cached: [Int32] = []
}

/// A piece of at most 15 bytes packed into two words (length in the top byte), the cache key.
struct PieceKey: Hashable {
    var low: UInt64
    var high: UInt64

    @inline(__always)
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count <= 15 else { return nil }
        var low: UInt64 = 0, high: UInt64 = UInt64(bytes.count) << 56
        for (i, byte) in bytes.enumerated() {
            if i < 8 { low |= UInt64(byte) << (8 * UInt64(i)) } else { high |= UInt64(byte) << (8 * UInt64(i - 8)) }
        }
        self.low = low
        self.high = high
    }
}
