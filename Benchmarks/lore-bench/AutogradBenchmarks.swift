import Autograd
import COpenBLAS
import Foundation
import Tensor

/// `lore-bench autograd`: forward + backward of Autograd's fused ops at realistic sizes.
///
/// - `attention_fwd_bwd`: causal GQA attention, B 8, 9 query heads, 3 KV heads, T 512, Dh 64,
///   gradients to Q, K and V. Value: ms per forward+backward. Ratio: time of the 7
///   `[T, Dh]×[Dh, T]`-sized products per head that forward + backward need at minimum
///   (QKᵀ, P·V; then P recomputed, dV, dP, dQ, dK), run as raw `cblas_sgemm` with OpenBLAS's
///   own threading (`withThreadedOpenBLAS`), ÷ Lore's time (which skips the blocks above the
///   causal diagonal, so it can exceed 1).
/// - `attention_token_major_fwd_bwd`: the same attention on token-major rows `[B, T, H·Dh]`
///   (the layout the q/k/v projections produce; output `[B, T, Hq·Dh]`). Ratio: the head-major
///   call plus the transposes `[B, T, H, Dh] ↔ [B, H, T, Dh]` it replaces (forward and
///   backward) ÷ the token-major call.
/// - `attention_segments_fwd_bwd`: the same call with document segment ids (packed
///   pretraining: each row holds documents of 1–200 tokens). Ratio: the unsegmented call's time
///   ÷ the segmented one's (1 = segments cost nothing).
/// - `cross_entropy_fwd_bwd`: 4,096 tokens (8 × 512) × vocabulary 49,152, mean loss and the
///   gradient of the logits. Ratio: one `memcpy` of the 805 MB logits ÷ Lore's time (the
///   kernel must read the logits twice and write the gradient once).
/// - `mlp_step`: one AdamW training step (forward, cross-entropy, backward, update) of a
///   2-layer MLP 1024 → 4096 → 1024 classes on a batch of 512. Ratio: the 5 matrix products
///   of forward + backward as raw `cblas_sgemm` (OpenBLAS's own threading) ÷ Lore's step.
///
/// Each line is followed by `…_peak_mb`: the rise of the resident-memory high-water mark
/// during the measured calls, in MB (ratio column: peak ÷ the size of the op's inputs).
enum AutogradBenchmarks {
    /// Measures every line, or those named in `only` when it is not empty.
    static func run(only: Set<String> = []) {
        FileHandle.standardError.write(Data(
            "# lore-bench autograd: Lore threads \(Threads.count), OpenBLAS threads \(Threads.blasCount)\n".utf8))
        let cases: [(String, () -> Void)] = [
            ("attention_fwd_bwd", attention), ("attention_token_major_fwd_bwd", attentionTokenMajor),
            ("attention_segments_fwd_bwd", attentionSegments),
            ("cross_entropy_fwd_bwd", crossEntropyCase), ("linear_cross_entropy_fwd_bwd", linearCrossEntropyCase),
            ("mlp_step", mlpStep),
        ]
        for (name, body) in cases where only.isEmpty || only.contains(name) { body() }
    }

    /// Runs `body` once to warm up, then measures it against `ceiling`, and reports time and peak.
    static func measure(_ name: String, inputBytes: Int, rounds: Int = 5,
                        _ body: () -> Void, ceiling: () -> Void) {
        body()
        Tensor.releaseCachedMemory()
        PeakMemory.reset()
        let before = PeakMemory.read().resident
        body()
        let peak = PeakMemory.read().peak - before
        let r = Measure.compare(rounds: rounds, target: 0.2, measured: body, ceiling: ceiling)
        Measure.report(name, r.measured * 1e3, "ms", ratio: r.ratio)
        Measure.report(name + "_peak_mb", Double(peak) / 1e6, "MB", ratio: Double(peak) / Double(inputBytes))
    }

