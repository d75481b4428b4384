import Foundation
import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// The fixed problem of `Scripts/reference_optimizers.py`: "weight" [3, 4] = sin(i), "bias" [4]
/// = 0.5 cos(j); at step s the gradients are 0.1 cos(0.37 (i+1) s) and
/// 0.05 cos(0.11 (j+1) s + 1) (bias[3]: 0), in Double rounded to Float; at step 4 the bias
/// has no gradient.
enum ReferenceProblem {
    static let recordedSteps = [1, 2, 5, 10]

    static func parameters() -> [(name: String, parameter: Parameter)] {
        let weight = Tensor(shape: [3, 4], scalars: (0..<12).map { Float(sin(Double($0))) })
        let bias = Tensor((0..<4).map { Float(0.5 * cos(Double($0))) })
        return [("weight", Parameter(weight)), ("bias", Parameter(bias))]
    }

    static func setGradients(_ parameters: [(name: String, parameter: Parameter)], step s: Int) {
        let weight: [Float] = (0..<12).map { (i: Int) -> Float in Float(0.1 * cos(0.37 * Double(i + 1) * Double(s))) }
        parameters[0].parameter.gradient = Tensor(shape: [3, 4], scalars: weight)
        let bias: [Float] = (0..<4).map { (j: Int) -> Float in
            j < 3 ? Float(0.05 * cos(0.11 * Double(j + 1) * Double(s) + 1)) : 0
        }
        parameters[1].parameter.gradient = s == 4 ? nil : Tensor(bias)
    }

    /// Runs `steps` on `parameters`; returns weight and bias, flattened, after each step.
    static func run(_ optimizer: inout some Optimizer, _ parameters: [(name: String, parameter: Parameter)],
                    steps: ClosedRange<Int>) -> [Int: [Float]] {
        var recorded: [Int: [Float]] = [:]
        for s in steps {
            setGradients(parameters, step: s)
            optimizer.step(parameters)
            recorded[s] = parameters[0].parameter.value.scalars + parameters[1].parameter.value.scalars
        }
        return recorded
    }

    /// Holds the trajectory of `optimizer` against torch's (`golden`: after `recordedSteps`).
    static func check(_ optimizer: some Optimizer, against golden: [[Float]], sourceLocation: SourceLocation = #_sourceLocation) {
        var optimizer = optimizer
        let trajectory = run(&optimizer, parameters(), steps: 1...10)
        for (k, s) in recordedSteps.enumerated() {
            assertClose(trajectory[s]!, golden[k], rtol: 1e-5, atol: 1e-6, "after step \(s)", sourceLocation: sourceLocation)
        }
    }
}

/// `‖A·x − b‖²` for a tiny fixed `A` [rows, n], recorded directly with `Variable.record`.
private func squaredResidual(_ x: Variable, _ a: [[Float]], _ b: [Float]) -> Variable {
    let xs = x.value.scalars
    let residual = a.indices.map { i in zip(a[i], xs).reduce(0) { $0 + $1.0 * $1.1 } - b[i] }
    let loss = residual.reduce(0) { $0 + $1 * $1 }
    return Variable.record(Tensor(loss), inputs: [x]) { g in
        let gradient = xs.indices.map { j in 2 * g.scalar * a.indices.reduce(0) { $0 + a[$1][j] * residual[$1] } }
        return [Tensor(shape: x.shape, scalars: gradient)]
    }
}

private final class TwoLayers: Module {
    let first = Parameter(Tensor([1, 2]))
    let frozen = Parameter(Tensor([3]), requiresGradient: false)
    let inner = Leaf()
    var ownParameters: [(name: String, parameter: Parameter)] { [("first", first), ("frozen", frozen)] }
    var children: [(name: String, module: any Module)] { [("inner", inner)] }
}

private final class Leaf: Module {
    let weight = Parameter(Tensor([4, 5, 6]))
    var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }
}

@Suite("Optimizers")
struct OptimizerTests {
    // MARK: Golden trajectories (torch 2.13, Scripts/reference_optimizers.py)

    @Test func adamWDefaultsMatchTorch() { ReferenceProblem.check(AdamW(), against: Golden.adamWDefaults) }

