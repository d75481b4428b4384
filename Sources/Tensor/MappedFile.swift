import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A failure to open, read or map a file, with the path and the system's reason.
public struct FileAccessError: Error, LocalizedError, Equatable, Sendable {
    /// The file involved.
    public let path: String
    /// What was being done: `open`, `read`, `map`, ….
    public let operation: String
    /// The `errno` text (`strerror`), or a short explanation.
    public let reason: String

    public init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
    }

    /// An error for the current `errno`.
    static func fromErrno(_ path: String, _ operation: String) -> FileAccessError {
        FileAccessError(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }

    public var errorDescription: String? { "\(path): cannot \(operation): \(reason)" }
}

/// A file opened for reading, with its size: the first step before memory-mapping it.
///
/// Readers of binary formats read and check the header with ``read(at:count:)`` (plain
/// `pread`, safe on any file), compare every offset against ``size``, and only then call
/// ``map()``. Pages of a mapping that lie past the end of the file raise SIGBUS when touched,
/// so checking first is what makes a truncated file an error instead of a crash.
public final class ReadOnlyFile {
    /// The path it was opened with.
    public let path: String
    /// Size in bytes when it was opened (`fstat`).
    public let size: Int
    fileprivate let descriptor: Int32

    /// Opens `path` read-only.
    ///
    /// - Throws: ``FileAccessError`` when the file is missing, unreadable or not a regular file.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileAccessError.fromErrno(path, "open") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = FileAccessError.fromErrno(path, "stat")
            close(fd)
            throw error
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw FileAccessError(path: path, operation: "open", reason: "not a regular file")
        }
        self.descriptor = fd
        self.size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads `count` bytes starting at byte `offset`.
    ///
    /// - Throws: ``FileAccessError`` when the range is outside the file or the read fails.
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw FileAccessError(path: path, operation: "read",
                                  reason: "bytes \(offset)..<\(offset &+ count) lie outside the file of \(size) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw FileAccessError.fromErrno(path, "read") }
                if n == 0 {
                    throw FileAccessError(path: path, operation: "read", reason: "file ended early (was it truncated?)")
                }
                done += n
            }
        }
        return bytes
    }

    /// Maps the whole file (``size`` bytes) read-only.
    public func map() throws -> MappedFile {
        try MappedFile(file: self)
    }
}

/// A read-only memory mapping of a whole file, unmapped when the object is released.
///
/// The bytes are shared with the page cache and loaded on first touch, so opening a large
/// checkpoint costs nothing until a tensor is read. Touching a page past the file's *current*
/// end raises SIGBUS: open through ``ReadOnlyFile`` and check sizes before reading, and do not
/// truncate a file while it is mapped.
public final class MappedFile: @unchecked Sendable {
    /// The path of the mapped file.
    public let path: String
    /// Number of mapped bytes (the file size when it was mapped).
    public let count: Int
    private let base: UnsafeMutableRawPointer?

    /// Maps the whole file at `path` read-only.
    public convenience init(path: String) throws {
        try self.init(file: ReadOnlyFile(path: path))
    }

    /// Maps the whole of an opened file (``ReadOnlyFile/size`` bytes) read-only. The mapping
    /// stays valid after `file` is closed.
    public init(file: ReadOnlyFile) throws {
        self.path = file.path
        self.count = file.size
        if count == 0 {
            base = nil  // mmap rejects length 0; an empty file has no bytes to map
            return
        }
        let pointer = mmap(nil, count, PROT_READ, MAP_PRIVATE, file.descriptor, 0)
        guard let pointer, pointer != MAP_FAILED else { throw FileAccessError.fromErrno(path, "map") }
        base = pointer
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// The mapped bytes.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0) }, count: count)
    }
}
