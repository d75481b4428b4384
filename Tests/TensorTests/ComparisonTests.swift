import Foundation
import Testing
@testable import Tensor
import _TestSupport

@Suite("Comparisons, where and maskedFill")
struct ComparisonTests {
    typealias Fast = (Tensor, Tensor) -> Tensor

    static var comparisons: [(String, Fast, (Tensor, Float) -> Tensor, (Double, Double) -> Bool)] {
        [
            ("equal", Tensor.equal, Tensor.equal, { $0 == $1 }),
            ("notEqual", Tensor.notEqual, Tensor.notEqual, { $0 != $1 }),
            ("less", Tensor.less, Tensor.less, { $0 < $1 }),
            ("lessEqual", Tensor.lessEqual, Tensor.lessEqual, { $0 <= $1 }),
            ("greater", Tensor.greater, Tensor.greater, { $0 > $1 }),
            ("greaterEqual", Tensor.greaterEqual, Tensor.greaterEqual, { $0 >= $1 }),
        ]
    }

    /// Small integers, so that equal elements occur often.
    func integerPair(_ sa: [Int], _ sb: [Int], seed: UInt64) -> (Tensor, Tensor) {
        let (a, b) = randomPair(sa, sb, seed: seed, low: -2, high: 2)
        return (Tensor(shape: a.shape, scalars: a.scalars.map { $0.rounded() }),
                Tensor(shape: b.shape, scalars: b.scalars.map { $0.rounded() }))
    }

    @Test(arguments: broadcastPairs + largeBroadcastPairs)
    func comparisonsMatchReference(_ shapes: ([Int], [Int])) {
        let (a, b) = integerPair(shapes.0, shapes.1, seed: 21)
        for (name, fast, withScalar, exact) in Self.comparisons {
            assertClose(fast(a, b), ElementwiseReference.binary(a, b) { exact($0, $1) ? 1 : 0 },
                        rtol: 0, atol: 0, "\(name) \(shapes)")
            assertClose(withScalar(a, 1), ElementwiseReference.binary(a, Tensor(1)) { exact($0, $1) ? 1 : 0 },
                        rtol: 0, atol: 0, "\(name) with scalar")
        }
    }

    @Test func operatorsAndIntoForms() {
        let (a, b) = integerPair([33, 5], [5], seed: 22)
        assertClose(a .== b, Tensor.equal(a, b), rtol: 0, atol: 0)
        assertClose(a .!= b, Tensor.notEqual(a, b), rtol: 0, atol: 0)
        assertClose(a .< b, Tensor.less(a, b), rtol: 0, atol: 0)
        assertClose(a .<= b, Tensor.lessEqual(a, b), rtol: 0, atol: 0)
        assertClose(a .> b, Tensor.greater(a, b), rtol: 0, atol: 0)
        assertClose(a .>= b, Tensor.greaterEqual(a, b), rtol: 0, atol: 0)
        assertClose(a .> 0, Tensor.greater(a, 0), rtol: 0, atol: 0)
        assertClose(0 .< a, Tensor.greater(a, 0), rtol: 0, atol: 0)
        assertClose(0 .>= a, Tensor.lessEqual(a, 0), rtol: 0, atol: 0)
        assertClose(1 .== a, a .== 1, rtol: 0, atol: 0)
        var out = Tensor.zeros([33, 5])
        let address = out.withUnsafeBufferPointer { $0.baseAddress }
        let intoForms: [(Fast, (Tensor, Tensor, inout Tensor) -> Void)] = [
            (Tensor.equal, { Tensor.equal($0, $1, into: &$2) }),
            (Tensor.notEqual, { Tensor.notEqual($0, $1, into: &$2) }),
            (Tensor.less, { Tensor.less($0, $1, into: &$2) }),
            (Tensor.lessEqual, { Tensor.lessEqual($0, $1, into: &$2) }),
            (Tensor.greater, { Tensor.greater($0, $1, into: &$2) }),
            (Tensor.greaterEqual, { Tensor.greaterEqual($0, $1, into: &$2) }),
        ]
        for (value, into) in intoForms {
            into(a, b, &out)
            assertClose(out, value(a, b), rtol: 0, atol: 0)
        }
        #expect(out.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect((Tensor([1, 2, 3]) .< Tensor([2, 2, 2])).scalars == [1, 0, 0])
    }

