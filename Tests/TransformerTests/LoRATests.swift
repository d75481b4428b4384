import Autograd
import Foundation
import Testing
import Tensor
import Transformer
import _TestSupport

/// LoRA adapters: PEFT's initialisation, names, merging, saving, training only the adapters.
@Suite struct LoRATests {
    static let families = ["tiny-llama", "tiny-gpt2"]

    func load(_ name: String) throws -> any CausalLanguageModel { try PretrainedModel.load(from: TransformerFixtures.path(name)).model }

    /// Gives every adapter a random `B` so it changes the output.
    func perturb(_ model: any CausalLanguageModel, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        for (_, adapter) in model.loraAdapters {
            adapter.loraB.weight.value = Tensor.randomNormal(adapter.loraB.weight.value.shape, standardDeviation: 0.05, using: &g)
        }
    }

    @Test(arguments: families)
    func newAdaptersChangeNothingAndOnlyThemTrain(_ name: String) throws {
        let model = try load(name)
        let golden = try TransformerFixtures.golden(name)
        let before = model(golden.batch).value
        var g = SeededGenerator(seed: 1)
        let count = model.addLoRA(.defaults(for: model.configuration), using: &g)
        #expect(count == (name == "tiny-llama" ? 4 : 2))   // Llama: q_proj, v_proj of 2 layers; GPT-2: c_attn of 2 layers
        #expect(model(golden.batch).value == before)
        let trainable = model.trainableParameters().map(\.name)
        #expect(trainable.allSatisfy { $0.contains(".lora_A.") || $0.contains(".lora_B.") })
        let expected = name == "tiny-llama"
            ? ["model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_B.weight"]
            : ["transformer.h.0.attn.c_attn.lora_A.weight", "transformer.h.0.attn.c_attn.lora_B.weight"]
        #expect(Array(trainable.prefix(2)) == expected)
        // A is [r, in] (Kaiming-uniform, nonzero), B is [out, r] zeros; r = 8 by default.
        let adapter = model.loraAdapters[0].adapter
        #expect(adapter.loraA.weight.value.shape == [8, 64] && adapter.loraB.weight.value.scalars.allSatisfy { $0 == 0 })
        #expect(adapter.loraA.weight.value.scalars.contains { $0 != 0 })
    }

    @Test(arguments: families)
    func mergedEqualsUnmergedAndInferenceSeesAdapters(_ name: String) throws {
        let model = try load(name)
        let golden = try TransformerFixtures.golden(name)
        var g = SeededGenerator(seed: 2)
        model.addLoRA(LoRAConfiguration(rank: 4, alpha: 16, targetModules: ["all-linear"]), using: &g)
        perturb(model, seed: 3)
        let unmerged = model(golden.batch).value
        #expect(closeness(unmerged, golden.logits, rtol: 1e-3, atol: 1e-3) != nil)   // the adapters matter
        // The KV-cache path applies unmerged adapters too.
        let session = InferenceSession(model: model, capacity: 16)
        var logits = Tensor.zeros([1])
        session.run([(0, golden.sequences[0])], logits: &logits, allPositions: true)
        assertClose(logits, unmerged.select(alongAxis: 0, index: 0), rtol: 1e-4, atol: 1e-5, "session")
        let baseWeights = model.baseParameters().map { $0.parameter.value }
        model.mergeLoRA()
        model.mergeLoRA()   // idempotent
        assertClose(model(golden.batch).value, unmerged, rtol: 1e-5, atol: 1e-6, "merged")
        model.unmergeLoRA()
        assertClose(model(golden.batch).value, unmerged, rtol: 1e-5, atol: 1e-6, "unmerged again")
        for (after, before) in zip(model.baseParameters().map { $0.parameter.value }, baseWeights) {
            assertClose(after, before, rtol: 1e-5, atol: 1e-6)
        }
    }

