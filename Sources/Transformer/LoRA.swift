import Autograd
import Foundation
import Tensor

/// Which projections get LoRA adapters and how large they are, as PEFT's `LoraConfig`
/// (`adapter_config.json` keys); PEFT's defaults: `r` 8, `lora_alpha` 8, dropout 0.
public struct LoRAConfiguration: Codable, Equatable, Sendable {
    /// Rank `r` of `ΔW = (α/r)·B·A`.
    public var rank: Int
    /// `α`: the update is scaled by `α/r`.
    public var alpha: Float
    /// Dropout on the adapter's input during training.
    public var dropout: Float
    /// Local module names (`q_proj`, `v_proj`, `c_attn`, …) or `["all-linear"]`.
    public var targetModules: [String]

    public init(rank: Int = 8, alpha: Float = 8, dropout: Float = 0, targetModules: [String] = ["q_proj", "v_proj"]) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
    }

    /// PEFT's default targets for a family: Llama `q_proj`, `v_proj`; GPT-2 `c_attn`.
    public static func defaults(for configuration: ModelConfiguration) -> LoRAConfiguration {
        switch configuration {
        case .llama: LoRAConfiguration()
        case .gpt2: LoRAConfiguration(targetModules: ["c_attn"])
        }
    }

    /// `α/r`.
    public var scale: Float { alpha / Float(rank) }

    func targets(_ name: String) -> Bool { targetModules.contains("all-linear") || targetModules.contains(name) }

    enum CodingKeys: String, CodingKey {
        case rank = "r", alpha = "lora_alpha", dropout = "lora_dropout", targetModules = "target_modules"
    }
}

/// A low-rank update of one projection (Hu et al. 2021, "LoRA"): `y = base(x) + (α/r)·B·A·x`,
/// with `A` `[r, in]` initialised as `torch.nn.Linear` (Kaiming-uniform) and `B` `[out, r]`
/// zero, so a new adapter changes nothing. Names `lora_A.weight`, `lora_B.weight` as PEFT.
public final class LoRAAdapter: Module {
    public let loraA: Linear
    public let loraB: Linear
    public let scale: Float
    /// Dropout on the adapter's input (`lora_dropout`), `nil` when the probability is 0; its generator is
    /// saved with training checkpoints.
    public let dropout: Dropout?
    /// Whether `scale·B·A` has been added into the base weight (then the adapter adds nothing).
    public internal(set) var isMerged = false

    init(inputSize: Int, outputSize: Int, configuration c: LoRAConfiguration, using g: inout SeededGenerator) {
        loraA = Linear(inputSize: inputSize, outputSize: c.rank, bias: false, using: &g)
        loraB = Linear(weight: Tensor.zeros([outputSize, c.rank]))
        scale = c.scale
        dropout = c.dropout > 0 ? Dropout(probability: c.dropout, using: &g) : nil
    }

    public var children: [(name: String, module: any Module)] { [("lora_A", loraA), ("lora_B", loraB)] }
    public func setTrainingMode(_ training: Bool) { dropout?.setTrainingMode(training) }

    /// `(α/r)·B·A·dropout(x)`: `[…, in] → […, out]`.
    func delta(_ x: Variable) -> Variable { loraB(loraA(dropout?(x) ?? x)) * scale }

    /// `scale·B·A`, `[out, in]`.
    var update: Tensor { Tensor.matmul(loraB.weight.value, loraA.weight.value) * scale }
}

/// A module with projections that can carry adapters (attention and MLP blocks).
protocol LoRAHost: AnyObject {
    /// The adaptable projections: local name, weight parameter, and whether it is stored
    /// `[in, out]` (GPT-2's Conv1D, PEFT's `fan_in_fan_out`).
    var projections: [(name: String, weight: Parameter, inputOutput: Bool)] { get }
    var adapters: [String: LoRAAdapter] { get set }
}

