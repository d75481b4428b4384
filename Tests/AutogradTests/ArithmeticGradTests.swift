import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// The checks every differentiable op of `Variable+*.swift` goes through, shared by the
/// `*GradTests` suites.
enum OpsHarness {
    /// Uniform samples in `[low, high)`.
    static func uniform(_ shape: [Int], _ low: Float = -1, _ high: Float = 1, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: low, high: high, using: &rng)
    }

    /// Random values of either sign with magnitudes in `[margin, margin + 1)`: away from the
    /// kinks of relu, abs and divisions.
    static func awayFromZero(_ shape: [Int], margin: Float = 0.2, seed: UInt64) -> Tensor {
        let u = uniform(shape, -1, 1, seed: seed).scalars
        return Tensor(shape: shape, scalars: u.map { $0 < 0 ? $0 - margin : $0 + margin })
    }

    /// Checks one op, written as `body` over variables made from `inputs`:
    ///
    /// 1. its value equals `expected` exactly, with and without a tape;
    /// 2. its gradients pass a finite-difference `gradcheck`;
    /// 3. with one input tracked and the others constants, the tracked input receives the same
    ///    gradient as when all are tracked, and nothing breaks;
    /// 4. with only constants on a tape, nothing is recorded and the result is a constant;
    /// 5. inside `withoutGradient`, tracked leaves record nothing.
    static func check(
        _ inputs: [Tensor], expected: Tensor,
        step: Float = 1e-3, rtol: Float = 1e-2, atol: Float = 1e-3,
        _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
        _ body: ([Variable]) -> Variable
    ) {
        let label = comment.isEmpty ? "" : comment + ": "
        let plain = withoutGradient { body(inputs.map { Variable($0) }) }
        #expect(plain.value == expected, "\(label)untracked value differs from the Tensor op", sourceLocation: sourceLocation)

        let seed = uniform(expected.shape, seed: 0xC0FFEE)
        let all = vectorJacobianProduct(at: inputs, seed: seed, body)
        #expect(all.value == expected, "\(label)tracked value differs from the Tensor op", sourceLocation: sourceLocation)
        for (k, gradient) in all.gradients.enumerated() {
            #expect(gradient.shape == inputs[k].shape, "\(label)gradient \(k) has the wrong shape", sourceLocation: sourceLocation)
        }

        gradcheck(inputs, step: step, rtol: rtol, atol: atol, comment, sourceLocation: sourceLocation, body)

        if inputs.count > 1 {
            for k in inputs.indices {
                let parameter = Parameter(inputs[k])
                let tape = Tape()
                let out = Tape.$current.withValue(tape) {
                    body(inputs.indices.map { $0 == k ? parameter.variable : Variable(inputs[$0]) })
                }
                #expect(out.value == expected, "\(label)value with only input \(k) tracked", sourceLocation: sourceLocation)
                if let id = out.id { tape.backward(from: id, seed: seed) }
                assertClose(parameter.gradient ?? Tensor.zeros(inputs[k].shape), all.gradients[k], rtol: 1e-6, atol: 1e-7,
                            "\(label)gradient of input \(k) when it alone is tracked", sourceLocation: sourceLocation)
            }
        }

        let tape = Tape()
        Tape.$current.withValue(tape) {
            let constant = body(inputs.map { Variable($0) })
            #expect(!constant.isTracked && tape.count == 0, "\(label)constants recorded something", sourceLocation: sourceLocation)

            let leaves = inputs.map { Parameter($0).variable }
            let before = tape.count
            let untracked = withoutGradient { body(leaves) }
            #expect(!untracked.isTracked && tape.count == before,
                    "\(label)withoutGradient recorded \(tape.count - before) entries", sourceLocation: sourceLocation)
            #expect(untracked.value == expected, "\(label)value inside withoutGradient", sourceLocation: sourceLocation)
        }
    }
}

/// Pairs of broadcasting shapes: equal, trailing, size-1 axes, and scalars on either side.
private let broadcastPairs: [([Int], [Int])] = [
    ([1], [1]), ([7], [7]), ([3, 5], [3, 5]), ([3, 1, 4], [4]), ([4], [3, 1, 4]),
    ([2, 3], [2, 1]), ([1, 3], [2, 1]), ([], [2, 2]), ([2, 2], []), ([], []),
]

@Suite("Arithmetic gradients")
struct ArithmeticGradTests {
    @Test func addAndSubtractBroadcast() {
        for (i, (sa, sb)) in broadcastPairs.enumerated() {
            let a = OpsHarness.uniform(sa, seed: UInt64(i)), b = OpsHarness.uniform(sb, seed: UInt64(100 + i))
            let name = "\(describeShape(sa)) ⊕ \(describeShape(sb))"
            OpsHarness.check([a, b], expected: a + b, "add \(name)") { $0[0] + $0[1] }
            OpsHarness.check([a, b], expected: a - b, "subtract \(name)") { $0[0] - $0[1] }
        }
    }

    @Test func multiplyAndDivideBroadcast() {
        for (i, (sa, sb)) in broadcastPairs.enumerated() {
            let a = OpsHarness.uniform(sa, seed: UInt64(i))
            let b = OpsHarness.awayFromZero(sb, margin: 0.5, seed: UInt64(100 + i))
            let name = "\(describeShape(sa)) ⊕ \(describeShape(sb))"
            OpsHarness.check([a, b], expected: a * b, "multiply \(name)") { $0[0] * $0[1] }
            OpsHarness.check([a, b], expected: a / b, "divide \(name)") { $0[0] / $0[1] }
        }
    }

