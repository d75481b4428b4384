import Autograd
import Foundation
import Tensor
import Tokenizer
import Transformer

/// Scores multiple-choice items by log-likelihood, as lm-evaluation-harness's
/// `multiple_choice` tasks do: each choice is a continuation of the item's context, and
///
///     score(choice) = Σ_{t=1}^{|c|} log p(c_t | x, c_1 … c_{t−1}),
///
/// where `x` is the context's tokens and `c` the continuation's. `acc` picks the highest
/// score; `acc_norm` the highest score divided by the choice's length in characters (see
/// ``MultipleChoiceItemScore``).
///
/// **Text to tokens.** The context is ``prompt`` applied to the item (default: the question as
/// it is); the continuation is ``continuation(of:after:)`` (default: `" " + choice`, or the
/// choice alone when the context already ends in whitespace). Trailing whitespace of the
/// context then moves to the front of the continuation, and the two are encoded separately and
/// their ids concatenated (lm-evaluation-harness's `_encode_pair`): the context's ids are the
/// same for every choice and the continuation's ids are exactly the tokens scored, whatever BPE
/// would do across the boundary. No BOS is added; a context that encodes to nothing is replaced
/// by the end-of-text token. When context + continuation exceed the model's positions, the
/// context loses tokens from its start.
///
/// **Computation.** No gradient is recorded. Log-softmax is computed in `Double`, only for the
/// rows that predict continuation tokens. Two strategies give the same scores (within
/// float rounding):
/// - ``Strategy/cachedContext`` (default): ``InferenceSession`` with one cache slot per item of
///   a pass; the contexts of `itemsPerPass` items are prefilled together once, then choice `j`
///   of every item runs in one pass and the caches are truncated back to the context.
///   Each context token is processed once and only the rows that are scored go through the
///   output head.
/// - ``Strategy/paddedBatch``: every (context + continuation) as a row of a right-padded
///   ``TokenBatch`` through the training forward (`[B, T, V]` logits), at most
///   `tokensPerPass` padded tokens per forward.
///
/// ```swift
/// let scorer = MultipleChoiceScorer(model: loaded.model, tokenizer: loaded.tokenizer!)
/// let result = try scorer.score(try MultipleChoiceItem.readJSONL(from: url))
/// print(result.table)
/// ```
public struct MultipleChoiceScorer {
    /// How the forward passes are organised.
    public enum Strategy: String, CaseIterable, Sendable {
        /// KV cache: each context once, continuations appended and rolled back.
        case cachedContext = "cached"
        /// Training forward over padded (context + continuation) rows.
        case paddedBatch = "padded"
    }

    public let model: any CausalLanguageModel
    public let tokenizer: Tokenizer
    /// The context text of an item (default: `item.question`).
    public var prompt: (MultipleChoiceItem) -> String
    /// Default ``Strategy/cachedContext``.
    public var strategy: Strategy = .cachedContext
    /// Items whose contexts share a pass in ``Strategy/cachedContext`` (default
    /// ``defaultItemsPerPass``).
    public var itemsPerPass = MultipleChoiceScorer.defaultItemsPerPass
    /// 16.
    public static let defaultItemsPerPass = 16
    /// Cap on `items × cache positions` of one ``Strategy/cachedContext`` pass (default 8,192:
    /// for SmolLM2-135M, 46 KB of cache per position, about 380 MB).
    public var cachedTokensPerPass = 8192
    /// Cap on `rows × padded length` of one ``Strategy/paddedBatch`` forward (default 512;
    /// the logits alone take `512 × vocabulary` floats, 100 MB for a 49,152 vocabulary).
    public var tokensPerPass = 512

    /// - Parameters:
    ///   - model: the model to score with (its weights are read when ``score(_:progress:)`` runs).
    ///   - tokenizer: the model's tokenizer.
    ///   - prompt: builds the context text of an item (default: the question as it is).
    public init(model: any CausalLanguageModel, tokenizer: Tokenizer,
                prompt: @escaping (MultipleChoiceItem) -> String = { $0.question }) {
        self.model = model
        self.tokenizer = tokenizer
        self.prompt = prompt
    }

    /// The continuation text of `choice` after `context`: `" " + choice`, or `choice` when the
    /// context is empty or ends in whitespace.
    public static func continuation(of choice: String, after context: String) -> String {
        guard let last = context.unicodeScalars.last, !last.properties.isWhitespace else { return choice }
        return " " + choice
    }

    /// An item as token ids.
    struct Encoded {
        /// The context's ids (at least one).
        var context: [Int32]
        /// One non-empty id list per choice.
        var continuations: [[Int32]]
        var longestContinuation: Int { continuations.map(\.count).max() ?? 0 }
    }

