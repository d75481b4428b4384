import Foundation
import Testing
import Tokenizer
import _TestSupport
@testable import Alignment

/// The pipeline on a real text: Shakespeare's sonnets, one document per blank-line paragraph.
@Suite("Data on Shakespeare")
struct DataShakespeareTests {
    @Test(TestAssets.requires(.shakespeareTexts))
    func sonnetsPackAndSplit() throws {
        let sonnets = try TestAssets.url(.shakespeareTexts).appendingPathComponent("sonnets_gut.txt")
        let text = try String(contentsOf: sonnets, encoding: .utf8)
        let tokenizer = BPETrainer(vocabularySize: 1024, specialTokens: ["<|endoftext|>"]).train([text])
        let folder = DataFixtures.scratch()
        let options = PackingOptions(sequenceLength: 128, separateDocuments: true, validationFraction: 0.1, seed: 1)
        let data = try TextData.prepare(files: [sonnets], tokenizer: tokenizer, eosTokenID: 0, options: options, directory: folder)
        let s = data.summary
        // The paragraphs, as the reader defines them (blank lines are whitespace-only).
        let paragraphs = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
            .split { $0.allSatisfy { $0 == " " || $0 == "\t" } }.map { $0.joined(separator: "\n") }
        #expect(s.documents == paragraphs.count && s.documents > 150, "\(s.documents) documents, \(paragraphs.count) paragraphs")
        #expect(s.skippedRecords == 0 && s.files == 1)
        let fraction = Double(s.validationTokens) / Double(s.trainTokens + s.validationTokens)
        #expect(fraction > 0.04 && fraction < 0.2, "validation share \(fraction)")
        #expect(s.trainSequences == data.train.sequenceCount && s.validationSequences == data.validation?.sequenceCount)
        // Decoding the training tokens gives the training paragraphs back, EOS between them.
        let trainParagraphs = paragraphs.indices.filter { !TextData.isHeldOut(document: $0, seed: 1, fraction: 0.1) }.map { paragraphs[$0] }
        let decoded = tokenizer.decodeText(DataFixtures.tokens(data.train).map(Int.init))
        #expect(decoded == trainParagraphs.map { $0 + "<|endoftext|>" }.joined())
        // Every sequence: length L, positions restart after each EOS, no target crosses a document.
        for i in 0..<data.train.sequenceCount {
            let q = data.train.sequence(at: i)
            let real = min(128, data.train.tokenCount - i * 128)      // padding (also id 0) follows
            #expect(q.ids.count == 128 && q.targets.count == 128)
            for t in 1..<real where q.ids[t - 1] == 0 {
                #expect(q.positions?[t] == 0 && q.targets[t - 1] == PackedDataset.ignoreIndex)
            }
        }
    }
}
