/// Secrets: AWS access key ids and labelled secret keys, bearer tokens, GitHub tokens and
/// PEM private-key blocks.
extension PIIScanner {
    /// Labels (lower-cased, `_`/`-` removed) after which a 40-character value is an AWS secret key.
    static let awsSecretLabels: Set<String> = [
        "awssecretaccesskey", "secretaccesskey", "awssecretkey", "awssecret", "secretkey",
    ]

    /// ``awsSecretLabels`` as byte arrays, for comparing without allocating.
    static let awsSecretLabelBytes: [[UInt8]] = awsSecretLabels.sorted().map { Array($0.utf8) }

    /// Whether the letters and digits of `[start, end)`, lower-cased (`_` and `-` skipped),
    /// spell `label`.
    func isFoldedLabel(_ label: [UInt8], from start: Int, to end: Int) -> Bool {
        var k = 0
        for p in start..<end where Self.isAlnum(bytes[p]) {
            guard k < label.count, bytes[p] | (Self.isUpper(bytes[p]) ? 0x20 : 0) == label[k] else { return false }
            k += 1
        }
        return k == label.count
    }

    /// Bytes of a bearer token (RFC 6750 `b64token`) or an AWS secret key (`A-Za-z0-9/+=`).
    @inline(__always) static func isTokenByte(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
            || c == UInt8(ascii: "~") || c == UInt8(ascii: "+") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=")
    }

    /// One pass over the bytes for every kind of secret: only bytes that can start one
    /// (`A`, `a`/`s`/`S` of a label, `b`/`B`, `g`, `-`) are looked at further.
    mutating func scanSecrets() {
        var i = 0
        var keyMarkers = KeyMarkerCache()
        while i < bytes.count {
            let c = bytes[i]
            let folded = c | 0x20
            guard folded == UInt8(ascii: "a") || folded == UInt8(ascii: "s") || folded == UInt8(ascii: "b")
                    || c == UInt8(ascii: "g") || c == UInt8(ascii: "-") else { i += 1; continue }
            let next: Int?
            switch folded {
            case UInt8(ascii: "a"):
                next = (c == UInt8(ascii: "A") ? awsAccessKey(at: i) : nil) ?? awsSecretKey(at: i)
            case UInt8(ascii: "s"): next = awsSecretKey(at: i)
            case UInt8(ascii: "b"): next = bearerToken(at: i)
            case UInt8(ascii: "g"): next = gitHubToken(at: i)
            default: next = privateKey(at: i, markers: &keyMarkers)
            }
            i = next ?? i + 1
        }
    }

    /// `AKIA`/`ASIA` + 16 upper-case letters or digits, standing alone. Returns the end of the
    /// match (after adding it), or nil.
    mutating func awsAccessKey(at i: Int) -> Int? {
        guard i + 20 <= bytes.count, matches("AKIA", at: i) || matches("ASIA", at: i), i == 0 || !Self.isAlnum(at(i - 1)) else { return nil }
        var j = i + 4
        while j < i + 20, Self.isUpper(bytes[j]) || Self.isDigit(bytes[j]) { j += 1 }
        guard j == i + 20, !Self.isAlnum(at(j)) else { return nil }
        add(.secret, i, j)
        return j
    }

    /// A label from ``awsSecretLabels`` starting at `i`, optional quotes and spaces, `=` or
    /// `:` (or `=>`), then exactly 40 characters of `[A-Za-z0-9/+=]`, possibly quoted: the
    /// value is added. Returns where to continue (after the value), or nil.
    mutating func awsSecretKey(at i: Int) -> Int? {
        guard i == 0 || !(Self.isAlnum(at(i - 1)) || at(i - 1) == UInt8(ascii: "_")) else { return nil }
        var j = i
        var letters = 0
        while j < bytes.count, Self.isAlnum(bytes[j]) || bytes[j] == UInt8(ascii: "_") || bytes[j] == UInt8(ascii: "-") {
            if Self.isAlnum(bytes[j]) { letters += 1 }
            j += 1
        }
        guard (9...18).contains(letters) else { return nil }   // "secretkey" … "awssecretaccesskey"
        guard Self.awsSecretLabelBytes.contains(where: { isFoldedLabel($0, from: i, to: j) }) else { return nil }
        var k = j
        func skipQuotesAndSpaces() {
            while k < bytes.count, bytes[k] == UInt8(ascii: " ") || bytes[k] == UInt8(ascii: "\"") || bytes[k] == UInt8(ascii: "'") || bytes[k] == UInt8(ascii: "\t") { k += 1 }
        }
        skipQuotesAndSpaces()
        guard at(k) == UInt8(ascii: "=") || at(k) == UInt8(ascii: ":") else { return nil }
        k += 1
        if at(k) == UInt8(ascii: ">") { k += 1 }
        skipQuotesAndSpaces()
        var e = k
        while e < bytes.count, Self.isAlnum(bytes[e]) || bytes[e] == UInt8(ascii: "/") || bytes[e] == UInt8(ascii: "+") || bytes[e] == UInt8(ascii: "=") { e += 1 }
        guard e - k == 40 else { return nil }
        add(.secret, k, e)
        return e
    }

