import Testing
@testable import Tensor
import _TestSupport

/// Plain bfloat16 reference: of the two bfloat16 values around `x` (the truncation toward
/// zero and the next one away from zero), the nearer in exact `Double` arithmetic; on a tie
/// the one with an even last bit. NaN is not handled here.
private func referenceBFloat16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let low = UInt16(truncatingIfNeeded: bits >> 16)
    if bits & 0xFFFF == 0 { return low }
    let high = low &+ 1  // next pattern away from zero (may be ±∞)
    let lowValue = Double(Float(bitPattern: UInt32(low) << 16))
    let highValue = Double(Float(bitPattern: UInt32(high) << 16))
    if highValue.isInfinite {
        // Beyond the largest bfloat16: round as if the next step existed (IEEE overflow rule).
        let step = Double(sign: .plus, exponent: lowValue.exponent - 7, significand: 1)  // one bfloat16 ulp
        let distanceToLow = abs(Double(x) - lowValue)
        if distanceToLow < step / 2 { return low }
        if distanceToLow > step / 2 { return high }
        return low & 1 == 0 ? low : high
    }
    let dLow = abs(Double(x) - lowValue), dHigh = abs(highValue - Double(x))
    if dLow < dHigh { return low }
    if dHigh < dLow { return high }
    return low & 1 == 0 ? low : high
}

/// Swift's own conversion (round to nearest even), the reference for binary16.
private func referenceHalfBits(_ x: Float) -> UInt16 { Float16(x).bitPattern }

/// True when `bits` is a quiet binary16 NaN with the sign of `x`.
private func isQuietHalfNaN(_ bits: UInt16, signOf x: Float) -> Bool {
    bits & 0x7C00 == 0x7C00 && bits & 0x0200 != 0 && (bits & 0x8000 != 0) == (x.sign == .minus)
}

@Suite("Half precision")
struct HalfPrecisionTests {
    @Test func everyHalfPatternWidensExactlyAndRoundTrips() {
        for pattern in 0...UInt16.max {
            let value = HalfPrecision.float(halfBits: pattern)
            let expected = Float(Float16(bitPattern: pattern))
            if expected.isNaN {
                #expect(value.isNaN)
                #expect(value.bitPattern & 0x0040_0000 != 0, "NaN \(pattern) not quiet")
                #expect(isQuietHalfNaN(HalfPrecision.halfBits(value), signOf: value))
                continue
            }
            #expect(value.bitPattern == expected.bitPattern, "half \(pattern)")
            #expect(HalfPrecision.halfBits(value) == pattern, "half \(pattern) does not round-trip")
        }
    }

    @Test func edgeCasesMatchSwiftFloat16() {
        let edges: [Float] = [
            0, -0, 1, -1, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            65504, 65505, 65519, 65519.996, 65520, -65520, 65535.996, 65536, 1e10,
            0x1p-14, 0x1p-15, 0x1p-24, 0x1.8p-25, 0x1p-25, 0x1.000002p-25, 0x1p-26, 0x1.ffcp-15,
            0x1.ffep-15, 0x1.ffdp-15, .leastNonzeroMagnitude, .leastNormalMagnitude, 1.0009765625,
            1.00048828125, 1.00146484375, 2049, 2051, 0.1, 1 / 3, .pi,
        ]
        for x in edges + edges.map({ -$0 }) {
            #expect(HalfPrecision.halfBits(x) == referenceHalfBits(x), "x = \(x)")
        }
        #expect(HalfPrecision.halfBits(65520) == 0x7C00)        // tie with 65504 rounds to ∞
        #expect(HalfPrecision.halfBits(65519.996) == 0x7BFF)    // just below the tie
        #expect(HalfPrecision.halfBits(0x1p-25) == 0)           // tie with 2⁻²⁴ rounds to 0
        #expect(HalfPrecision.halfBits(0x1.8p-25) == 1)         // 0.75 of a step rounds up
        #expect(HalfPrecision.halfBits(-0.0) == 0x8000)
        for nan in [Float.nan, -Float.nan, Float.signalingNaN, Float(bitPattern: 0x7F80_0001),
                    Float(bitPattern: 0xFFBF_FFFF)] {
            #expect(isQuietHalfNaN(HalfPrecision.halfBits(nan), signOf: nan), "NaN \(nan.bitPattern)")
            #expect(HalfPrecision.bfloat16Bits(nan) & 0x7FC0 == 0x7FC0)
            #expect(HalfPrecision.float(bfloat16Bits: HalfPrecision.bfloat16Bits(nan)).isNaN)
        }
    }

