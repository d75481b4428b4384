import Autograd
import Tensor

/// Runs a model for generation with a KV cache: prefill a prompt, then one token at a time,
/// for one sequence or several at once (of unequal lengths).
///
/// The session owns the cache (`[layers][sequences][k|v][kv heads][capacity][head size]`)
/// and every scratch buffer, allocated when it is built (and grown only when a call brings
/// more tokens than any call before). Nothing is recorded on a tape; a decoding step in steady
/// state allocates nothing. BLAS runs on the calling thread (threaded when the product is
/// large); the elementwise kernels and single-query attention run in Lore's parallel loop.
///
/// ```swift
/// let session = InferenceSession(model: model)
/// var logits = session.prefill(promptIDs)        // [V]: the next token's logits
/// for _ in 0..<20 {
///     let next = Int32(logits.argmax())
///     session.decode(next, into: &logits)
/// }
/// ```
public final class InferenceSession {
    public let weights: InferenceWeights
    /// How many sequences the cache holds.
    public let sequenceCount: Int
    /// Tokens each sequence can hold.
    public let capacity: Int
    /// Tokens cached per sequence.
    public private(set) var lengths: [Int]

    private let layerCount: Int, kvStride: Int, width: Int
    private let cache: UnsafeMutablePointer<Float>
    private var rowCapacity = 0
    private var x: UnsafeMutablePointer<Float>?, h: UnsafeMutablePointer<Float>?
    private var qkv: UnsafeMutablePointer<Float>?, attended: UnsafeMutablePointer<Float>?
    private var gate: UnsafeMutablePointer<Float>?, up: UnsafeMutablePointer<Float>?
    private var positions: UnsafeMutablePointer<Int>?
    private var attentionScratch: UnsafeMutablePointer<Float>?
    private var attentionScratchCount = 0
    private var groups: [Group] = []

    /// A run of consecutive rows that belong to one sequence.
    private struct Group { var sequence: Int, firstRow: Int, count: Int, start: Int }

    /// - Parameters:
    ///   - model: the weights are read at this moment (shared, not copied).
    ///   - sequences: sequences held at once (batch generation).
    ///   - capacity: tokens per sequence (default: the model's positions, at most 4,096).
    public convenience init(model: any CausalLanguageModel, sequences: Int = 1, capacity: Int? = nil) {
        self.init(weights: model.inferenceWeights, sequences: sequences, capacity: capacity)
    }

    public init(weights: InferenceWeights, sequences: Int = 1, capacity: Int? = nil) {
        let capacity = capacity ?? Swift.min(weights.maxPositions, 4096)
        check(sequences > 0 && capacity > 0, "InferenceSession: needs at least one sequence and one position (got \(sequences), \(capacity))")
        check(capacity <= weights.maxPositions || weights.rotary == nil && weights.positionEmbedding == nil,
              "InferenceSession: capacity \(capacity) exceeds the model's \(weights.maxPositions) positions")
        self.weights = weights
        sequenceCount = sequences
        self.capacity = capacity
        lengths = Array(repeating: 0, count: sequences)
        layerCount = weights.blocks.count
        kvStride = weights.keyValueHeadCount * capacity * weights.headSize
        width = weights.queryKeyValueWidth
        let total = layerCount * sequences * 2 * kvStride
        cache = .allocate(capacity: Swift.max(total, 1))
        groups.reserveCapacity(sequences)
    }

    deinit {
        cache.deallocate()
        for p in [x, h, qkv, attended, gate, up, attentionScratch] { p?.deallocate() }
        positions?.deallocate()
    }

    /// Forgets the cached tokens of one sequence, or of all.
    public func reset(sequence: Int? = nil) {
        if let sequence { lengths[sequence] = 0 } else { for i in lengths.indices { lengths[i] = 0 } }
    }

    /// Forgets the tokens of `sequence` after its first `length`: the next tokens continue from
    /// the shared prefix, e.g. a prompt scored with several continuations without prefilling
    /// it again.
    public func truncate(sequence: Int, to length: Int) {
        check(sequence >= 0 && sequence < sequenceCount, "InferenceSession: sequence \(sequence) is outside 0..<\(sequenceCount)")
        check(length >= 0 && length <= lengths[sequence],
              "InferenceSession: cannot truncate sequence \(sequence) of \(lengths[sequence]) tokens to \(length)")
        lengths[sequence] = length
    }

    // MARK: Running

    /// Appends `tokens` to `sequence` and returns the logits `[V]` after its last token.
    public func prefill(_ tokens: [Int32], sequence: Int = 0) -> Tensor {
        var logits = Tensor(uninitializedShape: [1, weights.vocabularySize])
        run([(sequence, tokens)], logits: &logits)
        return logits.reshaped([weights.vocabularySize])
    }

