import Autograd
import Foundation
import Tensor

// LoRA adapters in PEFT's layout: `adapter_config.json` + `adapter_model.safetensors`, whose keys
// are the adapter parameters' names under `base_model.model.`
// (`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`).

/// PEFT's prefix of adapter weight names.
let peftPrefix = "base_model.model."

extension CausalLanguageModel {
    /// Writes the adapters as PEFT does (`save_pretrained`): `adapter_config.json` (`peft_type`
    /// LORA, `r`, `lora_alpha`, `lora_dropout`, `target_modules`, `fan_in_fan_out` — true for
    /// GPT-2's Conv1D — `bias` none, `task_type` CAUSAL_LM) and `adapter_model.safetensors`.
    /// Unmerged adapters only (merged ones would be counted twice on load).
    public func saveLoRA(to folder: URL, configuration: LoRAConfiguration, baseModel: String? = nil) throws {
        let adapters = loraAdapters
        check(!adapters.isEmpty, "saveLoRA: the model has no LoRA adapters")
        check(adapters.allSatisfy { !$0.adapter.isMerged }, "saveLoRA: unmerge the adapters before saving them")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var tensors: [(String, Tensor)] = []
        for (name, adapter) in adapters {
            tensors.append(("\(peftPrefix)\(name).lora_A.weight", adapter.loraA.weight.value))
            tensors.append(("\(peftPrefix)\(name).lora_B.weight", adapter.loraB.weight.value))
        }
        try Safetensors.write(tensors, to: folder.appendingPathComponent("adapter_model.safetensors"), metadata: ["format": "pt"])
        var fanInFanOut = false
        if case .gpt2 = self.configuration { fanInFanOut = true }
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": configuration.rank, "lora_alpha": configuration.alpha,
            "lora_dropout": configuration.dropout, "target_modules": configuration.targetModules,
            "fan_in_fan_out": fanInFanOut, "bias": "none", "inference_mode": true, "init_lora_weights": true,
            "use_rslora": false, "use_dora": false, "modules_to_save": NSNull(),
            "base_model_name_or_path": baseModel ?? NSNull(),
        ]
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: folder.appendingPathComponent("adapter_config.json"))
    }

    /// Reads a PEFT LoRA adapter folder, adds its adapters to this model (freezing the base)
    /// and loads their weights.
    ///
    /// - Returns: the adapter's configuration.
    /// - Throws: ``ModelLoadingError`` naming the file and tensor (missing, wrong shape, an
    ///   adapter type other than LoRA).
    @discardableResult
    public func loadLoRA(from folder: URL) throws -> LoRAConfiguration {
        let configURL = folder.appendingPathComponent("adapter_config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path) else {
            throw ModelLoadingError.unreadableConfiguration(file: configURL.path, reason: "no such file")
        }
        if let kind = try? JSONDecoder().decode(PEFTKind.self, from: data), let type = kind.peft_type, type != "LORA" {
            throw ModelLoadingError.unsupportedArchitecture(file: configURL.path, architecture: "PEFT \(type)")
        }
        let configuration: LoRAConfiguration
        do { configuration = try JSONDecoder().decode(LoRAConfiguration.self, from: data) } catch {
            throw ModelLoadingError.unreadableConfiguration(file: configURL.path, reason: describeDecodingError(error))
        }
        guard configuration.rank > 0 else {
            throw ModelLoadingError.unreadableConfiguration(file: configURL.path, reason: "'r' must be positive")
        }
        let weightsURL = folder.appendingPathComponent("adapter_model.safetensors")
        let file: SafetensorsFile
        do { file = try SafetensorsFile(url: weightsURL) } catch {
            throw ModelLoadingError.unreadableWeights(file: weightsURL.path, reason: error.localizedDescription)
        }
        var generator = SeededGenerator(seed: 0)
        addLoRA(configuration, using: &generator)
        for (name, adapter) in loraAdapters {
            for (suffix, parameter) in [("lora_A.weight", adapter.loraA.weight), ("lora_B.weight", adapter.loraB.weight)] {
                // PEFT also writes keys with the adapter name (`.lora_A.default.weight`) in some versions.
                let candidates = ["\(peftPrefix)\(name).\(suffix)", "\(peftPrefix)\(name).\(suffix.replacingOccurrences(of: ".weight", with: ".default.weight"))"]
                guard let key = candidates.first(where: file.contains) else {
                    throw ModelLoadingError.missingTensor(file: weightsURL.path, tensor: candidates[0])
                }
                let value: Tensor
                do { value = try file.tensor(named: key) } catch {
                    throw ModelLoadingError.unreadableWeights(file: weightsURL.path, reason: "tensor '\(key)': \(error.localizedDescription)")
                }
                guard value.shape == parameter.value.shape else {
                    throw ModelLoadingError.tensorShapeMismatch(file: weightsURL.path, tensor: key, expected: parameter.value.shape, found: value.shape)
                }
                parameter.value = value
            }
        }
        return configuration
    }
}

/// `adapter_config.json`'s adapter type.
private struct PEFTKind: Decodable { var peft_type: String? }