    @Test func theSameVariableOnBothSides() {
        let x = OpsHarness.uniform([3, 5], seed: 1)
        OpsHarness.check([x], expected: x * x) { $0[0] * $0[0] }
        OpsHarness.check([x], expected: x - x) { $0[0] - $0[0] }
        let (_, grads) = vectorJacobianProduct(at: [x], seed: Tensor.ones([3, 5])) { $0[0] * $0[0] }
        assertClose(grads[0], x * 2)
    }

    @Test func scalarOnEitherSide() {
        for (i, shape) in [[1], [7], [3, 5], []].enumerated() {
            let x = OpsHarness.awayFromZero(shape, margin: 0.5, seed: UInt64(i))
            OpsHarness.check([x], expected: x + 2, "x + 2") { $0[0] + 2 }
            OpsHarness.check([x], expected: 2 + x, "2 + x") { 2 + $0[0] }
            OpsHarness.check([x], expected: x - 2, "x - 2") { $0[0] - 2 }
            OpsHarness.check([x], expected: 2 - x, "2 - x") { 2 - $0[0] }
            OpsHarness.check([x], expected: x * 3, "x * 3") { $0[0] * 3 }
            OpsHarness.check([x], expected: 3 * x, "3 * x") { 3 * $0[0] }
            OpsHarness.check([x], expected: x / 4, "x / 4") { $0[0] / 4 }
            OpsHarness.check([x], expected: 4 / x, "4 / x") { 4 / $0[0] }
            OpsHarness.check([x], expected: -x, "-x") { -$0[0] }
        }
    }

    @Test func compoundAssignmentRecordsNewNodes() {
        let a = OpsHarness.uniform([2, 3], seed: 1), b = OpsHarness.awayFromZero([3], margin: 0.5, seed: 2)
        OpsHarness.check([a, b], expected: ((a + b) * b - b) / b) { v in
            var y = v[0]
            y += v[1]
            y *= v[1]
            y -= v[1]
            y /= v[1]
            return y
        }
    }

    @Test func powerByAFloatExponent() {
        let x = OpsHarness.uniform([3, 5], 0.5, 2, seed: 3)
        for p: Float in [0, 1, 2, 3, 0.5, -1.5] {
            OpsHarness.check([x], expected: Tensor.pow(x, p), "pow \(p)") { Variable.pow($0[0], p) }
        }
        let (_, grads) = vectorJacobianProduct(at: [Tensor([3])], seed: Tensor([1])) { Variable.pow($0[0], 3) }
        #expect(grads[0].scalars == [27])
    }

    @Test func maximumAndMinimumWithoutTies() {
        // a on even tenths, b on odd ones: never equal, at least 0.1 apart.
        func grid(_ shape: [Int], offset: Float, seed: UInt64) -> Tensor {
            let u = OpsHarness.uniform(shape, -1, 1, seed: seed).scalars
            return Tensor(shape: shape, scalars: u.map { (($0 * 5).rounded() * 2 + offset) / 10 })
        }
        for (i, (sa, sb)) in broadcastPairs.enumerated() {
            let a = grid(sa, offset: 0, seed: UInt64(i)), b = grid(sb, offset: 1, seed: UInt64(50 + i))
            let name = "\(describeShape(sa)) ⊕ \(describeShape(sb))"
            OpsHarness.check([a, b], expected: Tensor.maximum(a, b), "maximum \(name)") { Variable.maximum($0[0], $0[1]) }
            OpsHarness.check([a, b], expected: Tensor.minimum(a, b), "minimum \(name)") { Variable.minimum($0[0], $0[1]) }
        }
        let x = grid([3, 5], offset: 1, seed: 9)
        OpsHarness.check([x], expected: Tensor.maximum(x, 0), "maximum(x, 0)") { Variable.maximum($0[0], 0) }
        OpsHarness.check([x], expected: Tensor.minimum(x, 0.4), "minimum(x, 0.4)") { Variable.minimum($0[0], 0.4) }
    }

    @Test func maximumSplitsTiesEvenly() {
        let a = Tensor([1, 2, 3]), b = Tensor([1, 5, 0])
        let (_, grads) = vectorJacobianProduct(at: [a, b], seed: Tensor([4, 4, 4])) { Variable.maximum($0[0], $0[1]) }
        #expect(grads[0].scalars == [2, 0, 4])
        #expect(grads[1].scalars == [2, 4, 0])
        let (_, scalarGrads) = vectorJacobianProduct(at: [a], seed: Tensor([4, 4, 4])) { Variable.minimum($0[0], 2) }
        #expect(scalarGrads[0].scalars == [4, 2, 0])
    }

    @Test func reduceGradientSumsBroadcastDimensions() {
        let g = Tensor.ramp([2, 3, 4])
        let r = reduceGradient(g, toShape: [3, 1])
        #expect(r.shape == [3, 1])
        #expect(r.scalars == [60, 92, 124])  // Σ over b < 2, c < 4 of 12b + 4·row + c
        #expect(reduceGradient(g, toShape: []).scalars == [276])
        #expect(reduceGradient(g, toShape: [1, 3, 1]).shape == [1, 3, 1])
        #expect(reduceGradient(g, toShape: [2, 3, 4]).sharesStorage(with: g))
    }

    @Test func mismatchedShapesStopNamingBoth() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = valueAndGradient(at: [Tensor.zeros([2, 3]), Tensor.zeros([4])]) { v in (v[0] + v[1]).sum() }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4]"))
    }
}
