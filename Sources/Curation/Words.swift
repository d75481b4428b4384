/// Word and n-gram splitting shared by the quality filters, MinHash shingling and
/// decontamination, so that "a word" means the same thing everywhere in `Curation`.
///
/// A word is a maximal run of Unicode scalars that are letters, marks or numbers
/// (`\p{L}\p{M}\p{N}`), plus apostrophes inside a run (`don't`, `o'er`). Everything else
/// (whitespace, punctuation, symbols) separates words. Scanning works on `Unicode.Scalar`s,
/// never `Character`s (TRAPS.md, *Text*).
public enum Words {
    /// The words of `text`, in order, as substrings of it.
    ///
    /// - Parameter lowercased: fold each word to lower case (default `false`).
    public static func split(_ text: String, lowercased: Bool = false) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        func flush() {
            // A trailing apostrophe belongs to the separator, not the word.
            while let last = current.last, isApostrophe(last) { current.removeLast() }
            if !current.isEmpty {
                let word = String(current)
                words.append(lowercased ? word.lowercased() : word)
            }
            current = String.UnicodeScalarView()
        }
        for (index, scalar) in scalars.enumerated() {
            if isWordScalar(scalar) {
                current.append(scalar)
            } else if isApostrophe(scalar), !current.isEmpty,
                      index + 1 < scalars.count, isWordScalar(scalars[index + 1]) {
                current.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// Contiguous `n`-word windows of `words`, each joined by one space
    /// (`["a","b","c"]`, n 2 → `["a b", "b c"]`); empty when there are fewer than `n` words.
    public static func ngrams(_ words: [String], n: Int) -> [String] {
        guard n > 0, words.count >= n else { return [] }
        return (0...(words.count - n)).map { words[$0..<($0 + n)].joined(separator: " ") }
    }

    /// Whether `scalar` can be part of a word: a letter, mark or number.
    public static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    private static func isApostrophe(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "'" || scalar == "\u{2019}"
    }
}
