import Foundation
import Testing
@testable import GGUF

/// Crafted, truncated and randomly corrupted files: each must be refused with a typed
/// ``GGUFError`` naming the file, the byte offset and the key or tensor — never a crash, never
/// a huge allocation from a hostile count.
@Suite("GGUF malformed input")
struct GGUFMalformedTests {
    let scratch = GGUFScratch()
    typealias Reason = GGUFError.Reason

    /// The error opening `bytes` throws, or `nil` when the file opens.
    func failure(_ bytes: [UInt8], name: String = "bad.gguf") -> GGUFError? {
        do {
            _ = try GGUFFile(url: scratch.file(name, bytes))
            return nil
        } catch {
            return error
        }
    }

    /// A valid file: `general.architecture` = "x", `a` = [1, 2] (INT32); tensors `w` F32 [4] at
    /// 0 and `v` Q8_0 [32] at 32. `edit` may change the tensor infos.
    static func valid(tensors: ((inout RawGGUF) -> Void)? = nil, tensorCount: UInt64 = 2) -> [UInt8] {
        var r = RawGGUF.header(tensors: tensorCount, keys: 2)
        r.string("general.architecture"); r.u32(8); r.string("x")
        r.string("a"); r.u32(9); r.u32(5); r.u64(2); r.u32(1); r.u32(2)
        if let tensors {
            tensors(&r)
        } else {
            r.tensor("w", [4], type: 0, offset: 0)
            r.tensor("v", [32], type: 8, offset: 32)
        }
        r.pad()
        r.raw([UInt8](repeating: 7, count: 16) + [UInt8](repeating: 0, count: 16) + [UInt8](repeating: 9, count: 34))
        return r.bytes
    }

    /// A header and one metadata entry `k` of raw type `type` followed by `value` bytes.
    static func oneKey(type: UInt32, _ value: (inout RawGGUF) -> Void) -> [UInt8] {
        var r = RawGGUF.header(tensors: 0, keys: 1)
        r.string("k"); r.u32(type)
        value(&r)
        return r.bytes
    }

    static func nested(depth: Int) -> [UInt8] {
        oneKey(type: 9) { r in
            for _ in 1..<depth { r.u32(9); r.u64(1) }
            r.u32(5); r.u64(0)
        }
    }

    struct Case {
        let label: String
        let bytes: [UInt8]
        let reason: Reason
        let offset: Int?
        var key: String? = nil
        var tensor: String? = nil
    }

