import Autograd
import Foundation
import GGUF
import Tensor
import Tokenizer

/// A model loaded from disk with the tokenizer that came with it.
public struct PretrainedModel {
    public let model: any CausalLanguageModel
    /// The tokenizer in the same file (GGUF) or folder (`tokenizer.json`), or `nil` when there
    /// is none.
    public let tokenizer: Tokenizer?
    /// Where it was loaded from.
    public let path: String

    public init(model: any CausalLanguageModel, tokenizer: Tokenizer?, path: String) {
        self.model = model
        self.tokenizer = tokenizer
        self.path = path
    }

    /// Loads a `.gguf` file or a Hugging Face model directory (`config.json` with
    /// `model.safetensors`, or shards listed in `model.safetensors.index.json`).
    ///
    /// Tensors stored as F16, BF16 or GGML block formats are converted to Float32. GGUF's
    /// Q and K rows (permuted by llama.cpp's converter for its rotary layout) are put back in
    /// Hugging Face's layout, so both sources run the same model code.
    ///
    /// - Throws: ``ModelLoadingError`` naming the file and, where there is one, the tensor.
    public static func load(from path: String) throws -> PretrainedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelLoadingError.notAModel(path: path)
        }
        if isDirectory.boolValue { return try loadHuggingFaceDirectory(path) }
        if path.hasSuffix(".gguf") { return try loadGGUF(path) }
        throw ModelLoadingError.notAModel(path: path)
    }

    // MARK: Hugging Face directory

    static func loadHuggingFaceDirectory(_ path: String) throws -> PretrainedModel {
        let folder = URL(fileURLWithPath: path)
        let configURL = folder.appendingPathComponent("config.json")
        let configuration = try readConfiguration(configURL)
        let weights = try SafetensorsCheckpoint(folder: folder)
        let model = configuration.makeModelForLoading()
        try weights.load(into: model)
        let tokenizerURL = folder.appendingPathComponent("tokenizer.json")
        var tokenizer: Tokenizer?
        if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            do { tokenizer = try Tokenizer(huggingFaceJSON: tokenizerURL) } catch {
                throw ModelLoadingError.unreadableTokenizer(file: tokenizerURL.path, reason: error.localizedDescription)
            }
        }
        return PretrainedModel(model: model, tokenizer: tokenizer, path: path)
    }

    /// Reads `config.json`: `model_type` (or `architectures`) chooses the family.
    public static func readConfiguration(_ url: URL) throws -> ModelConfiguration {
        let file = url.path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ModelLoadingError.unreadableConfiguration(file: file, reason: "no such file")
        }
        struct Kind: Decodable {
            var model_type: String?
            var architectures: [String]?
        }
        let kind: Kind
        do { kind = try JSONDecoder().decode(Kind.self, from: data) } catch {
            throw ModelLoadingError.unreadableConfiguration(file: file, reason: "not a JSON object (\(error.localizedDescription))")
        }
        let type = kind.model_type ?? kind.architectures?.first ?? "unknown"
        do {
            let configuration: ModelConfiguration
            switch type {
            case "llama", "mistral", "LlamaForCausalLM", "MistralForCausalLM":
                let c = try JSONDecoder().decode(LlamaConfiguration.self, from: data)
                try c.validate()
                configuration = .llama(c)
            case "gpt2", "GPT2LMHeadModel":
                let c = try JSONDecoder().decode(GPT2Configuration.self, from: data)
                try c.validate()
                configuration = .gpt2(c)
            default:
                throw ModelLoadingError.unsupportedArchitecture(file: file, architecture: type)
            }
            return configuration
        } catch let error as ModelLoadingError {
            throw error
        } catch {
            throw ModelLoadingError.unreadableConfiguration(file: file, reason: describeDecodingError(error))
        }
    }
}

/// One line for a `DecodingError`: the key path and what was wrong.
func describeDecodingError(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing key '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        return "'\(path(context))': \(context.debugDescription)"
    case .dataCorrupted(let context):
        return context.codingPath.isEmpty ? context.debugDescription : "'\(path(context))': \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}

/// The safetensors files of a Hugging Face checkpoint: one `model.safetensors`, or the shards
/// named by `model.safetensors.index.json`'s `weight_map`.
struct SafetensorsCheckpoint {
    /// Tensor name → the file holding it.
    let files: [String: SafetensorsFile]

    init(folder: URL) throws {
        let single = folder.appendingPathComponent("model.safetensors")
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        func open(_ url: URL) throws -> SafetensorsFile {
            do { return try SafetensorsFile(url: url) } catch {
                throw ModelLoadingError.unreadableWeights(file: url.path, reason: error.localizedDescription)
            }
        }
        var files: [String: SafetensorsFile] = [:]
        if FileManager.default.fileExists(atPath: single.path) {
            let file = try open(single)
            for name in file.tensorNames { files[name] = file }
        } else if let data = FileManager.default.contents(atPath: index.path) {
            struct Index: Decodable { var weight_map: [String: String] }
            guard let map = try? JSONDecoder().decode(Index.self, from: data) else {
                throw ModelLoadingError.unreadableWeights(file: index.path, reason: "no 'weight_map' object of tensor name → file name")
            }
            var shards: [String: SafetensorsFile] = [:]
            for (name, shard) in map.weight_map.sorted(by: { $0.key < $1.key }) {
                guard !shard.contains("/") else {
                    throw ModelLoadingError.unreadableWeights(file: index.path, reason: "shard '\(shard)' is not a file name in the folder")
                }
                if shards[shard] == nil { shards[shard] = try open(folder.appendingPathComponent(shard)) }
                guard shards[shard]!.contains(name) else {
                    throw ModelLoadingError.missingTensor(file: folder.appendingPathComponent(shard).path, tensor: name)
                }
                files[name] = shards[shard]
            }
        } else {
            throw ModelLoadingError.unreadableWeights(file: folder.path, reason: "no model.safetensors or model.safetensors.index.json")
        }
        self.files = files
    }

    /// Buffers Hugging Face stores beside the weights, which are not parameters.
    static func isBuffer(_ name: String) -> Bool {
        name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") || name.hasSuffix("rotary_emb.inv_freq")
    }

    /// Loads every parameter of `model`; a missing tensor or a wrong shape is an error naming
    /// the file and tensor. GPT-2 checkpoints saved from `GPT2Model` (keys without the
    /// `transformer.` prefix) are accepted; a stored `lm_head.weight` of a tied model is ignored.
    func load(into model: any CausalLanguageModel) throws {
        for (name, parameter) in model.baseParameters() {
            var key = name
            if files[key] == nil, name.hasPrefix("transformer."), files[String(name.dropFirst("transformer.".count))] != nil {
                key = String(name.dropFirst("transformer.".count))
            }
            guard let file = files[key] else {
                throw ModelLoadingError.missingTensor(file: (files.values.first?.url.path ?? "checkpoint"), tensor: name)
            }
            let value: Tensor
            do { value = try file.tensor(named: key) } catch {
                throw ModelLoadingError.unreadableWeights(file: file.url.path, reason: "tensor '\(key)': \(error.localizedDescription)")
            }
            guard value.shape == parameter.value.shape else {
                throw ModelLoadingError.tensorShapeMismatch(file: file.url.path, tensor: key, expected: parameter.value.shape, found: value.shape)
            }
            parameter.value = value
        }
    }
}
