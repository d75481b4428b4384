import COpenBLAS
import Foundation
import Tensor

/// `lore-bench tensor`: Lore's Tensor kernels against their ceilings, interleaved in one run.
///
/// - `matmul_N`: `Tensor.matmul(a, b, into:)` on `N×N` matrices, GFLOP/s (2N³ per product);
///   ratio against raw `cblas_sgemm` on the same buffers, with OpenBLAS's own threading
///   (`withThreadedOpenBLAS`; Lore keeps OpenBLAS at one thread and splits the product itself).
/// - `add_16M`, `gelu_16M`: 16 Mi-element kernels writing into a reused, pre-touched tensor,
///   GB/s of memory traffic (add: 2 reads + 1 write; gelu: 1 read + 1 write); ratio against one
///   `memcpy` of the same 64 MiB output into a pre-touched buffer (time of memcpy ÷ time of
///   the op). `_alloc` lines: the allocating forms (`a + b`, `x.gelu()`), same ceiling.
/// - `add_16`: nanoseconds per 16-element `a + b` (allocating the result); ratio against a
///   plain 16-float loop into a reused buffer.
enum TensorBenchmarks {
    static func run() {
        FileHandle.standardError.write(Data(
            "# lore-bench tensor: Lore threads \(Threads.count), OpenBLAS threads \(Threads.blasCount)\n".utf8))
        for n in [512, 1024, 2048] { matmul(n) }
        elementwise()
        tiny()
    }

    static func matmul(_ n: Int) {
        var rng = SeededGenerator(seed: UInt64(n))
        let a = Tensor.randomNormal([n, n], using: &rng)
        let b = Tensor.randomNormal([n, n], using: &rng)
        var c = Tensor.zeros([n, n])
        var raw = [Float](repeating: 0, count: n * n)
        let pa = a.scalars, pb = b.scalars
        let flops = 2.0 * Double(n) * Double(n) * Double(n)
        let target = n >= 2048 ? 0.3 : 0.1
        let result = Measure.compare(rounds: n >= 2048 ? 5 : 9, target: target, measured: {
            Tensor.matmul(a, b, into: &c)
        }, ceiling: {
            withThreadedOpenBLAS {
                raw.withUnsafeMutableBufferPointer { out in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                                1, pa, Int32(n), pb, Int32(n), 0, out.baseAddress!, Int32(n))
                }
            }
        })
        Measure.report("matmul_\(n)", flops / result.measured / 1e9, "GFLOP/s", ratio: result.ratio)
    }

    static func elementwise() {
        let count = 16 << 20
        var rng = SeededGenerator(seed: 1)
        let a = Tensor.randomNormal([count], using: &rng)
        let b = Tensor.randomNormal([count], using: &rng)
        var out = Tensor.zeros([count])
        // memcpy ceiling: 64 MiB into a pre-touched buffer.
        let source = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let target = UnsafeMutablePointer<Float>.allocate(capacity: count)
        source.initialize(repeating: 1, count: count)
        target.initialize(repeating: 0, count: count)
        defer { source.deallocate(); target.deallocate() }
        let copy = { memcpy(target, source, count * 4); return }
        let bytes = Double(count * 4)

        var r = Measure.compare(measured: { Tensor.add(a, b, into: &out) }, ceiling: copy)
        Measure.report("add_16M", 3 * bytes / r.measured / 1e9, "GB/s", ratio: r.ratio)
        r = Measure.compare(measured: { _ = a + b }, ceiling: copy)
        Measure.report("add_16M_alloc", 3 * bytes / r.measured / 1e9, "GB/s", ratio: r.ratio)
        for approximation in [GELUApproximation.tanh, .none] {
            let suffix = approximation == .tanh ? "" : "_erf"
            r = Measure.compare(measured: { Tensor.gelu(a, approximation: approximation, into: &out) }, ceiling: copy)
            Measure.report("gelu\(suffix)_16M", 2 * bytes / r.measured / 1e9, "GB/s", ratio: r.ratio)
            r = Measure.compare(measured: { _ = a.gelu(approximation: approximation) }, ceiling: copy)
            Measure.report("gelu\(suffix)_16M_alloc", 2 * bytes / r.measured / 1e9, "GB/s", ratio: r.ratio)
        }
    }

    static func tiny() {
        let a = Tensor.ramp([16]), b = Tensor.ramp([16], start: 1)
        var out = Tensor.zeros([16])
        let ra = a.scalars, rb = b.scalars
        var rc = [Float](repeating: 0, count: 16)
        var sink: Float = 0
        var r = Measure.compare(target: 0.02, measured: {
            let c = a + b
            sink += c.storageFirst
        }, ceiling: {
            rc.withUnsafeMutableBufferPointer { c in for i in 0..<16 { c[i] = ra[i] + rb[i] } }
            sink += rc[0]
        })
        Measure.report("add_16", r.measured * 1e9, "ns/op", ratio: r.ratio)
        r = Measure.compare(target: 0.02, measured: {
            Tensor.add(a, b, into: &out)
        }, ceiling: {
            rc.withUnsafeMutableBufferPointer { c in for i in 0..<16 { c[i] = ra[i] + rb[i] } }
            sink += rc[0]
        })
        Measure.report("add_16_into", r.measured * 1e9, "ns/op", ratio: r.ratio)
        if sink.isNaN { print("unreachable") }
    }
}

private extension Tensor {
    /// The first element, read through the buffer so the optimiser keeps the computation.
    var storageFirst: Float { withUnsafeBufferPointer { $0.first ?? 0 } }
}
