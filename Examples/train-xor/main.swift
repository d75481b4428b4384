// The README's training loop: a two-layer network learns XOR from scratch with AdamW.
// `swift run -c release train-xor` (Scripts/run.sh runs it). Tests/AutogradTests/ReadmeLoopTests.swift
// runs the same loop and checks what it prints.
import Autograd
import Tensor

final class MLP: Module {
    let hidden: Linear, output: Linear
    init(using rng: inout SeededGenerator) {
        hidden = Linear(inputSize: 2, outputSize: 16, using: &rng)
        output = Linear(inputSize: 16, outputSize: 2, using: &rng)
    }
    var children: [(name: String, module: any Module)] { [("hidden", hidden), ("output", output)] }
    func callAsFunction(_ x: Variable) -> Variable { output(hidden(x).relu()) }
}

var rng = SeededGenerator(seed: 0)
let model = MLP(using: &rng)
let x = Variable(Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1]))
let y = [0, 1, 1, 0]                                        // XOR of the two inputs
var optimizer = AdamW(learningRate: 0.01, weightDecay: 0)
for step in 1...250 {
    let loss = valueAndGradient { crossEntropy(logits: model(x), targets: y) }
    optimizer.step(model)
    model.zeroGradients()
    if step % 50 == 0 { print("step \(step)  loss \(loss.scalar)") }
}
print(withoutGradient { model(x) }.value.argmax(alongAxis: -1).scalars)  // predictions
