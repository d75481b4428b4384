import Foundation
import Testing
import GGUF

/// Lore against the Python `gguf` package (llama.cpp's gguf-py), in both directions.
@Suite("GGUF and Python gguf")
struct GGUFPythonTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/python_reference.gguf")

    /// `Fixtures/python_reference.gguf`, written by `gguf.GGUFWriter` through
    /// `Scripts/make_gguf_fixture.py` (gguf 0.19.0, numpy 2.4.6); offsets, byte counts and byte
    /// sums are what the script printed from `gguf.GGUFReader`.
    @Test func readsAFileWrittenByPython() throws {
        let file = try GGUFFile(url: Self.fixture)
        #expect(file.version == 3 && file.alignment == 64 && file.dataOffset == 896 && file.fileSize == 1344)
        #expect(file.metadata.map(\.key) == [
            "general.architecture", "general.alignment", "general.name", "fixture.block_count",
            "fixture.rope.freq_base", "fixture.flag", "fixture.big", "fixture.negative", "fixture.ratio",
            "fixture.small", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.scores",
        ])
        #expect(file["general.architecture"] == "lore-fixture")
        #expect(file["general.alignment"] == .uint32(64))
        #expect(file["general.name"] == "Python reference")
        #expect(file["fixture.block_count"] == .uint32(2))
        #expect(file["fixture.rope.freq_base"] == .float32(10_000))
        #expect(file["fixture.flag"] == true)
        #expect(file["fixture.big"] == .uint64(1 << 40 + 1))
        #expect(file["fixture.negative"] == .int64(-7))
        #expect(file["fixture.ratio"] == .float64(0.1))
        #expect(file["fixture.small"] == .int8(-3))
        #expect(try file.stringArray("tokenizer.ggml.tokens") == ["<s>", "</s>", "héllo", "🦙", ""])
        #expect(file["tokenizer.ggml.token_type"] == .array(.int32([3, 3, 1, 1, 1])))
        #expect(try file.floatArray("tokenizer.ggml.scores") == [0, 0, -1.5, -2.25, -3])

        let expected: [(String, GGMLType, [Int], Int, Int, Int)] = [  // name, type, ne, file offset, bytes, byte sum
            ("f32.ramp", .f32, [3, 2], 896, 24, 1019),
            ("f16.ramp", .f16, [5], 960, 10, 226),
            ("i32.ids", .i32, [3], 1024, 12, 1023),
            ("q8_0.weight", .q8_0, [64, 2], 1088, 136, 16058),
            ("q4_1.weight", .q4_1, [32, 1], 1280, 20, 2600),
        ]
        #expect(file.tensors.map(\.name) == expected.map(\.0))
        for (name, type, ne, offset, count, sum) in expected {
            let info = try file.tensor(named: name)
            #expect(info.type == type && info.dimensions == ne && info.fileOffset == offset && info.byteCount == count, "\(name)")
            #expect(try file.tensorData(named: name).reduce(0) { $0 + Int($1) } == sum, "\(name)")
        }
        let ramp = try file.withTensorBytes(named: "f32.ramp") { Array($0.bindMemory(to: Float.self)) }
        #expect(ramp == [-1, -0.5, 0, 0.5, 1, 1.5])
        let halves = try file.withTensorBytes(named: "f16.ramp") { raw in
            (0..<5).map { raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) }
        }
        #expect(halves == [0, 0x3400, 0x3800, 0x3A00, 0x3C00])  // 0, 0.25, 0.5, 0.75, 1 in IEEE half
        let ids = try file.withTensorBytes(named: "i32.ids") { Array($0.bindMemory(to: Int32.self)) }
        #expect(ids == [1, -2, 3])
        #expect(try [UInt8](file.tensorData(named: "q8_0.weight").prefix(8)) == [8, 32, 0, 13, 25, 38, 49, 61])
        #expect(try [UInt8](file.tensorData(named: "q4_1.weight")) == [
            67, 48, 253, 187, 15, 15, 30, 46, 61, 76, 90, 121, 135, 166, 180, 195, 210, 225, 240, 240,
        ])
    }

    /// Writes the round-trip sample (and, in GGUFRealFileTests, a rewritten SmolLM2) into
    /// `$LORE_GGUF_EXPORT_DIR` for `python3 Scripts/check_gguf.py verify-sample` / `compare`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LORE_GGUF_EXPORT_DIR"] != nil,
                   "set LORE_GGUF_EXPORT_DIR to write files for Scripts/check_gguf.py"))
    func exportForPython() throws {
        let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["LORE_GGUF_EXPORT_DIR"]!)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("lore_sample.gguf")
        try GGUFSample.writer().write(to: url)
        #expect(try GGUFFile(url: url).tensors.count == GGUFSample.tensors.count)
    }
}
