import Foundation
import Testing
import GGUF
import _TestSupport

/// SmolLM2-135M-Instruct.Q4_1.gguf (fetched by `lore fetch smollm2`), read by Lore.
///
/// Every expected fact was cross-checked once with the Python `gguf` package 0.19.0
/// (`python3 Scripts/check_gguf.py show --smollm2 <file>`: GGUFReader sees the same version,
/// 33 entries, values, 272 tensors of the same types and the same byte ranges).
@Suite("GGUF real file", .serialized)
struct GGUFRealFileTests {
    static let linearSuffixes = ["attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
                                 "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"]

    @Test(TestAssets.requires(.smolLM2GGUF))
    func smolLM2MetadataMatchesThePythonReader() throws {
        let file = try GGUFFile(url: try TestAssets.url(.smolLM2GGUF))
        #expect(file.version == 3)
        #expect(file.metadata.count == 33)
        #expect(file.alignment == 32)
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("llama.block_count") == 30)
        #expect(try file.int("llama.context_length") == 8192)
        #expect(try file.int("llama.embedding_length") == 576)
        #expect(try file.int("llama.feed_forward_length") == 1536)
        #expect(try file.int("llama.attention.head_count") == 9)
        #expect(try file.int("llama.attention.head_count_kv") == 3)
        #expect(try file.int("llama.rope.dimension_count") == 64)
        #expect(try file.int("llama.vocab_size") == 49152)
        #expect(try file.float("llama.rope.freq_base") == 100_000)
        #expect(try file.float("llama.attention.layer_norm_rms_epsilon") == 1e-5)
        #expect(file["llama.rope.freq_base"] == .float32(100_000))  // stored as FLOAT32
        #expect(file["llama.block_count"] == .uint32(30))
        #expect(try file.stringArray("general.languages") == ["en"])
        #expect(try file.string("tokenizer.ggml.model") == "gpt2")
        #expect(try file.string("tokenizer.ggml.pre") == "smollm")
        #expect(try file.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(try file.int("tokenizer.ggml.bos_token_id") == 1)
        #expect(try file.int("tokenizer.ggml.eos_token_id") == 2)

        let tokens = try file.stringArray("tokenizer.ggml.tokens")
        #expect(tokens.count == 49152 && tokens.first == "<|endoftext|>" && tokens.last == "ectable")
        let merges = try file.stringArray("tokenizer.ggml.merges")
        #expect(merges.count == 48900 && merges.first == "Ġ t" && merges.last == "ect able")
        #expect(try file.intArray("tokenizer.ggml.token_type").count == 49152)
        let template = try file.string("tokenizer.chat_template")
        #expect(template.hasPrefix("{% for message in messages %}") && template.contains("<|im_start|>"))
    }

    @Test(TestAssets.requires(.smolLM2GGUF))
    func smolLM2TensorsHaveTheExpectedTypesAndByteRanges() throws {
        let file = try GGUFFile(url: try TestAssets.url(.smolLM2GGUF))
        #expect(file.tensors.count == 272)  // 30 × 9 per block + token_embd + output_norm (tied head)
        #expect(file.dataOffset == 1_785_664)
        #expect(file.fileSize == 98_362_432)

        let embedding = try file.tensor(named: "token_embd.weight")
        #expect(embedding.type == .q8_0 && embedding.dimensions == [576, 49152] && embedding.shape == [49152, 576])
        #expect(embedding.fileRange == 1_785_664..<31_866_688 && embedding.byteCount == 30_081_024)
        let down = try file.tensor(named: "blk.0.ffn_down.weight")
        #expect(down.type == .q4_1 && down.shape == [576, 1536] && down.fileRange == 31_868_992..<32_421_952)
        let k = try file.tensor(named: "blk.0.attn_k.weight")
        #expect(k.type == .q4_1 && k.shape == [192, 576] && k.byteCount == 69_120)
        let last = try file.tensor(named: "output_norm.weight")
        #expect(last.type == .f32 && last.shape == [576] && last.fileRange == 98_360_128..<98_362_432)

        for block in 0..<30 {
            for suffix in Self.linearSuffixes {
                #expect(try file.tensor(named: "blk.\(block).\(suffix)").type == .q4_1)
            }
            for norm in ["attn_norm.weight", "ffn_norm.weight"] {
                let info = try file.tensor(named: "blk.\(block).\(norm)")
                #expect(info.type == .f32 && info.dimensions == [576])
            }
        }
        #expect(file.tensors.filter { $0.type == .f32 }.count == 61)
        #expect(file.tensors.filter { $0.type == .q4_1 }.count == 210)

        // The tensors tile the data section in file order, each padded to 32 bytes, up to the
        // file's last byte.
        var expected = file.dataOffset
        for info in file.tensors {
            #expect(info.fileOffset == expected, "\(info.name)")
            expected = info.fileRange.upperBound + (32 - info.byteCount % 32) % 32
        }
        #expect(expected == file.fileSize)
    }

    @Test(TestAssets.requires(.smolLM2GGUF))
    func smolLM2OpensInMilliseconds() throws {
        let url = try TestAssets.url(.smolLM2GGUF)
        _ = try GGUFFile(url: url)  // warm the page cache
        var times: [Duration] = []
        for _ in 0..<7 {
            let start = ContinuousClock.now
            let file = try GGUFFile(url: url)
            times.append(ContinuousClock.now - start)
            #expect(file.tensors.count == 272)
        }
        times.sort()
        print("GGUFFile(url:) on SmolLM2-135M Q4_1 (98 MB, 49,152 tokens, 48,900 merges): median \(times[3]), min \(times[0])")
        #expect(times[3] < .seconds(1))
    }

    @Test(TestAssets.requires(.smolLM2GGUF))
    func smolLM2RewrittenByTheWriterIsByteForByteTheOriginal() throws {
        let url = try TestAssets.url(.smolLM2GGUF)
        let file = try GGUFFile(url: url)
        let scratch = GGUFScratch()
        let folder = ProcessInfo.processInfo.environment["LORE_GGUF_EXPORT_DIR"].map { URL(fileURLWithPath: $0) } ?? scratch.folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let copy = folder.appendingPathComponent("lore_smollm2_copy.gguf")

        var writer = GGUFWriter()
        for (key, value) in file.metadata { writer.set(key, value) }
        for info in file.tensors {
            writer.addTensor(name: info.name, type: info.type, dimensions: info.dimensions,
                             bytes: file.withBytes(of: info) { [UInt8]($0) })
        }
        try writer.write(to: copy)
        let original = try Data(contentsOf: url, options: .alwaysMapped)
        let rewritten = try Data(contentsOf: copy, options: .alwaysMapped)
        #expect(rewritten.count == original.count)
        #expect(rewritten == original)  // llama.cpp's writer and Lore's lay the file out identically
    }
}
