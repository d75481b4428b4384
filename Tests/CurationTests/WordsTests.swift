import Testing
import Curation

@Suite struct WordsTests {
    @Test func splitsOnPunctuationAndKeepsInnerApostrophes() {
        #expect(Words.split("Don't stop—o'er the hills, 42 times!") == ["Don't", "stop", "o'er", "the", "hills", "42", "times"])
        #expect(Words.split("'quoted' words'", lowercased: true) == ["quoted", "words"])
        #expect(Words.split("") == [])
        #expect(Words.split("  ...  ") == [])
    }

    @Test func handlesCombiningMarksAndOtherScripts() {
        // "é" as e + U+0301 stays one word; CJK letters are word scalars.
        #expect(Words.split("cafe\u{301} au lait") == ["cafe\u{301}", "au", "lait"])
        #expect(Words.split("東京 と 大阪") == ["東京", "と", "大阪"])
    }

    @Test func ngramsAreContiguousWindows() {
        #expect(Words.ngrams(["a", "b", "c"], n: 2) == ["a b", "b c"])
        #expect(Words.ngrams(["a", "b"], n: 3) == [])
        #expect(Words.ngrams(["a"], n: 1) == ["a"])
    }
}