    @Test func nanComparesFalseExceptNotEqual() {
        let a = Tensor([.nan, 1, .infinity])
        let b = Tensor([.nan, .nan, .infinity])
        #expect(Tensor.equal(a, b).scalars == [0, 0, 1])
        #expect(Tensor.notEqual(a, b).scalars == [1, 1, 0])
        #expect(Tensor.less(a, b).scalars == [0, 0, 0])
        #expect(Tensor.greaterEqual(a, b).scalars == [0, 0, 1])
    }

    static let whereShapes: [([Int], [Int], [Int])] = [
        ([7], [7], [7]), ([0, 3], [0, 3], [3]), ([33, 5], [33, 5], []), ([33, 1], [5], [33, 5]),
        ([3, 1, 5], [4, 1], [5]), ([2, 3], [], []), ([1], [2, 2], [2, 1]), ([200_003], [200_003], [200_003]),
        ([1000, 201], [201], [1000, 1]),
    ]

    @Test(arguments: whereShapes)
    func whereMatchesReference(_ shapes: ([Int], [Int], [Int])) {
        var g = SeededGenerator(seed: 31)
        let condition = Tensor.greater(Tensor.randomUniform(shapes.0, using: &g), 0.5)
        let a = Tensor.randomNormal(shapes.1, using: &g), b = Tensor.randomNormal(shapes.2, using: &g)
        let expected = ElementwiseReference.select(condition, a, b)
        assertClose(Tensor.where(condition, a, b), expected, rtol: 0, atol: 0)
        var out = Tensor.zeros(expected.shape)
        let address = out.withUnsafeBufferPointer { $0.baseAddress }
        Tensor.where(condition, a, b, into: &out)
        assertClose(out, expected, rtol: 0, atol: 0)
        #expect(out.withUnsafeBufferPointer { $0.baseAddress } == address)
    }

    @Test func whereTreatsNonzeroAndNaNAsTrue() {
        let picked = Tensor.where(Tensor([0, 2, -1, .nan, -0.0]), Tensor([1, 1, 1, 1, 1]), Tensor(0))
        #expect(picked.scalars == [0, 1, 1, 1, 0])
    }

    @Test(arguments: [([4, 3], [4, 3]), ([2, 3, 4, 4], [4, 4]), ([2, 3, 4, 4], [2, 1, 1, 4]), ([33, 5], [33, 1]),
                      ([5], []), ([0, 3], [3]), ([200_003], [200_003]), ([8, 64, 512], [64, 512])])
    func maskedFillMatchesReference(_ shapes: ([Int], [Int])) {
        var g = SeededGenerator(seed: 41)
        let x = Tensor.randomNormal(shapes.0, using: &g)
        let mask = Tensor.less(Tensor.randomUniform(shapes.1, using: &g), 0.3)
        let expected = ElementwiseReference.maskedFill(x, mask, -.infinity)
        assertClose(x.maskedFill(mask, with: -.infinity), expected, rtol: 0, atol: 0)
        var out = Tensor.zeros(x.shape)
        Tensor.maskedFill(x, mask, with: -.infinity, into: &out)
        assertClose(out, expected, rtol: 0, atol: 0)
    }

    @Test func causalMask() {
        // Upper triangle (key after query) masked, as an attention mask for T = 3.
        let query = Tensor.arange(0, 3).reshaped([3, 1]), key = Tensor.arange(0, 3)
        let future = Tensor.greater(key, query)
        #expect(future.scalars == [0, 1, 1, 0, 0, 1, 0, 0, 0])
        let scores = Tensor.zeros([2, 3, 3]).maskedFill(future, with: -.infinity)
        #expect(scores.scalars.filter { $0 == -.infinity }.count == 6)
    }

    @Test func maskThatDoesNotBroadcastToSelfStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([4, 4]).maskedFill(Tensor.zeros([2, 4, 4]), with: 0)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 4, 4]") && message.contains("[4, 4]"))
    }

    @Test func whereWithShapesThatDoNotBroadcastStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.where(Tensor.zeros([3]), Tensor.zeros([2, 3]), Tensor.zeros([2, 4]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[2, 4]"))
    }
}
