import Dispatch
import Foundation

/// Encoding many documents on several threads (each document on one thread, as tiktoken's
/// `encode_batch` does); the ids are the same as encoding each document alone.
extension Tokenizer {
    /// The ids of each document, documents spread over `threads` threads.
    /// - Parameters:
    ///   - documents: byte sequences (any bytes).
    ///   - parseSpecialTokens: as in ``encode(bytes:parseSpecialTokens:)``. Default true.
    ///   - threads: worker count, at least 1. Default: the active processor count.
    /// - Returns: one id list per document, in order.
    public func encode(batch documents: [[UInt8]], parseSpecialTokens: Bool = true,
                       threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [[Int]] {
        guard threads >= 1 else { fatalError("Tokenizer.encode(batch:): threads must be at least 1, got \(threads)") }
        let results = BatchResults(count: documents.count)
        let workers = min(threads, documents.count)
        if workers <= 1 {
            return documents.map { encode(bytes: $0, parseSpecialTokens: parseSpecialTokens) }
        }
        // Static interleaved assignment: worker w takes documents w, w + workers, …
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: documents.count, by: workers) {
                results.store(index, encode(bytes: documents[index], parseSpecialTokens: parseSpecialTokens))
            }
        }
        return results.values
    }
}

/// Per-document result slots written by distinct workers (each index written once).
private final class BatchResults: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<[Int]>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: [], count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func store(_ index: Int, _ ids: [Int]) { slots[index] = ids }

    var values: [[Int]] { Array(UnsafeBufferPointer(start: slots, count: count)) }
}