    /// Encodes item `index` (see the type's documentation).
    func encode(_ item: MultipleChoiceItem, index: Int) throws -> Encoded {
        if let problem = item.problem { throw MultipleChoiceError.invalidItem(index: index, reason: problem) }
        var context = prompt(item)
        // Trailing whitespace of the context belongs to the continuation.
        var moved = ""
        while let last = context.unicodeScalars.last, last.properties.isWhitespace {
            moved = String(last) + moved
            context.unicodeScalars.removeLast()
        }
        let fullContext = context + moved
        var contextIDs = tokenizer.encode(context, parseSpecialTokens: false).map(Int32.init)
        var continuations: [[Int32]] = []
        for (j, choice) in item.choices.enumerated() {
            let text = moved + MultipleChoiceScorer.continuation(of: choice, after: fullContext)
            let ids = tokenizer.encode(text, parseSpecialTokens: false).map(Int32.init)
            if ids.isEmpty { throw MultipleChoiceError.emptyContinuation(index: index, choice: j) }
            continuations.append(ids)
        }
        if contextIDs.isEmpty {
            guard let end = tokenizer.eosTokenID ?? model.configuration.eosTokenIDs.first ?? model.configuration.bosTokenID
            else { throw MultipleChoiceError.emptyContext(index: index) }
            contextIDs = [Int32(end)]
        }
        let limit = model.configuration.maxPositions
        let longest = continuations.map(\.count).max()!
        if longest >= limit { throw MultipleChoiceError.tooLong(index: index, tokens: longest, limit: limit) }
        if contextIDs.count + longest > limit { contextIDs = Array(contextIDs.suffix(limit - longest)) }
        return Encoded(context: contextIDs, continuations: continuations)
    }

    /// Scores `items` in order.
    ///
    /// - Parameter progress: called after each pass with (items done, total).
    /// - Throws: ``MultipleChoiceError`` for an item that cannot be scored (fewer than two
    ///   choices, an answer out of range, a choice that encodes to nothing, a continuation
    ///   longer than the model's positions) — before any forward pass runs.
    public func score(_ items: [MultipleChoiceItem], progress: ((Int, Int) -> Void)? = nil) throws -> MultipleChoiceResult {
        check(itemsPerPass >= 1 && cachedTokensPerPass >= 1 && tokensPerPass >= 1,
              "MultipleChoiceScorer: itemsPerPass \(itemsPerPass), cachedTokensPerPass \(cachedTokensPerPass) and tokensPerPass \(tokensPerPass) must be positive")
        let encoded = try items.enumerated().map { try encode($0.element, index: $0.offset) }
        let sums = withoutGradient {
            switch strategy {
            case .cachedContext: scoreWithCache(encoded, progress: progress)
            case .paddedBatch: scoreWithPaddedBatches(encoded, progress: progress)
            }
        }
        return MultipleChoiceResult(items: items.indices.map { i in
            MultipleChoiceItemScore(index: i, subject: items[i].subject, answer: items[i].answer, logLikelihoods: sums[i],
                                    tokenCounts: encoded[i].continuations.map(\.count),
                                    characterCounts: items[i].choices.map(\.unicodeScalars.count))
        })
    }

    // MARK: Strategies

    /// ``Strategy/cachedContext``: returns the per-choice sums of every item.
    func scoreWithCache(_ encoded: [Encoded], progress: ((Int, Int) -> Void)?) -> [[Double]] {
        var sums = encoded.map { [Double](repeating: 0, count: $0.continuations.count) }
        let vocabulary = model.configuration.vocabularySize
        var session: InferenceSession?
        var logits = Tensor(uninitializedShape: [1, vocabulary])
        var start = 0
        while start < encoded.count {
            // Items of this pass: at most itemsPerPass, and items × capacity within the budget.
            var end = start, capacity = 0
            while end < encoded.count && end - start < itemsPerPass {
                let needed = Swift.max(capacity, encoded[end].context.count + encoded[end].longestContinuation)
                if end > start && needed * (end - start + 1) > cachedTokensPerPass { break }
                capacity = needed
                end += 1
            }
            let pass = Array(start..<end)
            if session == nil || session!.sequenceCount < pass.count || session!.capacity < capacity {
                session = nil   // release the old cache before allocating the new one
                session = InferenceSession(model: model, sequences: pass.count, capacity: capacity)
            }
            let cache = session!
            cache.reset()

            // Contexts: the logits after each context's last token score every choice's first token.
            cache.run(pass.enumerated().map { (sequence: $0.offset, tokens: encoded[$0.element].context) }, logits: &logits)
            var requests: [(row: Int, target: Int32, item: Int, choice: Int)] = []
            for (row, i) in pass.enumerated() {
                for (j, continuation) in encoded[i].continuations.enumerated() {
                    requests.append((row, continuation[0], i, j))
                }
            }
            accumulate(requests, logits: logits, vocabulary: vocabulary, into: &sums)

            // Choice j of every item in one pass; the row after token t scores token t + 1.
            let widest = pass.map { encoded[$0].continuations.count }.max() ?? 0
            for j in 0..<widest {
                var chunks: [(sequence: Int, tokens: [Int32])] = []
                requests.removeAll(keepingCapacity: true)
                var row = 0
                for (sequence, i) in pass.enumerated() where j < encoded[i].continuations.count {
                    let continuation = encoded[i].continuations[j]
                    guard continuation.count > 1 else { continue }
                    chunks.append((sequence, Array(continuation.dropLast())))
                    for t in 1..<continuation.count {
                        requests.append((row, continuation[t], i, j))
                        row += 1
                    }
                }
                guard !chunks.isEmpty else { continue }
                cache.run(chunks, logits: &logits, allPositions: true)
                accumulate(requests, logits: logits, vocabulary: vocabulary, into: &sums)
                for (sequence, _) in chunks { cache.truncate(sequence: sequence, to: encoded[pass[sequence]].context.count) }
            }
            progress?(end, encoded.count)
            start = end
        }
        return sums
    }

