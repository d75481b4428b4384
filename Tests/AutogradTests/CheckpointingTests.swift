import Foundation
import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// A residual MLP block: `x + down(dropout(gelu(up(norm(x)))))`, `[…, 8] → […, 8]`.
private final class Block: Module {
    let norm = LayerNorm(dimension: 8)
    let up: Linear, down: Linear
    let drop: Dropout

    init(dropout: Float, using g: inout SeededGenerator) {
        up = Linear(inputSize: 8, outputSize: 24, using: &g)
        down = Linear(inputSize: 24, outputSize: 8, using: &g)
        drop = Dropout(probability: dropout, using: &g)
    }

    var children: [(name: String, module: any Module)] { [("norm", norm), ("up", up), ("down", down), ("drop", drop)] }

    func callAsFunction(_ x: Variable) -> Variable { x + down(drop(up(norm(x)).gelu())) }
}

/// Three blocks and a weighted-sum loss; `checkpoint` runs each block through `checkpointed`.
private final class Stack: Module {
    let blocks: [Block]
    let weights: Tensor

    init(seed: UInt64, dropout: Float = 0) {
        var g = SeededGenerator(seed: seed)
        blocks = (0..<3).map { _ in Block(dropout: dropout, using: &g) }
        weights = Tensor.randomUniform([2, 5, 8], low: -1, high: 1, using: &g)
    }

    var children: [(name: String, module: any Module)] { blocks.enumerated().map { ("\($0.offset)", $0.element as any Module) } }

    func callAsFunction(_ x: Variable, checkpoint: Bool) -> Variable {
        var h = x
        for block in blocks { h = checkpoint ? checkpointed(h) { block($0) } : block(h) }
        return h
    }

    func loss(_ x: Variable, checkpoint: Bool) -> Variable { (self(x, checkpoint: checkpoint) * Variable(weights)).sum() }
}

private func input(seed: UInt64 = 7) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor.randomNormal([2, 5, 8], using: &g)
}

/// Loss, input gradient and every parameter gradient of one backward pass.
private func run(_ stack: Stack, checkpoint: Bool, steps: Int = 1) -> (loss: [Tensor], input: Tensor, parameters: [Tensor]) {
    stack.zeroGradients()
    var losses: [Tensor] = [], inputGradient = Tensor.zeros([1])
    for _ in 0..<steps {
        let (value, gradients) = valueAndGradient(at: [input()]) { stack.loss($0[0], checkpoint: checkpoint) }
        losses.append(value)
        inputGradient = gradients[0]
    }
    return (losses, inputGradient, stack.parameters().map { $0.gradient ?? Tensor.zeros($0.shape) })
}

@Suite("Activation checkpointing", .serialized)
struct CheckpointingTests {
    @Test func valueAndGradientsAreBitwiseThoseWithoutCheckpointing() {
        withThreadCount(1) {
            let plain = run(Stack(seed: 1), checkpoint: false)
            let checkpointed = run(Stack(seed: 1), checkpoint: true)
            #expect(checkpointed.loss == plain.loss)
            #expect(checkpointed.input == plain.input)
            #expect(checkpointed.parameters == plain.parameters)
            #expect(plain.parameters.allSatisfy { $0.scalars.contains { $0 != 0 } })
        }
    }

    @Test func dropoutMasksAreReplayedInTheRecomputation() {
        withThreadCount(1) {
            // Two steps: the second checks that the generators continue as without checkpointing.
            let plainStack = Stack(seed: 2, dropout: 0.3), checkpointedStack = Stack(seed: 2, dropout: 0.3)
            let plain = run(plainStack, checkpoint: false, steps: 2)
            let checkpointed = run(checkpointedStack, checkpoint: true, steps: 2)
            #expect(plain.loss[0] != plain.loss[1], "the two steps draw different masks")
            #expect(checkpointed.loss == plain.loss)
            #expect(checkpointed.input == plain.input)
            #expect(checkpointed.parameters == plain.parameters)
            #expect(checkpointedStack.blocks.map(\.drop.generator) == plainStack.blocks.map(\.drop.generator))
        }
    }

