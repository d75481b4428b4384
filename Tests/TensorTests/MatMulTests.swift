import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// Values that are multiples of 1/16 in [-2, 2]: products and sums of a few hundred of them
/// are exact in Float32, so BLAS and the Double reference agree to the last bit whatever the
/// summation order — any difference is an indexing bug, not rounding.
private func grid(_ shape: [Int], seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let n = Tensor.elementCount(shape)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in Float(Int(g.next() % 65) - 32) / 16 })
}

/// Stored shape of an operand whose `op` is `[rows, columns]` with the given batch prefix.
private func stored(_ batch: [Int], _ rows: Int, _ columns: Int, transposed: Bool) -> [Int] {
    batch + (transposed ? [columns, rows] : [rows, columns])
}

@Suite("MatMul")
struct MatMulTests {
    @Test(arguments: [(1, 1, 1), (7, 33, 5), (33, 1, 7), (1, 7, 33), (7, 33, 1), (1, 33, 1), (65, 130, 48)])
    func twoDimensionalAllTransposes(m: Int, k: Int, n: Int) {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = grid(stored([], m, k, transposed: transposeA), seed: 1)
                let b = grid(stored([], k, n, transposed: transposeB), seed: 2)
                let got = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
                let want = LinalgReference.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
                #expect(got.shape == [m, n])
                assertClose(got, want, "m \(m) k \(k) n \(n) tA \(transposeA) tB \(transposeB)")
            }
        }
    }

    @Test func randomNormalValuesWithinTolerance() {
        var g = SeededGenerator(seed: 9)
        let a = Tensor.randomNormal([33, 70], using: &g)
        let b = Tensor.randomNormal([70, 7], using: &g)
        assertClose(Tensor.matmul(a, b), LinalgReference.matmul(a, b), rtol: 1e-5, atol: 1e-5)
        #expect(a.matmul(b) == Tensor.matmul(a, b))
    }

    @Test(arguments: [
        ([2, 3, 4, 5], [5, 6], false, false, [2, 3, 4, 6]),          // b one matrix: one sgemm
        ([2, 3, 4, 5], [6, 5], false, true, [2, 3, 4, 6]),
        ([1, 3, 4, 5], [2, 1, 5, 6], false, false, [2, 3, 4, 6]),    // both broadcast
        ([2, 3, 5, 4], [3, 6, 5], true, true, [2, 3, 4, 6]),         // transposed batched
        ([2, 3, 5, 4], [5, 6], true, false, [2, 3, 4, 6]),           // transposeA: no folding
        ([4, 5], [3, 5, 6], false, false, [3, 4, 6]),                // a one matrix
        ([3, 1, 5], [3, 5, 6], false, false, [3, 1, 6]),             // m = 1 per batch (gemv)
        ([3, 4, 5], [3, 5, 1], false, false, [3, 4, 1]),             // n = 1 per batch (gemv)
        ([2, 4, 5], [1, 1, 5, 6], false, false, [1, 2, 4, 6]),       // b batch of ones
        ([2, 3, 4, 5], [5], false, false, [2, 3, 4]),                // batched × vector
        ([5], [2, 5, 6], false, false, [2, 6]),                      // vector × batched
        ([5], [2, 6, 5], false, true, [2, 6]),
    ])
    func batchedBroadcasting(aShape: [Int], bShape: [Int], transposeA: Bool, transposeB: Bool, expected: [Int]) {
        let a = grid(aShape, seed: 3), b = grid(bShape, seed: 4)
        let got = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        #expect(got.shape == expected)
        assertClose(got, LinalgReference.matmul(a, b, transposeA: transposeA, transposeB: transposeB))
    }

    @Test func matrixVectorBothWaysAndDot() {
        let a = grid([7, 33], seed: 5), x = grid([33], seed: 6), y = grid([7], seed: 7)
        assertClose(Tensor.matmul(a, x), LinalgReference.matmul(a, x))
        assertClose(Tensor.matvec(a, x), LinalgReference.matmul(a, x))
        assertClose(Tensor.matvec(a, y, transposeA: true), LinalgReference.matmul(a, y, transposeA: true))
        assertClose(Tensor.matmul(y, a), LinalgReference.matmul(y, a))                   // [7]·[7,33] → [33]
        assertClose(Tensor.matmul(x, a, transposeB: true), LinalgReference.matmul(x, a, transposeB: true))
        let dot = Tensor.matmul(x, x)
        #expect(dot.shape == [])
        #expect(dot.scalar == x.scalars.reduce(0) { $0 + $1 * $1 })
    }

    @Test func zeroSizedDimensions() {
        // k = 0: a sum of nothing is 0, also over garbage in `out`.
        for (tA, tB) in [(false, false), (true, true)] {
            let a = Tensor.zeros(stored([], 3, 0, transposed: tA)), b = Tensor.zeros(stored([], 0, 4, transposed: tB))
            #expect(Tensor.matmul(a, b, transposeA: tA, transposeB: tB) == Tensor.zeros([3, 4]))
            var out = Tensor.full([3, 4], .nan)
            Tensor.matmul(a, b, transposeA: tA, transposeB: tB, into: &out)
            #expect(out == Tensor.zeros([3, 4]))
            var sum = Tensor.full([3, 4], 2)
            Tensor.matmul(a, b, transposeA: tA, transposeB: tB, into: &sum, accumulate: true)
            #expect(sum == Tensor.full([3, 4], 2))
        }
        #expect(Tensor.matmul(Tensor.zeros([2, 3, 0]), Tensor.zeros([0, 1])) == Tensor.zeros([2, 3, 1]))
        #expect(Tensor.matmul(Tensor.zeros([0]), Tensor.zeros([0])) == Tensor(0))
        // m = 0, n = 0, batch = 0: empty results of the right shape.
        #expect(Tensor.matmul(Tensor.zeros([0, 5]), grid([5, 4], seed: 1)).shape == [0, 4])
        #expect(Tensor.matmul(grid([3, 5], seed: 1), Tensor.zeros([5, 0])).shape == [3, 0])
        #expect(Tensor.matmul(Tensor.zeros([0, 3, 5]), Tensor.zeros([2, 1, 5, 4])).shape == [2, 0, 3, 4])
    }

    @Test func accumulateAddsToOut() {
        let a = grid([2, 7, 33], seed: 8), b = grid([33, 5], seed: 9)
        let c = grid([2, 7, 5], seed: 10)
        var out = c
        Tensor.matmul(a, b, into: &out, accumulate: true)
        let want = Tensor(shape: c.shape, scalars: zip(c.scalars, LinalgReference.matmul(a, b).scalars).map { $0 + $1 })
        assertClose(out, want)
        #expect(c == grid([2, 7, 5], seed: 10), "copy-on-write left the original alone")
        // Per-batch path, and the gemv path, with accumulate.
        let at = grid([2, 33, 7], seed: 11)
        var out2 = c
        Tensor.matmul(at, b, transposeA: true, into: &out2, accumulate: true)
        assertClose(out2, Tensor(shape: c.shape, scalars: zip(c.scalars, LinalgReference.matmul(at, b, transposeA: true).scalars).map { $0 + $1 }))
        let x = grid([33], seed: 12)
        var v = grid([7], seed: 13)
        let v0 = v
        Tensor.matmul(a.select(alongAxis: 0, index: 0), x, into: &v, accumulate: true)
        assertClose(v, Tensor(shape: [7], scalars: zip(v0.scalars, LinalgReference.matmul(a.select(alongAxis: 0, index: 0), x).scalars).map { $0 + $1 }))
    }

    @Test func overwritesGarbageInOut() {
        // beta = 0 must not read `out`: NaN there must not leak into the result.
        for (m, n) in [(7, 5), (1, 5), (7, 1)] {
            let a = grid([m, 33], seed: 14), b = grid([33, n], seed: 15)
            var out = Tensor.full([m, n], .nan)
            Tensor.matmul(a, b, into: &out)
            assertClose(out, LinalgReference.matmul(a, b), "m \(m) n \(n)")
        }
    }

    @Test func innerDimensionMismatchStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]), transposeB: true)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4, 5]") && message.contains("transposeB: true"))
    }

    @Test func wrongOutShapeStops() async {
        await #expect(processExitsWith: .failure) {
            var out = Tensor.zeros([3, 3])
            Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([3, 5]), into: &out)
        }
    }
}