    @Test func everyTieBetweenHalvesRoundsToEven() {
        // Midpoints between consecutive finite halves (exact in Float), and one float step
        // either side of each.
        for pattern in UInt16(0)..<0x7BFF {
            let a = Double(HalfPrecision.float(halfBits: pattern))
            let b = Double(HalfPrecision.float(halfBits: pattern + 1))
            let mid = Float((a + b) / 2)
            for x in [mid, mid.nextDown, mid.nextUp, -mid] {
                let got = HalfPrecision.halfBits(x)
                let want = referenceHalfBits(x)
                if got != want { Issue.record("x = \(x) (\(x.bitPattern)): got \(got), want \(want)"); return }
            }
        }
    }

    @Test func randomFloatsMatchSwiftFloat16() {
        var rng = SeededGenerator(seed: 2024)
        let n = 2_000_000
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let r = rng.next()
            if i % 2 == 0 {
                values[i] = Float(bitPattern: UInt32(truncatingIfNeeded: r))   // any pattern
            } else {
                // Exponents around the binary16 range, where all the interesting rounding is.
                let exponent = UInt32(95 + (r >> 32) % 55) << 23
                values[i] = Float(bitPattern: exponent | UInt32(r & 0x807F_FFFF))
            }
        }
        let bits = HalfPrecision.halfBits(values)
        var mismatches = 0
        for i in 0..<n {
            let x = values[i]
            let ok = x.isNaN ? isQuietHalfNaN(bits[i], signOf: x) : bits[i] == referenceHalfBits(x)
            if !ok {
                mismatches += 1
                if mismatches < 5 { Issue.record("x = \(x) (\(x.bitPattern)): got \(bits[i]), want \(referenceHalfBits(x))") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func bfloat16MatchesReferenceIncludingTies() {
        // Every bfloat16 pattern widens exactly and comes back; every exact tie below it
        // (low half 0x8000) rounds to even, and one bit either side rounds the right way.
        for pattern in 0...UInt16.max {
            let widened = HalfPrecision.float(bfloat16Bits: pattern)
            if widened.isNaN { continue }
            #expect(widened.bitPattern == UInt32(pattern) << 16)
            #expect(HalfPrecision.bfloat16Bits(widened) == pattern)
            let tie = UInt32(pattern) << 16 | 0x8000
            for low in [tie, tie - 1, tie + 1] {
                let x = Float(bitPattern: low)
                if x.isNaN { continue }
                let got = HalfPrecision.bfloat16Bits(x), want = referenceBFloat16Bits(x)
                if got != want { Issue.record("x bits \(low): got \(got), want \(want)"); return }
            }
        }
        #expect(HalfPrecision.bfloat16Bits(.greatestFiniteMagnitude) == 0x7F80)   // rounds to ∞
        #expect(HalfPrecision.bfloat16Bits(-0.0) == 0x8000)
        #expect(HalfPrecision.bfloat16Bits(1 + 0x1p-8) == 0x3F80)                // tie → even
        #expect(HalfPrecision.bfloat16Bits(1 + 0x1p-7 + 0x1p-8) == 0x3F82)       // tie → even

        var rng = SeededGenerator(seed: 16)
        let values = (0..<1_000_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        let bits = HalfPrecision.bfloat16Bits(values)
        var mismatches = 0
        for (x, b) in zip(values, bits) where !x.isNaN && b != referenceBFloat16Bits(x) { mismatches += 1 }
        #expect(mismatches == 0)
    }

    @Test(arguments: [0, 1, 7, 33, 65_536 + 3, 300_001])
    func bufferFormsEqualScalarForms(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count))
        let values = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0xBFFF_FFFF) }
        let half = HalfPrecision.halfBits(values)
        let bf = HalfPrecision.bfloat16Bits(values)
        #expect(half == values.map { HalfPrecision.halfBits($0) })
        #expect(bf == values.map { HalfPrecision.bfloat16Bits($0) })
        let backHalf = HalfPrecision.floats(halfBits: half)
        let backBF = HalfPrecision.floats(bfloat16Bits: bf)
        #expect(backHalf.map(\.bitPattern) == half.map { HalfPrecision.float(halfBits: $0).bitPattern })
        #expect(backBF.map(\.bitPattern) == bf.map { HalfPrecision.float(bfloat16Bits: $0).bitPattern })
    }

    @Test func negativeCountStopsWithMessage() async {
        await #expect(processExitsWith: .failure) {
            let source = UnsafeMutablePointer<Float>.allocate(capacity: 1)
            let destination = UnsafeMutablePointer<UInt16>.allocate(capacity: 1)
            HalfPrecision.convertToHalf(source, into: destination, count: -1)
        }
    }
}