    /// `Bearer <token>` (any case) at `i`: the token, when it is at least 16 bytes and either
    /// follows `Authorization` on the same line or mixes letters and digits over 20+ bytes.
    mutating func bearerToken(at i: Int) -> Int? {
        guard i + 7 < bytes.count, i == 0 || !Self.isAlnum(at(i - 1)), isCaseInsensitive("bearer", at: i),
              Self.isSpace(at(i + 6)) || at(i + 6) == UInt8(ascii: ":") else { return nil }
        var k = i + 6
        if at(k) == UInt8(ascii: ":") { k += 1 }
        while at(k) == UInt8(ascii: " ") || at(k) == UInt8(ascii: "\t") { k += 1 }
        var e = k
        var letters = false, digits = false
        while e < bytes.count, Self.isTokenByte(bytes[e]) {
            if Self.isDigit(bytes[e]) { digits = true } else if Self.isAlpha(bytes[e]) { letters = true }
            e += 1
        }
        // A sentence's full stop is not part of the token.
        while e > k, bytes[e - 1] == UInt8(ascii: ".") { e -= 1 }
        let length = e - k
        guard length >= 16, authorizationBefore(i) || (length >= 20 && letters && digits) else { return nil }
        add(.secret, k, e)
        return e
    }

    /// Whether `authorization` appears earlier on the line holding `i` (at most 80 bytes back).
    func authorizationBefore(_ i: Int) -> Bool {
        var j = i - 1
        while j >= 12, i - j <= 80, bytes[j] != 0x0A {
            if bytes[j] | 0x20 == UInt8(ascii: "n"), isCaseInsensitive("authorization", at: j - 12) { return true }
            j -= 1
        }
        return false
    }

    /// Whether the bytes at `i` spell `word` (lower-case ASCII) in any case.
    func isCaseInsensitive(_ word: StaticString, at i: Int) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i >= 0, i + n <= bytes.count else { return false }
        for k in 0..<n where bytes[i + k] | 0x20 != word.utf8Start[k] { return false }
        return true
    }

    /// GitHub tokens at `i`: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 letters or digits.
    mutating func gitHubToken(at i: Int) -> Int? {
        let kind = at(i + 2)
        guard i + 40 <= bytes.count, at(i + 1) == UInt8(ascii: "h"), at(i + 3) == UInt8(ascii: "_"),
              kind == UInt8(ascii: "p") || kind == UInt8(ascii: "o") || kind == UInt8(ascii: "u") || kind == UInt8(ascii: "s") || kind == UInt8(ascii: "r"),
              i == 0 || !Self.isAlnum(at(i - 1)) else { return nil }
        var j = i + 4
        while j < bytes.count, Self.isAlnum(bytes[j]) { j += 1 }
        guard j - i == 40, at(j) != UInt8(ascii: "_") else { return nil }
        add(.secret, i, j)
        return j
    }

    /// The next END/BEGIN marker found so far, so that many truncated keys stay linear.
    struct KeyMarkerCache {
        var searchedFrom = Int.max
        var marker: (start: Int, end: Int, isEnd: Bool)? = nil
    }

    /// `-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |DSA ]PRIVATE KEY-----` at `i` through the next
    /// `-----END …-----` line; when another BEGIN or the end of the text comes first (a
    /// truncated key), through the first blank line before it. Linear in the text length: the
    /// next marker is searched once and remembered in `markers`.
    mutating func privateKey(at i: Int, markers: inout KeyMarkerCache) -> Int? {
        guard matches("-----BEGIN ", at: i) else { return nil }
        var j = i + 11
        while j < bytes.count, bytes[j] != 0x0A, !matches("-----", at: j) { j += 1 }
        let label = String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 11)..<j]), as: UTF8.self)
        guard label.hasSuffix("PRIVATE KEY"), matches("-----", at: j) else { return j }
        let body = j + 5
        if !(markers.searchedFrom <= body && (markers.marker.map { $0.start >= body } ?? true)) {
            markers.marker = nextKeyMarker(from: body)
            markers.searchedFrom = body
        }
        var end: Int
        if let marker = markers.marker, marker.isEnd {
            end = marker.end
        } else {
            let limit = markers.marker?.start ?? bytes.count
            end = limit
            var k = body
            while k + 1 < limit {
                if bytes[k] == 0x0A, at(k + 1) == 0x0A || (at(k + 1) == 0x0D && at(k + 2) == 0x0A) { end = k; break }
                k += 1
            }
            while end > body, Self.isSpace(bytes[end - 1]) { end -= 1 }
        }
        add(.secret, i, end)
        return end
    }

    /// The first `-----END …-----` line or `-----BEGIN ` at or after `from`.
    func nextKeyMarker(from: Int) -> (start: Int, end: Int, isEnd: Bool)? {
        var k = from
        while k + 9 <= bytes.count {
            if bytes[k] == UInt8(ascii: "-") {
                if matches("-----END ", at: k) {
                    var e = k + 9
                    while e < bytes.count, bytes[e] != 0x0A, !matches("-----", at: e) { e += 1 }
                    if matches("-----", at: e) { return (k, e + 5, true) }
                } else if matches("-----BEGIN ", at: k) {
                    return (k, k + 11, false)
                }
            }
            k += 1
        }
        return nil
    }
}
