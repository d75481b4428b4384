/// The character classes pre-tokenizer patterns use: `\p{L}` (letters: Lu Ll Lt Lm Lo),
/// `\p{N}` (numbers: Nd Nl No, so `²` and `Ⅻ` count), `\s` (the Unicode `White_Space` property),
/// and everything else (punctuation, symbols, marks, controls, invalid UTF-8 bytes).
enum ScalarClass {
    static let other: UInt8 = 0
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 3

    /// The class of a scalar, from its Unicode properties (the slow path).
    static func classify(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        if properties.isWhitespace { return space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return other
        }
    }

    /// Classes of the Basic Multilingual Plane (U+0000…U+FFFF), computed once.
    static let basicPlane: [UInt8] = {
        var table = [UInt8](repeating: other, count: 0x10000)
        for value in 0..<0x10000 {
            if let scalar = Unicode.Scalar(UInt32(value)) { table[value] = classify(scalar) }
        }
        return table
    }()

    /// The class of a scalar value (values above U+10FFFF, used for invalid bytes, are `other`).
    @inline(__always)
    static func of(_ value: UInt32) -> UInt8 {
        if value < 0x10000 { return basicPlane[Int(value)] }
        guard let scalar = Unicode.Scalar(value) else { return other }
        return classify(scalar)
    }
}

/// UTF-8 text decoded into parallel arrays of scalars, their classes and byte offsets, the input
/// of the pre-tokenizer scanners. Bytes that are not valid UTF-8 become one pseudo-scalar each
/// (value `0x110000 + byte`, class `other`), so any byte sequence can be tokenized and restored.
struct ScalarText {
    /// Scalar values, one per scalar (or invalid byte).
    var scalars: [UInt32] = []
    /// `ScalarClass` of each scalar.
    var classes: [UInt8] = []
    /// Byte offset where each scalar starts, plus the total byte count at the end (`count + 1`).
    var offsets: [Int32] = []

    var count: Int { scalars.count }

    /// Replaces the contents with the decoding of `bytes`.
    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) {
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        scalars.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        let n = bytes.count
        var i = 0
        @inline(__always) func continuation(_ k: Int) -> UInt32? {
            guard k < n, bytes[k] & 0xC0 == 0x80 else { return nil }
            return UInt32(bytes[k] & 0x3F)
        }
        while i < n {
            let b0 = bytes[i]
            var value = 0x110000 + UInt32(b0)
            var length = 1
            if b0 < 0x80 {
                value = UInt32(b0)
            } else if b0 >= 0xC2 && b0 <= 0xDF {
                if let c1 = continuation(i + 1) { value = (UInt32(b0 & 0x1F) << 6) | c1; length = 2 }
            } else if b0 >= 0xE0 && b0 <= 0xEF {
                if let c1 = continuation(i + 1), let c2 = continuation(i + 2) {
                    let v = (UInt32(b0 & 0x0F) << 12) | (c1 << 6) | c2
                    if v >= 0x800 && !(0xD800...0xDFFF).contains(v) { value = v; length = 3 }
                }
            } else if b0 >= 0xF0 && b0 <= 0xF4 {
                if let c1 = continuation(i + 1), let c2 = continuation(i + 2), let c3 = continuation(i + 3) {
                    let v = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
                    if v >= 0x10000 && v <= 0x10FFFF { value = v; length = 4 }
                }
            }
            scalars.append(value)
            classes.append(ScalarClass.of(value))
            offsets.append(Int32(i))
            i += length
        }
        offsets.append(Int32(n))
    }
}