    @Test func dropoutWithoutReplayWouldGiveOtherGradients() {
        // The same segment with a generator captured by the closure (not replayed): the
        // recomputation draws a new mask, so the gradients differ — what replay prevents.
        let x = input()
        var g = SeededGenerator(seed: 3)
        let plain = valueAndGradient(at: [x]) { v in
            var local = SeededGenerator(seed: 3)
            return (dropout(v[0], probability: 0.5, using: &local, training: true) * v[0]).sum()
        }
        let unreplayed = valueAndGradient(at: [x]) { v in
            checkpointed(v[0]) { (dropout($0, probability: 0.5, using: &g, training: true) * $0).sum() }
        }
        #expect(unreplayed.value == plain.value)
        #expect(unreplayed.gradients[0] != plain.gradients[0])
    }

    @Test func parametersGetGradientsWhenTheInputIsAConstant() {
        withThreadCount(1) {
            let (a, b) = (Stack(seed: 4), Stack(seed: 4))
            let x = Variable(input())
            let plain = valueAndGradient { a.loss(x, checkpoint: false) }
            let checkpointed = valueAndGradient { b.loss(x, checkpoint: true) }
            #expect(checkpointed == plain)
            #expect(b.parameters().map(\.gradient) == a.parameters().map(\.gradient))
            #expect(b.parameters().allSatisfy { $0.gradient != nil })
        }
    }

    @Test func frozenSegmentOfConstantsIsAConstant() {
        let stack = Stack(seed: 5)
        stack.freeze()
        var calls = 0
        valueAndGradient {
            let y = checkpointed(Variable(input())) { x in calls += 1; return stack.blocks[0](x) }
            #expect(!y.isTracked)
            return y.sum()
        }
        #expect(calls == 1)
    }

    @Test func oneTapeEntryPerSegmentAndOneRecomputation() {
        let stack = Stack(seed: 6)
        var calls = 0
        var entries: [Int] = []
        let p = Parameter(input())
        valueAndGradient {
            let tape = Tape.current!
            let x = p.variable
            entries.append(tape.count)
            let y = checkpointed(x) { x in calls += 1; return stack.blocks[0](x) }
            entries.append(tape.count)
            _ = stack.blocks[0](x)
            entries.append(tape.count)
            return y.sum()
        }
        #expect(calls == 2, "one forward, one recomputation")
        #expect(entries[1] - entries[0] == 1)
        #expect(entries[2] - entries[1] > 10, "the same block without checkpointing records every operation")
        #expect(p.gradient != nil)
    }

    @Test func withoutATapeTheBodyRunsOnce() {
        var calls = 0
        let y = withoutGradient { checkpointed(Variable(input())) { calls += 1; return $0 * 2 } }
        #expect(calls == 1)
        #expect(y.value == input() * 2)
    }

    @Test func gradientCheckThroughNestedSegments() {
        var g = SeededGenerator(seed: 8)
        let block = Block(dropout: 0, using: &g)
        let x = Tensor.randomNormal([3, 8], using: &g), s = Tensor.randomNormal([3, 8], using: &g)
        gradcheck([x, s], "nested checkpoints, two inputs") { v in
            checkpointed(v) { inner in
                let h = checkpointed(inner[0]) { block($0) }
                return checkpointed([h, inner[1]]) { $0[0] * $0[1].tanh() }
            }
        }
    }

    @Test func bodyMayRunItsOwnValueAndGradient() {
        withThreadCount(1) {
            let stack = Stack(seed: 9)
            let side = Parameter(Tensor([1.5, -0.5]))
            func segment(_ x: Variable) -> Variable {
                side.zeroGradient()
                let inner = valueAndGradient { (side.variable * side.variable).sum() }
                return stack.blocks[0](x) * inner.scalar
            }
            let plain = valueAndGradient(at: [input()]) { segment($0[0]).sum() }
            let plainGradient = stack.blocks[0].up.weight.gradient
            stack.zeroGradients()
            let segmented = valueAndGradient(at: [input()]) { checkpointed($0[0], segment).sum() }
            #expect(segmented.value == plain.value)
            #expect(segmented.gradients == plain.gradients)
            #expect(stack.blocks[0].up.weight.gradient == plainGradient)
            #expect(side.gradient?.scalars == [3, -1])
        }
    }
}
