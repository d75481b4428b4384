import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// Evenly spaced points over [−12, 12] plus the edges the kernels treat specially, cut to
/// `count` elements (repeated when longer).
private func activationInputs(_ shape: [Int]) -> Tensor {
    let specials: [Float] = [0, -0, 1e-35, -1e-35, 1e-20, -0.7518, 29.9, 30.5, -30.5, 150, -150, 250, -250]
    let sweep = (0..<241).map { Float($0) * 0.1 - 12 }
    let pool = specials + sweep
    let n = Tensor.elementCount(shape)
    return Tensor(shape: shape, scalars: (0..<n).map { pool[$0 % pool.count] })
}

private let shapes: [[Int]] = [[0], [1], [7], [33], [3, 11], [254], [70_001]]

@Suite("Activation backward kernels")
struct ActivationBackwardTests {
    private func gradient(_ shape: [Int]) -> Tensor {
        var rng = SeededGenerator(seed: 77)
        return Tensor.randomUniform(shape, low: -2, high: 2, using: &rng)
    }

    @Test(arguments: shapes)
    func sigmoidAndTanhFromTheirOutputs(_ shape: [Int]) {
        let x = activationInputs(shape), g = gradient(shape)
        let s = x.sigmoid(), t = x.tanh()
        assertClose(Tensor.sigmoidBackward(g, output: s), BackwardReference.map(g, s, BackwardReference.sigmoidFromOutput))
        assertClose(Tensor.tanhBackward(g, output: t), BackwardReference.map(g, t, BackwardReference.tanhFromOutput))
    }

    @Test(arguments: shapes)
    func siluAndGeluFromTheirInputs(_ shape: [Int]) {
        let x = activationInputs(shape), g = gradient(shape)
        assertClose(Tensor.siluBackward(g, input: x), BackwardReference.map(g, x, BackwardReference.silu), "silu")
        assertClose(Tensor.geluBackward(g, input: x), BackwardReference.map(g, x, BackwardReference.geluErf), "gelu")
        assertClose(Tensor.geluBackward(g, input: x, approximation: .tanh),
                    BackwardReference.map(g, x, BackwardReference.geluTanh), "gelu tanh")
    }

    @Test func relativeAccuracyInTheNegativeTails() {
        // Away from the derivative's zero (x ≈ −0.75), where relative error is meaningful.
        let x = Tensor.linspace(-13, -1.5, count: 2_301)
        let ones = Tensor.ones(x.shape)
        assertClose(Tensor.geluBackward(ones, input: x), BackwardReference.map(ones, x, BackwardReference.geluErf),
                    rtol: 1e-5, atol: 0, "gelu")
        let t = Tensor.linspace(-9, -1.5, count: 1_501)
        let tOnes = Tensor.ones(t.shape)
        assertClose(Tensor.geluBackward(tOnes, input: t, approximation: .tanh),
                    BackwardReference.map(tOnes, t, BackwardReference.geluTanh), rtol: 2e-5, atol: 0, "gelu tanh")
        let s = Tensor.linspace(-80, -1.5, count: 1_571)
        let sOnes = Tensor.ones(s.shape)
        assertClose(Tensor.siluBackward(sOnes, input: s), BackwardReference.map(sOnes, s, BackwardReference.silu),
                    rtol: 1e-5, atol: 0, "silu")
    }

    @Test func infinitiesGiveTheLimitsAndNaNPropagates() {
        let x = Tensor([.infinity, -.infinity, .nan])
        let g = Tensor([3, 3, 3])
        for approximation in GELUApproximation.allCases {
            let d = Tensor.geluBackward(g, input: x, approximation: approximation).scalars
            #expect(d[0] == 3 && d[1] == 0 && d[2].isNaN, "gelu \(approximation): \(d)")
        }
        let d = Tensor.siluBackward(g, input: x).scalars
        #expect(d[0] == 3 && d[1] == 0 && d[2].isNaN, "silu: \(d)")
    }

    @Test func intoFormsWriteTheSameValues() {
        let x = activationInputs([3, 11]), g = gradient([3, 11])
        var out = Tensor.zeros([3, 11])
        Tensor.geluBackward(g, input: x, approximation: .tanh, into: &out)
        #expect(out == Tensor.geluBackward(g, input: x, approximation: .tanh))
        Tensor.siluBackward(g, input: x, into: &out)
        #expect(out == Tensor.siluBackward(g, input: x))
        Tensor.sigmoidBackward(g, output: x.sigmoid(), into: &out)
        #expect(out == Tensor.sigmoidBackward(g, output: x.sigmoid()))
        Tensor.tanhBackward(g, output: x.tanh(), into: &out)
        #expect(out == Tensor.tanhBackward(g, output: x.tanh()))
    }

    @Test func mismatchedShapesStop() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.siluBackward(Tensor.zeros([2, 3]), input: Tensor.zeros([3, 2]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[3, 2]"))
        await #expect(processExitsWith: .failure) {
            var out = Tensor.zeros([5])
            Tensor.tanhBackward(Tensor.zeros([4]), output: Tensor.zeros([4]), into: &out)
        }
    }
}
