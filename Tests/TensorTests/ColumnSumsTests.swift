import Testing
@testable import Tensor
import _TestSupport

/// `Tensor.columnSums` (the bias gradient of `linear`/`affine`) against the general reduction,
/// on shapes that cross its 64-row chunks, and bitwise the same on 1, 2 and 3 threads.
@Suite("Column sums")
struct ColumnSumsTests {
    @Test(arguments: [[1, 1], [7, 3], [33, 17], [130, 9], [200, 8], [2, 3, 5], [0, 4], [65, 0]])
    func matchesSumAlongAxisZero(shape: [Int]) {
        var g = SeededGenerator(seed: UInt64(shape.reduce(7, *)))
        let x = Tensor.randomNormal(shape, using: &g)
        let got = Tensor.columnSums(x)
        let columns = shape.last!
        #expect(got.shape == [columns])
        let want = x.reshaped([shape.dropLast().reduce(1, *), columns]).sum(alongAxis: 0)
        assertClose(got, want, rtol: 1e-6, atol: 1e-6)
        let one = withThreadCount(1) { Tensor.columnSums(x) }
        let two = withThreadCount(2) { Tensor.columnSums(x) }
        let three = withThreadCount(3) { Tensor.columnSums(x) }
        #expect(one == got && two == got && three == got)
    }
}
