import Foundation
import Testing
import Tensor
import Transformer
import _TestSupport

/// The checkpoint layouts `PretrainedModel.load` reads give the reference logits.
@Suite struct CheckpointFormatTests {
    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// llama.cpp's GPT-2 conversion: Conv1D weights transposed, `output.weight` a copy of the
    /// embedding (so the loaded model has a separate head with the same values).
    @Test func gpt2GGUFGivesTheReferenceLogits() throws {
        let loaded = try PretrainedModel.load(from: TransformerFixtures.path("tiny-gpt2.gguf"))
        guard case .gpt2(let c) = loaded.model.configuration else { Issue.record("not gpt2"); return }
        #expect(c.hiddenSize == 64 && c.headCount == 4 && c.maxPositions == 64 && !c.tieWordEmbeddings)
        let golden = try TransformerFixtures.golden("tiny-gpt2")
        assertClose(loaded.model(golden.batch).value, golden.logits, rtol: 1e-4, atol: 1e-5)
    }

    /// The tiny Llama split over two shards listed in `model.safetensors.index.json`.
    @Test func shardedCheckpointLoads() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = TransformerFixtures.folder.appendingPathComponent("tiny-llama")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        let all = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors")).loadAll().sorted { $0.key < $1.key }
        let half = all.count / 2
        var map: [String: String] = [:]
        for (index, part) in [Array(all[..<half]), Array(all[half...])].enumerated() {
            let name = "model-0000\(index + 1)-of-00002.safetensors"
            try Safetensors.write(part.map { ($0.key, $0.value) }, to: folder.appendingPathComponent(name))
            for (key, _) in part { map[key] = name }
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:] as [String: String], "weight_map": map])
        try index.write(to: folder.appendingPathComponent("model.safetensors.index.json"))
        let golden = try TransformerFixtures.golden("tiny-llama")
        let model = try PretrainedModel.load(from: folder.path).model
        assertClose(model(golden.batch).value, golden.logits, rtol: 1e-4, atol: 1e-5)
        // A shard the index names but that lacks the tensor is an error naming both.
        map["model.norm.weight"] = "model-00001-of-00002.safetensors"
        let wrongIndex = try JSONSerialization.data(withJSONObject: ["weight_map": map])
        try wrongIndex.write(to: folder.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: ModelLoadingError.self) { try PretrainedModel.load(from: folder.path) }
    }

    /// F16 and BF16 checkpoints load as Float32 (logits within the rounding of the weights).
    @Test(arguments: [SafetensorsDType.f16, .bf16])
    func halfPrecisionCheckpointsLoad(_ dtype: SafetensorsDType) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = TransformerFixtures.folder.appendingPathComponent("tiny-llama")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        let all = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors")).loadAll().sorted { $0.key < $1.key }
        try Safetensors.write(all.map { ($0.key, $0.value) }, to: folder.appendingPathComponent("model.safetensors"), dtype: dtype)
        let golden = try TransformerFixtures.golden("tiny-llama")
        let logits = try PretrainedModel.load(from: folder.path).model(golden.batch).value
        let tolerance: Float = dtype == .f16 ? 5e-3 : 3e-2
        assertClose(logits, golden.logits, rtol: tolerance, atol: tolerance)
    }
}
