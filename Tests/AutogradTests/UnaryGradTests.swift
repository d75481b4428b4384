import Testing
import Tensor
import _TestSupport
@testable import Autograd

private let shapes: [[Int]] = [[1], [7], [3, 5], []]

@Suite("Unary gradients")
struct UnaryGradTests {
    @Test func smoothFunctionsOnAWellConditionedRange() {
        for (i, shape) in shapes.enumerated() {
            let x = OpsHarness.uniform(shape, -2, 2, seed: UInt64(i))
            OpsHarness.check([x], expected: x.exp(), "exp") { $0[0].exp() }
            OpsHarness.check([x], expected: x.tanh(), "tanh") { $0[0].tanh() }
            OpsHarness.check([x], expected: x.sigmoid(), "sigmoid") { $0[0].sigmoid() }
            OpsHarness.check([x], expected: x.silu(), "silu") { $0[0].silu() }
            OpsHarness.check([x], expected: x.square(), "square") { $0[0].square() }
            OpsHarness.check([x], expected: x.neg(), "neg") { $0[0].neg() }
            for form in GELUApproximation.allCases {
                OpsHarness.check([x], expected: x.gelu(approximation: form), "gelu \(form)") { $0[0].gelu(approximation: form) }
            }
        }
    }

    @Test func functionsOfPositiveInputs() {
        for (i, shape) in shapes.enumerated() {
            let x = OpsHarness.uniform(shape, 0.5, 2, seed: UInt64(10 + i))
            OpsHarness.check([x], expected: x.log(), "log") { $0[0].log() }
            OpsHarness.check([x], expected: x.sqrt(), "sqrt") { $0[0].sqrt() }
            OpsHarness.check([x], expected: x.rsqrt(), "rsqrt") { $0[0].rsqrt() }
        }
    }

    @Test func piecewiseFunctionsAwayFromTheirKinks() {
        for (i, shape) in shapes.enumerated() {
            let x = OpsHarness.awayFromZero(shape, margin: 0.1, seed: UInt64(20 + i))
            OpsHarness.check([x], expected: x.relu(), "relu") { $0[0].relu() }
            OpsHarness.check([x], expected: x.abs(), "abs") { $0[0].abs() }
            // Bounds ±0.5 lie between the grid points ±0.1·k + 0.05.
            let grid = Tensor(shape: shape, scalars: x.scalars.map { ($0 * 10).rounded() / 10 + 0.05 })
            OpsHarness.check([grid], expected: grid.clamp(min: -0.5, max: 0.5), "clamp") { $0[0].clamp(min: -0.5, max: 0.5) }
        }
    }

    @Test func geluDerivativesAcrossTheirRange() {
        // Tails, the minimum near −0.75, and both approximations, at a finer step.
        let x = Tensor.linspace(-6, 6, count: 41)
        for form in GELUApproximation.allCases {
            gradcheck([x], step: 1e-2, rtol: 2e-3, atol: 1e-4, "gelu \(form)") { $0[0].gelu(approximation: form) }
        }
    }

    @Test func kinksFollowPyTorch() {
        let x = Tensor([-1, 0, 2])
        let seed = Tensor([5, 5, 5])
        #expect(vectorJacobianProduct(at: [x], seed: seed) { $0[0].relu() }.gradients[0].scalars == [0, 0, 5])
        #expect(vectorJacobianProduct(at: [x], seed: seed) { $0[0].abs() }.gradients[0].scalars == [-5, 0, 5])
        // clamp passes the gradient at its bounds, not beyond.
        let y = Tensor([-1, -0.5, 0, 0.5, 1])
        #expect(vectorJacobianProduct(at: [y], seed: Tensor.ones([5])) { $0[0].clamp(min: -0.5, max: 0.5) }
            .gradients[0].scalars == [0, 1, 1, 1, 0])
    }

    @Test func derivativesMatchTheirFormulas() {
        let x = Tensor([-1.5, -0.25, 0.75, 2])
        let ones = Tensor.ones([4])
        func grad(_ f: (Variable) -> Variable) -> Tensor { vectorJacobianProduct(at: [x], seed: ones) { f($0[0]) }.gradients[0] }
        assertClose(grad { $0.exp() }, x.exp())
        assertClose(grad { $0.tanh() }, 1 - x.tanh().square())
        assertClose(grad { $0.sigmoid() }, x.sigmoid() * (1 - x.sigmoid()))
        assertClose(grad { $0.silu() }, x.sigmoid() * (1 + x * (1 - x.sigmoid())))
        assertClose(grad { $0.square() }, 2 * x)
    }
}
