/// How text is cut into pieces before BPE runs on each piece (merges never cross a piece).
///
/// Each case is a hand-written scanner over Unicode scalars that produces exactly the matches of
/// the regular expression it names (tests hold each against Swift `Regex` with Unicode-scalar
/// semantics). `\s` is the `White_Space` property, `\p{L}` letters, `\p{N}` Nd/Nl/No numbers.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2 (OpenAI `encoder.py`, Hugging Face `ByteLevel(use_regex=true)`):
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama 3 (llama.cpp `llama-bpe`):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3
    /// SmolLM (llama.cpp `smollm`, Hugging Face `Sequence[Digits(individual_digits=true),
    /// ByteLevel]`): every `\p{N}` scalar is a piece of its own, and the text between numbers is
    /// cut with the GPT-2 pattern.
    case smolLM = "smollm"
    /// Runs of non-whitespace (`\S+`, Hugging Face `WhitespaceSplit`); whitespace is dropped.
    case whitespace

    /// The regular expression this pre-tokenizer implements (for `smolLM`, the GPT-2 pattern
    /// applied between single numbers).
    public var pattern: String {
        switch self {
        case .gpt2, .smolLM: return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .whitespace: return #"\S+"#
        }
    }

    /// Cuts `text` into pieces.
    /// - Parameter text: any string.
    /// - Returns: the pieces in order; their concatenation is `text` (for `whitespace`, minus the
    ///   whitespace).
    public func split(_ text: String) -> [Substring] {
        var utf8 = Array(text.utf8)
        var scalarText = ScalarText()
        utf8.withUnsafeMutableBufferPointer { scalarText.decode(UnsafeBufferPointer($0)) }
        var pieces: [(Int, Int)] = []
        split(scalarText) { pieces.append(($0, $1)) }
        let start = text.utf8.startIndex
        return pieces.map { lower, upper in
            let from = text.utf8.index(start, offsetBy: Int(scalarText.offsets[lower]))
            let to = text.utf8.index(start, offsetBy: Int(scalarText.offsets[upper]))
            return text[from..<to]
        }
    }

    /// Calls `piece(lower, upper)` with the scalar range of each piece of `text`, in order.
    func split(_ text: ScalarText, _ piece: (Int, Int) -> Void) {
        text.scalars.withUnsafeBufferPointer { scalars in
            text.classes.withUnsafeBufferPointer { classes in
                let n = scalars.count
                switch self {
                case .gpt2: Scanner.gpt2(scalars, classes, 0, n, piece)
                case .llama3: Scanner.llama3(scalars, classes, 0, n, piece)
                case .whitespace: Scanner.whitespace(classes, 0, n, piece)
                case .smolLM:
                    var start = 0
                    for i in 0..<n where classes[i] == ScalarClass.number {
                        if start < i { Scanner.gpt2(scalars, classes, start, i, piece) }
                        piece(i, i + 1)
                        start = i + 1
                    }
                    if start < n { Scanner.gpt2(scalars, classes, start, n, piece) }
                }
            }
        }
    }
}

/// The scanners behind ``PreTokenizer``; each reads scalars `lo..<hi` (nothing outside, so the
/// end of the range is the end of the text for lookahead) and reports pieces in order.
enum Scanner {
    typealias Scalars = UnsafeBufferPointer<UInt32>
    typealias Classes = UnsafeBufferPointer<UInt8>
    static let apostrophe: UInt32 = 0x27, space: UInt32 = 0x20, cr: UInt32 = 0x0D, lf: UInt32 = 0x0A

    /// The end of the run of scalars of class `c` starting at `i`.
    @inline(__always)
    static func run(_ classes: Classes, _ i: Int, _ hi: Int, _ c: UInt8) -> Int {
        var k = i
        while k < hi && classes[k] == c { k += 1 }
        return k
    }

