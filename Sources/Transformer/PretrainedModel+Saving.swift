import Autograd
import Foundation
import GGUF
import Tensor
import Tokenizer

/// Tensor storage types of a GGUF export.
public enum GGUFExportType: String, Sendable, CaseIterable {
    /// Every tensor Float32 (`general.file_type` 0).
    case f32
    /// Matrices binary16, vectors Float32 (`general.file_type` 1).
    case f16
    /// Matrices Q8_0 (32-value blocks, binary16 scale `amax/127`), vectors Float32
    /// (`general.file_type` 7). A matrix whose rows are not a multiple of 32 is written F16, as
    /// llama.cpp's converter does.
    case q8_0

    var fileType: UInt32 {
        switch self { case .f32: 0; case .f16: 1; case .q8_0: 7 }
    }
}

extension PretrainedModel {
    // MARK: Hugging Face directory

    /// Writes a Hugging Face model directory that `transformers` loads: `config.json`,
    /// `model.safetensors` (parameter names as loaded, a tied embedding written once, Q and K in
    /// Hugging Face's layout; LoRA adapters are not included — merge them first, or save them
    /// with ``CausalLanguageModel/saveLoRA(to:configuration:)``), `generation_config.json`, and — when there is a tokenizer —
    /// `tokenizer.json` and `tokenizer_config.json` (with the chat template).
    ///
    /// The files are written into a temporary sibling folder that replaces `folder` only once
    /// complete, so an interrupted save never leaves a half-written model behind.
    ///
    /// - Parameter dtype: `.f32` (default), `.f16` or `.bf16` for the weights.
    public func saveHuggingFaceDirectory(to folder: URL, dtype: SafetensorsDType = .f32) throws {
        guard [.f32, .f16, .bf16].contains(dtype) else {
            throw ModelSavingError.unsupportedType(path: folder.path, type: dtype.rawValue)
        }
        try writeAtomically(folder) { staging in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let config: Data
            switch model.configuration {
            case .llama(let c): config = try encoder.encode(c)
            case .gpt2(let c): config = try encoder.encode(c)
            }
            try config.write(to: staging.appendingPathComponent("config.json"))
            // The base weights only: merge adapters first to keep their effect.
            try Safetensors.write(model.baseParameters().map { ($0.name, $0.parameter.value) },
                                  to: staging.appendingPathComponent("model.safetensors"), dtype: dtype, metadata: ["format": "pt"])
            var generation: [String: Any] = ["_from_model_config": true]
            if let bos = model.configuration.bosTokenID ?? tokenizer?.bosTokenID { generation["bos_token_id"] = bos }
            let eos = model.configuration.eosTokenIDs.isEmpty ? (tokenizer?.eosTokenID.map { [$0] } ?? []) : model.configuration.eosTokenIDs
            if eos.count == 1 { generation["eos_token_id"] = eos[0] } else if !eos.isEmpty { generation["eos_token_id"] = eos }
            if let pad = tokenizer?.padTokenID { generation["pad_token_id"] = pad }
            try JSONSerialization.data(withJSONObject: generation, options: [.prettyPrinted, .sortedKeys])
                .write(to: staging.appendingPathComponent("generation_config.json"))
            try tokenizer?.save(to: staging, modelMaxLength: model.configuration.maxPositions)
        }
    }

    // MARK: GGUF

