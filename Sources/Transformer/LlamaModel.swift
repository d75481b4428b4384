import Autograd
import Tensor

// The Llama family (Llama 2/3, SmolLM/SmolLM2, Mistral-style) as Hugging Face's
// `LlamaForCausalLM`, with its parameter names: `model.embed_tokens.weight`,
// `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`, `model.layers.{i}.mlp.{gate,up,down}_proj.weight`,
// `model.layers.{i}.{input,post_attention}_layernorm.weight`, `model.norm.weight` and
// `lm_head.weight` (absent when tied to the embedding).
//
// Block (pre-norm): h = x + o(attn(rope(q(n₁(x))), rope(k(n₁(x))), v(n₁(x))));
//                   y = h + down(silu(gate(n₂(h))) ⊙ up(n₂(h))).
// Q and K are in Hugging Face's layout (rotary pairs (i, i + Dh/2)); GGUF checkpoints are
// un-permuted into it at load.

/// Grouped-query self-attention with rotary positions.
public final class LlamaAttention: Module, LoRAHost {
    public let qProj: Linear, kProj: Linear, vProj: Linear, oProj: Linear
    let configuration: LlamaConfiguration
    var adapters: [String: LoRAAdapter] = [:]
    var projections: [(name: String, weight: Parameter, inputOutput: Bool)] {
        [("q_proj", qProj.weight, false), ("k_proj", kProj.weight, false), ("v_proj", vProj.weight, false), ("o_proj", oProj.weight, false)]
    }

    init(_ c: LlamaConfiguration, _ w: inout WeightInitializer) {
        configuration = c
        let (d, q, kv) = (c.hiddenSize, c.headCount * c.headSize, c.keyValueHeadCount * c.headSize)
        qProj = w.linear(input: d, output: q, bias: c.attentionBias)
        kProj = w.linear(input: d, output: kv, bias: c.attentionBias)
        vProj = w.linear(input: d, output: kv, bias: c.attentionBias)
        oProj = w.linear(input: q, output: d, bias: c.attentionBias)
    }

    public var children: [(name: String, module: any Module)] {
        [("q_proj", qProj), ("k_proj", kProj), ("v_proj", vProj), ("o_proj", oProj)] + adapterChildren
    }

    /// `[B, T, D] → [B, T, D]`.
    func callAsFunction(_ x: Variable, batch: TokenBatch, rotary: RotaryTable) -> Variable {
        let c = configuration, positions = batch.resolvedPositions
        // Token-major [B, T, H·Dh] throughout: RoPE and attention read each head in place.
        let q = rotaryEmbedding(adapted("q_proj", qProj(x), x), heads: c.headCount, positions: positions, table: rotary)
        let k = rotaryEmbedding(adapted("k_proj", kProj(x), x), heads: c.keyValueHeadCount, positions: positions, table: rotary)
        let v = adapted("v_proj", vProj(x), x)
        let merged = scaledDotProductAttention(query: q, key: k, value: v, queryHeads: c.headCount,
                                               keyValueHeads: c.keyValueHeadCount, causal: true,
                                               paddingMask: batch.attentionMask, segmentIDs: batch.segmentIDs)
        return adapted("o_proj", oProj(merged), merged)
    }
}

/// The SwiGLU MLP: `down(silu(gate(x)) ⊙ up(x))`.
public final class LlamaMLP: Module, LoRAHost {
    public let gateProj: Linear, upProj: Linear, downProj: Linear
    var adapters: [String: LoRAAdapter] = [:]
    var projections: [(name: String, weight: Parameter, inputOutput: Bool)] {
        [("gate_proj", gateProj.weight, false), ("up_proj", upProj.weight, false), ("down_proj", downProj.weight, false)]
    }

    init(_ c: LlamaConfiguration, _ w: inout WeightInitializer) {
        gateProj = w.linear(input: c.hiddenSize, output: c.intermediateSize, bias: c.mlpBias)
        upProj = w.linear(input: c.hiddenSize, output: c.intermediateSize, bias: c.mlpBias)
        downProj = w.linear(input: c.intermediateSize, output: c.hiddenSize, bias: c.mlpBias)
    }

    public var children: [(name: String, module: any Module)] {
        [("gate_proj", gateProj), ("up_proj", upProj), ("down_proj", downProj)] + adapterChildren
    }

    func callAsFunction(_ x: Variable) -> Variable {
        let h = swiglu(gate: adapted("gate_proj", gateProj(x), x), up: adapted("up_proj", upProj(x), x))
        return adapted("down_proj", downProj(h), h)
    }
}

/// One pre-norm decoder block.
public final class LlamaDecoderLayer: Module {
    public let selfAttention: LlamaAttention
    public let mlp: LlamaMLP
    public let inputLayerNorm: RMSNorm, postAttentionLayerNorm: RMSNorm

    init(_ c: LlamaConfiguration, _ w: inout WeightInitializer) {
        selfAttention = LlamaAttention(c, &w)
        mlp = LlamaMLP(c, &w)
        inputLayerNorm = RMSNorm(dimension: c.hiddenSize, epsilon: c.rmsNormEpsilon)
        postAttentionLayerNorm = RMSNorm(dimension: c.hiddenSize, epsilon: c.rmsNormEpsilon)
    }

    public var children: [(name: String, module: any Module)] {
        [("self_attn", selfAttention), ("mlp", mlp),
         ("input_layernorm", inputLayerNorm), ("post_attention_layernorm", postAttentionLayerNorm)]
    }