    static let cases: [Case] = {
        let gguf = Array("GGUF".utf8)
        func withU32(_ bytes: [UInt8], at i: Int, _ v: UInt32) -> [UInt8] {
            var b = bytes
            for j in 0..<4 { b[i + j] = UInt8(truncatingIfNeeded: v >> (8 * j)) }
            return b
        }
        func withU64(_ bytes: [UInt8], at i: Int, _ v: UInt64) -> [UInt8] {
            var b = bytes
            for j in 0..<8 { b[i + j] = UInt8(truncatingIfNeeded: v >> (8 * j)) }
            return b
        }
        let base = valid()
        // Offsets in `base`: key 1 at 24 (8 + 20 bytes), its type at 52, value at 56; key 2 at
        // 65, type at 74, element type 78, count 82; tensor infos from 98, each 33 bytes:
        // name (9), n_dims (+9), ne[0] (+13), type (+21), offset (+25).
        let firstTensor = 98, secondTensor = 98 + 33
        return [
            Case(label: "empty file", bytes: [], reason: .truncated(field: "the magic number", needed: 4, available: 0), offset: 0),
            Case(label: "three bytes", bytes: Array(gguf.prefix(3)), reason: .truncated(field: "the magic number", needed: 4, available: 3), offset: 0),
            Case(label: "magic only", bytes: gguf, reason: .truncated(field: "the version", needed: 4, available: 0), offset: 4),
            Case(label: "ggml magic", bytes: Array("ggml".utf8) + base.dropFirst(4), reason: .badMagic(found: Array("ggml".utf8)), offset: 0),
            Case(label: "version 1", bytes: withU32(base, at: 4, 1), reason: .unsupportedVersion(1, bigEndian: false), offset: 4),
            Case(label: "version 4", bytes: withU32(base, at: 4, 4), reason: .unsupportedVersion(4, bigEndian: false), offset: 4),
            Case(label: "big-endian", bytes: withU32(base, at: 4, 0x0300_0000), reason: .unsupportedVersion(0x0300_0000, bigEndian: true), offset: 4),
            Case(label: "metadata count cut", bytes: Array(base.prefix(20)), reason: .truncated(field: "the metadata count", needed: 8, available: 4), offset: 16),
            Case(label: "huge metadata count", bytes: withU64(base, at: 16, 1_000_000),
                 reason: .countTooLarge(what: "metadata count", count: 1_000_000, minimumBytes: 13_000_000, available: base.count - 24), offset: 16),
            Case(label: "metadata count overflowing", bytes: withU64(base, at: 16, .max),
                 reason: .countTooLarge(what: "metadata count", count: .max, minimumBytes: .max, available: base.count - 24), offset: 16),
            Case(label: "huge tensor count", bytes: withU64(base, at: 8, 1 << 62),
                 reason: .countTooLarge(what: "tensor count", count: 1 << 62, minimumBytes: .max, available: base.count - firstTensor), offset: 8),
            Case(label: "huge key length", bytes: withU64(base, at: 24, 1 << 62),
                 reason: .countTooLarge(what: "a metadata key length", count: 1 << 62, minimumBytes: 1 << 62, available: base.count - 32), offset: 24),
            Case(label: "string value past the end", bytes: withU64(base, at: 56, UInt64(base.count)),
                 reason: .countTooLarge(what: "a STRING value length", count: UInt64(base.count), minimumBytes: UInt64(base.count),
                                        available: base.count - 64), offset: 56, key: "general.architecture"),
            Case(label: "huge array count", bytes: withU64(base, at: 82, 1 << 40),
                 reason: .countTooLarge(what: "array of INT32", count: 1 << 40, minimumBytes: 1 << 42, available: base.count - 90),
                 offset: 78, key: "a"),
            Case(label: "array of arrays overflowing", bytes: withU64(withU32(base, at: 78, 9), at: 82, .max / 2),
                 reason: .countTooLarge(what: "array of ARRAY", count: .max / 2, minimumBytes: .max, available: base.count - 90),
                 offset: 78, key: "a"),
            Case(label: "unknown value type", bytes: withU32(base, at: 52, 13), reason: .unknownValueType(13), offset: 52, key: "general.architecture"),
            Case(label: "unknown element type", bytes: withU32(base, at: 78, 99), reason: .unknownValueType(99), offset: 78, key: "a"),
            Case(label: "key not UTF-8", bytes: oneKey(type: 4) { $0.u32(0) }.enumerated().map { $0.offset == 32 ? 0xFF : $0.element },
                 reason: .invalidUTF8, offset: 24),
            Case(label: "value not UTF-8", bytes: oneKey(type: 8) { $0.u64(2); $0.raw([0xC3, 0x28]) }, reason: .invalidUTF8, offset: 37, key: "k"),
            Case(label: "duplicate key", bytes: {
                var r = RawGGUF.header(tensors: 0, keys: 2)
                r.string("k"); r.u32(4); r.u32(1)
                r.string("k"); r.u32(4); r.u32(2)
                return r.bytes
            }(), reason: .duplicateKey, offset: 41, key: "k"),
            Case(label: "arrays 17 deep", bytes: nested(depth: 17), reason: .arrayNestingTooDeep(limit: 16), offset: 37 + 16 * 12, key: "k"),
            Case(label: "arrays 100,000 deep", bytes: nested(depth: 100_000), reason: .arrayNestingTooDeep(limit: 16), offset: 37 + 16 * 12, key: "k"),
            Case(label: "alignment 24", bytes: {
                var r = RawGGUF.header(tensors: 0, keys: 1)
                r.string("general.alignment"); r.u32(4); r.u32(24)
                return r.bytes
            }(), reason: .invalidAlignment("is 24"), offset: 24, key: "general.alignment"),
            Case(label: "alignment 0", bytes: {
                var r = RawGGUF.header(tensors: 0, keys: 1)
                r.string("general.alignment"); r.u32(4); r.u32(0)
                return r.bytes
            }(), reason: .invalidAlignment("is 0"), offset: 24, key: "general.alignment"),
            Case(label: "alignment UINT64", bytes: {
                var r = RawGGUF.header(tensors: 0, keys: 1)
                r.string("general.alignment"); r.u32(10); r.u64(32)
                return r.bytes
            }(), reason: .invalidAlignment("is UINT64"), offset: 24, key: "general.alignment"),
            Case(label: "tensor infos cut", bytes: Array(base.prefix(firstTensor + 40)),
                 reason: .countTooLarge(what: "tensor count", count: 2, minimumBytes: 48, available: 40), offset: 8),
            Case(label: "tensor name past the end", bytes: withU64(base, at: firstTensor, 1000),
                 reason: .countTooLarge(what: "a tensor name length", count: 1000, minimumBytes: 1000, available: base.count - firstTensor - 8),
                 offset: firstTensor),
            Case(label: "five dimensions", bytes: valid { $0.tensor("w", [1, 1, 1, 1, 4], type: 0, offset: 0); $0.tensor("v", [32], type: 8, offset: 32) },
                 reason: .tooManyDimensions(5), offset: firstTensor + 9, tensor: "w"),
            Case(label: "negative dimension", bytes: valid { $0.tensor("w", [1 << 63], type: 0, offset: 0); $0.tensor("v", [32], type: 8, offset: 32) },
                 reason: .invalidDimension(1 << 63), offset: firstTensor + 13, tensor: "w"),
            Case(label: "removed type Q4_2", bytes: withU32(base, at: firstTensor + 21, 4), reason: .unknownTensorType(4), offset: firstTensor + 21, tensor: "w"),
            Case(label: "partial block", bytes: valid { $0.tensor("w", [4], type: 0, offset: 0); $0.tensor("v", [48], type: 8, offset: 32) },
                 reason: .partialBlock(type: .q8_0, firstDimension: 48), offset: secondTensor + 9, tensor: "v"),
            Case(label: "size overflow", bytes: valid { $0.tensor("w", [1 << 40, 1 << 40], type: 0, offset: 0); $0.tensor("v", [32], type: 8, offset: 32) },
                 reason: .sizeOverflow(dimensions: [1 << 40, 1 << 40]), offset: firstTensor + 9, tensor: "w"),
            Case(label: "misaligned offset", bytes: withU64(base, at: secondTensor + 25, 16),
                 reason: .misalignedOffset(offset: 16, alignment: 32), offset: secondTensor + 25, tensor: "v"),
            Case(label: "offset past the end", bytes: withU64(base, at: secondTensor + 25, 1024),
                 reason: .dataOutOfRange(begin: 1024, end: 1058, dataSize: 66), offset: secondTensor + 25, tensor: "v"),
            Case(label: "offset overflowing", bytes: withU64(base, at: secondTensor + 25, .max - 31),
                 reason: .dataOutOfRange(begin: .max - 31, end: .max, dataSize: 66), offset: secondTensor + 25, tensor: "v"),
            Case(label: "data cut", bytes: Array(base.dropLast(1)),
                 reason: .dataOutOfRange(begin: 32, end: 66, dataSize: 65), offset: secondTensor + 25, tensor: "v"),
            Case(label: "overlap", bytes: withU64(base, at: secondTensor + 25, 0),
                 reason: .overlap(previous: "w", previousEnd: 16, begin: 0), offset: secondTensor + 25, tensor: "v"),
            Case(label: "duplicate tensor", bytes: valid { $0.tensor("w", [4], type: 0, offset: 0); $0.tensor("w", [4], type: 0, offset: 32) },
                 reason: .duplicateTensor, offset: secondTensor, tensor: "w"),
        ]
    }()

