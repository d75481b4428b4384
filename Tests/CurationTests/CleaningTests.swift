import Foundation
import Testing
@testable import Curation

@Suite struct CleaningTests {
    /// Real mojibake: UTF-8 text decoded as Windows-1252 (how these strings appear on web pages
    /// and in CSV exports), computed here the way the damage happens.
    static func mojibake(_ text: String) -> String {
        String(Array(text.utf8).map { byte -> Character in
            let table: [UInt8: Unicode.Scalar] = [0x80: "€", 0x82: "‚", 0x83: "ƒ", 0x84: "„", 0x85: "…", 0x86: "†", 0x87: "‡",
                                                  0x88: "ˆ", 0x89: "‰", 0x8A: "Š", 0x8B: "‹", 0x8C: "Œ", 0x8E: "Ž", 0x91: "‘",
                                                  0x92: "’", 0x93: "“", 0x94: "”", 0x95: "•", 0x96: "–", 0x97: "—", 0x98: "˜",
                                                  0x99: "™", 0x9A: "š", 0x9B: "›", 0x9C: "œ", 0x9E: "ž", 0x9F: "Ÿ"]
            return Character(table[byte] ?? Unicode.Scalar(byte))
        })
    }

    @Test(arguments: [
        ("CafÃ©", "Café"),
        ("donâ€™t stop", "don’t stop"),
        ("â€œquotedâ€\u{9D} text", "“quoted” text"),       // 0x9D is undefined in cp1252: Latin-1 reading leaves U+009D
        ("naÃ¯ve Ã¼ber seÃ±or", "naïve über señor"),
        ("â‚¬100 â€” really", "€100 — really"),
        ("Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет"),
        ("æ—¥æœ¬èªž", "日本語"),
        ("ðŸ˜€ smile", "😀 smile"),
        ("ÃƒÂ©tÃƒÂ©", "été"),                                   // mis-decoded twice
    ])
    func mojibakeIsRepaired(broken: String, fixed: String) {
        #expect(Mojibake.repair(broken) == fixed)
    }

    @Test func generatedMojibakeOfRealSentencesRoundTrips() {
        for sentence in ["Ils sont allés à l’école — déjà !", "Größe: 5 µm, Preis 12 € „günstig“",
                         "¿Qué pasó? Año nuevo, ñandú.", "Œuvre complète – « Ça va ? »"] {
            #expect(Mojibake.repair(Self.mojibake(sentence)) == sentence)
        }
    }

    @Test(arguments: ["plain ASCII text", "café naïve résumé", "«ÉTÉ»", "Fuß«", "Ärger über Öl", "1 × 2 ÷ 3 ± 4",
                      "Ça, là-bas", "Ã alone", "日本語のテキスト"])
    func correctTextIsLeftAlone(text: String) {
        #expect(Mojibake.repair(text) == nil)
    }

