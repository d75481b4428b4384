import Autograd
import Tensor

/// A batch of token sequences for the training forward pass.
///
/// Sequences of unequal lengths are padded to one length `T`; ``attentionMask`` marks real
/// tokens (1) and padding (0), as Hugging Face's `attention_mask`. Padded positions still get
/// logits (ignore them in the loss, e.g. with target `-100`).
///
/// Packed pretraining puts several documents in one row: ``segmentIDs`` keeps each token's
/// attention inside its own document and ``positions`` restart at 0 for each document, so a
/// packed row gives the same logits as its documents run one by one.
public struct TokenBatch: Sendable {
    /// `[B, T]` row-major token ids.
    public var ids: [Int32]
    /// `B`.
    public var batchSize: Int
    /// `T`.
    public var length: Int
    /// `[B, T]`, 1 = token, 0 = padding (never attended to); `nil` = no padding.
    public var attentionMask: Tensor?
    /// The position of each token: `T` values shared by the batch or `B·T` values; `nil` =
    /// `0..<T` for every sequence (Hugging Face's default without `position_ids`). For
    /// left-padded batches pass `cumsum(mask) − 1` (see ``positionsFromMask(_:batchSize:length:)``).
    public var positions: [Int]?
    /// `[B, T]` row-major document ids of packed sequences, or `nil` (default) = one document
    /// per row. A maximal run of equal adjacent ids is one document, and a token attends only to
    /// the earlier tokens of its own run (see `scaledDotProductAttention(…segmentIDs:…)`).
    public var segmentIDs: [Int32]?

    /// - Parameters:
    ///   - ids: `[B, T]` row-major token ids.
    ///   - batchSize: `B`.
    ///   - length: `T`.
    ///   - attentionMask: `[B, T]`, 1 = token, 0 = padding; default `nil` (no padding).
    ///   - positions: `T` or `B·T` positions; default `nil` = `0..<T`.
    ///   - segmentIDs: `B·T` document ids (contiguous runs); default `nil` = one document per row.
    public init(ids: [Int32], batchSize: Int, length: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
                segmentIDs: [Int32]? = nil) {
        check(ids.count == batchSize * length, "TokenBatch: \(ids.count) ids for batch \(batchSize) × length \(length)")
        if let attentionMask {
            check(attentionMask.shape == [batchSize, length],
                  "TokenBatch: attention mask of shape \(describeShape(attentionMask.shape)) for batch [\(batchSize), \(length)]")
        }
        if let positions {
            check(positions.count == length || positions.count == batchSize * length,
                  "TokenBatch: \(positions.count) positions for batch [\(batchSize), \(length)]")
        }
        if let segmentIDs {
            check(segmentIDs.count == batchSize * length,
                  "TokenBatch: \(segmentIDs.count) segment ids for batch [\(batchSize), \(length)]")
        }
        self.ids = ids
        self.batchSize = batchSize
        self.length = length
        self.attentionMask = attentionMask
        self.positions = positions
        self.segmentIDs = segmentIDs
    }

    /// One sequence.
    public init(_ ids: [Int32]) { self.init(ids: ids, batchSize: 1, length: ids.count) }

    /// Sequences of unequal lengths, right-padded with `padding` to the longest, with the
    /// matching attention mask.
    public init(padding sequences: [[Int32]], with padding: Int32 = 0) {
        let length = sequences.map(\.count).max() ?? 0
        var ids: [Int32] = [], mask: [Float] = []
        for s in sequences {
            ids += s + Array(repeating: padding, count: length - s.count)
            mask += Array(repeating: 1, count: s.count) + Array(repeating: 0, count: length - s.count)
        }
        let needsMask = sequences.contains { $0.count != length }
        self.init(ids: ids, batchSize: sequences.count, length: length,
                  attentionMask: needsMask ? Tensor(shape: [sequences.count, length], scalars: mask) : nil)
    }

    /// Positions `cumsum(mask) − 1`, clamped at 0 — what Hugging Face's `generate` uses for
    /// left-padded batches.
    public static func positionsFromMask(_ mask: Tensor, batchSize: Int, length: Int) -> [Int] {
        let m = mask.scalars
        var positions = [Int](repeating: 0, count: batchSize * length)
        for b in 0..<batchSize {
            var seen = 0
            for t in 0..<length {
                if m[b * length + t] != 0 { seen += 1 }
                positions[b * length + t] = Swift.max(0, seen - 1)
            }
        }
        return positions
    }

    /// `positions` or `0..<T`.
    var resolvedPositions: [Int] { positions ?? Array(0..<length) }
}

