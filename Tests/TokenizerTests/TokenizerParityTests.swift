import Foundation
import Testing
import _TestSupport
@testable import Tokenizer

/// Identical ids to Hugging Face `tokenizers` / `tiktoken` (golden files from
/// `Scripts/reference_tokenizer.py`) with the real GPT-2 and SmolLM2 vocabularies.
@Suite struct TokenizerParityTests {
    static func ids(_ value: Any?) -> [Int] { (value as! [Any]).map { ($0 as! NSNumber).intValue } }

    @Test(TestAssets.requires(.gpt2Encoder))
    func gpt2TrickyStrings() throws {
        let tokenizer = try TokenizerFixtures.gpt2()
        let golden = try TokenizerFixtures.json("gpt2_golden.json")
        for entry in golden["tricky"] as! [[String: Any]] {
            let text = entry["text"] as! String
            #expect(tokenizer.encode(text) == Self.ids(entry["ids"]), "\(text.debugDescription)")
            #expect(tokenizer.encode(text, parseSpecialTokens: false) == Self.ids(entry["plainIDs"]), "\(text.debugDescription)")
        }
    }

    /// llama.cpp's tokenizer test inputs and its expected GPT-2 ids (`models/ggml-vocab-gpt-2.gguf.inp`
    /// and `.out` from llama.cpp, MIT; the reference script checks tokenizers and tiktoken agree).
    @Test(TestAssets.requires(.gpt2Encoder))
    func gpt2LlamaCppVocabularyTest() throws {
        let tokenizer = try TokenizerFixtures.gpt2()
        let input = try String(contentsOf: TokenizerFixtures.folder.appendingPathComponent("llama_cpp_vocab_test.inp"), encoding: .utf8)
        let output = try String(contentsOf: TokenizerFixtures.folder.appendingPathComponent("llama_cpp_gpt2.out"), encoding: .utf8)
        let cases = input.components(separatedBy: "\n__ggml_vocab_test__\n").dropLast()
        let expected = output.components(separatedBy: "\n").dropLast()
        #expect(cases.count == 46 && expected.count == 46)
        for (text, line) in zip(cases, expected) {
            #expect(tokenizer.encode(text) == line.split(separator: " ").map { Int($0)! }, "\(text.debugDescription)")
        }
    }

    @Test(TestAssets.requires(.gpt2Encoder), TestAssets.requires(.shakespeareTexts))
    func gpt2PlayPrefixes() throws {
        let tokenizer = try TokenizerFixtures.gpt2()
        let golden = try TokenizerFixtures.json("gpt2_golden.json")
        for entry in golden["prefixes"] as! [[String: Any]] {
            let text = String(decoding: try TokenizerFixtures.play(entry["file"] as! String), as: UTF8.self)
            let prefix = String(text.unicodeScalars.prefix(entry["characters"] as! Int))
            #expect(tokenizer.encode(prefix) == Self.ids(entry["ids"]), "\(entry["file"]!)")
        }
    }

    /// Every play (about 5.5 MB), against tiktoken's count and hash of the ids.
    @Test(TestAssets.requires(.gpt2Encoder), TestAssets.requires(.shakespeareTexts))
    func gpt2EveryPlay() throws {
        let tokenizer = try TokenizerFixtures.gpt2()
        let golden = try TokenizerFixtures.json("gpt2_golden.json")
        let plays = golden["plays"] as! [[String: Any]]
        #expect(plays.count == 42)
        let documents = try plays.map { try TokenizerFixtures.play($0["file"] as! String) }
        let batch = tokenizer.encode(batch: documents, threads: 2)
        for (entry, ids) in zip(plays, batch) {
            #expect(ids.count == entry["count"] as! Int, "\(entry["file"]!)")
            #expect(String(TokenizerFixtures.fnv1a(ids)) == entry["fnv1a"] as! String, "\(entry["file"]!)")
        }
    }

    @Test(TestAssets.requires(.smolLM2GGUF))
    func smolLM2ChatPromptAndTrickyStrings() throws {
        let tokenizer = try TokenizerFixtures.smolLM2()
        let golden = try TokenizerFixtures.json("smollm2_golden.json")
        let chat = golden["chat"] as! [String: Any]
        #expect(tokenizer.encode(chat["text"] as! String) == Self.ids(chat["ids"]))
        for entry in golden["tricky"] as! [[String: Any]] {
            let text = entry["text"] as! String
            #expect(tokenizer.encode(text) == Self.ids(entry["ids"]), "\(text.debugDescription)")
        }
    }

    @Test(TestAssets.requires(.smolLM2GGUF), TestAssets.requires(.shakespeareTexts))
    func smolLM2Hamlet() throws {
        let tokenizer = try TokenizerFixtures.smolLM2()
        let golden = try TokenizerFixtures.json("smollm2_golden.json")
        let bytes = try TokenizerFixtures.play("hamlet_gut.txt")
        let prefix = golden["prefix"] as! [String: Any]
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(tokenizer.encode(String(text.unicodeScalars.prefix(prefix["characters"] as! Int))) == Self.ids(prefix["ids"]))
        let hamlet = golden["hamlet"] as! [String: Any]
        let ids = tokenizer.encode(bytes: bytes)
        #expect(ids.count == hamlet["count"] as! Int)
        #expect(String(TokenizerFixtures.fnv1a(ids)) == hamlet["fnv1a"] as! String)
    }

    @Test(TestAssets.requires(.smolLM2GGUF))
    func smolLM2Metadata() throws {
        let tokenizer = try TokenizerFixtures.smolLM2()
        #expect(tokenizer.preTokenizer == .smolLM)
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.bosTokenID.flatMap(tokenizer.token(for:)) == "<|im_start|>")
        #expect(tokenizer.eosTokenID.flatMap(tokenizer.token(for:)) == "<|im_end|>")
        #expect(tokenizer.chatTemplate?.contains("<|im_start|>") == true)
        #expect(tokenizer.id(for: "<|im_end|>") == 2)
        #expect(tokenizer.encode("Hello world") == [19556, 905])   // the example in Tokenizer's doc comment
    }
}
