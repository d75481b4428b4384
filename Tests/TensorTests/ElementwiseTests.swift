import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// Shape pairs that reach every kernel of `Tensor+Elementwise.swift`: equal shapes, a single
/// element on either side, row and column broadcasts both ways round, and general broadcasts.
let broadcastPairs: [([Int], [Int])] = [
    ([1], [1]), ([7], [7]), ([33, 5], [33, 5]), ([0, 3], [0, 3]), ([0, 3], [3]), ([0, 3], [1, 1]),
    ([], [2, 2]), ([2, 2], []), ([7], [1]), ([1, 1, 1], [7]),          // one element
    ([2, 3], [3]), ([3], [2, 3]), ([4, 33, 5], [33, 5]), ([1, 5], [33, 5]),  // rows
    ([33, 5], [33, 1]), ([33, 1], [33, 5]), ([2, 3, 4], [2, 3, 1]), ([3, 1], [2, 3, 4]),  // columns
    ([3, 1, 5], [4, 1]), ([4, 1, 3], [1, 5, 1]), ([2, 1, 3, 1], [1, 4, 1, 5]),  // general
    ([5, 1], [1, 7]), ([2, 3, 1, 4], [3, 5, 1]), ([1, 33, 1], [7, 1, 5]),
]

/// Large pairs: more than one chunk of `elementwiseGrain`, so the threaded paths run.
let largeBroadcastPairs: [([Int], [Int])] = [
    ([200_003], [200_003]), ([200_003], []), ([], [200_003]), ([1000, 201], [201]), ([201], [1000, 201]),
    ([1000, 201], [1000, 1]), ([50, 2, 2001], [50, 1, 2001]), ([3001, 1], [1, 67]),
]

func randomPair(_ sa: [Int], _ sb: [Int], seed: UInt64, low: Float = -3, high: Float = 3) -> (Tensor, Tensor) {
    var g = SeededGenerator(seed: seed)
    return (Tensor.randomUniform(sa, low: low, high: high, using: &g),
            Tensor.randomUniform(sb, low: low, high: high, using: &g))
}

@Suite("Broadcasting binary ops")
struct ElementwiseTests {
    typealias Fast = (Tensor, Tensor) -> Tensor
    typealias Exact = (Double, Double) -> Double

    static var ops: [(String, Fast, Exact)] {
        [
            ("add", Tensor.add, { $0 + $1 }),
            ("subtract", Tensor.subtract, { $0 - $1 }),
            ("multiply", Tensor.multiply, { $0 * $1 }),
            ("divide", Tensor.divide, { $0 / $1 }),
            ("maximum", Tensor.maximum, ElementwiseReference.maximum),
            ("minimum", Tensor.minimum, ElementwiseReference.minimum),
        ]
    }

    /// + − × ÷ round once in Float and in the Double reference alike: results must be identical.
    @Test(arguments: broadcastPairs + largeBroadcastPairs)
    func arithmeticMatchesReference(_ shapes: ([Int], [Int])) {
        let (a, b) = randomPair(shapes.0, shapes.1, seed: UInt64(shapes.0.count * 31 + shapes.1.reduce(7, +)))
        for (name, fast, exact) in Self.ops {
            let expected = ElementwiseReference.binary(a, b, exact)
            assertClose(fast(a, b), expected, rtol: 0, atol: 0, "\(name) \(shapes)")
        }
    }

    @Test(arguments: broadcastPairs + largeBroadcastPairs)
    func powMatchesReference(_ shapes: ([Int], [Int])) {
        var g = SeededGenerator(seed: 11)
        let base = Tensor.randomUniform(shapes.0, low: 0.1, high: 3, using: &g)
        let exponent = Tensor.randomUniform(shapes.1, low: -2, high: 2, using: &g)
        assertClose(Tensor.pow(base, exponent), ElementwiseReference.binary(base, exponent, Foundation.pow),
                    rtol: 2e-7, atol: 0)
    }

