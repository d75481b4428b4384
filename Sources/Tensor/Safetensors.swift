import Foundation

/// A safetensors file opened for reading: its header checked, its data memory-mapped.
///
/// The format (github.com/huggingface/safetensors): an unsigned 64-bit little-endian header
/// length `N`, then `N` bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"key": "value"}}`, then the data section; offsets count from its first
/// byte. Data is little-endian and row-major.
///
/// Opening reads the header with plain reads and checks *everything* against the file size —
/// JSON syntax, keys and types, dtypes, sizes (`end − begin = count × dtype size`), and that the
/// offsets tile the data section exactly from 0 to the end of the file with no overlap or gap
/// (as Python's safetensors demands) — and only then maps the file. Any malformed input throws
/// a ``SafetensorsError`` naming the file and the entry; no input can make a read fall outside
/// the file (as long as the file is not truncated while open). Lore is stricter than Python in
/// one place: a name used twice in the header is an error, not "last one wins".
///
/// ```swift
/// let file = try SafetensorsFile(path: "model.safetensors")
/// print(file.tensorNames.count, file.metadata)      // 104 ["format": "pt"]
/// let embeddings = try file.tensor(named: "embeddings.word_embeddings.weight")  // [30522, 384]
/// let positions = try file.int64Values(named: "embeddings.position_ids")        // 0…511
/// ```
public struct SafetensorsFile: Sendable {
    /// The file.
    public let url: URL
    /// Every tensor, in the order its data appears in the file.
    public let tensors: [SafetensorsTensorInfo]
    /// The `__metadata__` map (empty when the file has none).
    public let metadata: [String: String]
    /// Byte offset of the data section: 8 + header length.
    public let dataStart: Int

    let mapping: MappedFile
    private let positions: [String: Int]

