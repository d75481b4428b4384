import Autograd
import Foundation
import Tensor
import Transformer

/// `lore-bench transformer` training lines: GPT-2 training throughput (forward + backward +
/// AdamW, tokens/s) on issue 7's configs — `train_tiny` (vocabulary 512, width 128, 4 layers,
/// 4 heads, context 128, batch 16) and `train_small` (8,192, 384, 6, 6, 256, 8) — with the rise
/// of peak resident memory during the measured steps (0 when buffers recycled from earlier
/// benchmarks in the process suffice). Ratio: Lore ÷ PyTorch CPU (2 threads) on the same configs, measured
/// in the same run by `Scripts/bench_transformer_peers.py` when `--peers` is given (it needs
/// python3 and installs torch into a venv); otherwise `nan`.
enum TrainingBenchmarks {
    struct Shape { let name: String, vocabulary: Int, width: Int, layers: Int, heads: Int, context: Int, batch: Int }

    static let shapes = [
        Shape(name: "train_tiny", vocabulary: 512, width: 128, layers: 4, heads: 4, context: 128, batch: 16),
        Shape(name: "train_small", vocabulary: 8192, width: 384, layers: 6, heads: 6, context: 256, batch: 8),
    ]

    /// Measures every shape, or those named in `only` when it is not empty.
    /// With `profile`, each shape's measured steps also print ``profileOperations(_:)``'s table
    /// (per step) on stderr.
    static func run(peers: Bool, only: Set<String> = [], profile: Bool = false) {
        let reference = peers ? runPeers() : nil
        for shape in shapes where only.isEmpty || only.contains(shape.name) {
            let (rate, peak) = measure(shape, profile: profile)
            let peer = reference?[shape.name]
            Measure.report(shape.name, rate, "tokens/s", ratio: peer.map { rate / $0.rate } ?? .nan)
            // PyTorch's figure is its whole process (printed on stderr), not comparable: no ratio.
            Measure.report(shape.name + "_peak_mb", peak, "MB", ratio: .nan)
        }
    }

    /// Tokens per second of full training steps (after one warm-up step) and the peak rise in MB.
    static func measure(_ s: Shape, profile: Bool = false) -> (Double, Double) {
        var g = SeededGenerator(seed: 0)
        let model = GPT2LMHeadModel(GPT2Configuration(vocabularySize: s.vocabulary, maxPositions: s.context, hiddenSize: s.width,
                                                      layerCount: s.layers, headCount: s.heads), using: &g)
        let ids = (0..<(s.batch * s.context)).map { _ in Int32(g.next() % UInt64(s.vocabulary)) }
        let batch = TokenBatch(ids: ids, batchSize: s.batch, length: s.context)
        let targets = ids   // shifted targets cost the same; the benchmark measures the step
        var optimizer = AdamW(learningRate: 1e-4)   // PyTorch's defaults otherwise, as the peer script
        func step() {
            _ = valueAndGradient {
                model.loss(batch, targets: targets)
            }
            optimizer.step(model)
            model.zeroGradients()
        }
        step()
        Tensor.releaseCachedMemory()
        PeakMemory.reset()
        let before = PeakMemory.read().resident
        let steps = s.name == "train_tiny" ? 10 : 4
        let start = Measure.now()
        if profile {
            let (_, report) = profileOperations { for _ in 0..<steps { step() } }
            FileHandle.standardError.write(Data("# \(s.name): per step\n\(report.table(perCall: steps))\n".utf8))
        } else {
            for _ in 0..<steps { step() }
        }
        let seconds = (Measure.now() - start) / Double(steps)
        return (Double(s.batch * s.context) / seconds, Double(PeakMemory.read().peak - before) / 1e6)
    }

    static func runPeers() -> [String: (rate: Double, peak: Double)]? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/bench_transformer_peers.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        FileHandle.standardError.write(Data("# running PyTorch on the same configs (Scripts/bench_transformer_peers.py)\n".utf8))
        do { try process.run() } catch {
            FileHandle.standardError.write(Data("# cannot start python3: \(error.localizedDescription); Lore's figures alone\n".utf8))
            return nil
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: Double]] else {
            FileHandle.standardError.write(Data("# the PyTorch script failed; Lore's figures alone\n".utf8))
            return nil
        }
        var result: [String: (rate: Double, peak: Double)] = [:]
        for (name, entry) in object {
            if let rate = entry["tokens_per_second"], let peak = entry["peak_mb"] {
                result[name] = (rate, peak)
                FileHandle.standardError.write(Data("# PyTorch \(name): \(String(format: "%.0f", rate)) tokens/s, peak \(String(format: "%.0f", peak)) MB (whole process)\n".utf8))
            }
        }
        return result
    }
}