    @Test func operatorsAndScalars() {
        let (a, b) = randomPair([33, 5], [5], seed: 3)
        let s: Float = 1.75
        let scalar = Tensor(s)
        assertClose(a + b, Tensor.add(a, b), rtol: 0, atol: 0)
        assertClose(a - b, Tensor.subtract(a, b), rtol: 0, atol: 0)
        assertClose(a * b, Tensor.multiply(a, b), rtol: 0, atol: 0)
        assertClose(a / b, Tensor.divide(a, b), rtol: 0, atol: 0)
        assertClose(a + s, Tensor.add(a, scalar), rtol: 0, atol: 0)
        assertClose(s + a, Tensor.add(scalar, a), rtol: 0, atol: 0)
        assertClose(a - s, Tensor.subtract(a, scalar), rtol: 0, atol: 0)
        assertClose(s - a, Tensor.subtract(scalar, a), rtol: 0, atol: 0)
        assertClose(a * s, Tensor.multiply(a, scalar), rtol: 0, atol: 0)
        assertClose(s * a, Tensor.multiply(scalar, a), rtol: 0, atol: 0)
        assertClose(a / s, Tensor.divide(a, scalar), rtol: 0, atol: 0)
        assertClose(s / a, Tensor.divide(scalar, a), rtol: 0, atol: 0)
        assertClose(Tensor.maximum(a, s), Tensor.maximum(a, scalar), rtol: 0, atol: 0)
        assertClose(Tensor.minimum(a, s), Tensor.minimum(a, scalar), rtol: 0, atol: 0)
        assertClose(Tensor.pow(a.abs(), 2), a * a, rtol: 0, atol: 0)
        assertClose(Tensor.pow(a.abs(), 0.5), Tensor.pow(a.abs(), Tensor(0.5)), rtol: 0, atol: 0)
        assertClose(-a, 0 - a, rtol: 0, atol: 0)
        #expect((Tensor([1, 2]) + Tensor([10, 20])).scalars == [11, 22])
        #expect((Tensor(shape: [2, 1], scalars: [1, 2]) * Tensor([10, 100, 1000])).scalars
            == [10, 100, 1000, 20, 200, 2000])
    }

    @Test func compoundAssignmentIsInPlace() {
        let (a, b) = randomPair([200_003], [200_003], seed: 5)
        let (m, row) = randomPair([1000, 201], [201], seed: 6)
        var x = a
        x.makeUnique()
        let address = x.withUnsafeBufferPointer { $0.baseAddress }
        x += b; x -= 0.5; x *= b; x /= 2; x += 1; x *= 3; x -= b; x /= b
        let expected = ((((((a + b) - 0.5) * b / 2) + 1) * 3) - b) / b
        assertClose(x, expected, rtol: 0, atol: 0)
        #expect(x.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(a == randomPair([200_003], [200_003], seed: 5).0, "a copy sharing storage must stay untouched")
        var y = m
        y += row
        y *= Tensor(shape: [1000, 1], repeating: 2)
        assertClose(y, (m + row) * 2, rtol: 0, atol: 0)
        var z = Tensor.ramp([4])
        z += z
        #expect(z.scalars == [0, 2, 4, 6])
    }

    @Test(arguments: [([2, 3], [3]), ([33, 5], [33, 1]), ([3, 1, 5], [4, 1]), ([200_003], [200_003]), ([4], [])])
    func intoMatchesValueFormAndReusesStorage(_ shapes: ([Int], [Int])) {
        let (a, b) = randomPair(shapes.0, shapes.1, seed: 9)
        let forms: [(Fast, (Tensor, Tensor, inout Tensor) -> Void)] = [
            (Tensor.add, { Tensor.add($0, $1, into: &$2) }),
            (Tensor.subtract, { Tensor.subtract($0, $1, into: &$2) }),
            (Tensor.multiply, { Tensor.multiply($0, $1, into: &$2) }),
            (Tensor.divide, { Tensor.divide($0, $1, into: &$2) }),
            (Tensor.maximum, { Tensor.maximum($0, $1, into: &$2) }),
            (Tensor.minimum, { Tensor.minimum($0, $1, into: &$2) }),
            (Tensor.pow, { Tensor.pow($0, $1, into: &$2) }),
        ]
        var out = Tensor.zeros(Tensor.broadcastShape(shapes.0, shapes.1))
        let address = out.withUnsafeBufferPointer { $0.baseAddress }
        for (value, into) in forms {
            into(a, b, &out)
            assertClose(out, value(a, b), rtol: 0, atol: 0)
            #expect(out.withUnsafeBufferPointer { $0.baseAddress } == address)
        }
        // Scalar right operands.
        var scalarOut = Tensor.zeros(a.shape)
        Tensor.add(a, 2, into: &scalarOut); assertClose(scalarOut, a + 2, rtol: 0, atol: 0)
        Tensor.subtract(a, 2, into: &scalarOut); assertClose(scalarOut, a - 2, rtol: 0, atol: 0)
        Tensor.multiply(a, 2, into: &scalarOut); assertClose(scalarOut, a * 2, rtol: 0, atol: 0)
        Tensor.divide(a, 2, into: &scalarOut); assertClose(scalarOut, a / 2, rtol: 0, atol: 0)
    }

    /// Writing into a tensor whose storage is shared copies first: the other value is untouched.
    @Test func intoRespectsCopyOnWrite() {
        var out = Tensor.zeros([2, 3])
        let before = out
        Tensor.add(Tensor.ones([2, 3]), Tensor.ones([3]), into: &out)
        #expect(before.scalars == [0, 0, 0, 0, 0, 0])
        #expect(out.scalars == [2, 2, 2, 2, 2, 2])
        #expect(!out.sharesStorage(with: before))
    }

    @Test func nanAndInfinity() {
        let a = Tensor([.nan, 1, .infinity, -.infinity, 0, .infinity])
        let b = Tensor([1, .nan, 1, .infinity, 0, .infinity])
        let sum = (a + b).scalars
        #expect(sum[0].isNaN && sum[1].isNaN && sum[2] == .infinity && sum[3].isNaN && sum[5] == .infinity)
        let quotient = (a / b).scalars
        #expect(quotient[2] == .infinity && quotient[4].isNaN && quotient[5].isNaN)
        #expect((Tensor([1, -1]) / 0).scalars == [.infinity, -.infinity])
        let high = Tensor.maximum(a, b).scalars, low = Tensor.minimum(a, b).scalars
        #expect(high[0].isNaN && high[1].isNaN && high[3] == .infinity)
        #expect(low[0].isNaN && low[1].isNaN && low[3] == -.infinity)
        #expect(Tensor.maximum(Tensor([.nan]), 0).scalars[0].isNaN)
    }

    /// Every element of a threaded result equals the one computed alone, whatever chunk it fell in.
    @Test func largeResultsDoNotDependOnChunking() {
        let (a, b) = randomPair([1000, 201], [1000, 1], seed: 13)
        let big = (a - b).scalars
        for r in stride(from: 0, to: 1000, by: 97) {
            let rowA = Tensor(Array(a.scalars[(r * 201)..<((r + 1) * 201)]))
            let alone = (rowA - b.scalars[r]).scalars
            #expect(Array(big[(r * 201)..<((r + 1) * 201)]) == alone)
        }
    }

    @Test func broadcastPlanMergesContiguousDimensions() {
        let plan = BroadcastPlan(outShape: [3, 4, 5, 6], operands: [[3, 4, 5, 6], [3, 4, 1, 1]])
        #expect(plan.dims == [12, 30])
        #expect(plan.strides[0] == [30, 1] && plan.strides[1] == [1, 0])
        let single = BroadcastPlan(outShape: [1, 1], operands: [[1], [1, 1]])
        #expect(single.dims == [1])
    }

    @Test func shapesThatDoNotBroadcastStop() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4]"))
    }

    @Test func wrongOutShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var out = Tensor.zeros([3, 2])
            Tensor.multiply(Tensor.zeros([2, 3]), Tensor.zeros([3]), into: &out)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[3, 2]") && message.contains("[2, 3]"))
    }

    @Test func compoundAssignmentCannotGrowTheLeftOperand() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var x = Tensor.zeros([3])
            x += Tensor.zeros([2, 3])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[3]") && message.contains("[2, 3]"))
    }
}
