import Foundation
import Testing
@testable import Curation

/// Slow, obviously-right references for four scanners: a Swift `Regex` for the shape plus the
/// documented boundary and validity rules written out plainly, held against the byte scanners
/// on every labelled snippet and on awkward extra strings.
@Suite struct PIIReferenceTests {
    static let extra = [
        "", "1", "123-45-6789", "x123-45-6789", "123-45-6789x", "0123-45-6789", "123-45-67890", "123-45-6789-1",
        "123 45 6789", "123-45 6789", "#123-45-6789", "a 666-45-6789 b", "1.2.3.4", "01.2.3.4", "1.2.3.256",
        "1.2.3.4.5", "a1.2.3.4", "1.2.3.4a", "(10.0.0.1)", "-1.2.3.4", "1.2.3.4-5", "v1.2.3.4", "version 1.2.3.4",
        "AKIAIOSFODNN7EXAMPLE", "xAKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLEx", "AKIAIOSFODNN7EXAMPL", "ASIA1234567890ABCDEF!",
        "a@b.co", "a@b.c", "@b.co", "a@b.co.", ".a@b.co", "a.@b.co", "a@-b.co", "a@b-.co", "a@b..co", "x@y.png", "a@b.c0",
        "u@h.example.com/x", "http://u@h.example.com", "http://h.example.com/?to=a@b.example.com", "s://u:p@h.example.com",
    ]

    static var corpus: [String] { PIILabelledSet.examples.map(\.text) + extra }

    /// UTF-8 offsets of a regex match.
    static func offsets(_ text: String, _ range: Range<String.Index>) -> Range<Int> {
        text.utf8.distance(from: text.startIndex, to: range.lowerBound)..<text.utf8.distance(from: text.startIndex, to: range.upperBound)
    }

    static func byte(_ text: String, _ i: Int) -> UInt8 {
        let bytes = Array(text.utf8)
        return i >= 0 && i < bytes.count ? bytes[i] : 0
    }

    static func isAlnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// The fast scanner's spans of one type alone.
    static func fast(_ type: PIIType, _ text: String) -> [Range<Int>] {
        PIIRedactor(types: [type]).find(text).filter { $0.type == type }.map(\.range)
    }

    @Test func ssnMatchesTheReference() {
        let shape = /(\d{3})([- ])(\d{2})([- ])(\d{4})/.matchingSemantics(.unicodeScalar)
        for text in Self.corpus {
            var expected: [Range<Int>] = []
            for match in text.matches(of: shape) where match.output.2 == match.output.4 {
                let r = Self.offsets(text, match.range)
                let before = Self.byte(text, r.lowerBound - 1), after = Self.byte(text, r.upperBound)
                let startOK = !(Self.isAlnum(before) || "_#+".utf8.contains(before)
                                || (".-/,".utf8.contains(before) && Self.isDigit(Self.byte(text, r.lowerBound - 2))))
                let endOK = !(Self.isAlnum(after) || after == UInt8(ascii: "_")
                              || (".-/,".utf8.contains(after) && Self.isDigit(Self.byte(text, r.upperBound + 1))))
                let spaced = match.output.2 == " " && after == UInt8(ascii: " ") && Self.isDigit(Self.byte(text, r.upperBound + 1))
                let valid = PIIScanner.ssnIsValid(area: Int(match.output.1)!, group: Int(match.output.3)!, serial: Int(match.output.5)!)
                if startOK, endOK, !spaced, valid, !expected.contains(where: { $0.overlaps(r) }) { expected.append(r) }
            }
            #expect(Self.fast(.usSSN, text) == expected, "\(text)")
        }
    }

    @Test func ipv4MatchesTheReference() {
        let shape = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/.matchingSemantics(.unicodeScalar)
        let versionWords = PIIScanner.versionWords
        for text in Self.corpus {
            var expected: [Range<Int>] = []
            for match in text.matches(of: shape) {
                let octets = [match.output.1, match.output.2, match.output.3, match.output.4]
                let r = Self.offsets(text, match.range)
                let before = Self.byte(text, r.lowerBound - 1), after = Self.byte(text, r.upperBound)
                let valid = octets.allSatisfy { Int($0)! <= 255 && ($0.count == 1 || !$0.hasPrefix("0")) }
                let startOK = !(Self.isAlnum(before) || ".-_".utf8.contains(before))
                let endOK = !(Self.isAlnum(after) || after == UInt8(ascii: "_")
                              || (".-".utf8.contains(after) && Self.isDigit(Self.byte(text, r.upperBound + 1))))
                // The word before, skipping spaces and one ':' '.' '#' '-'.
                let prefix = String(decoding: Array(text.utf8)[..<r.lowerBound], as: UTF8.self)
                let word = prefix.firstMatch(of: /([A-Za-z\/]{1,16})\s*[:.#-]?\s*$/.matchingSemantics(.unicodeScalar)).map { String($0.output.1).lowercased() } ?? ""
                if valid, startOK, endOK, !versionWords.contains(word) { expected.append(r) }
            }
            // The IPv4 scanner alone (the redactor would let a longer IPv6 span win).
            var copy = text
            let found = copy.withUTF8 { bytes in
                var scanner = PIIScanner(bytes: bytes)
                scanner.scanIPv4()
                return scanner.found.map { $0.start..<$0.end }
            }
            #expect(found == expected, "\(text)")
        }
    }

    @Test func awsAccessKeysMatchTheReference() {
        let shape = /(AKIA|ASIA)[A-Z0-9]{16}/.matchingSemantics(.unicodeScalar)
        for text in Self.corpus {
            var expected: [Range<Int>] = []
            for match in text.matches(of: shape) {
                let r = Self.offsets(text, match.range)
                if !Self.isAlnum(Self.byte(text, r.lowerBound - 1)), !Self.isAlnum(Self.byte(text, r.upperBound)) { expected.append(r) }
            }
            let found = PIIRedactor(types: [.secret]).find(text).map(\.range).filter { r in
                let bytes = Array(text.utf8)[r]
                return bytes.count == 20 && (bytes.starts(with: "AKIA".utf8) || bytes.starts(with: "ASIA".utf8))
            }
            #expect(found == expected, "\(text)")
        }
    }

    @Test func emailsMatchTheReference() {
        // ASCII local part (the corpus has no non-ASCII local parts), dotted domain, letter TLD.
        let shape = /[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+/.matchingSemantics(.unicodeScalar)
        for text in Self.corpus {
            var expected: [Range<Int>] = []
            for match in text.matches(of: shape) {
                var value = String(match.output)
                var start = Self.offsets(text, match.range).lowerBound
                while let first = value.first, !(first.isASCII && (first.isLetter || first.isNumber)) { value.removeFirst(); start += 1 }
                while let last = value.last, last == "." || last == "-" { value.removeLast() }
                let parts = value.split(separator: "@", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else { continue }
                let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
                let tld = labels.last.map(String.init) ?? ""
                let labelsOK = labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
                let tldOK = (2...24).contains(tld.count) && tld.allSatisfy { $0.isASCII && $0.isLetter }
                    && !PIIScanner.fileExtensions.contains(tld.lowercased())
                // Not a URL's user information: "//" and at most 255 non-space, non-"/" bytes before.
                let before = String(decoding: Array(text.utf8)[..<start], as: UTF8.self)
                let inURL = before.contains(/\/\/[^\s\/]{0,255}$/.matchingSemantics(.unicodeScalar))
                if labelsOK, tldOK, !inURL { expected.append(start..<(start + value.utf8.count)) }
            }
            #expect(Self.fast(.email, text) == expected, "\(text)")
        }
    }
}
