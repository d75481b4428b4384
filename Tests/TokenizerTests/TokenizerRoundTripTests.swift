import Foundation
import Testing
import _TestSupport
@testable import Tokenizer

/// decode(encode(bytes)) == bytes for any bytes; the streaming decoder; the byte-level map.
@Suite struct TokenizerRoundTripTests {
    @Test func byteLevelMapIsABijection() {
        #expect(Set(ByteLevel.scalars).count == 256)
        for byte in 0..<256 { #expect(ByteLevel.byte(for: ByteLevel.scalars[byte]) == UInt8(byte)) }
        #expect(ByteLevel.encode(Array(" hi\n".utf8)) == "ĠhiĊ")
        #expect(ByteLevel.decode("Ġhi") == [0x20, 0x68, 0x69])
        #expect(ByteLevel.decode("€") == nil)
    }

    /// Random UTF-8 (emoji, CJK, combining marks, controls, CRLF) and random invalid bytes.
    @Test(TestAssets.requires(.gpt2Encoder))
    func anyBytesRoundTrip() throws {
        let tokenizer = try TokenizerFixtures.gpt2()
        var generator = SplitMix64(state: 7)
        for round in 0..<400 {
            var bytes = Array(TokenizerFixtures.randomText(length: 40, using: &generator).utf8)
            if round % 2 == 1 {
                for _ in 0..<8 { bytes.insert(UInt8.random(in: 0...255, using: &generator), at: Int.random(in: 0...bytes.count, using: &generator)) }
            }
            for pre in PreTokenizer.allCases where pre != .whitespace {
                let ids = tokenizer.withPreTokenizer(pre).encode(bytes: bytes)
                #expect(tokenizer.decode(ids) == bytes, "\(pre) round \(round)")
            }
        }
        let allBytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        #expect(tokenizer.decode(tokenizer.encode(bytes: allBytes)) == allBytes)
    }

    /// Long pieces take the heap path; it must give the same ids as the quadratic loop.
    @Test(TestAssets.requires(.gpt2Encoder))
    func longPiecesMatchShortPath() throws {
        let tokenizer = try TokenizerFixtures.gpt2()
        var generator = SplitMix64(state: 3)
        for length in [65, 100, 300] {
            let letters = Array("abcdefghijklmnopqrstuvwxyzeeeeetttaaa".utf8)
            let piece = (0..<length).map { _ in letters.randomElement(using: &generator)! }
            var fast: [Int32] = [], slow: [Int32] = [], parts: [Int32] = [], ranks: [UInt64] = []
            piece.withUnsafeBufferPointer { tokenizer.model.encodeLong($0, into: &fast) }
            // The quadratic loop on the same bytes, in ≤ 64-byte calls would differ; call it directly.
            piece.withUnsafeBufferPointer { buffer in
                var model = tokenizer.model
                model.quadraticLimit = Int.max
                model.encode(buffer, into: &slow, parts: &parts, ranks: &ranks)
            }
            #expect(fast == slow, "length \(length)")
        }
    }

    @Test(TestAssets.requires(.smolLM2GGUF))
    func streamingDecoderHoldsBackPartialCharacters() throws {
        let tokenizer = try TokenizerFixtures.smolLM2()
        let text = "Café 😀 日本語 ok"
        let ids = tokenizer.encode(text)
        var stream = StreamingDecoder(tokenizer: tokenizer)
        var pieces: [String] = []
        for id in ids { pieces.append(stream.append(id)) }
        pieces.append(stream.finish())
        #expect(Array(pieces.joined().utf8) == Array(text.utf8))
        #expect(!pieces.joined().contains("\u{FFFD}"))
        // Each byte of the emoji as its own token: nothing until the fourth.
        var bytewise = StreamingDecoder(tokenizer: tokenizer)
        let emojiIDs = Array("😀".utf8).map { tokenizer.id(for: String(ByteLevel.scalars[Int($0)]))! }
        #expect(emojiIDs.map { bytewise.append($0) } == ["", "", "", "😀"])
    }

    @Test func completePrefixLength() {
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xF0, 0x9F]) == 1)
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xF0, 0x9F, 0x98, 0x80]) == 5)
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xE0, 0x80]) == 3)   // can never be valid
        #expect(StreamingDecoder.completePrefixLength([0x80]) == 1)
        #expect(StreamingDecoder.completePrefixLength([]) == 0)
    }

    @Test(TestAssets.requires(.smolLM2GGUF))
    func specialTokensCanBePlainText() throws {
        let tokenizer = try TokenizerFixtures.smolLM2()
        let text = "<|im_start|>user"
        #expect(tokenizer.encode(text).first == tokenizer.id(for: "<|im_start|>"))
        #expect(!tokenizer.encode(text, parseSpecialTokens: false).contains(tokenizer.id(for: "<|im_start|>")!))
        #expect(tokenizer.decodeText(tokenizer.encode(text), skipSpecialTokens: true) == "user")
    }

    @Test func decodingAnUnknownIDStops() async {
        await #expect(processExitsWith: .failure) {
            let tokenizer = try Tokenizer(vocabulary: ByteLevel.scalars.map { String($0) }, merges: [], preTokenizer: .gpt2)
            _ = tokenizer.decode([256])
        }
    }
}
