import Foundation
import Testing
@testable import Tokenizer

/// Each hand-written scanner against its regular expression (Swift `Regex`, Unicode-scalar
/// semantics, the slow reference) and against Hugging Face's own splitting (golden pieces).
@Suite struct PreTokenizerTests {
    /// The pieces of the reference regex (for SmolLM: numbers isolated, then GPT-2 between).
    static func reference(_ pre: PreTokenizer, _ text: String) throws -> [String] {
        let regex = try Regex(pre.pattern).matchingSemantics(.unicodeScalar)
        func matches(_ s: Substring) -> [String] { s.matches(of: regex).map { String(s[$0.range]) } }
        guard pre == .smolLM else { return matches(text[...]) }
        var pieces: [String] = []
        var segment = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if ScalarClass.classify(scalar) == ScalarClass.number {
                if !segment.isEmpty { pieces += matches(String(segment)[...]); segment = String.UnicodeScalarView() }
                pieces.append(String(scalar))
            } else {
                segment.append(scalar)
            }
        }
        if !segment.isEmpty { pieces += matches(String(segment)[...]) }
        return pieces
    }

    static let tricky = ["", " ", "  \nfoo", " \nfoo", "a  \n\n b", "hello\r\nworld\r\n", "x\r\n\r\n  y", "\r\n",
                         "I'm you're we've THEY'LL he'd it's can't", "''s 'S 'ſ", "é\u{301}te\u{301}", "x² y³ Ⅻ ½",
                         "12345 678 9", "😀👍🏽 🇫🇷", "日本語 中文。", "\t\ttabs  ", "   ", "end  ", " !!?\n\n", "a.\r\nb"]

    @Test(arguments: PreTokenizer.allCases)
    func scannerMatchesRegexOnTrickyStrings(_ pre: PreTokenizer) throws {
        for text in Self.tricky {
            let pieces = pre.split(text).map(String.init)
            let expected = try Self.reference(pre, text)
            #expect(pieces.map { Array($0.utf8) } == expected.map { Array($0.utf8) }, "\(pre) on \(text.debugDescription)")
        }
    }

    @Test(arguments: PreTokenizer.allCases)
    func scannerMatchesRegexOnRandomStrings(_ pre: PreTokenizer) throws {
        var generator = SplitMix64(state: 42)
        for _ in 0..<300 {
            let text = TokenizerFixtures.randomText(length: 24, using: &generator)
            let pieces = pre.split(text).map { Array($0.utf8) }
            let expected = try Self.reference(pre, text).map { Array($0.utf8) }
            #expect(pieces == expected, "\(pre) on \(text.debugDescription)")
            if pieces != expected { return }
        }
    }

    @Test(arguments: PreTokenizer.allCases)
    func scannerMatchesHuggingFacePieces(_ pre: PreTokenizer) throws {
        let golden = try TokenizerFixtures.json("pretokenizer_golden.json")
        let cases = golden[pre.rawValue] as! [[String: Any]]
        #expect(cases.count > 30)
        for entry in cases {
            let text = entry["text"] as! String
            let expected = (entry["pieces"] as! [String]).map { Array($0.utf8) }
            #expect(pre.split(text).map { Array($0.utf8) } == expected, "\(pre) on \(text.debugDescription)")
        }
    }

    @Test func documentedExample() {
        #expect(PreTokenizer.gpt2.split("  \nfoo") == ["  ", "\n", "foo"])
        #expect(PreTokenizer.smolLM.split("abc 123") == ["abc", " ", "1", "2", "3"])
        #expect(PreTokenizer.llama3.split("12345") == ["123", "45"])
    }
}
