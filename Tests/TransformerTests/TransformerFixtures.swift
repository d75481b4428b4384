import Foundation
import Tensor
import Transformer

/// The fixtures written by `Scripts/reference_transformer.py` (Hugging Face `transformers` on
/// CPU, eager attention): tiny checkpoints, their logits for a two-sequence batch, and a GGUF.
enum TransformerFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The golden batch: ids `[2, 12]`, the second row right-padded (mask 0), and the logits
    /// `[2, 12, 128]` `transformers` computed for it.
    struct Golden {
        let sequences: [[Int32]]   // without padding
        let batch: TokenBatch
        let logits: Tensor
    }

    static func golden(_ model: String) throws -> Golden {
        let folder = self.folder.appendingPathComponent(model)
        struct Inputs: Decodable { var input_ids: [[Int32]]; var attention_mask: [[Int]] }
        let inputs = try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: folder.appendingPathComponent("golden.json")))
        let (b, t) = (inputs.input_ids.count, inputs.input_ids[0].count)
        let mask = Tensor(shape: [b, t], scalars: inputs.attention_mask.joined().map(Float.init))
        let sequences = zip(inputs.input_ids, inputs.attention_mask).map { ids, m in Array(ids.prefix(m.reduce(0, +))) }
        let logits = try SafetensorsFile(url: folder.appendingPathComponent("golden.safetensors")).tensor(named: "logits")
        return Golden(sequences: sequences,
                      batch: TokenBatch(ids: Array(inputs.input_ids.joined()), batchSize: b, length: t, attentionMask: mask),
                      logits: logits)
    }

    /// Row `t` of sequence `b` of a `[B, T, V]` tensor, as `[V]`.
    static func row(_ logits: Tensor, _ b: Int, _ t: Int) -> Tensor {
        logits.select(alongAxis: 0, index: b).select(alongAxis: 0, index: t)
    }
}