extension LoRAHost {
    /// `base(x)`, plus the adapter of `name` unless it is merged.
    func adapted(_ name: String, _ base: Variable, _ x: Variable) -> Variable {
        guard let adapter = adapters[name], !adapter.isMerged else { return base }
        return base + adapter.delta(x)
    }

    /// The adapters as children, after the host's own: `q_proj.lora_A.weight` beside `q_proj.weight`.
    var adapterChildren: [(name: String, module: any Module)] {
        projections.compactMap { p in adapters[p.name].map { (p.name, $0 as any Module) } }
    }
}

/// Whether a parameter name belongs to a LoRA adapter.
func isAdapterParameter(_ name: String) -> Bool { name.contains(".lora_A.") || name.contains(".lora_B.") }

extension CausalLanguageModel {
    /// The blocks that can carry adapters, by dotted prefix (`model.layers.0.self_attn`).
    var loraHosts: [(prefix: String, host: any LoRAHost)] {
        if let llama = self as? LlamaForCausalLM {
            return llama.model.layers.enumerated().flatMap { i, layer in
                [("model.layers.\(i).self_attn", layer.selfAttention as any LoRAHost), ("model.layers.\(i).mlp", layer.mlp)]
            }
        }
        if let gpt2 = self as? GPT2LMHeadModel {
            return gpt2.transformer.h.enumerated().flatMap { i, block in
                [("transformer.h.\(i).attn", block.attention as any LoRAHost), ("transformer.h.\(i).mlp", block.mlp)]
            }
        }
        return []
    }

    /// Adds LoRA adapters to the targeted projections and freezes everything else, so only
    /// the adapters train (PEFT's `get_peft_model`).
    ///
    /// - Returns: the number of adapters added.
    @discardableResult
    public func addLoRA(_ configuration: LoRAConfiguration, using generator: inout SeededGenerator) -> Int {
        check(configuration.rank > 0, "addLoRA: rank \(configuration.rank) must be positive")
        freeze()
        var count = 0
        for (_, host) in loraHosts {
            for p in host.projections where configuration.targets(p.name) {
                let shape = p.weight.value.shape
                let (input, output) = p.inputOutput ? (shape[0], shape[1]) : (shape[1], shape[0])
                host.adapters[p.name] = LoRAAdapter(inputSize: input, outputSize: output, configuration: configuration, using: &generator)
                count += 1
            }
        }
        check(count > 0, "addLoRA: no projection matches target modules \(configuration.targetModules)")
        return count
    }

    /// The adapters by the dotted name of the projection they adapt.
    public var loraAdapters: [(name: String, adapter: LoRAAdapter)] {
        loraHosts.flatMap { prefix, host in
            host.projections.compactMap { p in host.adapters[p.name].map { ("\(prefix).\(p.name)", $0) } }
        }
    }

    /// Adds every adapter's `(α/r)·B·A` into its base weight (idempotent).
    public func mergeLoRA() { applyLoRA(merge: true) }

    /// Subtracts merged adapters from their base weights again.
    public func unmergeLoRA() { applyLoRA(merge: false) }

    private func applyLoRA(merge: Bool) {
        for (_, host) in loraHosts {
            for p in host.projections {
                guard let adapter = host.adapters[p.name], adapter.isMerged != merge else { continue }
                var update = adapter.update
                if p.inputOutput { update = update.transposed() }
                p.weight.value = merge ? p.weight.value + update : p.weight.value - update
                adapter.isMerged = merge
            }
        }
    }

    /// Removes all adapters (merge them first to keep their effect) and unfreezes the model.
    public func removeLoRA() {
        for (_, host) in loraHosts { host.adapters = [:] }
        unfreeze()
    }

    /// The base model's parameters without adapter weights: what a Hugging Face checkpoint holds.
    public func baseParameters() -> [(name: String, parameter: Parameter)] {
        namedParameters().filter { !isAdapterParameter($0.name) }
    }
}
