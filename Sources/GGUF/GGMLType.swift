/// The element type of a tensor in a GGUF file: ggml's `enum ggml_type`, with its block layout.
///
/// Quantized types store elements in fixed-size blocks: a block of ``blockSize`` consecutive
/// elements along `ne[0]` (the fastest-varying dimension) occupies ``bytesPerBlock`` bytes, so a
/// tensor of `n` elements takes `n / blockSize · bytesPerBlock` bytes and `ne[0]` must be a
/// multiple of ``blockSize``. Plain types (F32, F16, I8, …) have blocks of one element.
///
/// Codes and sizes follow ggml's `ggml.h` / `ggml-common.h` (`static_assert`s on the block
/// structs) and agree with the Python `gguf` package's `GGML_QUANT_SIZES` (gguf 0.19.0) except
/// for Q8_1: the package still lists the old 40-byte block (two `float`s), while ggml's
/// `block_q8_1` holds two halves and 32 quants, 36 bytes. Q8_1 is an intermediate type of
/// ggml's dot products and does not appear in model files. Codes 4, 5 (Q4_2, Q4_3) and 31–33,
/// 36–38 (interleaved layouts) were removed from ggml and are rejected as unknown.
///
/// This module reads and writes these bytes; it does not dequantize them.
public enum GGMLType: UInt32, CaseIterable, Sendable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case q8_K = 15
    case iq2_XXS = 16
    case iq2_XS = 17
    case iq3_XXS = 18
    case iq1_S = 19
    case iq4_NL = 20
    case iq3_S = 21
    case iq2_S = 22
    case iq4_XS = 23
    case i8 = 24
    case i16 = 25
    case i32 = 26
    case i64 = 27
    case f64 = 28
    case iq1_M = 29
    case bf16 = 30
    case tq1_0 = 34
    case tq2_0 = 35
    case mxfp4 = 39

    /// Elements per block: 1 for plain types, 32 for the `Q*_0`/`Q*_1` family, 256 for k-quants.
    public var blockSize: Int { layout.elements }

    /// Bytes one block occupies in the file.
    public var bytesPerBlock: Int { layout.bytes }

    /// True for types whose blocks hold more than one element.
    public var isQuantized: Bool { blockSize > 1 }

    /// ggml's upper-case name: `F32`, `Q4_1`, `Q6_K`, `BF16`, ….
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q8_1: "Q8_1"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .q8_K: "Q8_K"
        case .iq2_XXS: "IQ2_XXS"
        case .iq2_XS: "IQ2_XS"
        case .iq3_XXS: "IQ3_XXS"
        case .iq1_S: "IQ1_S"
        case .iq4_NL: "IQ4_NL"
        case .iq3_S: "IQ3_S"
        case .iq2_S: "IQ2_S"
        case .iq4_XS: "IQ4_XS"
        case .i8: "I8"
        case .i16: "I16"
        case .i32: "I32"
        case .i64: "I64"
        case .f64: "F64"
        case .iq1_M: "IQ1_M"
        case .bf16: "BF16"
        case .tq1_0: "TQ1_0"
        case .tq2_0: "TQ2_0"
        case .mxfp4: "MXFP4"
        }
    }

    public var description: String { name }

    /// `(elements, bytes)` per block.
    private var layout: (elements: Int, bytes: Int) {
        switch self {
        case .f32: (1, 4)
        case .f16: (1, 2)
        case .bf16: (1, 2)
        case .f64: (1, 8)
        case .i8: (1, 1)
        case .i16: (1, 2)
        case .i32: (1, 4)
        case .i64: (1, 8)
        case .q4_0: (32, 18)   // half d, 16 bytes of nibbles
        case .q4_1: (32, 20)   // half d, half m, 16 bytes of nibbles
        case .q5_0: (32, 22)   // half d, 4 bytes of high bits, 16 bytes of nibbles
        case .q5_1: (32, 24)   // half d, half m, 4 bytes of high bits, 16 bytes of nibbles
        case .q8_0: (32, 34)   // half d, 32 int8
        case .q8_1: (32, 36)   // half d, half s, 32 int8
        case .q2_K: (256, 84)
        case .q3_K: (256, 110)
        case .q4_K: (256, 144)
        case .q5_K: (256, 176)
        case .q6_K: (256, 210)
        case .q8_K: (256, 292)  // float d, 256 int8, 16 int16 block sums
        case .iq2_XXS: (256, 66)
        case .iq2_XS: (256, 74)
        case .iq3_XXS: (256, 98)
        case .iq1_S: (256, 50)
        case .iq4_NL: (32, 18)
        case .iq3_S: (256, 110)
        case .iq2_S: (256, 82)
        case .iq4_XS: (256, 136)
        case .iq1_M: (256, 56)
        case .tq1_0: (256, 54)
        case .tq2_0: (256, 66)
        case .mxfp4: (32, 17)
        }
    }

    /// Bytes of a tensor with dimensions `ne` (fastest-varying first), or `nil` when `ne[0]` is
    /// not a whole number of blocks, a dimension is negative, or the size overflows `Int`.
    ///
    /// `bytes = (ne[0] / blockSize) · bytesPerBlock · ne[1] · ne[2] · …` (ggml's `ggml_nbytes`
    /// for contiguous tensors). A tensor with no dimensions is a scalar of one element.
    public func byteCount(dimensions ne: [Int]) -> Int? {
        guard ne.allSatisfy({ $0 >= 0 }) else { return nil }
        let first = ne.first ?? 1
        guard first % blockSize == 0 else { return nil }
        var total = (first / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        guard !total.overflow else { return nil }
        for extent in ne.dropFirst() {
            total = total.partialValue.multipliedReportingOverflow(by: extent)
            guard !total.overflow else { return nil }
        }
        return total.partialValue
    }
}
