import Foundation
import Testing
@testable import Alignment

/// The validation split: whole documents drawn with the seed, the fallback to the last
/// sequences, and no split for fewer than two sequences.
@Suite("Validation split")
struct DataSplitTests {
    static let eos = DataFixtures.eos

    /// `count` short distinct paragraphs.
    static func paragraphs(_ count: Int) -> [String] {
        (0..<count).map { "Citizen \($0): we know't, we know't, \(String(repeating: "speak ", count: $0 % 5))." }
    }

    @Test func wholeDocumentsAreDrawnWithTheSeed() throws {
        let folder = DataFixtures.scratch()
        let docs = Self.paragraphs(60)
        let file = DataFixtures.write(docs.joined(separator: "\n\n"), "a.txt", in: folder)
        let options = PackingOptions(sequenceLength: 16, validationFraction: 0.25, seed: 7)
        let data = try DataFixtures.prepare([file], options, in: folder.appendingPathComponent("c"))
        let heldOut = (0..<docs.count).filter { TextData.isHeldOut(document: $0, seed: 7, fraction: 0.25) }
        #expect(heldOut.count > 5 && heldOut.count < 25)              // the draw is near 25 %, not degenerate
        let expectedValidation = heldOut.flatMap { DataFixtures.ids(docs[$0]) + [Self.eos] }
        let expectedTrain = (0..<docs.count).filter { !heldOut.contains($0) }.flatMap { DataFixtures.ids(docs[$0]) + [Self.eos] }
        #expect(DataFixtures.tokens(data.train) == expectedTrain)
        #expect(data.validation.map(DataFixtures.tokens) == expectedValidation)
        #expect(data.summary.validationTokens == expectedValidation.count)
        #expect(data.summary.validationSequences == (expectedValidation.count + 15) / 16)
        // Another seed draws other documents.
        let other = try DataFixtures.prepare([file], PackingOptions(sequenceLength: 16, validationFraction: 0.25, seed: 8),
                                             in: folder.appendingPathComponent("c8"))
        #expect(other.validation.map(DataFixtures.tokens) != expectedValidation)
    }

    @Test func noDrawnDocumentFallsBackToTheLastSequences() throws {
        let folder = DataFixtures.scratch()
        let docs = Self.paragraphs(4)
        // Find a seed for which no document is drawn at fraction 0.2.
        let seed = try #require((0..<UInt64(1000)).first { s in (0..<4).allSatisfy { !TextData.isHeldOut(document: $0, seed: s, fraction: 0.2) } })
        let file = DataFixtures.write(docs.joined(separator: "\n\n"), "a.txt", in: folder)
        let data = try DataFixtures.prepare([file], PackingOptions(sequenceLength: 8, validationFraction: 0.2, seed: seed),
                                            in: folder.appendingPathComponent("c"))
        let all = docs.flatMap { DataFixtures.ids($0) + [Self.eos] }
        let n = (all.count + 7) / 8, k = max(1, min(n - 1, Int((0.2 * Double(n)).rounded())))
        #expect(n >= 2)
        #expect(DataFixtures.tokens(data.train) == Array(all[0..<((n - k) * 8)]))
        #expect(data.validation.map(DataFixtures.tokens) == Array(all[((n - k) * 8)...]))
        #expect(data.summary.trainSequences == n - k && data.summary.validationSequences == k)
        #expect(data.summary.notes.contains("validation: the seeded draw held out no document; holding out the last \(k) of \(n) sequences instead"))
    }

    @Test func everyDrawnDocumentAlsoFallsBack() throws {
        let folder = DataFixtures.scratch()
        let docs = Self.paragraphs(3)
        let seed = try #require((0..<UInt64(1000)).first { s in (0..<3).allSatisfy { TextData.isHeldOut(document: $0, seed: s, fraction: 0.9) } })
        let file = DataFixtures.write(docs.joined(separator: "\n\n"), "a.txt", in: folder)
        let data = try DataFixtures.prepare([file], PackingOptions(sequenceLength: 8, validationFraction: 0.9, seed: seed),
                                            in: folder.appendingPathComponent("c"))
        let all = docs.flatMap { DataFixtures.ids($0) + [Self.eos] }
        let n = (all.count + 7) / 8
        #expect(data.summary.trainSequences == 1 && data.summary.validationSequences == n - 1)   // k = n − 1 at most
        #expect(DataFixtures.tokens(data.train) + (data.validation.map(DataFixtures.tokens) ?? []) == all)
        #expect(data.summary.notes.contains { $0.hasPrefix("validation: the seeded draw held out every document") })
    }

    @Test func fewerThanTwoSequencesMeansNoValidation() throws {
        let folder = DataFixtures.scratch()
        let file = DataFixtures.write("Speak.", "a.txt", in: folder)
        for seed in 0..<UInt64(4) {                                    // drawn or not, the result is the same
            let data = try DataFixtures.prepare([file], PackingOptions(sequenceLength: 64, validationFraction: 0.5, seed: seed),
                                                in: folder.appendingPathComponent("c\(seed)"))
            #expect(data.validation == nil)
            #expect(data.summary.validationSequences == 0 && data.summary.trainSequences == 1)
            #expect(DataFixtures.tokens(data.train) == DataFixtures.ids("Speak.") + [Self.eos])
            #expect(data.summary.notes.contains { $0.hasPrefix("validation skipped: fewer than two sequences") })
            // The one sequence still trains: padded to L, targets on the real tokens only.
            let s = data.train.sequence(at: 0)
            #expect(s.ids.count == 64 && s.targets.filter { $0 != PackedDataset.ignoreIndex }.count == DataFixtures.ids("Speak.").count)
        }
    }

    @Test func resultDoesNotDependOnThreadsOrChunks() throws {
        let folder = DataFixtures.scratch()
        let a = DataFixtures.write(Self.paragraphs(40).joined(separator: "\n\n"), "a.txt", in: folder)
        let b = DataFixtures.write(Self.paragraphs(30).map { "{\"text\": \"\($0)\", \"n\": 1}" }.joined(separator: "\n"), "b.jsonl", in: folder)
        let options = PackingOptions(sequenceLength: 32, validationFraction: 0.2, seed: 3)
        func bytes(_ name: String) throws -> [Data] {
            let dir = folder.appendingPathComponent(name)
            return try [TextData.trainFileName, TextData.validationFileName].map { try Data(contentsOf: dir.appendingPathComponent($0)) }
        }
        _ = try DataFixtures.prepare([a, b], options, in: folder.appendingPathComponent("one"), threads: 1)
        _ = try DataFixtures.prepare([a, b], options, in: folder.appendingPathComponent("two"), threads: 2)
        // Streaming: documents tokenized a few at a time, files read 7 bytes at a time.
        _ = try DataFixtures.prepare([a, b], options, in: folder.appendingPathComponent("tiny"), threads: 2, chunkBytes: 100, readBlockBytes: 7)
        let one = try bytes("one")
        #expect(one[0].count > 1024 && one[1].count > 1024)
        #expect(try bytes("two") == one)
        #expect(try bytes("tiny") == one)
    }
}
