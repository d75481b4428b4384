import Foundation

/// A safetensors file that cannot be read or written, naming the file, the header entry
/// (tensor name or `__metadata__`) when there is one, what is wrong and a hint.
///
/// ```
/// model.safetensors: tensor 'lm_head.weight': data ends at byte 1048576 of the data
/// section, but the file holds only 524288 data bytes — the file is truncated; copy or
/// download it again
/// ```
public struct SafetensorsError: Error, LocalizedError, Equatable, Sendable {
    /// What is wrong.
    public enum Reason: Equatable, Sendable {
        /// The file could not be opened, read, mapped or written (system reason).
        case io(String)
        /// Fewer than the 8 bytes of the header length.
        case fileTooSmall(size: Int)
        /// The header length exceeds the limit of ``Safetensors/maximumHeaderLength``.
        case headerTooLarge(length: UInt64)
        /// The header length reaches past the end of the file.
        case headerPastEndOfFile(length: UInt64, fileSize: Int)
        /// The header bytes are not valid UTF-8.
        case headerNotUTF8
        /// The header is not valid JSON (parser message with byte offset).
        case headerNotJSON(String)
        /// The header is JSON but not an object (`found` names what it is).
        case headerNotObject(found: String)
        /// Two header entries have the same name.
        case duplicateName
        /// A tensor entry lacks a required key (`dtype`, `shape`, `data_offsets`).
        case missingKey(String)
        /// A key holds the wrong kind of value.
        case invalidValue(key: String, expected: String)
        /// The dtype is not one the format defines.
        case unknownDtype(String)
        /// The shape has a negative dimension.
        case negativeDimension(shape: [Int])
        /// `data_offsets` is not `[begin, end]` with `begin ≤ end`.
        case invalidOffsets(String)
        /// `end − begin` differs from the size that dtype and shape imply (`nil`: the size
        /// overflows, or is not a whole number of bytes for a packed dtype such as `F4`).
        case sizeMismatch(dtype: String, shape: [Int], expectedBytes: Int?, actualBytes: Int)
        /// The first tensor's data (in offset order) does not begin at 0.
        case offsetsNotStartingAtZero(begin: Int)
        /// This tensor's data begins before the previous one (`previous`) ends.
        case overlap(previous: String, previousEnd: Int, begin: Int)
        /// Unused bytes lie between the previous tensor (`previous`) and this one.
        case gap(previous: String, previousEnd: Int, begin: Int)
        /// The tensor's data ends past the end of the file.
        case pastEndOfFile(end: Int, dataSize: Int)
        /// The tensors end before the file does: `dataSize − covered` bytes belong to nothing.
        case trailingBytes(covered: Int, dataSize: Int)
        /// `__metadata__` is not an object of strings; `key` is the offending entry, if any.
        case invalidMetadata(key: String?, problem: String)
        /// No tensor has this name.
        case tensorNotFound
        /// The tensor's dtype cannot be read as the requested type.
        case unsupportedConversion(dtype: String, to: String)
        /// An element does not fit the requested integer type.
        case valueOutOfRange(index: Int, value: String, type: String)
    }

    /// The file read or written.
    public let path: String
    /// The header entry involved (a tensor name or `__metadata__`), if any.
    public let tensor: String?
    /// What is wrong.
    public let reason: Reason

    public init(path: String, tensor: String? = nil, reason: Reason) {
        self.path = path
        self.tensor = tensor
        self.reason = reason
    }

    public var errorDescription: String? {
        if case .io = reason, tensor == nil { return "\(path): \(reason.explanation)" }
        let place = tensor.map { $0 == "__metadata__" ? "__metadata__" : "tensor '\($0)'" } ?? "header"
        return "\(path): \(place): \(reason.explanation)"
    }
}

extension SafetensorsError.Reason {
    /// One sentence: the problem, then a hint after a dash.
    var explanation: String {
        switch self {
        case .io(let why):
            return why
        case .fileTooSmall(let size):
            return "the file has \(size) bytes, fewer than the 8-byte header length — not a safetensors file, or truncated"
        case .headerTooLarge(let length):
            return "header length \(length) exceeds the \(Safetensors.maximumHeaderLength)-byte limit — not a safetensors file, or corrupt"
        case .headerPastEndOfFile(let length, let fileSize):
            return "header length \(length) reaches past the end of the \(fileSize)-byte file — the file is truncated or not safetensors"
        case .headerNotUTF8:
            return "the header is not valid UTF-8 — the file is corrupt or not safetensors"
        case .headerNotJSON(let message):
            return "the header is not valid JSON: \(message)"
        case .headerNotObject(let found):
            return "the header is a JSON \(found), not an object of tensor entries"
        case .duplicateName:
            return "the name appears twice in the header"
        case .missingKey(let key):
            return "the entry has no \"\(key)\" — each tensor needs \"dtype\", \"shape\" and \"data_offsets\""
        case .invalidValue(let key, let expected):
            return "\"\(key)\" must be \(expected)"
        case .unknownDtype(let dtype):
            let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown dtype \"\(dtype)\" (the format defines \(known))"
        case .negativeDimension(let shape):
            return "shape \(describeShape(shape)) has a negative dimension"
        case .invalidOffsets(let problem):
            return "invalid data_offsets: \(problem)"
        case .sizeMismatch(let dtype, let shape, let expected, let actual):
            let want = expected.map { "\($0) bytes" } ?? "a size that overflows or is not a whole number of bytes"
            return "data_offsets span \(actual) bytes but \(dtype) \(describeShape(shape)) needs \(want)"
        case .offsetsNotStartingAtZero(let begin):
            return "the first tensor's data begins at byte \(begin) of the data section, not 0 — the offsets must cover the data exactly"
        case .overlap(let previous, let previousEnd, let begin):
            return "data begins at byte \(begin), inside tensor '\(previous)' (which ends at \(previousEnd)) — tensors overlap"
        case .gap(let previous, let previousEnd, let begin):
            return "data begins at byte \(begin) but tensor '\(previous)' ends at \(previousEnd) — the format allows no gaps"
        case .pastEndOfFile(let end, let dataSize):
            return "data ends at byte \(end) of the data section, but the file holds only \(dataSize) data bytes — the file is truncated; copy or download it again"
        case .trailingBytes(let covered, let dataSize):
            return "the tensors cover \(covered) data bytes but the file holds \(dataSize) — \(dataSize - covered) trailing bytes belong to no tensor"
        case .invalidMetadata(let key, let problem):
            return (key.map { "entry \"\($0)\": " } ?? "") + problem + " — __metadata__ must map strings to strings"
        case .tensorNotFound:
            return "no tensor of that name in the file"
        case .unsupportedConversion(let dtype, let target):
            return "\(dtype) data cannot be read as \(target)"
        case .valueOutOfRange(let index, let value, let type):
            return "element \(index) = \(value) does not fit in \(type)"
        }
    }
}
