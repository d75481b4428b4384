import Autograd
import Tensor

// GPT-2 as Hugging Face's `GPT2LMHeadModel`, with its parameter names:
// `transformer.wte.weight`, `transformer.wpe.weight`, `transformer.h.{i}.ln_1.{weight,bias}`,
// `transformer.h.{i}.attn.c_attn.{weight,bias}` (fused q|k|v, Conv1D layout `[D, 3D]`),
// `transformer.h.{i}.attn.c_proj`, `transformer.h.{i}.ln_2`, `transformer.h.{i}.mlp.c_fc`,
// `transformer.h.{i}.mlp.c_proj`, `transformer.ln_f`; `lm_head.weight` is tied to `wte`.
//
// Block (pre-norm): h = x + c_proj(attn(split(c_attn(ln_1(x)))));  y = h + c_proj(gelu(c_fc(ln_2(h)))).
// Input: wte[token] + wpe[position].

/// Multi-head causal self-attention with a fused q|k|v projection.
public final class GPT2Attention: Module, LoRAHost {
    public let cAttn: Conv1D, cProj: Conv1D
    let configuration: GPT2Configuration
    var adapters: [String: LoRAAdapter] = [:]
    var projections: [(name: String, weight: Parameter, inputOutput: Bool)] {
        [("c_attn", cAttn.weight, true), ("c_proj", cProj.weight, true)]
    }

    init(_ c: GPT2Configuration, _ w: inout WeightInitializer) {
        configuration = c
        cAttn = w.conv1D(input: c.hiddenSize, output: 3 * c.hiddenSize)
        cProj = w.conv1D(input: c.hiddenSize, output: c.hiddenSize, standardDeviation: c.residualStandardDeviation)
    }

    public var children: [(name: String, module: any Module)] { [("c_attn", cAttn), ("c_proj", cProj)] + adapterChildren }

    func callAsFunction(_ x: Variable, batch: TokenBatch) -> Variable {
        let c = configuration
        // Heads are read from the fused [B, T, 3D] q|k|v rows in place; the output is [B, T, D].
        let qkv = adapted("c_attn", cAttn(x), x)
        let attended = scaledDotProductAttention(fusedQKV: qkv, heads: c.headCount, causal: true,
                                                 paddingMask: batch.attentionMask, segmentIDs: batch.segmentIDs)
        return adapted("c_proj", cProj(attended), attended)
    }
}

/// The GELU MLP: `c_proj(gelu(c_fc(x)))`.
public final class GPT2MLP: Module, LoRAHost {
    public let cFc: Conv1D, cProj: Conv1D
    let approximation: GELUApproximation
    var adapters: [String: LoRAAdapter] = [:]
    var projections: [(name: String, weight: Parameter, inputOutput: Bool)] {
        [("c_fc", cFc.weight, true), ("c_proj", cProj.weight, true)]
    }

    init(_ c: GPT2Configuration, _ w: inout WeightInitializer) {
        cFc = w.conv1D(input: c.hiddenSize, output: c.intermediateSize)
        cProj = w.conv1D(input: c.intermediateSize, output: c.hiddenSize, standardDeviation: c.residualStandardDeviation)
        approximation = c.activation == .gelu ? .none : .tanh
    }

    public var children: [(name: String, module: any Module)] { [("c_fc", cFc), ("c_proj", cProj)] + adapterChildren }

    func callAsFunction(_ x: Variable) -> Variable {
        let h = adapted("c_fc", cFc(x), x).gelu(approximation: approximation)
        return adapted("c_proj", cProj(h), h)
    }
}

/// One pre-norm GPT-2 block.
public final class GPT2Block: Module {
    public let ln1: LayerNorm, attention: GPT2Attention, ln2: LayerNorm, mlp: GPT2MLP