    @Test func adamWWithDecayMatchesTorch() {
        ReferenceProblem.check(AdamW(learningRate: 0.05, betas: (0.85, 0.98), epsilon: 1e-6, weightDecay: 0.1),
                               against: Golden.adamWDecay)
    }

    @Test func sgdMatchesTorch() {
        ReferenceProblem.check(SGD(learningRate: 0.1), against: Golden.sgdPlain)
        ReferenceProblem.check(SGD(learningRate: 0.1, momentum: 0.9), against: Golden.sgdMomentum)
        ReferenceProblem.check(SGD(learningRate: 0.2, momentum: 0.5, dampening: 0.3, weightDecay: 0.01),
                               against: Golden.sgdDampened)
        ReferenceProblem.check(SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true),
                               against: Golden.sgdNesterov)
    }

    // MARK: The fused kernel against the reference

    @Test(arguments: [0, 1, 7, 8, 33, 1000, 2 * 65_536 + 13])
    func fusedAdamWEqualsReferenceBitwise(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count) + 7)
        let p0 = Tensor.randomNormal([count], using: &rng), g = Tensor.randomNormal([count], using: &rng)
        let m0 = Tensor.randomNormal([count], using: &rng) * 0.1
        let v0 = Tensor.randomUniform([count], low: 0, high: 0.01, using: &rng)
        for optimizer in [AdamW(learningRate: 0.01, weightDecay: 0.1), AdamW(betas: (0.3, 0.9), weightDecay: 0)] {
            let c = optimizer.coefficients(step: 3)
            var (p, m, v) = (p0, m0, v0)
            var (pr, mr, vr) = (p0, m0, v0)
            func update(_ p: inout Tensor, _ m: inout Tensor, _ v: inout Tensor,
                        _ kernel: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                                   UnsafeMutablePointer<Float>, Int, AdamWCoefficients) -> Void) {
                guard count > 0 else { return }
                p.withUnsafeMutableBufferPointer { p in m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in g.withUnsafeBufferPointer { g in
                        kernel(p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, count, c)
                    } }
                } }
            }
            update(&p, &m, &v) { adamWUpdate($0, $1, $2, $3, count: $4, $5) }
            update(&pr, &mr, &vr) { referenceAdamWUpdate($0, $1, $2, $3, count: $4, $5) }
            #expect(p == pr && m == mr && v == vr, "β₁ \(optimizer.betas.0), \(count) elements")
        }
    }

    @Test func adamWWithoutFirstMomentDecayKeepsTheGradient() {
        // β₁ = 0: lerp with weight 1 gives m = g exactly.
        let p = Parameter(Tensor([1, -2, 3]))
        p.gradient = Tensor([0.5, 0.25, -8])
        var optimizer = AdamW(betas: (0, 0.999))
        optimizer.step([("p", p)])
        #expect(optimizer.moments["p"]?.firstMoment == Tensor([0.5, 0.25, -8]))
    }

    // MARK: Step semantics

    @Test func stepSkipsFrozenAndGradientlessParametersAndKeepsGradients() {
        let model = TwoLayers()
        model.first.gradient = Tensor([1, 1])
        model.frozen.gradient = Tensor([1])            // frozen: ignored even with a gradient
        var optimizer = AdamW(learningRate: 0.1, weightDecay: 0)
        optimizer.step(model)
        #expect(model.first.value.scalars.allSatisfy { abs($0 - Float(Int($0.rounded()))) > 0.05 })
        #expect(model.frozen.value.scalars == [3])
        #expect(model.inner.weight.value.scalars == [4, 5, 6])
        #expect(Set(optimizer.moments.keys) == ["first"])
        #expect(model.first.gradient?.scalars == [1, 1], "step does not clear gradients")
    }

    @Test func emptyParametersAreHarmless() {
        let empty = Parameter(Tensor.zeros([0, 3]))
        empty.gradient = Tensor.zeros([0, 3])
        var adamW = AdamW()
        adamW.step([("empty", empty)])
        var sgd = SGD(momentum: 0.9)
        sgd.step([("empty", empty)])
        #expect(empty.value.shape == [0, 3] && adamW.moments["empty"]?.step == 1)
        #expect(clipGradientNorm([empty], maxNorm: 1) == 0)
    }

    @Test func stepCountsArePerParameter() {
        var optimizer = AdamW()
        _ = ReferenceProblem.run(&optimizer, ReferenceProblem.parameters(), steps: 1...10)
        #expect(optimizer.moments["weight"]?.step == 10)
        #expect(optimizer.moments["bias"]?.step == 9)
    }

    @Test func sgdWithoutMomentumKeepsNoState() {
        var optimizer = SGD(learningRate: 0.1)
        _ = ReferenceProblem.run(&optimizer, ReferenceProblem.parameters(), steps: 1...3)
        #expect(optimizer.momentumBuffers.isEmpty)
        #expect(optimizer.state.tensors.isEmpty)
    }

    @Test func optimizersAreValues() {
        var first = AdamW()
        let parameters = ReferenceProblem.parameters()
        _ = ReferenceProblem.run(&first, parameters, steps: 1...2)
        let copy = first
        _ = ReferenceProblem.run(&first, parameters, steps: 3...3)
        #expect(copy.moments["weight"]?.step == 2)
        #expect(first.moments["weight"]?.step == 3)
        #expect(copy.moments["weight"]?.firstMoment != first.moments["weight"]?.firstMoment)
    }

    @Test func documentedDefaults() {
        let adamW = AdamW()
        #expect(adamW.learningRate == 1e-3 && adamW.betas == (0.9, 0.999) && adamW.epsilon == 1e-8 && adamW.weightDecay == 1e-2)
        let sgd = SGD()
        #expect(sgd.learningRate == 1e-3 && sgd.momentum == 0 && sgd.dampening == 0 && sgd.weightDecay == 0 && !sgd.nesterov)
    }

    // MARK: Behaviour: a convex problem converges

    private static let a: [[Float]] = [[2, 0.5, 0], [0.3, 1, -0.2], [0, -0.4, 1.5], [1, 1, 1], [0.5, -1, 0.25], [-0.7, 0.2, 0.9]]
    private static let solution: [Float] = [0.75, -1.25, 0.5]
    private static var b: [Float] { a.map { row in zip(row, solution).reduce(0) { $0 + $1.0 * $1.1 } } }

    private static func minimise(_ optimizer: inout some Optimizer, steps: Int,
                                 schedule: some LearningRateSchedule) -> (x: [Float], loss: Float) {
        let x = Parameter(Tensor([0, 0, 0]))
        var loss: Float = .infinity
        for step in 0..<steps {
            optimizer.learningRate = schedule.learningRate(atStep: step)
            loss = valueAndGradient { squaredResidual(x.variable, a, b) }.scalar
            optimizer.step([("x", x)])
            x.zeroGradient()
        }
        return (x.value.scalars, loss)
    }

    @Test func adamWMinimisesALeastSquaresProblem() {
        var optimizer = AdamW(weightDecay: 0)
        let (x, loss) = Self.minimise(&optimizer, steps: 600, schedule: .cosine(peak: 0.05, warmupSteps: 20, totalSteps: 600))
        #expect(loss < 1e-5)
        assertClose(x, Self.solution, rtol: 0, atol: 2e-3)
    }

    @Test func sgdWithMomentumMinimisesALeastSquaresProblem() {
        var optimizer = SGD(momentum: 0.9, nesterov: true)
        let (x, loss) = Self.minimise(&optimizer, steps: 300, schedule: .constant(0.02))
        #expect(loss < 1e-8)
        assertClose(x, Self.solution, rtol: 0, atol: 1e-4)
    }

    // MARK: Caller mistakes

    @Test func mistakesStopWithAMessage() async {
        await #expect(processExitsWith: .failure) {
            let p = Parameter(Tensor([1]))
            p.gradient = Tensor([1])
            var optimizer = SGD()
            optimizer.step([("p", p), ("p", Parameter(Tensor([2])))])
        }
        await #expect(processExitsWith: .failure) {
            var optimizer = AdamW()
            let small = Parameter(Tensor([1, 2]))
            small.gradient = Tensor([1, 1])
            optimizer.step([("w", small)])
            let large = Parameter(Tensor([1, 2, 3]))
            large.gradient = Tensor([1, 1, 1])
            optimizer.step([("w", large)])       // state 'w.exp_avg' [2] vs parameter [3]
        }
        await #expect(processExitsWith: .failure) {
            _ = SGD(momentum: 0, nesterov: true)
        }
    }
}