    /// PEFT layout: saved, loaded into a fresh base model, identical logits; the key names are
    /// PEFT's; `adapter_config.json` carries r, alpha, targets and fan_in_fan_out.
    @Test(arguments: families)
    func savedAdapterLoadsToIdenticalLogits(_ name: String) throws {
        let model = try load(name)
        let golden = try TransformerFixtures.golden(name)
        var g = SeededGenerator(seed: 4)
        let configuration = LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1, targetModules: name == "tiny-llama" ? ["q_proj", "v_proj", "down_proj"] : ["c_attn", "c_fc"])
        model.addLoRA(configuration, using: &g)
        perturb(model, seed: 5)
        model.eval()
        let expected = model(golden.batch).value
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-lora-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try model.saveLoRA(to: folder, configuration: configuration)
        let keys = try SafetensorsFile(url: folder.appendingPathComponent("adapter_model.safetensors")).tensorNames
        #expect(keys.contains(name == "tiny-llama" ? "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
                                                   : "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as! [String: Any]
        #expect(config["r"] as? Int == 4 && config["peft_type"] as? String == "LORA")
        #expect(config["fan_in_fan_out"] as? Bool == (name == "tiny-gpt2"))
        let fresh = try load(name)
        let loaded = try fresh.loadLoRA(from: folder)
        #expect(loaded == configuration)
        fresh.eval()
        #expect(fresh(golden.batch).value == expected)
        // Saving the base model leaves the adapters out.
        let hf = folder.appendingPathComponent("merged")
        try PretrainedModel(model: fresh, tokenizer: nil, path: "memory").saveHuggingFaceDirectory(to: hf)
        #expect(try !SafetensorsFile(url: hf.appendingPathComponent("model.safetensors")).tensorNames.contains { $0.contains("lora") })
    }

    /// Gradients reach the adapters only, and a few AdamW steps lower the loss.
    @Test func trainingMovesOnlyTheAdapters() throws {
        let model = try load("tiny-llama")
        var g = SeededGenerator(seed: 6)
        model.addLoRA(LoRAConfiguration(rank: 8, alpha: 16), using: &g)
        let ids: [Int32] = (0..<24).map { Int32(($0 * 37) % 128) }
        let batch = TokenBatch(Array(ids.dropLast())), targets = Array(ids.dropFirst())
        let base = model.baseParameters().map { $0.parameter.value }
        var optimizer = AdamW(learningRate: 1e-2, weightDecay: 0)
        var losses: [Float] = []
        for _ in 0..<8 {
            let loss = valueAndGradient { crossEntropy(logits: model(batch).reshaped([23, 128]), targets: targets) }
            #expect(model.baseParameters().allSatisfy { $0.parameter.gradient == nil })
            optimizer.step(model)
            model.zeroGradients()
            losses.append(loss.scalar)
        }
        #expect(losses.last! < losses.first! - 0.1, "\(losses)")
        #expect(zip(model.baseParameters().map { $0.parameter.value }, base).allSatisfy { $0 == $1 })
    }

    @Test func badAdapterFoldersAreTypedErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-lora-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ModelLoadingError.self) { try load("tiny-llama").loadLoRA(from: folder) }
        try #"{"peft_type": "PREFIX_TUNING"}"#.write(to: folder.appendingPathComponent("adapter_config.json"), atomically: true, encoding: .utf8)
        #expect(throws: ModelLoadingError.self) { try load("tiny-llama").loadLoRA(from: folder) }
        try #"{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "lora_dropout": 0, "target_modules": ["q_proj"]}"#
            .write(to: folder.appendingPathComponent("adapter_config.json"), atomically: true, encoding: .utf8)
        try Safetensors.write([("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", Tensor.zeros([4, 64]))],
                              to: folder.appendingPathComponent("adapter_model.safetensors"))
        #expect(throws: ModelLoadingError.missingTensor(file: folder.appendingPathComponent("adapter_model.safetensors").path,
                                                        tensor: "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight")) {
            try load("tiny-llama").loadLoRA(from: folder)
        }
    }
}

/// Writes a Lore-made adapter and Lore's logits for `Scripts/check_lora_peft.py` (runs only
/// when `LORE_DUMP_LORA` names a folder).
@Suite struct LoRAPEFTDump {
    static let folder = ProcessInfo.processInfo.environment["LORE_DUMP_LORA"]

    @Test(.enabled(if: folder != nil, "set LORE_DUMP_LORA=DIR to write the adapters checked by Scripts/check_lora_peft.py"),
          arguments: ["tiny-llama", "tiny-gpt2"])
    func dump(_ name: String) throws {
        let out = URL(fileURLWithPath: Self.folder!).appendingPathComponent(name)
        let model = try PretrainedModel.load(from: TransformerFixtures.path(name)).model
        var g = SeededGenerator(seed: 7)
        let configuration = LoRAConfiguration(rank: 4, alpha: 16, targetModules: name == "tiny-llama" ? ["q_proj", "v_proj", "o_proj", "up_proj"] : ["c_attn", "c_proj"])
        model.addLoRA(configuration, using: &g)
        for (_, adapter) in model.loraAdapters {
            adapter.loraB.weight.value = Tensor.randomNormal(adapter.loraB.weight.value.shape, standardDeviation: 0.05, using: &g)
        }
        model.eval()
        try model.saveLoRA(to: out.appendingPathComponent("adapter"), configuration: configuration,
                           baseModel: TransformerFixtures.path(name))
        let golden = try TransformerFixtures.golden(name)
        try Safetensors.write([("logits", model(golden.batch).value)], to: out.appendingPathComponent("lore_logits.safetensors"))
    }
}
