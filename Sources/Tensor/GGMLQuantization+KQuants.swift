/// Dequantization kernels for the k-quants: super-blocks of 256 values split into sub-blocks
/// of 16 or 32 that each carry a small integer scale (and min) relative to the super-block's
/// half `d` (and `dmin`). Layouts from ggml's `ggml-common.h` (`block_q4_K` …), formulas from
/// `dequantize_row_q*_K` / `gguf.quants`; every product is rounded in the order written.
extension GGMLQuantization {
    /// The eight 6-bit scales and mins packed in the 12 bytes at `s` (Q4_K, Q5_K), as ggml's
    /// `get_scale_min_k4`: for `j < 4`, `sc = s[j] & 63`, `m = s[j+4] & 63`; for `j ≥ 4`,
    /// `sc = (s[j+4] & 15) | (s[j−4] >> 6) << 4`, `m = (s[j+4] >> 4) | (s[j] >> 6) << 4`.
    @inline(__always)
    static func scaleMin(_ s: UnsafeRawPointer, _ j: Int) -> (scale: Float, min: Float) {
        if j < 4 {
            return (Float(byte(s, j) & 63), Float(byte(s, j + 4) & 63))
        }
        let sc = (byte(s, j + 4) & 0x0F) | (byte(s, j - 4) >> 6) << 4
        let m = (byte(s, j + 4) >> 4) | (byte(s, j) >> 6) << 4
        return (Float(sc), Float(m))
    }