    /// Appends one token to `sequence` and writes the next logits `[V]` into `logits`
    /// (reshaped if it has another shape).
    public func decode(_ token: Int32, sequence: Int = 0, into logits: inout Tensor) {
        groups.removeAll(keepingCapacity: true)
        ensureRows(1)
        groups.append(Group(sequence: sequence, firstRow: 0, count: 1, start: lengths[sequence]))
        forward(tokens: CollectionOfOne(token), logits: &logits, allPositions: false, vector: true)
    }

    /// Appends `tokens[i]` to sequence `i` for every `i` (one decoding step of a batch) and
    /// writes logits `[tokens.count, V]` into `logits`.
    public func decode(_ tokens: [Int32], into logits: inout Tensor) {
        check(tokens.count <= sequenceCount, "InferenceSession: \(tokens.count) tokens for \(sequenceCount) sequences")
        groups.removeAll(keepingCapacity: true)
        ensureRows(tokens.count)
        for i in tokens.indices { groups.append(Group(sequence: i, firstRow: i, count: 1, start: lengths[i])) }
        forward(tokens: tokens, logits: &logits, allPositions: false, vector: false)
    }

    /// Appends each chunk's tokens to its sequence, all in one pass.
    ///
    /// - Parameters:
    ///   - chunks: `(sequence, tokens)`; each sequence at most once.
    ///   - logits: receives `[chunks.count, V]` — the logits after each chunk's last token — or,
    ///     with `allPositions`, `[total tokens, V]` in chunk order (reshaped if needed).
    public func run(_ chunks: [(sequence: Int, tokens: [Int32])], logits: inout Tensor, allPositions: Bool = false) {
        groups.removeAll(keepingCapacity: true)
        var row = 0
        for (sequence, tokens) in chunks {
            check(sequence >= 0 && sequence < sequenceCount, "InferenceSession: sequence \(sequence) is outside 0..<\(sequenceCount)")
            check(!tokens.isEmpty, "InferenceSession: an empty chunk for sequence \(sequence)")
            check(!groups.contains { $0.sequence == sequence }, "InferenceSession: sequence \(sequence) appears twice in one run")
            groups.append(Group(sequence: sequence, firstRow: row, count: tokens.count, start: lengths[sequence]))
            row += tokens.count
        }
        ensureRows(row)
        forward(tokens: chunks.lazy.flatMap(\.tokens), logits: &logits, allPositions: allPositions, vector: false)
    }

    // MARK: The pass

