import Tensor
import Transformer

/// A batch for the training step.
public struct TrainingBatch: Sendable {
    /// `[B, L]` ids, with positions and segment ids when documents are kept separate.
    public var input: TokenBatch
    /// `B·L` next-token targets, row-major; ``PackedDataset/ignoreIndex`` (−100) = ignored.
    public var targets: [Int32]
    /// Targets that are not −100 (divide the summed loss by this).
    public var targetCount: Int
    /// The dataset sequences in this batch, in row order.
    public var sequenceIndices: [Int]

    public init(input: TokenBatch, targets: [Int32], targetCount: Int, sequenceIndices: [Int] = []) {
        self.input = input
        self.targets = targets
        self.targetCount = targetCount
        self.sequenceIndices = sequenceIndices
    }
}

/// Where a ``BatchLoader`` is: the epoch and the sequences already served in it. Saved in
/// training checkpoints; the loader's seed and this position restore the stream exactly.
public struct DataPosition: Codable, Equatable, Sendable {
    /// Epochs completed (0-based index of the current one).
    public var epoch: Int = 0
    /// Sequences of the current epoch's permutation consumed so far.
    public var offset: Int = 0

    public init(epoch: Int = 0, offset: Int = 0) {
        self.epoch = epoch
        self.offset = offset
    }
}

/// Shuffled batches of a dataset, epoch after epoch, forever.
///
/// Epoch `e` visits every sequence once, in the order ``permutation(count:seed:epoch:)`` — a
/// Fisher–Yates shuffle driven by a generator seeded from `(seed, e)` alone — `batchSize`
/// sequences at a time; its last batch holds the remainder and may be smaller. Because the
/// order is a pure function of the seed and the epoch, a ``DataPosition`` is all a checkpoint
/// needs to continue with the same batches. Only one epoch's permutation (one `Int32` per
/// sequence) is held in memory.
///
/// ```swift
/// var loader = BatchLoader(dataset: split.train, batchSize: 8, seed: 42)
/// let batch = loader.next()           // TrainingBatch [8, L]
/// let saved = loader.position         // store in trainer_state.json
/// ```
public struct BatchLoader: Sendable {
    /// The dataset served.
    public let dataset: PackedDataset
    /// Sequences per batch.
    public let batchSize: Int
    /// Seed of the shuffles.
    public let seed: UInt64
    /// Where the next batch starts (always `offset < sequenceCount`: a finished epoch moves to
    /// the next one).
    public private(set) var position: DataPosition
    private var order: [Int32]

    /// - Parameters:
    ///   - dataset: the sequences; must not be empty.
    ///   - batchSize: sequences per batch, at least 1.
    ///   - seed: seed of the per-epoch shuffles.
    ///   - position: where to start (default: epoch 0, offset 0). An offset at or past the end
    ///     of the epoch starts the next epoch.
    public init(dataset: PackedDataset, batchSize: Int, seed: UInt64, position: DataPosition = .init()) {
        check(dataset.sequenceCount > 0, "BatchLoader: the dataset has no sequences")
        check(batchSize >= 1, "BatchLoader: batch size \(batchSize) must be at least 1")
        check(position.epoch >= 0 && position.offset >= 0,
              "BatchLoader: position (epoch \(position.epoch), offset \(position.offset)) must not be negative")
        self.dataset = dataset
        self.batchSize = batchSize
        self.seed = seed
        var start = position
        if start.offset >= dataset.sequenceCount { start = DataPosition(epoch: start.epoch + 1, offset: 0) }
        self.position = start
        self.order = Self.permutation(count: dataset.sequenceCount, seed: seed, epoch: start.epoch).map { Int32($0) }
    }

    /// `⌈sequenceCount / batchSize⌉`; the last batch of an epoch may be smaller.
    public var batchesPerEpoch: Int { (dataset.sequenceCount + batchSize - 1) / batchSize }

    /// The next batch: up to `batchSize` sequences of the current epoch's order; after the
    /// epoch's last batch the position moves to the next epoch (and a new order).
    public mutating func next() -> TrainingBatch {
        let n = dataset.sequenceCount
        let end = Swift.min(n, position.offset + batchSize)
        let indices = order[position.offset..<end].map { Int($0) }
        position.offset = end
        if end == n {
            position = DataPosition(epoch: position.epoch + 1, offset: 0)
            order = Self.permutation(count: n, seed: seed, epoch: position.epoch).map { Int32($0) }
        }
        return dataset.batch(sequences: indices)
    }

    /// The order of epoch `epoch`: a permutation of `0..<count`, a pure function of
    /// `(count, seed, epoch)` on every machine.
    ///
    /// Fisher–Yates (Durstenfeld): for `i` from `count − 1` down to 1, swap `i` with a uniform
    /// `j ∈ [0, i]` drawn by Lemire's multiply-shift with rejection, from a ``SeededGenerator``
    /// (xoshiro256**) seeded with `mix(seed ⊕ mix(epoch))`, `mix` being SplitMix64's finaliser.
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: splitMix64(seed ^ splitMix64(UInt64(truncatingIfNeeded: epoch) &+ 0x5EED)))
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let j = Int(uniformBelow(UInt64(i + 1), using: &generator))
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
@inline(__always)
func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A uniform integer in `0..<bound` (`bound > 0`), Lemire's nearly-divisionless method.
func uniformBelow(_ bound: UInt64, using generator: inout SeededGenerator) -> UInt64 {
    var m = generator.next().multipliedFullWidth(by: bound)
    if m.low < bound {
        let threshold = (0 &- bound) % bound
        while m.low < threshold { m = generator.next().multipliedFullWidth(by: bound) }
    }
    return m.high
}
