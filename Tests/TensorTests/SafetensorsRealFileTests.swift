import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// all-MiniLM-L6-v2's `model.safetensors` (fetched by `lore fetch minilm`), read by Lore.
///
/// Expected statistics were computed once with numpy 2.4 / safetensors 0.8
/// (`safetensors.numpy.load_file`, sums and moments in float64).
@Suite("Safetensors real file", .serialized)
struct SafetensorsRealFileTests {
    @Test(TestAssets.requires(.miniLMSafetensors))
    func miniLMOpensWithExpectedLayoutAndValues() throws {
        let file = try SafetensorsFile(url: try TestAssets.url(.miniLMSafetensors))
        #expect(file.tensors.count == 104)  // 105 header entries with __metadata__
        #expect(file.metadata == ["format": "pt"])
        #expect(file.dataStart == 8 + 11_408)
        #expect(file.tensorNames.first == "embeddings.position_ids")  // I64 first: writer sorts by dtype, then name
        #expect(file.tensorNames.last == "pooler.dense.weight")
        #expect(Set(file.tensorNames).count == 104)

        let positions = try file.info(named: "embeddings.position_ids")
        #expect(positions.dtype == .i64 && positions.shape == [1, 512])
        #expect(try file.int64Values(named: "embeddings.position_ids") == Array(0..<512))
        #expect(try file.tensor(named: "embeddings.position_ids").scalars == (0..<512).map(Float.init))

        let words = try file.info(named: "embeddings.word_embeddings.weight")
        #expect(words.dtype == .f32 && words.shape == [30522, 384])
        #expect(words.byteCount == 30522 * 384 * 4)
        #expect(file.tensors.filter { $0.dtype == .f32 }.count == 103)

        // numpy: a.astype(np.float64).sum() = 236.85435231029987
        let norm = try file.tensor(named: "embeddings.LayerNorm.weight")
        #expect(norm.shape == [384])
        #expect(abs(norm.scalars.reduce(0.0) { $0 + Double($1) } - 236.85435231029987) < 1e-9)
        #expect(norm.scalars.first == 0.59892833 && norm.scalars.last == 0.65542793)

        // numpy: sum 138.05072214923618, std 0.0556233410704887, min -0.5073242, max 1.0494,
        // first -0.019989014, last 0.0045700637.
        let summary = try file.summary(named: "embeddings.word_embeddings.weight")
        #expect(abs(summary.mean! * Double(words.elementCount) - 138.05072214923618) < 1e-6)
        #expect(abs(summary.standardDeviation! - 0.0556233410704887) < 1e-12)
        #expect(summary.minimum == -0.5073242 && summary.maximum == 1.0494)
        let embeddings = try file.tensor(named: "embeddings.word_embeddings.weight")
        #expect(embeddings.scalars.first == -0.019989014 && embeddings.scalars.last == 0.0045700637)

        // numpy: sum -53.19849107446487
        let dense = try file.tensor(named: "encoder.layer.5.output.dense.weight")
        #expect(dense.shape == [384, 1536])
        #expect(abs(dense.scalars.reduce(0.0) { $0 + Double($1) } + 53.19849107446487) < 1e-6)

        let all = try file.loadAll()
        #expect(all.count == 104)
        #expect(all.values.reduce(0) { $0 + $1.count } == 22_713_728)
    }

    @Test(TestAssets.requires(.miniLMSafetensors))
    func miniLMSurvivesARewriteInEveryStorageType() throws {
        let file = try SafetensorsFile(url: try TestAssets.url(.miniLMSafetensors))
        let names = ["embeddings.LayerNorm.weight", "encoder.layer.0.attention.self.query.weight", "pooler.dense.bias"]
        let tensors = try names.map { ($0, try file.tensor(named: $0)) }
        let scratch = SafetensorsScratch()
        for dtype in Safetensors.writableDTypes {
            let url = scratch.url("minilm-\(dtype.rawValue).safetensors")
            try Safetensors.write(tensors, to: url, dtype: dtype, metadata: file.metadata)
            let copy = try SafetensorsFile(url: url)
            #expect(copy.metadata == ["format": "pt"])
            for (name, original) in tensors {
                let tolerance: Float = dtype == .f32 ? 0 : dtype == .f16 ? 0x1p-11 : 0x1p-8
                assertClose(try copy.tensor(named: name), original, rtol: tolerance, atol: dtype == .f16 ? 0x1p-24 : 0, name)
            }
        }
    }
}
