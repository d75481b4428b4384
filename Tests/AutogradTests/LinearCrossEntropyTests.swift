import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// The fused head + cross-entropy against the unfused composition
/// `crossEntropy(logits: linear(h, W, b))`, which materialises the logits.
@Suite("Fused output head and cross-entropy")
struct LinearCrossEntropyTests {
    static let (d, v) = (5, 11)

    /// Targets for `n` rows: every third row ignored (when `ignoring`), the rest spread over `0..<v`.
    static func targets(_ n: Int, ignoring: Bool) -> [Int] {
        (0..<n).map { i in ignoring && i % 3 == 1 ? -100 : (i * 7 + 2) % v }
    }

    /// Loss and gradients (hidden, weight, bias) of the fused and the unfused forms.
    static func both(
        n: Int, bias: Bool, targets: [Int], smoothing: Float, reduction: LossReduction, chunkRows: Int
    ) -> (fused: (value: Tensor, gradients: [Tensor]), plain: (value: Tensor, gradients: [Tensor])) {
        let inputs = [fusedInput([n, d], seed: UInt64(n), scale: 1.5), fusedInput([v, d], seed: 100 + UInt64(n))]
            + (bias ? [fusedInput([v], seed: 200 + UInt64(n))] : [])
        let fused = valueAndGradient(at: inputs) { x in
            linearCrossEntropy(hidden: x[0], weight: x[1], bias: bias ? x[2] : nil, targets: targets, ignoreIndex: -100,
                               labelSmoothing: smoothing, reduction: reduction, chunkRows: chunkRows)
        }
        let plain = valueAndGradient(at: inputs) { x in
            crossEntropy(logits: linear(x[0], weight: x[1], bias: bias ? x[2] : nil), targets: targets,
                         labelSmoothing: smoothing, reduction: reduction)
        }
        return (fused, plain)
    }

    @Test(arguments: [1, 7, 33])
    func matchesTheUnfusedLossAndGradients(n: Int) {
        for bias in [false, true] {
            for smoothing: Float in [0, 0.1] {
                for reduction in [LossReduction.mean, .sum] {
                    for ignoring in [false, true] {
                        let targets = Self.targets(n, ignoring: ignoring && n > 1)
                        let label = "N \(n) bias \(bias) ε \(smoothing) \(reduction) ignoring \(ignoring)"
                        let (fused, plain) = Self.both(n: n, bias: bias, targets: targets, smoothing: smoothing,
                                                       reduction: reduction, chunkRows: 4)
                        #expect(fused.value.shape == [])
                        assertClose(fused.value, plain.value, rtol: 1e-5, atol: 0, label + " loss")
                        for (name, f, p) in zip3(["hidden", "weight", "bias"], fused.gradients, plain.gradients) {
                            assertClose(f, p, rtol: 1e-5, atol: 1e-7, label + " d" + name)
                        }
                    }
                }
            }
        }
    }

    @Test func chunkSizeChangesNoLoss() {
        // Row losses do not depend on the chunking (each row's logits are one product row).
        let targets = Self.targets(33, ignoring: true)
        let losses = [1, 4, 32, 33, 256].map { rows in
            Self.both(n: 33, bias: true, targets: targets, smoothing: 0.1, reduction: .sum, chunkRows: rows).fused
        }
        for other in losses.dropFirst() {
            assertClose(other.value, losses[0].value, rtol: 1e-6, atol: 0)
            for (a, b) in zip(other.gradients, losses[0].gradients) { assertClose(a, b, rtol: 1e-5, atol: 1e-7) }
        }
    }

