import Foundation
import Synchronization
internal import COpenBLAS

/// Lore's persistent worker threads: what ``parallelChunks(total:grain:_:)`` runs on.
///
/// A training step makes hundreds of parallel calls of 10–500 µs each (elementwise ops,
/// normalisations, the blocks of every matrix product). Waking a sleeping libdispatch worker
/// costs about as much as such a call saves (measured here: `a += b` on 256 Ki floats took
/// 19 µs on one thread, 24–77 µs through `DispatchQueue.concurrentPerform` on two, 9 µs on a
/// pool whose worker is awake).
///
/// Design: `Threads.count − 1` threads, created on first use, each waiting on its own ticket.
/// ``run(chunks:workers:_:)`` publishes the job and advances the tickets of the workers it
/// needs; then the caller and the workers claim chunk indices from one atomic counter until
/// none are left. The caller never waits for a worker that has not started: a worker that
/// wakes late finds the chunks taken (or the job closed) and goes back to waiting, so a busy
/// machine costs parallelism, not latency. An idle worker spins (`pause`) for
/// ``spinNanoseconds`` after its last job, so back-to-back calls find it awake, then sleeps on
/// a condition variable until its ticket moves.
///
/// One job at a time: a call made while the pool is busy — from inside a job (nested
/// parallelism) or from another thread — gets `false` and runs its chunks on its own thread.
/// Work is therefore never lost or deadlocked, and threaded work never nests.
@usableFromInline
final class WorkerPool: @unchecked Sendable {
    @usableFromInline static let shared = WorkerPool()

    /// How long an idle worker keeps spinning before it sleeps (200 µs): longer than the gaps
    /// between the parallel calls of a training step, short enough not to hold a core for long.
    static let spinNanoseconds: UInt64 = 200_000

    private let busy = Atomic<Bool>(false)
    /// The next unclaimed chunk of the current job.
    private let next = Atomic<Int>(0)
    /// Workers inside the current job (claiming or running chunks).
    private let active = Atomic<Int>(0)
    /// Set once every chunk is claimed: a worker arriving later must not touch the job.
    private let closed = Atomic<Bool>(true)
    /// The current job (a closure, or a split product) and its chunk count; written only by
    /// the owner of `busy` while `closed`.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    nonisolated(unsafe) private var product: SplitProduct?
    nonisolated(unsafe) private var chunkCount = 0
    /// Grown only by the owner of `busy`.
    nonisolated(unsafe) private var workers: [Worker] = []

    private init() {}

    /// Runs `body(c)` for every `c` in `0..<chunks`, on the calling thread and up to
    /// `workers − 1` pool threads, returning when all are done; `false` (and nothing run) when
    /// the pool is busy. (One heap allocation per call: `withoutActuallyEscaping`'s check box.)
    @usableFromInline
    func run(chunks: Int, workers count: Int, _ body: (Int) -> Void) -> Bool {
        exclusively {
            withoutActuallyEscaping(body) { escapable in
                job = escapable
                execute(chunks: chunks, workers: count)
                job = nil
            }
        }
    }

    /// Runs the blocks of a split matrix product as ``run(chunks:workers:_:)`` does, without
    /// a closure, so that a product makes no heap allocation (allocation-free decoding).
    func run(_ product: SplitProduct, workers count: Int) -> Bool {
        exclusively {
            self.product = product
            execute(chunks: product.parts, workers: count)
            self.product = nil
        }
    }

    /// Runs `body` as the pool's one owner; `false` (and `body` not run) when it is busy.
    private func exclusively(_ body: () -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        body()
        return true
    }

    /// Publishes the job set by the caller (the owner of `busy`) and runs it to completion.
    private func execute(chunks: Int, workers count: Int) {
        let helpers = Swift.min(count, chunks) - 1
        while workers.count < helpers { workers.append(Worker(pool: self, index: workers.count + 1)) }
        chunkCount = chunks
        next.store(0, ordering: .relaxed)
        closed.store(false, ordering: .sequentiallyConsistent)
        for w in 0..<Swift.max(0, helpers) { workers[w].wake() }
        claimChunks()
        closed.store(true, ordering: .sequentiallyConsistent)
        // Wait only for workers that joined before the job closed (they are running a chunk).
        var spins = 0
        while active.load(ordering: .sequentiallyConsistent) != 0 {
            spins += 1
            if spins < 1 << 12 { lore_cpu_relax() } else { sched_yield() }
        }
    }

    private func claimChunks() {
        while true {
            let c = next.add(1, ordering: .relaxed).newValue - 1
            guard c < chunkCount else { return }
            if let product { product.run(part: c) } else { job!(c) }
        }
    }

    /// Called by a worker whose ticket has moved: joins the job unless it has closed.
    fileprivate func join() {
        active.add(1, ordering: .sequentiallyConsistent)
        if !closed.load(ordering: .sequentiallyConsistent) { claimChunks() }
        active.subtract(1, ordering: .sequentiallyConsistent)
    }
}

/// One pool thread and its wake-up machinery.
private final class Worker: @unchecked Sendable {
    private let ticket = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(pool: WorkerPool, index: Int) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        let thread = Thread { [self] in self.loop(pool: pool, index: index) }
        thread.name = "lore-worker-\(index)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Advances the ticket; signals the thread if it sleeps. (Sequentially consistent with the
    /// worker's `sleeping` store and ticket re-check, so one of the two always sees the other.)
    func wake() {
        ticket.add(1, ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .sequentiallyConsistent) {
            pthread_mutex_lock(mutex)
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    private func loop(pool: WorkerPool, index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var started: UInt64 = 0
            while ticket.load(ordering: .acquiring) == seen {
                spins += 1
                lore_cpu_relax()
                guard spins & 255 == 0 else { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if started == 0 { started = now; continue }
                guard now - started > WorkerPool.spinNanoseconds else { continue }
                pthread_mutex_lock(mutex)
                sleeping.store(true, ordering: .sequentiallyConsistent)
                while ticket.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(condition, mutex) }
                sleeping.store(false, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = ticket.load(ordering: .acquiring)
            pool.join()
        }
    }
}
