import Dispatch
import Testing
import _TestSupport
@testable import Tensor

@Suite("Threads")
struct ThreadsTests {
    @Test func openBLASStaysSingleThreaded() {
        withThreadCount(1) {
            #expect(Threads.count == 1)
            #expect(Threads.blasCount == 1)
        }
        withThreadCount(2) {
            #expect(Threads.count == 2)
            #expect(Threads.blasCount == 1, "Lore splits products across its own threads")
        }
        withThreadCount(0) {
            #expect(Threads.count == 1, "clamped to at least one thread")
        }
    }

    @Test func chunksAreFixedAndCoverEverything() {
        for threads in [1, 2, 3] {
            withThreadCount(threads) {
                let total = 1_000_003, grain = 4096
                let chunks = chunkCount(total: total, grain: grain)
                let ranges = UnsafeMutableBufferPointer<Range<Int>>.allocate(capacity: chunks)
                defer { ranges.deallocate() }
                ranges.initialize(repeating: 0..<0)
                parallelChunks(total: total, grain: grain) { chunk, range in ranges[chunk] = range }
                var next = 0
                for c in 0..<chunks {
                    #expect(ranges[c].lowerBound == next)
                    #expect(ranges[c].count == min(grain, total - next))
                    next = ranges[c].upperBound
                }
                #expect(next == total)
            }
        }
    }

    /// A parallel loop inside a parallel loop, and parallel loops started from several threads
    /// at once, all run every chunk exactly once (the busy pool makes them run inline).
    @Test func nestedAndConcurrentLoopsRunEveryChunkOnce() {
        withThreadCount(2) {
            let outer = 8, inner = 1000
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: outer * inner)
            defer { counts.deallocate() }
            counts.initialize(repeating: 0)
            parallelChunks(total: outer, grain: 1) { o, _ in
                parallelChunks(total: inner, grain: 10) { _, range in
                    for i in range { counts[o * inner + i] += 1 }
                }
            }
            #expect(counts.allSatisfy { $0 == 1 })

            let callers = 4, total = 100_000
            let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers * chunkCount(total: total, grain: 1000))
            defer { sums.deallocate() }
            sums.initialize(repeating: 0)
            let shared = UnsafeTransfer(sums)
            DispatchQueue.concurrentPerform(iterations: callers) { caller in
                for _ in 0..<50 {
                    parallelChunks(total: total, grain: 1000) { chunk, range in
                        shared.value[caller * 100 + chunk] += range.count
                    }
                }
            }
            #expect(sums.reduce(0, +) == callers * 50 * total)
        }
    }
}