    /// Q2_K, 84 bytes: `u8 scales[16]; u8 qs[64]; half d, dmin`. Value `i` (sub-block
    /// `i / 16`) is 2 bits of `qs`: half `h = i / 128`, shift `s = (i / 32) % 4`, byte
    /// `32h + i % 32`; `y = (d·(scales & 15))·q − dmin·(scales >> 4)`.
    static func q2_KKernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 84, offset: 80, fields: 2, blocks: blocks) { first, n, dm in
            for k in 0..<n {
                let x = p + (first + k) * 84, out = y + (first + k) * 256
                let d = dm[2 * k], dmin = dm[2 * k + 1]
                let qs = x + 16
                for h in 0..<2 {
                    for s in 0..<4 {
                        let o = out + 128 * h + 32 * s
                        let q = qs + 32 * h
                        let shift = UInt8(2 * s)
                        for half16 in 0..<2 {
                            let sc = byte(x, 8 * h + 2 * s + half16)
                            let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                            for l in 0..<16 {
                                let v = (byte(q, 16 * half16 + l) >> shift) & 3
                                o[16 * half16 + l] = dl * Float(v) - ml
                            }
                        }
                    }
                }
            }
        }
    }

    /// Q3_K, 110 bytes: `u8 hmask[32]; u8 qs[64]; u8 scales[12]; half d`. Sixteen 6-bit scales:
    /// `sc[i] = (low nibble of scales[i] for i < 8, high nibble of scales[i−8] otherwise)
    /// | ((scales[8 + i % 4] >> 2·(i / 4)) & 3) << 4`. Value `i`: 2 low bits as in Q2_K, minus 4
    /// when bit `i / 32` of `hmask[i % 32]` is clear; `y = (d·(sc − 32))·q`.
    static func q3_KKernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 110, offset: 108, fields: 1, blocks: blocks) { first, n, ds in
            for b in 0..<n {
                let x = p + (first + b) * 110, out = y + (first + b) * 256
                let d = ds[b]
                let hmask = x, qs = x + 32, scales = x + 96
                for h in 0..<2 {
                    for s in 0..<4 {
                        let k = 4 * h + s  // index of the hmask bit and of the 32-value group
                        let o = out + 32 * k
                        let q = qs + 32 * h
                        let shift = UInt8(2 * s)
                        for half16 in 0..<2 {
                            let i = 2 * k + half16
                            let low = i < 8 ? byte(scales, i) & 0x0F : byte(scales, i - 8) >> 4
                            let high = (byte(scales, 8 + i % 4) >> UInt8(2 * (i / 4))) & 3
                            let dl = d * Float(Int32(low | high << 4) - 32)
                            for l in 0..<16 {
                                let j = 16 * half16 + l
                                let lowBits = Int32((byte(q, j) >> shift) & 3)
                                let highBit = Int32((byte(hmask, j) >> UInt8(k)) & 1)
                                o[j] = dl * Float(lowBits - 4 + 4 * highBit)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Q4_K, 144 bytes: `half d, dmin; u8 scales[12]; u8 qs[128]`. For each group `g < 4` of
    /// 64 values, byte `qs[32g + l]` holds value `64g + l` (low nibble, scale/min `2g`) and value
    /// `64g + 32 + l` (high nibble, scale/min `2g + 1`); `y = (d·sc)·q − dmin·m` with
    /// ``scaleMin(_:_:)``.
    static func q4_KKernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 144, offset: 0, fields: 2, blocks: blocks) { first, n, dm in
            for k in 0..<n {
                let x = p + (first + k) * 144, out = y + (first + k) * 256
                let d = dm[2 * k], dmin = dm[2 * k + 1]
                let scales = x + 4, qs = x + 16
                for g in 0..<4 {
                    let (sc0, m0) = scaleMin(scales, 2 * g), (sc1, m1) = scaleMin(scales, 2 * g + 1)
                    let d0 = d * sc0, n0 = dmin * m0, d1 = d * sc1, n1 = dmin * m1
                    let q = qs + 32 * g, o = out + 64 * g
                    for l in 0..<32 {
                        let v = byte(q, l)
                        o[l] = d0 * Float(v & 0x0F) - n0
                        o[l + 32] = d1 * Float(v >> 4) - n1
                    }
                }
            }
        }
    }

    /// Q5_K, 176 bytes: `half d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]`. Nibbles as in
    /// Q4_K; the fifth bit of value `i` is bit `i / 32` of `qh[i % 32]`; `y = (d·sc)·q − dmin·m`.
    static func q5_KKernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 176, offset: 0, fields: 2, blocks: blocks) { first, n, dm in
            for k in 0..<n {
                let x = p + (first + k) * 176, out = y + (first + k) * 256
                let d = dm[2 * k], dmin = dm[2 * k + 1]
                let scales = x + 4, qh = x + 16, qs = x + 48
                for g in 0..<4 {
                    let (sc0, m0) = scaleMin(scales, 2 * g), (sc1, m1) = scaleMin(scales, 2 * g + 1)
                    let d0 = d * sc0, n0 = dmin * m0, d1 = d * sc1, n1 = dmin * m1
                    let q = qs + 32 * g, o = out + 64 * g
                    let shift0 = UInt8(2 * g), shift1 = UInt8(2 * g + 1)
                    for l in 0..<32 {
                        let v = byte(q, l), h = byte(qh, l)
                        let lo = (v & 0x0F) | ((h >> shift0) & 1) << 4
                        let hi = (v >> 4) | ((h >> shift1) & 1) << 4
                        o[l] = d0 * Float(lo) - n0
                        o[l + 32] = d1 * Float(hi) - n1
                    }
                }
            }
        }
    }

    /// Q6_K, 210 bytes: `u8 ql[128]; u8 qh[64]; i8 scales[16]; half d`. In each half `h` of 128
    /// values, for `l < 32`: value `l` is the low nibble of `ql[64h + l]` with bits 0–1 of
    /// `qh[32h + l]`, value `l + 32` the low nibble of `ql[64h + 32 + l]` with bits 2–3,
    /// value `l + 64` the high nibble of `ql[64h + l]` with bits 4–5, value `l + 96` the high
    /// nibble of `ql[64h + 32 + l]` with bits 6–7; `y = (d·scales[i / 16])·(q − 32)`.
    static func q6_KKernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        withHalfScales(p, stride: 210, offset: 208, fields: 1, blocks: blocks) { first, n, dd in
            for b in 0..<n {
                let x = p + (first + b) * 210, out = y + (first + b) * 256
                let d = dd[b]
                for h in 0..<2 {
                    let ql = x + 64 * h, qh = x + 128 + 32 * h, sc = x + 192 + 8 * h, o = out + 128 * h
                    for half16 in 0..<2 {
                        // Values 16·half16 + k of quarter r of this half use scale sc[2r + half16].
                        func scale(_ r: Int) -> Float { d * Float(Int8(bitPattern: byte(sc, 2 * r + half16))) }
                        let s0 = scale(0), s1 = scale(1), s2 = scale(2), s3 = scale(3)
                        for k in 0..<16 {
                            let l = 16 * half16 + k
                            let a = byte(ql, l), c = byte(ql, l + 32), hb = byte(qh, l)
                            let q0 = Int32((a & 0x0F) | (hb & 3) << 4) - 32
                            let q1 = Int32((c & 0x0F) | ((hb >> 2) & 3) << 4) - 32
                            let q2 = Int32((a >> 4) | ((hb >> 4) & 3) << 4) - 32
                            let q3 = Int32((c >> 4) | (hb >> 6) << 4) - 32
                            o[l] = s0 * Float(q0)
                            o[l + 32] = s1 * Float(q1)
                            o[l + 64] = s2 * Float(q2)
                            o[l + 96] = s3 * Float(q3)
                        }
                    }
                }
            }
        }
    }

    /// Q8_K, 292 bytes: `float d; i8 qs[256]; i16 bsums[16]` (the sums are ignored).
    /// `y[i] = d·qs[i]`. The `gguf` package has no Q8_K; this follows ggml's `dequantize_row_q8_K`.
    static func q8_KKernel(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let x = p + b * 292, out = y + b * 256
            let d = Float(bitPattern: UInt32(littleEndian: x.loadUnaligned(as: UInt32.self)))
            let qs = x + 4
            for i in 0..<256 {
                out[i] = d * Float(Int8(bitPattern: byte(qs, i)))
            }
        }
    }
}
