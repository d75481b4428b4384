/// Phone numbers, card numbers, US SSNs and IBANs: digit-group scanners with their validators.
extension PIIScanner {
    /// Words after which a phone-shaped number is an identifier, not a phone number.
    static let identifierWords: Set<String> = [
        "order", "serial", "s/n", "sn", "part", "invoice", "isbn", "ref", "reference",
        "tracking", "sku", "model", "ticket", "case", "id", "batch", "lot",
    ]

    /// Words that name a number without saying what kind ("serial *number*", "part *no.*").
    static let numberWords: Set<String> = ["number", "no", "num", "nr", "nos"]

    /// Whether the word before `i` is an identifier word, looking past one ``numberWords``
    /// ("Serial number 555-123-4567"; "Phone number 555-123-4567" stays a phone).
    func followsIdentifierWord(_ i: Int) -> Bool {
        let word = previousWord(before: i)
        if Self.identifierWords.contains(word) { return true }
        guard Self.numberWords.contains(word) else { return false }
        var j = i - 1
        while j >= 0, Self.isSpace(bytes[j]) || bytes[j] == UInt8(ascii: ":") || bytes[j] == UInt8(ascii: ".") || bytes[j] == UInt8(ascii: "#") { j -= 1 }
        while j >= 0, Self.isAlpha(bytes[j]) { j -= 1 }
        return Self.identifierWords.contains(previousWord(before: j + 1))
    }

    /// A digit-group number may start at `i`: the previous byte is not a letter, digit, `_`,
    /// `#`, or a `.`/`-`/`/` glued to a preceding digit (`12-555…` is one longer number).
    func numberMayStart(at i: Int) -> Bool {
        let p = at(i - 1)
        if i == 0 { return true }
        if Self.isAlnum(p) || p == UInt8(ascii: "_") || p == UInt8(ascii: "#") || p == UInt8(ascii: "+") { return false }
        if p == UInt8(ascii: ".") || p == UInt8(ascii: "-") || p == UInt8(ascii: "/") || p == UInt8(ascii: ",") { return !Self.isDigit(at(i - 2)) }
        return true
    }

    /// A number may end at `end`: the next byte is not a letter, digit or `_`, nor a separator
    /// followed by a digit (`555-123-4567-89` is something else).
    func numberMayEnd(at end: Int) -> Bool {
        let n = at(end)
        if Self.isAlnum(n) || n == UInt8(ascii: "_") { return false }
        if n == UInt8(ascii: "-") || n == UInt8(ascii: ".") || n == UInt8(ascii: "/") || n == UInt8(ascii: ",") { return !Self.isDigit(at(end + 1)) }
        return true
    }

