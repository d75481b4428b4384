import Autograd
import Testing
import Tensor
@testable import Transformer
import _TestSupport

/// `model.loss(batch, targets:)` (fused head + cross-entropy) against
/// `crossEntropy(logits: model(batch), …)`: same loss, same gradient in every parameter.
@Suite struct ModelLossTests {
    static let cases = ["gpt2-tied", "gpt2-untied", "llama-tied", "llama-untied"]

    static func model(_ name: String) -> any CausalLanguageModel {
        var g = SeededGenerator(seed: 21)
        let tied = name.hasSuffix("-tied")
        if name.hasPrefix("gpt2") {
            var c = GPT2Configuration.tiny
            c.tieWordEmbeddings = tied
            return GPT2LMHeadModel(c, using: &g)
        }
        var c = LlamaConfiguration.tiny
        c.tieWordEmbeddings = tied
        return LlamaForCausalLM(c, using: &g)
    }

    /// Two right-padded sequences (lengths 9 and 6) and their shifted targets, padding ignored.
    static func batch(vocabulary: Int) -> (TokenBatch, [Int32]) {
        let sequences: [[Int32]] = [(0..<9).map { Int32(($0 * 37 + 5) % vocabulary) }, (0..<6).map { Int32(($0 * 11 + 90) % vocabulary) }]
        let batch = TokenBatch(padding: sequences)
        var targets: [Int32] = []
        for s in sequences {
            targets += Array(s.dropFirst()) + [Int32](repeating: -100, count: batch.length - s.count + 1)
        }
        return (batch, targets)
    }

    /// The loss and every parameter's gradient (by name; zeros where none arrived).
    static func lossAndGradients(
        _ model: any CausalLanguageModel, _ body: () -> Variable
    ) -> (loss: Float, gradients: [(String, Tensor)]) {
        model.zeroGradients()
        let loss = valueAndGradient(body).scalar
        let gradients = model.namedParameters().map { ($0.name, $0.parameter.gradient ?? Tensor.zeros($0.parameter.shape)) }
        model.zeroGradients()
        return (loss, gradients)
    }

    static func expectSame(
        _ a: (loss: Float, gradients: [(String, Tensor)]), _ b: (loss: Float, gradients: [(String, Tensor)]), _ label: String
    ) {
        assertClose([a.loss], [b.loss], rtol: 1e-5, atol: 0, label + " loss")
        #expect(a.gradients.map(\.0) == b.gradients.map(\.0))
        for ((name, x), (_, y)) in zip(a.gradients, b.gradients) {
            assertClose(x, y, rtol: 1e-4, atol: 1e-6, "\(label) \(name)")
        }
    }

    @Test(arguments: cases)
    func fusedLossEqualsCrossEntropyOfTheLogits(_ name: String) {
        let model = Self.model(name)
        let head = model.linearOutputHead
        #expect(head != nil && head?.bias == nil)
        // A tied head is the embedding parameter itself, so both uses add into one gradient.
        let names = model.namedParameters()
        let embedding = names.first { $0.name.hasSuffix("wte.weight") || $0.name.hasSuffix("embed_tokens.weight") }!.parameter
        #expect((head!.weight === embedding) == name.hasSuffix("-tied"))
        #expect(names.contains { $0.name == "lm_head.weight" } == name.hasSuffix("-untied"))
        let (batch, targets) = Self.batch(vocabulary: model.configuration.vocabularySize)
        for reduction in [LossReduction.mean, .sum] {
            for smoothing: Float in [0, 0.1] {
                let fused = Self.lossAndGradients(model) {
                    model.loss(batch, targets: targets, labelSmoothing: smoothing, reduction: reduction)
                }
                let plain = Self.lossAndGradients(model) {
                    crossEntropy(logits: model(batch), targets: targets, labelSmoothing: smoothing, reduction: reduction)
                }
                Self.expectSame(fused, plain, "\(name) \(reduction) ε \(smoothing)")
            }
        }
        // Per-position losses (the logits path) and evaluation without a tape.
        let rows = model.loss(batch, targets: targets, reduction: .none)
        #expect(rows.shape == [batch.batchSize, batch.length])
        assertClose(rows.value, crossEntropy(logits: model(batch), targets: targets, reduction: .none).value)
        let evaluated = withoutGradient { model.loss(batch, targets: targets, reduction: .sum) }
        assertClose(evaluated.value, crossEntropy(logits: model(batch), targets: targets, reduction: .sum).value, rtol: 1e-5, atol: 0)
    }