    /// The attention benchmarks' shape (SmolLM2's heads, 8 sequences of 512) and seeded inputs;
    /// the generator is returned to draw more from.
    static func attentionInputs() -> (b: Int, hq: Int, t: Int, dh: Int, q: Tensor, k: Tensor, v: Tensor,
                                      upstream: Tensor, rng: SeededGenerator) {
        let (b, hq, hkv, t, dh) = (8, 9, 3, 512, 64)
        var rng = SeededGenerator(seed: 3)
        let q = Tensor.randomNormal([b, hq, t, dh], using: &rng)
        let k = Tensor.randomNormal([b, hkv, t, dh], using: &rng)
        let v = Tensor.randomNormal([b, hkv, t, dh], using: &rng)
        let upstream = Tensor.randomNormal([b, hq, t, dh], using: &rng)
        return (b, hq, t, dh, q, k, v, upstream, rng)
    }

    static func attention() {
        let (b, hq, t, dh, q, k, v, upstream, _) = attentionInputs()
        // Ceiling buffers: one head's [T, Dh] operands and [T, T] scores.
        let a = [Float](repeating: 0.5, count: t * dh), s = [Float](repeating: 0.25, count: t * t)
        var c = [Float](repeating: 0, count: t * t), o = [Float](repeating: 0, count: t * dh)
        measure("attention_fwd_bwd", inputBytes: (q.count + k.count + v.count) * 4, {
            _ = vectorJacobianProduct(at: [q, k, v], seed: upstream) { x in
                scaledDotProductAttention(query: x[0], key: x[1], value: x[2], causal: true)
            }
        }, ceiling: { withThreadedOpenBLAS {
            for _ in 0..<(b * hq) {
                // QKᵀ twice (forward, recompute), dP = dO·Vᵀ: [T, Dh]×[Dh, T]
                for _ in 0..<3 {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(dh),
                                1, a, Int32(dh), a, Int32(dh), 0, &c, Int32(t))
                }
                // P·V, dV = Pᵀ·dO, dQ = dS·K, dK = dSᵀ·Q: [T, T]×[T, Dh]
                for _ in 0..<4 {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(dh), Int32(t),
                                1, s, Int32(t), a, Int32(dh), 0, &o, Int32(dh))
                }
            }
        } })
    }

    static func attentionTokenMajor() {
        let (b, hq, t, dh, q, k, v, upstream, _) = attentionInputs()
        let hkv = k.shape[1]
        func rows(_ x: Tensor) -> Tensor { x.transposed(1, 2).reshaped([b, t, x.shape[1] * dh]) }
        let (tq, tk, tv, tUp) = (rows(q), rows(k), rows(v), rows(upstream))
        func heads(_ x: Variable, _ h: Int) -> Variable { x.reshaped([b, t, h, dh]).transposed(1, 2) }
        measure("attention_token_major_fwd_bwd", inputBytes: (q.count + k.count + v.count) * 4, {
            _ = vectorJacobianProduct(at: [tq, tk, tv], seed: tUp) { x in
                scaledDotProductAttention(query: x[0], key: x[1], value: x[2], queryHeads: hq, keyValueHeads: hkv, causal: true)
            }
        }, ceiling: {
            _ = vectorJacobianProduct(at: [tq, tk, tv], seed: tUp) { x in
                scaledDotProductAttention(query: heads(x[0], hq), key: heads(x[1], hkv), value: heads(x[2], hkv), causal: true)
                    .transposed(1, 2).reshaped([b, t, hq * dh])
            }
        })
    }

    static func attentionSegments() {
        var (b, _, t, _, q, k, v, upstream, rng) = attentionInputs()
        var segments: [Int32] = []
        for _ in 0..<b {
            var id: Int32 = 0, left = 0
            for _ in 0..<t {
                if left == 0 { id += 1; left = 1 + Int(rng.next() % 200) }
                segments.append(id)
                left -= 1
            }
        }
        measure("attention_segments_fwd_bwd", inputBytes: (q.count + k.count + v.count) * 4, {
            _ = vectorJacobianProduct(at: [q, k, v], seed: upstream) { x in
                scaledDotProductAttention(query: x[0], key: x[1], value: x[2], causal: true, segmentIDs: segments)
            }
        }, ceiling: {
            _ = vectorJacobianProduct(at: [q, k, v], seed: upstream) { x in
                scaledDotProductAttention(query: x[0], key: x[1], value: x[2], causal: true)
            }
        })
    }

    static func crossEntropyCase() {
        let (n, vocab) = (8 * 512, 49_152)
        var rng = SeededGenerator(seed: 4)
        let logits = Parameter(Tensor.randomNormal([n, vocab], using: &rng))
        let targets = (0..<n).map { _ in Int(rng.next() % UInt64(vocab)) }
        let bytes = n * vocab * 4
        let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        memset(source, 1, bytes)
        memset(target, 0, bytes)
        defer { source.deallocate(); target.deallocate() }
        measure("cross_entropy_fwd_bwd", inputBytes: bytes, rounds: 3, {
            valueAndGradient { crossEntropy(logits: logits.variable, targets: targets) }
            logits.zeroGradient()
        }, ceiling: { memcpy(target, source, bytes) })
    }

    static func linearCrossEntropyCase() {
        let (n, d, vocab) = (4 * 512, 576, 49_152)
        var rng = SeededGenerator(seed: 5)
        let hidden = Parameter(Tensor.randomNormal([n, d], using: &rng))
        let weight = Parameter(Tensor.randomNormal([vocab, d], standardDeviation: 0.02, using: &rng))
        let targets = (0..<n).map { _ in Int(rng.next() % UInt64(vocab)) }
        measure("linear_cross_entropy_fwd_bwd", inputBytes: (n + vocab) * d * 4, rounds: 3, {
            valueAndGradient { linearCrossEntropy(hidden: hidden.variable, weight: weight.variable, targets: targets) }
            hidden.zeroGradient()
            weight.zeroGradient()
        }, ceiling: {
            valueAndGradient { crossEntropy(logits: linear(hidden.variable, weight: weight.variable), targets: targets) }
            hidden.zeroGradient()
            weight.zeroGradient()
        })
        Tensor.releaseCachedMemory()
        PeakMemory.reset()
        let before = PeakMemory.read().resident
        valueAndGradient { crossEntropy(logits: linear(hidden.variable, weight: weight.variable), targets: targets) }
        hidden.zeroGradient()
        weight.zeroGradient()
        let peak = PeakMemory.read().peak - before
        Measure.report("linear_cross_entropy_unfused_peak_mb", Double(peak) / 1e6, "MB", ratio: Double(peak) / Double((n + vocab) * d * 4))
    }

    final class MLP: Module {
        let up: Linear, down: Linear
        init(_ d: Int, _ hidden: Int, _ classes: Int, using rng: inout SeededGenerator) {
            up = Linear(inputSize: d, outputSize: hidden, using: &rng)
            down = Linear(inputSize: hidden, outputSize: classes, using: &rng)
        }
        var children: [(name: String, module: any Module)] { [("up", up), ("down", down)] }
        func callAsFunction(_ x: Variable) -> Variable { down(up(x).relu()) }
    }

    static func mlpStep() {
        let (batch, d, hidden, classes) = (512, 1024, 4096, 1024)
        var rng = SeededGenerator(seed: 5)
        let model = MLP(d, hidden, classes, using: &rng)
        let x = Variable(Tensor.randomNormal([batch, d], using: &rng))
        let y = (0..<batch).map { _ in Int(rng.next() % UInt64(classes)) }
        var optimizer = AdamW(learningRate: 1e-4)
        // Ceiling: forward x·W1ᵀ, h·W2ᵀ; backward dH = dY·W2, dW2 = dYᵀ·h, dW1 = dHᵀ·x.
        let buf = [Float](repeating: 0.01, count: max(batch, hidden) * max(d, hidden))
        var out = [Float](repeating: 0, count: max(batch, hidden) * max(d, hidden))
        func gemm(_ m: Int, _ n: Int, _ k: Int) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                        1, buf, Int32(k), buf, Int32(k), 0, &out, Int32(n))
        }
        measure("mlp_step", inputBytes: model.parameterCount * 4, {
            valueAndGradient { crossEntropy(logits: model(x), targets: y) }
            optimizer.step(model)
            model.zeroGradients()
        }, ceiling: { withThreadedOpenBLAS {
            gemm(batch, hidden, d); gemm(batch, classes, hidden)       // forward
            gemm(batch, hidden, classes); gemm(classes, hidden, batch)  // dH, dW2
            gemm(hidden, d, batch)                                       // dW1 (no dX: x is a constant)
        } })
    }
}
