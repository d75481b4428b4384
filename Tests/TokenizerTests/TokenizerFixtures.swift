import Foundation
import Testing
import _TestSupport
@testable import Tokenizer

/// Golden files written by `Scripts/reference_tokenizer.py` and the real tokenizers, loaded once.
enum TokenizerFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    private static let gpt2Result = Result { try Tokenizer(gpt2Encoder: TestAssets.url(.gpt2Encoder), merges: TestAssets.url(.gpt2Merges)) }
    private static let smolLM2Result = Result { try Tokenizer(gguf: TestAssets.url(.smolLM2GGUF)) }
    /// GPT-2's tokenizer from `encoder.json` + `vocab.bpe` (loading errors are rethrown).
    static func gpt2() throws -> Tokenizer { try gpt2Result.get() }
    /// SmolLM2's tokenizer from the GGUF metadata.
    static func smolLM2() throws -> Tokenizer { try smolLM2Result.get() }

    /// The play's bytes as read from disk.
    static func play(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: TestAssets.url(.shakespeareTexts).appendingPathComponent(name)))
    }

    /// The script's hash of an id list: FNV-1a 64 over each id as 4 little-endian bytes.
    static func fnv1a(_ ids: [Int]) -> UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for id in ids {
            var value = UInt32(id)
            for _ in 0..<4 {
                hash ^= UInt64(value & 0xFF)
                hash = hash &* 0x100000001b3
                value >>= 8
            }
        }
        return hash
    }

    /// Seeded random text mixing the scalars the pre-tokenizers care about. (No `ſ`: Hugging Face
    /// folds it to `s` in Llama 3's `(?i:'s…)`, Swift `Regex` does not; the golden pieces cover it.)
    static func randomText(length: Int, using generator: inout some RandomNumberGenerator) -> String {
        let alphabet: [String] = [" ", " ", "  ", "\n", "\r\n", "\r", "\t", "a", "Z", "é", "e\u{301}", "ß", "Ж", "日", "本",
                                  "0", "7", "²", "Ⅻ", "½", "٣", "'", "'s", "'LL", "'re", ".", ",", "!", "$", "😀",
                                  "👍🏽", "\u{200B}", "\u{00A0}", "\u{3000}", "\u{2028}", "x", "the", "ing", "-", "_",
                                  "\u{0}", "\u{7F}", "\u{85}", "ǅ", "ʰ", "\u{1F1EB}", "ﬁ"]
        var text = ""
        for _ in 0..<length { text += alphabet.randomElement(using: &generator)! }
        return text
    }
}

/// A small deterministic generator for tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