    @Test(arguments: ["gpt2-tied", "llama-untied"])
    func loraOnTheBlocksKeepsTheFusedHeadExact(_ name: String) {
        // LoRA freezes the head: the fused pass computes no head gradient, only dH for the adapters.
        let model = Self.model(name)
        var g = SeededGenerator(seed: 4)
        model.addLoRA(LoRAConfiguration(rank: 4, alpha: 8, targetModules: ["all-linear"]), using: &g)
        for (_, adapter) in model.loraAdapters {
            adapter.loraB.weight.value = Tensor.randomNormal(adapter.loraB.weight.shape, standardDeviation: 0.05, using: &g)
        }
        let (batch, targets) = Self.batch(vocabulary: model.configuration.vocabularySize)
        let fused = Self.lossAndGradients(model) { model.loss(batch, targets: targets, reduction: .sum) }
        let plain = Self.lossAndGradients(model) { crossEntropy(logits: model(batch), targets: targets, reduction: .sum) }
        #expect(model.linearOutputHead?.weight.requiresGradient == false)
        Self.expectSame(fused, plain, name + " LoRA")
    }

    @Test func aHeadWithAnAdapterFallsBackToTheLogits() {
        // A model whose head carries a LoRA adapter is not a plain linear map: no fusion.
        let model = HeadAdaptedModel(base: Self.model("gpt2-tied") as! GPT2LMHeadModel)
        #expect(model.linearOutputHead == nil)
        let (batch, targets) = Self.batch(vocabulary: model.configuration.vocabularySize)
        let viaLoss = Self.lossAndGradients(model) { model.loss(batch, targets: targets) }
        let viaLogits = Self.lossAndGradients(model) { crossEntropy(logits: model(batch), targets: targets) }
        // The same path: bitwise equal, and the adapter changes the loss from the base model's.
        #expect(viaLoss.loss == viaLogits.loss)
        #expect(viaLoss.gradients.map(\.1) == viaLogits.gradients.map(\.1))
        let baseLoss = withoutGradient { model.base.loss(batch, targets: targets) }.value.scalar
        #expect(baseLoss != viaLoss.loss)
    }
}

/// GPT-2 with a LoRA adapter on its (tied) output head: `logits = h·Wᵀ + scale·h·Aᵀ·Bᵀ`.
private final class HeadAdaptedModel: CausalLanguageModel {
    let base: GPT2LMHeadModel
    let adapter: LoRAAdapter

    init(base: GPT2LMHeadModel) {
        self.base = base
        var g = SeededGenerator(seed: 5)
        let c = base.configuration
        adapter = LoRAAdapter(inputSize: 64, outputSize: c.vocabularySize,
                              configuration: LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["lm_head"]), using: &g)
        adapter.loraB.weight.value = Tensor.randomNormal(adapter.loraB.weight.shape, standardDeviation: 0.1, using: &g)
    }

    var children: [(name: String, module: any Module)] { [("base", base), ("lm_head_adapter", adapter)] }
    var configuration: ModelConfiguration { base.configuration }
    func hiddenStates(_ batch: TokenBatch) -> Variable { base.hiddenStates(batch) }
    func logits(hidden: Variable) -> Variable { base.logits(hidden: hidden) + adapter.delta(hidden) }
    var inferenceWeights: InferenceWeights { base.inferenceWeights }
    var gradientCheckpointing: Bool {
        get { base.gradientCheckpointing }
        set { base.gradientCheckpointing = newValue }
    }
}
