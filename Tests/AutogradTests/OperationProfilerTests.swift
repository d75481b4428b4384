import Testing
import Tensor
import Autograd

/// `profileOperations` attributes every recorded operation to its site, in both phases, and
/// changes no result.
@Suite("Operation profiler")
struct OperationProfilerTests {
    func losses(steps: Int) -> [Float] {
        var rng = SeededGenerator(seed: 3)
        let model = ReadmeLoopTests.MLP(using: &rng)   // 2 → 16 → 2
        let x = Variable(Tensor.randomNormal([16, 2], using: &rng))
        let y = (0..<16).map { $0 % 2 }
        var optimizer = AdamW(learningRate: 0.01)
        return (0..<steps).map { _ in
            let loss = valueAndGradient { crossEntropy(logits: model(x), targets: y) }
            optimizer.step(model)
            model.zeroGradients()
            return loss.scalar
        }
    }

    @Test func everyOperationIsCountedInBothPhases() {
        let steps = 3
        let (profiled, profile) = profileOperations { losses(steps: steps) }
        #expect(profiled == losses(steps: steps), "profiling changes no value")
        func row(_ phase: OperationProfile.Phase, file: String) -> [OperationProfile.Row] {
            profile.rows.filter { $0.phase == phase && $0.site?.file.hasSuffix(file) == true }
        }
        // Two linear layers per step, forward and backward, recorded at one site.
        #expect(row(.forward, file: "Linear.swift").map(\.calls) == [2 * steps])
        #expect(row(.backward, file: "Linear.swift").map(\.calls) == [2 * steps])
        #expect(row(.forward, file: "CrossEntropy.swift").map(\.calls).reduce(0, +) == steps)
        #expect(row(.backward, file: "Variable+Unary.swift").map(\.calls).reduce(0, +) == steps, "relu")
        #expect(profile.rows.allSatisfy { $0.seconds >= 0 && $0.calls > 0 })
        #expect(profile.recordedSeconds <= profile.wallSeconds * 1.01 + 1e-4)
        #expect(profile.rows.map(\.seconds) == profile.rows.map(\.seconds).sorted(by: >))
        let table = profile.table(perCall: steps)
        #expect(table.contains("Linear.swift") && table.contains("wall"))
    }

    @Test func nothingIsRecordedOutsideATape() {
        var rng = SeededGenerator(seed: 4)
        let model = ReadmeLoopTests.MLP(using: &rng)
        let (_, profile) = profileOperations { withoutGradient { model(Variable(Tensor.ones([2, 2]))) } }
        #expect(profile.rows.isEmpty)
    }
}