/// Parameters after steps 1, 2, 5 and 10 of the reference problem, weight then bias, from
/// `Scripts/reference_optimizers.py` (torch 2.13.0+cpu, single-tensor implementations).
private enum Golden {
    // AdamW()
    static let adamWDefaults: [[Float]] = [
        [
            -0.0009999998, 0.84046257, 0.9082883, 0.14011858, -0.75579494, -0.9579147, -0.2784127, 0.65798,
            0.99034834, 0.41311437, -0.5430157, -0.9989802, 0.498995, 0.26914844, -0.20907134, -0.4949913,
        ],
        [
            -0.0019873162, 0.8396984, 0.90848184, 0.1407967, -0.7548726, -0.9569903, -0.27816597, 0.6579462,
            0.99031323, 0.41336343, -0.54208696, -0.99805933, 0.49800473, 0.26825517, -0.20943639, -0.49498636,
        ],
        [
            -0.0042864373, 0.84057635, 0.90982854, 0.14133127, -0.75454736, -0.95660347, -0.27771455, 0.6584182,
            0.99077547, 0.41379005, -0.5417084, -0.99772817, 0.49624592, 0.26794234, -0.20837715, -0.49497646,
        ],
        [
            -0.003011987, 0.8410113, 0.9100334, 0.1417087, -0.75418764, -0.9562884, -0.27737063, 0.65867263,
            0.9910259, 0.4140983, -0.5414208, -0.9973434, 0.49590257, 0.27165487, -0.20404841, -0.49495173,
        ],
    ]
    // AdamW(learningRate: 0.05, betas: (0.85, 0.98), epsilon: 1e-6, weightDecay: 0.1)
    static let adamWDecay: [[Float]] = [
        [
            -0.049999475, 0.7872642, 0.85475206, 0.09041991, -0.70302033, -0.9041305, -0.228019, 0.70370114,
            1.034411, 0.46005732, -0.49130183, -0.9449921, 0.44750226, 0.21880329, -0.25702888, -0.49252126,
        ],
        [
            -0.09900544, 0.74624187, 0.8620011, 0.124872625, -0.65330297, -0.85423493, -0.21601236, 0.6974004,
            1.026557, 0.46909267, -0.44302177, -0.8942485, 0.39612544, 0.17360863, -0.27286628, -0.49005866,
        ],
        [
            -0.2074496, 0.7882496, 0.91878027, 0.14570503, -0.6317276, -0.82633156, -0.19421254, 0.710088,
            1.0343076, 0.48045528, -0.42100427, -0.8691796, 0.30665103, 0.16139735, -0.21319172, -0.48517033,
        ],
        [
            -0.11125103, 0.7831897, 0.9066578, 0.15791635, -0.6038366, -0.79598653, -0.17673536, 0.7036922,
            1.0205328, 0.48116714, -0.40107945, -0.8346591, 0.30801335, 0.35860828, 0.015311111, -0.4731618,
        ],
    ]
    // SGD(learningRate: 0.1)
    static let sgdPlain: [[Float]] = [
        [
            -0.009323274, 0.8340863, 0.9048508, 0.14021328, -0.7540466, -0.9528788, -0.27089858, 0.6668222,
            0.9991813, 0.4205995, -0.53803, -0.9972999, 0.4977767, 0.26843292, -0.2092658, -0.49499625,
        ],
        [
            -0.016707959, 0.8331796, 0.9108963, 0.15004885, -0.7455656, -0.95018846, -0.27540612, 0.6574745,
            0.9898828, 0.41621402, -0.5352087, -0.9887475, 0.49605846, 0.2677808, -0.20882037, -0.49499625,
        ],
        [
            -0.019305388, 0.85754174, 0.91597915, 0.139006, -0.7475339, -0.95197684, -0.27958167, 0.66470456,
            0.9969169, 0.41192994, -0.5368753, -0.99088573, 0.4947621, 0.27075046, -0.20237729, -0.49499625,
        ],
        [
            0.023396656, 0.8326929, 0.9217967, 0.14488034, -0.7552097, -0.94851834, -0.27899683, 0.6636417,
            0.9963486, 0.41236895, -0.5337194, -0.9980211, 0.50227785, 0.2928446, -0.18273719, -0.49499625,
        ],
    ]
    // SGD(learningRate: 0.1, momentum: 0.9)
    static let sgdMomentum: [[Float]] = [
        [
            -0.009323274, 0.8340863, 0.9048508, 0.14021328, -0.7540466, -0.9528788, -0.27089858, 0.6668222,
            0.9991813, 0.4205995, -0.53803, -0.9972999, 0.4977767, 0.26843292, -0.2092658, -0.49499625,
        ],
        [
            -0.025098905, 0.8265334, 0.9068943, 0.1492328, -0.7430853, -0.94474745, -0.2677409, 0.6663265,
            0.99872357, 0.42384693, -0.5298167, -0.98632616, 0.49405748, 0.2662344, -0.20989351, -0.49499625,
        ],
        [
            -0.07459285, 0.85166377, 0.9361802, 0.15637612, -0.734972, -0.93490666, -0.26030657, 0.6802439,
            1.0125188, 0.43123904, -0.5199094, -0.97833484, 0.48532814, 0.26584548, -0.20269218, -0.49499625,
        ],
        [
            -0.015257965, 0.8614317, 0.9497511, 0.16894877, -0.7236593, -0.9231074, -0.2487646, 0.6915501,
            1.0240996, 0.4427214, -0.508362, -0.96654415, 0.4856278, 0.32512715, -0.12408111, -0.49499625,
        ],
    ]
    // SGD(learningRate: 0.2, momentum: 0.5, dampening: 0.3, weightDecay: 0.01)
    static let sgdDampened: [[Float]] = [
        [
            -0.018646548, 0.82501864, 0.89858556, 0.13902433, -0.7497771, -0.9449154, -0.26182285, 0.67534375,
            1.0070256, 0.42825627, -0.5309509, -0.99260956, 0.4945534, 0.26617438, -0.21004203, -0.49400625,
        ],
        [
            -0.038282275, 0.81436807, 0.9004353, 0.15155166, -0.7333413, -0.93282163, -0.25897053, 0.6704901,
            1.0014317, 0.42958593, -0.5197226, -0.9755562, 0.4887322, 0.26290038, -0.21010868, -0.49281964,
        ],
        [
            -0.06410698, 0.84751683, 0.91594994, 0.14241023, -0.72821194, -0.9229644, -0.2575197, 0.6761025,
            1.0041727, 0.42540327, -0.51308244, -0.9687118, 0.48001352, 0.263996, -0.19898272, -0.4902066,
        ],
        [
            0.031066496, 0.80182177, 0.9087245, 0.14425644, -0.7213114, -0.9081456, -0.2531809, 0.6668868,
            0.99087054, 0.42012268, -0.5043723, -0.95770633, 0.48659718, 0.31204432, -0.14221486, -0.48341155,
        ],
    ]
    // SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true)
    static let sgdNesterov: [[Float]] = [
        [
            -0.0088571105, 0.83365613, 0.9042093, 0.14012456, -0.7534654, -0.9522701, -0.27105898, 0.6657063,
            0.9977502, 0.41978392, -0.53781277, -0.9964844, 0.49741286, 0.26826218, -0.20900851, -0.494526,
        ],
        [
            -0.019640073, 0.82867116, 0.9069244, 0.14891087, -0.74327004, -0.9459728, -0.27152112, 0.65991086,
            0.9915465, 0.41848683, -0.53197485, -0.98591834, 0.49420506, 0.26658252, -0.20878544, -0.4938557,
        ],
        [
            -0.043089934, 0.84706986, 0.917079, 0.14570229, -0.7360328, -0.93663895, -0.26860607, 0.6657426,
            0.9951998, 0.41711468, -0.5250785, -0.97733897, 0.48776382, 0.2668852, -0.20153907, -0.49199483,
        ],
        [
            0.0054054656, 0.8262299, 0.91224885, 0.15201604, -0.723536, -0.9153075, -0.2590763, 0.6602214,
            0.985038, 0.41611743, -0.51026773, -0.9606897, 0.48475075, 0.30077466, -0.15357827, -0.48505396,
        ],
    ]
}
