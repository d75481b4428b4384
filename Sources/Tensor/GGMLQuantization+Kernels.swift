/// Dequantization kernels for the plain types and the 32-value block types (Q4_0, Q4_1, Q5_0,
/// Q5_1, Q8_0). Each reads `blocks` consecutive blocks at `p` and writes
/// `blocks · blockSize` floats at `y`; one chunk, one thread. Fields are read with unaligned
/// little-endian loads, so any byte offset works. The inner loops have a fixed trip count of 16
/// or 32 and compile to vector code in release builds.
extension GGMLQuantization {
    // MARK: Plain types

    /// F32: a copy (the host is little-endian, as GGUF).
    static func f32Kernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        UnsafeMutableRawPointer(y).copyMemory(from: p, byteCount: n * 4)
    }

    /// F16: ``HalfPrecision`` widening (exact); unaligned input goes through a loaded copy.
    static func f16Kernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if Int(bitPattern: p) % 2 == 0 {
            HalfPrecision.halfToFloatKernel(p.assumingMemoryBound(to: UInt16.self), y, n)
        } else {
            for i in 0..<n { y[i] = half(p, 2 * i) }
        }
    }

    /// BF16: the bits shifted into the upper half of a `Float` (exact; NaNs come back quiet).
    static func bf16Kernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if Int(bitPattern: p) % 2 == 0 {
            HalfPrecision.bfloat16ToFloatKernel(p.assumingMemoryBound(to: UInt16.self), y, n)
        } else {
            for i in 0..<n {
                let bits = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                y[i] = HalfPrecision.float(bfloat16Bits: bits)
            }
        }
    }

    // MARK: 32-value blocks

    /// Q4_0, 18 bytes: `half d; u8 qs[16]`. `y[j] = d·((qs[j] & 15) − 8)`,
    /// `y[j+16] = d·((qs[j] >> 4) − 8)` for `j < 16`.
    static func q4_0Kernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 18, offset: 0, fields: 1, blocks: blocks) { first, n, scales in
            for k in 0..<n {
                let qs = p + (first + k) * 18 + 2, out = y + (first + k) * 32
                let d = scales[k]
                for j in 0..<16 {
                    let q = byte(qs, j)
                    out[j] = d * Float(Int32(q & 0x0F) &- 8)
                    out[j + 16] = d * Float(Int32(q >> 4) &- 8)
                }
            }
        }
    }

    /// Q4_1, 20 bytes: `half d, m; u8 qs[16]`. `y[j] = d·(qs[j] & 15) + m`,
    /// `y[j+16] = d·(qs[j] >> 4) + m`.
    static func q4_1Kernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 20, offset: 0, fields: 2, blocks: blocks) { first, n, scales in
            for k in 0..<n {
                let qs = p + (first + k) * 20 + 4, out = y + (first + k) * 32
                let d = scales[2 * k], m = scales[2 * k + 1]
                for j in 0..<16 {
                    let q = byte(qs, j)
                    out[j] = d * Float(q & 0x0F) + m
                    out[j + 16] = d * Float(q >> 4) + m
                }
            }
        }
    }

    /// Q5_0, 22 bytes: `half d; u32 qh; u8 qs[16]`. The fifth bit of value `j` is bit `j` of
    /// `qh`: `y[j] = d·(((qs[j] & 15) | bit(j) << 4) − 16)`,
    /// `y[j+16] = d·(((qs[j] >> 4) | bit(j+16) << 4) − 16)`.
    static func q5_0Kernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 22, offset: 0, fields: 1, blocks: blocks) { first, n, scales in
            for k in 0..<n {
                let x = p + (first + k) * 22, out = y + (first + k) * 32
                let d = scales[k]
                let qh = UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
                let qs = x + 6
                for j in 0..<16 {
                    let q = UInt32(byte(qs, j))
                    let lo = (q & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
                    let hi = (q >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                    out[j] = d * Float(Int32(bitPattern: lo) &- 16)
                    out[j + 16] = d * Float(Int32(bitPattern: hi) &- 16)
                }
            }
        }
    }

    /// Q5_1, 24 bytes: `half d, m; u32 qh; u8 qs[16]`. Bits as in Q5_0, `y = d·q + m`.
    static func q5_1Kernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 24, offset: 0, fields: 2, blocks: blocks) { first, n, scales in
            for k in 0..<n {
                let x = p + (first + k) * 24, out = y + (first + k) * 32
                let d = scales[2 * k], m = scales[2 * k + 1]
                let qh = UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                let qs = x + 8
                for j in 0..<16 {
                    let q = UInt32(byte(qs, j))
                    let lo = (q & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
                    let hi = (q >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                    out[j] = d * Float(lo) + m
                    out[j + 16] = d * Float(hi) + m
                }
            }
        }
    }

    /// Q8_0, 34 bytes: `half d; i8 qs[32]`. `y[j] = d·qs[j]`.
    static func q8_0Kernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 34, offset: 0, fields: 1, blocks: blocks) { first, n, scales in
            for k in 0..<n {
                let qs = p + (first + k) * 34 + 2, out = y + (first + k) * 32
                let d = scales[k]
                for j in 0..<32 {
                    out[j] = d * Float(Int8(bitPattern: byte(qs, j)))
                }
            }
        }
    }
}
