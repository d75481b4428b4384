import Testing
import Tensor
import _TestSupport
import Autograd

@Suite("Learning-rate schedules")
struct ScheduleTests {
    private func values(_ schedule: some LearningRateSchedule) -> [Float] {
        HuggingFace.steps.map { schedule.learningRate(atStep: $0) }
    }

    @Test func constantMatchesHuggingFace() {
        assertClose(values(.constant(3e-4)), HuggingFace.constant, rtol: 1e-5, atol: 1e-10)
        assertClose(values(.constant(2e-4, warmupSteps: 8)), HuggingFace.constantWarmup, rtol: 1e-5, atol: 1e-10)
    }

    @Test func linearMatchesHuggingFace() {
        assertClose(values(.linear(peak: 1e-3, warmupSteps: 10, totalSteps: 100)), HuggingFace.linear, rtol: 1e-5, atol: 1e-10)
        assertClose(values(.linear(peak: 5e-4, totalSteps: 77)), HuggingFace.linearNoWarmup, rtol: 1e-5, atol: 1e-10)
    }

    @Test func cosineMatchesHuggingFace() {
        assertClose(values(.cosine(peak: 3e-4, warmupSteps: 10, totalSteps: 100)), HuggingFace.cosine, rtol: 1e-5, atol: 1e-10)
        assertClose(values(.cosine(peak: 6e-4, warmupSteps: 4, totalSteps: 100, minimumRatio: 0.1)), HuggingFace.cosineFloor,
                    rtol: 1e-5, atol: 1e-10)
        assertClose(values(.cosine(peak: 1e-3, warmupSteps: 0, totalSteps: 50, cycles: 1.5)), HuggingFace.cosineCycles,
                    rtol: 1e-5, atol: 1e-10)
    }

    @Test func shapeOfTheCosineSchedule() {
        let schedule = CosineSchedule(peak: 1, warmupSteps: 10, totalSteps: 110, minimumRatio: 0.2)
        #expect(schedule.learningRate(atStep: 0) == 0)
        #expect(schedule.learningRate(atStep: 5) == 0.5)
        #expect(schedule.learningRate(atStep: 10) == 1)
        #expect(abs(schedule.learningRate(atStep: 60) - 0.6) < 1e-6)     // half-way: floor + (1 − floor)/2
        #expect(abs(schedule.learningRate(atStep: 110) - 0.2) < 1e-6)
        let steps = (10...110).map { schedule.learningRate(atStep: $0) }
        #expect(zip(steps, steps.dropFirst()).allSatisfy { $0 >= $1 }, "decreasing after the warm-up")
    }

    @Test func documentedDefaults() {
        let cosine = CosineSchedule(peak: 1, totalSteps: 10)
        #expect(cosine.warmupSteps == 0 && cosine.cycles == 0.5 && cosine.minimumRatio == 0)
        #expect(LinearSchedule(peak: 1, totalSteps: 10).warmupSteps == 0)
        #expect(ConstantSchedule(peak: 1).warmupSteps == 0)
    }

    @Test func aScheduleDrivesTheOptimizer() {
        let schedule = LinearSchedule(peak: 0.1, warmupSteps: 2, totalSteps: 4)
        var optimizer = SGD()
        let p = Parameter(Tensor([0]))
        for step in 0..<5 {
            optimizer.learningRate = schedule.learningRate(atStep: step)
            p.gradient = Tensor([1])
            optimizer.step([("p", p)])
        }
        // Rates 0, 0.05, 0.1, 0.05, 0: p = −0.2.
        assertClose(p.value.scalars, [-0.2], rtol: 0, atol: 1e-7)
    }

    @Test func negativeStepsStop() async {
        await #expect(processExitsWith: .failure) {
            _ = CosineSchedule(peak: 1, totalSteps: 10).learningRate(atStep: -1)
        }
    }
}

/// `transformers.optimization` schedules driven by torch's `LambdaLR`, from
/// `Scripts/reference_optimizers.py` (torch 2.13.0+cpu).
private enum HuggingFace {
    // LearningRateSchedule values at steps [0, 1, 4, 9, 10, 11, 25, 50, 77, 99, 100, 101, 130]
    static let steps = [0, 1, 4, 9, 10, 11, 25, 50, 77, 99, 100, 101, 130]
    // .constant(3e-4)
    static let constant: [Float] = [
        0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003,
        0.0003, 0.0003, 0.0003, 0.0003, 0.0003,
    ]
    // .constant(2e-4, warmupSteps: 8)
    static let constantWarmup: [Float] = [
        0.0, 2.5e-05, 1e-04, 0.0002, 0.0002, 0.0002, 0.0002, 0.0002,
        0.0002, 0.0002, 0.0002, 0.0002, 0.0002,
    ]
    // .linear(peak: 1e-3, warmupSteps: 10, totalSteps: 100)
    static let linear: [Float] = [
        0.0, 1e-04, 0.0004, 0.0009, 0.001, 0.0009888889, 0.00083333335, 0.00055555557,
        0.00025555555, 1.1111111e-05, 0.0, 0.0, 0.0,
    ]
    // .linear(peak: 5e-4, totalSteps: 77)
    static let linearNoWarmup: [Float] = [
        0.0005, 0.0004935065, 0.00047402596, 0.00044155846, 0.00043506493, 0.00042857142, 0.00033766235, 0.00017532468,
        0.0, 0.0, 0.0, 0.0, 0.0,
    ]
    // .cosine(peak: 3e-4, warmupSteps: 10, totalSteps: 100)
    static let cosine: [Float] = [
        0.0, 3e-05, 0.00012, 0.00027, 0.0003, 0.00029990863, 0.00027990382, 0.00017604722,
        4.5801244e-05, 9.1375945e-08, 0.0, 9.1375945e-08, 7.5e-05,
    ]
    // .cosine(peak: 6e-4, warmupSteps: 4, totalSteps: 100, minimumRatio: 0.1)
    static let cosineFloor: [Float] = [
        0.0, 0.00015, 0.0006, 0.0005963937, 0.00059481204, 0.0005929468, 0.00053871283, 0.00034765885,
        0.0001329367, 6.014456e-05, 6e-05, 6.014456e-05, 0.00017999603,
    ]
    // .cosine(peak: 1e-3, warmupSteps: 0, totalSteps: 50, cycles: 1.5)
    static let cosineCycles: [Float] = [
        0.001, 0.0009911436, 0.0008644843, 0.0004373334, 0.0003454915, 0.00025912316, 0.0005, 0.0,
        0.00031593774, 0.0009911436, 0.001, 0.0009911436, 0.0009045085,
    ]}
