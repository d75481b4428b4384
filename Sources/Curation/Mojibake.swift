/// Repair of mojibake: UTF-8 text that was decoded as Windows-1252 (or Latin-1) somewhere
/// along the way, so that `café` reads `cafÃ©` and `don’t` reads `donâ€™t`.
///
/// Each scalar that Windows-1252 can encode stands for one byte (`Ã` → 0xC3, `€` → 0x80,
/// `™` → 0x99; C1 controls U+0080–U+009F stand for their own value, as Latin-1 decoding
/// leaves them). Wherever such bytes form a well-formed UTF-8 multi-byte sequence — a lead
/// byte 0xC2–0xF4 followed by the right number of continuation bytes 0x80–0xBF — the scalars
/// are replaced by the character that sequence encodes. The repair runs again (at most three
/// times) for text that was mis-decoded twice (`ÃƒÂ©` → `Ã©` → `é`).
///
/// To leave real Latin-1 text alone, a two-byte sequence is repaired only when it decodes to
/// U+0080–U+023F (Latin-1 Supplement, Latin Extended-A/B) or U+0370–U+06FF (Greek, Cyrillic,
/// Armenian, Hebrew, Arabic) — the scripts whose mojibake is common — so `«ÉTÉ»` (É» would be
/// U+027B) and `Fuß«` stay as they are. Sequences that are still mojibake after a lost byte
/// (`â€` followed by a space) cannot be repaired and are left alone. ftfy's `fix_text`
/// (used by NeMo Curator's `UnicodeReformatter`) does this with more heuristics.
public enum Mojibake {
    /// The repaired text, or nil when nothing looked like mojibake.
    public static func repair(_ text: String) -> String? {
        guard mayContainMojibake(text) else { return nil }
        var scalars = Array(text.unicodeScalars)
        var changed = false
        for _ in 0..<3 {
            guard let repaired = repairOnce(scalars) else { break }
            scalars = repaired
            changed = true
        }
        guard changed else { return nil }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    /// Fast check: mojibake needs a lead-byte stand-in `Â`…`ô` (U+00C2–U+00F4), whose UTF-8 is
    /// 0xC3 0x82…0xB4.
    static func mayContainMojibake(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= 2 else { return false }
            for index in 0..<(bytes.count - 1) where bytes[index] == 0xC3 {
                if bytes[index + 1] >= 0x82 && bytes[index + 1] <= 0xB4 { return true }
            }
            return false
        }
    }

    static func repairOnce(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar]? {
        var output: [Unicode.Scalar] = []
        var changed = false
        var index = 0
        output.reserveCapacity(scalars.count)
        while index < scalars.count {
            if let lead = windows1252Byte(scalars[index]), lead >= 0xC2, lead <= 0xF4,
               let (scalar, length) = sequence(startingAt: index, lead: lead, in: scalars) {
                output.append(scalar)
                index += length
                changed = true
            } else {
                output.append(scalars[index])
                index += 1
            }
        }
        return changed ? output : nil
    }

    /// The character encoded by the bytes that `scalars[index...]` stand for, when they form
    /// a well-formed, plausible UTF-8 sequence; and how many scalars it takes.
    static func sequence(startingAt index: Int, lead: UInt8, in scalars: [Unicode.Scalar]) -> (Unicode.Scalar, Int)? {
        let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        guard index + length <= scalars.count else { return nil }
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for offset in 1..<length {
            guard let byte = windows1252Byte(scalars[index + offset]), byte >= 0x80, byte <= 0xBF else { return nil }
            if offset == 1 {
                // Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF.
                switch lead {
                case 0xE0 where byte < 0xA0, 0xED where byte > 0x9F, 0xF0 where byte < 0x90, 0xF4 where byte > 0x8F:
                    return nil
                default: break
                }
            }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        if length == 2, !((0x80...0x23F).contains(value) || (0x370...0x6FF).contains(value)) { return nil }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    /// The byte a scalar stands for when UTF-8 was decoded as Windows-1252 (or Latin-1), or nil.
    static func windows1252Byte(_ scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 0x100 { return UInt8(value) }
        switch value {
        case 0x20AC: return 0x80
        case 0x201A: return 0x82
        case 0x0192: return 0x83
        case 0x201E: return 0x84
        case 0x2026: return 0x85
        case 0x2020: return 0x86
        case 0x2021: return 0x87
        case 0x02C6: return 0x88
        case 0x2030: return 0x89
        case 0x0160: return 0x8A
        case 0x2039: return 0x8B
        case 0x0152: return 0x8C
        case 0x017D: return 0x8E
        case 0x2018: return 0x91
        case 0x2019: return 0x92
        case 0x201C: return 0x93
        case 0x201D: return 0x94
        case 0x2022: return 0x95
        case 0x2013: return 0x96
        case 0x2014: return 0x97
        case 0x02DC: return 0x98
        case 0x2122: return 0x99
        case 0x0161: return 0x9A
        case 0x203A: return 0x9B
        case 0x0153: return 0x9C
        case 0x017E: return 0x9E
        case 0x0178: return 0x9F
        default: return nil
        }
    }
}
