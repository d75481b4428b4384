/// Conversions between `Float` and the two 16-bit storage formats of checkpoints.
///
/// - **binary16** (IEEE 754 half, safetensors `F16`, numpy `float16`): 1 sign bit, 5 exponent
///   bits (bias 15), 10 mantissa bits. Largest finite value 65504, smallest normal 2⁻¹⁴,
///   smallest subnormal 2⁻²⁴.
/// - **bfloat16** (safetensors `BF16`, torch `bfloat16`): the upper 16 bits of a `Float` —
///   1 sign bit, 8 exponent bits (bias 127), 7 mantissa bits; the same range as `Float`.
///
/// Values travel as their bit patterns (`UInt16`), so the formats never need a Swift type of
/// their own. Every narrowing conversion rounds to nearest, ties to even (as `Float16(x)`,
/// numpy and torch do): values too large for binary16 (|x| ≥ 65520) become ±∞, values too
/// small become subnormals or ±0, ±0 and ±∞ are kept, and NaN stays NaN — made quiet, with
/// its sign and the top bits of its payload kept. Widening (`float(halfBits:)`,
/// `float(bfloat16Bits:)`) is exact for every non-NaN pattern and quiets NaNs.
///
/// The scalar functions are branch-free, so the buffer forms (`convertToHalf` …) compile to
/// vector loops in release builds; buffers of more than ``elementwiseGrain`` values are split
/// over ``Threads/count`` threads. Results never depend on the thread count.
public enum HalfPrecision {
    // MARK: Scalars

