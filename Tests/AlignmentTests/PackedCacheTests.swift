import Foundation
import Testing
@testable import Alignment

/// The token cache: llm.c token files that round-trip, a manifest that lets a second run reuse
/// them, and invalidation when an input, the tokenizer or an option changes.
@Suite("Packed token cache")
struct PackedCacheTests {
    @Test func tokenFilesRoundTrip() throws {
        let folder = DataFixtures.scratch()
        let url = folder.appendingPathComponent("x.tokens")
        let ids = [0, 5, 399, 17, 0, Int(Int32.max)]
        let writer = try TokenFileWriter(url: url)
        try writer.append(ids[0..<2])
        try writer.append(ids[2...])
        try writer.finish()
        let bytes = try [UInt8](Data(contentsOf: url))
        #expect(bytes.count == 1024 + 4 * ids.count)
        #expect(Array(bytes[0..<12]) == [0xA1, 0xD9, 0x34, 0x01, 7, 0, 0, 0, 6, 0, 0, 0])   // 20240801, 7, 6 little-endian
        let data = try PackedDataset(contentsOf: url, sequenceLength: 4, eosTokenID: 0)
        #expect(DataFixtures.tokens(data) == ids.map { Int32($0) })
        #expect(data.largestTokenID == Int32.max && data.sequenceCount == 2)
    }

    @Test func corruptTokenFilesAreErrors() throws {
        let folder = DataFixtures.scratch()
        let url = folder.appendingPathComponent("x.tokens")
        let writer = try TokenFileWriter(url: url)
        try writer.append([1, 2, 3])
        try writer.finish()
        let good = try [UInt8](Data(contentsOf: url))
        var badMagic = good; badMagic[0] = 0
        var beyond = good; beyond[1024 + 7] = 0x80                    // token 1 ≥ 2³¹
        for (name, bytes, reason) in [("truncated", Array(good.dropLast(2)), "header counts 3 tokens but the file has 1034 bytes"),
                                      ("short", Array(good.prefix(100)), "100 bytes, shorter than the 1024-byte header"),
                                      ("magic", badMagic, "header starts"),
                                      ("beyond", beyond, "token 1 has id 2147483650, beyond Int32")] {
            let file = DataFixtures.write(bytes, name, in: folder)
            let error = #expect(throws: DataError.self) { try PackedDataset(contentsOf: file, sequenceLength: 4, eosTokenID: 0) }
            guard case .tokenFileCorrupt(let path, let why)? = error else { Issue.record("\(name): \(String(describing: error))"); continue }
            #expect(path == file.path && why.contains(reason), "\(name): \(why)")
        }
    }

    static func modificationDate(_ url: URL) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date)
    }

    @Test func manifestReusesAndInvalidates() throws {
        let folder = DataFixtures.scratch()
        let cache = folder.appendingPathComponent("cache")
        let input = DataFixtures.write("{\"text\": \"Speak.\"}\nnot json\n{\"text\": \"We know't.\"}\n", "a.jsonl", in: folder)
        let options = PackingOptions(sequenceLength: 4, validationFraction: 0, badRecords: .skip)
        var firstIssues: [DataIssue] = []
        let first = try DataFixtures.prepare([input], options, in: cache) { firstIssues.append($0) }
        let trainFile = cache.appendingPathComponent(TextData.trainFileName)
        // Age the token file so that rewriting it would show in its modification time.
        let old = Date(timeIntervalSince1970: 1_000_000)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: trainFile.path)

        var secondIssues: [DataIssue] = []
        let second = try DataFixtures.prepare([input], options, in: cache) { secondIssues.append($0) }
        #expect(try Self.modificationDate(trainFile) == old)          // not re-tokenized
        #expect(secondIssues == firstIssues && firstIssues.count == 1) // issues replayed
        #expect(DataFixtures.tokens(second.train) == DataFixtures.tokens(first.train))
        #expect(second.summary.notes.contains { $0.hasPrefix("token files reused") })
        var withoutNote = second.summary
        withoutNote.notes.removeLast()
        #expect(withoutNote == first.summary)

        // separateDocuments reads the same files differently: still reused.
        var separate = options
        separate.separateDocuments = true
        let third = try DataFixtures.prepare([input], separate, in: cache)
        #expect(try Self.modificationDate(trainFile) == old && third.train.separateDocuments)

        // Touching the input re-tokenizes.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 2_000_000)], ofItemAtPath: input.path)
        _ = try DataFixtures.prepare([input], options, in: cache)
        #expect(try Self.modificationDate(trainFile) != old)

        // So do another sequence length and another tokenizer.
        for change in 0..<2 {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: trainFile.path)
            if change == 0 {
                _ = try DataFixtures.prepare([input], PackingOptions(sequenceLength: 8, validationFraction: 0, badRecords: .skip), in: cache)
            } else {
                let other = BPETrainerFixture.other
                _ = try TextData.prepare(files: [input], tokenizer: other, eosTokenID: 0, options: options, directory: cache) { _ in }
            }
            #expect(try Self.modificationDate(trainFile) != old, "change \(change)")
        }
    }

    @Test func corruptCacheIsRebuilt() throws {
        let folder = DataFixtures.scratch()
        let cache = folder.appendingPathComponent("cache")
        let input = DataFixtures.write("Speak.\n\nWe know't.\n", "a.txt", in: folder)
        let options = PackingOptions(sequenceLength: 4, validationFraction: 0)
        let first = try DataFixtures.prepare([input], options, in: cache)
        let expected = DataFixtures.tokens(first.train)
        let trainFile = cache.appendingPathComponent(TextData.trainFileName)
        try FileManager.default.removeItem(at: trainFile)             // a new inode: `first` keeps its mapping
        try Data(count: 10).write(to: trainFile)
        let second = try DataFixtures.prepare([input], options, in: cache)
        #expect(DataFixtures.tokens(second.train) == expected)
    }
}

import Tokenizer

/// A second tokenizer, trained on other text, for cache invalidation.
enum BPETrainerFixture {
    static let other: Tokenizer = BPETrainer(vocabularySize: 300, minimumFrequency: 1, specialTokens: ["<|endoftext|>"])
        .train(["Speak, speak. We know't, we know't. Speak again."])
}
