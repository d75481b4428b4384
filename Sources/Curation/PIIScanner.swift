/// The byte-level scanners behind ``PIIRedactor``: each proposes candidate spans of one
/// ``PIIType`` over a UTF-8 buffer; ``PIIRedactor/resolve(_:)`` picks among overlaps.
///
/// Conventions: spans are half-open byte ranges `[start, end)`; a "word byte" is an ASCII
/// letter or digit; bytes ≥ 0x80 (non-ASCII text) count as separators, so numbers written
/// right after CJK text (`電話555-123-4567`) are still found.
struct PIIScanner {
    struct Candidate: Equatable {
        var type: PIIType
        var start: Int
        var end: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var found: [Candidate] = []

    /// All candidates of the enabled `types` in `bytes`, unsorted, possibly overlapping.
    static func candidates(in bytes: UnsafeBufferPointer<UInt8>, types: Set<PIIType>) -> [Candidate] {
        var scanner = PIIScanner(bytes: bytes)
        if types.contains(.email) { scanner.scanEmails() }
        if types.contains(.urlCredentials) { scanner.scanURLCredentials() }
        if types.contains(.ipAddress) { scanner.scanIPv4(); scanner.scanIPv6() }
        if types.contains(.phone) { scanner.scanPhones() }
        if types.contains(.creditCard) { scanner.scanCards() }
        if types.contains(.usSSN) { scanner.scanSSNs() }
        if types.contains(.iban) { scanner.scanIBANs() }
        if types.contains(.secret) { scanner.scanSecrets() }
        return scanner.found
    }

    // MARK: Byte classes

