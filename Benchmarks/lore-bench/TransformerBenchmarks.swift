import Assets
import CMallocCounter
import COpenBLAS
import Foundation
import Tensor
import Transformer

/// `lore-bench transformer`: inference with the KV cache (``InferenceSession``).
///
/// The model is SmolLM2-135M-Instruct from the asset cache (its Q4_1/Q8_0 weights dequantized
/// to Float32 at load), or a randomly initialised model of the same shape when the asset is
/// absent (the speed does not depend on the values).
///
/// - `decode_smollm2`: tokens/s of greedy decoding, batch 1, 128 new tokens after a 16-token
///   prompt. Ratio: Lore ÷ the memory-bandwidth bound, which is (bytes of Float32 weights read
///   per token: every block matrix, the norms and the tied output head) ÷ (read bandwidth of a
///   parallel streaming sum over a buffer of that size, measured in the same run, interleaved).
/// - `prefill_smollm2_512`: tokens/s of a 512-token prefill. Ratio: the raw `cblas_sgemm`
///   (OpenBLAS's own threading, `withThreadedOpenBLAS`)
///   products of the 30 blocks' projections (q, k, v, o, gate, up, down on 512 rows) ÷
///   Lore's whole prefill (attention, norms and activations included).
/// - `decode_allocations`: heap allocations per decoded token in steady state, counted by
///   interposing `malloc` (CMallocCounter) around 100 decoding steps. Goal 0.
/// - `train_tiny`, `train_small` (+ `_peak_mb`): GPT-2 training tokens/s; see
///   ``TrainingBenchmarks`` (`--peers` runs PyTorch in the same run for the ratio).
/// - `decode_gpt2_small`: tokens/s of greedy decoding with a 6-layer, width-384 GPT-2
///   (vocabulary 8,192, 256 positions), 128 new tokens. Ratio: Lore ÷ 105 tokens/s, what
///   PyTorch generated with such a model on this machine (issue 5's figure; not same-run).
enum TransformerBenchmarks {
    static func run(_ arguments: [String] = []) {
        FileHandle.standardError.write(Data(
            "# lore-bench transformer: Lore threads \(Threads.count), OpenBLAS threads \(Threads.blasCount)\n".utf8))
        let model = smolLM2()
        let session = InferenceSession(model: model, capacity: 1024)
        decode(session)
        prefill(session)
        allocations(session)
        gpt2Small()
        TrainingBenchmarks.run(peers: arguments.contains("--peers"))
        CPTBenchmarks.run(model)
    }

    static func smolLM2() -> any CausalLanguageModel {
        let cache = AssetCache()
        if cache.contains(.smolLM2GGUF), let loaded = try? PretrainedModel.load(from: cache.url(of: .smolLM2GGUF).path) {
            FileHandle.standardError.write(Data("# model: \(loaded.path) (dequantized to Float32)\n".utf8))
            return loaded.model
        }
        FileHandle.standardError.write(Data("# model: random weights of SmolLM2-135M's shape (asset absent)\n".utf8))
        var g = SeededGenerator(seed: 1)
        return LlamaForCausalLM(.smolLM2_135M, using: &g)
    }

