import Autograd
import Foundation
import Tensor
import Transformer

/// `lore-bench checkpointing`: one training step (forward + backward) of a long-sequence model
/// with and without `gradientCheckpointing` — the rise of peak resident memory over the
/// resident size before the step (Lore's buffer cache emptied and `malloc_trim` called first, so
/// memory freed by the previous step does not hide this one's peak) and the step time. Models: GPT-2 and Llama, vocabulary 512, width 256,
/// 6 layers, 4 heads (Llama: 2 kv heads, MLP 688), batch 2 × 1,024 tokens.
///
/// Lines: `<family>_peak_mb_off`, `<family>_peak_mb_on` (ratio on ÷ off), `<family>_step_s_off`,
/// `<family>_step_s_on` (ratio on ÷ off: the recomputation's cost). The two settings alternate
/// for three rounds; each figure is the median.
enum CheckpointingBenchmarks {
    static let (batch, length, vocabulary) = (2, 1024, 512)

    static func run() {
        var g = SeededGenerator(seed: 0)
        let gpt2 = GPT2LMHeadModel(GPT2Configuration(vocabularySize: vocabulary, maxPositions: length, hiddenSize: 256,
                                                     layerCount: 6, headCount: 4), using: &g)
        let llama = LlamaForCausalLM(LlamaConfiguration(vocabularySize: vocabulary, hiddenSize: 256, intermediateSize: 688,
                                                        layerCount: 6, headCount: 4, keyValueHeadCount: 2, maxPositions: length,
                                                        rmsNormEpsilon: 1e-5, ropeTheta: 10_000, tieWordEmbeddings: true,
                                                        bosTokenID: 1, eosTokenIDs: [2]), using: &g)
        let ids = (0..<(batch * length)).map { _ in Int32(g.next() % UInt64(vocabulary)) }
        let tokens = TokenBatch(ids: ids, batchSize: batch, length: length)
        for (name, model) in [("gpt2", gpt2 as any CausalLanguageModel), ("llama", llama)] {
            var peak: [Bool: [Double]] = [:], seconds: [Bool: [Double]] = [:]
            model.gradientCheckpointing = false
            _ = step(model, tokens)  // warm-up
            for _ in 0..<3 {
                for on in [false, true] {
                    model.gradientCheckpointing = on
                    let (mb, s) = step(model, tokens)
                    peak[on, default: []].append(mb)
                    seconds[on, default: []].append(s)
                }
            }
            let (p0, p1) = (Measure.median(peak[false]!), Measure.median(peak[true]!))
            let (s0, s1) = (Measure.median(seconds[false]!), Measure.median(seconds[true]!))
            Measure.report("\(name)_peak_mb_off", p0, "MB", ratio: 1)
            Measure.report("\(name)_peak_mb_on", p1, "MB", ratio: p1 / p0)
            Measure.report("\(name)_step_s_off", s0, "s", ratio: 1)
            Measure.report("\(name)_step_s_on", s1, "s", ratio: s1 / s0)
        }
    }

    /// One forward + backward: the peak rise in MB and the seconds taken.
    static func step(_ model: any CausalLanguageModel, _ tokens: TokenBatch) -> (Double, Double) {
        model.zeroGradients()
        Tensor.releaseCachedMemory()
        trimHeap()  // hand freed heap pages back, or the last step's memory hides the next peak
        PeakMemory.reset()
        let before = PeakMemory.read().resident
        let start = Measure.now()
        _ = valueAndGradient {
            crossEntropy(logits: model(tokens).reshaped([batch * length, vocabulary]), targets: tokens.ids)
        }
        let seconds = Measure.now() - start
        return (Double(PeakMemory.read().peak - before) / 1e6, seconds)
    }

    /// glibc's `malloc_trim(0)` (not in Swift's Glibc module; looked up at run time): returns
    /// the free pages of malloc's heaps to the system. Nothing where it does not exist.
    static func trimHeap() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }
}