    /// Opens and checks the safetensors file at `url`.
    ///
    /// - Throws: ``SafetensorsError`` when the file cannot be read or is malformed.
    public init(url: URL) throws(SafetensorsError) {
        let path = url.path
        do {
            let file = try ReadOnlyFile(path: path)
            guard file.size >= 8 else { throw SafetensorsError(path: path, reason: .fileTooSmall(size: file.size)) }
            let lengthBytes = try file.read(at: 0, count: 8)
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }  // little-endian
            guard length <= UInt64(Safetensors.maximumHeaderLength) else {
                throw SafetensorsError(path: path, reason: .headerTooLarge(length: length))
            }
            guard Int(length) <= file.size - 8 else {
                throw SafetensorsError(path: path, reason: .headerPastEndOfFile(length: length, fileSize: file.size))
            }
            let json = try file.read(at: 8, count: Int(length))
            let header = try SafetensorsHeader.parse(json: json, fileSize: file.size, path: path)
            self.url = url
            self.tensors = header.tensors
            self.metadata = header.metadata
            self.dataStart = header.dataStart
            self.positions = Dictionary(uniqueKeysWithValues: header.tensors.enumerated().map { ($1.name, $0) })
            self.mapping = try file.map()
        } catch let error as SafetensorsError {
            throw error
        } catch let error as FileAccessError {
            throw SafetensorsError(path: path, reason: .io("cannot \(error.operation): \(error.reason)"))
        } catch {
            throw SafetensorsError(path: path, reason: .io("\(error)"))
        }
    }

    /// Opens and checks the safetensors file at `path`.
    public init(path: String) throws(SafetensorsError) {
        try self.init(url: URL(fileURLWithPath: path))
    }

    /// Tensor names in file (data) order.
    public var tensorNames: [String] { tensors.map(\.name) }

    /// True when the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { positions[name] != nil }

    /// The header entry of tensor `name`.
    public func info(named name: String) throws(SafetensorsError) -> SafetensorsTensorInfo {
        guard let i = positions[name] else { throw error(name, .tensorNotFound) }
        return tensors[i]
    }

    /// Calls `body` with the stored bytes of tensor `name` (little-endian, row-major, not
    /// necessarily aligned). The pointer is valid only during the call.
    public func withRawBytes<R>(named name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try info(named: name)
        return try body(rawBytes(info))
    }

    /// Tensor `name` as `Float`.
    ///
    /// `F32` is copied; `F16` and `BF16` are widened exactly; `F64` is rounded to nearest;
    /// integers and `BOOL` (0 or 1) become the nearest `Float` — exact up to 2²⁴ in magnitude,
    /// so `I64`/`U64`/`I32` values beyond 16,777,216 lose precision (use ``int64Values(named:)``
    /// for index tensors). `F8`, `F6`, `F4` and `C64` throw ``SafetensorsError/Reason/unsupportedConversion(dtype:to:)``.
    ///
    /// - Returns: a tensor of the stored shape.
    public func tensor(named name: String) throws(SafetensorsError) -> Tensor {
        let info = try info(named: name)
        let bytes = rawBytes(info)
        var result = Tensor(uninitializedShape: info.shape)
        let n = info.elementCount
        guard n > 0 else { return result }
        let converted: Bool = result.withUnsafeMutableBufferPointer { out in
            let d = out.baseAddress!
            switch info.dtype {
            case .f32:
                UnsafeMutableRawPointer(d).copyMemory(from: bytes.baseAddress!, byteCount: n * 4)
            case .f16: withAlignedHalfWords(bytes, n) { HalfPrecision.convertFromHalf($0, into: d, count: n) }
            case .bf16: withAlignedHalfWords(bytes, n) { HalfPrecision.convertFromBFloat16($0, into: d, count: n) }
            case .f64: for i in 0..<n { d[i] = Float(Double(bitPattern: load(bytes, i, UInt64.self))) }
            case .i64: for i in 0..<n { d[i] = Float(Int64(bitPattern: load(bytes, i, UInt64.self))) }
            case .u64: for i in 0..<n { d[i] = Float(load(bytes, i, UInt64.self)) }
            case .i32: for i in 0..<n { d[i] = Float(Int32(bitPattern: load(bytes, i, UInt32.self))) }
            case .u32: for i in 0..<n { d[i] = Float(load(bytes, i, UInt32.self)) }
            case .i16: for i in 0..<n { d[i] = Float(Int16(bitPattern: load(bytes, i, UInt16.self))) }
            case .u16: for i in 0..<n { d[i] = Float(load(bytes, i, UInt16.self)) }
            case .i8: for i in 0..<n { d[i] = Float(Int8(bitPattern: bytes[i])) }
            case .u8: for i in 0..<n { d[i] = Float(bytes[i]) }
            case .bool: for i in 0..<n { d[i] = bytes[i] != 0 ? 1 : 0 }
            case .f4, .f6E2M3, .f6E3M2, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ, .c64: return false
            }
            return true
        }
        guard converted else { throw error(name, .unsupportedConversion(dtype: info.dtype.rawValue, to: "Float")) }
        return result
    }

    /// The values of integer tensor `name` (any integer dtype or `BOOL`), exactly, row-major.
    ///
    /// - Throws: ``SafetensorsError`` for a floating dtype, or a `U64` value above `Int64.max`.
    public func int64Values(named name: String) throws(SafetensorsError) -> [Int64] {
        try integers(named: name, as: Int64.self)
    }

    /// The values of integer tensor `name` as `Int32`, row-major.
    ///
    /// - Throws: ``SafetensorsError`` for a floating dtype, or a value outside `Int32`'s range.
    public func int32Values(named name: String) throws(SafetensorsError) -> [Int32] {
        try integers(named: name, as: Int32.self)
    }

    /// Every tensor as `Float` (see ``tensor(named:)``), keyed by name.
    public func loadAll() throws(SafetensorsError) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for info in tensors { result[info.name] = try tensor(named: info.name) }
        return result
    }

    // MARK: Internals

    private func error(_ name: String, _ reason: SafetensorsError.Reason) -> SafetensorsError {
        SafetensorsError(path: url.path, tensor: name, reason: reason)
    }

    /// The mapped bytes of a checked entry (always inside the file).
    private func rawBytes(_ info: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[(dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)])
    }

    private func load<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ i: Int, _ type: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
    }

    /// Calls `body` with `n` 16-bit words at a 2-byte aligned address (copying when the file's
    /// layout leaves them unaligned; files written by safetensors are always aligned).
    private func withAlignedHalfWords(_ bytes: UnsafeRawBufferPointer, _ n: Int, _ body: (UnsafePointer<UInt16>) -> Void) {
        let base = bytes.baseAddress!
        if Int(bitPattern: base) % 2 == 0 {
            body(base.assumingMemoryBound(to: UInt16.self))
        } else {
            let copy = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
            defer { copy.deallocate() }
            UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: n * 2)
            body(copy)
        }
    }

    private func integers<T: FixedWidthInteger>(named name: String, as type: T.Type) throws(SafetensorsError) -> [T] {
        let info = try info(named: name)
        let bytes = rawBytes(info)
        let n = info.elementCount
        var result: [T] = []
        result.reserveCapacity(n)
        func append<S: BinaryInteger>(_ value: S, _ i: Int) throws(SafetensorsError) {
            guard let v = T(exactly: value) else {
                throw error(name, .valueOutOfRange(index: i, value: "\(value)", type: "\(T.self)"))
            }
            result.append(v)
        }
        switch info.dtype {
        case .i64: for i in 0..<n { try append(Int64(bitPattern: load(bytes, i, UInt64.self)), i) }
        case .u64: for i in 0..<n { try append(load(bytes, i, UInt64.self), i) }
        case .i32: for i in 0..<n { try append(Int32(bitPattern: load(bytes, i, UInt32.self)), i) }
        case .u32: for i in 0..<n { try append(load(bytes, i, UInt32.self), i) }
        case .i16: for i in 0..<n { try append(Int16(bitPattern: load(bytes, i, UInt16.self)), i) }
        case .u16: for i in 0..<n { try append(load(bytes, i, UInt16.self), i) }
        case .i8: for i in 0..<n { try append(Int8(bitPattern: bytes[i]), i) }
        case .u8: for i in 0..<n { try append(bytes[i], i) }
        case .bool: for i in 0..<n { try append(bytes[i] != 0 ? 1 : 0, i) }
        default:
            throw error(name, .unsupportedConversion(dtype: info.dtype.rawValue, to: "\(T.self)"))
        }
        return result
    }
}
