import Foundation
import GGUF
import Tensor

/// `lore-bench quant`: GGML block dequantization against `memcpy`, interleaved in one run.
///
/// For Q4_1, Q8_0, Q4_K and Q6_K, `Tensor.dequantize(_:type:count:into:)` turns a 16 Mi-value
/// tensor (64 MiB of output floats) into a reused, pre-touched buffer. Each line reports GB/s
/// of output floats written (`_out`) or of input bytes read (`_in`); the ratio is the time of
/// one `memcpy` of the 64 MiB output between pre-touched buffers ÷ the time of the
/// dequantization (1.0 = as fast as copying the floats). `_alloc` lines time
/// `Tensor.dequantized(_:type:shape:)`, which allocates its result each call.
/// `_64K` lines: 64 Ki values (256 KiB out, one chunk on one thread, in cache), against a
/// 256 KiB `memcpy` — the kernels' arithmetic speed without main-memory traffic.
enum QuantBenchmarks {
    static func run() {
        FileHandle.standardError.write(Data("# lore-bench quant: Lore threads \(Threads.count)\n".utf8))
        for count in [16 << 20, 64 << 10] { measure(count: count) }
    }

    static func measure(count: Int) {
        let label = count == 16 << 20 ? "16M" : "64K"
        let source = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let target = UnsafeMutablePointer<Float>.allocate(capacity: count)
        source.initialize(repeating: 1, count: count)
        target.initialize(repeating: 0, count: count)
        defer { source.deallocate(); target.deallocate() }
        let copy = { memcpy(target, source, count * 4); return }
        let output = UnsafeMutableBufferPointer(start: target, count: count)

        for type in [GGMLType.q4_1, .q8_0, .q4_K, .q6_K] {
            let bytes = blocks(type, count: count)
            let name = type.name.lowercased()
            bytes.withUnsafeBytes { raw in
                var r = Measure.compare(measured: {
                    try! Tensor.dequantize(raw, type: type, count: count, into: output)
                }, ceiling: copy)
                Measure.report("dequant_\(name)_\(label)_out", Double(count * 4) / r.measured / 1e9, "GB/s", ratio: r.ratio)
                Measure.report("dequant_\(name)_\(label)_in", Double(raw.count) / r.measured / 1e9, "GB/s", ratio: r.ratio)
                guard count == 16 << 20 else { return }
                r = Measure.compare(measured: {
                    _ = try! Tensor.dequantized(raw, type: type, shape: [count / 4096, 4096])
                }, ceiling: copy)
                Measure.report("dequant_\(name)_16M_alloc", Double(count * 4) / r.measured / 1e9, "GB/s", ratio: r.ratio)
            }
        }
    }

    /// `count` values of `type`: random bytes with finite binary16 scales (what a real model's
    /// blocks look like to the kernel; the values themselves do not change its speed).
    static func blocks(_ type: GGMLType, count: Int) -> [UInt8] {
        var rng = SeededGenerator(seed: UInt64(type.rawValue))
        let n = count / type.blockSize
        var bytes = [UInt8](repeating: 0, count: n * type.bytesPerBlock)
        bytes.withUnsafeMutableBytes { raw in
            for i in stride(from: 0, to: raw.count - 7, by: 8) {
                raw.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self)
            }
        }
        let halfFields: [Int] = switch type {
        case .q4_1, .q4_K: [0, 2]
        case .q6_K: [208]
        default: [0]
        }
        for b in 0..<n {
            for offset in halfFields {
                let bits = HalfPrecision.halfBits(Float(b % 97) * 0.001 + 0.01)
                bytes[b * type.bytesPerBlock + offset] = UInt8(bits & 0xFF)
                bytes[b * type.bytesPerBlock + offset + 1] = UInt8(bits >> 8)
            }
        }
        return bytes
    }
}
