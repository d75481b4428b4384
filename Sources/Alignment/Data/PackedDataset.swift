import Foundation
import Tensor
import Transformer

/// One packed sequence of `L` tokens, ready for the model and the loss.
public struct PackedSequence: Sendable, Equatable {
    /// `[L]` input ids; a partial last sequence is padded with the EOS id.
    public var ids: [Int32]
    /// `[L]` next-token targets: `targets[i] = ids[i + 1]`, or ``PackedDataset/ignoreIndex``
    /// (−100) where there is no next token to learn: the last position, padding, the last real
    /// token of the data, and — with separate documents — each document's EOS (so no document
    /// predicts the next one's first token).
    public var targets: [Int32]
    /// `[L]` document ids with separate documents (0, 0, …, 1, 1, …; a document's EOS belongs to
    /// it; padding is one more segment), else `nil`.
    public var segmentIDs: [Int32]?
    /// `[L]` positions restarting at 0 at each document (and at the sequence start) with
    /// separate documents, else `nil` (positions `0..<L`).
    public var positions: [Int]?

    public init(ids: [Int32], targets: [Int32], segmentIDs: [Int32]? = nil, positions: [Int]? = nil) {
        self.ids = ids
        self.targets = targets
        self.segmentIDs = segmentIDs
        self.positions = positions
    }
}

/// Packed sequences of one split, read from a token file that stays memory-mapped (only the
/// sequence being built is copied into memory), or from an array.
///
/// The split's tokens `x₀ … x_{N−1}` (documents, each followed by the EOS id) are cut into
/// `⌈N / L⌉` sequences; sequence `k` holds `x[k·L ..< min((k+1)·L, N)]`, the last one padded
/// to `L`. See ``PackedSequence`` for targets, segments and positions.
public final class PackedDataset: @unchecked Sendable {
    /// The target value that the loss ignores (PyTorch's and Hugging Face's default, −100).
    public static let ignoreIndex: Int32 = -100

    /// Tokens per sequence, `L`.
    public let sequenceLength: Int
    /// The id ending every document, also used as padding.
    public let eosTokenID: Int32
    /// Whether sequences carry segment ids and per-document positions (see ``PackedSequence``).
    public let separateDocuments: Bool
    /// Real tokens `N` (EOS included, padding excluded).
    public let tokenCount: Int
    /// The largest token id (−1 when empty) — compare it with the model's vocabulary size.
    public let largestTokenID: Int32
    /// The token file, or `nil` for an in-memory dataset.
    public let url: URL?
    private let file: TokenFileReader?
    private let memory: [Int32]

    /// Number of sequences, `⌈N / L⌉`.
    public var sequenceCount: Int { (tokenCount + sequenceLength - 1) / sequenceLength }

    /// Opens a token file written by ``TextData`` (llm.c's layout, see `TokenFile.swift`).
    ///
    /// - Parameters:
    ///   - url: the token file.
    ///   - sequenceLength: `L`, at least 2.
    ///   - eosTokenID: the id ending each document (and used as padding).
    ///   - separateDocuments: build segment ids and per-document positions. Default false.
    /// - Throws: ``DataError/tokenFileCorrupt(path:reason:)`` when the header, size or ids are wrong.
    public init(contentsOf url: URL, sequenceLength: Int, eosTokenID: Int32, separateDocuments: Bool = false) throws(DataError) {
        check(sequenceLength >= 2, "PackedDataset: sequence length \(sequenceLength) must be at least 2")
        let reader = try TokenFileReader(url: url)
        self.url = url
        self.file = reader
        self.memory = []
        self.sequenceLength = sequenceLength
        self.eosTokenID = eosTokenID
        self.separateDocuments = separateDocuments
        self.tokenCount = reader.count
        self.largestTokenID = reader.largestID
    }

    /// A dataset over tokens in memory (e.g. for tests or a small corpus tokenized by hand).
    ///
    /// - Parameters:
    ///   - tokens: documents, each followed by `eosTokenID`; ids must be non-negative.
    ///   - sequenceLength: `L`, at least 2.
    ///   - eosTokenID: the document separator and padding id.
    ///   - separateDocuments: build segment ids and per-document positions. Default false.
    public init(tokens: [Int32], sequenceLength: Int, eosTokenID: Int32, separateDocuments: Bool = false) {
        check(sequenceLength >= 2, "PackedDataset: sequence length \(sequenceLength) must be at least 2")
        check(tokens.allSatisfy { $0 >= 0 }, "PackedDataset: token ids must be non-negative")
        self.url = nil
        self.file = nil
        self.memory = tokens
        self.sequenceLength = sequenceLength
        self.eosTokenID = eosTokenID
        self.separateDocuments = separateDocuments
        self.tokenCount = tokens.count
        self.largestTokenID = tokens.max() ?? -1
    }