    @inline(__always) static func isGroupSeparator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }

    // MARK: Phones

    mutating func scanPhones() {
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            guard Self.isDigit(c) || c == UInt8(ascii: "(") || c == UInt8(ascii: "+") else { i += 1; continue }
            if numberMayStart(at: i) {
                let end = nanp(at: i) ?? international(at: i)
                if let end, numberMayEnd(at: end), !followsIdentifierWord(i), !inNumberTable(i, end) {
                    add(.phone, i, end)
                    i = end
                    continue
                }
            }
            i += 1
            while i < bytes.count, Self.isDigit(bytes[i]) { i += 1 }
        }
    }

    /// Whether the number `[start, end)` has a number one space before or after it (a row of
    /// a table such as `/proc/slabinfo`: `sighand_cache 355 405 2112 15 8`).
    func inNumberTable(_ start: Int, _ end: Int) -> Bool {
        (at(start - 1) == UInt8(ascii: " ") && Self.isDigit(at(start - 2)))
            || (at(end) == UInt8(ascii: " ") && Self.isDigit(at(end + 1)))
    }

    /// North American numbers: [+1 or 1 and a separator] then (AAA) or AAA+sep, EEE, sep, LLLL.
    func nanp(at start: Int) -> Int? {
        var j = start
        if at(j) == UInt8(ascii: "+"), at(j + 1) == UInt8(ascii: "1"), !Self.isDigit(at(j + 2)) {
            j += 2
            if Self.isGroupSeparator(at(j)) { j += 1 }
        } else if at(j) == UInt8(ascii: "1"), Self.isGroupSeparator(at(j + 1)), Self.isDigit(at(j + 2)) || at(j + 2) == UInt8(ascii: "(") {
            j += 2
        }
        var separator: UInt8 = 0
        if at(j) == UInt8(ascii: "(") {
            guard digitRun(j + 1) == 3, at(j + 4) == UInt8(ascii: ")") else { return nil }
            guard at(j + 1) >= UInt8(ascii: "2") else { return nil }
            j += 5
            if at(j) == UInt8(ascii: " ") { j += 1 }
        } else {
            guard digitRun(j) == 3, at(j) >= UInt8(ascii: "2") else { return nil }
            separator = at(j + 3)
            guard Self.isGroupSeparator(separator) else { return nil }
            j += 4
        }
        guard digitRun(j) == 3 else { return nil }
        j += 3
        let second = at(j)
        guard Self.isGroupSeparator(second), separator == 0 || second == separator else { return nil }
        j += 1
        guard digitRun(j) == 4 else { return nil }
        return j + 4
    }

    /// `+` country code and groups: 8–15 digits in all, groups separated by one space, dash or
    /// dot, a `(0)` trunk prefix allowed after the country code.
    func international(at start: Int) -> Int? {
        guard at(start) == UInt8(ascii: "+"), Self.isDigit(at(start + 1)), at(start + 1) != UInt8(ascii: "0") else { return nil }
        var j = start + 1
        var digits = 0
        var end = start
        var groups = 0
        while true {
            if groups == 1, at(j) == UInt8(ascii: "("), at(j + 1) == UInt8(ascii: "0"), at(j + 2) == UInt8(ascii: ")") {
                j += 3
                if at(j) == UInt8(ascii: " ") { j += 1 }
            }
            let n = digitRun(j)
            guard n > 0, digits + n <= 15 else { break }
            digits += n
            groups += 1
            j += n
            end = j
            if Self.isGroupSeparator(at(j)), Self.isDigit(at(j + 1)) || (at(j + 1) == UInt8(ascii: "(") && groups == 1) {
                j += 1
            } else if groups == 1, at(j) == UInt8(ascii: "(") {
                continue
            } else {
                break
            }
        }
        return digits >= 8 ? end : nil
    }

    // MARK: Credit cards

    mutating func scanCards() {
        var i = 0
        var groupEnds: [Int] = []
        while i < bytes.count {
            guard Self.isDigit(bytes[i]), numberMayStart(at: i) else { i += 1; continue }
            // Groups of digits joined by one consistent space or dash.
            groupEnds.removeAll(keepingCapacity: true)
            var separator: UInt8 = 0
            var j = i
            var total = 0
            var digitsAtEnd: [Int] = []
            while true {
                let n = digitRun(j)
                guard n > 0, total + n <= 19 else { break }
                total += n
                j += n
                groupEnds.append(j)
                digitsAtEnd.append(total)
                let s = at(j)
                guard s == UInt8(ascii: " ") || s == UInt8(ascii: "-"), separator == 0 || s == separator,
                      digitRun(j + 1) >= 2 else { break }
                separator = s
                j += 1
            }
            var accepted = false
            for g in stride(from: groupEnds.count - 1, through: 0, by: -1) where (13...19).contains(digitsAtEnd[g]) {
                let end = groupEnds[g]
                if numberMayEnd(at: end) || Self.isGroupSeparator(at(end)), cardNumberIsValid(i, end) {
                    add(.creditCard, i, end)
                    i = end
                    accepted = true
                    break
                }
            }
            if !accepted {
                i += 1
                while i < bytes.count, Self.isDigit(bytes[i]) { i += 1 }
            }
        }
    }

    /// The digits of `[start, end)` pass the Luhn check and carry a known issuer prefix at a
    /// length that issuer uses.
    func cardNumberIsValid(_ start: Int, _ end: Int) -> Bool {
        var digits: [UInt8] = []
        digits.reserveCapacity(19)
        for k in start..<end where Self.isDigit(bytes[k]) { digits.append(bytes[k] - 0x30) }
        return Self.luhn(digits) && Self.knownIssuer(digits)
    }

    /// The Luhn (mod 10) check: doubling every second digit from the right, the digit sum is
    /// a multiple of 10.
    static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (k, d) in digits.reversed().enumerated() {
            var v = Int(d)
            if k % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return sum % 10 == 0
    }

    /// Issuer identification number ranges and lengths (Visa 4: 13/16/19; Mastercard 51–55,
    /// 2221–2720: 16; Amex 34/37: 15; Discover 6011, 644–649, 65: 16–19; Diners 300–305, 36,
    /// 38, 39: 14–19; JCB 3528–3589: 16–19; UnionPay 62: 16–19; Mir 2200–2204: 16; Maestro
    /// 5018, 5020, 5038, 5893, 6304, 6759, 6761–6763: 13–19).
    static func knownIssuer(_ d: [UInt8]) -> Bool {
        let n = d.count
        guard n >= 13 else { return false }
        let p2 = Int(d[0]) * 10 + Int(d[1])
        let p3 = p2 * 10 + Int(d[2])
        let p4 = p3 * 10 + Int(d[3])
        if d[0] == 4 { return n == 13 || n == 16 || n == 19 }
        if (51...55).contains(p2) || (2221...2720).contains(p4) { return n == 16 }
        if p2 == 34 || p2 == 37 { return n == 15 }
        if p4 == 6011 || (644...649).contains(p3) || p2 == 65 { return (16...19).contains(n) }
        if (300...305).contains(p3) || p2 == 36 || p2 == 38 || p2 == 39 { return (14...19).contains(n) }
        if (3528...3589).contains(p4) { return (16...19).contains(n) }
        if p2 == 62 { return (16...19).contains(n) }
        if (2200...2204).contains(p4) { return n == 16 }
        if [5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].contains(p4) { return true }
        return false
    }

    // MARK: US SSN

    mutating func scanSSNs() {
        var i = 0
        while i < bytes.count {
            guard Self.isDigit(bytes[i]), numberMayStart(at: i), digitRun(i) == 3 else { i += 1; continue }
            let s = at(i + 3)
            if s == UInt8(ascii: "-") || s == UInt8(ascii: " "), digitRun(i + 4) == 2, at(i + 6) == s, digitRun(i + 7) == 4,
               numberMayEnd(at: i + 11), !(s == UInt8(ascii: " ") && at(i + 11) == UInt8(ascii: " ") && Self.isDigit(at(i + 12))),
               at(i - 1) != UInt8(ascii: "#"), Self.ssnIsValid(area: number(i, 3), group: number(i + 4, 2), serial: number(i + 7, 4)) {
                add(.usSSN, i, i + 11)
                i += 11
                continue
            }
            i += 3
        }
    }

    /// SSA rules: area not 000, 666 or 900–999; group not 00; serial not 0000.
    static func ssnIsValid(area: Int, group: Int, serial: Int) -> Bool {
        area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    /// The decimal value of `count` digits at `i`.
    func number(_ i: Int, _ count: Int) -> Int {
        var v = 0
        for k in i..<(i + count) { v = v * 10 + Int(bytes[k] - 0x30) }
        return v
    }

    // MARK: IBAN

    /// IBAN length per country (ISO 13616 registry).
    static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
        "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
        "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
        "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
        "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
        "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
        "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
        "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
    ]

    mutating func scanIBANs() {
        var i = 0
        var characters: [UInt8] = []
        while i + 4 <= bytes.count {
            guard Self.isUpper(bytes[i]), Self.isUpper(at(i + 1)), Self.isDigit(at(i + 2)), Self.isDigit(at(i + 3)),
                  i == 0 || !Self.isAlnum(at(i - 1)),
                  let length = Self.ibanLengths[String(decoding: [bytes[i], bytes[i + 1]], as: UTF8.self)] else { i += 1; continue }
            // Collect `length` upper-case letters and digits, allowing one space between them.
            characters.removeAll(keepingCapacity: true)
            var j = i
            while j < bytes.count, characters.count < length {
                let c = bytes[j]
                if Self.isUpper(c) || Self.isDigit(c) {
                    characters.append(c)
                    j += 1
                } else if c == UInt8(ascii: " "), !characters.isEmpty, Self.isUpper(at(j + 1)) || Self.isDigit(at(j + 1)) {
                    j += 1
                } else {
                    break
                }
            }
            if characters.count == length, !Self.isAlnum(at(j)), Self.ibanChecksumIsValid(characters) {
                add(.iban, i, j)
                i = j
            } else {
                i += 2
            }
        }
    }

    /// ISO 13616 check: move the first four characters to the end, read letters as 10–35,
    /// and the number is 1 mod 97.
    static func ibanChecksumIsValid(_ characters: [UInt8]) -> Bool {
        var remainder = 0
        for k in 0..<characters.count {
            let c = characters[(k + 4) % characters.count]
            if isDigit(c) {
                remainder = (remainder * 10 + Int(c - 0x30)) % 97
            } else {
                remainder = (remainder * 100 + Int(c - 0x41 + 10)) % 97
            }
        }
        return remainder == 1
    }
}
