/// MinHash signatures of documents: shingle hashes, permutations modulo the Mersenne prime
/// `p = 2^61 − 1`, and the LSH band hashes built from them.
///
/// Signature value `k` of a shingle set `X` is `min over x in X of (a_k·x + b_k) mod p`
/// (datatrove's `MinhashDedupSignature.get_signature`, computed here with a full 128-bit
/// product and an exact Mersenne reduction instead of NumPy's wrapping 64-bit product).
/// For two sets of Jaccard similarity `s`, each value agrees with probability ≈ `s`.
/// See ``MinHashConfiguration`` for shingles, bands and the S-curve.
public struct MinHasher: Sendable {
    /// The Mersenne prime `2^61 − 1`.
    public static let prime: UInt64 = (1 << 61) - 1

    /// Shingles, bands, rows and seed.
    public let configuration: MinHashConfiguration
    /// Permutation multipliers `a_k ∈ [1, p)`, one per signature value.
    public let multipliers: [UInt64]
    /// Permutation offsets `b_k ∈ [0, p)`, one per signature value.
    public let offsets: [UInt64]

    /// A hasher for `configuration`; the permutation parameters are drawn from SplitMix64
    /// seeded with `configuration.seed` (alternating `a_0, b_0, a_1, b_1, …`, by rejection of
    /// 61-bit draws outside the range).
    public init(_ configuration: MinHashConfiguration = .datatrove) {
        configuration.validate()
        self.configuration = configuration
        var state = configuration.seed
        func draw(from lowest: UInt64) -> UInt64 {
            while true {
                state &+= 0x9e37_79b9_7f4a_7c15
                let value = ShingleHash.mix(state) >> 3
                if value >= lowest, value < MinHasher.prime { return value }
            }
        }
        var a: [UInt64] = [], b: [UInt64] = []
        for _ in 0..<configuration.hashCount {
            a.append(draw(from: 1))
            b.append(draw(from: 0))
        }
        multipliers = a
        offsets = b
    }

    // MARK: - Public conveniences

    /// The shingle hashes of `text`, sorted and unique (its shingle *set*); empty when the
    /// text has fewer than `n` words (or scalars).
    public func shingles(of text: String) -> [UInt64] {
        var workspace = Workspace(configuration)
        workspace.shingle(text)
        workspace.sortUniqueShingles()
        return workspace.shingles
    }

    /// The signature of `text` (``MinHashConfiguration/hashCount`` values), or nil when it
    /// has no shingles.
    public func signature(of text: String) -> [UInt64]? {
        signature(ofShingles: shingles(of: text))
    }

    /// The signature of a set of shingle hashes, or nil when it is empty.
    public func signature(ofShingles shingles: [UInt64]) -> [UInt64]? {
        guard !shingles.isEmpty else { return nil }
        let reduced = shingles.map(Self.reduce)
        var signature = [UInt64](repeating: 0, count: configuration.hashCount)
        reduced.withUnsafeBufferPointer { x in
            signature.withUnsafeMutableBufferPointer { computeSignature(x, into: $0) }
        }
        return signature
    }

    /// One 64-bit hash per band, of the band's `rows` signature values in order; two
    /// documents share a bucket in band `i` when their hashes `i` are equal.
    /// - Parameter signature: ``MinHashConfiguration/hashCount`` values.
    public func bandHashes(of signature: [UInt64]) -> [UInt64] {
        if signature.count != configuration.hashCount {
            fatalError("MinHasher.bandHashes: signature has \(signature.count) values, expected \(configuration.hashCount)")
        }
        let rows = configuration.rowsPerBand
        return signature.withUnsafeBufferPointer { s in
            (0..<configuration.bands).map { ShingleHash.ngram(s.baseAddress! + $0 * rows, count: rows) }
        }
    }

