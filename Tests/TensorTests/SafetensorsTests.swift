import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// A fresh folder under the system temporary directory, deleted when released.
final class SafetensorsScratch {
    let folder: URL

    init() {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("lore-safetensors-\(UUID().uuidString)", isDirectory: true)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// Writes `bytes` to a file called `name` and returns its URL.
    func file(_ name: String, _ bytes: [UInt8]) -> URL {
        let url = url(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url
    }
}

/// The Python reference fixture written by `Scripts/check_safetensors.py write-fixture`.
let pythonFixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/python_reference.safetensors")

/// Tensors Lore writes for `check_safetensors.py verify` (its `export_recipe` mirrors this).
func safetensorsExportTensors() -> [String: Tensor] {
    func formula(_ i: Int) -> Float {
        Float(Double((i * 7919) % 1000 - 500) / 97.0 * Double(sign: .plus, exponent: (i % 11) - 5, significand: 1))
    }
    let bias: [Double] = [0.1, -1.0 / 3.0, 65519.0, 1e-7, 3.14159, -0.0, 70000.0]
    return [
        "a.weight": Tensor(shape: [3, 5], scalars: (0..<15).map { Float(Double($0 - 7) * 0.375) }),
        "b.bias": Tensor(bias.map { Float($0) }),
        "c.mixed": Tensor(shape: [4, 33], scalars: (0..<132).map(formula)),
        "d.scalar": Tensor(42.5),
        "e.empty": Tensor.zeros([0, 3]),
    ]
}

@Suite("Safetensors")
struct SafetensorsTests {
    let scratch = SafetensorsScratch()

    static func sampleTensors() -> [String: Tensor] {
        var rng = SeededGenerator(seed: 5)
        return [
            "layer.1.weight": Tensor.randomNormal([7, 33], standardDeviation: 3, using: &rng),
            "layer.0.bias": Tensor([1, -2, 0.1, -0.0, 65504, 1e-6, 3e38]),
            "scalar": Tensor(0.3),
            "empty": Tensor.zeros([0, 5]),
            "one": Tensor.ramp([1, 1, 1]),
        ]
    }

    @Test(arguments: [SafetensorsDType.f32, .f16, .bf16])
    func roundTripWithMetadata(dtype: SafetensorsDType) throws {
        let tensors = Self.sampleTensors()
        let url = scratch.url("model-\(dtype.rawValue).safetensors")
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n ünïcødé"]
        try Safetensors.write(tensors, to: url, dtype: dtype, metadata: metadata)

        let file = try SafetensorsFile(url: url)
        #expect(file.metadata == metadata)
        #expect(file.tensorNames == tensors.keys.sorted())
        #expect(file.dataStart % 8 == 0)
        let loaded = try file.loadAll()
        for (name, original) in tensors {
            let info = try file.info(named: name)
            #expect(info.dtype == dtype)
            #expect(info.shape == original.shape)
            #expect(info.byteCount == original.count * dtype.bitWidth / 8)
            // Exactly the value the conversion rounds to; F32 is exact.
            let expected: [Float] = switch dtype {
            case .f16: original.scalars.map { HalfPrecision.float(halfBits: HalfPrecision.halfBits($0)) }
            case .bf16: original.scalars.map { HalfPrecision.float(bfloat16Bits: HalfPrecision.bfloat16Bits($0)) }
            default: original.scalars
            }
            #expect(loaded[name]!.shape == original.shape)
            #expect(loaded[name]!.scalars.map(\.bitPattern) == expected.map(\.bitPattern), "\(name)")
        }
        if dtype == .f16 {  // 3e38 overflows binary16; the rest are within half an ulp (2⁻¹¹ relative)
            let weight = loaded["layer.1.weight"]!
            assertClose(weight, tensors["layer.1.weight"]!, rtol: 0x1p-11, atol: 0x1p-25)
            #expect(loaded["layer.0.bias"]!.scalars.last == .infinity)
        }
        if dtype == .bf16 {
            assertClose(loaded["layer.1.weight"]!, tensors["layer.1.weight"]!, rtol: 0x1p-8, atol: 0)
        }
    }

    @Test func encodingMatchesTheReferenceImplementationBytes() {
        // Byte vectors from the Rust crate's own serialization tests (safetensors/src/tensor.rs):
        // one F32 [1, 2, 3] tensor holding 0…5, the empty file, and metadata alone.
        let data = Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let json = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        let values: [UInt8] = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]
        #expect(Safetensors.encode([("attn.0", data)]) == [64, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + values)

        let padded = #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"# + "       "
        #expect(Safetensors.encode([("attn0", data.reshaped([1, 1, 2, 3]))]) == [72, 0, 0, 0, 0, 0, 0, 0] + Array(padded.utf8) + values)

        #expect(Safetensors.encode([]) == [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
        let metadataOnly = #"{"__metadata__":{"framework":"pt"}}"# + "     "
        #expect(Safetensors.encode([], metadata: ["framework": "pt"]) == [40, 0, 0, 0, 0, 0, 0, 0] + Array(metadataOnly.utf8))
    }

    @Test func writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws {
        let url = scratch.url("w.safetensors")
        try Safetensors.write(["a": Tensor([1, 2])], to: url)
        try Safetensors.write([("b", Tensor([3])), ("a", Tensor([4, 5, 6]))], to: url, dtype: .bf16)
        let file = try SafetensorsFile(url: url)
        #expect(file.tensorNames == ["a", "b"])
        #expect(try file.tensor(named: "a").scalars == [4, 5, 6])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.folder.path)
        #expect(leftovers == ["w.safetensors"])

        let missing = scratch.url("no/such/folder/x.safetensors")
        #expect {
            try Safetensors.write(["a": Tensor([1])], to: missing)
        } throws: { error in
            guard let error = error as? SafetensorsError, case .io = error.reason else { return false }
            return error.localizedDescription.contains(missing.path)
        }
    }

