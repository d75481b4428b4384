import Foundation
import Testing
import Tensor
import _TestSupport
import Autograd

@Suite("RMSNorm and LayerNorm")
struct NormalizationTests {
    @Test func goldenValuesFromTorch() {
        // Scripts/reference_autograd_ops.py: HF LlamaRMSNorm formula and F.layer_norm, float64.
        let rmsNormOutput: [Float] = [
            0.17016909, 0.9258946, 1.0451254, 0.67433774, 0.9963178, 1.9884814,
            1.8799256, 0.76917285, 0.07376814, -0.3558812, -0.8757651, -1.4703506,
            -1.1610934, -0.5934399, -0.70546085, -1.4966973, -0.78926885, 0.22204514,
            0.49086586, 1.1076828, 1.3994373, 1.7892152, 1.1380777, 0.45898917,
            0.375224, 0.14014825, -0.6546487, -0.9534197, -0.6821504, -1.0815585,
        ]
        let layerNormOutput: [Float] = [
            -1.7238859, -0.5919981, 0.751452, 1.3521615, 1.0408231, 0.38350925,
            -0.46503684, 1.308559, 0.03890303, -1.068996, -1.1938151, -0.5418677,
            0.22837563, 1.1993322, 0.12742154, 1.1198691, 1.5835142, 1.133781,
            0.24181932, -0.5784636, -1.5445892,
        ]
        let x1 = goldenWave([2, 3, 5], 0.37, 0.1, scale: 2)
        let w1 = goldenWave([5], 1.3, 0.5, scale: 0.5) + 1
        let rms = rmsNorm(Variable(x1), weight: Variable(w1))  // default eps 1e-6
        assertClose(rms.value, Tensor(shape: [2, 3, 5], scalars: rmsNormOutput), rtol: 1e-5, atol: 1e-6)
        let x2 = goldenWave([3, 7], 0.5, -0.2, scale: 1.5) + 0.25
        let w2 = goldenWave([7], 0.9, 0, scale: 0.3) + 1, b2 = goldenWave([7], 0.4, 1, scale: 0.2)
        let ln = layerNorm(Variable(x2), weight: Variable(w2), bias: Variable(b2))  // default eps 1e-5
        assertClose(ln.value, Tensor(shape: [3, 7], scalars: layerNormOutput), rtol: 1e-5, atol: 1e-6)
    }

    @Test(arguments: [[3, 7], [2, 3, 5]])
    func rmsNormGradientCheck(shape: [Int]) {
        let x = fusedInput(shape, seed: 1), w = fusedInput([shape.last!], seed: 2) + 1
        gradcheck([x, w], "rmsNorm \(describeShape(shape))") { v in rmsNorm(v[0], weight: v[1], epsilon: 1e-6) }
        gradcheck([x], "rmsNorm without weight") { v in rmsNorm(v[0], weight: nil) }
    }

    @Test(arguments: [[3, 7], [2, 3, 5]])
    func layerNormGradientCheck(shape: [Int]) {
        let x = fusedInput(shape, seed: 3), w = fusedInput([shape.last!], seed: 4) + 1, b = fusedInput([shape.last!], seed: 5)
        gradcheck([x, w, b], "layerNorm \(describeShape(shape))") { v in layerNorm(v[0], weight: v[1], bias: v[2]) }
        gradcheck([x, w], "layerNorm without bias") { v in layerNorm(v[0], weight: v[1], bias: nil) }
        gradcheck([x], "layerNorm without affine") { v in layerNorm(v[0], weight: nil, bias: nil) }
    }

    @Test func layerNormRowsHaveZeroMeanAndUnitVariance() {
        let x = fusedInput([4, 300], seed: 6, scale: 5) + 3
        let y = layerNorm(Variable(x), weight: nil, bias: nil).value
        assertClose(y.mean(alongAxis: 1), Tensor.zeros([4]), atol: 1e-5)
        assertClose(y.variance(alongAxis: 1), Tensor.ones([4]), rtol: 1e-4)
    }

    @Test func weightShapeMismatchStops() async {
        await #expect(processExitsWith: .failure) {
            _ = layerNorm(Variable(Tensor.zeros([2, 3])), weight: Variable(Tensor.ones([3])), bias: Variable(Tensor.zeros([2])))
        }
    }
}
