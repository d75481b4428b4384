/// The element types the safetensors format defines, spelled as in the header.
///
/// All are recognised when a file is opened (so its layout can be checked); ``SafetensorsFile``
/// converts the floating and integer ones to `Float`, and writes `F32`, `F16` and `BF16`.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6E2M3 = "F6_E2M3"
    case f6E3M2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case f8E8M0 = "F8_E8M0"
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bits per element (`F4` packs two elements in a byte; `BOOL` takes a byte).
    public var bitWidth: Int {
        switch self {
        case .f4: 4
        case .f6E2M3, .f6E3M2: 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: 8
        case .i16, .u16, .f16, .bf16: 16
        case .i32, .u32, .f32: 32
        case .c64, .f64, .i64, .u64: 64
        }
    }

    /// True for the integer types and `BOOL`.
    public var isInteger: Bool {
        switch self {
        case .bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64: true
        default: false
        }
    }
}

/// One tensor of a safetensors header: name, element type, shape and where its bytes are.
public struct SafetensorsTensorInfo: Sendable, Equatable, CustomStringConvertible {
    /// The tensor's name (header key), e.g. `encoder.layer.0.attention.self.query.weight`.
    public let name: String
    /// Element type as stored.
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first (`[]` is a scalar).
    public let shape: [Int]
    /// Byte range inside the data section (which starts right after the header).
    public let dataOffsets: Range<Int>

    /// Number of elements, the product of ``shape``.
    public var elementCount: Int { shape.reduce(1, *) }
    /// Number of stored bytes.
    public var byteCount: Int { dataOffsets.count }

    /// `name  F32  [384, 384]`.
    public var description: String { "\(name)  \(dtype.rawValue)  \(describeShape(shape))" }
}

/// A parsed and fully checked safetensors header.
struct SafetensorsHeader {
    /// Tensors in the order of their data (offset order).
    let tensors: [SafetensorsTensorInfo]
    /// The `__metadata__` entries (empty when absent).
    let metadata: [String: String]
    /// Byte offset of the data section in the file: 8 + header length.
    let dataStart: Int

    /// Checks a whole header against the file's size, so no later read can fall outside it.
    ///
    /// - Parameters:
    ///   - json: the header bytes (after the 8-byte length).
    ///   - fileSize: size of the whole file in bytes.
    ///   - path: the file, for error messages.
    static func parse(json: [UInt8], fileSize: Int, path: String) throws(SafetensorsError) -> SafetensorsHeader {
        func failure(_ tensor: String?, _ reason: SafetensorsError.Reason) -> SafetensorsError {
            SafetensorsError(path: path, tensor: tensor, reason: reason)
        }
        guard String(validating: json, as: UTF8.self) != nil else { throw failure(nil, .headerNotUTF8) }
        let root: SafetensorsJSON.Value
        do {
            root = try json.withUnsafeBufferPointer { bytes throws(SafetensorsJSON.ParseError) in
                try SafetensorsJSON.parse(bytes)
            }
        } catch {
            throw failure(nil, .headerNotJSON(error.description))
        }
        guard case .object(let entries) = root else { throw failure(nil, .headerNotObject(found: root.kindName)) }

        var seen = Set<String>()
        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        for (name, value) in entries {
            guard seen.insert(name).inserted else { throw failure(name, .duplicateName) }
            if name == "__metadata__" {
                metadata = try parseMetadata(value, failure: failure)
            } else {
                tensors.append(try parseEntry(name: name, value, failure: failure))
            }
        }

        // Offsets must tile the data section exactly: sorted by offset, each tensor begins
        // where the previous one ends, the first at 0, the last at the end of the file.
        let dataStart = 8 + json.count
        let dataSize = fileSize - dataStart
        let ordered = tensors.enumerated()
            .sorted { ($0.element.dataOffsets.lowerBound, $0.element.dataOffsets.upperBound, $0.offset)
                    < ($1.element.dataOffsets.lowerBound, $1.element.dataOffsets.upperBound, $1.offset) }
            .map(\.element)
        var covered = 0
        for (i, info) in ordered.enumerated() {
            let begin = info.dataOffsets.lowerBound
            if begin != covered {
                if i == 0 { throw failure(info.name, .offsetsNotStartingAtZero(begin: begin)) }
                let previous = ordered[i - 1].name
                throw failure(info.name, begin < covered
                    ? .overlap(previous: previous, previousEnd: covered, begin: begin)
                    : .gap(previous: previous, previousEnd: covered, begin: begin))
            }
            if info.dataOffsets.upperBound > dataSize {
                throw failure(info.name, .pastEndOfFile(end: info.dataOffsets.upperBound, dataSize: dataSize))
            }
            covered = info.dataOffsets.upperBound
        }
        if covered != dataSize { throw failure(nil, .trailingBytes(covered: covered, dataSize: dataSize)) }
        return SafetensorsHeader(tensors: ordered, metadata: metadata, dataStart: dataStart)
    }