    /// Length of a contraction (`'s 't 're 've 'm 'll 'd`) at `i`, or 0.
    /// `ignoringCase` also accepts upper case (and `ſ`, which folds to `s`).
    @inline(__always)
    static func contraction(_ s: Scalars, _ i: Int, _ hi: Int, ignoringCase: Bool) -> Int {
        guard s[i] == apostrophe, i + 1 < hi else { return 0 }
        func lower(_ v: UInt32) -> UInt32 {
            guard ignoringCase else { return v }
            if v >= 0x41 && v <= 0x5A { return v + 0x20 }
            return v == 0x17F ? 0x73 : v
        }
        let a = lower(s[i + 1])
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return 2 }   // s t m d
        guard i + 2 < hi else { return 0 }
        let b = lower(s[i + 2])
        if (a == 0x72 || a == 0x76) && b == 0x65 { return 3 }             // re ve
        if a == 0x6C && b == 0x6C { return 3 }                              // ll
        return 0
    }

    /// `\s+(?!\S)|\s+` at `i` (a whitespace scalar): the run, minus its last scalar when the run
    /// is longer than one and followed by a non-space.
    @inline(__always)
    static func trailingSpace(_ classes: Classes, _ i: Int, _ hi: Int) -> Int {
        let k = run(classes, i, hi, ScalarClass.space)
        return (k < hi && k - i >= 2) ? k - 1 : k
    }

    static func gpt2(_ s: Scalars, _ classes: Classes, _ lo: Int, _ hi: Int, _ piece: (Int, Int) -> Void) {
        var i = lo
        while i < hi {
            var end: Int
            let length = contraction(s, i, hi, ignoringCase: false)
            if length > 0 {
                end = i + length
            } else {
                let k = (s[i] == space && i + 1 < hi) ? i + 1 : i
                let c = classes[k]
                if c != ScalarClass.space {
                    end = run(classes, k + 1, hi, c)
                } else {
                    end = trailingSpace(classes, i, hi)
                }
            }
            piece(i, end)
            i = end
        }
    }

    static func llama3(_ s: Scalars, _ classes: Classes, _ lo: Int, _ hi: Int, _ piece: (Int, Int) -> Void) {
        var i = lo
        while i < hi {
            var end: Int
            let c = classes[i]
            let length = contraction(s, i, hi, ignoringCase: true)
            if length > 0 {
                end = i + length
            } else if c == ScalarClass.letter {
                end = run(classes, i + 1, hi, ScalarClass.letter)
            } else if c != ScalarClass.number && s[i] != cr && s[i] != lf
                        && i + 1 < hi && classes[i + 1] == ScalarClass.letter {
                end = run(classes, i + 2, hi, ScalarClass.letter)
            } else if c == ScalarClass.number {
                end = i + 1
                while end < hi && end < i + 3 && classes[end] == ScalarClass.number { end += 1 }
            } else if c == ScalarClass.other || (s[i] == space && i + 1 < hi && classes[i + 1] == ScalarClass.other) {
                end = run(classes, c == ScalarClass.other ? i + 1 : i + 2, hi, ScalarClass.other)
                while end < hi && (s[end] == cr || s[end] == lf) { end += 1 }
            } else {
                let k = run(classes, i + 1, hi, ScalarClass.space)
                var lastBreak = -1
                var p = k - 1
                while p >= i { if s[p] == cr || s[p] == lf { lastBreak = p; break }; p -= 1 }
                end = lastBreak >= 0 ? lastBreak + 1 : ((k < hi && k - i >= 2) ? k - 1 : k)
            }
            piece(i, end)
            i = end
        }
    }

    static func whitespace(_ classes: Classes, _ lo: Int, _ hi: Int, _ piece: (Int, Int) -> Void) {
        var i = lo
        while i < hi {
            if classes[i] == ScalarClass.space { i += 1; continue }
            var end = i + 1
            while end < hi && classes[end] != ScalarClass.space { end += 1 }
            piece(i, end)
            i = end
        }
    }
}
