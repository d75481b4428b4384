import Foundation
import Testing
@testable import GGUF

/// Files written by ``GGUFWriter`` read back identical through ``GGUFFile``.
@Suite("GGUF round trip")
struct GGUFRoundTripTests {
    let scratch = GGUFScratch()

    @Test func everyMetadataTypeAndTensorSurvivesAWriteAndARead() throws {
        let url = scratch.url("sample.gguf")
        try GGUFSample.writer().write(to: url)
        let file = try GGUFFile(url: url)

        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.metadata.map(\.key) == GGUFSample.metadata.map(\.0))
        for ((key, value), expected) in zip(file.metadata, GGUFSample.metadata) {
            #expect(value == expected.1, "\(key)")
            #expect(file[key] == expected.1)
        }
        #expect(file.tensors.map(\.name) == GGUFSample.tensors.map(\.0))
        for (k, (name, type, ne)) in GGUFSample.tensors.enumerated() {
            let info = try file.tensor(named: name)
            #expect(info.type == type && info.dimensions == ne && info.shape == ne.reversed())
            #expect(info.byteCount == type.byteCount(dimensions: ne))
            #expect(info.offset % 32 == 0 && info.fileOffset == file.dataOffset + info.offset)
            #expect(try [UInt8](file.tensorData(named: name)) == GGUFSample.bytes(count: info.byteCount, tensor: k), "\(name)")
        }
    }

    @Test func layoutIsPackedInOrderWithEachTensorPaddedToTheAlignment() throws {
        let writer = GGUFSample.writer()
        let url = scratch.url("layout.gguf")
        try writer.write(to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        #expect(bytes == writer.encode())  // the streamed file equals the in-memory encoding

        let file = try GGUFFile(url: url)
        #expect(file.dataOffset % 32 == 0 && file.dataOffset == writer.header().count)
        var expectedOffset = 0
        for info in file.tensors {
            #expect(info.offset == expectedOffset, "\(info.name)")
            expectedOffset += (info.byteCount + 31) / 32 * 32
            // Padding after each tensor is zero.
            #expect(bytes[info.fileRange.upperBound..<(file.dataOffset + expectedOffset)].allSatisfy { $0 == 0 })
        }
        #expect(file.fileSize == file.dataOffset + expectedOffset)
        #expect(Array(bytes[0..<4]) == Array("GGUF".utf8))
        #expect(bytes[4] == 3 && bytes[5...7].allSatisfy { $0 == 0 })
    }

    @Test func readingAndWritingAgainGivesTheSameBytes() throws {
        let original = GGUFSample.writer(alignment: 64).encode()
        let url = scratch.file("a.gguf", original)
        let file = try GGUFFile(url: url)
        #expect(file.alignment == 64 && file.dataOffset % 64 == 0)
        #expect(file.tensors.allSatisfy { $0.offset % 64 == 0 })
        #expect(try rewrite(file).encode() == original)
    }

    @Test func versionTwoReadsLikeVersionThree() throws {
        var bytes = GGUFSample.writer().encode()
        bytes[4] = 2
        let file = try GGUFFile(url: scratch.file("v2.gguf", bytes))
        #expect(file.version == 2)
        #expect(file.metadata.count == GGUFSample.metadata.count && file.tensors.count == GGUFSample.tensors.count)
        #expect(try file.string("test.string.unicode") == GGUFSample.unicode)
    }

    @Test func anEmptyFileHasOnlyAHeader() throws {
        let bytes = GGUFWriter().encode()
        #expect(bytes.count == 32 && Array(bytes[4..<24]) == [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16))
        let file = try GGUFFile(url: scratch.file("empty.gguf", bytes))
        #expect(file.metadata.isEmpty && file.tensors.isEmpty && file.dataOffset == 32)
    }

    @Test func setReplacesAnEntryInPlace() {
        var writer = GGUFWriter()
        writer.set("a", .uint32(1))
        writer.set("b", "x")
        writer.set("a", .int64(-2))
        #expect(writer.metadata.map(\.key) == ["a", "b"])
        #expect(writer["a"] == .int64(-2) && writer["missing"] == nil)
        #expect(writer.alignment == 32)
        writer.set("general.alignment", .uint32(16))
        #expect(writer.alignment == 16)
    }

    @Test func typedAccessorsConvertWhatTheyMayAndNameTheKeyOtherwise() throws {
        let url = scratch.url("typed.gguf")
        try GGUFSample.writer().write(to: url)
        let file = try GGUFFile(url: url)

        #expect(try file.int("test.uint8") == 255)
        #expect(try file.int("test.int8") == -128)
        #expect(try file.int("test.uint32") == 4_294_967_295)
        #expect(try file.int("test.int64") == Int.min)
        #expect(try file.float("test.float32") == 1e-5)
        #expect(try file.double("test.float32") == Double(Float(1e-5)))
        #expect(try file.double("test.float64") == -.pi)
        #expect(try file.float("test.float64") == Float(-Double.pi))  // Float.pi is rounded toward zero
        #expect(try file.bool("test.bool.true") && !(try file.bool("test.bool.false")))
        #expect(try file.string("test.string.empty") == "")
        #expect(try file.stringArray("test.array.string") == ["", "a", "日本", "🦙", GGUFSample.unicode])
        #expect(try file.stringArray("test.array.empty_string") == [])
        #expect(try file.intArray("test.array.uint8") == [0, 1, 255])
        #expect(try file.intArray("test.array.int64") == [.min, -1, .max])
        #expect(try file.intArray("test.array.empty_int32") == [])
        #expect(try file.floatArray("test.array.float64") == [Float(Double.pi), Float(-M_E), .infinity])
        #expect(try file.array("test.array.nested").count == 4)
        #expect(try file.value("test.int16") == .int16(-32768))

        func failure(_ body: () throws -> Void) -> GGUFError? {
            do { try body(); return nil } catch { return error as? GGUFError }
        }
        let wrong = failure { _ = try file.string("test.uint32") }
        #expect(wrong?.reason == .wrongType(expected: "STRING", found: "UINT32"))
        #expect(wrong?.key == "test.uint32" && wrong?.path == url.path && (wrong?.offset ?? 0) > 24)
        #expect(wrong?.errorDescription?.contains("key 'test.uint32': the value is UINT32, not STRING") == true)
        #expect(failure { _ = try file.int("test.uint64") }?.reason == .valueOutOfRange(value: "18446744073709551615", type: "Int"))
        #expect(failure { _ = try file.intArray("test.array.uint64") }?.reason == .valueOutOfRange(value: "18446744073709551615", type: "Int"))
        #expect(failure { _ = try file.int("test.float32") }?.reason == .wrongType(expected: "an integer", found: "FLOAT32"))
        #expect(failure { _ = try file.stringArray("test.array.int32") }?.reason == .wrongType(expected: "ARRAY[STRING]", found: "ARRAY[INT32]"))
        #expect(failure { _ = try file.floatArray("test.string.empty") }?.reason
                == .wrongType(expected: "ARRAY[FLOAT32] or ARRAY[FLOAT64]", found: "STRING"))
        let missing = failure { _ = try file.bool("no.such.key") }
        #expect(missing?.reason == .missingKey && missing?.key == "no.such.key")
        #expect(file["no.such.key"] == nil)
        let absent = failure { _ = try file.tensorData(named: "nope") }
        #expect(absent?.reason == .tensorNotFound && absent?.tensor == "nope")
    }

    @Test func tensorBytesComeStraightFromTheMapping() throws {
        let url = scratch.url("bytes.gguf")
        try GGUFSample.writer().write(to: url)
        let file = try GGUFFile(url: url)
        let info = try file.tensor(named: "c.q4_1")
        let raw = [UInt8](try Data(contentsOf: url))
        let viaInfo = file.withBytes(of: info) { [UInt8]($0) }
        let viaName = try file.withTensorBytes(named: "c.q4_1") { [UInt8]($0) }
        #expect(viaInfo == Array(raw[info.fileRange]) && viaName == viaInfo && viaInfo.count == 120)
        #expect(file.withBytes(of: try file.tensor(named: "g.empty")) { $0.count } == 0)
    }

    @Test func blockSizesAndByteCounts() {
        let table: [(GGMLType, Int, Int)] = [
            (.f32, 1, 4), (.f16, 1, 2), (.bf16, 1, 2), (.q4_0, 32, 18), (.q4_1, 32, 20), (.q5_0, 32, 22),
            (.q5_1, 32, 24), (.q8_0, 32, 34), (.q8_1, 32, 36), (.q2_K, 256, 84), (.q3_K, 256, 110),
            (.q4_K, 256, 144), (.q5_K, 256, 176), (.q6_K, 256, 210), (.q8_K, 256, 292), (.i8, 1, 1),
            (.i16, 1, 2), (.i32, 1, 4), (.i64, 1, 8), (.f64, 1, 8),
        ]
        for (type, block, bytes) in table {
            #expect(type.blockSize == block && type.bytesPerBlock == bytes, "\(type)")
        }
        #expect(GGMLType.bf16.rawValue == 30 && GGMLType.q4_1.rawValue == 3 && GGMLType.q6_K.name == "Q6_K")
        #expect(GGMLType.q4_1.byteCount(dimensions: [576, 1536]) == 552_960)
        #expect(GGMLType.q8_0.byteCount(dimensions: [576, 49152]) == 30_081_024)
        #expect(GGMLType.q4_1.byteCount(dimensions: [48]) == nil)  // not whole blocks
        #expect(GGMLType.f32.byteCount(dimensions: [-1]) == nil)
        #expect(GGMLType.f32.byteCount(dimensions: [1 << 40, 1 << 40]) == nil)  // overflow
        #expect(GGMLType.f32.byteCount(dimensions: []) == 4)
    }

    @Test func writerStopsOnAByteCountThatDoesNotMatchTheType() async {
        await #expect(processExitsWith: .failure) {
            var writer = GGUFWriter()
            writer.addTensor(name: "w", type: .q4_1, dimensions: [32, 2], bytes: [UInt8](repeating: 0, count: 39))
        }
        await #expect(processExitsWith: .failure) {
            var writer = GGUFWriter()
            writer.set("general.alignment", .uint32(24))
        }
    }

    /// A writer holding `file`'s metadata and tensors, in file order.
    func rewrite(_ file: GGUFFile) throws -> GGUFWriter {
        var writer = GGUFWriter()
        for (key, value) in file.metadata { writer.set(key, value) }
        for info in file.tensors {
            writer.addTensor(name: info.name, type: info.type, dimensions: info.dimensions,
                             bytes: file.withBytes(of: info) { [UInt8]($0) })
        }
        return writer
    }
}
