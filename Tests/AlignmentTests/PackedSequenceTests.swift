import Foundation
import Testing
import Tokenizer
@testable import Alignment

/// Packing: documents joined with EOS, cut into sequences of exactly `L`, targets, padding,
/// and per-document segments and positions.
@Suite("Packed sequences")
struct PackedSequenceTests {
    static let ignore = PackedDataset.ignoreIndex

    @Test func documentsAreJoinedWithEOSInFileOrder() throws {
        let folder = DataFixtures.scratch()
        let a = DataFixtures.write("First Citizen: Before we proceed.\n\nAll: Speak, speak.\n", "a.txt", in: folder)
        let b = DataFixtures.write("{\"text\": \"Let us kill him.\", \"id\": 7, \"meta\": {\"text\": \"not this\"}}\n", "b.jsonl", in: folder)
        let data = try DataFixtures.prepare([a, b], PackingOptions(sequenceLength: 8, validationFraction: 0),
                                            in: folder.appendingPathComponent("cache"))
        let eos = DataFixtures.eos
        let expected = DataFixtures.ids("First Citizen: Before we proceed.") + [eos] + DataFixtures.ids("All: Speak, speak.") + [eos]
            + DataFixtures.ids("Let us kill him.") + [eos]
        #expect(DataFixtures.tokens(data.train) == expected)
        #expect(data.validation == nil)
        #expect(data.summary.documents == 3 && data.summary.files == 2 && data.summary.trainTokens == expected.count)
        #expect(data.summary.trainSequences == (expected.count + 7) / 8)
        #expect(data.summary.notes.contains("validation disabled (validationFraction 0)"))
    }