    @Test func controlCharactersAreRemovedButWhitespaceStays() {
        #expect(TextCleaner.removeControlCharacters("a\u{0}b\u{7}c\u{1B}[0m\u{7F}d\u{85}e\u{9B}f\u{FEFF}g\u{200B}h\t\n\r")
                == "abc[0md\u{85}efgh\t\n\r")
        #expect(TextCleaner.removeControlCharacters("clean 👩‍👩‍👧 text\u{AD}") == nil)  // ZWJ and soft hyphen stay
    }

    @Test func normalizationComposesOrFoldsCompatibilityForms() {
        #expect(TextCleaner.normalize("cafe\u{301}", form: .nfc) == "café")
        #expect(TextCleaner.normalize("café", form: .nfc) == nil)
        #expect(TextCleaner.normalize("ﬁne Ｆｕｌｌ x²", form: .nfc) == nil)
        #expect(TextCleaner.normalize("ﬁne Ｆｕｌｌ x²", form: .nfkc) == "fine Full x2")
        #expect(TextCleaner.normalize("cafe\u{301}", form: .none) == nil)
    }

    @Test func whitespaceAndNewlinesAreNormalized() {
        let text = "  \r\n\n Title\u{00A0}\u{00A0}here \t\r\nline\u{2028}two   \r\n\r\n\r\n\r\n\u{3000}para\u{2029}end  \n\n"
        #expect(TextCleaner.normalizeWhitespace(text) == "Title here\nline\ntwo\n\npara\nend")
        #expect(TextCleaner.normalizeWhitespace("a\n\n\n\nb", maxBlankLines: 0) == "a\nb")
        #expect(TextCleaner.normalizeWhitespace("a\n\n\n\nb", maxBlankLines: 2) == "a\n\n\nb")
        #expect(TextCleaner.normalizeWhitespace("already clean\n\ntext") == nil)
    }

    /// Slow, obviously right whitespace normalization of ASCII text.
    static func referenceWhitespace(_ text: String, maxBlankLines: Int) -> String {
        var text = text.replacingOccurrences(of: "\r\n", with: "\n")
        for breaker in ["\r", "\u{0B}", "\u{0C}"] { text = text.replacingOccurrences(of: breaker, with: "\n") }
        let lines = text.components(separatedBy: "\n").map { line in
            line.replacingOccurrences(of: "\t", with: " ").split(separator: " ").joined(separator: " ")
        }
        var joined = lines.joined(separator: "\n")
        let limit = String(repeating: "\n", count: maxBlankLines + 1)
        while joined.contains(limit + "\n") { joined = joined.replacingOccurrences(of: limit + "\n", with: limit) }
        return joined.trimmingCharacters(in: CharacterSet(charactersIn: "\n"))
    }

    @Test func whitespaceNormalizationMatchesASlowReferenceOnRandomText() {
        var state: UInt64 = 7
        let alphabet = ["a", "b", " ", " ", "\n", "\n", "\t", "\r", "\r\n", "\u{0C}"]
        for _ in 0..<5_000 {
            var text = ""
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(state >> 60) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                text += alphabet[Int(state >> 33) % alphabet.count]
            }
            for blank in [0, 1, 2] {
                let fast = TextCleaner.normalizeWhitespace(text, maxBlankLines: blank) ?? text
                #expect(fast == Self.referenceWhitespace(text, maxBlankLines: blank), "\(text.debugDescription), \(blank)")
            }
        }
    }

    @Test func c4BoilerplateLinesAreRemoved() {
        let text = """
        A real first line.
        Please enable JavaScript to view this page.
        This site uses cookies to improve your experience.
        Read our Privacy Policy and Terms of Use.
        function() { return 1; }
        Lorem ipsum dolor sit amet.
        The real last line.
        """
        let stage = CleaningStage()
        let cleaned = stage.clean(text)
        #expect(cleaned.text == "A real first line.\nThe real last line.")
        #expect(cleaned.reasons == ["boilerplate_lines"])
        #expect(stage.clean("Cookies and terms, privately used; java scripts.").reasons.isEmpty)
    }

    @Test func urlsAreRemovedOnlyWhenAsked() {
        let text = "See https://example.com/a?b=1&c=%20d, or http://x.org. Thanks"
        #expect(TextCleaner.removeURLs(text) == "See  or  Thanks")
        var config = CleaningConfig()
        #expect(CleaningStage(config).clean(text).text == text)
        config.removeURLs = true
        #expect(CleaningStage(config).clean(text) == (text: "See or Thanks", reasons: ["urls", "whitespace"]))
    }

    @Test func theStageReportsWhatChangedAndRemovesEmptyDocuments() {
        let stage = CleaningStage()
        var document = Document(text: "donâ€™t\u{0}  panic\r\n")
        #expect(stage.apply(to: &document) == .modified(reasons: ["mojibake", "control_characters", "whitespace"]))
        #expect(document.text == "don’t panic")
        var clean = Document(text: "Nothing to do.")
        #expect(stage.apply(to: &clean) == .kept)
        var empty = Document(text: " \u{0}\r\n\u{FEFF} ")
        #expect(stage.apply(to: &empty) == .removed(Removal(reason: "empty", value: 0, detail: "no text left after cleaning")))
    }

    @Test func cleaningDefaultsAreTheDocumentedOnes() {
        let config = CleaningConfig()
        #expect(config.repairMojibake && config.removeControlCharacters && config.normalizeWhitespace)
        #expect(config.unicodeNormalization == .nfc && config.maxBlankLines == 1)
        #expect(config.removeBoilerplateLines && config.removeCurlyBraceLines && !config.removeURLs)
        #expect(config.boilerplateSubstrings == ["javascript", "lorem ipsum", "terms of use", "privacy policy", "cookie policy",
                                                 "uses cookies", "use of cookies", "use cookies"])
    }
}