    @Test func readsThePythonFixture() throws {
        let file = try SafetensorsFile(url: pythonFixtureURL)
        #expect(file.metadata == ["format": "np", "producer": "check_safetensors.py"])
        // Python's writer orders data by dtype alignment, then name.
        #expect(file.tensorNames == ["i64.big", "i64.positions", "f64.values", "f32.empty", "f32.matrix",
                                     "f32.scalar", "i32.ids", "bf16.vector", "f16.vector", "u8.bytes"])
        let f32 = try file.tensor(named: "f32.matrix")
        #expect(f32.shape == [2, 3])
        #expect(f32.scalars.map(\.bitPattern) == [0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0].map { Float($0).bitPattern })
        let f16 = try file.tensor(named: "f16.vector")
        #expect(f16.scalars == [1.0, -2.5, 0.1, 65504.0, 6e-8].map { Float(Float16($0)) })
        #expect(try file.tensor(named: "bf16.vector").scalars == [1.0, -3.140625, 0.0078125, 1.1015625])
        #expect(try file.tensor(named: "f64.values").scalars == [Float(0.1 as Double), -.infinity])
        #expect(try file.info(named: "i64.positions").shape == [1, 6])
        #expect(try file.tensor(named: "i64.positions").scalars == [0, 1, 2, 3, 4, 5])
        #expect(try file.int64Values(named: "i64.big") == [(1 << 40) + 1, -7])
        #expect(try file.int32Values(named: "i32.ids") == [7, -1, Int32.max])
        #expect(try file.int64Values(named: "u8.bytes") == [0, 200, 255])
        #expect(try file.tensor(named: "u8.bytes").scalars == [0, 200, 255])
        let scalar = try file.tensor(named: "f32.scalar")
        #expect(scalar.shape == [] && scalar.scalar == 42)
        #expect(try file.tensor(named: "f32.empty").shape == [0, 4])
        #expect(try file.loadAll().count == 10)
    }

    @Test func integerAccessorsReportTypeAndRangeProblems() throws {
        let file = try SafetensorsFile(url: pythonFixtureURL)
        func reason(_ body: () throws -> Void) -> SafetensorsError.Reason? {
            do { try body() } catch let error as SafetensorsError { return error.reason } catch { return nil }
            return nil
        }
        #expect(reason { _ = try file.int32Values(named: "i64.big") }
                == .valueOutOfRange(index: 0, value: "1099511627777", type: "Int32"))
        #expect(reason { _ = try file.int64Values(named: "f32.matrix") }
                == .unsupportedConversion(dtype: "F32", to: "Int64"))
        #expect(reason { _ = try file.tensor(named: "nope") } == .tensorNotFound)
        #expect(try file.withRawBytes(named: "u8.bytes") { Array($0) } == [0, 200, 255])
    }

    @Test func inspectionSummarisesEveryTensor() throws {
        let url = scratch.url("s.safetensors")
        try Safetensors.write(["x": Tensor([1, 2, 3, 4]), "e": Tensor.zeros([0])], to: url, metadata: ["k": "v"])
        let file = try SafetensorsFile(url: url)
        let x = try file.summary(named: "x")
        #expect(x.mean == 2.5 && x.minimum == 1 && x.maximum == 4)
        #expect(abs(x.standardDeviation! - 1.118033988749895) < 1e-12)  // numpy.std([1, 2, 3, 4])
        #expect(try file.summary(named: "e").mean == nil)
        let report = try file.inspectionReport()
        #expect(report.contains("k: v"))
        #expect(report.contains("x     F32    [4]    4      2.5"))
    }

    @Test func jsonParserKeepsOrderDuplicatesAndExactNumbers() throws {
        let text = #" {"b": [1, -2, 3.5e1, true, null], "a": "x\"\\\/\n\u00e9\ud83d\ude00", "b": {}} "#
        let value = try Array(text.utf8).withUnsafeBufferPointer { try SafetensorsJSON.parse($0) }
        guard case .object(let pairs) = value else { Issue.record("not an object"); return }
        #expect(pairs.map(\.key) == ["b", "a", "b"])
        #expect(pairs[0].value == .array([.number("1"), .number("-2"), .number("3.5e1"), .bool(true), .null]))
        #expect(pairs[1].value == .string("x\"\\/\né😀"))
        #expect(SafetensorsJSON.Value.number("-2").integer == -2)
        #expect(SafetensorsJSON.Value.number("2.0").integer == nil)
        #expect(SafetensorsJSON.Value.number("99999999999999999999").integer == nil)
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "\"\\ud800\"", "\"a\u{01}\"", "tru", "1 2", "-"] {
            #expect(throws: SafetensorsJSON.ParseError.self, "\(bad)") {
                try Array(bad.utf8).withUnsafeBufferPointer { try SafetensorsJSON.parse($0) }
            }
        }
        let tricky = "tab\t nul\u{0} bell\u{07} é / \"q\""
        let quoted = SafetensorsJSON.quoted(tricky)
        #expect(quoted == #""tab\t nul\u0000 bell\u0007 é / \"q\"""#)
        #expect(try Array(quoted.utf8).withUnsafeBufferPointer { try SafetensorsJSON.parse($0) } == .string(tricky))
    }

    @Test func writingADuplicateNameStops() async {
        await #expect(processExitsWith: .failure) {
            _ = Safetensors.encode([("w", Tensor([1])), ("w", Tensor([2]))])
        }
        await #expect(processExitsWith: .failure) {
            _ = Safetensors.encode([("w", Tensor([1]))], dtype: .i64)
        }
    }

    /// Writes Lore's files for `python3 Scripts/check_safetensors.py verify DIR/lore_*.safetensors`.
    /// Runs only when `LORE_SAFETENSORS_EXPORT_DIR` names a folder.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LORE_SAFETENSORS_EXPORT_DIR"] != nil))
    func exportForPython() throws {
        let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["LORE_SAFETENSORS_EXPORT_DIR"]!)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tensors = safetensorsExportTensors()
        let twoKeys = ["format": "pt", "written_by": "Lore \"Safetensors.write\" — ünïcødé"]
        try Safetensors.write(tensors, to: folder.appendingPathComponent("lore_f32.safetensors"), dtype: .f32, metadata: twoKeys)
        try Safetensors.write(tensors, to: folder.appendingPathComponent("lore_f16.safetensors"), dtype: .f16, metadata: ["format": "pt"])
        try Safetensors.write(tensors, to: folder.appendingPathComponent("lore_bf16.safetensors"), dtype: .bf16, metadata: twoKeys)
        try Safetensors.write(tensors, to: folder.appendingPathComponent("lore_bf16_plain.safetensors"), dtype: .bf16)
    }
}
