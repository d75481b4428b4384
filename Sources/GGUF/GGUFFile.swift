import Foundation

/// A GGUF file opened for reading: header, metadata and tensor infos parsed and checked,
/// tensor data memory-mapped and read on demand.
///
/// The layout (GGUF specification, ggml `docs/gguf.md`; all integers little-endian):
///
/// ```
/// magic "GGUF" (u32 0x46554747) · version u32 · tensor_count u64 · metadata_kv_count u64
/// metadata_kv_count × (key: string, value_type u32, value)
/// tensor_count × (name: string, n_dims u32, ne u64 × n_dims, ggml_type u32, offset u64)
/// padding to general.alignment (default 32) · data section
/// ```
///
/// A string is a u64 byte length and that many UTF-8 bytes; an array value is an element type
/// u32, a count u64 and the elements (arrays may nest). Tensor offsets are relative to the data
/// section and multiples of the alignment.
///
/// Opening checks everything before any tensor byte is touched: each field is read within the
/// file's size, every count and length is compared with the bytes left before anything is
/// allocated for it, keys and tensor names must be unique, and each tensor's bytes must lie
/// inside the file without overlapping another's. A bad file throws ``GGUFError`` naming the
/// byte offset and the key or tensor; it never crashes the reader. Versions 2 and 3 are read
/// (they differ only in that v3 may be big-endian, which is refused); version 1 is refused.
///
/// ```swift
/// let file = try GGUFFile(url: url)
/// let layers = try file.int("llama.block_count")          // 30
/// let tokens = try file.stringArray("tokenizer.ggml.tokens")
/// let q = try file.tensor(named: "blk.0.attn_q.weight")    // Q4_1, shape [576, 576]
/// try file.withBytes(of: q) { raw in /* raw.count == q.byteCount */ }
/// ```
public final class GGUFFile: @unchecked Sendable {
    /// Most dimensions a tensor may have (ggml's `GGML_MAX_DIMS`).
    public static let maximumDimensions = 4
    /// Deepest nesting of arrays accepted (a guard against hostile files).
    public static let maximumArrayDepth = 16
    /// The alignment of the data section and tensor offsets when `general.alignment` is absent.
    public static let defaultAlignment = 32

    /// The path the file was opened from.
    public let path: String
    /// The format version (2 or 3).
    public let version: UInt32
    /// Metadata entries in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Byte offset of the data section: the end of the tensor infos rounded up to ``alignment``.
    public let dataOffset: Int
    /// Size of the file in bytes when it was opened.
    public var fileSize: Int { mapping.count }

    private let mapping: GGUFMapping
    private let keyIndex: [String: Int]
    /// File offset of each metadata entry (its key's length field), for errors.
    private let keyOffsets: [Int]
    private let tensorIndex: [String: Int]

    /// Opens and checks the GGUF file at `url`; tensor data stays on disk until read.
    ///
    /// - Throws: ``GGUFError`` when the file cannot be read or is not a valid GGUF v2/v3 file.
    public convenience init(url: URL) throws(GGUFError) {
        try self.init(path: url.path)
    }

