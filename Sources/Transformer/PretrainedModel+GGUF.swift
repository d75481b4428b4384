import Autograd
import Foundation
import GGUF
import Tensor
import Tokenizer

// Loading llama.cpp's GGUF files: metadata → configuration, tensor names → Hugging Face names,
// GGML block formats dequantized to Float32 (Tensor's dequantizers), and the Q/K row
// permutation of llama.cpp's converter undone.

extension PretrainedModel {
    static func loadGGUF(_ path: String) throws -> PretrainedModel {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch {
            throw ModelLoadingError.unreadableWeights(file: path, reason: error.localizedDescription)
        }
        let architecture: String
        do { architecture = try file.string("general.architecture") } catch {
            throw ModelLoadingError.missingMetadata(file: path, key: "general.architecture")
        }
        let configuration = try ggufConfiguration(file, architecture: architecture)
        let model = configuration.makeModelForLoading()
        let names = Set(file.tensors.map(\.name))
        for (name, parameter) in model.baseParameters() {
            guard let (ggufName, transform) = ggufTensor(for: name, configuration: configuration) else {
                throw ModelLoadingError.missingTensor(file: path, tensor: name)
            }
            guard names.contains(ggufName) else { throw ModelLoadingError.missingTensor(file: path, tensor: ggufName) }
            var value: Tensor
            do { value = try Tensor(gguf: file, tensorNamed: ggufName) } catch {
                throw ModelLoadingError.unreadableWeights(file: path, reason: "tensor '\(ggufName)': \(error.localizedDescription)")
            }
            value = transform(value)
            guard value.shape == parameter.value.shape else {
                throw ModelLoadingError.tensorShapeMismatch(file: path, tensor: ggufName, expected: parameter.value.shape, found: value.shape)
            }
            parameter.value = value
        }
        var tokenizer: Tokenizer?
        if file.metadata.contains(where: { $0.key == "tokenizer.ggml.tokens" }) {
            do { tokenizer = try Tokenizer(gguf: URL(fileURLWithPath: path)) } catch {
                throw ModelLoadingError.unreadableTokenizer(file: path, reason: error.localizedDescription)
            }
        }
        return PretrainedModel(model: model, tokenizer: tokenizer, path: path)
    }

    /// The configuration from `{arch}.*` metadata keys.
    static func ggufConfiguration(_ file: GGUFFile, architecture: String) throws -> ModelConfiguration {
        let path = file.path
        func int(_ key: String) throws -> Int {
            do { return try file.int("\(architecture).\(key)") } catch {
                throw ModelLoadingError.missingMetadata(file: path, key: "\(architecture).\(key)")
            }
        }
        func optionalInt(_ key: String) -> Int? { try? file.int(key) }
        func optionalFloat(_ key: String) -> Float? { try? file.float("\(architecture).\(key)") }
        let embedding = try? file.tensor(named: "token_embd.weight")
        let vocabulary = optionalInt("\(architecture).vocab_size")
            ?? (try? file.stringArray("tokenizer.ggml.tokens").count) ?? embedding?.shape.first
        guard let vocabulary else { throw ModelLoadingError.missingMetadata(file: path, key: "\(architecture).vocab_size") }
        let tied = !file.tensors.contains { $0.name == "output.weight" }
        let bos = optionalInt("tokenizer.ggml.bos_token_id"), eos = optionalInt("tokenizer.ggml.eos_token_id")
        switch architecture {
        case "llama":
            if file.tensors.contains(where: { $0.name == "rope_freqs.weight" }) {
                throw ModelLoadingError.unsupportedTensorType(file: path, tensor: "rope_freqs.weight",
                                                              type: "per-frequency RoPE factors (Llama 3.1 scaling in GGUF)")
            }
            let heads = try int("attention.head_count"), hidden = try int("embedding_length")
            let c = LlamaConfiguration(
                vocabularySize: vocabulary, hiddenSize: hidden, intermediateSize: try int("feed_forward_length"),
                layerCount: try int("block_count"), headCount: heads,
                keyValueHeadCount: optionalInt("llama.attention.head_count_kv") ?? heads,
                headSize: optionalInt("llama.attention.key_length") ?? hidden / Swift.max(heads, 1),
                maxPositions: try int("context_length"),
                rmsNormEpsilon: optionalFloat("attention.layer_norm_rms_epsilon") ?? 1e-5,
                ropeTheta: Double(optionalFloat("rope.freq_base") ?? 10_000),
                tieWordEmbeddings: tied,
                attentionBias: file.tensors.contains { $0.name == "blk.0.attn_q.bias" },
                bosTokenID: bos, eosTokenIDs: eos.map { [$0] } ?? [])
            try c.validate()
            return .llama(c)
        case "gpt2":
            let c = GPT2Configuration(
                vocabularySize: vocabulary, maxPositions: try int("context_length"), hiddenSize: try int("embedding_length"),
                layerCount: try int("block_count"), headCount: try int("attention.head_count"),
                intermediateSize: optionalInt("gpt2.feed_forward_length"),
                layerNormEpsilon: optionalFloat("attention.layer_norm_epsilon") ?? 1e-5,
                tieWordEmbeddings: tied, bosTokenID: bos, eosTokenIDs: eos.map { [$0] } ?? [])
            try c.validate()
            return .gpt2(c)
        default:
            throw ModelLoadingError.unsupportedArchitecture(file: path, architecture: architecture)
        }
    }

