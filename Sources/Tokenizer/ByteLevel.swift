/// GPT-2's reversible byte ↔ Unicode mapping used by byte-level BPE vocabularies.
///
/// Every byte is shown as one printable scalar so that vocabulary entries are readable strings:
/// bytes `!`…`~` (33–126), `¡`…`¬` (161–172) and `®`…`ÿ` (174–255) stand for themselves; the other
/// 68 bytes (0–32, 127–160, 173) map in increasing order to U+0100, U+0101, … (so a space, byte 32,
/// is `Ġ` U+0120 and a newline, byte 10, is `Ċ` U+010A).
/// Source: `bytes_to_unicode()` in OpenAI's GPT-2 `encoder.py`.
public enum ByteLevel {
    /// The scalar that stands for each byte: `scalar[b]` for `b` in 0…255.
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a scalar stands for, or nil when the scalar is not in the mapping.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            let byte = Int(value)
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            return printable ? UInt8(byte) : nil
        }
        guard value < 256 + 68 else { return nil }
        return inverseHigh[Int(value - 256)]
    }

    private static let inverseHigh: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 68)
        for byte in 0..<256 where scalars[byte].value >= 256 {
            table[Int(scalars[byte].value - 256)] = UInt8(byte)
        }
        return table
    }()

    /// The byte-level string for raw bytes, e.g. `[0x20, 0x68, 0x69]` → `"Ġhi"`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalars[Int(byte)]) }
        return String(view)
    }

    /// The raw bytes of a byte-level string, or nil when a scalar is outside the mapping.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