    /// The byte at `i`, or 0 outside the buffer.
    @inline(__always) func at(_ i: Int) -> UInt8 { i >= 0 && i < bytes.count ? bytes[i] : 0 }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inline(__always) static func isUpper(_ c: UInt8) -> Bool { c &- 0x41 < 26 }
    @inline(__always) static func isLower(_ c: UInt8) -> Bool { c &- 0x61 < 26 }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { isUpper(c) || isLower(c) }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
    @inline(__always) static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) &- 0x61 < 6 }
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    /// Number of consecutive ASCII digits from `i`.
    @inline(__always) func digitRun(_ i: Int) -> Int {
        var j = i
        while j < bytes.count, Self.isDigit(bytes[j]) { j += 1 }
        return j - i
    }

    /// Whether bytes at `i` equal `literal` (ASCII, exact case).
    func matches(_ literal: StaticString, at i: Int) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard i >= 0, i + n <= bytes.count else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[i + k] != p[k] { return false }
        return true
    }

    /// The lower-cased ASCII word (letters, `/`) that ends just before `i`, skipping spaces
    /// and one of `:`, `.`, `#`, `-` in between (`"version: "` → `"version"`); at most 16 bytes.
    func previousWord(before i: Int) -> String {
        var j = i - 1
        while j >= 0, Self.isSpace(bytes[j]) { j -= 1 }
        if j >= 0, bytes[j] == UInt8(ascii: ":") || bytes[j] == UInt8(ascii: ".") || bytes[j] == UInt8(ascii: "#") || bytes[j] == UInt8(ascii: "-") { j -= 1 }
        while j >= 0, Self.isSpace(bytes[j]) { j -= 1 }
        let end = j + 1
        while j >= 0, end - j <= 16, Self.isAlpha(bytes[j]) || bytes[j] == UInt8(ascii: "/") { j -= 1 }
        guard end - (j + 1) > 0, end - (j + 1) <= 16 else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[(j + 1)..<end]), as: UTF8.self).lowercased()
    }

    mutating func add(_ type: PIIType, _ start: Int, _ end: Int) {
        found.append(Candidate(type: type, start: start, end: end))
    }

    // MARK: E-mail

    /// The UTF-8 length of the scalar ending just before `end` when it is a Latin, Greek or
    /// Cyrillic letter (U+00C0–U+024F except × ÷, U+0370–U+04FF), so that local parts such as
    /// `jürgen` or `андрей` are taken whole; nil otherwise (CJK text and punctuation end the
    /// local part).
    func europeanLetterLength(endingAt end: Int) -> Int? {
        guard end >= 2, bytes[end - 1] & 0xC0 == 0x80, bytes[end - 2] & 0xE0 == 0xC0 else { return nil }
        let value = (UInt32(bytes[end - 2] & 0x1F) << 6) | UInt32(bytes[end - 1] & 0x3F)
        let latin = (0xC0...0x24F).contains(value) && value != 0xD7 && value != 0xF7
        let greekOrCyrillic = (0x370...0x4FF).contains(value)
        return latin || greekOrCyrillic ? 2 : nil
    }

    /// Top-level "domains" that are really file extensions (`icon@2x.png`, `module@1.js`) or
    /// systemd unit and file suffixes (`getty@tty1.service`, `user@1000.slice`).
    static let fileExtensions: Set<String> = [
        "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "pdf", "js", "ts",
        "css", "txt", "md", "swift", "py", "rb", "go", "rs", "java", "json", "yaml", "yml", "xml",
        "html", "htm", "zip", "gz", "tar", "mp3", "mp4", "wav", "mov", "exe", "dll", "so", "conf",
        "service", "socket", "target", "timer", "mount", "automount", "path", "slice", "scope",
        "device", "swap", "journal", "wants", "requires",
    ]

    @inline(__always) static func isLocalPart(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "%")
            || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
    }

    mutating func scanEmails() {
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "@") else { i += 1; continue }
            var start = i
            while start > 0 {
                if Self.isLocalPart(bytes[start - 1]) {
                    start -= 1
                } else if let length = europeanLetterLength(endingAt: start) {
                    start -= length
                } else {
                    break
                }
            }
            while start < i, !Self.isAlnum(bytes[start]) { start += 1 }   // no leading dot or dash
            var end = i + 1
            while end < bytes.count, Self.isAlnum(bytes[end]) || bytes[end] == UInt8(ascii: "-") || bytes[end] == UInt8(ascii: ".") { end += 1 }
            while end > i + 1, !Self.isAlnum(bytes[end - 1]) { end -= 1 }  // no trailing dot or dash
            if start < i, end > i + 1, validDomain(i + 1, end), !insideURLAuthority(start) {
                add(.email, start, end)
                i = end
            } else {
                i += 1
            }
        }
    }

    /// Dotted labels of alphanumerics and inner dashes, ending in a 2–24 letter TLD that is
    /// not a file extension.
    func validDomain(_ start: Int, _ end: Int) -> Bool {
        var labelStart = start
        var labels = 0
        var k = start
        while k <= end {
            if k == end || bytes[k] == UInt8(ascii: ".") {
                if k == labelStart || bytes[labelStart] == UInt8(ascii: "-") || bytes[k - 1] == UInt8(ascii: "-") { return false }
                labels += 1
                if k == end {
                    let tld = UnsafeBufferPointer(rebasing: bytes[labelStart..<end])
                    guard labels >= 2, (2...24).contains(tld.count), tld.allSatisfy(Self.isAlpha) else { return false }
                    return !Self.fileExtensions.contains(String(decoding: tld, as: UTF8.self).lowercased())
                }
                labelStart = k + 1
            }
            k += 1
        }
        return false
    }

    /// Whether the local part at `start` is inside a URL's user information: `//` then at
    /// most 255 bytes that are neither spaces nor `/` lead to it (`https://user@host`,
    /// `https://user:pa!ss@host`, where the password is not an address; but
    /// `https://host/?to=a@b.com` holds an address). Bounded, so long lines stay linear.
    func insideURLAuthority(_ start: Int) -> Bool {
        var j = start - 1
        while j >= 0, start - j <= 256, !Self.isSpace(bytes[j]), bytes[j] != UInt8(ascii: "/") { j -= 1 }
        return j >= 1 && start - j <= 256 && bytes[j] == UInt8(ascii: "/") && bytes[j - 1] == UInt8(ascii: "/")
    }

    // MARK: Credentials in URLs

    mutating func scanURLCredentials() {
        var i = 1
        while i + 2 < bytes.count {
            guard bytes[i] == UInt8(ascii: ":"), bytes[i + 1] == UInt8(ascii: "/"), bytes[i + 2] == UInt8(ascii: "/") else { i += 1; continue }
            // Scheme: a letter then letters, digits, + . -
            var s = i
            while s > 0, Self.isAlnum(bytes[s - 1]) || bytes[s - 1] == UInt8(ascii: "+") || bytes[s - 1] == UInt8(ascii: ".") || bytes[s - 1] == UInt8(ascii: "-") { s -= 1 }
            while s < i, !Self.isAlpha(bytes[s]) { s += 1 }
            let authority = i + 3
            var k = authority
            var at = -1
            while k < bytes.count {
                let c = bytes[k]
                if Self.isSpace(c) || c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#")
                    || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") { break }
                if c == UInt8(ascii: "@") { at = k }
                k += 1
            }
            if s < i, at > authority, at + 1 < k, Self.isAlnum(bytes[at + 1]) {
                var colon = authority
                while colon < at, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
                if colon > authority, colon + 1 < at { add(.urlCredentials, authority, at) }
            }
            i = max(k, i + 3)
        }
    }

    // MARK: IP addresses

    /// Words after which a dotted quad is a version or section number, not an address.
    static let versionWords: Set<String> = [
        "version", "versions", "ver", "v", "release", "build", "rev", "revision", "firmware",
        "section", "sections", "chapter", "clause", "step", "table", "figure", "fig", "oid",
    ]

    /// The end of a dotted-quad IPv4 at `i` (octets 0–255, no leading zeros), or nil.
    func ipv4(at i: Int) -> Int? {
        var j = i
        for octet in 0..<4 {
            let n = digitRun(j)
            guard (1...3).contains(n) else { return nil }
            if n > 1, bytes[j] == UInt8(ascii: "0") { return nil }
            var value = 0
            for k in j..<(j + n) { value = value * 10 + Int(bytes[k] - 0x30) }
            guard value <= 255 else { return nil }
            j += n
            if octet < 3 {
                guard at(j) == UInt8(ascii: ".") else { return nil }
                j += 1
            }
        }
        return j
    }

    mutating func scanIPv4() {
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            guard Self.isDigit(c) else { i += 1; continue }
            let p = at(i - 1)
            let leftOK = i == 0 || !(Self.isAlnum(p) || p == UInt8(ascii: ".") || p == UInt8(ascii: "-") || p == UInt8(ascii: "_"))
            if leftOK, let end = ipv4(at: i) {
                let next = at(end)
                let rightOK = !(Self.isAlnum(next) || next == UInt8(ascii: "_") || ((next == UInt8(ascii: ".") || next == UInt8(ascii: "-")) && Self.isDigit(at(end + 1))))
                if rightOK, !Self.versionWords.contains(previousWord(before: i)) {
                    add(.ipAddress, i, end)
                }
                i = end
                continue
            }
            while i < bytes.count, Self.isDigit(bytes[i]) || bytes[i] == UInt8(ascii: ".") { i += 1 }
        }
    }

    /// The end of an IPv6 address starting at `i`, or nil: eight hex groups (not all of two
    /// digits or fewer), or fewer with one `::`, optionally ending in an IPv4 quad (counted as
    /// two groups).
    func ipv6(at i: Int) -> Int? {
        var j = i
        var groups = 0
        var compressed = false
        var sawDigit = false
        var longestGroup = 0
        while true {
            if at(j) == UInt8(ascii: ":"), at(j + 1) == UInt8(ascii: ":") {
                if compressed { return nil }
                compressed = true
                j += 2
                if !Self.isHex(at(j)) { break }
                continue
            }
            var h = 0
            while h < 5, Self.isHex(at(j + h)) { h += 1 }
            guard (1...4).contains(h) else { return nil }
            if at(j + h) == UInt8(ascii: "."), groups <= 6, let end = ipv4(at: j) {
                groups += 2
                j = end
                sawDigit = true
                break
            }
            for k in j..<(j + h) where Self.isDigit(bytes[k]) { sawDigit = true }
            longestGroup = max(longestGroup, h)
            groups += 1
            j += h
            if at(j) == UInt8(ascii: ":"), at(j + 1) != UInt8(ascii: ":") {
                guard Self.isHex(at(j + 1)) else { break }
                j += 1
                continue
            }
            if at(j) == UInt8(ascii: ":") { continue }  // "::" next
            break
        }
        guard sawDigit, compressed ? (groups <= 7 && (groups >= 2 || j - i >= 3)) : groups == 8 else { return nil }
        // Eight two-digit groups are a hex byte dump (a fingerprint, an EUI-64), not an address.
        if !compressed, longestGroup <= 2 { return nil }
        return j
    }

    mutating func scanIPv6() {
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            guard Self.isHex(c) || c == UInt8(ascii: ":") else {
                // A word that starts with a non-hex letter holds no address: skip it whole.
                i += 1
                if Self.isAlpha(c) { while i < bytes.count, Self.isAlnum(bytes[i]) { i += 1 } }
                continue
            }
            let p = at(i - 1)
            // An address has a ':' within its first five bytes; most words do not.
            let colonSoon = c == UInt8(ascii: ":") || at(i + 1) == UInt8(ascii: ":") || at(i + 2) == UInt8(ascii: ":")
                || at(i + 3) == UInt8(ascii: ":") || at(i + 4) == UInt8(ascii: ":")
            if colonSoon, i == 0 || !(Self.isAlnum(p) || p == UInt8(ascii: ":") || p == UInt8(ascii: ".") || p == UInt8(ascii: "_")),
               let end = ipv6(at: i) {
                let next = at(end)
                if !(Self.isAlnum(next) || next == UInt8(ascii: "_") || (next == UInt8(ascii: ":") && Self.isHex(at(end + 1)))) {
                    add(.ipAddress, i, end)
                    i = end
                    continue
                }
            }
            // Skip the rest of this run of hex digits and colons.
            while i < bytes.count, Self.isAlnum(bytes[i]) || bytes[i] == UInt8(ascii: ":") { i += 1 }
        }
    }
}
