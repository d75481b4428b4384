import Foundation
import Testing
import Tensor
import _TestSupport
@testable import Autograd

@Suite("Gradient clipping")
struct ClippingTests {
    /// The step-1 gradients of the reference problem times `scale`.
    private func parameters(scale: Float) -> [(name: String, parameter: Parameter)] {
        let parameters = ReferenceProblem.parameters()
        ReferenceProblem.setGradients(parameters, step: 1)
        for (_, p) in parameters { p.gradient! *= scale }
        return parameters
    }

    @Test(arguments: [Torch.l2, Torch.l1, Torch.infinity, Torch.l2Unclipped])
    func matchesTorch(_ golden: Torch.Case) {
        let parameters = parameters(scale: golden.scale)
        let norm = clipGradientNorm(parameters, maxNorm: golden.maxNorm, normType: golden.normType)
        assertClose([norm], [golden.norm], rtol: 1e-6, atol: 0, "norm")
        let clipped = parameters.flatMap { $0.parameter.gradient!.scalars }
        assertClose(clipped, golden.clipped, rtol: 1e-5, atol: 1e-7, "gradients")
    }

    @Test func unclippedGradientsAreLeftBitForBit() {
        let parameters = parameters(scale: 1)
        let before = parameters.map { $0.parameter.gradient! }
        clipGradientNorm(parameters, maxNorm: 10)
        #expect(parameters.map { $0.parameter.gradient! } == before)
    }

    @Test func nonFiniteNormsLeaveGradientsUntouched() {
        for bad in [Float.nan, .infinity] {
            for normType: Float in [2, 1, .infinity] {
                let parameters = parameters(scale: 1)
                parameters[1].parameter.gradient![indices: [2]] = bad
                let before = parameters.map { $0.parameter.gradient!.scalars }
                let norm = clipGradientNorm(parameters, maxNorm: 0.01, normType: normType)
                #expect(bad.isNaN ? norm.isNaN : norm == .infinity, "\(bad) with p = \(normType)")
                let after = parameters.map { $0.parameter.gradient!.scalars }
                #expect(zip(before, after).allSatisfy { zip($0, $1).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) } })
            }
        }
    }

    @Test func parametersWithoutGradientsAndRepeatsCountOnce() {
        let p = Parameter(Tensor([3, 4]))
        p.gradient = Tensor([3, 4])
        let none = Parameter(Tensor([100]))
        #expect(clipGradientNorm([p, p, none], maxNorm: 100) == 5)
        #expect(clipGradientNorm([none], maxNorm: 1) == 0)
        let norm = clipGradientNorm([p, none], maxNorm: 1)
        #expect(norm == 5)
        assertClose(p.gradient!.scalars, [0.6, 0.8], rtol: 1e-5, atol: 0)
    }

    @Test(arguments: [0, 1, 7, 33, 65_536 * 3 + 5])
    func powerSumMatchesReference(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count))
        let x = Tensor.randomNormal([count], using: &rng)
        for power in [2.0, 1.0, 3.0] {
            let (fast, slow) = x.withUnsafeBufferPointer { (powerSum($0, power), referencePowerSum($0, power)) }
            #expect(abs(fast - slow) <= 1e-12 * max(1, slow), "p = \(power), \(count) elements")
        }
    }

    @Test func normDoesNotDependOnTheThreadCount() {
        var rng = SeededGenerator(seed: 11)
        let g = Tensor.randomNormal([65_536 * 5 + 3], using: &rng)
        func norm(_ threads: Int) -> Float {
            withThreadCount(threads) {
                let p = Parameter(Tensor.zeros(g.shape))
                p.gradient = g
                return clipGradientNorm([p], maxNorm: 1)
            }
        }
        #expect(norm(1).bitPattern == norm(2).bitPattern)
    }

    @Test func mistakesStop() async {
        await #expect(processExitsWith: .failure) { _ = clipGradientNorm([Parameter](), maxNorm: -1) }
        await #expect(processExitsWith: .failure) { _ = clipGradientNorm([Parameter](), maxNorm: 1, normType: 0) }
    }
}

/// `torch.nn.utils.clip_grad_norm_` on the reference problem's step-1 gradients (weight then
/// bias, flattened) times `scale`, from `Scripts/reference_optimizers.py` (torch 2.13.0+cpu).
enum Torch {
    struct Case: Sendable, CustomTestStringConvertible {
        let maxNorm: Float, normType: Float, scale: Float, norm: Float, clipped: [Float]
        var testDescription: String { "maxNorm \(maxNorm), p = \(normType), scale \(scale)" }
    }
    // clip_grad_norm_: (maxNorm, normType, gradient scale, returned norm, clipped gradients)
    static let l2 = Case(maxNorm: 0.25, normType: 2.0, scale: 3.0, norm: 0.7326015, clipped: [
            0.09544677, 0.075600535, 0.045522112, 0.009282486, -0.028213482, -0.061890885, -0.08719165, -0.10069143,
            -0.10056311, -0.08682402, -0.06133373, -0.027542198, 0.022761056, 0.017590323, 0.012206963, 0.0,
        ])
    static let l1 = Case(maxNorm: 1.5, normType: 1.0, scale: 2.0, norm: 1.6266918, clipped: [
            0.17194287, 0.13619079, 0.08200594, 0.016721958, -0.050825257, -0.11149351, -0.15707165, -0.18139087,
            -0.18115969, -0.1564094, -0.11048982, -0.049615968, 0.04100297, 0.031688135, 0.02199027, 0.0,
        ])
    static let infinity = Case(maxNorm: 0.1, normType: .infinity, scale: 2.0, norm: 0.19671147, clipped: [
            0.09479088, 0.07508101, 0.04520929, 0.009218697, -0.028019603, -0.06146558, -0.08659248, -0.099999495,
            -0.099872045, -0.08622739, -0.06091225, -0.027352931, 0.022604644, 0.017469445, 0.012123079, 0.0,
        ])
    static let l2Unclipped = Case(maxNorm: 10.0, normType: 2.0, scale: 1.0, norm: 0.2442005, clipped: [
            0.093232736, 0.073846854, 0.044466153, 0.009067163, -0.027559025, -0.060455225, -0.0851691, -0.09835573,
            -0.09823038, -0.08481, -0.059910994, -0.02690331, 0.022233076, 0.017182287, 0.011923803, 0.0,
        ])}