    @Test func allRowsIgnored() {
        let targets = [Int](repeating: -100, count: 7)
        let mean = Self.both(n: 7, bias: true, targets: targets, smoothing: 0, reduction: .mean, chunkRows: 3)
        #expect(mean.fused.value.scalar.isNaN && mean.plain.value.scalar.isNaN)   // 0/0, as PyTorch
        for g in mean.fused.gradients { #expect(g.scalars.allSatisfy { $0 == 0 }) }
        let sum = Self.both(n: 7, bias: false, targets: targets, smoothing: 0.1, reduction: .sum, chunkRows: 3)
        #expect(sum.fused.value.scalar == 0)
        for g in sum.fused.gradients { #expect(g.scalars.allSatisfy { $0 == 0 }) }
    }

    @Test func leadingAxesInt32TargetsAndNoneReduction() {
        let h = fusedInput([2, 3, Self.d], seed: 9), w = fusedInput([Self.v, Self.d], seed: 10)
        let targets: [Int32] = [0, 4, -100, 10, 3, 3]
        let plainRows = crossEntropy(logits: linear(Variable(h), weight: Variable(w)), targets: targets, reduction: .none)
        let fusedRows = linearCrossEntropy(hidden: Variable(h), weight: Variable(w), targets: targets, reduction: .none)
        #expect(fusedRows.shape == [2, 3])
        assertClose(fusedRows.value, plainRows.value)
        let (_, fused) = valueAndGradient(at: [h]) { x in linearCrossEntropy(hidden: x[0], weight: Variable(w), targets: targets) }
        let (_, plain) = valueAndGradient(at: [h]) { x in crossEntropy(logits: linear(x[0], weight: Variable(w)), targets: targets) }
        #expect(fused[0].shape == [2, 3, Self.d])
        assertClose(fused[0], plain[0], rtol: 1e-5, atol: 1e-7)
    }

    @Test func frozenWeightGetsNoGradientAndTheHiddenOneIsUnchanged() {
        // Weight constant (as under LoRA): only dH is computed, and it equals the full case's.
        let h = fusedInput([9, Self.d], seed: 11), w = fusedInput([Self.v, Self.d], seed: 12)
        let targets = Self.targets(9, ignoring: true)
        let (_, frozen) = valueAndGradient(at: [h]) { x in
            linearCrossEntropy(hidden: x[0], weight: Variable(w), bias: nil, targets: targets, ignoreIndex: -100, labelSmoothing: 0,
                               reduction: .mean, chunkRows: 2)
        }
        let (_, both) = valueAndGradient(at: [h, w]) { x in
            linearCrossEntropy(hidden: x[0], weight: x[1], bias: nil, targets: targets, ignoreIndex: -100, labelSmoothing: 0,
                               reduction: .mean, chunkRows: 2)
        }
        #expect(frozen[0] == both[0])
    }

    @Test func withoutATapeTheValueIsTheSame() {
        let h = fusedInput([7, Self.d], seed: 13), w = fusedInput([Self.v, Self.d], seed: 14)
        let targets = Self.targets(7, ignoring: true)
        let evaluated = withoutGradient {
            linearCrossEntropy(hidden: Variable(h), weight: Variable(w), targets: targets, reduction: .sum)
        }
        #expect(!evaluated.isTracked)
        let trained = valueAndGradient(at: [h, w]) { x in
            linearCrossEntropy(hidden: x[0], weight: x[1], targets: targets, reduction: .sum)
        }
        #expect(evaluated.value == trained.value)
    }

    @Test func sharedWeightAccumulatesBothUses() {
        // A tied embedding: the table is read by a lookup and by the head; one parameter gets both gradients.
        let table = fusedInput([Self.v, Self.d], seed: 15)
        let ids = [3, 0, 10, 3, 7]
        let targets = [0, 10, 3, 7, -100]
        let (_, fused) = valueAndGradient(at: [table]) { x in
            linearCrossEntropy(hidden: embedding(x[0], ids: ids.map(Int32.init), shape: [5]) * 2, weight: x[0], bias: nil,
                               targets: targets, ignoreIndex: -100, labelSmoothing: 0, reduction: .mean, chunkRows: 2)
        }
        let (_, plain) = valueAndGradient(at: [table]) { x in
            crossEntropy(logits: linear(embedding(x[0], ids: ids.map(Int32.init), shape: [5]) * 2, weight: x[0]), targets: targets)
        }
        assertClose(fused[0], plain[0], rtol: 1e-5, atol: 1e-7)
    }

    @Test func gradientCheck() {
        let inputs = [fusedInput([7, 4], seed: 16), fusedInput([9, 4], seed: 17), fusedInput([9], seed: 18)]
        let targets = [2, -100, 8, 0, 5, 5, 1]
        for reduction in [LossReduction.mean, .sum] {
            for smoothing: Float in [0, 0.2] {
                gradcheck(inputs, step: 1e-2, "\(reduction) ε \(smoothing)") { x in
                    linearCrossEntropy(hidden: x[0], weight: x[1], bias: x[2], targets: targets, ignoreIndex: -100,
                                       labelSmoothing: smoothing, reduction: reduction, chunkRows: 3)
                }
            }
        }
    }

    @Test func badInputStops() async {
        await #expect(processExitsWith: .failure) {
            _ = linearCrossEntropy(hidden: Variable(Tensor.zeros([2, 3])), weight: Variable(Tensor.zeros([4, 5])), targets: [0, 1])
        }
        await #expect(processExitsWith: .failure) {
            _ = linearCrossEntropy(hidden: Variable(Tensor.zeros([2, 3])), weight: Variable(Tensor.zeros([4, 3])), targets: [0, 4])
        }
        await #expect(processExitsWith: .failure) {
            _ = linearCrossEntropy(hidden: Variable(Tensor.zeros([2, 3])), weight: Variable(Tensor.zeros([4, 3])),
                                   bias: Variable(Tensor.zeros([3])), targets: [0, 1])
        }
    }
}

private func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
    (0..<min(a.count, b.count, c.count)).map { (a[$0], b[$0], c[$0]) }
}
