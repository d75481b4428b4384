import Testing
@testable import Curation

@Suite struct JSONValueTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test func keepsKeyOrderNumberTextAndDuplicateKeys() throws {
        let text = #"{"z":1.50,"a":[1e3,-0,12345678901234567890123],"m":{"y":null,"x":true},"z":"again"}"#
        let value = try parse(text)
        #expect(value.serialized() == text)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["z", "a", "m", "z"])
        #expect(object["z"] == .string("again"))  // lookups find the last duplicate, as Python does
        #expect(object["a"] == .array([.number("1e3"), .number("-0"), .number("12345678901234567890123")]))
    }

    @Test func whitespaceIsDroppedButValuesRoundTrip() throws {
        let value = try parse(" { \"id\" : 7 ,\t\"text\" : \"hi\" , \"tags\" : [ ] } \r\n")
        #expect(value.serialized() == #"{"id":7,"text":"hi","tags":[]}"#)
    }

    @Test func stringEscapesDecodeAndReencode() throws {
        let value = try parse(#""tab\tq\"b\\s\/n\nu\u00e9 \ud83d\ude00 \u0001""#)
        #expect(value == .string("tab\tq\"b\\s/n\nué 😀 \u{01}"))
        // Output: required escapes only, non-ASCII raw.
        #expect(value.serialized() == #""tab\tq\"b\\s/n\nué 😀 \u0001""#)
    }

    @Test func controlCharactersAndSeparatorsAreWrittenAsJSONRequires() {
        let value = JSONValue.string("\u{08}\u{0C}\r\u{1F}\u{7F}\u{2028}")
        #expect(value.serialized() == "\"\\b\\f\\r\\u001f\u{7F}\u{2028}\"")
    }

    @Test(arguments: [
        (#"{"a":}"#, "unexpected character '}'", 5),
        (#"{"a" 1}"#, "expected ':' after the object key \"a\"", 5),
        (#"[1,2"#, "unexpected end of the JSON text inside an array", 4),
        (#"{"a":1} x"#, "unexpected text after the JSON value", 8),
        (#"01"#, "unexpected text after the JSON value", 1),
        (#"1."#, "invalid number (expected a digit after '.')", 2),
        (#""\ud800x""#, "unpaired surrogate escape \\ud800", 7),
        (#""\x""#, "invalid escape '\\x'", 2),
        ("\"a\nb\"", "unescaped control character 0xa in a string", 2),
        (#"tru"#, "unexpected end of the JSON text", 0),
    ])
    func malformedTextIsATypedErrorWithItsOffset(text: String, message: String, offset: Int) {
        #expect(throws: JSONParseError(message: message, offset: offset)) { try parse(text) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try parse(deep) }
    }

    @Test func utf8ValidationFindsTheFirstBadByte() {
        func check(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidByte(in: $0) } }
        #expect(check(Array("héllo wörld — 😀 plain ascii text here".utf8)) == nil)
        #expect(check([0x61, 0x62, 0xFF, 0x63]) == 2)
        #expect(check([0x61, 0xC3]) == 1)                    // truncated sequence
        #expect(check([0xC0, 0xAF]) == 0)                    // overlong '/'
        #expect(check([0xED, 0xA0, 0x80]) == 0)              // UTF-16 surrogate
        #expect(check([0xF4, 0x90, 0x80, 0x80]) == 0)        // above U+10FFFF
        #expect(check(Array(repeating: 0x41, count: 17) + [0x80]) == 17)  // after the 8-byte fast path
    }
}
