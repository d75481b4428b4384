/// The knowledge world's random numbers: SplitMix64 (Steele, Lea & Flood, "Fast splittable
/// pseudorandom number generators", 2014; Vigna's public-domain `splitmix64.c`).
///
/// `state += 0x9E3779B97F4A7C15; z = state; z = (z ^ z>>30)·0xBF58476D1CE4E5B9;
/// z = (z ^ z>>27)·0x94D049BB133111EB; return z ^ z>>31`, all modulo 2⁶⁴.
///
/// Integer arithmetic only, and every draw below is built from ``next()`` by this file's own
/// code (not the standard library's `random(in:)` or `shuffle()`, whose algorithms may change
/// between Swift versions), so a seed gives the same world on every machine and toolchain.
struct KnowledgeRandom {
    /// The generator's whole state.
    var state: UInt64

    /// A generator whose stream starts at `seed`.
    init(seed: UInt64) { state = seed }

    /// An independent stream for one purpose (`stream` names it: people, biographies, …):
    /// the state is the SplitMix64 finaliser of `seed ^ (stream · golden ratio)`, so streams
    /// of one seed start far apart rather than on the same sequence.
    init(seed: UInt64, stream: UInt64) {
        state = KnowledgeRandom.finalize(seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
    }

    /// SplitMix64's output function.
    static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return KnowledgeRandom.finalize(state)
    }

    /// A uniform integer in `0..<bound` (`bound ≥ 1`), without modulo bias: draws at or above
    /// the largest multiple of `bound` that fits in 2⁶⁴ are rejected.
    mutating func below(_ bound: Int) -> Int {
        check(bound >= 1, "KnowledgeRandom.below: bound \(bound) must be positive")
        let n = UInt64(bound)
        let threshold = (0 &- n) % n          // 2⁶⁴ mod n: the rejected low remainder
        while true {
            let value = next()
            if value >= threshold { return Int(value % n) }
        }
    }

    /// A uniform element of a non-empty array.
    mutating func element<T>(of values: [T]) -> T { values[below(values.count)] }

    /// Fisher–Yates: for `i` from the end down to 1, swap element `i` with a uniform `j ≤ i`.
    mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, below(i + 1))
        }
    }

    /// `count` distinct indices of `0..<total` other than `excluded`, uniformly, in random
    /// order (a partial Fisher–Yates over the remaining indices).
    mutating func distinctIndices(_ count: Int, below total: Int, excluding excluded: Int? = nil) -> [Int] {
        var pool = (0..<total).filter { $0 != excluded }
        check(count <= pool.count, "KnowledgeRandom: \(count) distinct values from a pool of \(pool.count)")
        for i in 0..<count { pool.swapAt(i, i + below(pool.count - i)) }
        return Array(pool.prefix(count))
    }
}

/// Stops the program with `message` when `condition` is false (a caller's mistake). Unlike
/// `precondition`, the message survives release builds.
@inline(__always)
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}
