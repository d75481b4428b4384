import GGUF

/// The slow, obviously right dequantizers: one value at a time, each read straight from the
/// block layout by its index. Tests hold the block kernels against these on random bytes.
extension GGMLQuantization {
    /// Value `i` of the tensor of `type` whose blocks start at `p`.
    static func referenceValue(_ type: GGMLType, _ p: UnsafeRawPointer, _ i: Int) -> Float {
        let x = p + (i / type.blockSize) * type.bytesPerBlock
        let j = i % type.blockSize
        switch type {
        case .f32:
            return Float(bitPattern: UInt32(littleEndian: x.loadUnaligned(as: UInt32.self)))
        case .f16:
            return half(x, 0)
        case .bf16:
            return HalfPrecision.float(bfloat16Bits: UInt16(littleEndian: x.loadUnaligned(as: UInt16.self)))
        case .q4_0:
            return half(x, 0) * Float(Int(nibble32(x + 2, j)) - 8)
        case .q4_1:
            return half(x, 0) * Float(nibble32(x + 4, j)) + half(x, 2)
        case .q5_0:
            return half(x, 0) * Float(Int(nibble32(x + 6, j) | bit(x + 2, j) << 4) - 16)
        case .q5_1:
            return half(x, 0) * Float(nibble32(x + 8, j) | bit(x + 4, j) << 4) + half(x, 2)
        case .q8_0:
            return half(x, 0) * Float(Int8(bitPattern: byte(x, 2 + j)))
        case .q2_K:
            let sc = byte(x, j / 16)
            let q = (byte(x, 16 + 32 * (j / 128) + j % 32) >> UInt8(2 * ((j / 32) % 4))) & 3
            return (half(x, 80) * Float(sc & 15)) * Float(q) - half(x, 82) * Float(sc >> 4)
        case .q3_K:
            let s = j / 16
            let low = s < 8 ? byte(x, 96 + s) & 15 : byte(x, 96 + s - 8) >> 4
            let high = (byte(x, 104 + s % 4) >> UInt8(2 * (s / 4))) & 3
            let q2 = Int((byte(x, 32 + 32 * (j / 128) + j % 32) >> UInt8(2 * ((j / 32) % 4))) & 3)
            let hbit = Int(bit(x, (j % 32) * 8 + j / 32))
            return (half(x, 108) * Float(Int(low | high << 4) - 32)) * Float(q2 - (hbit == 1 ? 0 : 4))
        case .q4_K:
            let g = j / 64, sub = j / 32
            let byteValue = byte(x, 16 + 32 * g + j % 32)
            let q = sub % 2 == 0 ? byteValue & 15 : byteValue >> 4
            let (sc, m) = scaleMin(x + 4, sub)
            return (half(x, 0) * sc) * Float(q) - half(x, 2) * m
        case .q5_K:
            let g = j / 64, sub = j / 32
            let byteValue = byte(x, 48 + 32 * g + j % 32)
            let q = (sub % 2 == 0 ? byteValue & 15 : byteValue >> 4) | bit(x + 16, (j % 32) * 8 + sub) << 4
            let (sc, m) = scaleMin(x + 4, sub)
            return (half(x, 0) * sc) * Float(q) - half(x, 2) * m
        case .q6_K:
            let h = j / 128, r = j % 128, quarter = r / 32, l = r % 32
            let qlByte = byte(x, 64 * h + 32 * (quarter % 2) + l)
            let low = quarter < 2 ? qlByte & 15 : qlByte >> 4
            let high = (byte(x, 128 + 32 * h + l) >> UInt8(2 * quarter)) & 3
            let scale = Float(Int8(bitPattern: byte(x, 192 + j / 16)))
            return (half(x, 208) * scale) * Float(Int(low | high << 4) - 32)
        case .q8_K:
            let d = Float(bitPattern: UInt32(littleEndian: x.loadUnaligned(as: UInt32.self)))
            return d * Float(Int8(bitPattern: byte(x, 4 + j)))
        default:
            fatalError("GGMLQuantization.referenceValue: no reference for \(type)")
        }
    }

    /// The 4-bit value `j` of a 32-value block whose 16 nibble bytes start at `qs`: the low
    /// nibble of `qs[j]` for `j < 16`, the high nibble of `qs[j − 16]` otherwise.
    private static func nibble32(_ qs: UnsafeRawPointer, _ j: Int) -> UInt8 {
        j < 16 ? byte(qs, j) & 15 : byte(qs, j - 16) >> 4
    }

    /// Bit `k` of the little-endian bit string at `p` (bit `k % 8` of byte `k / 8`).
    private static func bit(_ p: UnsafeRawPointer, _ k: Int) -> UInt8 {
        (byte(p, k / 8) >> UInt8(k % 8)) & 1
    }
}
