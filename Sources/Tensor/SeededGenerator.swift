/// A seeded pseudo-random generator: xoshiro256** with its state filled by SplitMix64.
///
/// The same seed gives the same stream on every machine (integer arithmetic only), and the
/// state is a plain value that can be saved and restored (``state``), e.g. in a training
/// checkpoint. Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators"
/// (2021), and their public-domain `xoshiro256starstar.c` / `splitmix64.c`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 42)
/// let w = Tensor.randomNormal([4, 4], standardDeviation: 0.02, using: &rng)
/// ```
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable, Codable {
    /// The four 64-bit words of xoshiro256** state.
    public var state: [UInt64]

    /// A generator whose state is expanded from `seed` with SplitMix64.
    public init(seed: UInt64) {
        var s = seed
        var words: [UInt64] = []
        for _ in 0..<4 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words.append(z ^ (z >> 31))
        }
        self.state = words
    }

    /// A generator resuming from a saved ``state`` (four words, not all zero).
    public init(state: [UInt64]) {
        check(state.count == 4 && state.contains { $0 != 0 },
              "SeededGenerator(state:): needs four words, not all zero; got \(state)")
        self.state = state
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = Self.rotl(state[3], 45)
        return result
    }

    /// A uniform `Float` in `[0, 1)` with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform `Double` in `[0, 1)` with 53 random bits.
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal sample (Box–Muller in `Double`, one sample per call).
    public mutating func nextNormal() -> Float {
        // u1 in (0, 1] so log(u1) is finite.
        let u1 = 1.0 - nextUniformDouble()
        let u2 = nextUniformDouble()
        let r = (-2.0 * _log(u1)).squareRoot()
        return Float(r * _cos(2.0 * Double.pi * u2))
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Musl)
import Musl
@inline(__always) private func _log(_ x: Double) -> Double { Musl.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Musl.cos(x) }
#else
import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
