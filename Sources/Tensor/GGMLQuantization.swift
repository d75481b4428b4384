import Foundation
import GGUF

/// Kernels and helpers behind ``Tensor/dequantize(_:type:count:into:)`` and the quantizers; the
/// block layouts are tabulated on that method.
enum GGMLQuantization {
    /// Types ``Tensor/dequantize(_:type:count:into:)`` reads.
    static let dequantizableTypes: [GGMLType] = [
        .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
    ]

    /// Blocks per parallel chunk: about ``elementwiseGrain`` output floats.
    static func grain(_ type: GGMLType) -> Int { max(1, elementwiseGrain / type.blockSize) }

    /// The kernel that dequantizes `blocks` consecutive blocks of `type` from `source` to
    /// `destination`, or `nil` for a type without one.
    typealias Kernel = (_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ blocks: Int) -> Void

    static func kernel(_ type: GGMLType) -> Kernel? {
        switch type {
        case .f32: f32Kernel
        case .f16: f16Kernel
        case .bf16: bf16Kernel
        case .q4_0: q4_0Kernel
        case .q4_1: q4_1Kernel
        case .q5_0: q5_0Kernel
        case .q5_1: q5_1Kernel
        case .q8_0: q8_0Kernel
        case .q2_K: q2_KKernel
        case .q3_K: q3_KKernel
        case .q4_K: q4_KKernel
        case .q5_K: q5_KKernel
        case .q6_K: q6_KKernel
        case .q8_K: q8_KKernel
        default: nil
        }
    }

    /// Bytes of `count` values of `type`, or a thrown error when `count` is negative, not whole
    /// blocks, or overflows.
    static func byteCount(type: GGMLType, count: Int) throws(GGMLQuantizationError) -> Int {
        guard count >= 0, count % type.blockSize == 0 else { throw .partialBlock(type: type, count: count) }
        let (bytes, overflow) = (count / type.blockSize).multipliedReportingOverflow(by: type.bytesPerBlock)
        guard !overflow else { throw .partialBlock(type: type, count: count) }
        return bytes
    }

    // MARK: Field readers

    /// The little-endian binary16 at `offset`, widened to `Float`.
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfPrecision.float(halfBits: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Blocks whose binary16 scales are widened together, before their values are computed.
    static let scaleGroup = 64

    /// Calls `body` for consecutive groups of at most ``scaleGroup`` of the `blocks` blocks of
    /// `stride` bytes at `p`, with `scales[fields·k + f]` the binary16 at byte `offset + 2f` of
    /// block `first + k`, widened.
    ///
    /// The scales of a group are gathered into a stack buffer and widened by
    /// ``HalfPrecision``'s vector kernel: converting each block's scale inline costs a branchy
    /// scalar conversion (or, with F16C, a dependency chain through one register) per block.
    @inline(__always)
    static func withHalfScales(
        _ p: UnsafeRawPointer, stride: Int, offset: Int, fields: Int, blocks: Int,
        _ body: (_ first: Int, _ count: Int, _ scales: UnsafePointer<Float>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: scaleGroup * fields) { bits in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: scaleGroup * fields) { scales in
                let bits = bits.baseAddress!, scales = scales.baseAddress!
                var first = 0
                while first < blocks {
                    let n = min(scaleGroup, blocks - first)
                    let base = p + first * stride + offset
                    for k in 0..<n {
                        for f in 0..<fields {
                            bits[fields * k + f] = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: k * stride + 2 * f, as: UInt16.self))
                        }
                    }
                    HalfPrecision.halfToFloatKernel(bits, scales, n * fields)
                    body(first, n, scales)
                    first += n
                }
            }
        }
    }

    /// The byte at `offset`.
    @inline(__always)
    static func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }
}

// MARK: - Errors

/// Bytes that cannot be (de)quantized as asked: an unsupported type, a count that is not whole
/// blocks, a byte buffer of the wrong size, or a destination too small.
///
/// ```
/// Q4_K: 300 values are not a whole number of blocks of 256
/// ```
public enum GGMLQuantizationError: Error, LocalizedError, Equatable, Sendable {
    /// Lore has no dequantizer for this type (the IQ, TQ and MXFP4 families, integer types, F64).
    case unsupportedType(GGMLType)
    /// `count` is negative or not a multiple of the type's block size.
    case partialBlock(type: GGMLType, count: Int)
    /// A shape with a negative dimension, or whose last (fastest-varying) dimension is not a
    /// multiple of the type's block size.
    case invalidShape(type: GGMLType, shape: [Int])
    /// `count` values of `type` take `expected` bytes; the buffer holds `actual`.
    case sizeMismatch(type: GGMLType, count: Int, expected: Int, actual: Int)
    /// The destination holds `capacity` floats, fewer than the `count` to write.
    case destinationTooSmall(count: Int, capacity: Int)
    /// The error `reason` met while loading tensor `tensor` of the GGUF file at `path`.
    indirect case inTensor(path: String, tensor: String, reason: GGMLQuantizationError)