    /// Exact Jaccard similarity `|A ∩ B| / |A ∪ B|` of two sorted, unique hash lists
    /// (1 when both are empty).
    public static func jaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in jaccard(x, y) } }
    }

    /// The fraction of equal values in two signatures: an unbiased estimate of the Jaccard
    /// similarity of the sets behind them.
    public static func estimatedJaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
        if a.count != b.count || a.isEmpty {
            fatalError("MinHasher.estimatedJaccard: signatures of \(a.count) and \(b.count) values")
        }
        return Double(zip(a, b).filter { $0 == $1 }.count) / Double(a.count)
    }

    // MARK: - Kernels

    /// `x mod p` for any 64-bit `x`.
    @inline(__always)
    static func reduce(_ x: UInt64) -> UInt64 {
        var r = (x & prime) &+ (x >> 61)
        if r >= prime { r &-= prime }
        return r
    }

    /// `(a·x + b) mod p` for `a, x, b < p`: the 122-bit product split at bit 61
    /// (`2^61 ≡ 1 mod p`), then one folding step and one conditional subtraction.
    @inline(__always)
    static func permute(_ x: UInt64, _ a: UInt64, _ b: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: x)
        // product = high·2^64 + low = (high·8 + low>>61)·2^61 + (low & p)
        let folded = (low & prime) &+ ((high << 3) | (low >> 61)) &+ b // < 3·2^61
        var r = (folded & prime) &+ (folded >> 61)
        if r >= prime { r &-= prime }
        return r
    }

    /// `(a·x + b) mod p` by double-and-add: the slow reference for ``permute(_:_:_:)``.
    static func referencePermute(_ x: UInt64, _ a: UInt64, _ b: UInt64) -> UInt64 {
        var result: UInt64 = 0
        var addend = x % prime
        var bits = a
        while bits != 0 {
            if bits & 1 == 1 { result = (result + addend) % prime }
            addend = (addend + addend) % prime
            bits >>= 1
        }
        return (result + b % prime) % prime
    }

    /// The signature of reduced shingles `x` (each `≤ p`) into `out` (`hashCount` values).
    /// Four permutations per pass over `x`, so four independent minimum chains overlap.
    func computeSignature(_ x: UnsafeBufferPointer<UInt64>, into out: UnsafeMutableBufferPointer<UInt64>) {
        multipliers.withUnsafeBufferPointer { a in
            offsets.withUnsafeBufferPointer { b in
                var k = 0
                while k + 3 < a.count {
                    let a0 = a[k], b0 = b[k], a1 = a[k + 1], b1 = b[k + 1]
                    let a2 = a[k + 2], b2 = b[k + 2], a3 = a[k + 3], b3 = b[k + 3]
                    var m0 = UInt64.max, m1 = UInt64.max, m2 = UInt64.max, m3 = UInt64.max
                    for value in x {
                        m0 = min(m0, Self.permute(value, a0, b0))
                        m1 = min(m1, Self.permute(value, a1, b1))
                        m2 = min(m2, Self.permute(value, a2, b2))
                        m3 = min(m3, Self.permute(value, a3, b3))
                    }
                    out[k] = m0
                    out[k + 1] = m1
                    out[k + 2] = m2
                    out[k + 3] = m3
                    k += 4
                }
                while k < a.count {
                    var smallest = UInt64.max
                    for value in x { smallest = min(smallest, Self.permute(value, a[k], b[k])) }
                    out[k] = smallest
                    k += 1
                }
            }
        }
    }

    static func jaccard(_ a: UnsafeBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        var i = 0, j = 0, common = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { common += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return Double(common) / Double(a.count + b.count - common)
    }

    // MARK: - Per-thread workspace

    /// Buffers reused from one document to the next by one thread.
    struct Workspace {
        let configuration: MinHashConfiguration
        var scan = ShingleHash.Scan()
        var shingles: [UInt64] = []
        var signature: [UInt64]

        init(_ configuration: MinHashConfiguration) {
            self.configuration = configuration
            scan.wantsScalars = configuration.shingles == .characters
            signature = [UInt64](repeating: 0, count: configuration.hashCount)
        }

        /// Fills `shingles` with the shingle hashes of `text` (with repeats, in text order).
        mutating func shingle(_ text: String) {
            shingles.removeAll(keepingCapacity: true)
            ShingleHash.scan(text, into: &scan)
            switch configuration.shingles {
            case .words: ShingleHash.wordShingles(scan.wordHashes, n: configuration.shingleSize, into: &shingles)
            case .characters: ShingleHash.characterShingles(scan.scalars, n: configuration.shingleSize, into: &shingles)
            }
        }

        /// Sorts `shingles` and removes repeats.
        mutating func sortUniqueShingles() {
            guard shingles.count > 1 else { return }
            shingles.sort()
            var write = 1
            for read in 1..<shingles.count where shingles[read] != shingles[write - 1] {
                shingles[write] = shingles[read]
                write += 1
            }
            shingles.removeLast(shingles.count - write)
        }

        /// Computes the signature of the current `shingles` (non-empty; 61-bit values, so
        /// already `≤ p`) and writes the band hashes to `bands`.
        mutating func bandHashes(_ hasher: MinHasher, into bands: UnsafeMutablePointer<UInt64>) {
            shingles.withUnsafeBufferPointer { x in
                signature.withUnsafeMutableBufferPointer { hasher.computeSignature(x, into: $0) }
            }
            let rows = configuration.rowsPerBand
            signature.withUnsafeBufferPointer { s in
                for band in 0..<configuration.bands {
                    bands[band] = ShingleHash.ngram(s.baseAddress! + band * rows, count: rows)
                }
            }
        }
    }
}
