import Foundation
import Testing
import Tensor
import _TestSupport
import Autograd

@Suite("SwiGLU and dropout")
struct ActivationTests {
    @Test func swigluIsSiluTimesUp() {
        let g = fusedInput([3, 37], seed: 1, scale: 3), u = fusedInput([3, 37], seed: 2)
        let y = swiglu(gate: Variable(g), up: Variable(u))
        assertClose(y.value, g.silu() * u, rtol: 1e-6, atol: 1e-7)
        gradcheck([fusedInput([2, 7], seed: 3, scale: 2), fusedInput([2, 7], seed: 4)]) { v in swiglu(gate: v[0], up: v[1]) }
    }

    @Test func dropoutMaskIsSeededAndScaled() {
        let x = fusedInput([50, 40], seed: 5)
        var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9)
        let a = dropout(Variable(x), probability: 0.25, using: &g1, training: true)
        let b = dropout(Variable(x), probability: 0.25, using: &g2, training: true)
        #expect(a.value == b.value)
        #expect(g1 == g2)
        let ys = a.value.scalars, xs = x.scalars
        var kept = 0
        for i in 0..<xs.count {
            if ys[i] != 0 {
                kept += 1
                #expect(abs(ys[i] - xs[i] / 0.75) <= 1e-6 * abs(xs[i]) + 1e-7)
            }
        }
        let fraction = Double(kept) / Double(xs.count)
        #expect(abs(fraction - 0.75) < 0.03, "kept \(fraction)")
        // The next call draws a new mask.
        let c = dropout(Variable(x), probability: 0.25, using: &g1, training: true)
        #expect(c.value != a.value)
    }

    @Test func dropoutGradientIsTheMaskTimesTheScale() {
        let x = fusedInput([4, 9], seed: 6)
        gradcheck([x]) { v in
            var g = SeededGenerator(seed: 3)
            return dropout(v[0], probability: 0.4, using: &g, training: true)
        }
        let (_, grads) = vectorJacobianProduct(at: [x], seed: Tensor.ones([4, 9])) { v in
            var g = SeededGenerator(seed: 3)
            return dropout(v[0], probability: 0.4, using: &g, training: true)
        }
        var g = SeededGenerator(seed: 3)
        let y = dropout(Variable(x), probability: 0.4, using: &g, training: true).value
        for (d, yi) in zip(grads[0].scalars, y.scalars) {
            #expect(d == (yi == 0 ? 0 : 1 / (1 - Float(0.4))))
        }
    }

    @Test func dropoutOffInEvaluationAndAtZeroProbability() {
        let x = fusedInput([3, 5], seed: 7)
        var g = SeededGenerator(seed: 1)
        let before = g
        #expect(dropout(Variable(x), probability: 0.5, using: &g, training: false).value == x)
        #expect(dropout(Variable(x), probability: 0, using: &g, training: true).value == x)
        #expect(g == before)
        #expect(dropout(Variable(x), probability: 1, using: &g, training: true).value == Tensor.zeros([3, 5]))
    }

    @Test func badProbabilityStops() async {
        await #expect(processExitsWith: .failure) {
            var g = SeededGenerator(seed: 1)
            _ = dropout(Variable(Tensor.zeros([2])), probability: 1.5, using: &g, training: true)
        }
        await #expect(processExitsWith: .failure) {
            _ = swiglu(gate: Variable(Tensor.zeros([2, 3])), up: Variable(Tensor.zeros([3, 2])))
        }
    }
}
