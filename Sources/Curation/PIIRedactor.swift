import Assets
import Foundation
/// Finds and rewrites personal and secret information (e-mail addresses, phone numbers,
/// IP addresses, card numbers, US SSNs, IBANs, keys and tokens, credentials in URLs) with
/// hand-written scanners over the UTF-8 bytes of a text.
///
/// Each enabled ``PIIType`` proposes candidate spans (see each case for its rules and
/// validators: Luhn, mod-97, SSN ranges, octet ranges). Overlapping candidates are resolved
/// deterministically: the longest span wins, then the earliest, then the type declared
/// first in ``PIIType``. The chosen spans are rewritten by ``PIIRedactionMode``.
///
/// What it does not find: person names, postal addresses and other entities that need a
/// trained named-entity model (NeMo Curator uses Presidio/spaCy or GLiNER for those);
/// national numbers written without `+` outside North America; e-mail addresses whose local
/// part uses scripts other than Latin, Greek and Cyrillic, or whose domain is not ASCII.
///
///     let redactor = PIIRedactor()
///     redactor.redact("Mail jane@example.com or call (555) 123-4567.").text
///     // "Mail <EMAIL> or call <PHONE>."
public struct PIIRedactor: Sendable {
    /// The types looked for (default: all).
    public var types: Set<PIIType>
    /// How matches are rewritten (default ``PIIRedactionMode/replace``).
    public var mode: PIIRedactionMode

    /// - Parameters:
    ///   - types: the types to look for (default all of ``PIIType``).
    ///   - mode: how to rewrite them (default `.replace`, giving `<TYPE>`).
    public init(types: Set<PIIType> = Set(PIIType.allCases), mode: PIIRedactionMode = .replace) {
        if case .hash(_, let digits) = mode, !(1...64).contains(digits) {
            fatalError("PIIRedactor: hash hexDigits must be in 1...64, got \(digits)")
        }
        self.types = types
        self.mode = mode
    }

    /// The non-overlapping matches in `text`, in text order.
    public func find(_ text: String) -> [PIIMatch] {
        var text = text
        return text.withUTF8 { bytes in
            let spans = PIIRedactor.resolve(PIIScanner.candidates(in: bytes, types: types))
            return spans.map { span in
                PIIMatch(type: span.type, range: span.start..<span.end,
                         value: String(decoding: UnsafeBufferPointer(rebasing: bytes[span.start..<span.end]), as: UTF8.self))
            }
        }
    }

    /// `text` with every match rewritten, the matches and the counts per type.
    public func redact(_ text: String) -> PIIRedaction {
        let matches = find(text)
        guard !matches.isEmpty else { return PIIRedaction(text: text, matches: [], counts: [:]) }
        var output: [UInt8] = []
        var counts: [PIIType: Int] = [:]
        let utf8 = Array(text.utf8)
        output.reserveCapacity(utf8.count)
        var position = 0
        for match in matches {
            output.append(contentsOf: utf8[position..<match.range.lowerBound])
            output.append(contentsOf: replacement(for: match).utf8)
            counts[match.type, default: 0] += 1
            position = match.range.upperBound
        }
        output.append(contentsOf: utf8[position...])
        return PIIRedaction(text: String(decoding: output, as: UTF8.self), matches: matches, counts: counts)
    }

    /// What `match` becomes under ``mode``.
    public func replacement(for match: PIIMatch) -> String {
        switch mode {
        case .replace:
            return "<\(match.type.rawValue)>"
        case .mask(let character, let keepSeparators):
            var masked = ""
            for scalar in match.value.unicodeScalars {
                if keepSeparators, !(scalar.isASCII && PIIScanner.isAlnum(UInt8(scalar.value))) {
                    masked.unicodeScalars.append(scalar)
                } else {
                    masked.append(character)
                }
            }
            return masked
        case .hash(let salt, let digits):
            return "<\(match.type.rawValue):\(Self.keyedDigest(salt: salt, value: match.value).prefix(digits))>"
        }
    }

    /// The keyed digest behind ``PIIRedactionMode/hash(salt:hexDigits:)``: SHA-256 (FIPS 180-4)
    /// of the UTF-8 bytes of `salt`, one 0xFF byte (never in UTF-8, so salt and value cannot
    /// run into each other), then `value`, as 64 lower-case hex digits.
    ///
    /// Keep the salt secret: with it, a small space such as phone numbers can be searched by
    /// brute force, as with any salted hash.
    public static func keyedDigest(salt: String, value: String) -> String {
        var hasher = SHA256()
        hasher.update(Data(salt.utf8))
        hasher.update(Data([0xFF]))
        hasher.update(Data(value.utf8))
        return hasher.hexDigest()
    }

    /// Keeps the longest of overlapping candidates (then the earliest, then the first type),
    /// returning the kept spans in text order.
    static func resolve(_ candidates: [PIIScanner.Candidate]) -> [PIIScanner.Candidate] {
        let ordered = candidates.sorted { a, b in
            let la = a.end - a.start, lb = b.end - b.start
            if la != lb { return la > lb }
            if a.start != b.start { return a.start < b.start }
            return a.type < b.type
        }
        var kept: [PIIScanner.Candidate] = []   // sorted by start, non-overlapping
        for candidate in ordered {
            // First kept span whose start is ≥ candidate.start.
            var lo = 0, hi = kept.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if kept[mid].start < candidate.start { lo = mid + 1 } else { hi = mid }
            }
            if lo < kept.count, kept[lo].start < candidate.end { continue }
            if lo > 0, kept[lo - 1].end > candidate.start { continue }
            kept.insert(candidate, at: lo)
        }
        return kept
    }
}