    /// Opens and checks the GGUF file at `path`; see ``init(url:)``.
    public init(path: String) throws(GGUFError) {
        self.path = path
        mapping = try GGUFMapping(path: path)
        var cursor = GGUFCursor(bytes: mapping.bytes, path: path)

        // Header.
        let magic = try cursor.take(4, "the magic number")
        let found = Array(mapping.bytes[magic..<magic + 4])
        guard found == Array("GGUF".utf8) else { throw cursor.error(.badMagic(found: found), at: 0) }
        let version = try cursor.u32("the version")
        guard version == 2 || version == 3 else {
            throw cursor.error(.unsupportedVersion(version, bigEndian: (2...3).contains(version.byteSwapped)), at: 4)
        }
        self.version = version
        let tensorCount = try cursor.u64("the tensor count")
        let keyCount = try cursor.u64("the metadata count")

        // Metadata: each entry takes at least 13 bytes (key length, type, one value byte).
        try cursor.requireRoom(for: keyCount, minimumSize: 13, "metadata count", at: 16)
        var entries: [(key: String, value: GGUFValue)] = []
        var keyIndex: [String: Int] = [:]
        var keyOffsets: [Int] = []
        entries.reserveCapacity(Int(keyCount))
        for _ in 0..<Int(keyCount) {
            let start = cursor.offset
            cursor.key = nil
            let key = try cursor.string("a metadata key")
            cursor.key = key
            guard keyIndex[key] == nil else { throw cursor.error(.duplicateKey, at: start) }
            let type = try cursor.valueType("the value type")
            let value = try cursor.value(of: type)
            keyIndex[key] = entries.count
            keyOffsets.append(start)
            entries.append((key, value))
        }
        cursor.key = nil
        metadata = entries
        self.keyIndex = keyIndex
        self.keyOffsets = keyOffsets

        var alignment = Self.defaultAlignment
        if let i = keyIndex["general.alignment"] {
            func bad(_ problem: String) -> GGUFError {
                GGUFError(path: path, offset: keyOffsets[i], key: "general.alignment", reason: .invalidAlignment(problem))
            }
            guard case .uint32(let value) = entries[i].value else { throw bad("is \(entries[i].value.typeName)") }
            guard value > 0, value & (value - 1) == 0 else { throw bad("is \(value)") }
            alignment = Int(value)
        }
        self.alignment = alignment

        // Tensor infos: each takes at least 24 bytes (name length, n_dims, type, offset).
        try cursor.requireRoom(for: tensorCount, minimumSize: 24, "tensor count", at: 8)
        var infos: [(name: String, dimensions: [Int], type: GGMLType, offset: UInt64, byteCount: Int, at: Int)] = []
        var tensorIndex: [String: Int] = [:]
        infos.reserveCapacity(Int(tensorCount))
        for _ in 0..<Int(tensorCount) {
            let start = cursor.offset
            cursor.tensor = nil
            let name = try cursor.string("a tensor name")
            cursor.tensor = name
            guard tensorIndex[name] == nil else { throw cursor.error(.duplicateTensor, at: start) }
            let rankAt = cursor.offset
            let rank = try cursor.u32("the number of dimensions")
            guard rank <= Self.maximumDimensions else { throw cursor.error(.tooManyDimensions(rank), at: rankAt) }
            var dimensions: [Int] = []
            for _ in 0..<Int(rank) {
                let at = cursor.offset
                let extent = try cursor.u64("a dimension")
                guard extent <= UInt64(Int64.max) else { throw cursor.error(.invalidDimension(extent), at: at) }
                dimensions.append(Int(extent))
            }
            let typeAt = cursor.offset
            let code = try cursor.u32("the tensor type")
            guard let type = GGMLType(rawValue: code) else { throw cursor.error(.unknownTensorType(code), at: typeAt) }
            let first = dimensions.first ?? 1  // no dimensions: a scalar
            guard first % type.blockSize == 0 else {
                throw cursor.error(.partialBlock(type: type, firstDimension: first), at: rankAt)
            }
            guard let byteCount = type.byteCount(dimensions: dimensions), Self.product(dimensions) != nil else { throw cursor.error(.sizeOverflow(dimensions: dimensions), at: rankAt) }
            let offsetAt = cursor.offset
            let offset = try cursor.u64("the data offset")
            guard offset % UInt64(alignment) == 0 else {
                throw cursor.error(.misalignedOffset(offset: offset, alignment: alignment), at: offsetAt)
            }
            tensorIndex[name] = infos.count
            infos.append((name, dimensions, type, offset, byteCount, offsetAt))
        }
        cursor.tensor = nil

        // Data section: tensor ranges inside the file, without overlaps.
        let end = cursor.offset
        let dataOffset = end + (alignment - end % alignment) % alignment
        self.dataOffset = dataOffset
        let dataSize = max(0, mapping.count - dataOffset)
        for info in infos {
            let (stop, overflow) = info.offset.addingReportingOverflow(UInt64(info.byteCount))
            guard !overflow, stop <= UInt64(dataSize) else {
                throw GGUFError(path: path, offset: info.at, tensor: info.name,
                                reason: .dataOutOfRange(begin: info.offset, end: overflow ? .max : stop, dataSize: dataSize))
            }
        }
        var previous: (name: String, end: Int)?
        for info in infos.filter({ $0.byteCount > 0 }).sorted(by: { $0.offset < $1.offset }) {
            let begin = Int(info.offset)
            if let previous, begin < previous.end {
                throw GGUFError(path: path, offset: info.at, tensor: info.name,
                                reason: .overlap(previous: previous.name, previousEnd: previous.end, begin: begin))
            }
            previous = (info.name, begin + info.byteCount)
        }
        tensors = infos.map {
            GGUFTensorInfo(name: $0.name, dimensions: $0.dimensions, type: $0.type, offset: Int($0.offset),
                           fileOffset: dataOffset + Int($0.offset), byteCount: $0.byteCount)
        }
        self.tensorIndex = tensorIndex
    }

    /// The product of `dimensions`, or `nil` when it overflows `Int`.
    static func product(_ dimensions: [Int]) -> Int? {
        var total = 1
        for d in dimensions {
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            total = p
        }
        return total
    }

    // MARK: Tensors

    /// The info of the tensor called `name`.
    ///
    /// - Throws: ``GGUFError`` with reason `.tensorNotFound`.
    public func tensor(named name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let i = tensorIndex[name] else { throw GGUFError(path: path, tensor: name, reason: .tensorNotFound) }
        return tensors[i]
    }

    /// Calls `body` with the raw bytes of `tensor` (``GGUFTensorInfo/byteCount`` bytes, straight
    /// from the mapping — no copy). The buffer is valid only inside `body`.
    ///
    /// - Parameter tensor: an info from this file's ``tensors`` (stops with a message otherwise).
    public func withBytes<R, E: Error>(
        of tensor: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        guard let i = tensorIndex[tensor.name], tensors[i] == tensor else {
            fatalError("GGUFFile.withBytes(of:): tensor '\(tensor.name)' is not a tensor of \(path)")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: mapping.bytes[tensor.fileRange])
        return try withExtendedLifetime(mapping) { () throws(E) -> R in try body(bytes) }
    }

    /// Calls `body` with the raw bytes of the tensor called `name`; see ``withBytes(of:_:)``.
    ///
    /// - Throws: ``GGUFError`` (`.tensorNotFound`), or what `body` throws.
    public func withTensorBytes<R>(named name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try withBytes(of: try tensor(named: name), body)
    }

    /// A copy of the raw bytes of the tensor called `name`.
    public func tensorData(named name: String) throws(GGUFError) -> Data {
        withBytes(of: try tensor(named: name)) { Data($0) }
    }

    // MARK: Metadata lookup (typed accessors in GGUFFile+Metadata.swift)

    /// The value stored under `key`, or `nil`.
    public subscript(key: String) -> GGUFValue? {
        keyIndex[key].map { metadata[$0].value }
    }

    /// The value stored under `key` and the file offset of its entry.
    func entry(_ key: String) throws(GGUFError) -> (value: GGUFValue, offset: Int) {
        guard let i = keyIndex[key] else { throw GGUFError(path: path, key: key, reason: .missingKey) }
        return (metadata[i].value, keyOffsets[i])
    }
}
