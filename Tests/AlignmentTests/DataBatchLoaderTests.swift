import Testing
@testable import Alignment

/// `BatchLoader`: seeded per-epoch permutations, exact resume from a position, endless epochs.
@Suite("Batch loader")
struct DataBatchLoaderTests {
    /// 10 sequences of 4 tokens; sequence `k` starts with token `100 + k`.
    static let dataset = PackedDataset(tokens: (0..<10).flatMap { k in [Int32(100 + k), 1, 2, 0] }, sequenceLength: 4, eosTokenID: 0)

    static func first(_ batch: TrainingBatch) -> [Int] {
        stride(from: 0, to: batch.input.ids.count, by: 4).map { Int(batch.input.ids[$0]) - 100 }
    }

    @Test func everySequenceOncePerEpochInANewOrder() {
        var loader = BatchLoader(dataset: Self.dataset, batchSize: 3, seed: 42)
        #expect(loader.batchesPerEpoch == 4)
        var epochs: [[Int]] = []
        for _ in 0..<3 {
            var seen: [Int] = []
            var sizes: [Int] = []
            for _ in 0..<loader.batchesPerEpoch {
                let batch = loader.next()
                #expect(Self.first(batch) == batch.sequenceIndices)
                seen += batch.sequenceIndices
                sizes.append(batch.input.batchSize)
            }
            #expect(sizes == [3, 3, 3, 1])
            #expect(seen.sorted() == Array(0..<10))
            epochs.append(seen)
        }
        #expect(Set(epochs.map { $0.description }).count == 3)        // each epoch has its own order
        #expect(epochs[0] == BatchLoader.permutation(count: 10, seed: 42, epoch: 0))
        #expect(loader.position == DataPosition(epoch: 3, offset: 0))
        #expect(BatchLoader.permutation(count: 10, seed: 43, epoch: 0) != epochs[0])
    }

    @Test func restoringAPositionContinuesWithTheSameBatches() {
        var original = BatchLoader(dataset: Self.dataset, batchSize: 4, seed: 9)
        for _ in 0..<5 { _ = original.next() }                        // into the second epoch
        let saved = original.position
        #expect(saved == DataPosition(epoch: 1, offset: 8))
        var restored = BatchLoader(dataset: Self.dataset, batchSize: 4, seed: 9, position: saved)
        for _ in 0..<20 {
            let a = original.next(), b = restored.next()
            #expect(a.sequenceIndices == b.sequenceIndices && a.input.ids == b.input.ids && a.targets == b.targets)
            #expect(original.position == restored.position)
        }
        // An offset at the end of an epoch starts the next one.
        let wrapped = BatchLoader(dataset: Self.dataset, batchSize: 4, seed: 9, position: DataPosition(epoch: 2, offset: 10))
        #expect(wrapped.position == DataPosition(epoch: 3, offset: 0))
    }

    @Test func oneSequenceWrapsForever() {
        let tiny = PackedDataset(tokens: [5, 6, 0], sequenceLength: 8, eosTokenID: 0)
        var loader = BatchLoader(dataset: tiny, batchSize: 4, seed: 0)
        for step in 0..<50 {
            let batch = loader.next()
            #expect(batch.sequenceIndices == [0] && batch.targetCount == 2)
            #expect(loader.position == DataPosition(epoch: step + 1, offset: 0))
        }
    }

    @Test func permutationIsAPermutation() {
        for count in [0, 1, 2, 7, 1000] {
            for epoch in 0..<3 {
                #expect(BatchLoader.permutation(count: count, seed: 5, epoch: epoch).sorted() == Array(0..<count))
            }
        }
        // Uniform enough: each of 3 sequences leads about a third of 3,000 epochs.
        var leads = [0, 0, 0]
        for epoch in 0..<3000 { leads[BatchLoader.permutation(count: 3, seed: 1, epoch: epoch)[0]] += 1 }
        #expect(leads.allSatisfy { $0 > 900 && $0 < 1100 }, "\(leads)")
    }
}
