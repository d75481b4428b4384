import Foundation
import Testing
import Tensor
import _TestSupport
import Autograd

@Suite("Linear op")
struct LinearTests {
    @Test(arguments: [[2, 3, 4], [5, 4], [4], [1, 1, 4]])
    func matchesMatmulPlusBias(shape: [Int]) {
        let x = fusedInput(shape, seed: 1), w = fusedInput([5, 4], seed: 2), b = fusedInput([5], seed: 3)
        let y = linear(Variable(x), weight: Variable(w), bias: Variable(b))
        #expect(y.shape == Array(shape.dropLast()) + [5])
        let expected = Tensor.matmul(x.reshaped([-1, 4]), w.transposed()) + b
        assertClose(y.value, expected.reshaped(y.shape))
        assertClose(linear(Variable(x), weight: Variable(w)).value, Tensor.matmul(x.reshaped([-1, 4]), w.transposed()).reshaped(y.shape))
    }

    @Test func gradientCheck() {
        let x = fusedInput([2, 3, 4], seed: 4), w = fusedInput([5, 4], seed: 5), b = fusedInput([5], seed: 6)
        gradcheck([x, w, b]) { v in linear(v[0], weight: v[1], bias: v[2]) }
        gradcheck([x, w]) { v in linear(v[0], weight: v[1]) }
        gradcheck([fusedInput([4], seed: 7), w, b]) { v in linear(v[0], weight: v[1], bias: v[2]) }
        gradcheck([fusedInput([7, 1], seed: 8), fusedInput([3, 1], seed: 9)]) { v in linear(v[0], weight: v[1]) }
    }

    /// `affine` (weight `[in, out]`, GPT-2's Conv1D) is `x·W + b`, with the same gradients.
    @Test(arguments: [[2, 3, 4], [5, 4], [4], [1, 1, 4]])
    func affineMatchesMatmulPlusBias(shape: [Int]) {
        let x = fusedInput(shape, seed: 12), w = fusedInput([4, 5], seed: 13), b = fusedInput([5], seed: 14)
        let y = affine(Variable(x), weight: Variable(w), bias: Variable(b))
        #expect(y.shape == Array(shape.dropLast()) + [5])
        assertClose(y.value, (Tensor.matmul(x.reshaped([-1, 4]), w) + b).reshaped(y.shape))
        assertClose(affine(Variable(x), weight: Variable(w)).value, Tensor.matmul(x.reshaped([-1, 4]), w).reshaped(y.shape))
        gradcheck([x, w, b]) { v in affine(v[0], weight: v[1], bias: v[2]) }
        gradcheck([x, w]) { v in affine(v[0], weight: v[1]) }
    }

    @Test func frozenWeightGetsNoGradientButInputDoes() {
        let w = Parameter(fusedInput([3, 2], seed: 10), requiresGradient: false)
        let b = Parameter(Tensor.zeros([3]))
        let x = Parameter(fusedInput([4, 2], seed: 11))
        valueAndGradient { linear(x.variable, weight: w.variable, bias: b.variable).sum() }
        #expect(w.gradient == nil)
        assertClose(b.gradient!, Tensor.full([3], 4))
        // d(Σ x·Wᵀ)/dx = column sums of W, for every row.
        let expected = Tensor.matmul(Tensor.ones([4, 3]), w.value)
        assertClose(x.gradient!, expected)
    }

    @Test func shapeMismatchStops() async {
        await #expect(processExitsWith: .failure) {
            _ = linear(Variable(Tensor.zeros([2, 3])), weight: Variable(Tensor.zeros([4, 5])))
        }
        await #expect(processExitsWith: .failure) {
            _ = affine(Variable(Tensor.zeros([2, 3])), weight: Variable(Tensor.zeros([4, 5])))
        }
    }
}
