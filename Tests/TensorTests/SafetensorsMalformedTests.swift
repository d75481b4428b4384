import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// Crafted bad files: each must be refused with the right ``SafetensorsError`` — never a crash.
@Suite("Safetensors malformed input")
struct SafetensorsMalformedTests {
    let scratch = SafetensorsScratch()
    typealias Reason = SafetensorsError.Reason

    /// An 8-byte little-endian length (the header's, unless `length` overrides it), the header
    /// padded with spaces to a multiple of 8, then `data`.
    static func bytes(header: String, data: [UInt8], length: UInt64? = nil) -> [UInt8] {
        var json = Array(header.utf8)
        json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        let n = length ?? UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } + json + data
    }

    static func entry(_ name: String, _ dtype: String = "F32", shape: String, offsets: String) -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
    }

    /// alpha: F32 [2, 2] at 0..<16; beta: F32 [3] at 16..<28.
    static let alpha = entry("alpha", shape: "[2,2]", offsets: "[0,16]")
    static let beta = entry("beta", shape: "[3]", offsets: "[16,28]")
    static let validBytes = bytes(header: "{\(alpha),\(beta)}", data: Array(repeating: 0, count: 28))

    struct Case {
        let label: String
        let bytes: [UInt8]
        /// The header entry the error must name (nil: the header as a whole).
        let tensor: String?
        let matches: (Reason) -> Bool
    }

    static func cases() -> [Case] {
        let data16 = [UInt8](repeating: 0, count: 16), data28 = [UInt8](repeating: 0, count: 28)
        let data32 = [UInt8](repeating: 0, count: 32)
        func one(_ entries: String, _ data: [UInt8]) -> [UInt8] { bytes(header: "{\(entries)}", data: data) }
        let n = UInt64(validBytes.count - 36)  // header length of the valid file
        var cases: [Case] = [
            Case(label: "empty file", bytes: [], tensor: nil) { $0 == .fileTooSmall(size: 0) },
            Case(label: "seven bytes", bytes: Array(validBytes.prefix(7)), tensor: nil) { $0 == .fileTooSmall(size: 7) },
            Case(label: "length only", bytes: Array(validBytes.prefix(8)), tensor: nil) {
                $0 == .headerPastEndOfFile(length: n, fileSize: 8)
            },
            Case(label: "header cut", bytes: Array(validBytes.prefix(30)), tensor: nil) {
                $0 == .headerPastEndOfFile(length: n, fileSize: 30)
            },
            Case(label: "no data", bytes: Array(validBytes.prefix(8 + Int(n))), tensor: "alpha") {
                $0 == .pastEndOfFile(end: 16, dataSize: 0)
            },
            Case(label: "data cut inside beta", bytes: Array(validBytes.dropLast(1)), tensor: "beta") {
                $0 == .pastEndOfFile(end: 28, dataSize: 27)
            },
            Case(label: "trailing bytes", bytes: validBytes + [0, 0, 0], tensor: nil) {
                $0 == .trailingBytes(covered: 28, dataSize: 31)
            },
            Case(label: "absurd length", bytes: bytes(header: "{}", data: [], length: 1 << 63), tensor: nil) {
                $0 == .headerTooLarge(length: 1 << 63)
            },
            Case(label: "just over the limit", bytes: bytes(header: "{}", data: [], length: 100_000_001), tensor: nil) {
                $0 == .headerTooLarge(length: 100_000_001)
            },
            Case(label: "length past the end", bytes: bytes(header: "{}", data: [], length: 9), tensor: nil) {
                $0 == .headerPastEndOfFile(length: 9, fileSize: 16)
            },
            Case(label: "length too short", bytes: bytes(header: "{\(alpha)}", data: data16, length: 20), tensor: nil) {
                if case .headerNotJSON = $0 { true } else { false }
            },
            Case(label: "zero length", bytes: [0, 0, 0, 0, 0, 0, 0, 0], tensor: nil) {
                if case .headerNotJSON = $0 { true } else { false }
            },
            Case(label: "not JSON", bytes: bytes(header: "hello, world", data: []), tensor: nil) {
                if case .headerNotJSON = $0 { true } else { false }
            },
            Case(label: "NUL padding", bytes: bytes(header: "{}", data: []).enumerated().map { $0.offset >= 10 ? 0 : $0.element },
                 tensor: nil) { if case .headerNotJSON = $0 { true } else { false } },
            Case(label: "not UTF-8", bytes: [8, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x22, 0xFF, 0x22, 0x7D, 0x20, 0x20, 0x20],
                 tensor: nil) { $0 == .headerNotUTF8 },
            Case(label: "JSON array", bytes: bytes(header: "[1, 2]", data: []), tensor: nil) { $0 == .headerNotObject(found: "array") },
            Case(label: "JSON string", bytes: bytes(header: "\"{}\"", data: []), tensor: nil) { $0 == .headerNotObject(found: "string") },
            Case(label: "deep nesting", bytes: bytes(header: String(repeating: "[", count: 100_000), data: []), tensor: nil) {
                if case .headerNotJSON(let m) = $0 { m.contains("nested") } else { false }
            },
            Case(label: "overlap", bytes: one("\(alpha),\(entry("beta", shape: "[3]", offsets: "[12,24]"))", data28.dropLast(4)),
                 tensor: "beta") { $0 == .overlap(previous: "alpha", previousEnd: 16, begin: 12) },
            Case(label: "gap", bytes: one("\(alpha),\(entry("beta", shape: "[3]", offsets: "[20,32]"))", data32),
                 tensor: "beta") { $0 == .gap(previous: "alpha", previousEnd: 16, begin: 20) },
            Case(label: "not starting at 0",
                 bytes: one("\(entry("alpha", shape: "[2,2]", offsets: "[4,20]")),\(entry("beta", shape: "[3]", offsets: "[20,32]"))", data32),
                 tensor: "alpha") { $0 == .offsetsNotStartingAtZero(begin: 4) },
            Case(label: "past the end", bytes: one("\(alpha),\(beta)", Array(data28.prefix(20))), tensor: "beta") {
                $0 == .pastEndOfFile(end: 28, dataSize: 20)
            },
            Case(label: "dtype/shape disagree", bytes: one(entry("alpha", shape: "[2,3]", offsets: "[0,16]"), data16),
                 tensor: "alpha") { $0 == .sizeMismatch(dtype: "F32", shape: [2, 3], expectedBytes: 24, actualBytes: 16) },
            Case(label: "F16 size", bytes: one(entry("h", "F16", shape: "[4]", offsets: "[0,16]"), data16), tensor: "h") {
                $0 == .sizeMismatch(dtype: "F16", shape: [4], expectedBytes: 8, actualBytes: 16)
            },
            Case(label: "size overflow", bytes: one(entry("big", shape: "[4294967296,4294967296]", offsets: "[0,16]"), data16),
                 tensor: "big") { $0 == .sizeMismatch(dtype: "F32", shape: [1 << 32, 1 << 32], expectedBytes: nil, actualBytes: 16) },
            Case(label: "unknown dtype", bytes: one(entry("alpha", "F31", shape: "[2,2]", offsets: "[0,16]"), data16),
                 tensor: "alpha") { $0 == .unknownDtype("F31") },
            Case(label: "negative dimension", bytes: one(entry("alpha", shape: "[-2,-2]", offsets: "[0,16]"), data16),
                 tensor: "alpha") { $0 == .negativeDimension(shape: [-2, -2]) },
            Case(label: "fractional dimension", bytes: one(entry("alpha", shape: "[2.0,2]", offsets: "[0,16]"), data16),
                 tensor: "alpha") { if case .invalidValue(key: "shape", _) = $0 { true } else { false } },
            Case(label: "boolean shape", bytes: one(entry("alpha", shape: "true", offsets: "[0,16]"), data16),
                 tensor: "alpha") { if case .invalidValue(key: "shape", _) = $0 { true } else { false } },
            Case(label: "one offset", bytes: one(entry("alpha", shape: "[2,2]", offsets: "[16]"), data16),
                 tensor: "alpha") { if case .invalidOffsets(let m) = $0 { m.contains("1 values") } else { false } },
            Case(label: "three offsets", bytes: one(entry("alpha", shape: "[2,2]", offsets: "[0,8,16]"), data16),
                 tensor: "alpha") { if case .invalidOffsets = $0 { true } else { false } },
            Case(label: "begin after end", bytes: one(entry("alpha", shape: "[0]", offsets: "[16,0]"), data16),
                 tensor: "alpha") { $0 == .invalidOffsets("begin 16 is after end 0") },
            Case(label: "negative offset", bytes: one(entry("alpha", shape: "[2,2]", offsets: "[-16,0]"), data16),
                 tensor: "alpha") { if case .invalidOffsets = $0 { true } else { false } },
            Case(label: "string offsets", bytes: one(entry("alpha", shape: "[2,2]", offsets: "\"0-16\""), data16),
                 tensor: "alpha") { if case .invalidValue(key: "data_offsets", _) = $0 { true } else { false } },
            Case(label: "missing shape", bytes: one(#""alpha":{"dtype":"F32","data_offsets":[0,16]}"#, data16),
                 tensor: "alpha") { $0 == .missingKey("shape") },
            Case(label: "missing dtype", bytes: one(#""alpha":{"shape":[4],"data_offsets":[0,16]}"#, data16),
                 tensor: "alpha") { $0 == .missingKey("dtype") },
            Case(label: "missing offsets", bytes: one(#""alpha":{"dtype":"F32","shape":[4]}"#, data16),
                 tensor: "alpha") { $0 == .missingKey("data_offsets") },
            Case(label: "numeric dtype", bytes: one(#""alpha":{"dtype":32,"shape":[4],"data_offsets":[0,16]}"#, data16),
                 tensor: "alpha") { if case .invalidValue(key: "dtype", _) = $0 { true } else { false } },
            Case(label: "entry not an object", bytes: one(#""alpha":[1,2]"#, []), tensor: "alpha") {
                if case .invalidValue = $0 { true } else { false }
            },
            Case(label: "duplicate name", bytes: one("\(alpha),\(alpha)", data16), tensor: "alpha") { $0 == .duplicateName },
            Case(label: "metadata value not a string", bytes: one(#""__metadata__":{"format":"pt","n":1},\#(alpha)"#, data16),
                 tensor: "__metadata__") { $0 == .invalidMetadata(key: "n", problem: "the value is a number, not a string") },
            Case(label: "metadata an array", bytes: one(#""__metadata__":["pt"],\#(alpha)"#, data16), tensor: "__metadata__") {
                if case .invalidMetadata(key: nil, _) = $0 { true } else { false }
            },
        ]
        cases.append(Case(label: "nested metadata", bytes: one(#""__metadata__":{"a":{"b":"c"}}"#, []),
                          tensor: "__metadata__") { $0 == .invalidMetadata(key: "a", problem: "the value is an object, not a string") })
        return cases
    }

    @Test func everyMalformationIsATypedErrorNamingFileAndEntry() {
        for (i, c) in Self.cases().enumerated() {
            let url = scratch.file("case\(i).safetensors", c.bytes)
            do {
                _ = try SafetensorsFile(url: url)
                Issue.record("\(c.label): opened without error")
            } catch {
                let message = error.localizedDescription
                #expect(c.matches(error.reason), "\(c.label): wrong reason \(error.reason)")
                #expect(error.tensor == c.tensor, "\(c.label): names \(error.tensor ?? "nil"), expected \(c.tensor ?? "nil")")
                #expect(message.contains(url.path), "\(c.label): \(message)")
                if let tensor = c.tensor { #expect(message.contains(tensor), "\(c.label): \(message)") }
            }
        }
    }

    @Test func acceptsWhatTheFormatAllows() throws {
        // Leading whitespace, unknown keys, `null` metadata, zero-sized tensors sharing an
        // offset, entries listed out of offset order, and dtypes Lore recognises but does not convert.
        let header = #" {"z":{"dtype":"F32","shape":[2],"data_offsets":[4,12],"extra":1},"#
            + #""__metadata__":null,"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"#
            + #""f8":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#
        let data: [UInt8] = [1, 2, 3, 4] + [0, 0, 128, 63, 0, 0, 0, 64]
        let file = try SafetensorsFile(url: scratch.file("ok.safetensors", Self.bytes(header: header, data: data)))
        #expect(file.tensorNames == ["f8", "e", "z"])
        #expect(file.metadata.isEmpty)
        #expect(try file.tensor(named: "z").scalars == [1, 2])
        #expect(try file.tensor(named: "e").shape == [0, 3])
        #expect(throws: SafetensorsError.self) { try file.tensor(named: "f8") }
        let summary = try file.summary(named: "f8")
        #expect(summary.mean == nil)
    }

    @Test func truncationAtEveryByteIsRefused() {
        for cut in 0..<Self.validBytes.count {
            let url = scratch.file("cut\(cut).safetensors", Array(Self.validBytes.prefix(cut)))
            #expect(throws: SafetensorsError.self, "cut at \(cut)") { try SafetensorsFile(url: url) }
        }
    }

    @Test func randomCorruptionNeverCrashes() throws {
        var rng = SeededGenerator(seed: 99)
        let source = Safetensors.encode([("w", Tensor.ramp([3, 4])), ("b", Tensor([1, 2])), ("s", Tensor(7))],
                                        dtype: .f16, metadata: ["k": "v"])
        var opened = 0, refused = 0
        for trial in 0..<1500 {
            var bytes = source
            let edits = 1 + Int(rng.next() % 3)
            for _ in 0..<edits {
                let position = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes[position] ^= 1 << UInt8(rng.next() % 8)
                case 2: bytes.removeSubrange(position...)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
                }
                if bytes.isEmpty { break }
            }
            let url = scratch.file("fuzz\(trial % 8).safetensors", bytes)
            do {
                let file = try SafetensorsFile(url: url)
                for name in file.tensorNames { _ = try? file.tensor(named: name) }
                opened += 1
            } catch {
                refused += 1
            }
        }
        #expect(opened + refused == 1500)
        #expect(refused > 1000)  // most random edits break the header or the layout
    }
}
