import Testing
import Tensor
import Autograd

/// The README's training loop (Examples/train-xor/main.swift), run as a test: the losses it
/// prints in the README must be what it computes, and the network must learn XOR.
@Suite("README training loop")
struct ReadmeLoopTests {
    final class MLP: Module {
        let hidden: Linear, output: Linear
        init(using rng: inout SeededGenerator) {
            hidden = Linear(inputSize: 2, outputSize: 16, using: &rng)
            output = Linear(inputSize: 16, outputSize: 2, using: &rng)
        }
        var children: [(name: String, module: any Module)] { [("hidden", hidden), ("output", output)] }
        func callAsFunction(_ x: Variable) -> Variable { output(hidden(x).relu()) }
    }

    @Test func xorLoopPrintsTheReadmeLosses() {
        var rng = SeededGenerator(seed: 0)
        let model = MLP(using: &rng)
        let x = Variable(Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1]))
        let y = [0, 1, 1, 0]
        var optimizer = AdamW(learningRate: 0.01, weightDecay: 0)
        var printed: [Float] = []
        for step in 1...250 {
            let loss = valueAndGradient { crossEntropy(logits: model(x), targets: y) }
            optimizer.step(model)
            model.zeroGradients()
            if step % 50 == 0 { printed.append(loss.scalar) }
        }
        // The figures shown in README.md.
        let readme: [Float] = [0.52797854, 0.19523464, 0.046766996, 0.016597042, 0.007853127]
        for (got, shown) in zip(printed, readme) {
            #expect(abs(got - shown) <= 1e-3 * shown, "README shows \(shown), the loop computes \(got)")
        }
        #expect(printed.last! < 0.05, "a tiny model overfits one batch")
        #expect(withoutGradient { model(x) }.value.argmax(alongAxis: -1).scalars == [0, 1, 1, 0])
        #expect(model.namedParameters().map(\.name) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"])
    }
}
