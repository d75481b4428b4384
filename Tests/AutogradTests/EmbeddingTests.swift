import Foundation
import Testing
import Tensor
import _TestSupport
import Autograd

@Suite("Embedding")
struct EmbeddingTests {
    @Test func lookupKeepsTheIdsShape() {
        let table = Tensor.ramp([10, 4])
        let y = embedding(Variable(table), ids: [1, 2, 3, 9, 9, 0], shape: [2, 3])
        #expect(y.shape == [2, 3, 4])
        #expect(y.value.reshaped([6, 4]) == table.gatherRows([1, 2, 3, 9, 9, 0]))
        #expect(embedding(Variable(table), ids: [1, 2, 3, 9, 9, 0] as [Int32], shape: [2, 3]).value == y.value)
    }

    @Test func repeatedIdsAccumulateGradients() {
        let table = fusedInput([5, 3], seed: 1)
        let ids = [4, 1, 4, 4, 0, 1]
        gradcheck([table]) { v in embedding(v[0], ids: ids, shape: [2, 3]) }
        let (_, grads) = vectorJacobianProduct(at: [table], seed: Tensor.ones([2, 3, 3])) { v in
            embedding(v[0], ids: ids, shape: [2, 3])
        }
        // Row r receives one per occurrence of r.
        #expect(grads[0].scalars == [1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 3, 3, 3])
    }

    @Test func idOutOfRangeStops() async {
        await #expect(processExitsWith: .failure) {
            _ = embedding(Variable(Tensor.zeros([3, 2])), ids: [0, 3], shape: [2])
        }
    }
}
