import Testing
import Tensor
import Autograd
import Transformer
import _TestSupport

/// Packed pretraining rows: with segment ids and positions restarting per document, the logits
/// of a row holding two documents equal the logits of each document run alone.
@Suite("Packed documents")
struct PackedDocumentsTests {
    static let configurations: [ModelConfiguration] = [.llama(.tiny), .gpt2(.tiny)]

    @Test(arguments: configurations)
    func packedLogitsEqualDocumentsAlone(_ configuration: ModelConfiguration) {
        var rng = SeededGenerator(seed: 11)
        let model = configuration.makeModel(using: &rng)
        let first: [Int32] = [5, 17, 99, 3, 2], second: [Int32] = [40, 41, 7, 120, 64, 8, 2]
        // Row 0 packs both documents; row 1 packs them the other way round and pads one token.
        let row0 = first + second, row1 = second + first
        let length = row0.count
        let segments = [Int32](repeating: 0, count: first.count) + [Int32](repeating: 1, count: second.count)
            + [Int32](repeating: 0, count: second.count) + [Int32](repeating: 1, count: first.count)
        let positions = Array(0..<first.count) + Array(0..<second.count) + Array(0..<second.count) + Array(0..<first.count)
        let batch = TokenBatch(ids: row0 + row1, batchSize: 2, length: length, positions: positions, segmentIDs: segments)
        let packed = withoutGradient { model(batch) }.value
        let alone1 = withoutGradient { model(first) }.value, alone2 = withoutGradient { model(second) }.value
        func rows(_ b: Int, _ range: Range<Int>) -> Tensor { packed.slice(alongAxis: 0, b..<(b + 1)).slice(alongAxis: 1, range) }
        assertClose(rows(0, 0..<first.count), alone1, rtol: 1e-5, atol: 1e-5, "\(configuration.modelType) row 0, first")
        assertClose(rows(0, first.count..<length), alone2, rtol: 1e-5, atol: 1e-5, "\(configuration.modelType) row 0, second")
        assertClose(rows(1, 0..<second.count), alone2, rtol: 1e-5, atol: 1e-5, "\(configuration.modelType) row 1, second")
        assertClose(rows(1, second.count..<length), alone1, rtol: 1e-5, atol: 1e-5, "\(configuration.modelType) row 1, first")
        // Without segments (same positions) the second document sees the first: the logits differ.
        let unsegmented = withoutGradient {
            model(TokenBatch(ids: row0, batchSize: 1, length: length, positions: Array(positions[0..<length])))
        }.value
        let tail = unsegmented.slice(alongAxis: 1, first.count..<length)
        #expect(zip(tail.scalars, alone2.scalars).contains { abs($0 - $1) > 1e-3 })
    }
}