    /// The GGUF tensor that holds the Hugging Face parameter `name`, and how to turn it into the
    /// parameter's layout.
    static func ggufTensor(for name: String, configuration: ModelConfiguration) -> (String, (Tensor) -> Tensor)? {
        let identity: (Tensor) -> Tensor = { $0 }
        let parts = name.split(separator: ".").map(String.init)
        switch configuration {
        case .llama(let c):
            switch name {
            case "model.embed_tokens.weight": return ("token_embd.weight", identity)
            case "model.norm.weight": return ("output_norm.weight", identity)
            case "lm_head.weight": return ("output.weight", identity)
            default: break
            }
            guard parts.count >= 5, parts[0] == "model", parts[1] == "layers" else { return nil }
            let module = parts[3..<(parts.count - 1)].joined(separator: "."), kind = parts.last!
            let table = ["self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                         "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
                         "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"]
            guard let short = table[module] else { return nil }
            let ggufName = "blk.\(parts[2]).\(short).\(kind)"
            switch module {
            case "self_attn.q_proj": return (ggufName, { unpermuteRotaryRows($0, heads: c.headCount) })
            case "self_attn.k_proj": return (ggufName, { unpermuteRotaryRows($0, heads: c.keyValueHeadCount) })
            default: return (ggufName, identity)
            }
        case .gpt2:
            switch name {
            case "transformer.wte.weight": return ("token_embd.weight", identity)
            case "transformer.wpe.weight": return ("position_embd.weight", identity)
            case "transformer.ln_f.weight": return ("output_norm.weight", identity)
            case "transformer.ln_f.bias": return ("output_norm.bias", identity)
            case "lm_head.weight": return ("output.weight", identity)
            default: break
            }
            guard parts.count >= 5, parts[0] == "transformer", parts[1] == "h" else { return nil }
            let module = parts[3..<(parts.count - 1)].joined(separator: "."), kind = parts.last!
            let table = ["ln_1": "attn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
                         "ln_2": "ffn_norm", "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"]
            guard let short = table[module] else { return nil }
            // llama.cpp stores GPT-2's Conv1D weights transposed, as [out, in] matrices.
            let transposeBack: (Tensor) -> Tensor = { $0.rank == 2 ? $0.transposed() : $0 }
            return ("blk.\(parts[2]).\(short).\(kind)", kind == "weight" && !module.hasPrefix("ln_") ? transposeBack : identity)
        }
    }
}

/// Undoes llama.cpp's `permute` of Q/K projection rows.
///
/// llama.cpp's converter reorders each head's `Dh` output rows from Hugging Face's rotary
/// layout (pairs `(i, i + Dh/2)`) to its own (pairs `(2i, 2i + 1)`): viewing a head's rows
/// as `[2, Dh/2]` it transposes them to `[Dh/2, 2]`. This transposes back, per head; K uses
/// the key/value head count. Works for weights `[H·Dh, in]` and biases `[H·Dh]`.
public func unpermuteRotaryRows(_ w: Tensor, heads: Int) -> Tensor { reorderRotaryRows(w, heads: heads, toLlamaCpp: false) }

/// Moves each head's rows between Hugging Face's order (`(j, i)`: half `j`, index `i`) and
/// llama.cpp's (`(i, j)`), for weights `[H·Dh, in]` and biases `[H·Dh]`.
func reorderRotaryRows(_ w: Tensor, heads: Int, toLlamaCpp: Bool) -> Tensor {
    let rows = w.shape[0], columns = w.rank == 2 ? w.shape[1] : 1
    check(heads > 0 && rows % (2 * heads) == 0, "rotary row order: \(rows) rows do not split into \(heads) heads of even size")
    let half = rows / heads / 2
    var out = Tensor(uninitializedShape: w.shape)
    w.withUnsafeBufferPointer { source in
        out.withUnsafeMutableBufferPointer { target in
            for h in 0..<heads {
                for i in 0..<half {
                    for j in 0..<2 {
                        let huggingFace = (h * 2 * half + j * half + i) * columns, llamaCpp = (h * half * 2 + i * 2 + j) * columns
                        let (from, to) = toLlamaCpp ? (huggingFace, llamaCpp) : (llamaCpp, huggingFace)
                        for c in 0..<columns { target[to + c] = source[from + c] }
                    }
                }
            }
        }
    }
    return out
}
