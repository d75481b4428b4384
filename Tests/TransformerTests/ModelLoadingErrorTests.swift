import Foundation
import Testing
import Tensor
import Transformer
import _TestSupport

/// Bad checkpoints give a typed error naming the file (and tensor) — never a crash.
@Suite struct ModelLoadingErrorTests {
    /// A copy of a fixture model folder in a fresh temporary folder.
    func copy(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-model-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: TransformerFixtures.folder.appendingPathComponent(name), to: folder)
        return folder
    }

    func loadError(_ path: String) -> ModelLoadingError? {
        do { _ = try PretrainedModel.load(from: path); return nil } catch { return error as? ModelLoadingError }
    }

    @Test func unsupportedArchitectureIsNamed() throws {
        let folder = try copy("tiny-llama")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")
        var text = try String(contentsOf: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"model_type\": \"llama\"", with: "\"model_type\": \"mamba\"")
        try text.write(to: config, atomically: true, encoding: .utf8)
        #expect(loadError(folder.path) == .unsupportedArchitecture(file: config.path, architecture: "mamba"))
    }

    @Test func badConfigurationNamesTheKey() throws {
        let folder = try copy("tiny-llama")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")
        var text = try String(contentsOf: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"num_key_value_heads\": 2", with: "\"num_key_value_heads\": 3")
        try text.write(to: config, atomically: true, encoding: .utf8)
        let error = try #require(loadError(folder.path))
        #expect(error.localizedDescription.contains("not a multiple of 3 key/value heads"))
        try "{\"model_type\": \"llama\"}".write(to: config, atomically: true, encoding: .utf8)
        let missing = try #require(loadError(folder.path))
        #expect(missing.localizedDescription.contains(config.path) && missing.localizedDescription.contains("vocab_size"))
    }

    @Test func missingTensorIsNamed() throws {
        let folder = try copy("tiny-llama")
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("model.safetensors")
        let all = try SafetensorsFile(url: weights).loadAll().filter { $0.key != "model.layers.1.mlp.up_proj.weight" }
        try Safetensors.write(all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: weights)
        #expect(loadError(folder.path) == .missingTensor(file: weights.path, tensor: "model.layers.1.mlp.up_proj.weight"))
    }

    @Test func wrongShapeIsNamed() throws {
        let folder = try copy("tiny-llama")
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("model.safetensors")
        var all = try SafetensorsFile(url: weights).loadAll()
        all["model.norm.weight"] = Tensor.ones([63])
        try Safetensors.write(all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: weights)
        #expect(loadError(folder.path) == .tensorShapeMismatch(file: weights.path, tensor: "model.norm.weight", expected: [64], found: [63]))
    }

    /// Every truncation of the safetensors file and of the GGUF (at a spread of lengths) is a
    /// typed error naming the file.
    @Test func truncatedFilesAreTypedErrors() throws {
        let folder = try copy("tiny-llama")
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("model.safetensors")
        let original = try Data(contentsOf: weights)
        for length in stride(from: 0, to: original.count, by: max(1, original.count / 37)) {
            try original.prefix(length).write(to: weights)
            let error = try #require(loadError(folder.path), "length \(length)")
            #expect(error.localizedDescription.contains(weights.path))
        }
        let gguf = folder.appendingPathComponent("tiny.gguf")
        let ggufBytes = try Data(contentsOf: TransformerFixtures.folder.appendingPathComponent("tiny-llama.gguf"))
        for length in stride(from: 0, to: ggufBytes.count, by: max(1, ggufBytes.count / 41)) {
            try ggufBytes.prefix(length).write(to: gguf)
            let error = try #require(loadError(gguf.path), "length \(length)")
            #expect(error.localizedDescription.contains(gguf.path))
        }
    }

    /// Random byte corruption of the GGUF either loads (the bytes hit weight data) or fails
    /// with a typed error; it never crashes.
    @Test func corruptedGGUFNeverCrashes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-gguf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = [UInt8](try Data(contentsOf: TransformerFixtures.folder.appendingPathComponent("tiny-llama.gguf")))
        var generator = SeededGenerator(seed: 9)
        let path = folder.appendingPathComponent("bad.gguf")
        var failures = 0
        for _ in 0..<60 {
            var bytes = original
            // Corrupt the header and metadata region, where structure lives.
            for _ in 0..<3 { bytes[Int(generator.next() % UInt64(min(bytes.count, 2048)))] = UInt8(truncatingIfNeeded: generator.next()) }
            try Data(bytes).write(to: path)
            if loadError(path.path) != nil { failures += 1 }
        }
        #expect(failures > 0)
    }

    @Test func notAModel() {
        #expect(loadError("/nonexistent/model") == .notAModel(path: "/nonexistent/model"))
        #expect(loadError(TransformerFixtures.path("tiny-llama/golden.json")) == .notAModel(path: TransformerFixtures.path("tiny-llama/golden.json")))
    }
}
