import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds a GGUF version 3 file: metadata entries and tensors given as raw bytes.
///
/// Layout written (see ``GGUFFile`` for the format): the header, the metadata in the order
/// set, the tensor infos in the order added, zero padding to the alignment, then each tensor's
/// bytes followed by zero padding to the next multiple of the alignment — the layout of
/// ggml's `gguf_write_to_file` and of the Python `gguf` package's `GGUFWriter`. The alignment
/// is `general.alignment` when it is set (a `UINT32` power of two), else 32.
///
/// ```swift
/// var writer = GGUFWriter()
/// writer.set("general.architecture", "llama")
/// writer.set("llama.block_count", .uint32(30))
/// writer.addTensor(name: "output_norm.weight", type: .f32, dimensions: [576], bytes: normBytes)
/// try writer.write(to: url)
/// ```
///
/// Mistakes by the caller — a byte count that does not match type and dimensions, a repeated
/// tensor name, a bad alignment — stop the program with a message naming the tensor or key.
public struct GGUFWriter: Sendable {
    /// A tensor waiting to be written.
    public struct PendingTensor: Sendable {
        /// The tensor's name.
        public let name: String
        /// Storage type.
        public let type: GGMLType
        /// ggml's `ne`, fastest-varying first (the row-major shape reversed).
        public let dimensions: [Int]
        /// The raw bytes, `type.byteCount(dimensions:)` of them.
        public let bytes: [UInt8]
    }

    /// Metadata entries in the order they will be written.
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    /// Tensors in the order they will be written.
    public private(set) var tensors: [PendingTensor] = []
    private var tensorNames: Set<String> = []

    /// An empty writer.
    public init() {}

    /// The value set for `key`, or `nil`.
    public subscript(key: String) -> GGUFValue? {
        metadata.first(where: { $0.key == key })?.value
    }

    /// The alignment of the data section: `general.alignment` if set, else 32.
    public var alignment: Int {
        if case .uint32(let value) = self["general.alignment"] { return Int(value) }
        return GGUFFile.defaultAlignment
    }

