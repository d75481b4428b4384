import Foundation
import Testing
import Tensor
import Transformer
import _TestSupport

/// Logits of the tiny checkpoints against Hugging Face `transformers`
/// (`Scripts/reference_transformer.py`), to rtol 1e-4, atol 1e-5, in training mode (Autograd
/// forward) and in KV-cache mode (``InferenceSession``).
@Suite struct GoldenLogitsTests {
    static let models = ["tiny-llama", "tiny-llama-variant", "tiny-gpt2"]

    @Test(arguments: models)
    func trainingForwardMatchesTransformers(_ name: String) throws {
        let loaded = try PretrainedModel.load(from: TransformerFixtures.path(name))
        let golden = try TransformerFixtures.golden(name)
        let logits = loaded.model(golden.batch).value
        assertClose(logits, golden.logits, rtol: 1e-4, atol: 1e-5, name)
    }

    @Test(arguments: models)
    func cachedPrefillMatchesTransformers(_ name: String) throws {
        let model = try PretrainedModel.load(from: TransformerFixtures.path(name)).model
        let golden = try TransformerFixtures.golden(name)
        let session = InferenceSession(model: model, sequences: 2, capacity: 32)
        for (b, ids) in golden.sequences.enumerated() {
            var logits = Tensor.zeros([1])
            session.run([(b, ids)], logits: &logits, allPositions: true)
            let expected = golden.logits.select(alongAxis: 0, index: b).slice(alongAxis: 0, 0..<ids.count)
            assertClose(logits, expected, rtol: 1e-4, atol: 1e-5, "\(name) sequence \(b)")
        }
    }

    /// Prefill of one token, then one token at a time: every step's logits equal the
    /// reference's at that position (the full recomputation).
    @Test(arguments: models)
    func tokenByTokenDecodingMatchesFullRecomputation(_ name: String) throws {
        let model = try PretrainedModel.load(from: TransformerFixtures.path(name)).model
        let golden = try TransformerFixtures.golden(name)
        let ids = golden.sequences[0]
        let session = InferenceSession(model: model, capacity: 32)
        var logits = session.prefill([ids[0]])
        assertClose(logits, TransformerFixtures.row(golden.logits, 0, 0), rtol: 1e-4, atol: 1e-5, "\(name) step 0")
        for t in 1..<ids.count {
            session.decode(ids[t], into: &logits)
            let expected = TransformerFixtures.row(golden.logits, 0, t)
            assertClose(logits, expected, rtol: 1e-4, atol: 1e-5, "\(name) step \(t)")
            // The same token wherever the reference's top-2 margin exceeds 1e-3.
            let sorted = expected.scalars.enumerated().sorted { $0.element > $1.element }
            if sorted[0].element - sorted[1].element > 1e-3 {
                #expect(logits.scalars.indices.max { logits.scalars[$0] < logits.scalars[$1] } == sorted[0].offset)
            }
        }
        #expect(session.lengths[0] == ids.count)
    }

    /// Two prompts of unequal lengths in one pass, then a batched decoding step: each gets its
    /// own logits.
    @Test(arguments: models)
    func batchOfUnequalPromptsGivesEachItsOwnLogits(_ name: String) throws {
        let model = try PretrainedModel.load(from: TransformerFixtures.path(name)).model
        let golden = try TransformerFixtures.golden(name)
        let (a, b) = (golden.sequences[0], golden.sequences[1])
        let session = InferenceSession(model: model, sequences: 2, capacity: 32)
        var logits = Tensor.zeros([1])
        session.run([(0, Array(a.dropLast())), (1, Array(b.dropLast()))], logits: &logits)
        #expect(logits.shape == [2, 128])
        assertClose(logits.select(alongAxis: 0, index: 0), TransformerFixtures.row(golden.logits, 0, a.count - 2), rtol: 1e-4, atol: 1e-5)
        assertClose(logits.select(alongAxis: 0, index: 1), TransformerFixtures.row(golden.logits, 1, b.count - 2), rtol: 1e-4, atol: 1e-5)
        session.decode([a.last!, b.last!], into: &logits)
        assertClose(logits.select(alongAxis: 0, index: 0), TransformerFixtures.row(golden.logits, 0, a.count - 1), rtol: 1e-4, atol: 1e-5)
        assertClose(logits.select(alongAxis: 0, index: 1), TransformerFixtures.row(golden.logits, 1, b.count - 1), rtol: 1e-4, atol: 1e-5)
    }

    /// The same tiny Llama written by llama.cpp's conversion (Q/K rows permuted, layer 1 in
    /// F16) gives the Hugging Face checkpoint's logits.
    @Test func ggufCheckpointGivesTheSameLogits() throws {
        let gguf = try PretrainedModel.load(from: TransformerFixtures.path("tiny-llama.gguf"))
        guard case .llama(let c) = gguf.model.configuration else { Issue.record("not llama"); return }
        #expect(c.headCount == 4 && c.keyValueHeadCount == 2 && c.tieWordEmbeddings)
        let golden = try TransformerFixtures.golden("tiny-llama")
        // Layer 1's matrices went through F16: compare with a tolerance for that rounding.
        assertClose(gguf.model(golden.batch).value, golden.logits, rtol: 2e-3, atol: 2e-3)
    }

    @Test func tinyPresetsMatchTheReferenceConfigurations() throws {
        let llama = try PretrainedModel.readConfiguration(TransformerFixtures.folder.appendingPathComponent("tiny-llama/config.json"))
        #expect(llama == .llama(.tiny))
        let gpt2 = try PretrainedModel.readConfiguration(TransformerFixtures.folder.appendingPathComponent("tiny-gpt2/config.json"))
        #expect(gpt2 == .gpt2(.tiny))
    }
}
