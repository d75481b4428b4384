import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// Multiples of 1/16 in [-2, 2]: sums of a few hundred products are exact in Float32, so any
/// difference from the reference is an indexing bug, not rounding.
private func gridValues(_ count: Int, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Float(Int(g.next() % 65) - 32) / 16 }
}

/// Products large enough to be split across Lore's threads (`parallelProductWork`,
/// `parallelVectorProductWork`), with row strides wider than the rows, every transpose and
/// accumulation: equal to a naive reference, and the same on 1, 2 and 3 threads (the values are
/// exact in Float32, so any difference is an indexing bug).
@Suite("Parallel products")
struct ParallelProductTests {
    @Test(arguments: [(257, 96, 130), (33, 260, 300), (300, 260, 33), (1, 700, 300), (700, 300, 1), (17, 2000, 70)])
    func splitProductsMatchReferenceOnAnyThreadCount(m: Int, k: Int, n: Int) {
        #expect(m * n * k >= (m == 1 || n == 1 ? parallelVectorProductWork : parallelProductWork))
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for accumulate in [false, true] {
                    // Stored shapes with 3 extra columns of padding per row.
                    let (aRows, aColumns) = transposeA ? (k, m) : (m, k)
                    let (bRows, bColumns) = transposeB ? (n, k) : (k, n)
                    let lda = aColumns + 3, ldb = bColumns + 3, ldc = n + 3
                    let a = gridValues(aRows * lda, seed: 1), b = gridValues(bRows * ldb, seed: 2)
                    let c0 = gridValues(m * ldc, seed: 3)
                    var want = c0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum: Double = accumulate ? Double(c0[i * ldc + j]) : 0
                            for p in 0..<k {
                                let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                                let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                                sum += Double(x) * Double(y)
                            }
                            want[i * ldc + j] = Float(sum)
                        }
                    }
                    var results: [[Float]] = []
                    for threads in [1, 2, 3] {
                        var c = c0
                        withThreadCount(threads) {
                            a.withUnsafeBufferPointer { pa in
                                b.withUnsafeBufferPointer { pb in
                                    c.withUnsafeMutableBufferPointer { pc in
                                        sgemmRowMajor(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                                      pa.baseAddress!, lda: lda, pb.baseAddress!, ldb: ldb,
                                                      pc.baseAddress!, ldc: ldc, accumulate: accumulate)
                                    }
                                }
                            }
                        }
                        results.append(c)
                    }
                    let label = "m \(m) k \(k) n \(n) tA \(transposeA) tB \(transposeB) accumulate \(accumulate)"
                    #expect(results[0] == want, "\(label): 1 thread differs from the reference")
                    #expect(results[1] == results[0] && results[2] == results[0], "\(label): depends on the thread count")
                }
            }
        }
    }

    /// With rounding, a split product is reproducible bit for bit on the same thread count;
    /// across thread counts OpenBLAS's kernels may round the blocks' edges differently (as its own
    /// threading does), within Float32 rounding.
    @Test func randomValuesAreReproducibleAndCloseAcrossThreadCounts() {
        var g = SeededGenerator(seed: 5)
        let a = Tensor.randomNormal([512, 192], using: &g), b = Tensor.randomNormal([192, 384], using: &g)
        let one = withThreadCount(1) { Tensor.matmul(a, b) }
        let two = withThreadCount(2) { Tensor.matmul(a, b) }
        let again = withThreadCount(2) { Tensor.matmul(a, b) }
        #expect(two == again)
        assertClose(two, one, rtol: 1e-5, atol: 1e-5)
        assertClose(two, LinalgReference.matmul(a, b), rtol: 1e-4, atol: 1e-4)
    }
}
