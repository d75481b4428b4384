/// Ranked byte-pair merges over a byte-level vocabulary: the model inside a ``Tokenizer``.
///
/// A piece (a run of bytes from the pre-tokenizer) starts as one token per byte; then, repeatedly,
/// the adjacent pair whose merge has the lowest rank (leftmost on ties) is replaced by the merged
/// token, until no adjacent pair has a merge. This is the algorithm of OpenAI's `encoder.py`,
/// Hugging Face `tokenizers`' `BPE` and `tiktoken`, so all three give the same ids.
struct BytePairEncoding: Sendable {
    /// Token id of each single byte, -1 when the vocabulary lacks it (the byte is then dropped,
    /// as Hugging Face's BPE drops symbols outside a vocabulary without `unk_token`).
    let byteIDs: [Int32]
    /// `(left << 32 | right)` → `(rank << 32 | merged id)`.
    let merges: [UInt64: UInt64]
    /// Whole-piece lookup used when `ignoreMerges` is set (Hugging Face `ignore_merges`):
    /// a piece that is itself a token is emitted without merging.
    let pieceIDs: [[UInt8]: Int32]?

    /// Pieces longer than this use ``encodeLong(_:into:)`` (a variable only so tests can compare).
    var quadraticLimit = 64

    /// - Parameters:
    ///   - byteIDs: 256 ids, the token of each byte.
    ///   - merges: `(left, right, merged)` ids in rank order (first = applied first).
    ///   - pieceIDs: the vocabulary by bytes when merges are skipped for whole tokens, else nil.
    init(byteIDs: [Int32], merges: [(Int32, Int32, Int32)], pieceIDs: [[UInt8]: Int32]?) {
        self.byteIDs = byteIDs
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (left, right, merged)) in merges.enumerated() {
            let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(merged)) }
        }
        self.merges = table
        self.pieceIDs = pieceIDs
    }

    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> UInt64 {
        merges[UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))] ?? UInt64.max
    }

    /// Appends the ids of one piece to `ids`; `parts` and `ranks` are scratch space.
    ///
    /// Each step finds the lowest-ranked pair by a linear scan, merges it and rescores its two
    /// neighbours: O(n²) in the piece length n, fast for word-sized pieces (long pieces use
    /// ``encodeLong(_:into:)``).
    func encode(_ bytes: UnsafeBufferPointer<UInt8>, into ids: inout [Int32],
                parts: inout [Int32], ranks: inout [UInt64]) {
        if let pieceIDs, let whole = pieceIDs[Array(bytes)] {
            ids.append(whole)
            return
        }
        if bytes.count > quadraticLimit {
            encodeLong(bytes, into: &ids)
            return
        }
        parts.removeAll(keepingCapacity: true)
        ranks.removeAll(keepingCapacity: true)
        for byte in bytes where byteIDs[Int(byte)] >= 0 { parts.append(byteIDs[Int(byte)]) }
        if parts.count > 1 {
            for i in 0..<(parts.count - 1) { ranks.append(merge(parts[i], parts[i + 1])) }
        }
        while !ranks.isEmpty {
            var best = 0
            var bestRank = ranks[0]
            for i in 1..<ranks.count where ranks[i] < bestRank { best = i; bestRank = ranks[i] }
            if bestRank == UInt64.max { break }
            parts[best] = Int32(truncatingIfNeeded: bestRank & 0xFFFF_FFFF)
            parts.remove(at: best + 1)
            ranks.remove(at: best)
            if best > 0 { ranks[best - 1] = merge(parts[best - 1], parts[best]) }
            if best < ranks.count { ranks[best] = merge(parts[best], parts[best + 1]) }
        }
        ids.append(contentsOf: parts)
    }

    /// The same merges for long pieces in O(n log n): a doubly linked list of symbols and a
    /// min-heap of `(rank, position)` candidates, stale entries skipped when popped.
    func encodeLong(_ bytes: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        var symbol = bytes.map { byteIDs[Int($0)] }.filter { $0 >= 0 }
        let n = symbol.count
        if n == 0 { return }
        var next = Array(1...n)           // n = end
        var previous = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = BinaryHeap<MergeCandidate>()
        for i in 0..<(n - 1) {
            let m = merge(symbol[i], symbol[i + 1])
            if m != UInt64.max { heap.push(MergeCandidate(rank: m >> 32, position: i, merged: m)) }
        }
        while let top = heap.pop() {
            let i = top.position
            guard alive[i], next[i] < n else { continue }
            let j = next[i]
            // Stale when either symbol changed since the candidate was pushed.
            guard merge(symbol[i], symbol[j]) == top.merged else { continue }
            symbol[i] = Int32(truncatingIfNeeded: top.merged & 0xFFFF_FFFF)
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if previous[i] >= 0 {
                let m = merge(symbol[previous[i]], symbol[i])
                if m != UInt64.max { heap.push(MergeCandidate(rank: m >> 32, position: previous[i], merged: m)) }
            }
            if next[i] < n {
                let m = merge(symbol[i], symbol[next[i]])
                if m != UInt64.max { heap.push(MergeCandidate(rank: m >> 32, position: i, merged: m)) }
            }
        }
        var i = 0
        while i < n { ids.append(symbol[i]); i = next[i] }
    }
}

/// A merge candidate of the encoding loop: the lowest rank merges first, then the leftmost.
struct MergeCandidate: HeapOrdered {
    var rank: UInt64
    var position: Int
    var merged: UInt64

    @inline(__always)
    static func comesBefore(_ a: Self, _ b: Self) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.position < b.position
    }
}