    /// The binary16 bit pattern nearest to `x` (ties to even; overflow to ±∞; NaN quieted).
    @inlinable @inline(__always)
    public static func halfBits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let sign = (bits >> 16) & 0x8000
        let a = bits & 0x7FFF_FFFF
        // Normal results: rebias the exponent (127 → 15, i.e. add -112 << 23) and round the 13
        // dropped mantissa bits to nearest even: add 0xFFF, plus 1 when the kept lsb is odd.
        // A carry out of the mantissa correctly bumps the exponent (up to 0x7C00 = ∞).
        let normal = (a &+ 0xC800_0FFF &+ ((a >> 13) & 1)) >> 13
        // Subnormal results (|x| < 2⁻¹⁴): adding 0.5 puts the float's last mantissa bit at
        // 2⁻²⁴, the binary16 subnormal step, so the FPU's own round-to-nearest-even does the
        // rounding; the mantissa bits then hold the binary16 pattern (up to 0x400 = 2⁻¹⁴).
        let half: UInt32 = 126 << 23
        let sub = (Float(bitPattern: a) + Float(bitPattern: half)).bitPattern &- half
        // |x| ≥ 65536 (or ∞) → ∞; NaN → quiet NaN keeping the top 9 payload bits.
        let special: UInt32 = a > 0x7F80_0000 ? 0x7E00 | ((a >> 13) & 0x1FF) : 0x7C00
        let magnitude = a >= 0x4780_0000 ? special : (a < 0x3880_0000 ? sub : normal)
        return UInt16(truncatingIfNeeded: magnitude | sign)
    }

    /// The `Float` value of the binary16 pattern `bits` (exact; a NaN comes back quiet).
    @inlinable @inline(__always)
    public static func float(halfBits bits: UInt16) -> Float {
        let h = UInt32(bits)
        let sign = (h & 0x8000) << 16
        let em = h & 0x7FFF                   // exponent and mantissa
        let shifted = em << 13                // mantissa into float position
        let normal = shifted &+ (112 << 23)   // rebias the exponent 15 → 127
        // Subnormal m·2⁻²⁴: read m as the mantissa of 2⁻¹⁴·(1 + m/1024), subtract 2⁻¹⁴ (exact).
        let minNormal: UInt32 = 113 << 23
        let sub = (Float(bitPattern: shifted | minNormal) - Float(bitPattern: minNormal)).bitPattern
        let special = shifted | 0x7F80_0000 | (em > 0x7C00 ? 0x0040_0000 : 0)  // ∞, quiet NaN
        let magnitude = em >= 0x7C00 ? special : (em < 0x0400 ? sub : normal)
        return Float(bitPattern: magnitude | sign)
    }

    /// The bfloat16 bit pattern nearest to `x` (ties to even; NaN quieted).
    @inlinable @inline(__always)
    public static func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        // Round the low 16 bits to nearest even; a carry bumps the exponent (max → ∞).
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
        let isNaN = (bits & 0x7FFF_FFFF) > 0x7F80_0000
        return UInt16(truncatingIfNeeded: isNaN ? (bits >> 16) | 0x0040 : rounded)
    }

    /// The `Float` value of the bfloat16 pattern `bits` (exact; a NaN comes back quiet).
    @inlinable @inline(__always)
    public static func float(bfloat16Bits bits: UInt16) -> Float {
        let b = UInt32(bits) << 16
        let isNaN = (b & 0x7FFF_FFFF) > 0x7F80_0000
        return Float(bitPattern: isNaN ? b | 0x0040_0000 : b)
    }

    // MARK: Buffers

    /// Converts `count` floats at `source` to binary16 patterns at `destination`.
    ///
    /// `destination[i] = halfBits(source[i])`. The buffers must not overlap.
    public static func convertToHalf(
        _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<UInt16>, count: Int
    ) {
        check(count >= 0, "HalfPrecision.convertToHalf: negative count \(count)")
        parallelChunks(total: count, grain: elementwiseGrain) { _, range in
            floatToHalfKernel(source + range.lowerBound, destination + range.lowerBound, range.count)
        }
    }

    /// Converts `count` binary16 patterns at `source` to floats at `destination`.
    ///
    /// `destination[i] = float(halfBits: source[i])`. The buffers must not overlap.
    public static func convertFromHalf(
        _ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        check(count >= 0, "HalfPrecision.convertFromHalf: negative count \(count)")
        parallelChunks(total: count, grain: elementwiseGrain) { _, range in
            halfToFloatKernel(source + range.lowerBound, destination + range.lowerBound, range.count)
        }
    }

    /// Converts `count` floats at `source` to bfloat16 patterns at `destination`.
    ///
    /// `destination[i] = bfloat16Bits(source[i])`. The buffers must not overlap.
    public static func convertToBFloat16(
        _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<UInt16>, count: Int
    ) {
        check(count >= 0, "HalfPrecision.convertToBFloat16: negative count \(count)")
        parallelChunks(total: count, grain: elementwiseGrain) { _, range in
            floatToBFloat16Kernel(source + range.lowerBound, destination + range.lowerBound, range.count)
        }
    }

    /// Converts `count` bfloat16 patterns at `source` to floats at `destination`.
    ///
    /// `destination[i] = float(bfloat16Bits: source[i])`. The buffers must not overlap.
    public static func convertFromBFloat16(
        _ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        check(count >= 0, "HalfPrecision.convertFromBFloat16: negative count \(count)")
        parallelChunks(total: count, grain: elementwiseGrain) { _, range in
            bfloat16ToFloatKernel(source + range.lowerBound, destination + range.lowerBound, range.count)
        }
    }

    // MARK: Arrays

    /// The binary16 patterns of `values`.
    public static func halfBits(_ values: [Float]) -> [UInt16] {
        if values.isEmpty { return [] }
        return [UInt16](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { convertToHalf($0.baseAddress!, into: out.baseAddress!, count: $0.count) }
            initialized = values.count
        }
    }

    /// The floats of binary16 patterns `bits`.
    public static func floats(halfBits bits: [UInt16]) -> [Float] {
        if bits.isEmpty { return [] }
        return [Float](unsafeUninitializedCapacity: bits.count) { out, initialized in
            bits.withUnsafeBufferPointer { convertFromHalf($0.baseAddress!, into: out.baseAddress!, count: $0.count) }
            initialized = bits.count
        }
    }

    /// The bfloat16 patterns of `values`.
    public static func bfloat16Bits(_ values: [Float]) -> [UInt16] {
        if values.isEmpty { return [] }
        return [UInt16](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { convertToBFloat16($0.baseAddress!, into: out.baseAddress!, count: $0.count) }
            initialized = values.count
        }
    }

    /// The floats of bfloat16 patterns `bits`.
    public static func floats(bfloat16Bits bits: [UInt16]) -> [Float] {
        if bits.isEmpty { return [] }
        return [Float](unsafeUninitializedCapacity: bits.count) { out, initialized in
            bits.withUnsafeBufferPointer { convertFromBFloat16($0.baseAddress!, into: out.baseAddress!, count: $0.count) }
            initialized = bits.count
        }
    }

    // MARK: Kernels (one chunk, one thread; plain loops the optimiser vectorises)

    @usableFromInline
    static func floatToHalfKernel(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<UInt16>, _ n: Int) {
        for i in 0..<n { d[i] = halfBits(s[i]) }
    }

    @usableFromInline
    static func halfToFloatKernel(_ s: UnsafePointer<UInt16>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { d[i] = float(halfBits: s[i]) }
    }

    @usableFromInline
    static func floatToBFloat16Kernel(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<UInt16>, _ n: Int) {
        for i in 0..<n { d[i] = bfloat16Bits(s[i]) }
    }

    @usableFromInline
    static func bfloat16ToFloatKernel(_ s: UnsafePointer<UInt16>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { d[i] = float(bfloat16Bits: s[i]) }
    }
}
