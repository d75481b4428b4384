import Foundation
import Testing
import Tensor
import _TestSupport
import Autograd

/// A toy block in the shape of a Hugging Face model, to check dotted names.
private final class TinyBlock: Module {
    let embedTokens: Embedding
    let norm = RMSNorm(dimension: 4)
    let proj: Linear
    let lnF = LayerNorm(dimension: 3)
    let drop: Dropout
    init(using g: inout SeededGenerator) {
        embedTokens = Embedding(count: 10, dimension: 4, using: &g)
        proj = Linear(inputSize: 4, outputSize: 3, using: &g)
        drop = Dropout(probability: 0.1, using: &g)
    }
    var children: [(name: String, module: any Module)] {
        [("embed_tokens", embedTokens), ("norm", norm), ("proj", proj), ("ln_f", lnF), ("drop", drop)]
    }
    func callAsFunction(_ ids: [Int32], shape: [Int]) -> Variable {
        lnF(drop(proj(norm(embedTokens(ids, shape: shape)))))
    }
}

@Suite("Layers")
struct LayersTests {
    static func moments(_ t: Tensor) -> (mean: Double, variance: Double, min: Float, max: Float) {
        let s = t.scalars
        let mean = s.reduce(0) { $0 + Double($1) } / Double(s.count)
        let variance = s.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(s.count)
        return (mean, variance, s.min()!, s.max()!)
    }

    @Test func linearNamesShapesAndKaimingUniformInit() {
        var g = SeededGenerator(seed: 1)
        let layer = Linear(inputSize: 256, outputSize: 200, using: &g)
        #expect(layer.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(layer.weight.shape == [200, 256] && layer.bias?.shape == [200])
        let bound = 1 / Float(256).squareRoot()
        let w = Self.moments(layer.weight.value), b = Self.moments(layer.bias!.value)
        #expect(w.min >= -bound && w.max < bound && b.min >= -bound && b.max < bound)
        // U(−c, c): mean 0, variance c²/3.
        #expect(abs(w.mean) < 0.01 * Double(bound) * 10)
        #expect(abs(w.variance / (Double(bound * bound) / 3) - 1) < 0.02)
        #expect(w.max > 0.99 * bound && w.min < -0.99 * bound)
        let noBias = Linear(inputSize: 3, outputSize: 2, bias: false, using: &g)
        #expect(noBias.namedParameters().map(\.name) == ["weight"])
        let y = noBias(Variable(Tensor.ones([5, 3])))
        #expect(y.shape == [5, 2])
        // Same seed, same layer.
        var g1 = SeededGenerator(seed: 7), g2 = SeededGenerator(seed: 7)
        #expect(Linear(inputSize: 4, outputSize: 3, using: &g1).weight.value == Linear(inputSize: 4, outputSize: 3, using: &g2).weight.value)
    }

    @Test func embeddingIsStandardNormal() {
        var g = SeededGenerator(seed: 2)
        let e = Embedding(count: 500, dimension: 64, using: &g)
        #expect(e.namedParameters().map(\.name) == ["weight"])
        let m = Self.moments(e.weight.value)
        #expect(abs(m.mean) < 0.01 && abs(m.variance - 1) < 0.02)
        #expect(e([1, 2, 3, 4, 5, 6] as [Int32], shape: [2, 3]).shape == [2, 3, 64])
        #expect(e([1, 2], shape: [2]).value == e.weight.value.gatherRows([1, 2]))
    }

    @Test func normsStartAsIdentityScalesWithTorchDefaults() {
        let rms = RMSNorm(dimension: 6)
        #expect(rms.namedParameters().map(\.name) == ["weight"])
        #expect(rms.weight.value == Tensor.ones([6]) && rms.epsilon == 1e-6)
        let ln = LayerNorm(dimension: 6)
        #expect(ln.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(ln.weight.value == Tensor.ones([6]) && ln.bias?.value == Tensor.zeros([6]) && ln.epsilon == 1e-5)
        #expect(LayerNorm(dimension: 6, bias: false).namedParameters().map(\.name) == ["weight"])
        let x = fusedInput([2, 6], seed: 3)
        #expect(rms(Variable(x)).value == rmsNorm(Variable(x), weight: nil, epsilon: 1e-6).value)
        #expect(ln(Variable(x)).value == layerNorm(Variable(x), weight: nil, bias: nil).value)
    }

    @Test func dropoutTrainsByDefaultAndStopsInEval() {
        var g = SeededGenerator(seed: 4)
        let block = TinyBlock(using: &g)
        let x = Variable(Tensor.ones([10, 10]))
        #expect(block.drop.isTraining)
        #expect(block.drop(x).value != x.value)
        block.eval()
        #expect(!block.drop.isTraining)
        let saved = block.drop.generator
        #expect(block.drop(x).value == x.value)
        #expect(block.drop.generator == saved)
        block.train()
        #expect(block.drop.isTraining)
    }

    @Test func compositeModuleNamesAndGradients() {
        var g = SeededGenerator(seed: 5)
        let block = TinyBlock(using: &g)
        #expect(block.namedParameters().map(\.name) == [
            "embed_tokens.weight", "norm.weight", "proj.weight", "proj.bias", "ln_f.weight", "ln_f.bias",
        ])
        #expect(block.parameterCount == 40 + 4 + 12 + 3 + 3 + 3)
        block.eval()
        valueAndGradient { crossEntropy(logits: block([1, 2, 2, 9], shape: [2, 2]).reshaped([4, 3]), targets: [0, 1, 2, 0]) }
        for (name, p) in block.namedParameters() { #expect(p.gradient?.shape == p.shape, "\(name)") }
        // Rows of the embedding that were not looked up get zero gradient.
        let e = block.embedTokens.weight.gradient!
        #expect(e.gatherRows([0, 3, 4, 5, 6, 7, 8]) == Tensor.zeros([7, 4]))
    }

    @Test func softmaxRegressionLearnsWithPlainGradientSteps() {
        // Three separable clusters; 200 steps of gradient descent bring the loss near 0.
        var g = SeededGenerator(seed: 6)
        let layer = Linear(inputSize: 2, outputSize: 3, using: &g)
        let centers: [[Float]] = [[2, 0], [-1, 1.7], [-1, -1.7]]
        var points: [Float] = [], labels: [Int] = []
        for i in 0..<60 {
            let c = i % 3
            points += [centers[c][0] + 0.3 * g.nextNormal(), centers[c][1] + 0.3 * g.nextNormal()]
            labels.append(c)
        }
        let x = Variable(Tensor(shape: [60, 2], scalars: points))
        var first: Float = 0, last: Float = 0
        for step in 0..<200 {
            let loss = valueAndGradient { crossEntropy(logits: layer(x), targets: labels) }.scalar
            if step == 0 { first = loss }
            last = loss
            for p in layer.parameters() {
                p.value = p.value - 0.5 * p.gradient!
                p.zeroGradient()
            }
        }
        #expect(first > 0.5 && last < 0.05, "loss \(first) → \(last)")
    }
}
