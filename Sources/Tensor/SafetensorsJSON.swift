/// The minimal JSON reader and writer behind the safetensors header (RFC 8259).
///
/// Foundation's `JSONSerialization` would lose what the header checks need: the order of
/// keys, duplicate keys (it keeps one silently), the exact text of numbers (`1.0` and `1`
/// both become 1, `true` reads as 1, 2⁶³ becomes a `Double`). This parser keeps objects as
/// ordered pairs and numbers as their text, limits nesting so hostile input cannot exhaust the
/// stack, and reports the byte offset of the first error.
enum SafetensorsJSON {
    /// A parsed JSON value.
    indirect enum Value: Equatable {
        case object([(key: String, value: Value)])
        case array([Value])
        case string(String)
        /// The number's text exactly as written (`-12`, `1.5e3`).
        case number(String)
        case bool(Bool)
        case null

        static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case let (.object(a), .object(b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            case let (.array(a), .array(b)): return a == b
            case let (.string(a), .string(b)): return a == b
            case let (.number(a), .number(b)): return a == b
            case let (.bool(a), .bool(b)): return a == b
            case (.null, .null): return true
            default: return false
            }
        }

        /// `object`, `array`, `string`, … — for error messages.
        var kindName: String {
            switch self {
            case .object: "object"
            case .array: "array"
            case .string: "string"
            case .number: "number"
            case .bool: "boolean"
            case .null: "null"
            }
        }

        /// `an object`, `a string`, … — for error messages.
        var kindWithArticle: String {
            switch self {
            case .object, .array: "an \(kindName)"
            case .null: "null"
            default: "a \(kindName)"
            }
        }

        /// The value of an integer literal (no fraction, no exponent) that fits in `Int`.
        var integer: Int? {
            guard case .number(let text) = self, !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            else { return nil }
            return Int(text)
        }
    }

    /// A syntax error with the byte offset where it was found.
    struct ParseError: Error, Equatable {
        let offset: Int
        let message: String
        var description: String { "\(message) at byte \(offset) of the header" }
    }

    /// Deepest nesting accepted; a safetensors header needs 3.
    static let maximumDepth = 64

    /// Parses one JSON value, surrounded only by whitespace, from UTF-8 `bytes`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> Value {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position < bytes.count { throw parser.error("unexpected characters after the JSON value") }
        return value
    }

    /// `text` as a JSON string literal, escaped the way serde_json does (quote, backslash and
    /// control characters; everything else, including `/` and non-ASCII, as is).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func error(_ message: String) -> ParseError { ParseError(offset: position, message: message) }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(ParseError) {
            guard current == byte else { throw error("expected \(what)") }
            position += 1
        }

        mutating func parseValue(depth: Int) throws(ParseError) -> Value {
            guard depth < SafetensorsJSON.maximumDepth else { throw error("nested deeper than \(SafetensorsJSON.maximumDepth) levels") }
            guard let c = current else { throw error("unexpected end of input") }
            switch c {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error("unexpected character '\(Unicode.Scalar(c))'")
            }
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let n = word.utf8CodeUnitCount
            guard bytes.count - position >= n else { throw error("unexpected end of input") }
            for i in 0..<n where bytes[position + i] != word.utf8Start[i] {
                throw error("invalid literal (expected \(word))")
            }
            position += n
        }

        mutating func parseObject(depth: Int) throws(ParseError) -> Value {
            position += 1  // {
            var pairs: [(key: String, value: Value)] = []
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(pairs) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after an object key")
                skipWhitespace()
                pairs.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                return .object(pairs)
            }
        }

        mutating func parseArray(depth: Int) throws(ParseError) -> Value {
            position += 1  // [
            var items: [Value] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                return .array(items)
            }
        }

        mutating func parseNumber() throws(ParseError) -> Value {
            let start = position
            if current == UInt8(ascii: "-") { position += 1 }
            guard let first = current, isDigit(first) else { throw error("expected a digit") }
            position += 1
            if first != UInt8(ascii: "0") { while let c = current, isDigit(c) { position += 1 } }
            if current == UInt8(ascii: ".") {
                position += 1
                guard let c = current, isDigit(c) else { throw error("expected a digit after '.'") }
                while let c = current, isDigit(c) { position += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard let c = current, isDigit(c) else { throw error("expected a digit in the exponent") }
                while let c = current, isDigit(c) { position += 1 }
            }
            return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
        }

        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

        /// A string literal; the input is already known to be valid UTF-8.
        mutating func parseString() throws(ParseError) -> String {
            position += 1  // opening quote
            var out: [UInt8] = []
            var runStart = position
            while true {
                guard let c = current else { throw error("unterminated string") }
                if c == UInt8(ascii: "\"") {
                    out.append(contentsOf: bytes[runStart..<position])
                    position += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if c < 0x20 { throw error("control character in a string") }
                if c != UInt8(ascii: "\\") { position += 1; continue }
                out.append(contentsOf: bytes[runStart..<position])
                position += 1
                guard let e = current else { throw error("unterminated escape") }
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), position + 1 < bytes.count,
                              bytes[position + 1] == UInt8(ascii: "u") else { throw error("unpaired surrogate") }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("unpaired surrogate")
                    }
                    out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw error("invalid escape '\\\(Unicode.Scalar(e))'")
                }
                runStart = position
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard bytes.count - position >= 4 else { throw error("unterminated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[position]
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error("invalid hex digit in \\u escape")
                }
                value = value * 16 + digit
                position += 1
            }
            return value
        }
    }
}
