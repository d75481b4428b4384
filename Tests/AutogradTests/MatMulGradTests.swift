import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// `shape` as stored when the operand enters transposed (last two axes swapped).
private func stored(_ shape: [Int], transposed: Bool) -> [Int] {
    guard transposed, shape.count >= 2 else { return shape }
    var s = shape
    s.swapAt(s.count - 1, s.count - 2)
    return s
}

@Suite("MatMul gradients")
struct MatMulGradTests {
    /// `op(a)` and `op(b)` shapes: plain, batched, broadcast batch, and 1-D operands.
    static let cases: [([Int], [Int])] = [
        ([3, 4], [4, 5]),
        ([1, 1], [1, 1]),
        ([2, 3, 4], [4, 5]),          // b one matrix: dB folds the batch into rows
        ([3, 4], [2, 4, 5]),          // a broadcast over the batch
        ([2, 1, 3, 4], [3, 4, 5]),    // batch [2, 1] × [3] → [2, 3]
        ([2, 3, 4], [2, 4, 5]),
        ([1, 3, 4], [2, 4, 5]),
        ([4], [4, 5]), ([3, 4], [4]), ([4], [4]), ([4], [2, 4, 5]), ([2, 3, 4], [4]),
    ]

    @Test(arguments: cases)
    func productAndGradients(_ opA: [Int], _ opB: [Int]) {
        for transposeA in opA.count >= 2 ? [false, true] : [false] {
            for transposeB in opB.count >= 2 ? [false, true] : [false] {
                let a = OpsHarness.uniform(stored(opA, transposed: transposeA), seed: 1)
                let b = OpsHarness.uniform(stored(opB, transposed: transposeB), seed: 2)
                let expected = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
                OpsHarness.check([a, b], expected: expected,
                                 "\(describeShape(a.shape))\(transposeA ? "ᵀ" : "") × \(describeShape(b.shape))\(transposeB ? "ᵀ" : "")") {
                    Variable.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB)
                }
            }
        }
    }

    @Test func gradientsMatchTheTransposedProducts() {
        // dA = G·Bᵀ, dB = Aᵀ·G, written with explicit transposes.
        let a = OpsHarness.uniform([3, 4], seed: 3), b = OpsHarness.uniform([4, 5], seed: 4)
        let g = OpsHarness.uniform([3, 5], seed: 5)
        let grads = vectorJacobianProduct(at: [a, b], seed: g) { $0[0].matmul($0[1]) }.gradients
        assertClose(grads[0], Tensor.matmul(g, b.transposed()))
        assertClose(grads[1], Tensor.matmul(a.transposed(), g))
    }

    @Test func foldedWeightGradientEqualsTheSumOverTheBatch() {
        // x [B, T, k] · Wᵀ with W [n, k], as a linear layer: dW = Σ_b G_bᵀ·x_b.
        let x = OpsHarness.uniform([2, 3, 4], seed: 6), w = OpsHarness.uniform([5, 4], seed: 7)
        let g = OpsHarness.uniform([2, 3, 5], seed: 8)
        let dW = vectorJacobianProduct(at: [x, w], seed: g) { Variable.matmul($0[0], $0[1], transposeB: true) }.gradients[1]
        var expected = Tensor.zeros([5, 4])
        for batch in 0..<2 {
            expected += Tensor.matmul(g.select(alongAxis: 0, index: batch), x.select(alongAxis: 0, index: batch), transposeA: true)
        }
        assertClose(dW, expected)
    }

    @Test func innerDimensionMismatchStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = valueAndGradient(at: [Tensor.zeros([2, 3]), Tensor.zeros([4, 5])]) { v in Variable.matmul(v[0], v[1]).sum() }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4, 5]"))
    }
}
