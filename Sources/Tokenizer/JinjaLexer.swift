import Foundation

/// One token inside a `{{ … }}` or `{% … %}` tag.
enum JinjaToken: Equatable, Sendable {
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(String)
}

/// A token with the byte offset where it starts in the template source.
struct JinjaLexedToken: Sendable {
    var token: JinjaToken
    var offset: Int
}

/// A piece of a template after whitespace control: literal text, an output tag or a statement tag.
enum JinjaSegment: Sendable {
    case text(String)
    case output([JinjaLexedToken], offset: Int, end: Int)
    case statement([JinjaLexedToken], offset: Int, end: Int)
}

/// Splits a template into segments with Jinja's whitespace rules as transformers configures them:
/// `trim_blocks` (the first newline after a block or comment tag is removed) and `lstrip_blocks`
/// (spaces and tabs from the start of a line up to a block or comment tag are removed), plus the
/// explicit `-` (strip all whitespace on that side) and `+` (keep it) modifiers.
struct JinjaLexer: Sendable {
    let source: [UInt8]

    init(_ source: String) { self.source = Array(source.utf8) }

    /// 1-based line and column (in Unicode scalars) of a byte offset.
    func position(of offset: Int) -> ChatTemplateError.Position {
        var line = 1, column = 1
        for index in 0..<min(offset, source.count) {
            if source[index] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if source[index] & 0xC0 != 0x80 {
                column += 1
            }
        }
        return .init(line: line, column: column)
    }

