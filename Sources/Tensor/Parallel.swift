import Dispatch
import Foundation
internal import COpenBLAS

/// How many threads Lore's own loops and OpenBLAS may use.
///
/// The default is `LORE_NUM_THREADS` when set, else the number of active processors.
/// Setting ``count`` also calls `openblas_set_num_threads`, so BLAS follows (OpenBLAS reads
/// `OPENBLAS_NUM_THREADS` only once, when the library loads).
public enum Threads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var _count: Int = {
        let fromEnvironment = ProcessInfo.processInfo.environment["LORE_NUM_THREADS"].flatMap(Int.init)
        let n = max(1, fromEnvironment ?? ProcessInfo.processInfo.activeProcessorCount)
        if fromEnvironment != nil { openblas_set_num_threads(Int32(n)) }
        return n
    }()

    /// Reads the setting once so that `LORE_NUM_THREADS` reaches OpenBLAS before the first
    /// BLAS call, even in a program that never asks for ``count``. Cheap after the first use.
    static let applied: Bool = { _ = count; return true }()

    /// Worker threads for Lore's loops and for OpenBLAS (at least 1).
    public static var count: Int {
        get { lock.withLock { _count } }
        set {
            let n = max(1, newValue)
            lock.withLock { _count = n }
            openblas_set_num_threads(Int32(n))
        }
    }

    /// The thread count OpenBLAS reports it will use.
    public static var blasCount: Int { Int(openblas_get_num_threads()) }
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
/// ``Threads/count`` threads.
///
/// Chunk boundaries depend only on `total` and `grain`, never on the thread count, and worker
/// `w` takes chunks `w, w + workers, …`; a reduction that keeps one partial per chunk and
/// combines them in chunk order is therefore bitwise reproducible on any machine and any
/// thread count. Small work (one chunk) runs inline with no dispatch cost.
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
    if workers == 1 {
        for c in 0..<chunks { body(c, (c * grain)..<min(total, (c + 1) * grain)) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let shared = UnsafeTransfer(escapable)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var c = w
            while c < chunks {
                shared.value(c, (c * grain)..<min(total, (c + 1) * grain))
                c += workers
            }
        }
    }
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