    public var errorDescription: String? {
        switch self {
        case .unsupportedType(let type):
            let supported = GGMLQuantization.dequantizableTypes.map(\.name).joined(separator: ", ")
            return "\(type): cannot dequantize this type — Lore reads \(supported)"
        case .partialBlock(let type, let count):
            return "\(type): \(count) values are not a whole number of blocks of \(type.blockSize)"
        case .invalidShape(let type, let shape):
            return "\(type): shape \(describeShape(shape)) needs non-negative dimensions and a last dimension that is a multiple of the block of \(type.blockSize)"
        case .sizeMismatch(let type, let count, let expected, let actual):
            return "\(type): \(count) values take \(expected) bytes (\(count / max(1, type.blockSize)) blocks of \(type.bytesPerBlock)), but the buffer holds \(actual) bytes — truncated or of another type"
        case .destinationTooSmall(let count, let capacity):
            return "the destination holds \(capacity) floats, fewer than the \(count) values to dequantize"
        case .inTensor(let path, let tensor, let reason):
            return "\(path): tensor '\(tensor)': \(reason.errorDescription ?? "\(reason)")"
        }
    }
}

// MARK: - Public API

extension Tensor {
    /// Dequantizes `count` consecutive values stored as `type` from `bytes` into `destination`.
    ///
    /// A row of a quantized tensor is a run of blocks of ``GGUF/GGMLType/blockSize`` values in
    /// ``GGUF/GGMLType/bytesPerBlock`` bytes. Fields are little-endian; `half` is a binary16
    /// scale, widened exactly by ``HalfPrecision/float(halfBits:)``. Layouts from ggml's
    /// `ggml-common.h`, formulas from its `dequantize_row_*` and the Python `gguf.quants`:
    ///
    /// | type | block | bytes | layout | value |
    /// | --- | --- | --- | --- | --- |
    /// | F32  | 1   | 4   | `float` | `x` |
    /// | F16  | 1   | 2   | `half` | `x` |
    /// | BF16 | 1   | 2   | the upper 16 bits of a `float` | `x` |
    /// | Q4_0 | 32  | 18  | `half d; u8 qs[16]` | `d·(q − 8)` |
    /// | Q4_1 | 32  | 20  | `half d, m; u8 qs[16]` | `d·q + m` |
    /// | Q5_0 | 32  | 22  | `half d; u32 qh; u8 qs[16]` | `d·(q − 16)` |
    /// | Q5_1 | 32  | 24  | `half d, m; u32 qh; u8 qs[16]` | `d·q + m` |
    /// | Q8_0 | 32  | 34  | `half d; i8 qs[32]` | `d·q` |
    /// | Q2_K | 256 | 84  | `u8 scales[16], qs[64]; half d, dmin` | `(d·sc)·q − dmin·m` |
    /// | Q3_K | 256 | 110 | `u8 hmask[32], qs[64], scales[12]; half d` | `(d·(sc − 32))·q` |
    /// | Q4_K | 256 | 144 | `half d, dmin; u8 scales[12], qs[128]` | `(d·sc)·q − dmin·m` |
    /// | Q5_K | 256 | 176 | `half d, dmin; u8 scales[12], qh[32], qs[128]` | `(d·sc)·q − dmin·m` |
    /// | Q6_K | 256 | 210 | `u8 ql[128], qh[64]; i8 scales[16]; half d` | `(d·sc)·(q − 32)` |
    /// | Q8_K | 256 | 292 | `float d; i8 qs[256]; i16 bsums[16]` | `d·q` |
    ///
    /// In the 32-value types, value `j < 16` is the low nibble of `qs[j]` and value `j + 16` its
    /// high nibble; Q5 types take the fifth bit of value `j` from bit `j` of `qh`. In the
    /// k-quants (`K`), each sub-block of 16 or 32 values has its own 4-, 6- or 8-bit scale `sc`
    /// (and min `m`) relative to the half `d` (and `dmin`); the bit positions are spelled out on
    /// the kernels in `GGMLQuantization+KQuants.swift`. Every product is rounded as written, with
    /// no fused multiply-add, so results equal `gguf.quants.dequantize` (float32 numpy) bit for
    /// bit; NaN patterns in F16/BF16 come back quiet. More than 64 Ki values are split by blocks
    /// over ``Threads/count`` threads; results do not depend on the thread count.
    ///
    /// - Parameters:
    ///   - bytes: the raw blocks, any alignment; the first `count / blockSize · bytesPerBlock`
    ///     bytes are read.
    ///   - type: their storage type (those in the table).
    ///   - count: values to produce; a multiple of `type.blockSize`.
    ///   - destination: receives the values in order; at least `count` floats.
    /// - Throws: ``GGMLQuantizationError/unsupportedType(_:)`` for other types,
    ///   ``GGMLQuantizationError/partialBlock(type:count:)``,
    ///   ``GGMLQuantizationError/sizeMismatch(type:count:expected:actual:)`` when `bytes` is
    ///   shorter than `count` values need, ``GGMLQuantizationError/destinationTooSmall(count:capacity:)``.
    public static func dequantize(
        _ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int, into destination: UnsafeMutableBufferPointer<Float>
    ) throws {
        try dequantizeChecked(bytes, type: type, count: count, into: destination)
    }