    func error(_ reason: ChatTemplateError.Reason, at offset: Int) -> ChatTemplateError {
        ChatTemplateError(reason: reason, position: position(of: offset))
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    func segments() throws(ChatTemplateError) -> [JinjaSegment] {
        var segments: [JinjaSegment] = []
        let count = source.count
        var cursor = 0
        var stripNext = false      // `-%}`: drop all leading whitespace of the next text
        var trimNewline = false    // trim_blocks: drop one leading "\n" of the next text
        while true {
            var start = cursor
            if stripNext {
                while start < count, Self.isSpace(source[start]) { start += 1 }
            } else if trimNewline, start < count, source[start] == UInt8(ascii: "\n") {
                start += 1
            }
            let lineStarting = start == 0 || source[start - 1] == UInt8(ascii: "\n")
            var tag = start
            while tag + 1 < count {
                if source[tag] == UInt8(ascii: "{"),
                   [UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "#")].contains(source[tag + 1]) { break }
                tag += 1
            }
            if tag + 1 >= count { tag = count }
            var textEnd = tag
            guard tag < count else {
                if start < textEnd { segments.append(.text(String(decoding: source[start..<textEnd], as: UTF8.self))) }
                break
            }
            let kind = source[tag + 1]
            var inner = tag + 2
            let modifier: UInt8? = inner < count && (source[inner] == UInt8(ascii: "-") || source[inner] == UInt8(ascii: "+")) ? source[inner] : nil
            if modifier != nil { inner += 1 }
            if modifier == UInt8(ascii: "-") {
                while textEnd > start, Self.isSpace(source[textEnd - 1]) { textEnd -= 1 }
            } else if modifier == nil, kind != UInt8(ascii: "{") {
                var lineStart = textEnd
                while lineStart > start, source[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
                if lineStart > start || lineStarting,
                   source[lineStart..<textEnd].allSatisfy({ Self.isSpace($0) && $0 != UInt8(ascii: "\n") }) {
                    textEnd = lineStart
                }
            }
            if start < textEnd { segments.append(.text(String(decoding: source[start..<textEnd], as: UTF8.self))) }

            if kind == UInt8(ascii: "#") {
                var end = inner
                while end + 1 < count, !(source[end] == UInt8(ascii: "#") && source[end + 1] == UInt8(ascii: "}")) { end += 1 }
                guard end + 1 < count else { throw error(.syntax("unclosed comment: missing '#}'"), at: tag) }
                stripNext = end > inner && source[end - 1] == UInt8(ascii: "-")
                trimNewline = !stripNext && !(end > inner && source[end - 1] == UInt8(ascii: "+"))
                cursor = end + 2
                continue
            }
            let close = kind == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "%")
            var tokens: [JinjaLexedToken] = []
            var index = inner
            var rightModifier: UInt8? = nil
            while true {
                while index < count, Self.isSpace(source[index]) { index += 1 }
                guard index < count else {
                    throw error(.syntax("unclosed tag: missing '\(kind == UInt8(ascii: "{") ? "}}" : "%}")'"), at: tag)
                }
                let byte = source[index]
                if (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")), index + 2 < count,
                   source[index + 1] == close, source[index + 2] == UInt8(ascii: "}") {
                    rightModifier = byte
                    index += 3
                    break
                }
                if byte == close, index + 1 < count, source[index + 1] == UInt8(ascii: "}") {
                    index += 2
                    break
                }
                tokens.append(try lexToken(at: &index))
            }
            if kind == UInt8(ascii: "{") {
                segments.append(.output(tokens, offset: tag, end: index))
                stripNext = rightModifier == UInt8(ascii: "-")
                trimNewline = false
            } else {
                segments.append(.statement(tokens, offset: tag, end: index))
                stripNext = rightModifier == UInt8(ascii: "-")
                trimNewline = rightModifier == nil
            }
            cursor = index
        }
        return segments
    }

    private static let twoCharacterOperators: Set<String> = ["==", "!=", "<=", ">=", "//", "**"]
    private static let oneCharacterOperators: Set<UInt8> = Set("+-*/%~<>=()[]{}.,:|".utf8)

    private func lexToken(at index: inout Int) throws(ChatTemplateError) -> JinjaLexedToken {
        let start = index
        let byte = source[index]
        func isNameStart(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if isNameStart(byte) {
            while index < source.count, isNameStart(source[index]) || isDigit(source[index]) { index += 1 }
            return .init(token: .name(String(decoding: source[start..<index], as: UTF8.self)), offset: start)
        }
        if isDigit(byte) {
            while index < source.count, isDigit(source[index]) { index += 1 }
            if index + 1 < source.count, source[index] == UInt8(ascii: "."), isDigit(source[index + 1]) {
                index += 1
                while index < source.count, isDigit(source[index]) { index += 1 }
                let text = String(decoding: source[start..<index], as: UTF8.self)
                return .init(token: .float(Double(text)!), offset: start)
            }
            let text = String(decoding: source[start..<index], as: UTF8.self)
            guard let value = Int(text) else { throw error(.syntax("integer literal \(text) is too large"), at: start) }
            return .init(token: .integer(value), offset: start)
        }
        if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
            index += 1
            var bytes: [UInt8] = []
            while true {
                guard index < source.count else { throw error(.syntax("unterminated string literal"), at: start) }
                let c = source[index]
                if c == byte { index += 1; break }
                if c == UInt8(ascii: "\\"), index + 1 < source.count {
                    let e = source[index + 1]
                    index += 2
                    switch e {
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    case UInt8(ascii: "r"): bytes.append(0x0D)
                    case UInt8(ascii: "0"): bytes.append(0x00)
                    case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): bytes.append(e)
                    case UInt8(ascii: "\n"): break
                    case UInt8(ascii: "u"), UInt8(ascii: "x"), UInt8(ascii: "U"):
                        let digits = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                        guard index + digits <= source.count,
                              let code = UInt32(String(decoding: source[index..<index + digits], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code) else {
                            throw error(.syntax("invalid \\\(Character(Unicode.Scalar(e))) escape in string literal"), at: index - 2)
                        }
                        bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
                        index += digits
                    default: bytes.append(UInt8(ascii: "\\")); bytes.append(e)
                    }
                    continue
                }
                bytes.append(c)
                index += 1
            }
            return .init(token: .string(String(decoding: bytes, as: UTF8.self)), offset: start)
        }
        if index + 1 < source.count {
            let pair = String(decoding: source[index..<index + 2], as: UTF8.self)
            if Self.twoCharacterOperators.contains(pair) {
                index += 2
                return .init(token: .op(pair), offset: start)
            }
        }
        if Self.oneCharacterOperators.contains(byte) {
            index += 1
            return .init(token: .op(String(UnicodeScalar(byte))), offset: start)
        }
        let scalar = String(decoding: source[index...].prefix(4), as: UTF8.self).unicodeScalars.first.map { String($0) } ?? "?"
        throw error(.syntax("unexpected character \(scalar.debugDescription) in tag"), at: start)
    }
}
