/// A kind of personal or secret information that ``PIIRedactor`` finds.
///
/// The raw value is the placeholder name (`<EMAIL>`), following NeMo Curator's Presidio
/// entity names where one exists (`EMAIL_ADDRESS` is shortened to `EMAIL`,
/// `PHONE_NUMBER` to `PHONE`).
public enum PIIType: String, CaseIterable, Sendable, Codable, Hashable, Comparable {
    /// `local@domain.tld`: a local part of `[A-Za-z0-9._%+-]` and Latin, Greek or Cyrillic
    /// letters (`jürgen@…`), a domain of ASCII dotted labels
    /// ending in a 2+ letter top-level domain that is not a file extension or systemd unit
    /// suffix (`icon@2x.png`, `getty@tty1.service` are not addresses).
    case email = "EMAIL"
    /// NANP numbers `(555) 123-4567`, `555-123-4567`, `555.123.4567`, `+1 555 123 4567`,
    /// `1-800-555-0199` (area code 2–9 first), and international numbers written with `+`
    /// and a country code, 8–15 digits in groups (`+44 20 7946 0958`, `+49 30 1234567`,
    /// `+44 (0)20 …`). Not after `#` or words such as "order", "serial", "part", "invoice",
    /// nor between other numbers one space away (table rows).
    case phone = "PHONE"
    /// IPv4 with four octets 0–255 without leading zeros (not after "version", "v",
    /// "release", "build", "section", …), and IPv6 in full, compressed (`::`) and
    /// IPv4-suffixed forms, containing at least one digit (eight groups of two hex digits are
    /// a byte dump such as a key fingerprint, not an address).
    case ipAddress = "IP_ADDRESS"
    /// 13–19 digits, optionally in groups of 2+ separated by one space or dash, that pass
    /// the Luhn check and start with a known issuer prefix (Visa, Mastercard, Amex, Discover,
    /// Diners, JCB, UnionPay, Mir, Maestro) at a length that issuer uses.
    case creditCard = "CREDIT_CARD"
    /// `AAA-GG-SSSS` (dashes or spaces) with area ≠ 000, 666, 9xx; group ≠ 00; serial ≠ 0000.
    case usSSN = "US_SSN"
    /// Country code + 2 check digits + BBAN, spaces allowed, with the country's length and a
    /// valid ISO 13616 mod-97 checksum.
    case iban = "IBAN"
    /// AWS access key ids (`AKIA…`/`ASIA…`, 20 characters), AWS secret keys after a label
    /// such as `aws_secret_access_key =` (the 40-character value only), bearer tokens after
    /// `Bearer ` (the token only), GitHub tokens (`ghp_…`), and whole
    /// `-----BEGIN … PRIVATE KEY-----` blocks through their END line.
    case secret = "SECRET"
    /// The `user:password` part of `scheme://user:password@host` (scheme, host and path kept).
    case urlCredentials = "URL_CREDENTIALS"

    /// The declaration order: the tie-break when two candidate spans have the same length.
    public static func < (lhs: PIIType, rhs: PIIType) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One piece of PII found in a text.
public struct PIIMatch: Sendable, Equatable, Hashable {
    /// What was found.
    public var type: PIIType
    /// Where, as UTF-8 byte offsets into the text (every span starts and ends on an ASCII
    /// byte, so it is also a valid `String` range).
    public var range: Range<Int>
    /// The matched text.
    public var value: String

    public init(type: PIIType, range: Range<Int>, value: String) {
        self.type = type
        self.range = range
        self.value = value
    }
}

/// How ``PIIRedactor`` rewrites what it finds.
public enum PIIRedactionMode: Sendable, Equatable {
    /// `<TYPE>`, e.g. `<EMAIL>` (NeMo Curator's default action, `replace`).
    case replace
    /// Every character becomes `character`; with `keepSeparators`, only ASCII letters and
    /// digits are masked and the rest stays (`***-**-****`, `****@*******.***`).
    /// NeMo Curator's `mask` masks everything with `*`: `.mask()`.
    case mask(character: Character = "*", keepSeparators: Bool = false)
    /// `<TYPE:hex>`: the first `hexDigits` (1–64) hex digits of
    /// ``PIIRedactor/keyedDigest(salt:value:)`` (salted SHA-256) of the matched text, so equal
    /// values map to equal placeholders within one salt (NeMo Curator's `hash` action).
    case hash(salt: String, hexDigits: Int = 16)
}

/// The result of ``PIIRedactor/redact(_:)``.
public struct PIIRedaction: Sendable, Equatable {
    /// The text with every match rewritten.
    public var text: String
    /// The matches, in text order, with ranges into the *original* text.
    public var matches: [PIIMatch]
    /// How many matches of each type (types with none are absent).
    public var counts: [PIIType: Int]
}