    static let prompt: [Int32] = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411]

    /// Greedy decoding of `count` tokens after `prompt`, from an empty cache.
    static func greedy(_ session: InferenceSession, count: Int, logits: inout Tensor) {
        session.reset()
        var next = argmax(session.prefill(prompt.map { $0 % Int32(session.weights.vocabularySize) }))
        for _ in 0..<count {
            session.decode(next, into: &logits)
            next = argmax(logits)
        }
    }

    static func argmax(_ t: Tensor) -> Int32 {
        t.withUnsafeBufferPointer { p in
            var best = 0
            for i in 1..<p.count where p[i] > p[best] { best = i }
            return Int32(best)
        }
    }

    /// Float32 bytes read per decoded token: every matrix and norm of the blocks, the final
    /// norm and the output head (the embedding row lookup is negligible).
    static func bytesPerToken(_ w: InferenceWeights) -> Int {
        var floats = w.finalNorm.weight.count + w.outputHead.weight.count
        for block in w.blocks {
            floats += block.attentionNorm.weight.count + block.mlpNorm.weight.count
            floats += block.queryKeyValue.reduce(0) { $0 + $1.weight.count } + block.attentionOutput.weight.count
            switch block.mlp {
            case .swiglu(let gate, let up, let down): floats += gate.weight.count + up.weight.count + down.weight.count
            case .gelu(let up, let down, _): floats += up.weight.count + down.weight.count
            }
        }
        return floats * 4
    }

    static func decode(_ session: InferenceSession) {
        let tokens = 128
        let bytes = bytesPerToken(session.weights)
        let stream = Tensor(shape: [bytes / 4], repeating: 1)
        var logits = Tensor.zeros([1])
        greedy(session, count: 8, logits: &logits)  // warm-up
        var rates: [Double] = [], bounds: [Double] = [], ratios: [Double] = []
        for _ in 0..<3 {
            let start = Measure.now()
            greedy(session, count: tokens, logits: &logits)
            let rate = Double(tokens) / (Measure.now() - start)   // prompt prefill included (16 tokens, one pass)
            let readSeconds = Measure.time(repetitions: 3) { _ = stream.sum() }
            let bound = 1 / readSeconds
            rates.append(rate); bounds.append(bound); ratios.append(rate / bound)
        }
        FileHandle.standardError.write(Data(String(format: "# weights read per token %.1f MB; streaming read %.1f GB/s → bound %.1f tokens/s\n",
                                                   Double(bytes) / 1e6, Double(bytes) * Measure.median(bounds) / 1e9,
                                                   Measure.median(bounds)).utf8))
        Measure.report("decode_smollm2", Measure.median(rates), "tokens/s", ratio: Measure.median(ratios))
    }

    static func prefill(_ session: InferenceSession) {
        let n = 512
        let ids = (0..<n).map { Int32(($0 * 7919) % 49_000 + 100) }
        let w = session.weights
        // Raw products of the blocks' projections on n rows.
        var shapes: [(k: Int, n: Int)] = []
        for block in w.blocks {
            for p in block.queryKeyValue + [block.attentionOutput] { shapes.append((p.inputSize, p.outputSize)) }
            switch block.mlp {
            case .swiglu(let gate, let up, let down): shapes += [(gate.inputSize, gate.outputSize), (up.inputSize, up.outputSize), (down.inputSize, down.outputSize)]
            case .gelu(let up, let down, _): shapes += [(up.inputSize, up.outputSize), (down.inputSize, down.outputSize)]
            }
        }
        let widest = shapes.map { max($0.k, $0.n) }.max()!
        let a = [Float](repeating: 0.01, count: n * widest), b = [Float](repeating: 0.01, count: widest * widest)
        var c = [Float](repeating: 0, count: n * widest)
        var logits = Tensor.zeros([1])
        let r = Measure.compare(rounds: 5, target: 0.5, measured: {
            session.reset()
            session.run([(0, ids)], logits: &logits)
        }, ceiling: { withThreadedOpenBLAS {
            for (k, m) in shapes {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(m), Int32(k), 1, a, Int32(k), b, Int32(k), 0, &c, Int32(m))
            }
        } })
        Measure.report("prefill_smollm2_512", Double(n) / r.measured, "tokens/s", ratio: r.ratio)
    }

    static func allocations(_ session: InferenceSession) {
        var logits = Tensor.zeros([1])
        session.reset()
        var next = argmax(session.prefill(prompt))
        for _ in 0..<10 { session.decode(next, into: &logits); next = argmax(logits) }   // steady state
        let steps = 100
        let before = lore_allocation_count()
        for _ in 0..<steps { session.decode(next, into: &logits); next = argmax(logits) }
        let count = lore_allocation_count() - before
        Measure.report("decode_allocations", Double(count) / Double(steps), "allocations/token", ratio: Double(count) / Double(steps))
    }

    static func gpt2Small() {
        var g = SeededGenerator(seed: 2)
        let model = GPT2LMHeadModel(GPT2Configuration(vocabularySize: 8192, maxPositions: 256, hiddenSize: 384, layerCount: 6, headCount: 6), using: &g)
        let session = InferenceSession(model: model, capacity: 256)
        var logits = Tensor.zeros([1])
        let tokens = 128
        greedy(session, count: 8, logits: &logits)
        var rates: [Double] = []
        for _ in 0..<5 {
            let start = Measure.now()
            greedy(session, count: tokens, logits: &logits)
            rates.append(Double(tokens) / (Measure.now() - start))
        }
        Measure.report("decode_gpt2_small", Measure.median(rates), "tokens/s", ratio: Measure.median(rates) / 105)
    }
}