    /// A tensor of `shape` dequantized from the raw bytes of a `type` tensor.
    ///
    /// The values are row-major in the order GGUF stores them, so `shape` is
    /// ``GGUF/GGUFTensorInfo/shape`` (ggml's `ne` reversed) and its last dimension is a whole
    /// number of blocks. `bytes` must hold exactly the tensor. See
    /// ``dequantize(_:type:count:into:)`` for the formulas.
    ///
    /// - Parameters:
    ///   - bytes: exactly `shape`'s element count / `type.blockSize` · `type.bytesPerBlock` bytes.
    ///   - type: the storage type.
    ///   - shape: the row-major shape, `[]` for a scalar.
    /// - Throws: ``GGMLQuantizationError`` (unsupported type, invalid shape, size mismatch).
    public static func dequantized(_ bytes: UnsafeRawBufferPointer, type: GGMLType, shape: [Int]) throws -> Tensor {
        guard shape.allSatisfy({ $0 >= 0 }), (shape.last ?? 1) % type.blockSize == 0 else {
            throw GGMLQuantizationError.invalidShape(type: type, shape: shape)
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw GGMLQuantizationError.invalidShape(type: type, shape: shape) }
            count = p
        }
        guard GGMLQuantization.kernel(type) != nil else {
            throw GGMLQuantizationError.unsupportedType(type)
        }
        let expected = try GGMLQuantization.byteCount(type: type, count: count)
        guard bytes.count == expected else {
            throw GGMLQuantizationError.sizeMismatch(type: type, count: count, expected: expected, actual: bytes.count)
        }
        var result = Tensor(uninitializedShape: shape)
        try result.withUnsafeMutableBufferPointer { out in
            try dequantizeChecked(bytes, type: type, count: count, into: out)
        }
        return result
    }

    /// Quantizes `values` to Q8_0, as llama.cpp's `quantize_row_q8_0_ref` and `gguf.quants`.
    ///
    /// Each block of 32 values becomes `half d; i8 qs[32]` (34 bytes) with `amax = max |x|`,
    /// `d = amax / 127` (stored rounded to binary16), `id = 1/d` (0 when `d = 0`) and
    /// `q = round(x · id)`, rounding halves away from zero. `id` comes from the unrounded `d`,
    /// as in the reference. Non-finite inputs give unspecified bytes.
    ///
    /// - Parameter values: a multiple of 32 values.
    /// - Returns: `values.count / 32 · 34` bytes.
    /// - Throws: ``GGMLQuantizationError/partialBlock(type:count:)``.
    public static func quantizeQ8_0(_ values: UnsafeBufferPointer<Float>) throws -> [UInt8] {
        try GGMLQuantization.quantize(values, type: .q8_0, GGMLQuantization.q8_0QuantizeBlock)
    }

    /// Quantizes `values` to Q4_0, as llama.cpp's `quantize_row_q4_0_ref` and `gguf.quants`.
    ///
    /// Each block of 32 values becomes `half d; u8 qs[16]` (18 bytes): `max` is the value of
    /// largest magnitude (the first one on ties), `d = max / −8`, `id = 1/d` (0 when `d = 0`),
    /// `q = min(15, trunc(x · id + 8.5))`; value `j < 16` goes to the low nibble of `qs[j]`,
    /// value `j + 16` to its high nibble. Non-finite inputs give unspecified bytes.
    ///
    /// - Parameter values: a multiple of 32 values.
    /// - Returns: `values.count / 32 · 18` bytes.
    /// - Throws: ``GGMLQuantizationError/partialBlock(type:count:)``.
    public static func quantizeQ4_0(_ values: UnsafeBufferPointer<Float>) throws -> [UInt8] {
        try GGMLQuantization.quantize(values, type: .q4_0, GGMLQuantization.q4_0QuantizeBlock)
    }

    /// Quantizes `values` to Q4_1, as llama.cpp's `quantize_row_q4_1_ref` and `gguf.quants`.
    ///
    /// Each block of 32 values becomes `half d, m; u8 qs[16]` (20 bytes): `m = min x`,
    /// `d = (max x − min x) / 15`, `id = 1/d` (0 when `d = 0`),
    /// `q = min(15, trunc((x − m) · id + 0.5))`, nibbles as in Q4_0. Non-finite inputs give
    /// unspecified bytes.
    ///
    /// - Parameter values: a multiple of 32 values.
    /// - Returns: `values.count / 32 · 20` bytes.
    /// - Throws: ``GGMLQuantizationError/partialBlock(type:count:)``.
    public static func quantizeQ4_1(_ values: UnsafeBufferPointer<Float>) throws -> [UInt8] {
        try GGMLQuantization.quantize(values, type: .q4_1, GGMLQuantization.q4_1QuantizeBlock)
    }

    /// Checks sizes, then runs the type's kernel over the blocks in parallel.
    static func dequantizeChecked(
        _ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int, into destination: UnsafeMutableBufferPointer<Float>
    ) throws(GGMLQuantizationError) {
        guard let kernel = GGMLQuantization.kernel(type) else { throw .unsupportedType(type) }
        let needed = try GGMLQuantization.byteCount(type: type, count: count)
        guard bytes.count >= needed else {
            throw .sizeMismatch(type: type, count: count, expected: needed, actual: bytes.count)
        }
        guard destination.count >= count else { throw .destinationTooSmall(count: count, capacity: destination.count) }
        guard count > 0, let source = bytes.baseAddress, let output = destination.baseAddress else { return }
        let blocks = count / type.blockSize
        let stride = type.bytesPerBlock, width = type.blockSize
        parallelChunks(total: blocks, grain: GGMLQuantization.grain(type)) { _, range in
            kernel(source + range.lowerBound * stride, output + range.lowerBound * width, range.count)
        }
    }
}