    init(_ c: GPT2Configuration, _ w: inout WeightInitializer) {
        ln1 = LayerNorm(dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
        attention = GPT2Attention(c, &w)
        ln2 = LayerNorm(dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
        mlp = GPT2MLP(c, &w)
    }

    public var children: [(name: String, module: any Module)] {
        [("ln_1", ln1), ("attn", attention), ("ln_2", ln2), ("mlp", mlp)]
    }

    func callAsFunction(_ x: Variable, batch: TokenBatch) -> Variable {
        let h = x + attention(ln1(x), batch: batch)
        return h + mlp(ln2(h))
    }
}

/// The GPT-2 stack without the head (Hugging Face `GPT2Model`).
public final class GPT2Model: Module {
    public let wte: Embedding, wpe: Embedding
    public let h: ModuleList<GPT2Block>
    public let lnF: LayerNorm

    init(_ c: GPT2Configuration, _ w: inout WeightInitializer) {
        wte = Embedding(weight: w.normal([c.vocabularySize, c.hiddenSize], standardDeviation: 0.02))
        wpe = Embedding(weight: w.normal([c.maxPositions, c.hiddenSize], standardDeviation: 0.01))
        h = ModuleList((0..<c.layerCount).map { _ in GPT2Block(c, &w) })
        lnF = LayerNorm(dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
    }

    public var children: [(name: String, module: any Module)] {
        [("wte", wte), ("wpe", wpe), ("h", h), ("ln_f", lnF)]
    }
}

/// GPT-2 with its language-modelling head (Hugging Face `GPT2LMHeadModel`).
public final class GPT2LMHeadModel: CausalLanguageModel {
    public let gpt2: GPT2Configuration
    public let transformer: GPT2Model
    /// The output head, or `nil` when tied to `transformer.wte` (GPT-2's default).
    public let lmHead: Linear?
    /// Recompute each block in the backward pass instead of keeping its activations (default
    /// `false`); see ``CausalLanguageModel/gradientCheckpointing``.
    public var gradientCheckpointing = false

    /// A model initialised as Hugging Face's GPT-2: `N(0, 0.02²)` (positions 0.01), the
    /// residual projections (`c_proj`) `N(0, (0.02/√(2·layers))²)`, biases 0, LayerNorms 1/0;
    /// drawn from `g` in parameter order.
    public convenience init(_ c: GPT2Configuration, using g: inout SeededGenerator) {
        var w = WeightInitializer(generator: g)
        self.init(c, &w)
        g = w.generator!
    }

    init(_ c: GPT2Configuration, _ w: inout WeightInitializer) {
        gpt2 = c
        transformer = GPT2Model(c, &w)
        lmHead = c.tieWordEmbeddings ? nil : w.linear(input: c.hiddenSize, output: c.vocabularySize, bias: false)
    }

    public var children: [(name: String, module: any Module)] {
        [("transformer", transformer)] + (lmHead.map { [("lm_head", $0)] } ?? [])
    }

    public var configuration: ModelConfiguration { .gpt2(gpt2) }

    public func hiddenStates(_ batch: TokenBatch) -> Variable {
        checkPositions(batch, limit: gpt2.maxPositions)
        let (b, t) = (batch.batchSize, batch.length)
        let positions = batch.resolvedPositions
        let positionIDs = positions.count == t ? Array((0..<b).map { _ in positions }.joined()) : positions
        var x = transformer.wte(batch.ids, shape: [b, t]) + transformer.wpe(positionIDs, shape: [b, t])
        for block in transformer.h {
            x = gradientCheckpointing ? checkpointed(x) { block($0, batch: batch) } : block(x, batch: batch)
        }
        return transformer.lnF(x)
    }

    public func logits(hidden: Variable) -> Variable {
        linear(hidden, weight: (lmHead?.weight ?? transformer.wte.weight).variable)
    }

    /// `lm_head.weight`, or the tied `transformer.wte.weight`; no bias.
    public var linearOutputHead: (weight: Parameter, bias: Parameter?)? { (lmHead?.weight ?? transformer.wte.weight, nil) }

    public var inferenceWeights: InferenceWeights {
        let c = gpt2
        let blocks = transformer.h.map { block in
            let (a, m) = (block.attention, block.mlp)
            return InferenceWeights.Block(
                attentionNorm: .init(weight: block.ln1.weight.value, bias: block.ln1.bias?.value),
                queryKeyValue: [.init(conv: a.cAttn, adapter: a.adapters["c_attn"])],
                attentionOutput: .init(conv: a.cProj, adapter: a.adapters["c_proj"]),
                mlpNorm: .init(weight: block.ln2.weight.value, bias: block.ln2.bias?.value),
                mlp: .gelu(up: .init(conv: m.cFc, adapter: m.adapters["c_fc"]), down: .init(conv: m.cProj, adapter: m.adapters["c_proj"]),
                           approximation: c.activation == .gelu ? .none : .tanh))
        }
        return InferenceWeights(
            hiddenSize: c.hiddenSize, headCount: c.headCount, keyValueHeadCount: c.headCount,
            headSize: c.headSize, maxPositions: c.maxPositions, normEpsilon: c.layerNormEpsilon, centeredNorm: true,
            tokenEmbedding: transformer.wte.weight.value, positionEmbedding: transformer.wpe.weight.value, rotary: nil,
            blocks: blocks, finalNorm: .init(weight: transformer.lnF.weight.value, bias: transformer.lnF.bias?.value),
            outputHead: .init(weight: (lmHead?.weight ?? transformer.wte.weight).value, bias: nil, layout: .outputInput))
    }
}