    func callAsFunction(_ x: Variable, batch: TokenBatch, rotary: RotaryTable) -> Variable {
        let h = x + selfAttention(inputLayerNorm(x), batch: batch, rotary: rotary)
        return h + mlp(postAttentionLayerNorm(h))
    }
}

/// The decoder stack without the output head (Hugging Face `LlamaModel`).
public final class LlamaModel: Module {
    public let embedTokens: Embedding
    public let layers: ModuleList<LlamaDecoderLayer>
    public let norm: RMSNorm

    init(_ c: LlamaConfiguration, _ w: inout WeightInitializer) {
        embedTokens = Embedding(weight: w.normal([c.vocabularySize, c.hiddenSize], standardDeviation: 0.02))
        layers = ModuleList((0..<c.layerCount).map { _ in LlamaDecoderLayer(c, &w) })
        norm = RMSNorm(dimension: c.hiddenSize, epsilon: c.rmsNormEpsilon)
    }

    public var children: [(name: String, module: any Module)] {
        [("embed_tokens", embedTokens), ("layers", layers), ("norm", norm)]
    }
}

/// A Llama-family causal language model (Hugging Face `LlamaForCausalLM`).
public final class LlamaForCausalLM: CausalLanguageModel {
    public let llama: LlamaConfiguration
    public let model: LlamaModel
    /// The output head, or `nil` when tied to `model.embed_tokens`.
    public let lmHead: Linear?
    /// Cosines and sines for every position up to `maxPositions`.
    public let rotary: RotaryTable
    /// Recompute each decoder layer in the backward pass instead of keeping its activations
    /// (default `false`); see ``CausalLanguageModel/gradientCheckpointing``.
    public var gradientCheckpointing = false

    /// A model with weights initialised as Hugging Face does (`initializer_range` 0.02: every
    /// matrix `N(0, 0.02²)`, biases 0, norms 1), drawn from `g` in parameter order.
    public convenience init(_ c: LlamaConfiguration, using g: inout SeededGenerator) {
        var w = WeightInitializer(generator: g)
        self.init(c, &w)
        g = w.generator!
    }

    init(_ c: LlamaConfiguration, _ w: inout WeightInitializer) {
        llama = c
        model = LlamaModel(c, &w)
        lmHead = c.tieWordEmbeddings ? nil : w.linear(input: c.hiddenSize, output: c.vocabularySize, bias: false)
        rotary = RotaryTable(inverseFrequencies: c.rotaryInverseFrequencies, maxPositions: c.maxPositions)
    }

    public var children: [(name: String, module: any Module)] {
        [("model", model)] + (lmHead.map { [("lm_head", $0)] } ?? [])
    }

    public var configuration: ModelConfiguration { .llama(llama) }

    public func hiddenStates(_ batch: TokenBatch) -> Variable {
        checkPositions(batch, limit: llama.maxPositions)
        var x = model.embedTokens(batch.ids, shape: [batch.batchSize, batch.length])
        let rotary = rotary
        for layer in model.layers {
            x = gradientCheckpointing ? checkpointed(x) { layer($0, batch: batch, rotary: rotary) }
                                      : layer(x, batch: batch, rotary: rotary)
        }
        return model.norm(x)
    }

    public func logits(hidden: Variable) -> Variable {
        linear(hidden, weight: (lmHead?.weight ?? model.embedTokens.weight).variable)
    }

    /// `lm_head.weight`, or the tied `model.embed_tokens.weight`; no bias.
    public var linearOutputHead: (weight: Parameter, bias: Parameter?)? { (lmHead?.weight ?? model.embedTokens.weight, nil) }

    public var inferenceWeights: InferenceWeights {
        let c = llama
        let blocks = model.layers.map { layer in
            let (a, m) = (layer.selfAttention, layer.mlp)
            return InferenceWeights.Block(
                attentionNorm: .init(weight: layer.inputLayerNorm.weight.value, bias: nil),
                queryKeyValue: [.init(linear: a.qProj, adapter: a.adapters["q_proj"]), .init(linear: a.kProj, adapter: a.adapters["k_proj"]),
                                .init(linear: a.vProj, adapter: a.adapters["v_proj"])],
                attentionOutput: .init(linear: a.oProj, adapter: a.adapters["o_proj"]),
                mlpNorm: .init(weight: layer.postAttentionLayerNorm.weight.value, bias: nil),
                mlp: .swiglu(gate: .init(linear: m.gateProj, adapter: m.adapters["gate_proj"]),
                             up: .init(linear: m.upProj, adapter: m.adapters["up_proj"]),
                             down: .init(linear: m.downProj, adapter: m.adapters["down_proj"])))
        }
        return InferenceWeights(
            hiddenSize: c.hiddenSize, headCount: c.headCount, keyValueHeadCount: c.keyValueHeadCount,
            headSize: c.headSize, maxPositions: c.maxPositions, normEpsilon: c.rmsNormEpsilon, centeredNorm: false,
            tokenEmbedding: model.embedTokens.weight.value, positionEmbedding: nil, rotary: rotary,
            blocks: blocks, finalNorm: .init(weight: model.norm.weight.value, bias: nil),
            outputHead: .init(weight: (lmHead?.weight ?? model.embedTokens.weight).value, bias: nil, layout: .outputInput))
    }
}

/// Stops with a clear message when a position is beyond the model's table.
func checkPositions(_ batch: TokenBatch, limit: Int) {
    let highest = batch.positions?.max() ?? (batch.length - 1)
    check(highest < limit, "model: position \(highest) is beyond the model's \(limit) positions")
}
