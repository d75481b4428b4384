import Dispatch

/// What a stage did to one document.
public enum StageOutcome: Sendable, Equatable {
    /// Passed on unchanged.
    case kept
    /// Passed on with its text changed; `reasons` name what changed (`"mojibake"`,
    /// `"whitespace"`, …) and are tallied in the stage's report.
    case modified(reasons: [String])
    /// Taken out of the output (and written to the rejects file).
    case removed(Removal)
}

/// Why a stage removed a document: the rule, the value it measured, and a readable detail.
public struct Removal: Sendable, Equatable {
    /// The rule that fired, e.g. `"word_count"` or `"exact_duplicate"`.
    public var reason: String
    /// The measured value the rule compared with its threshold (nil when there is none).
    public var value: Double?
    /// A readable explanation, e.g. `"3 words < min_words 5"` or `"same text as a.jsonl:12"`.
    public var detail: String?

    public init(reason: String, value: Double? = nil, detail: String? = nil) {
        self.reason = reason
        self.value = value
        self.detail = detail
    }
}

/// A step of a curation pipeline.
///
/// The pipeline hands a stage one shard of documents at a time, shards in input order; the
/// stage returns one ``StageOutcome`` per document (same order) and may change the documents'
/// text. Removed documents are not shown to later stages.
///
/// Most stages decide each document on its own: conform to ``DocumentStage`` and write
/// ``DocumentStage/apply(to:)``; the shard is then spread over the worker threads. Stages that
/// compare documents with each other (deduplication) implement ``process(_:workers:)`` directly:
/// typically a parallel pass that computes a key per document, then a sequential pass in input
/// order that decides — so the result never depends on thread timing.
public protocol Stage: PipelineStage {

    /// Processes one shard in input order.
    /// - Parameters:
    ///   - documents: the shard's surviving documents; a stage may change their text.
    ///   - workers: threads the stage may use (at least 1).
    /// - Returns: one outcome per document, in order.
    func process(_ documents: inout [Document], workers: Int) -> [StageOutcome]

    /// Called once after the last shard; a stage that keeps state may add lines to the report
    /// (e.g. duplicate-cluster counts). Default: none.
    func finish() -> [String]
}

extension Stage {
    public func finish() -> [String] { [] }
}

/// A stage that decides each document independently of all others.
public protocol DocumentStage: Stage {
    /// Looks at (and may change) one document. Called from several threads at once.
    func apply(to document: inout Document) -> StageOutcome
}

extension DocumentStage {
    /// Spreads the shard over `workers` threads in fixed chunks; outcomes keep input order.
    public func process(_ documents: inout [Document], workers: Int) -> [StageOutcome] {
        var outcomes = [StageOutcome](repeating: .kept, count: documents.count)
        documents.withUnsafeMutableBufferPointer { docs in
            outcomes.withUnsafeMutableBufferPointer { results in
                let box = ParallelBox(docs: docs, results: results)
                Parallel.forEachChunk(count: docs.count, workers: workers) { range in
                    for index in range {
                        box.results[index] = self.apply(to: &box.docs[index])
                    }
                }
            }
        }
        return outcomes
    }
}

/// Unsafe buffers shared by worker threads that each write distinct indices.
private struct ParallelBox: @unchecked Sendable {
    let docs: UnsafeMutableBufferPointer<Document>
    let results: UnsafeMutableBufferPointer<StageOutcome>
}

/// Fixed-chunk parallel loops for Curation (which does not import `Tensor`'s helpers).
public enum Parallel {
    /// Runs `body` over `0..<count` split into chunks of about `count / (workers × 8)` items
    /// (at least one), chunks handed out to `workers` threads by `DispatchQueue.concurrentPerform`.
    /// Each index is visited exactly once; results written per index never depend on timing.
    public static func forEachChunk(count: Int, workers: Int, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        if workers <= 1 || count == 1 {
            body(0..<count)
            return
        }
        let chunks = min(count, workers * 8)
        let size = (count + chunks - 1) / chunks
        let chunkCount = (count + size - 1) / size
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            body((chunk * size)..<min(count, (chunk + 1) * size))
        }
    }

    /// `body` run on fixed chunks of `0..<count` (about `workers × 8` of them) on `workers`
    /// threads; the chunks' results concatenated in chunk order.
    public static func mapChunks<T: Sendable>(count: Int, workers: Int, _ body: @Sendable (Range<Int>) -> [T]) -> [T] {
        guard count > 0 else { return [] }
        let chunks = workers <= 1 ? 1 : min(count, workers * 8)
        let size = (count + chunks - 1) / chunks
        let chunkCount = (count + size - 1) / size
        var parts = [[T]](repeating: [], count: chunkCount)
        parts.withUnsafeMutableBufferPointer { buffer in
            let box = PartsBox(buffer: buffer)
            if chunkCount == 1 {
                box.buffer[0] = body(0..<count)
            } else {
                DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                    box.buffer[chunk] = body((chunk * size)..<min(count, (chunk + 1) * size))
                }
            }
        }
        return parts.flatMap { $0 }
    }

    /// `transform` applied to every index of `0..<count` on `workers` threads, results in order.
    public static func map<T: Sendable>(count: Int, workers: Int, _ transform: @Sendable (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            let box = ResultBox(buffer: buffer)
            forEachChunk(count: count, workers: workers) { range in
                for index in range { box.buffer[index] = transform(index) }
            }
        }
        return results.map { $0! }
    }
}

private struct PartsBox<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<[T]>
}

private struct ResultBox<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T?>
}
