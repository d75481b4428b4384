import Autograd
import Foundation
import Tensor
import Transformer

/// `lore-bench transformer` continued-pretraining lines on SmolLM2-135M (issue 8/7): one
/// optimizer update as ``Alignment/Trainer`` runs it — forward of 4 sequences of 512 tokens,
/// cross-entropy summed over the targets and divided by their count, backward, global-norm
/// clipping to 1, AdamW — in tokens/s (after one warm-up update, mean of 2), and the process's
/// peak resident memory during the measured updates (high-water mark reset first; it includes
/// the Float32 weights, gradients and AdamW moments).
///
/// - `cpt_smollm2_full`: every parameter trains (AdamW state for all 134.5M).
/// - `cpt_smollm2_lora`: PEFT-default LoRA (rank 8, alpha 16, q_proj + v_proj), base frozen.
///
/// No peer runs SmolLM2 training in the same run: ratio `nan`.
enum CPTBenchmarks {
    static let batch = 4, length = 512

    static func run(_ model: any CausalLanguageModel) {
        // LoRA first: its adapters are then merged away and removed, leaving the base as it was.
        let lora = measure(model, lora: LoRAConfiguration(rank: 8, alpha: 16, targetModules: ["q_proj", "v_proj"]))
        Measure.report("cpt_smollm2_lora", lora.rate, "tokens/s", ratio: .nan)
        Measure.report("cpt_smollm2_lora_peak_mb", lora.peak, "MB", ratio: .nan)
        let full = measure(model, lora: nil)
        Measure.report("cpt_smollm2_full", full.rate, "tokens/s", ratio: .nan)
        Measure.report("cpt_smollm2_full_peak_mb", full.peak, "MB", ratio: .nan)
    }

    static func measure(_ model: any CausalLanguageModel, lora: LoRAConfiguration?) -> (rate: Double, peak: Double) {
        var g = SeededGenerator(seed: 3)
        if let lora { model.addLoRA(lora, using: &g) }
        defer {
            if lora != nil {
                model.removeLoRA()
            }
        }
        let vocabulary = model.configuration.vocabularySize
        let ids = (0..<(batch * length)).map { _ in Int32(g.next() % UInt64(vocabulary)) }
        let input = TokenBatch(ids: ids, batchSize: batch, length: length)
        var targets = Array(ids.dropFirst()) + [-100]
        for b in 1...batch { targets[b * length - 1] = -100 }
        let count = Float(targetCount(targets))
        let trainable = model.trainableParameters()
        var optimizer = AdamW(learningRate: 1e-5, weightDecay: 0)
        func step() {
            _ = valueAndGradient { model.loss(input, targets: targets, reduction: .sum) / count }
            clipGradientNorm(trainable, maxNorm: 1)
            optimizer.step(trainable)
            model.zeroGradients()
        }
        step()
        PeakMemory.reset()
        let steps = 2
        let start = Measure.now()
        for _ in 0..<steps { step() }
        let seconds = (Measure.now() - start) / Double(steps)
        return (Double(batch * length) / seconds, Double(PeakMemory.read().peak) / 1e6)
    }
}
