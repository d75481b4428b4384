import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing safetensors files, and the format's constants.
///
/// Output is byte-for-byte what Hugging Face's implementation writes for tensors of one dtype:
/// tensors sorted by name, contiguous offsets from 0, compact JSON with `__metadata__` first
/// (its keys sorted, here), and the header padded with spaces so the data section starts at a
/// multiple of 8 bytes — every tensor is then aligned for its element type when mapped.
///
/// ```swift
/// try Safetensors.write(["w": w, "b": b], to: url, dtype: .bf16, metadata: ["format": "pt"])
/// ```
public enum Safetensors {
    /// Largest header accepted when reading: 100 MB, the limit of the reference implementation.
    public static let maximumHeaderLength = 100_000_000

    /// Element types ``write(_:to:dtype:metadata:)-(_,_,_,_)`` can store.
    public static let writableDTypes: [SafetensorsDType] = [.f32, .f16, .bf16]

    /// Writes `tensors` to `url` as a safetensors file, atomically.
    ///
    /// The file is written to a temporary file in the same folder, flushed to disk (`fsync`)
    /// and renamed over `url`, so a crash leaves either the old file or the complete new one.
    ///
    /// - Parameters:
    ///   - tensors: names and tensors; names must be unique and not `__metadata__` (stops with
    ///     a message otherwise). Stored sorted by name, whatever the order given.
    ///   - url: destination; replaced if it exists.
    ///   - dtype: `.f32` (exact), `.f16` or `.bf16` (rounded to nearest even, see
    ///     ``HalfPrecision``). Default `.f32`.
    ///   - metadata: the `__metadata__` map; `nil` (default) writes none.
    /// - Throws: ``SafetensorsError`` with reason `.io` when the file cannot be written.
    public static func write(
        _ tensors: [(String, Tensor)], to url: URL,
        dtype: SafetensorsDType = .f32, metadata: [String: String]? = nil
    ) throws(SafetensorsError) {
        let plan = Plan(tensors, dtype: dtype, metadata: metadata)
        let file = try AtomicFile(destination: url)
        do {
            try plan.emit { bytes throws(SafetensorsError) in try file.write(bytes) }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Writes `tensors` to `url` as a safetensors file, atomically; see the array form.
    public static func write(
        _ tensors: [String: Tensor], to url: URL,
        dtype: SafetensorsDType = .f32, metadata: [String: String]? = nil
    ) throws(SafetensorsError) {
        try write(tensors.map { ($0.key, $0.value) }, to: url, dtype: dtype, metadata: metadata)
    }

    /// The bytes of a safetensors file holding `tensors` (as ``write(_:to:dtype:metadata:)-(_,_,_,_)`` writes them).
    public static func encode(
        _ tensors: [(String, Tensor)], dtype: SafetensorsDType = .f32, metadata: [String: String]? = nil
    ) -> [UInt8] {
        let plan = Plan(tensors, dtype: dtype, metadata: metadata)
        var out: [UInt8] = []
        plan.emit { (bytes: UnsafeRawBufferPointer) throws(Never) in out.append(contentsOf: bytes) }
        return out
    }

    // MARK: Layout

    /// The header and tensor order of one file.
    struct Plan {
        let tensors: [(name: String, tensor: Tensor)]
        let dtype: SafetensorsDType
        /// `{…}` padded with spaces to a multiple of 8 bytes.
        let header: [UInt8]

        init(_ tensors: [(String, Tensor)], dtype: SafetensorsDType, metadata: [String: String]?) {
            check(Safetensors.writableDTypes.contains(dtype),
                  "Safetensors.write: cannot store \(dtype.rawValue); use .f32, .f16 or .bf16")
            let sorted = tensors.map { (name: $0.0, tensor: $0.1) }.sorted { $0.name < $1.name }
            for (i, entry) in sorted.enumerated() {
                check(entry.name != "__metadata__", "Safetensors.write: a tensor cannot be named __metadata__")
                check(i == 0 || sorted[i - 1].name != entry.name,
                      "Safetensors.write: tensor name '\(entry.name)' appears twice")
            }
            var json = "{"
            var fields: [String] = []
            if let metadata {
                let pairs = metadata.sorted { $0.key < $1.key }
                    .map { SafetensorsJSON.quoted($0.key) + ":" + SafetensorsJSON.quoted($0.value) }
                fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
            }
            var offset = 0
            let width = dtype.bitWidth / 8
            for (name, tensor) in sorted {
                let end = offset + tensor.count * width
                let shape = tensor.shape.map(String.init).joined(separator: ",")
                fields.append(SafetensorsJSON.quoted(name)
                    + ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
                offset = end
            }
            json += fields.joined(separator: ",") + "}"
            var bytes = Array(json.utf8)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
            self.tensors = sorted
            self.dtype = dtype
            self.header = bytes
        }

        /// Feeds the whole file to `sink` in pieces: length, header, then each tensor's data
        /// (converted in blocks of 1 Mi elements, so memory stays small).
        func emit<E: Error>(_ sink: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
            // u64 little-endian length, then the header. (A manual buffer: the closure-taking
            // `withUnsafeBytes` is `rethrows`, which would erase the typed error.)
            let prefix = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 + header.count, alignment: 8)
            defer { prefix.deallocate() }
            prefix.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self)
            for (i, byte) in header.enumerated() { prefix[8 + i] = byte }
            try sink(UnsafeRawBufferPointer(prefix))
            let block = 1 << 20
            let scratch = UnsafeMutablePointer<UInt16>.allocate(capacity: dtype == .f32 ? 1 : block)
            defer { scratch.deallocate() }
            for (_, tensor) in tensors {
                let source = tensor.storage.pointer  // values are not mutated while writing
                var start = 0
                while start < tensor.count {
                    let n = min(block * (dtype == .f32 ? 16 : 1), tensor.count - start)
                    switch dtype {
                    case .f32:
                        try sink(UnsafeRawBufferPointer(start: source + start, count: n * 4))
                    case .f16:
                        HalfPrecision.convertToHalf(source + start, into: scratch, count: n)
                        try sink(UnsafeRawBufferPointer(start: scratch, count: n * 2))
                    default:
                        HalfPrecision.convertToBFloat16(source + start, into: scratch, count: n)
                        try sink(UnsafeRawBufferPointer(start: scratch, count: n * 2))
                    }
                    start += n
                }
            }
        }
    }

    // MARK: Atomic file

    /// A temporary file beside `destination`, renamed over it by ``commit()``.
    final class AtomicFile {
        let destination: URL
        let temporaryPath: String
        private var descriptor: Int32

        init(destination: URL) throws(SafetensorsError) {
            self.destination = destination
            let folder = destination.deletingLastPathComponent().path
            let token = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            temporaryPath = folder + "/." + destination.lastPathComponent + ".\(getpid()).\(token).tmp"
            descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw Self.failure(destination, "cannot create \(temporaryPath)") }
        }

        static func failure(_ destination: URL, _ what: String) -> SafetensorsError {
            SafetensorsError(path: destination.path, reason: .io("\(what): \(String(cString: strerror(errno)))"))
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws(SafetensorsError) {
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw Self.failure(destination, "cannot write \(temporaryPath)") }
                done += n
            }
        }

        /// Flushes, closes and renames the file into place, then flushes the folder entry.
        func commit() throws(SafetensorsError) {
            guard fsync(descriptor) == 0 else { throw Self.failure(destination, "cannot flush \(temporaryPath)") }
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0 else { throw Self.failure(destination, "cannot close \(temporaryPath)") }
            guard rename(temporaryPath, destination.path) == 0 else {
                throw Self.failure(destination, "cannot rename \(temporaryPath) to \(destination.path)")
            }
            let folder = open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folder >= 0 {
                _ = fsync(folder)  // makes the rename durable; harmless to skip where unsupported
                close(folder)
            }
        }

        /// Closes and deletes the temporary file after a failure.
        func abandon() {
            if descriptor >= 0 { close(descriptor); descriptor = -1 }
            unlink(temporaryPath)
        }

        deinit { if descriptor >= 0 { close(descriptor) } }
    }
}