    /// ``Strategy/paddedBatch``: returns the per-choice sums of every item.
    func scoreWithPaddedBatches(_ encoded: [Encoded], progress: ((Int, Int) -> Void)?) -> [[Double]] {
        var sums = encoded.map { [Double](repeating: 0, count: $0.continuations.count) }
        let vocabulary = model.configuration.vocabularySize
        let pairs = encoded.indices.flatMap { i in encoded[i].continuations.indices.map { (item: i, choice: $0) } }
        func length(_ p: (item: Int, choice: Int)) -> Int {
            encoded[p.item].context.count + encoded[p.item].continuations[p.choice].count
        }
        var start = 0
        while start < pairs.count {
            var end = start, longest = 0
            while end < pairs.count {
                let needed = Swift.max(longest, length(pairs[end]))
                if end > start && needed * (end - start + 1) > tokensPerPass { break }
                longest = needed
                end += 1
            }
            let rows = pairs[start..<end].map { encoded[$0.item].context + encoded[$0.item].continuations[$0.choice] }
            let batch = TokenBatch(padding: rows)
            let logits = model(batch).value                                   // [B, T, V]
            var requests: [(row: Int, target: Int32, item: Int, choice: Int)] = []
            for (b, pair) in pairs[start..<end].enumerated() {
                let context = encoded[pair.item].context.count
                for (t, token) in encoded[pair.item].continuations[pair.choice].enumerated() {
                    requests.append((b * batch.length + context - 1 + t, token, pair.item, pair.choice))
                }
            }
            accumulate(requests, logits: logits, vocabulary: vocabulary, into: &sums)
            progress?(end == pairs.count ? encoded.count : pairs[end].item, encoded.count)
            start = end
        }
        return sums
    }

    /// Adds `log softmax(logits[row])[target]` to `sums[item][choice]` for every request; the
    /// rows are computed in parallel and added in request order.
    private func accumulate(_ requests: [(row: Int, target: Int32, item: Int, choice: Int)], logits: Tensor,
                            vocabulary: Int, into sums: inout [[Double]]) {
        var values = [Double](repeating: 0, count: requests.count)
        logits.withUnsafeBufferPointer { p in
            values.withUnsafeMutableBufferPointer { out in
                let shared = RowPointers(logits: p.baseAddress!, results: out.baseAddress!)
                parallelChunks(total: requests.count, grain: 4) { _, range in
                    for r in range {
                        let request = requests[r]
                        shared.results[r] = logProbability(row: shared.logits + request.row * vocabulary, count: vocabulary,
                                                           target: Int(request.target))
                    }
                }
            }
        }
        for (r, request) in requests.enumerated() { sums[request.item][request.choice] += values[r] }
    }
}

/// The logits and the output handed to ``parallelChunks(total:grain:_:)``'s workers (each
/// writes its own results).
private struct RowPointers: @unchecked Sendable {
    let logits: UnsafePointer<Float>
    let results: UnsafeMutablePointer<Double>
}

/// `log softmax(row)[target] = row[target] − m − log Σ_j exp(row[j] − m)` with `m = max_j row[j]`,
/// in `Double`.
func logProbability(row: UnsafePointer<Float>, count: Int, target: Int) -> Double {
    check(target >= 0 && target < count, "logProbability: target \(target) is outside 0..<\(count)")
    var m = -Double.infinity
    for j in 0..<count { m = Swift.max(m, Double(row[j])) }
    var sum = 0.0
    for j in 0..<count { sum += Foundation.exp(Double(row[j]) - m) }
    return Double(row[target]) - m - Foundation.log(sum)
}
