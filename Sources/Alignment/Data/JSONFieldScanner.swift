// A strict JSON (RFC 8259) reader for one JSONL line that keeps only what packing needs: the
// kind of the top-level value and, when it is an object, the value of one named field (decoded
// when it is a string). Everything else is checked and skipped, so a malformed line is
// reported with the byte column where it goes wrong, and nothing is built for the other fields.
// (Foundation's `JSONSerialization` accepts trailing commas and builds every field.)

/// The kind of a JSON value.
enum JSONKind: String, Sendable {
    case object, array, string, number, boolean, null
}

/// A line that is not JSON: the 1-based byte column and what was expected there.
struct JSONSyntaxError: Error, Equatable, Sendable {
    var column: Int
    var message: String
}

/// The named field of a top-level object.
enum JSONField: Equatable, Sendable {
    /// A string, as UTF-8 bytes with escapes decoded.
    case string([UInt8])
    /// Any other value.
    case other(JSONKind)
}

/// Scans one JSON text; see the file comment.
struct JSONFieldScanner {
    /// Deepest nesting accepted (deeper input is reported, not a stack overflow).
    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var i = 0
    private let field: [UInt8]
    private var found: JSONField? = nil

    /// The kind of the value on `line` and, when it is an object holding `field`, that field
    /// (the last one when the key repeats). `line` must be valid UTF-8.
    static func scan(_ line: ArraySlice<UInt8>, field: String) -> Result<(kind: JSONKind, field: JSONField?), JSONSyntaxError> {
        var scanner = JSONFieldScanner(bytes: Array(line), field: Array(field.utf8))
        do throws(JSONSyntaxError) {
            scanner.skipWhitespace()
            let kind = try scanner.value(depth: 0)
            scanner.skipWhitespace()
            if scanner.i < scanner.bytes.count { throw scanner.error("unexpected text after the JSON value") }
            return .success((kind, scanner.found))
        } catch {
            return .failure(error)
        }
    }

    private init(bytes: [UInt8], field: [UInt8]) {
        self.bytes = bytes
        self.field = field
    }

    private func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(column: i + 1, message: message) }

    private var current: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    private mutating func expect(_ c: UInt8, _ what: String) throws(JSONSyntaxError) {
        guard current == c else { throw error("expected \(what)") }
        i += 1
    }

    /// One value starting at `i`; at depth 0 an object's fields are compared with `field`.
    private mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONKind {
        guard let c = current else { throw error("expected a value, found the end of the line") }
        switch c {
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
            try object(depth: depth)
            return .object
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
            i += 1
            skipWhitespace()
            if current == UInt8(ascii: "]") { i += 1; return .array }
            while true {
                _ = try value(depth: depth + 1)
                skipWhitespace()
                if current == UInt8(ascii: ",") { i += 1; skipWhitespace(); continue }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                return .array
            }
        case UInt8(ascii: "\""):
            _ = try string(decoding: false)
            return .string
        case UInt8(ascii: "t"): try literal("true"); return .boolean
        case UInt8(ascii: "f"): try literal("false"); return .boolean
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
            return .number
        default:
            throw error("expected a value")
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) {
        i += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") { i += 1; return }
        while true {
            guard current == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let key = try string(decoding: depth == 0)
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a key")
            skipWhitespace()
            if depth == 0 && key == field {
                if current == UInt8(ascii: "\"") {
                    found = .string(try string(decoding: true) ?? [])
                } else {
                    found = .other(try value(depth: depth + 1))
                }
            } else {
                _ = try value(depth: depth + 1)
            }
            skipWhitespace()
            if current == UInt8(ascii: ",") { i += 1; skipWhitespace(); continue }
            try expect(UInt8(ascii: "}"), "',' or '}' in an object")
            return
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - i >= w.count, bytes[i..<(i + w.count)].elementsEqual(w) else { throw error("expected a value") }
        i += w.count
    }

    private mutating func digits() -> Int {
        let first = i
        while let c = current, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { i += 1 }
        return i - first
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func number() throws(JSONSyntaxError) {
        if current == UInt8(ascii: "-") { i += 1 }
        if current == UInt8(ascii: "0") {
            i += 1
        } else if digits() == 0 {
            throw error("expected a digit")
        }
        if current == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw error("expected a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            i += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("expected a digit in the exponent") }
        }
    }

    /// A string at `i` (on its opening quote); its UTF-8 bytes when `decoding`, else `nil`.
    private mutating func string(decoding: Bool) throws(JSONSyntaxError) -> [UInt8]? {
        i += 1
        var out: [UInt8]? = decoding ? [] : nil
        while true {
            guard let c = current else { throw error("unterminated string") }
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return out
            case UInt8(ascii: "\\"):
                i += 1
                guard let e = current else { throw error("unterminated string") }
                i += 1
                let plain: UInt8?
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): plain = e
                case UInt8(ascii: "b"): plain = 0x08
                case UInt8(ascii: "f"): plain = 0x0C
                case UInt8(ascii: "n"): plain = 0x0A
                case UInt8(ascii: "r"): plain = 0x0D
                case UInt8(ascii: "t"): plain = 0x09
                case UInt8(ascii: "u"): plain = nil
                default:
                    i -= 1
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
                if let plain {
                    out?.append(plain)
                } else {
                    let scalar = try escapedScalar()
                    out?.append(contentsOf: String(Character(scalar)).utf8)
                }
            case 0x00..<0x20:
                throw error("control character U+\(String(c, radix: 16, uppercase: true)) must be escaped in a string")
            default:
                out?.append(c)
                i += 1
            }
        }
    }

    /// The scalar of `\uXXXX` (after the `u`), joining a surrogate pair.
    private mutating func escapedScalar() throws(JSONSyntaxError) -> Unicode.Scalar {
        let high = try hex4()
        if high >= 0xD800 && high < 0xDC00 {
            guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate \\u\(String(high, radix: 16, uppercase: true))")
            }
            i += 2
            let low = try hex4()
            guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate \\u\(String(high, radix: 16, uppercase: true))") }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
        }
        guard let scalar = Unicode.Scalar(high) else { throw error("unpaired surrogate \\u\(String(high, radix: 16, uppercase: true))") }
        return scalar
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let c = current else { throw error("expected four hex digits after \\u") }
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("expected four hex digits after \\u")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}