// MARK: - Quantization driver

extension GGMLQuantization {
    /// Quantizes one block of `type.blockSize` floats into `type.bytesPerBlock` bytes.
    typealias QuantizeBlock = (_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) -> Void

    static func quantize(_ values: UnsafeBufferPointer<Float>, type: GGMLType, _ block: QuantizeBlock) throws(GGMLQuantizationError) -> [UInt8] {
        let byteCount = try byteCount(type: type, count: values.count)
        guard byteCount > 0, let x = values.baseAddress else { return [] }
        let stride = type.bytesPerBlock, width = type.blockSize
        return [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            let base = UnsafeMutableRawPointer(out.baseAddress!)
            parallelChunks(total: values.count / width, grain: grain(type)) { _, range in
                for b in range { block(x + b * width, base + b * stride) }
            }
            initialized = byteCount
        }
    }

    /// Stores `value` as little-endian binary16 at `offset`.
    @inline(__always)
    static func storeHalf(_ value: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: HalfPrecision.halfBits(value).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// `min(15, trunc(v))` for `v ≥ 0`; 0 for negative or NaN `v` (reached only from
    /// non-finite inputs), so odd inputs never trap.
    @inline(__always)
    static func nibble(_ v: Float) -> UInt8 {
        v >= 15 ? 15 : v >= 0 ? UInt8(v.rounded(.towardZero)) : 0
    }

    /// `v` clamped to `−128…127`; 0 for NaN (reached only from non-finite inputs).
    @inline(__always)
    static func int8(_ v: Float) -> Int8 {
        v >= 127 ? 127 : v <= -128 ? -128 : v.isNaN ? 0 : Int8(v)
    }

    static func q8_0QuantizeBlock(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d == 0 ? 0 : 1 / d
        storeHalf(d, out, 0)
        for j in 0..<32 {
            out.storeBytes(of: int8((x[j] * id).rounded(.toNearestOrAwayFromZero)), toByteOffset: 2 + j, as: Int8.self)
        }
    }

    static func q4_0QuantizeBlock(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0, extreme: Float = 0
        for j in 0..<32 where abs(x[j]) > amax {
            amax = abs(x[j])
            extreme = x[j]
        }
        let d = extreme / -8
        let id: Float = d == 0 ? 0 : 1 / d
        storeHalf(d, out, 0)
        for j in 0..<16 {
            let lo = nibble(x[j] * id + 8.5), hi = nibble(x[j + 16] * id + 8.5)
            out.storeBytes(of: lo | hi << 4, toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    static func q4_1QuantizeBlock(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var lo = x[0], hi = x[0]
        for j in 1..<32 {
            lo = min(lo, x[j])
            hi = max(hi, x[j])
        }
        let d = (hi - lo) / 15
        let id: Float = d == 0 ? 0 : 1 / d
        storeHalf(d, out, 0)
        storeHalf(lo, out, 2)
        for j in 0..<16 {
            let q0 = nibble((x[j] - lo) * id + 0.5), q1 = nibble((x[j + 16] - lo) * id + 0.5)
            out.storeBytes(of: q0 | q1 << 4, toByteOffset: 4 + j, as: UInt8.self)
        }
    }
}
