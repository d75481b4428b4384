import Foundation
import Testing
import Autograd
import Tensor
import Transformer
import _TestSupport

/// `gradientCheckpointing` on the two model families: the same losses and gradients, bit for bit.
@Suite("Gradient checkpointing in models", .serialized)
struct GradientCheckpointingTests {
    enum Family: String, CaseIterable, CustomTestStringConvertible {
        case gpt2, llama
        var testDescription: String { rawValue }

        func model(layers: Int = 3) -> any CausalLanguageModel {
            var g = SeededGenerator(seed: 11)
            switch self {
            case .gpt2:
                var c = GPT2Configuration.tiny
                c.layerCount = layers
                return GPT2LMHeadModel(c, using: &g)
            case .llama:
                var c = LlamaConfiguration.tiny
                c.layerCount = layers
                return LlamaForCausalLM(c, using: &g)
            }
        }
    }

    /// Two packed rows of 24 tokens (the second holds two documents).
    static let batch: TokenBatch = {
        var g = SeededGenerator(seed: 12)
        let ids = (0..<48).map { _ in Int32(g.next() % 120) }
        let segments = (0..<48).map { Int32($0 < 24 ? 0 : ($0 < 34 ? 1 : 2)) }
        return TokenBatch(ids: ids, batchSize: 2, length: 24, segmentIDs: segments)
    }()
    static let targets: [Int32] = (0..<48).map { Int32(($0 * 7 + 3) % 128) }

    /// The losses of `steps` backward passes and the trainable gradients after them.
    static func gradients(_ model: any CausalLanguageModel, steps: Int = 1) -> (losses: [Tensor], gradients: [String: Tensor]) {
        var losses: [Tensor] = []
        for _ in 0..<steps {
            losses.append(valueAndGradient { crossEntropy(logits: model(batch), targets: targets) })
        }
        var result: [String: Tensor] = [:]
        for (name, p) in model.trainableParameters() { result[name] = p.gradient }
        return (losses, result)
    }

    @Test(arguments: Family.allCases)
    func fullTrainingGradientsAreUnchanged(_ family: Family) {
        withThreadCount(1) {
            let plain = family.model(), checkpointing = family.model()
            checkpointing.gradientCheckpointing = true
            let a = Self.gradients(plain), b = Self.gradients(checkpointing)
            #expect(b.losses == a.losses)
            #expect(a.gradients.count == plain.trainableParameters().count)
            #expect(b.gradients == a.gradients)
        }
    }

    @Test(arguments: Family.allCases)
    func loraGradientsWithDropoutAreUnchanged(_ family: Family) {
        withThreadCount(1) {
            let lora = LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.2, targetModules: ["all-linear"])
            func adapted() -> any CausalLanguageModel {
                let model = family.model()
                var g = SeededGenerator(seed: 13)
                model.addLoRA(lora, using: &g)
                // B = 0 would hide A's gradient and the dropout masks behind zeros.
                for (_, adapter) in model.loraAdapters {
                    adapter.loraB.weight.value = Tensor.randomNormal(adapter.loraB.weight.shape, standardDeviation: 0.05, using: &g)
                }
                return model
            }
            let plain = adapted(), checkpointing = adapted()
            checkpointing.gradientCheckpointing = true
            let a = Self.gradients(plain, steps: 2), b = Self.gradients(checkpointing, steps: 2)
            #expect(a.losses[0] != a.losses[1], "dropout draws new masks each step")
            #expect(b.losses == a.losses)
            #expect(a.gradients.keys.allSatisfy { $0.contains(".lora_") })
            #expect(b.gradients == a.gradients)
            let generators = { (m: any CausalLanguageModel) in m.loraAdapters.map { $0.adapter.dropout!.generator } }
            #expect(generators(checkpointing) == generators(plain))
        }
    }

    @Test(arguments: Family.allCases)
    func inferenceIsUnaffected(_ family: Family) {
        let model = family.model()
        let plain = withoutGradient { model(Self.batch).value }
        model.gradientCheckpointing = true
        #expect(withoutGradient { model(Self.batch).value } == plain)
    }

    @Test func defaultIsOff() {
        #expect(!Family.gpt2.model().gradientCheckpointing)
        #expect(!Family.llama.model().gradientCheckpointing)
    }
}