    /// - Parameter vector: write one row as `[V]` rather than `[1, V]`.
    private func forward<C: Collection>(tokens: C, logits: inout Tensor, allPositions: Bool, vector: Bool) where C.Element == Int32 {
        let w = weights
        let d = w.hiddenSize, dh = w.headSize, hq = w.headCount, hkv = w.keyValueHeadCount
        let n = groups.reduce(0) { $0 + $1.count }
        let x = self.x!, h = self.h!, qkv = self.qkv!, attended = self.attended!, positions = self.positions!
        for g in groups {
            check(g.start + g.count <= capacity,
                  "InferenceSession: sequence \(g.sequence) would hold \(g.start + g.count) tokens; the cache holds \(capacity)")
            for i in 0..<g.count { positions[g.firstRow + i] = g.start + i }
        }

        // Embeddings.
        let vocabulary = w.tokenEmbedding.shape[0]
        let embedding = w.tokenEmbedding.basePointer
        var r = 0
        for token in tokens {
            check(token >= 0 && Int(token) < vocabulary, "InferenceSession: token id \(token) is outside the vocabulary 0..<\(vocabulary)")
            (x + r * d).update(from: embedding + Int(token) * d, count: d)
            if let wpe = w.positionEmbedding?.basePointer {
                let p = wpe + positions[r] * d, row = x + r * d
                for i in 0..<d { row[i] += p[i] }
            }
            r += 1
        }

        let qOffset = 0, kOffset = hq * dh, vOffset = (hq + hkv) * dh
        for (layer, block) in w.blocks.enumerated() {
            normalize(x, into: h, rows: n, block.attentionNorm)
            if block.queryKeyValue.count == 1 {
                block.queryKeyValue[0].apply(h, rows: n, ldx: d, into: qkv, ldy: width, accumulate: false)
            } else {
                block.queryKeyValue[0].apply(h, rows: n, ldx: d, into: qkv + qOffset, ldy: width, accumulate: false)
                block.queryKeyValue[1].apply(h, rows: n, ldx: d, into: qkv + kOffset, ldy: width, accumulate: false)
                block.queryKeyValue[2].apply(h, rows: n, ldx: d, into: qkv + vOffset, ldy: width, accumulate: false)
            }
            if let rotary = w.rotary {
                let half = rotary.rotatedFeatures / 2
                InferenceKernels.rotate(qkv + qOffset, rows: n, rowStride: width, heads: hq, headSize: dh,
                                        positions: positions, cos: rotary.cos.basePointer, sin: rotary.sin.basePointer, half: half)
                InferenceKernels.rotate(qkv + kOffset, rows: n, rowStride: width, heads: hkv, headSize: dh,
                                        positions: positions, cos: rotary.cos.basePointer, sin: rotary.sin.basePointer, half: half)
            }
            for g in groups {
                let keys = cacheKeys(layer: layer, sequence: g.sequence), values = keys + kvStride
                for i in 0..<g.count {
                    let row = qkv + (g.firstRow + i) * width, position = g.start + i
                    for head in 0..<hkv {
                        (keys + (head * capacity + position) * dh).update(from: row + kOffset + head * dh, count: dh)
                        (values + (head * capacity + position) * dh).update(from: row + vOffset + head * dh, count: dh)
                    }
                }
                InferenceKernels.attendCached(
                    query: qkv + g.firstRow * width + qOffset, rows: g.count, queryStride: width, heads: hq, kvHeads: hkv,
                    headSize: dh, keys: keys, values: values, capacity: capacity, length: g.start + g.count,
                    scale: 1 / Float(dh).squareRoot(), output: attended + g.firstRow * hq * dh, outputStride: hq * dh,
                    scratch: attentionScratch(rows: g.count, length: g.start + g.count))
            }
            block.attentionOutput.apply(attended, rows: n, ldx: hq * dh, into: x, ldy: d, accumulate: true)
            normalize(x, into: h, rows: n, block.mlpNorm)
            let f = block.mlp.width
            switch block.mlp {
            case .swiglu(let gateProjection, let upProjection, let down):
                gateProjection.apply(h, rows: n, ldx: d, into: gate!, ldy: f, accumulate: false)
                upProjection.apply(h, rows: n, ldx: d, into: up!, ldy: f, accumulate: false)
                InferenceKernels.swiglu(gate: gate!, up: up!, count: n * f)
                down.apply(gate!, rows: n, ldx: f, into: x, ldy: d, accumulate: true)
            case .gelu(let upProjection, let down, let approximation):
                upProjection.apply(h, rows: n, ldx: d, into: gate!, ldy: f, accumulate: false)
                InferenceKernels.gelu(gate!, count: n * f, approximation: approximation)
                down.apply(gate!, rows: n, ldx: f, into: x, ldy: d, accumulate: true)
            }
        }
        for g in groups { lengths[g.sequence] = g.start + g.count }

        // Final norm and head, for the rows asked for.
        let outputRows = allPositions ? n : groups.count
        if !allPositions {
            for (i, g) in groups.enumerated() where i != g.firstRow + g.count - 1 {
                (x + i * d).update(from: x + (g.firstRow + g.count - 1) * d, count: d)
            }
        }
        normalize(x, into: h, rows: outputRows, w.finalNorm)
        let fits = vector ? logits.rank == 1 && logits.shape[0] == w.vocabularySize
                          : logits.rank == 2 && logits.shape[0] == outputRows && logits.shape[1] == w.vocabularySize
        if !fits { logits = Tensor(uninitializedShape: vector ? [w.vocabularySize] : [outputRows, w.vocabularySize]) }
        logits.withUnsafeMutableBufferPointer { out in
            w.outputHead.apply(h, rows: outputRows, ldx: d, into: out.baseAddress!, ldy: w.vocabularySize, accumulate: false)
        }
    }

    private func normalize(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, _ norm: InferenceWeights.Norm) {
        InferenceKernels.normalizeRows(x, into: y, rows: rows, width: weights.hiddenSize, weight: norm.weight.basePointer,
                                       bias: norm.bias?.basePointer, epsilon: weights.normEpsilon, centered: weights.centeredNorm)
    }

    private func cacheKeys(layer: Int, sequence: Int) -> UnsafeMutablePointer<Float> {
        cache + ((layer * sequenceCount + sequence) * 2) * kvStride
    }

    /// Scratch for one attention call: `max(heads, rows)·length` floats.
    private func attentionScratch(rows: Int, length: Int) -> UnsafeMutablePointer<Float> {
        let needed = Swift.max(weights.headCount, rows) * length
        if needed > attentionScratchCount {
            attentionScratch?.deallocate()
            let count = Swift.max(needed, weights.headCount * capacity)
            attentionScratch = .allocate(capacity: count)
            attentionScratchCount = count
        }
        return attentionScratch!
    }

    /// Makes the row buffers hold at least `rows` rows.
    private func ensureRows(_ rows: Int) {
        guard rows > rowCapacity else { return }
        let w = weights, r = Swift.max(rows, 1)
        for p in [x, h, qkv, attended, gate, up] { p?.deallocate() }
        positions?.deallocate()
        // The last-token rows of several groups are gathered in `x`; `h` holds up to `r` rows.
        x = .allocate(capacity: r * w.hiddenSize)
        h = .allocate(capacity: r * w.hiddenSize)
        qkv = .allocate(capacity: r * width)
        attended = .allocate(capacity: r * w.headCount * w.headSize)
        let f = w.blocks.first?.mlp.width ?? 0
        gate = .allocate(capacity: Swift.max(1, r * f))
        up = .allocate(capacity: Swift.max(1, r * f))
        positions = .allocate(capacity: r)
        rowCapacity = r
    }
}