    /// The split's tokens in `range` (positions in `0..<tokenCount`).
    public func tokens(in range: Range<Int>) -> [Int32] {
        check(range.lowerBound >= 0 && range.upperBound <= tokenCount,
              "PackedDataset.tokens(in:): \(range) outside 0..<\(tokenCount)")
        if let file { return file.ids[range].map { Int32(bitPattern: UInt32(littleEndian: $0)) } }
        return Array(memory[range])
    }

    /// Sequence `index` (`0..<sequenceCount`): ids, targets and, with separate documents,
    /// segment ids and positions (see ``PackedSequence``).
    public func sequence(at index: Int) -> PackedSequence {
        check(index >= 0 && index < sequenceCount, "PackedDataset.sequence(at:): index \(index) outside 0..<\(sequenceCount)")
        let l = sequenceLength, start = index * l
        let n = Swift.min(l, tokenCount - start)     // real tokens in this sequence
        let eos = eosTokenID, ignore = Self.ignoreIndex
        var ids = tokens(in: start..<(start + n))
        ids.append(contentsOf: repeatElement(eos, count: l - n))
        var targets = [Int32](repeating: ignore, count: l)
        for i in 0..<(n - 1) {
            targets[i] = separateDocuments && ids[i] == eos ? ignore : ids[i + 1]
        }
        guard separateDocuments else { return PackedSequence(ids: ids, targets: targets) }
        var segments = [Int32](repeating: 0, count: l), positions = [Int](repeating: 0, count: l)
        var segment: Int32 = 0, position = 0
        for i in 0..<l {
            segments[i] = segment
            positions[i] = position
            position += 1
            // A document ends with its EOS; the padding after the last real token is a segment of its own.
            if (i < n && ids[i] == eos) || i == n - 1 {
                segment += 1
                position = 0
            }
        }
        return PackedSequence(ids: ids, targets: targets, segmentIDs: segments, positions: positions)
    }

    /// The sequences `indices` as one batch `[B = indices.count, L]`.
    public func batch(sequences indices: [Int]) -> TrainingBatch {
        check(!indices.isEmpty, "PackedDataset.batch(sequences:): no sequence indices")
        let l = sequenceLength
        var ids: [Int32] = [], targets: [Int32] = [], segments: [Int32] = [], positions: [Int] = []
        ids.reserveCapacity(indices.count * l)
        targets.reserveCapacity(indices.count * l)
        for index in indices {
            let s = sequence(at: index)
            ids += s.ids
            targets += s.targets
            if let seg = s.segmentIDs, let pos = s.positions {
                segments += seg
                positions += pos
            }
        }
        let input = TokenBatch(ids: ids, batchSize: indices.count, length: l,
                               positions: separateDocuments ? positions : nil,
                               segmentIDs: separateDocuments ? segments : nil)
        return TrainingBatch(input: input, targets: targets, targetCount: targets.count(where: { $0 != Self.ignoreIndex }),
                             sequenceIndices: indices)
    }

    /// All sequences in order, `size` at a time (the last batch may be smaller) — for
    /// evaluation; nothing is shuffled. Batches are built when read.
    public func batches(size: Int) -> PackedBatches {
        check(size >= 1, "PackedDataset.batches(size:): size \(size) must be at least 1")
        return PackedBatches(dataset: self, size: size)
    }
}

/// The batches of a ``PackedDataset`` in order (see ``PackedDataset/batches(size:)``), each
/// built when it is read: `Array(dataset.batches(size: 8))` materialises them.
public struct PackedBatches: RandomAccessCollection, Sendable {
    /// The dataset read.
    public let dataset: PackedDataset
    /// Sequences per batch.
    public let size: Int

    public var startIndex: Int { 0 }
    /// `⌈sequenceCount / size⌉`.
    public var endIndex: Int { (dataset.sequenceCount + size - 1) / size }

    /// Batch `i`: sequences `i·size ..< min((i+1)·size, sequenceCount)`.
    public subscript(i: Int) -> TrainingBatch {
        check(i >= startIndex && i < endIndex, "PackedBatches: batch \(i) outside 0..<\(endIndex)")
        return dataset.batch(sequences: Array((i * size)..<Swift.min(dataset.sequenceCount, (i + 1) * size)))
    }
}