    /// Writes a GGUF v3 file that llama.cpp reads: `general.architecture` (`llama` or `gpt2`) and
    /// its `{arch}.*` hyper-parameters, the tokenizer as `tokenizer.ggml.*` metadata, and the
    /// tensors under llama.cpp's names — Q and K rows permuted for llama.cpp's rotary layout
    /// (K with the key/value head count), GPT-2's Conv1D weights transposed to `[out, in]` and
    /// its tied embedding also written as `output.weight`, as llama.cpp's converter does.
    /// Written atomically (`GGUFWriter`).
    public func saveGGUF(to url: URL, type: GGUFExportType = .f32, name: String? = nil) throws {
        var writer = GGUFWriter()
        let configuration = model.configuration
        let architecture = configuration.modelType
        writer.set("general.architecture", .string(architecture))
        writer.set("general.name", .string(name ?? url.deletingPathExtension().lastPathComponent))
        writer.set("general.file_type", .uint32(type.fileType))
        func u32(_ key: String, _ value: Int) { writer.set("\(architecture).\(key)", .uint32(UInt32(value))) }
        switch configuration {
        case .llama(let c):
            u32("context_length", c.maxPositions)
            u32("embedding_length", c.hiddenSize)
            u32("block_count", c.layerCount)
            u32("feed_forward_length", c.intermediateSize)
            u32("attention.head_count", c.headCount)
            u32("attention.head_count_kv", c.keyValueHeadCount)
            u32("rope.dimension_count", c.headSize)
            if c.headSize * c.headCount != c.hiddenSize {
                u32("attention.key_length", c.headSize)
                u32("attention.value_length", c.headSize)
            }
            writer.set("llama.rope.freq_base", .float32(Float(c.ropeTheta)))
            writer.set("llama.attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon))
            u32("vocab_size", c.vocabularySize)
            if c.ropeScaling != nil {
                throw ModelSavingError.unsupportedFeature(path: url.path, feature: "Llama 3 rope scaling in GGUF (llama.cpp stores it as rope_freqs.weight)")
            }
        case .gpt2(let c):
            u32("context_length", c.maxPositions)
            u32("embedding_length", c.hiddenSize)
            u32("block_count", c.layerCount)
            u32("feed_forward_length", c.intermediateSize)
            u32("attention.head_count", c.headCount)
            writer.set("gpt2.attention.layer_norm_epsilon", .float32(c.layerNormEpsilon))
            u32("vocab_size", c.vocabularySize)
        }
        if let tokenizer {
            for (key, value) in try tokenizer.ggufMetadata() { writer.set(key, value) }
        }
        for (hfName, parameter) in model.baseParameters() {
            guard let (ggufName, _) = PretrainedModel.ggufTensor(for: hfName, configuration: configuration) else {
                throw ModelSavingError.unsupportedFeature(path: url.path, feature: "tensor '\(hfName)' has no GGUF name")
            }
            let value = PretrainedModel.ggufLayout(parameter.value, huggingFaceName: hfName, configuration: configuration)
            try addTensor(&writer, name: ggufName, value: value, type: type, path: url.path)
            if case .gpt2(let c) = configuration, c.tieWordEmbeddings, ggufName == "token_embd.weight" {
                try addTensor(&writer, name: "output.weight", value: value, type: type, path: url.path)
            }
        }
        try writer.write(to: url)
    }

    private func addTensor(_ writer: inout GGUFWriter, name: String, value: Tensor, type: GGUFExportType, path: String) throws {
        let dimensions = Array(value.shape.reversed())
        let isMatrix = value.rank >= 2
        var storage = isMatrix ? type : .f32
        if storage == .q8_0, (value.shape.last ?? 0) % 32 != 0 { storage = .f16 }
        switch storage {
        case .f32:
            value.withUnsafeBufferPointer { writer.addTensor(name: name, type: .f32, dimensions: dimensions, bytes: UnsafeRawBufferPointer($0)) }
        case .f16:
            let bits = HalfPrecision.halfBits(value.scalars)
            bits.withUnsafeBytes { writer.addTensor(name: name, type: .f16, dimensions: dimensions, bytes: $0) }
        case .q8_0:
            let bytes = try value.withUnsafeBufferPointer { try Tensor.quantizeQ8_0($0) }
            writer.addTensor(name: name, type: .q8_0, dimensions: dimensions, bytes: bytes)
        }
    }

    /// A parameter in llama.cpp's layout: the inverse of what loading a GGUF does.
    static func ggufLayout(_ value: Tensor, huggingFaceName name: String, configuration: ModelConfiguration) -> Tensor {
        switch configuration {
        case .llama(let c):
            if name.hasSuffix("self_attn.q_proj.weight") || name.hasSuffix("self_attn.q_proj.bias") {
                return permuteRotaryRows(value, heads: c.headCount)
            }
            if name.hasSuffix("self_attn.k_proj.weight") || name.hasSuffix("self_attn.k_proj.bias") {
                return permuteRotaryRows(value, heads: c.keyValueHeadCount)
            }
            return value
        case .gpt2:
            let conv = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
            return conv.contains { name.hasSuffix($0) } && value.rank == 2 ? value.transposed() : value
        }
    }

    /// Runs `body` on a fresh staging folder beside `folder`, then puts it in `folder`'s place.
    private func writeAtomically(_ folder: URL, _ body: (URL) throws -> Void) throws {
        let manager = FileManager.default
        let parent = folder.deletingLastPathComponent()
        try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(folder.lastPathComponent).partial-\(UUID().uuidString)")
        try manager.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            try body(staging)
            if manager.fileExists(atPath: folder.path) {
                let old = parent.appendingPathComponent(".\(folder.lastPathComponent).old-\(UUID().uuidString)")
                try manager.moveItem(at: folder, to: old)
                try manager.moveItem(at: staging, to: folder)
                try? manager.removeItem(at: old)
            } else {
                try manager.moveItem(at: staging, to: folder)
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}

/// llama.cpp's `permute` of Q/K projection rows (the inverse of ``unpermuteRotaryRows(_:heads:)``):
/// per head, rows viewed as `[2, Dh/2]` are transposed to `[Dh/2, 2]`, turning Hugging Face's
/// rotary pairs `(i, i + Dh/2)` into llama.cpp's `(2i, 2i + 1)`.
public func permuteRotaryRows(_ w: Tensor, heads: Int) -> Tensor { reorderRotaryRows(w, heads: heads, toLlamaCpp: true) }

/// Why a model could not be saved.
public enum ModelSavingError: Error, LocalizedError, Equatable {
    case unsupportedType(path: String, type: String)
    case unsupportedFeature(path: String, feature: String)

    public var errorDescription: String? {
        switch self {
        case .unsupportedType(let path, let type): return "\(path): cannot save weights as \(type)"
        case .unsupportedFeature(let path, let feature): return "\(path): cannot export \(feature)"
        }
    }
}
