import Foundation
import Testing
import _TestSupport
@testable import Curation

@Suite struct PIIRedactorTests {
    let redactor = PIIRedactor()

    // MARK: The labelled set

    @Test func labelledSetHasEnoughSnippetsOfEveryType() {
        #expect(PIILabelledSet.examples.count >= 300)
        var perType: [PIIType: Int] = [:]
        for example in PIILabelledSet.examples { for span in example.gold { perType[span.type, default: 0] += 1 } }
        for type in PIIType.allCases { #expect(perType[type, default: 0] >= 15, "\(type): \(perType[type, default: 0])") }
        let negatives = PIILabelledSet.examples.filter { $0.gold.isEmpty }.count
        #expect(negatives >= 100, "\(negatives) negative snippets")
    }

    @Test func precisionAndRecallPerTypeOnTheLabelledSet() {
        var truePositives: [PIIType: Int] = [:], falsePositives: [PIIType: Int] = [:], falseNegatives: [PIIType: Int] = [:]
        var mistakes: [String] = []
        for example in PIILabelledSet.examples {
            let found = Set(redactor.find(example.text))
            let gold = Set(example.gold)
            for match in found.intersection(gold) { truePositives[match.type, default: 0] += 1 }
            for match in found.subtracting(gold) {
                falsePositives[match.type, default: 0] += 1
                mistakes.append("extra \(match.type.rawValue) '\(match.value)' in: \(example.text)")
            }
            for match in gold.subtracting(found) {
                falseNegatives[match.type, default: 0] += 1
                mistakes.append("missed \(match.type.rawValue) '\(match.value)' in: \(example.text)")
            }
        }
        print("PII redaction on \(PIILabelledSet.examples.count) labelled snippets (exact spans):")
        print("| type | gold | found | precision | recall |")
        print("|---|---|---|---|---|")
        for type in PIIType.allCases {
            let tp = truePositives[type, default: 0], fp = falsePositives[type, default: 0], fn = falseNegatives[type, default: 0]
            let precision = tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp)
            let recall = tp + fn == 0 ? 1 : Double(tp) / Double(tp + fn)
            print("| \(type.rawValue) | \(tp + fn) | \(tp + fp) | \(String(format: "%.3f", precision)) | \(String(format: "%.3f", recall)) |")
            #expect(precision >= 0.95, "\(type) precision \(precision)")
            #expect(recall >= 0.95, "\(type) recall \(recall)")
        }
        if !mistakes.isEmpty { print(mistakes.joined(separator: "\n")) }
    }

    // MARK: Modes and counts

    @Test func replaceModeWritesTypePlaceholdersAndCounts() {
        let result = redactor.redact("Mail jane@example.com or bob@example.org, call (555) 123-4567 from 10.0.0.1.")
        #expect(result.text == "Mail <EMAIL> or <EMAIL>, call <PHONE> from <IP_ADDRESS>.")
        #expect(result.counts == [.email: 2, .phone: 1, .ipAddress: 1])
        #expect(result.matches.map(\.value) == ["jane@example.com", "bob@example.org", "(555) 123-4567", "10.0.0.1"])
        #expect(PIIType.allCases.map(\.rawValue) == ["EMAIL", "PHONE", "IP_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN", "SECRET", "URL_CREDENTIALS"])
    }

