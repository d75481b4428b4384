import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of a whole file, unmapped when released.
///
/// Pages load on first touch, so mapping a 100 MB model costs nothing until its tensors are
/// read. Every read through ``GGUFCursor`` is checked against ``count`` (the size when the file
/// was opened) first; touching a page past the file's *current* end raises SIGBUS, so a file
/// must not be truncated while it is open.
final class GGUFMapping: @unchecked Sendable {
    let path: String
    let count: Int
    private let base: UnsafeMutableRawPointer?

    init(path: String) throws(GGUFError) {
        self.path = path
        func failure(_ operation: String) -> GGUFError {
            GGUFError(path: path, reason: .io("cannot \(operation): \(String(cString: strerror(errno)))"))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("stat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(path: path, reason: .io("cannot open: not a regular file"))
        }
        count = Int(info.st_size)
        guard count > 0 else { base = nil; return }  // mmap rejects length 0
        let pointer = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let pointer, pointer != MAP_FAILED else { throw failure("map") }
        base = pointer
    }

    deinit {
        if let base { munmap(base, count) }
    }

    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0) }, count: count)
    }
}

/// Reads little-endian GGUF fields from a byte buffer, checking every read against its end.
///
/// Errors name the file, the offset of the field being read, and the key or tensor set in
/// ``key`` / ``tensor`` by the caller.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    /// Offset of the next byte to read.
    var offset = 0
    /// The metadata key being read, for errors.
    var key: String?
    /// The tensor info being read, for errors.
    var tensor: String?

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    func error(_ reason: GGUFError.Reason, at position: Int? = nil) -> GGUFError {
        GGUFError(path: path, offset: position ?? offset, key: key, tensor: tensor, reason: reason)
    }

    /// Claims `n` bytes and returns their start; throws `.truncated` naming `field` when fewer remain.
    mutating func take(_ n: Int, _ field: @autoclosure () -> String) throws(GGUFError) -> Int {
        guard n <= remaining else { throw error(.truncated(field: field(), needed: n, available: remaining)) }
        let start = offset
        offset += n
        return start
    }

    /// Throws `.countTooLarge` unless `count` items of at least `minimumSize` bytes each fit in
    /// the rest of the file — checked before anything is allocated for them.
    func requireRoom(for count: UInt64, minimumSize: Int, _ what: @autoclosure () -> String, at position: Int) throws(GGUFError) {
        let needed = count.multipliedReportingOverflow(by: UInt64(minimumSize))
        if needed.overflow || needed.partialValue > UInt64(remaining) {
            throw error(.countTooLarge(what: what(), count: count,
                                       minimumBytes: needed.overflow ? .max : needed.partialValue,
                                       available: remaining), at: position)
        }
    }

    mutating func u8(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt8 {
        bytes[try take(1, field())]
    }

    mutating func u16(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2, field()), as: UInt16.self))
    }

    mutating func u32(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4, field()), as: UInt32.self))
    }

    mutating func u64(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, field()), as: UInt64.self))
    }

    /// A GGUF string: u64 byte length, then that many bytes of UTF-8 (no terminator).
    mutating func string(_ field: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let length = try u64("the length of \(field())")
        try requireRoom(for: length, minimumSize: 1, "\(field()) length", at: start)
        let n = Int(length)
        let begin = try take(n, field())
        guard n > 0 else { return "" }
        let utf8 = UnsafeBufferPointer(start: bytes.baseAddress!.advanced(by: begin).assumingMemoryBound(to: UInt8.self), count: n)
        guard let text = String(validating: utf8, as: UTF8.self) else { throw error(.invalidUTF8, at: start) }
        return text
    }

    /// A value type code.
    mutating func valueType(_ field: @autoclosure () -> String) throws(GGUFError) -> GGUFValueType {
        let position = offset
        let code = try u32(field())
        guard let type = GGUFValueType(rawValue: code) else { throw error(.unknownValueType(code), at: position) }
        return type
    }

    /// One metadata value of `type`; arrays nest at most `GGUFFile.maximumArrayDepth` levels.
    mutating func value(of type: GGUFValueType, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try u8("a UINT8 value"))
        case .int8: return .int8(Int8(bitPattern: try u8("an INT8 value")))
        case .uint16: return .uint16(try u16("a UINT16 value"))
        case .int16: return .int16(Int16(bitPattern: try u16("an INT16 value")))
        case .uint32: return .uint32(try u32("a UINT32 value"))
        case .int32: return .int32(Int32(bitPattern: try u32("an INT32 value")))
        case .float32: return .float32(Float(bitPattern: try u32("a FLOAT32 value")))
        case .bool: return .bool(try u8("a BOOL value") != 0)
        case .string: return .string(try string("a STRING value"))
        case .uint64: return .uint64(try u64("a UINT64 value"))
        case .int64: return .int64(Int64(bitPattern: try u64("an INT64 value")))
        case .float64: return .float64(Double(bitPattern: try u64("a FLOAT64 value")))
        case .array: return .array(try array(depth: depth + 1))
        }
    }

    /// An array: element type u32, count u64, then the elements.
    mutating func array(depth: Int) throws(GGUFError) -> GGUFArray {
        let start = offset
        guard depth <= GGUFFile.maximumArrayDepth else {
            throw error(.arrayNestingTooDeep(limit: GGUFFile.maximumArrayDepth))
        }
        let elementType = try valueType("an array's element type")
        let count = try u64("an array's element count")
        try requireRoom(for: count, minimumSize: elementType.minimumSize, "array of \(elementType)", at: start)
        let n = Int(count)
        switch elementType {
        case .uint8: return .uint8(try numbers(n, UInt8.self))
        case .int8: return .int8(try numbers(n, Int8.self))
        case .uint16: return .uint16(try numbers(n, UInt16.self))
        case .int16: return .int16(try numbers(n, Int16.self))
        case .uint32: return .uint32(try numbers(n, UInt32.self))
        case .int32: return .int32(try numbers(n, Int32.self))
        case .uint64: return .uint64(try numbers(n, UInt64.self))
        case .int64: return .int64(try numbers(n, Int64.self))
        case .float32: return .float32(try numbers(n, UInt32.self).map { Float(bitPattern: $0) })
        case .float64: return .float64(try numbers(n, UInt64.self).map { Double(bitPattern: $0) })
        case .bool: return .bool(try numbers(n, UInt8.self).map { $0 != 0 })
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(n)
            for _ in 0..<n { strings.append(try string("a STRING array element")) }
            return .string(strings)
        case .array:
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(n)
            for _ in 0..<n { arrays.append(try array(depth: depth + 1)) }
            return .array(arrays)
        }
    }

    /// `n` little-endian integers copied in one block (room already checked by the caller).
    private mutating func numbers<T: FixedWidthInteger>(_ n: Int, _: T.Type) throws(GGUFError) -> [T] {
        let begin = try take(n * MemoryLayout<T>.size, "array elements")
        let source = bytes.baseAddress.map { $0 + begin }
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            if n > 0, let source {
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: source, byteCount: n * MemoryLayout<T>.size)
                #if _endian(big)
                for i in 0..<n { buffer[i] = T(littleEndian: buffer[i]) }
                #endif
            }
            initialized = n
        }
    }
}