    private static func parseMetadata(
        _ value: SafetensorsJSON.Value,
        failure: (String?, SafetensorsError.Reason) -> SafetensorsError
    ) throws(SafetensorsError) -> [String: String] {
        if value == .null { return [:] }  // serde reads `null` as "no metadata"
        guard case .object(let pairs) = value else {
            throw failure("__metadata__", .invalidMetadata(key: nil, problem: "it is \(value.kindWithArticle)"))
        }
        var result: [String: String] = [:]
        for (key, item) in pairs {
            guard case .string(let text) = item else {
                throw failure("__metadata__", .invalidMetadata(key: key, problem: "the value is \(item.kindWithArticle), not a string"))
            }
            guard result.updateValue(text, forKey: key) == nil else {
                throw failure("__metadata__", .invalidMetadata(key: key, problem: "the key appears twice"))
            }
        }
        return result
    }

    private static func parseEntry(
        name: String, _ value: SafetensorsJSON.Value,
        failure: (String?, SafetensorsError.Reason) -> SafetensorsError
    ) throws(SafetensorsError) -> SafetensorsTensorInfo {
        guard case .object(let pairs) = value else {
            throw failure(name, .invalidValue(key: name, expected: "an object with \"dtype\", \"shape\" and \"data_offsets\", not \(value.kindWithArticle)"))
        }
        func field(_ key: String) throws(SafetensorsError) -> SafetensorsJSON.Value {
            guard let found = pairs.first(where: { $0.key == key }) else { throw failure(name, .missingKey(key)) }
            return found.value
        }
        /// The integers of an array value; `nil` when it is not an array of integer literals.
        func integers(_ value: SafetensorsJSON.Value) -> [Int]? {
            guard case .array(let items) = value else { return nil }
            var result: [Int] = []
            for item in items {
                guard let n = item.integer else { return nil }
                result.append(n)
            }
            return result
        }

        guard case .string(let dtypeName) = try field("dtype") else {
            throw failure(name, .invalidValue(key: "dtype", expected: "a string such as \"F32\""))
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw failure(name, .unknownDtype(dtypeName)) }

        guard let shape = integers(try field("shape")) else {
            throw failure(name, .invalidValue(key: "shape", expected: "an array of non-negative integers"))
        }
        if shape.contains(where: { $0 < 0 }) { throw failure(name, .negativeDimension(shape: shape)) }

        guard let offsets = integers(try field("data_offsets")) else {
            throw failure(name, .invalidValue(key: "data_offsets", expected: "an array [begin, end] of two integers"))
        }
        guard offsets.count == 2 else {
            throw failure(name, .invalidOffsets("\(offsets.count) values, expected [begin, end]"))
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, end >= 0 else { throw failure(name, .invalidOffsets("negative offset in [\(begin), \(end)]")) }
        guard begin <= end else { throw failure(name, .invalidOffsets("begin \(begin) is after end \(end)")) }

        // Bytes the dtype and shape need, refusing overflow and partial bytes.
        var bits: Int? = dtype.bitWidth
        for d in shape {
            guard let b = bits else { break }
            let (product, overflow) = b.multipliedReportingOverflow(by: d)
            bits = overflow ? nil : product
        }
        let expected = bits.flatMap { $0 % 8 == 0 ? $0 / 8 : nil }
        guard expected == end - begin else {
            throw failure(name, .sizeMismatch(dtype: dtypeName, shape: shape, expectedBytes: expected, actualBytes: end - begin))
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }
}