    /// Sets `key` to `value`: replaces an existing entry in place, or appends a new one.
    ///
    /// `general.alignment` must be a `.uint32` power of two; arrays may nest at most
    /// ``GGUFFile/maximumArrayDepth`` levels.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if key == "general.alignment" {
            guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0 else {
                fatalError("GGUFWriter.set: general.alignment must be a .uint32 power of two, got \(value)")
            }
        }
        if case .array(let items) = value, Self.depth(items) > GGUFFile.maximumArrayDepth {
            fatalError("GGUFWriter.set: key '\(key)': arrays nest more than \(GGUFFile.maximumArrayDepth) levels")
        }
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Adds a tensor.
    ///
    /// - Parameters:
    ///   - name: unique among this writer's tensors.
    ///   - type: the storage type of `bytes`.
    ///   - dimensions: ggml's `ne`, fastest-varying first — pass `shape.reversed()` for a
    ///     row-major shape. At most 4; `ne[0]` a multiple of `type.blockSize`.
    ///   - bytes: exactly `type.byteCount(dimensions:)` bytes, as they will be stored.
    public mutating func addTensor(name: String, type: GGMLType, dimensions: [Int], bytes: [UInt8]) {
        guard !tensorNames.contains(name) else { fatalError("GGUFWriter.addTensor: tensor '\(name)' was already added") }
        guard dimensions.count <= GGUFFile.maximumDimensions else {
            fatalError("GGUFWriter.addTensor: tensor '\(name)' has \(dimensions.count) dimensions \(dimensions); GGUF allows \(GGUFFile.maximumDimensions)")
        }
        guard let expected = type.byteCount(dimensions: dimensions), GGUFFile.product(dimensions) != nil else {
            fatalError("GGUFWriter.addTensor: tensor '\(name)': dimensions \(dimensions) are negative, overflow, "
                       + "or ne[0] is not a multiple of \(type)'s block of \(type.blockSize)")
        }
        guard bytes.count == expected else {
            fatalError("GGUFWriter.addTensor: tensor '\(name)': \(type) \(dimensions) needs \(expected) bytes, got \(bytes.count)")
        }
        tensorNames.insert(name)
        tensors.append(PendingTensor(name: name, type: type, dimensions: dimensions, bytes: bytes))
    }

    /// Adds a tensor from a raw buffer (copied); see ``addTensor(name:type:dimensions:bytes:)-([UInt8])``.
    public mutating func addTensor(name: String, type: GGMLType, dimensions: [Int], bytes: UnsafeRawBufferPointer) {
        addTensor(name: name, type: type, dimensions: dimensions, bytes: [UInt8](bytes))
    }

    // MARK: Output

    /// The complete file as bytes.
    public func encode() -> [UInt8] {
        var out = header()
        for tensor in tensors {
            out += tensor.bytes
            out += repeatElement(0, count: padding(tensor.bytes.count))
        }
        return out
    }

    /// Writes the file to `url` atomically: into a temporary file in the same folder, flushed
    /// to disk (`fsync`) and renamed over `url`, so a crash leaves the old file or the new one.
    ///
    /// - Throws: ``GGUFError`` with reason `.io` when the file cannot be written.
    public func write(to url: URL) throws(GGUFError) {
        let sink = try AtomicSink(destination: url.path)
        do {
            try sink.write(header())
            let zeros = [UInt8](repeating: 0, count: alignment)
            for tensor in tensors {
                try sink.write(tensor.bytes)
                try sink.write(Array(zeros.prefix(padding(tensor.bytes.count))))
            }
            try sink.commit()
        } catch {
            sink.abandon()
            throw error
        }
    }

    /// Zero bytes after `count` bytes to reach the next multiple of the alignment.
    private func padding(_ count: Int) -> Int { (alignment - count % alignment) % alignment }

    /// Header, metadata, tensor infos and the padding before the data section.
    func header() -> [UInt8] {
        var out: [UInt8] = []
        out += Array("GGUF".utf8)
        Self.append(UInt32(3), to: &out)
        Self.append(UInt64(tensors.count), to: &out)
        Self.append(UInt64(metadata.count), to: &out)
        for (key, value) in metadata {
            Self.append(key, to: &out)
            Self.append(value.type.rawValue, to: &out)
            Self.append(value, to: &out)
        }
        var offset = 0
        for tensor in tensors {
            Self.append(tensor.name, to: &out)
            Self.append(UInt32(tensor.dimensions.count), to: &out)
            for extent in tensor.dimensions { Self.append(UInt64(extent), to: &out) }
            Self.append(tensor.type.rawValue, to: &out)
            Self.append(UInt64(offset), to: &out)
            offset += tensor.bytes.count + padding(tensor.bytes.count)
        }
        out += repeatElement(0, count: padding(out.count))
        return out
    }

    // MARK: Encoding values

    private static func depth(_ items: GGUFArray) -> Int {
        if case .array(let inner) = items { return 1 + (inner.map(depth).max() ?? 0) }
        return 1
    }

    private static func append<T: FixedWidthInteger>(_ number: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: number.littleEndian) { out += $0 }
    }

    private static func append(_ text: String, to out: inout [UInt8]) {
        append(UInt64(text.utf8.count), to: &out)
        out += text.utf8
    }

    private static func append(_ value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case .uint8(let v): append(v, to: &out)
        case .int8(let v): append(v, to: &out)
        case .uint16(let v): append(v, to: &out)
        case .int16(let v): append(v, to: &out)
        case .uint32(let v): append(v, to: &out)
        case .int32(let v): append(v, to: &out)
        case .float32(let v): append(v.bitPattern, to: &out)
        case .bool(let v): append(UInt8(v ? 1 : 0), to: &out)
        case .string(let v): append(v, to: &out)
        case .uint64(let v): append(v, to: &out)
        case .int64(let v): append(v, to: &out)
        case .float64(let v): append(v.bitPattern, to: &out)
        case .array(let items): append(items, to: &out)
        }
    }

    private static func append(_ items: GGUFArray, to out: inout [UInt8]) {
        append(items.elementType.rawValue, to: &out)
        append(UInt64(items.count), to: &out)
        switch items {
        case .uint8(let a): out += a
        case .int8(let a): for v in a { append(v, to: &out) }
        case .uint16(let a): for v in a { append(v, to: &out) }
        case .int16(let a): for v in a { append(v, to: &out) }
        case .uint32(let a): for v in a { append(v, to: &out) }
        case .int32(let a): for v in a { append(v, to: &out) }
        case .float32(let a): for v in a { append(v.bitPattern, to: &out) }
        case .bool(let a): for v in a { append(UInt8(v ? 1 : 0), to: &out) }
        case .string(let a): for v in a { append(v, to: &out) }
        case .uint64(let a): for v in a { append(v, to: &out) }
        case .int64(let a): for v in a { append(v, to: &out) }
        case .float64(let a): for v in a { append(v.bitPattern, to: &out) }
        case .array(let a): for v in a { append(v, to: &out) }
        }
    }
}

/// A temporary file beside `destination` that becomes `destination` on ``commit()``.
private final class AtomicSink {
    let destination: String
    let temporary: String
    private var descriptor: Int32

    init(destination: String) throws(GGUFError) {
        self.destination = destination
        let url = URL(fileURLWithPath: destination)
        temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure(destination, "create \(temporary)") }
    }

    private static func failure(_ path: String, _ operation: String) -> GGUFError {
        GGUFError(path: path, reason: .io("cannot \(operation): \(String(cString: strerror(errno)))"))
    }

    func write(_ bytes: [UInt8]) throws(GGUFError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.failure(destination, "write \(temporary)") }
            done += n
        }
    }

    func commit() throws(GGUFError) {
        guard fsync(descriptor) == 0 else { throw Self.failure(destination, "fsync \(temporary)") }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw Self.failure(destination, "close \(temporary)") }
        guard rename(temporary, destination) == 0 else { throw Self.failure(destination, "rename \(temporary) to it") }
        let folder = open(URL(fileURLWithPath: destination).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { _ = fsync(folder); close(folder) }  // make the rename durable (best effort)
    }

    func abandon() {
        if descriptor >= 0 { close(descriptor); descriptor = -1 }
        unlink(temporary)
    }
}