/// A decoder-only language model: token ids in, next-token logits out.
///
/// Conforming families: ``LlamaForCausalLM`` and ``GPT2LMHeadModel``. The training forward runs
/// through Autograd (record a tape to get gradients); ``InferenceSession`` runs the same
/// weights with a KV cache and no tape.
public protocol CausalLanguageModel: Module {
    /// The family and its hyper-parameters.
    var configuration: ModelConfiguration { get }
    /// The final hidden states `[B, T, D]` (after the last normalisation).
    func hiddenStates(_ batch: TokenBatch) -> Variable
    /// The output head: `[…, D] → […, V]`.
    func logits(hidden: Variable) -> Variable
    /// The output head's parameters when ``logits(hidden:)`` is exactly `hidden·Wᵀ + b` —
    /// weight `[V, D]` (an `lm_head` Linear or the tied token embedding), bias `[V]` or `nil` —
    /// so that ``loss(_:targets:ignoreIndex:labelSmoothing:reduction:)`` may fuse the head with
    /// the cross-entropy; `nil` when the head does more (e.g. carries an adapter). Default `nil`.
    var linearOutputHead: (weight: Parameter, bias: Parameter?)? { get }
    /// The weights as the inference engine reads them.
    var inferenceWeights: InferenceWeights { get }
    /// Run each transformer block through `checkpointed(_:_:)` while a tape records (default
    /// `false`): the backward pass recomputes each block's internals instead of keeping them,
    /// so training holds one `[B, T, D]` tensor per block instead of all its activations, for
    /// about a third more compute. Values and gradients are unchanged (bitwise, with
    /// deterministic kernels); inference and evaluation are unaffected. Hugging Face's
    /// `gradient_checkpointing_enable()`.
    var gradientCheckpointing: Bool { get set }
}

extension CausalLanguageModel {
    /// Logits `[B, T, V]` for every position of `batch`.
    public func callAsFunction(_ batch: TokenBatch) -> Variable { logits(hidden: hiddenStates(batch)) }

    /// Logits `[1, T, V]` of one sequence.
    public func callAsFunction(_ ids: [Int32]) -> Variable { self(TokenBatch(ids)) }

    /// No fusable head unless the model says so: ``loss(_:targets:ignoreIndex:labelSmoothing:reduction:)``
    /// then materialises the logits.
    public var linearOutputHead: (weight: Parameter, bias: Parameter?)? { nil }

    /// The next-token cross-entropy of `batch`, equal to
    /// `crossEntropy(logits: self(batch), targets: targets, …)` but without the `[B·T, V]` logits
    /// when the head is plain (``linearOutputHead``): the head and the loss then run fused and
    /// chunked through `linearCrossEntropy(hidden:weight:bias:targets:…)`, whose backward adds
    /// the head's gradient into the same parameter the embedding lookup uses when the two are
    /// tied. Otherwise (or for `.none`) it computes the logits and `crossEntropy(logits:…)`.
    ///
    /// For gradient accumulation pass `.sum` and divide by the window's total
    /// `targetCount(_:ignoreIndex:)`.
    ///
    /// - Parameters:
    ///   - batch: `B` sequences of length `T`.
    ///   - targets: `B·T` token ids, row-major (typically the inputs shifted left), or `ignoreIndex`.
    ///   - ignoreIndex: the target that marks a position to skip (default `-100`).
    ///   - labelSmoothing: `ε` in `[0, 1]` (default 0).
    ///   - reduction: `.mean` (default), `.sum`, or `.none` (shape `[B, T]`).
    /// - Returns: a scalar (shape `[]`) for `.mean` and `.sum`; `[B, T]` for `.none`.
    public func loss(
        _ batch: TokenBatch, targets: [Int32], ignoreIndex: Int = -100, labelSmoothing: Float = 0,
        reduction: LossReduction = .mean
    ) -> Variable {
        let hidden = hiddenStates(batch)
        guard let head = linearOutputHead else {
            return crossEntropy(logits: logits(hidden: hidden), targets: targets, ignoreIndex: ignoreIndex,
                                labelSmoothing: labelSmoothing, reduction: reduction)
        }
        return linearCrossEntropy(hidden: hidden, weight: head.weight.variable, bias: head.bias?.variable, targets: targets,
                                  ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing, reduction: reduction)
    }
}

/// A model family with its configuration — what `config.json` describes.
public enum ModelConfiguration: Equatable, Sendable {
    case llama(LlamaConfiguration)
    case gpt2(GPT2Configuration)

    public var vocabularySize: Int {
        switch self { case .llama(let c): c.vocabularySize; case .gpt2(let c): c.vocabularySize }
    }
    public var maxPositions: Int {
        switch self { case .llama(let c): c.maxPositions; case .gpt2(let c): c.maxPositions }
    }
    public var eosTokenIDs: [Int] {
        switch self { case .llama(let c): c.eosTokenIDs; case .gpt2(let c): c.eosTokenIDs }
    }
    public var bosTokenID: Int? {
        switch self { case .llama(let c): c.bosTokenID; case .gpt2(let c): c.bosTokenID }
    }
    /// `model_type` in `config.json`.
    public var modelType: String {
        switch self { case .llama: "llama"; case .gpt2: "gpt2" }
    }

    /// A freshly initialised model of this configuration (Hugging Face's initialisation).
    public func makeModel(using generator: inout SeededGenerator) -> any CausalLanguageModel {
        var w = WeightInitializer(generator: generator)
        defer { generator = w.generator! }
        return makeModel(&w)
    }

    /// A model whose weights are uninitialised, to be loaded from a checkpoint.
    func makeModelForLoading() -> any CausalLanguageModel {
        var w = WeightInitializer(generator: nil)
        return makeModel(&w)
    }

    private func makeModel(_ w: inout WeightInitializer) -> any CausalLanguageModel {
        switch self {
        case .llama(let c): LlamaForCausalLM(c, &w)
        case .gpt2(let c): GPT2LMHeadModel(c, &w)
        }
    }
}