    @Test func matchRangesAreUTF8OffsetsIntoTheOriginal() {
        let text = "Grüße an jürgen@example.de — danke"
        let match = try! #require(redactor.find(text).first)
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[match.range], as: UTF8.self) == "jürgen@example.de")
        #expect(match.range == 11..<29)
        #expect(redactor.redact(text).text == "Grüße an <EMAIL> — danke")
        // CJK text and full-width punctuation end the local part.
        #expect(redactor.redact("メール：jane@example.com").text == "メール：<EMAIL>")
        #expect(redactor.redact("连络jane@example.com").text == "连络<EMAIL>")
    }

    @Test func maskModeMasksEverythingOrKeepsSeparators() {
        let all = PIIRedactor(mode: .mask())
        #expect(all.redact("SSN 123-45-6789.").text == "SSN ***********.")
        let keep = PIIRedactor(mode: .mask(character: "#", keepSeparators: true))
        #expect(keep.redact("SSN 123-45-6789, mail a.b@example.com").text == "SSN ###-##-####, mail #.#@#######.###")
    }

    @Test func hashModeIsDeterministicPerSaltAndValue() {
        let a = PIIRedactor(mode: .hash(salt: "pepper", hexDigits: 8))
        let text = "x@example.com wrote to y@example.com, then x@example.com again"
        let out = a.redact(text).text
        let placeholders = out.split(separator: " ").filter { $0.hasPrefix("<EMAIL:") }.map { String($0.prefix(16)) }
        #expect(placeholders.count == 3)
        #expect(placeholders[0] == placeholders[2] && placeholders[0] != placeholders[1])
        #expect(placeholders[0].count == 16)   // "<EMAIL:" + 8 hex + ">"
        let b = PIIRedactor(mode: .hash(salt: "salt", hexDigits: 8)).redact(text).text
        #expect(b != out)
        // The digest is SHA-256 over salt, 0xFF, value (Python: hashlib.sha256(b"pepper\xffx@example.com")).
        #expect(PIIRedactor.keyedDigest(salt: "", value: "") == "a8100ae6aa1940d0b663bb31cd466142ebbdbd5187131b92d93818987832eb89")
        #expect(PIIRedactor.keyedDigest(salt: "pepper", value: "x@example.com") == "2b8977e8f75b42bca24e9c4ff5dc79de119c5ac2920428c5f86f0ffd01c587c9")
        #expect(PIIRedactor(mode: .hash(salt: "pepper")).redact("x@example.com").text == "<EMAIL:2b8977e8f75b42bc>")
        #expect(PIIRedactor(mode: .hash(salt: "pepper", hexDigits: 64)).redact("x@example.com").text
                == "<EMAIL:2b8977e8f75b42bca24e9c4ff5dc79de119c5ac2920428c5f86f0ffd01c587c9>")
        #expect(a.redact(text).text == out)
    }

    @Test func typesCanBeSwitchedOff() {
        let onlyEmail = PIIRedactor(types: [.email])
        let text = "jane@example.com, 555-123-4567, 123-45-6789, 10.0.0.1"
        #expect(onlyEmail.redact(text).text == "<EMAIL>, 555-123-4567, 123-45-6789, 10.0.0.1")
        #expect(PIIRedactor(types: []).redact(text).text == text)
        #expect(PIIRedactor(types: [.usSSN, .ipAddress]).redact(text).text == "jane@example.com, 555-123-4567, <US_SSN>, <IP_ADDRESS>")
    }

    @Test func overlapsKeepTheLongestSpan() {
        typealias C = PIIScanner.Candidate
        let kept = PIIRedactor.resolve([
            C(type: .ipAddress, start: 10, end: 20), C(type: .ipAddress, start: 5, end: 30),
            C(type: .email, start: 28, end: 40), C(type: .phone, start: 40, end: 50),
            C(type: .secret, start: 60, end: 70), C(type: .usSSN, start: 60, end: 70),
        ])
        #expect(kept == [C(type: .ipAddress, start: 5, end: 30), C(type: .phone, start: 40, end: 50), C(type: .usSSN, start: 60, end: 70)])
        // An IPv4-mapped IPv6 address is one match, not an IPv6 prefix plus an IPv4.
        #expect(redactor.redact("peer ::ffff:192.0.2.128 up").text == "peer <IP_ADDRESS> up")
        // URL credentials, not an e-mail address, in a URL's authority.
        #expect(redactor.redact("postgres://u:pw@db.example.com/x").text == "postgres://<URL_CREDENTIALS>@db.example.com/x")
    }

    @Test func emptyAndPlainTextAreUnchanged() {
        #expect(redactor.redact("").text == "")
        let plain = "Nothing to see here: 2024-03-15, version 1.2.3.4, $19.99."
        let result = redactor.redact(plain)
        #expect(result.text == plain && result.matches.isEmpty && result.counts.isEmpty)
    }

    // MARK: Validators

    @Test func luhnAndIssuerChecks() {
        let digits = { (s: String) in s.compactMap { $0.wholeNumberValue.map(UInt8.init) } }
        #expect(PIIScanner.luhn(digits("4111111111111111")))
        #expect(!PIIScanner.luhn(digits("4111111111111112")))
        #expect(PIIScanner.luhn(digits("378282246310005")))
        #expect(PIIScanner.knownIssuer(digits("378282246310005")))      // Amex, 15
        #expect(!PIIScanner.knownIssuer(digits("3782822463100050")))    // Amex, 16: wrong length
        #expect(PIIScanner.knownIssuer(digits("2223003122003222")))     // Mastercard 2-series
        #expect(!PIIScanner.knownIssuer(digits("1234567890123452")))    // no issuer starts with 1
        #expect(!PIIScanner.knownIssuer(digits("411111111111")))        // 12 digits
    }

    @Test func ibanChecksumAndLengths() {
        let chars = { (s: String) in Array(s.replacingOccurrences(of: " ", with: "").utf8) }
        #expect(PIIScanner.ibanChecksumIsValid(chars("GB82 WEST 1234 5698 7654 32")))
        #expect(!PIIScanner.ibanChecksumIsValid(chars("GB82 WEST 1234 5698 7654 33")))
        #expect(!PIIScanner.ibanChecksumIsValid(chars("GB28 WEST 1234 5698 7654 32")))
        #expect(PIIScanner.ibanLengths["DE"] == 22 && PIIScanner.ibanLengths["NO"] == 15 && PIIScanner.ibanLengths["MT"] == 31)
        // Too short for the country: not an IBAN even if a prefix would check out.
        #expect(redactor.find("DE89 3704 0044 0532 0130").isEmpty)
    }

    @Test func ssnRanges() {
        #expect(PIIScanner.ssnIsValid(area: 123, group: 45, serial: 6789))
        for (a, g, s) in [(0, 45, 6789), (666, 45, 6789), (900, 45, 6789), (999, 45, 6789), (123, 0, 6789), (123, 45, 0)] {
            #expect(!PIIScanner.ssnIsValid(area: a, group: g, serial: s), "\(a)-\(g)-\(s)")
        }
        #expect(PIIScanner.ssnIsValid(area: 899, group: 99, serial: 9999))
    }

    // MARK: Edge cases of the scanners

    @Test func boundariesOfNumbers() {
        // Inside longer digit runs nothing is found.
        #expect(redactor.find("id 1123-45-67890 and 9555-123-4567 and 41111111111111111111").isEmpty)
        // CJK text right before a number is a boundary.
        #expect(redactor.redact("電話555-123-4567まで").text == "電話<PHONE>まで")
        // Sentence punctuation right after is a boundary.
        #expect(redactor.redact("SSN: 123-45-6789.").text == "SSN: <US_SSN>.")
        #expect(redactor.redact("ip 10.0.0.1, then 10.0.0.2").text == "ip <IP_ADDRESS>, then <IP_ADDRESS>")
    }

    @Test func privateKeyBlocksRunToTheirEndLine() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n\nBBBB\n-----END RSA PRIVATE KEY-----"
        // A blank line inside the block does not end it when an END line follows.
        #expect(redactor.redact("k:\n\(key)\nbye").text == "k:\n<SECRET>\nbye")
        #expect(redactor.redact("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").matches.isEmpty)
        // A truncated key ends before the next BEGIN, not at a later key's END line.
        let two = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\nsee below\n-----BEGIN EC PRIVATE KEY-----\nBBBB\n-----END EC PRIVATE KEY-----"
        #expect(redactor.redact(two).text == "<SECRET>\n<SECRET>")
        // Many truncated keys: linear time (the next marker is searched once).
        let many = String(repeating: "-----BEGIN PRIVATE KEY-----\nAAAA\n\ntext\n", count: 20_000)
        #expect(redactor.redact(many).counts == [.secret: 20_000])
    }

    @Test(TestAssets.requires(.shakespeareTexts))
    func shakespeareHasNoPII() throws {
        // 5 MB of real prose and verse with act/scene numbers, dates and line numbers: any
        // match is a false positive. Also prints the scanning speed (not asserted).
        let folder = try TestAssets.url(.shakespeareTexts)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix("_gut.txt") }.sorted()
        var texts: [String] = []
        for name in names { texts.append(String(decoding: try Data(contentsOf: folder.appendingPathComponent(name)), as: UTF8.self)) }
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        let start = ContinuousClock.now
        var matches: [PIIMatch] = []
        for text in texts { matches += redactor.find(text) }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        print("PII scan of \(names.count) plays (\(bytes) bytes): \(matches.count) matches, \(String(format: "%.1f", Double(bytes) / 1e6 / seconds)) MB/s on one thread")
        #expect(names.count >= 30)
        #expect(matches.isEmpty, "\(matches.prefix(10))")
    }

    @Test func longDocumentScalesLinearly() {
        // 20,000 lines of mixed text: every planted item is found once.
        var text = ""
        for i in 0..<20_000 { text += "line \(i): write to user\(i)@example.com from 10.0.\(i % 250).\(i % 200 + 1) now\n" }
        let result = redactor.redact(text)
        #expect(result.counts == [.email: 20_000, .ipAddress: 20_000])
        // One 5 MB line without spaces: the look-backs are bounded, so this stays linear.
        let line = String(repeating: "x=a@b.example.com;u=http://h.example.com/p?q=1&", count: 100_000)
        #expect(redactor.redact(line).counts == [.email: 100_000])
    }
}
