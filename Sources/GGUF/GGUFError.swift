import Foundation

/// A GGUF file that cannot be read or written, naming the file, the byte offset where the
/// problem was found, the metadata key or tensor involved, what is wrong and a hint.
///
/// ```
/// model.gguf: byte 1062: key 'tokenizer.ggml.tokens': array of 49152 STRING needs at least
/// 393216 bytes but only 1000 remain — the file is truncated; copy or download it again
/// ```
public struct GGUFError: Error, LocalizedError, Equatable, Sendable {
    /// What is wrong.
    public enum Reason: Equatable, Sendable {
        /// The file could not be opened, read, mapped or written (system reason).
        case io(String)
        /// The first four bytes are not `GGUF`.
        case badMagic(found: [UInt8])
        /// A version this reader does not handle (1, or newer than 3; `bigEndian` when the
        /// byte-swapped version would be valid — a file for big-endian machines).
        case unsupportedVersion(UInt32, bigEndian: Bool)
        /// The file ends inside a field: `needed` bytes of `field` at the offset, `available` left.
        case truncated(field: String, needed: Int, available: Int)
        /// A count or length promises more bytes than the file has left (`what` names it).
        case countTooLarge(what: String, count: UInt64, minimumBytes: UInt64, available: Int)
        /// A metadata value type code outside 0…12.
        case unknownValueType(UInt32)
        /// A tensor type code that is not a known ggml type.
        case unknownTensorType(UInt32)
        /// A string (key, value or tensor name) is not valid UTF-8.
        case invalidUTF8
        /// Arrays nest more deeply than ``GGUFFile/maximumArrayDepth``.
        case arrayNestingTooDeep(limit: Int)
        /// The key appears twice in the metadata.
        case duplicateKey
        /// The tensor name appears twice.
        case duplicateTensor
        /// `n_dims` exceeds ``GGUFFile/maximumDimensions``.
        case tooManyDimensions(UInt32)
        /// A dimension exceeds `Int64.max` (negative as ggml's `int64_t`).
        case invalidDimension(UInt64)
        /// `ne[0]` is not a multiple of the type's block size.
        case partialBlock(type: GGMLType, firstDimension: Int)
        /// The tensor's byte size overflows.
        case sizeOverflow(dimensions: [Int])
        /// `general.alignment` is not a power of two, or not a `UINT32`.
        case invalidAlignment(String)
        /// The tensor's offset is not a multiple of the alignment.
        case misalignedOffset(offset: UInt64, alignment: Int)
        /// The tensor's bytes `begin..<end` of the data section lie past the end of the file.
        case dataOutOfRange(begin: UInt64, end: UInt64, dataSize: Int)
        /// This tensor's bytes begin before the previous tensor (in offset order) ends.
        case overlap(previous: String, previousEnd: Int, begin: Int)
        /// No metadata entry has this key.
        case missingKey
        /// The value has another type than the accessor reads.
        case wrongType(expected: String, found: String)
        /// The value does not fit the requested Swift type.
        case valueOutOfRange(value: String, type: String)
        /// No tensor has this name.
        case tensorNotFound
    }

    /// The file read or written.
    public let path: String
    /// Byte offset in the file where the problem was found, when it has one.
    public let offset: Int?
    /// The metadata key involved, if any.
    public let key: String?
    /// The tensor involved, if any.
    public let tensor: String?
    /// What is wrong.
    public let reason: Reason

    public init(path: String, offset: Int? = nil, key: String? = nil, tensor: String? = nil, reason: Reason) {
        self.path = path
        self.offset = offset
        self.key = key
        self.tensor = tensor
        self.reason = reason
    }

    public var errorDescription: String? {
        var parts = [path]
        if let offset { parts.append("byte \(offset)") }
        if let key { parts.append("key '\(key)'") }
        if let tensor { parts.append("tensor '\(tensor)'") }
        parts.append(reason.explanation)
        return parts.joined(separator: ": ")
    }
}

extension GGUFError.Reason {
    /// One sentence: the problem, then a hint after a dash.
    var explanation: String {
        let truncatedHint = "the file is truncated or corrupt; copy or download it again"
        switch self {
        case .io(let why):
            return why
        case .badMagic(let found):
            let text = found.map { (32...126).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            return "the file begins with \"\(text)\", not \"GGUF\" — not a GGUF file"
        case .unsupportedVersion(let version, let bigEndian):
            if bigEndian { return "version \(version.byteSwapped) in big-endian byte order — only little-endian GGUF files are supported" }
            if version == 1 { return "GGUF version 1 (32-bit counts) is not supported — convert the model again with a current llama.cpp" }
            return "GGUF version \(version) is not supported (this reader handles versions 2 and 3)"
        case .truncated(let field, let needed, let available):
            return "the file ends inside \(field): \(needed) bytes needed, \(available) left — \(truncatedHint)"
        case .countTooLarge(let what, let count, let minimum, let available):
            return "\(what) of \(count) needs at least \(minimum) bytes but only \(available) remain — \(truncatedHint)"
        case .unknownValueType(let code):
            return "unknown metadata value type \(code) (GGUF defines 0…12) — corrupt, or written by a newer GGUF version"
        case .unknownTensorType(let code):
            return "unknown ggml tensor type \(code) — corrupt, or a type newer than this reader"
        case .invalidUTF8:
            return "the string is not valid UTF-8 — the file is corrupt"
        case .arrayNestingTooDeep(let limit):
            return "arrays nest more than \(limit) levels deep — the file is corrupt"
        case .duplicateKey:
            return "the key appears twice in the metadata"
        case .duplicateTensor:
            return "the tensor name appears twice"
        case .tooManyDimensions(let n):
            return "\(n) dimensions, more than the \(GGUFFile.maximumDimensions) GGUF allows"
        case .invalidDimension(let value):
            return "dimension \(value) is negative as a signed 64-bit number — the file is corrupt"
        case .partialBlock(let type, let first):
            return "ne[0] = \(first) is not a multiple of \(type)'s block of \(type.blockSize) elements"
        case .sizeOverflow(let dimensions):
            return "dimensions \(dimensions) describe more bytes than fit in memory — the file is corrupt"
        case .invalidAlignment(let problem):
            return "general.alignment \(problem) — it must be a UINT32 power of two"
        case .misalignedOffset(let offset, let alignment):
            return "data offset \(offset) is not a multiple of the alignment \(alignment) — the file is corrupt"
        case .dataOutOfRange(let begin, let end, let dataSize):
            return "data spans bytes \(begin)..<\(end) of the data section, but the file holds \(dataSize) data bytes — \(truncatedHint)"
        case .overlap(let previous, let previousEnd, let begin):
            return "data begins at byte \(begin) of the data section, inside tensor '\(previous)' (which ends at \(previousEnd)) — tensors overlap"
        case .missingKey:
            return "no metadata entry with this key"
        case .wrongType(let expected, let found):
            return "the value is \(found), not \(expected)"
        case .valueOutOfRange(let value, let type):
            return "the value \(value) does not fit in \(type)"
        case .tensorNotFound:
            return "no tensor of that name in the file"
        }
    }
}
