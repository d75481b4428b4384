import Foundation
internal import COpenBLAS

/// How many threads Lore uses.
///
/// The default is `LORE_NUM_THREADS` when set, else the number of active processors. Lore's
/// own loops (``parallelChunks(total:grain:_:)``) run on that many threads of its
/// persistent worker pool, and so do matrix products: OpenBLAS itself is kept at one thread
/// and each large product is split into one single-threaded BLAS call per worker (see
/// `sgemmRowMajor`). One set of threads does all the work, so a BLAS call never runs threaded
/// inside one of Lore's parallel loops, and OpenBLAS's idle threads never spin against
/// Lore's for a core.
public enum Threads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var _count: Int = {
        openblas_set_num_threads(1)
        let fromEnvironment = ProcessInfo.processInfo.environment["LORE_NUM_THREADS"].flatMap(Int.init)
        return max(1, fromEnvironment ?? ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Reads the setting once so that OpenBLAS is set to one thread before the first BLAS
    /// call, even in a program that never asks for ``count``. Cheap after the first use.
    static let applied: Bool = { _ = count; return true }()

    /// Threads for Lore's loops and matrix products (at least 1).
    public static var count: Int {
        get { lock.withLock { _count } }
        set {
            let n = max(1, newValue)
            lock.withLock { _count = n }
        }
    }

    /// The thread count OpenBLAS reports it will use for one call: 1 once Lore has run (Lore
    /// splits products across its own threads instead).
    public static var blasCount: Int { _ = applied; return Int(openblas_get_num_threads()) }
}

/// Wraps a value (typically a pointer) so it can cross into a concurrent loop.
///
/// Only for data that the loop's chunks read, or write at disjoint offsets.
@usableFromInline
struct UnsafeTransfer<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @usableFromInline init(_ value: Value) { self.value = value }
}

/// Runs `body` over `0..<total` split into chunks of `grain` elements, on up to
/// ``Threads/count`` threads of Lore's worker pool.
///
/// Chunk boundaries depend only on `total` and `grain`, never on the thread count (threads
/// claim chunks in turn, in any order); a reduction that keeps one partial per chunk and
/// combines them in chunk order is therefore bitwise reproducible on any machine and any
/// thread count. Small work (one chunk) runs inline with no dispatch cost, and so does a call
/// made while the pool is busy (from inside another parallel loop, or from a second thread):
/// its chunks then run in order on the calling thread.
///
/// - Parameters:
///   - total: number of elements (or rows) to cover.
///   - grain: elements per chunk (at least 1).
///   - body: called once per chunk with its index and its range.
@inlinable
public func parallelChunks(total: Int, grain: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let grain = max(1, grain)
    let chunks = (total + grain - 1) / grain
    if chunks <= 1 {
        if total > 0 { body(0, 0..<total) }
        return
    }
    let workers = min(Threads.count, chunks)
    if workers > 1, WorkerPool.shared.run(chunks: chunks, workers: workers, { c in
        body(c, (c * grain)..<min(total, (c + 1) * grain))
    }) {
        return
    }
    // One thread, or the pool is busy: the chunks in order on this thread.
    for c in 0..<chunks { body(c, (c * grain)..<min(total, (c + 1) * grain)) }
}

/// Number of chunks ``parallelChunks(total:grain:_:)`` will use, for sizing partial buffers.
@inlinable
public func chunkCount(total: Int, grain: Int) -> Int {
    let grain = max(1, grain)
    return (total + grain - 1) / grain
}

/// Default chunk size for memory-bound elementwise loops: 64 Ki floats (256 KiB), so a
/// 16 M-element op splits into 256 chunks and tiny tensors run inline.
public let elementwiseGrain = 1 << 16
