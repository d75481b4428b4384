import Foundation
import GGUF

/// A temporary folder for one test, removed when released.
final class GGUFScratch {
    let folder: URL

    init() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-gguf-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// Writes `bytes` to `name` (replacing it) and returns its URL.
    ///
    /// Plain `unlink` + `open` + `write`: `FileManager.createFile` takes about 8 ms here and
    /// truncating an existing file about 4 ms (ext4 flushes on close), too slow for the
    /// thousands of files of the malformed-input tests; this takes about 40 µs.
    func file(_ name: String, _ bytes: [UInt8]) -> URL {
        let url = url(name)
        unlink(url.path)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        precondition(fd >= 0, "cannot create \(url.path)")
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            precondition(n > 0, "cannot write \(url.path)")
            done += n
        }
        close(fd)
        return url
    }
}

/// The sample file of the round-trip tests. `Scripts/check_gguf.py verify-sample` holds the
/// same recipe: keep the two in step.
enum GGUFSample {
    static let unicode = "naïve café — 日本語 🦙 e\u{301}"

    /// Every metadata type: scalars at their extremes, empty and Unicode strings, arrays of
    /// every element type, empty arrays, and arrays nested three deep.
    static let metadata: [(String, GGUFValue)] = [
        ("general.architecture", "lore-test"),
        ("test.uint8", .uint8(255)),
        ("test.int8", .int8(-128)),
        ("test.uint16", .uint16(65535)),
        ("test.int16", .int16(-32768)),
        ("test.uint32", .uint32(4_294_967_295)),
        ("test.int32", .int32(-2_147_483_648)),
        ("test.float32", .float32(1e-5)),
        ("test.bool.true", true),
        ("test.bool.false", false),
        ("test.string.empty", ""),
        ("test.string.unicode", .string(unicode)),
        ("test.uint64", .uint64(.max)),
        ("test.int64", .int64(.min)),
        ("test.float64", .float64(-.pi)),
        ("test.array.uint8", .array(.uint8([0, 1, 255]))),
        ("test.array.int8", .array(.int8([-128, 0, 127]))),
        ("test.array.uint16", .array(.uint16([0, 65535]))),
        ("test.array.int16", .array(.int16([-32768, 32767]))),
        ("test.array.uint32", .array(.uint32([0, 4_294_967_295]))),
        ("test.array.int32", .array(.int32([-2_147_483_648, 7, 2_147_483_647]))),
        ("test.array.float32", .array(.float32([0, -0.0, 1e-5, .infinity, -3.5]))),
        ("test.array.bool", .array(.bool([true, false, true]))),
        ("test.array.string", .array(.string(["", "a", "日本", "🦙", unicode]))),
        ("test.array.uint64", .array(.uint64([0, .max]))),
        ("test.array.int64", .array(.int64([.min, -1, .max]))),
        ("test.array.float64", .array(.float64([.pi, -M_E, 1e300]))),
        ("test.array.empty_int32", .array(.int32([]))),
        ("test.array.empty_string", .array(.string([]))),
        ("test.array.nested", .array(.array([
            .int32([1, 2, 3]), .string(["x", ""]), .array([.float32([0.5]), .array([])]), .uint8([]),
        ]))),
    ]

    /// `(name, type, ne)`; bytes from ``bytes(count:tensor:)``.
    static let tensors: [(String, GGMLType, [Int])] = [
        ("a.f32", .f32, [3, 2]),
        ("b.f16", .f16, [5]),
        ("c.q4_1", .q4_1, [64, 3]),
        ("d.q8_0", .q8_0, [32]),
        ("e.q4_K", .q4_K, [256, 2]),
        ("f.bf16", .bf16, [2, 2, 2, 2]),
        ("g.empty", .f32, [0, 4]),
        ("h.q6_K", .q6_K, [256]),
        ("i.i32", .i32, [1]),
    ]

    /// Tensor `k`'s bytes: byte `i` is `(31·i + 7·k + 1) mod 256`.
    static func bytes(count: Int, tensor k: Int) -> [UInt8] {
        (0..<count).map { UInt8((31 * $0 + 7 * k + 1) & 0xFF) }
    }

    static func writer(alignment: UInt32? = nil) -> GGUFWriter {
        var writer = GGUFWriter()
        for (key, value) in metadata { writer.set(key, value) }
        if let alignment { writer.set("general.alignment", .uint32(alignment)) }
        for (k, (name, type, ne)) in tensors.enumerated() {
            writer.addTensor(name: name, type: type, dimensions: ne, bytes: bytes(count: type.byteCount(dimensions: ne)!, tensor: k))
        }
        return writer
    }
}

/// Little-endian byte building for hand-made (often broken) files.
struct RawGGUF {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += s.utf8 }
    mutating func raw(_ b: [UInt8]) { bytes += b }

    /// Magic, version and the two counts.
    static func header(version: UInt32 = 3, tensors: UInt64, keys: UInt64) -> RawGGUF {
        var r = RawGGUF()
        r.raw(Array("GGUF".utf8))
        r.u32(version)
        r.u64(tensors)
        r.u64(keys)
        return r
    }

    /// A tensor info.
    mutating func tensor(_ name: String, _ ne: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(ne.count))
        for d in ne { u64(d) }
        u32(type)
        u64(offset)
    }

    /// Zero padding to a multiple of `alignment`.
    mutating func pad(_ alignment: Int = 32) { bytes += repeatElement(0, count: (alignment - bytes.count % alignment) % alignment) }
}
