import Testing
import _TestSupport
@testable import Tensor

@Suite("Threads")
struct ThreadsTests {
    @Test func settingThreadsReachesOpenBLAS() {
        withThreadCount(1) {
            #expect(Threads.count == 1)
            #expect(Threads.blasCount == 1)
        }
        withThreadCount(2) {
            #expect(Threads.blasCount == 2)
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
}