    @Test func sequencesHaveExactLengthAndNextTokenTargets() {
        // 11 tokens, L = 4: sequences [0..<4], [4..<8], [8..<11] + one pad.
        let tokens: [Int32] = [5, 6, 7, 0, 8, 9, 0, 10, 11, 12, 0]
        let data = PackedDataset(tokens: tokens, sequenceLength: 4, eosTokenID: 0)
        #expect(data.sequenceCount == 3 && data.tokenCount == 11)
        let s0 = data.sequence(at: 0), s2 = data.sequence(at: 2)
        #expect(s0.ids == [5, 6, 7, 0])
        #expect(s0.targets == [6, 7, 0, Self.ignore])                 // EOS predicts nothing across the cut
        #expect(data.sequence(at: 1).targets == [9, 0, 10, Self.ignore])  // documents see the previous ones
        #expect(s2.ids == [11, 12, 0, 0])                             // partial last sequence, padded with EOS
        #expect(s2.targets == [12, 0, Self.ignore, Self.ignore])      // last real token and padding ignored
        #expect(s0.segmentIDs == nil && s0.positions == nil)
        for i in 0..<data.sequenceCount { #expect(data.sequence(at: i).ids.count == 4 && data.sequence(at: i).targets.count == 4) }
    }

    @Test func separateDocumentsIgnoreBoundariesAndRestartPositions() {
        let tokens: [Int32] = [5, 6, 0, 7, 8, 9, 0, 10, 0, 11]
        let data = PackedDataset(tokens: tokens, sequenceLength: 6, eosTokenID: 0, separateDocuments: true)
        let s0 = data.sequence(at: 0)
        #expect(s0.ids == [5, 6, 0, 7, 8, 9])
        #expect(s0.targets == [6, 0, Self.ignore, 8, 9, Self.ignore])  // the EOS does not predict the next document
        #expect(s0.segmentIDs == [0, 0, 0, 1, 1, 1])
        #expect(s0.positions == [0, 1, 2, 0, 1, 2])
        let s1 = data.sequence(at: 1)                                 // starts inside a document
        #expect(s1.ids == [0, 10, 0, 11, 0, 0])
        #expect(s1.targets == [Self.ignore, 0, Self.ignore, Self.ignore, Self.ignore, Self.ignore])
        #expect(s1.segmentIDs == [0, 1, 1, 2, 3, 3])                  // padding is a segment of its own
        #expect(s1.positions == [0, 0, 1, 0, 0, 1])
    }

    @Test func trainingBatchCarriesSegmentsPositionsAndTargetCount() {
        let tokens: [Int32] = [5, 6, 0, 7, 8, 9, 0, 10, 0, 11]
        let separate = PackedDataset(tokens: tokens, sequenceLength: 6, eosTokenID: 0, separateDocuments: true)
        let batch = separate.batch(sequences: [1, 0])
        #expect(batch.input.batchSize == 2 && batch.input.length == 6)
        #expect(batch.input.ids == separate.sequence(at: 1).ids + separate.sequence(at: 0).ids)
        #expect(batch.targets == separate.sequence(at: 1).targets + separate.sequence(at: 0).targets)
        #expect(batch.targetCount == 1 + 4)
        #expect(batch.input.segmentIDs == [0, 1, 1, 2, 3, 3, 0, 0, 0, 1, 1, 1])
        #expect(batch.input.positions == [0, 0, 1, 0, 0, 1, 0, 1, 2, 0, 1, 2])
        #expect(batch.sequenceIndices == [1, 0])
        let plain = PackedDataset(tokens: tokens, sequenceLength: 6, eosTokenID: 0).batch(sequences: [0])
        #expect(plain.input.segmentIDs == nil && plain.input.positions == nil && plain.targetCount == 5)
    }

    @Test func batchesCoverAllSequencesInOrder() {
        let data = PackedDataset(tokens: (1...23).map { Int32($0) }, sequenceLength: 4, eosTokenID: 0)
        let batches = data.batches(size: 4)
        #expect(batches.count == 2)                                   // 6 sequences: 4 + 2
        #expect(batches.map(\.sequenceIndices) == [[0, 1, 2, 3], [4, 5]])
        #expect(batches[1].input.batchSize == 2)
        #expect(Array(batches).flatMap(\.input.ids).prefix(23) == ArraySlice((1...23).map { Int32($0) }))
    }

    @Test func defaultsAreAsDocumented() throws {
        let o = PackingOptions()
        #expect(o.sequenceLength == 512 && !o.separateDocuments && o.validationFraction == 0.05 && o.seed == 0)
        #expect(o.badRecords == .fail && o.textField == "text")
        let decoded = try JSONDecoder().decode(PackingOptions.self, from: Data("{\"sequenceLength\": 64, \"badRecords\": \"skip\"}".utf8))
        #expect(decoded == PackingOptions(sequenceLength: 64, badRecords: .skip))
        let roundTrip = try JSONDecoder().decode(PackingOptions.self, from: JSONEncoder().encode(PackingOptions(seed: .max)))
        #expect(roundTrip == PackingOptions(seed: .max))
    }

    @Test func invalidOptionsAreErrors() {
        let folder = DataFixtures.scratch()
        let file = DataFixtures.write("Speak.", "a.txt", in: folder)
        for options in [PackingOptions(sequenceLength: 1), PackingOptions(validationFraction: 1), PackingOptions(validationFraction: -0.1),
                        PackingOptions(textField: "")] {
            let error = #expect(throws: DataError.self) { try DataFixtures.prepare([file], options, in: folder) }
            guard case .invalidOptions = error else { Issue.record("\(options): \(String(describing: error))"); continue }
        }
        #expect(throws: DataError.noDocuments(files: [])) { try DataFixtures.prepare([], PackingOptions(), in: folder) }
        let eosError = #expect(throws: DataError.self) {
            try TextData.prepare(files: [file], tokenizer: DataFixtures.tokenizer, eosTokenID: 400, options: PackingOptions(), directory: folder)
        }
        #expect(eosError?.errorDescription?.contains("EOS id 400") == true)
    }
}