    @Test func theBaseFileIsValid() throws {
        let file = try GGUFFile(url: scratch.file("base.gguf", Self.valid()))
        #expect(file.tensors.map(\.name) == ["w", "v"] && file.dataOffset == 192)
        #expect(try file.tensorData(named: "v") == Data(repeating: 9, count: 34))
        #expect(try GGUFFile(url: scratch.file("deep.gguf", Self.nested(depth: 16))).metadata.count == 1)
    }

    @Test(arguments: cases.map(\.label))
    func craftedFileIsRefusedWithTheRightReason(_ label: String) {
        let c = Self.cases.first { $0.label == label }!
        let error = failure(c.bytes)
        #expect(error?.reason == c.reason, "\(error?.errorDescription ?? "opened")")
        #expect(error?.offset == c.offset)
        #expect(error?.key == c.key)
        #expect(error?.tensor == c.tensor)
        #expect(error?.path.hasSuffix("/bad.gguf") == true)
        #expect(error?.errorDescription?.hasPrefix(error!.path + ": ") == true)
    }

    @Test func messagesNameFileOffsetKeyAndHint() {
        let c = Self.cases.first { $0.label == "huge array count" }!
        let text = failure(c.bytes, name: "model.gguf")?.errorDescription ?? ""
        #expect(text.hasSuffix("model.gguf: byte 78: key 'a': array of INT32 of 1099511627776 needs at least 4398046511104 bytes "
                               + "but only 168 remain — the file is truncated or corrupt; copy or download it again"))
        let version = failure(Self.cases.first { $0.label == "version 1" }!.bytes) ?? GGUFError(path: "", reason: .missingKey)
        #expect(version.errorDescription?.contains("GGUF version 1 (32-bit counts) is not supported") == true)
    }

    @Test func missingFilesAndFoldersAreIOErrors() {
        for path in ["/nonexistent/model.gguf", scratch.folder.path] {
            do {
                _ = try GGUFFile(path: path)
                Issue.record("\(path) opened")
            } catch {
                guard case .io = error.reason else { Issue.record("\(error)"); continue }
                #expect(error.path == path)
            }
        }
    }

    /// Every prefix of the round-trip sample short of its last tensor byte is refused: inside
    /// the header as truncated (or a count past the end) at an offset within the prefix, inside
    /// the padding or data as data out of range.
    @Test func everyTruncationIsRefused() throws {
        let bytes = GGUFSample.writer().encode()
        let url = scratch.file("sample.gguf", bytes)
        let file = try GGUFFile(url: url)
        let infosEnd = file.dataOffset
        let lastByte = file.tensors.map(\.fileRange.upperBound).max()!
        var refused = 0
        for n in 0..<bytes.count {
            _ = scratch.file("sample.gguf", Array(bytes.prefix(n)))
            do {
                _ = try GGUFFile(url: url)
                #expect(n >= lastByte, "prefix of \(n) bytes opened")
            } catch {
                refused += 1
                #expect(error.path == url.path)
                #expect(n < lastByte, "prefix of \(n) bytes refused: \(error.localizedDescription)")
                switch error.reason {
                case .truncated, .countTooLarge:
                    #expect((error.offset ?? .max) <= n && n < infosEnd, "\(n): \(error.localizedDescription)")
                case .dataOutOfRange:
                    #expect(n >= infosEnd - 31 && error.tensor != nil, "\(n): \(error.localizedDescription)")
                default:
                    Issue.record("prefix of \(n) bytes: unexpected \(error.localizedDescription)")
                }
            }
        }
        #expect(refused == lastByte)
    }

    /// 3,000 seeded random corruptions of the sample's header (bytes overwritten, counts and
    /// lengths replaced by awkward values, cuts): each either opens — and then every tensor's
    /// bytes and metadata value can be read — or throws a GGUFError naming the file.
    @Test func randomCorruptionNeverCrashes() throws {
        let original = GGUFSample.writer().encode()
        let headerEnd = GGUFSample.writer().header().count
        let url = scratch.url("fuzz.gguf")
        var rng = SplitMix64(seed: 0x6755_4646)
        var opened = 0, refused = 0
        var reasons: Set<String> = []
        let awkward: [UInt64] = [0, 1, 2, 3, 8, 12, 13, 24, 31, 32, 255, 1 << 31, 1 << 32, 1 << 62, 1 << 63, .max, .max - 31,
                                 UInt64(original.count), UInt64(headerEnd)]
        for round in 0..<3000 {
            var bytes = original
            switch round % 4 {
            case 0:
                for _ in 0..<(1 + Int(rng.next() % 8)) {
                    bytes[Int(rng.next() % UInt64(headerEnd))] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 1:
                let at = Int(rng.next() % UInt64(headerEnd - 8))
                let value = awkward[Int(rng.next() % UInt64(awkward.count))]
                for j in 0..<8 { bytes[at + j] = UInt8(truncatingIfNeeded: value >> (8 * j)) }
            case 2:
                let at = Int(rng.next() % UInt64(headerEnd - 4))
                let value = UInt32(truncatingIfNeeded: awkward[Int(rng.next() % UInt64(awkward.count))])
                for j in 0..<4 { bytes[at + j] = UInt8(truncatingIfNeeded: value >> (8 * j)) }
            default:
                bytes[Int(rng.next() % UInt64(headerEnd))] ^= 1 << (rng.next() % 8)
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            }
            _ = scratch.file("fuzz.gguf", bytes)
            do {
                let file = try GGUFFile(url: url)
                opened += 1
                var checksum = 0
                for info in file.tensors {
                    checksum &+= file.withBytes(of: info) { raw in raw.reduce(0) { $0 &+ Int($1) } }
                    #expect(info.fileRange.upperBound <= bytes.count)
                }
                for (_, value) in file.metadata { checksum &+= value.typeName.count }
                _ = checksum
            } catch {
                refused += 1
                #expect(error.path == url.path)
                reasons.insert(String("\(error.reason)".prefix(while: { $0 != "(" })))
            }
        }
        print("GGUF fuzz: 3000 corrupted files, \(opened) opened, \(refused) refused; reasons seen: \(reasons.sorted().joined(separator: ", "))")
        #expect(refused > 1000 && reasons.count >= 8)
    }
}

/// A tiny seeded generator for the fuzz test (Steele, Lea & Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
