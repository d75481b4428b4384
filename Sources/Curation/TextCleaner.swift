import Foundation

/// Text clean-up steps, each a pure function from text to text (nil when nothing changed),
/// applied by ``CleaningStage`` in the order listed here.
public enum TextCleaner {
    // MARK: Control characters

    /// Removes control characters: C0 controls other than tab and the line breaks
    /// (`\t \n \r` VT FF are whitespace, left to ``normalizeWhitespace(_:maxBlankLines:)``),
    /// DEL, C1 controls U+0080–U+009F other than NEL U+0085, the byte-order mark U+FEFF and
    /// the zero-width space U+200B. Other format characters (ZWJ in emoji, soft hyphen, bidi
    /// marks) stay.
    public static func removeControlCharacters(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            func isRemoved(_ value: UInt32) -> Bool {
                switch value {
                case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85: return false
                case 0x00...0x1F, 0x7F, 0x80...0x9F, 0xFEFF, 0x200B: return true
                default: return false
                }
            }
            var first: Int? = nil
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= 0x20 && byte < 0x7F { index += 1; continue }  // printable ASCII
                let (value, length) = UTF8Scan.decode(bytes, at: index)
                if isRemoved(value) { first = index; break }
                index += length
            }
            guard let start = first else { return nil }
            var output = Array(UnsafeBufferPointer(rebasing: bytes[..<start]))
            output.reserveCapacity(bytes.count)
            index = start
            while index < bytes.count {
                let (value, length) = UTF8Scan.decode(bytes, at: index)
                if !isRemoved(value) { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)])) }
                index += length
            }
            return String(decoding: output, as: UTF8.self)
        }
    }

    // MARK: Unicode normalization

    /// Unicode normalization forms.
    public enum NormalizationForm: String, Codable, Sendable {
        /// No normalization.
        case none
        /// Canonical composition (`e` + U+0301 → `é`); lossless for text.
        case nfc = "NFC"
        /// Compatibility composition: also folds ligatures, full-width forms, superscripts,
        /// NBSP (`ﬁ` → `fi`, `Ｆ` → `F`, `²` → `2`).
        case nfkc = "NFKC"
    }

    /// The text in normalization `form`, or nil when it already is. Text whose scalars are all
    /// below U+0300 is already NFC and pure ASCII is already NFKC, so such text is not copied.
    public static func normalize(_ text: String, form: NormalizationForm) -> String? {
        guard form != .none else { return nil }
        var text = text
        let limit: UInt8 = form == .nfc ? 0xCC : 0x80  // U+0300 starts with 0xCC 0x80
        let alreadyNormal = text.withUTF8 { bytes in !bytes.contains { $0 >= limit } }
        if alreadyNormal { return nil }
        let normalized = form == .nfc ? text.precomposedStringWithCanonicalMapping
                                      : text.precomposedStringWithCompatibilityMapping
        return normalized.utf8.elementsEqual(text.utf8) ? nil : normalized
    }

    // MARK: Whitespace

    /// Normalizes whitespace and line breaks:
    /// - `\r\n`, `\r`, VT, FF, NEL, U+2028 and U+2029 become `\n`;
    /// - runs of horizontal space (space, tab, NBSP, U+1680, U+2000–U+200A, U+202F, U+205F,
    ///   U+3000) become one space;
    /// - spaces at the start and end of each line are removed;
    /// - more than `maxBlankLines` consecutive blank lines are cut to `maxBlankLines`;
    /// - blank lines at the start and end of the text are removed.
    public static func normalizeWhitespace(_ text: String, maxBlankLines: Int = 1) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            if isNormalizedASCII(bytes, maxBlankLines: maxBlankLines) { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count)
            var pendingSpace = false
            var pendingNewlines = 0
            var atLineStart = true
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                var value = UInt32(byte), length = 1
                if byte >= 0x80 { (value, length) = UTF8Scan.decode(bytes, at: index) }
                switch value {
                case 0x0D:
                    if index + 1 < bytes.count, bytes[index + 1] == 0x0A { length = 2 }
                    fallthrough
                case 0x0A, 0x0B, 0x0C, 0x85, 0x2028, 0x2029:
                    pendingSpace = false
                    pendingNewlines += 1
                    atLineStart = true
                case 0x20, 0x09, 0xA0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000:
                    if !atLineStart { pendingSpace = true }
                default:
                    if pendingNewlines > 0 {
                        if !output.isEmpty {
                            output.append(contentsOf: repeatElement(0x0A, count: min(pendingNewlines, maxBlankLines + 1)))
                        }
                        pendingNewlines = 0
                    } else if pendingSpace {
                        output.append(0x20)
                    }
                    pendingSpace = false
                    atLineStart = false
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
                }
                index += length
            }
            if output.count == bytes.count, output.elementsEqual(bytes) { return nil }
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// Fast check for the common case: ASCII text that ``normalizeWhitespace(_:maxBlankLines:)``
    /// would leave unchanged (false means "not sure": the full pass decides).
    static func isNormalizedASCII(_ bytes: UnsafeBufferPointer<UInt8>, maxBlankLines: Int) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return true }
        if first == 0x20 || first == 0x0A || last == 0x20 || last == 0x0A { return false }
        var previous: UInt8 = 0
        var newlines = 0
        for byte in bytes {
            switch byte {
            case 0x20:
                if previous == 0x20 || previous == 0x0A { return false }
                newlines = 0
            case 0x0A:
                if previous == 0x20 { return false }
                newlines += 1
                if newlines > maxBlankLines + 1 { return false }
            case 0x09, 0x0B, 0x0C, 0x0D, 0x80...0xFF:
                return false
            default:
                newlines = 0
            }
            previous = byte
        }
        return true
    }

    // MARK: Boilerplate lines

    /// C4's line-level boilerplate substrings (Raffel et al. 2020; datatrove's
    /// `C4QualityFilter`): a line containing one of these (ASCII case ignored) is removed.
    public static let c4BoilerplateSubstrings = [
        "javascript", "lorem ipsum", "terms of use", "privacy policy", "cookie policy",
        "uses cookies", "use of cookies", "use cookies",
    ]

    /// Removes every line that contains one of `matcher`'s substrings, or (when
    /// `curlyBraces`) a `{` or `}` — C4 drops such lines as JavaScript or templates.
    /// - Returns: the text and the number of lines removed, or nil when none was.
    static func removeBoilerplateLines(_ text: String, matcher: SubstringMatcher, curlyBraces: Bool) -> (String, Int)? {
        var text = text
        return text.withUTF8 { bytes -> (String, Int)? in
            var output: [UInt8] = []
            var removed = 0
            var lineStart = 0
            var copiedUpTo = 0
            while lineStart <= bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])
                let isBoilerplate = (curlyBraces && line.contains { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "}") })
                    || matcher.contains(line)
                if isBoilerplate {
                    if removed == 0 { output.reserveCapacity(bytes.count) }
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo..<lineStart]))
                    copiedUpTo = min(lineEnd + 1, bytes.count)
                    removed += 1
                }
                lineStart = lineEnd + 1
            }
            guard removed > 0 else { return nil }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo...]))
            while output.last == 0x0A { output.removeLast() }
            return (String(decoding: output, as: UTF8.self), removed)
        }
    }

    // MARK: URLs

    /// Removes URLs (NeMo Curator's URL pattern, ``URLScanner``); nil when there are none.
    public static func removeURLs(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            let ranges = URLScanner.ranges(in: bytes)
            guard !ranges.isEmpty else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count)
            var copied = 0
            for range in ranges {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<range.lowerBound]))
                copied = range.upperBound
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
            return String(decoding: output, as: UTF8.self)
        }
    }
}
