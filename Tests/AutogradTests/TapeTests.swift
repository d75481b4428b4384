import Foundation
import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// `y = Σ xᵢ²` written with the public recording hook, as a user's own op would be.
private func sumOfSquares(_ x: Variable) -> Variable {
    let value = (x.value * x.value).sum()
    let saved = x.value
    return Variable.record(value, inputs: [x]) { g in [saved * (2 * g.scalar)] }
}

/// `y = a·b` elementwise (same shapes).
private func product(_ a: Variable, _ b: Variable) -> Variable {
    let (va, vb) = (a.value, b.value)
    return Variable.record(va * vb, inputs: [a, b]) { g in [g * vb, g * va] }
}

private final class Pair: Module {
    let first = Parameter(Tensor([1, 2, 3]))
    let second = Parameter(Tensor([4, 5, 6]))
    let inner: Inner
    init() { inner = Inner(shared: first) }
    var ownParameters: [(name: String, parameter: Parameter)] { [("first", first), ("second", second)] }
    var children: [(name: String, module: any Module)] { [("inner", inner)] }
}

private final class Inner: Module {
    let tied: Parameter
    let bias = Parameter(Tensor([0.5]))
    init(shared: Parameter) { tied = shared }
    var ownParameters: [(name: String, parameter: Parameter)] { [("tied", tied), ("bias", bias)] }
}

@Suite("Tape and parameters")
struct TapeTests {
    @Test func gradientOfACustomOp() {
        let p = Parameter(Tensor([1, -2, 3]))
        let loss = valueAndGradient { sumOfSquares(p.variable) }
        #expect(loss.scalar == 14)
        #expect(p.gradient?.scalars == [2, -4, 6])
    }

    @Test func gradientsAccumulateAcrossCallsUntilZeroed() {
        let p = Parameter(Tensor([1, 2]))
        valueAndGradient { sumOfSquares(p.variable) }
        valueAndGradient { sumOfSquares(p.variable) }
        #expect(p.gradient?.scalars == [4, 8])
        p.zeroGradient()
        #expect(p.gradient == nil)
    }

    @Test func aParameterUsedTwiceGetsBothContributions() {
        let a = Parameter(Tensor([3]))
        valueAndGradient { sumOfSquares(product(a.variable, a.variable)) }
        // L = (a²)² = a⁴, dL/da = 4a³ = 108
        #expect(a.gradient?.scalars == [108])
    }

    @Test func frozenParametersAndConstantsGetNoGradient() {
        let a = Parameter(Tensor([2, 3])), b = Parameter(Tensor([5, 7]), requiresGradient: false)
        valueAndGradient { sumOfSquares(product(a.variable, b.variable)) }
        #expect(a.gradient?.scalars == [2 * 10 * 5, 2 * 21 * 7])
        #expect(b.gradient == nil)
        let c = Parameter(Tensor([1]))
        let v = valueAndGradient { sumOfSquares(Variable(c.value)) }
        #expect(v.scalar == 1)
        #expect(c.gradient == nil)
    }

    @Test func withoutGradientRecordsNothing() {
        let p = Parameter(Tensor([1, 2]))
        let tape = Tape()
        Tape.$current.withValue(tape) {
            let y = withoutGradient { sumOfSquares(p.variable) }
            #expect(!y.isTracked)
            let z = sumOfSquares(p.variable)
            #expect(z.isTracked)
        }
        #expect(tape.count == 2)  // one leaf and one operation, both outside withoutGradient
    }

    @Test func vectorJacobianProductAndGradcheck() {
        let x = Tensor([1, 2, 3]), y = Tensor([-1, 0.5, 2])
        let (value, grads) = vectorJacobianProduct(at: [x, y], seed: Tensor([1, 10, 100])) { v in product(v[0], v[1]) }
        #expect(value.scalars == [-1, 1, 6])
        #expect(grads[0].scalars == [-1, 5, 200])
        #expect(grads[1].scalars == [1, 20, 300])
        gradcheck([x, y]) { v in product(v[0], v[1]) }
        gradcheck([x]) { v in sumOfSquares(v[0]) }
    }

    @Test func namedParametersListTiedWeightsOnce() {
        let m = Pair()
        #expect(m.namedParameters().map(\.name) == ["first", "second", "inner.bias"])
        #expect(m.parameterCount == 7)
        m.freeze()
        #expect(m.trainableParameters().isEmpty)
        m.unfreeze()
        #expect(m.trainableParameters().count == 3)
    }

    @Test func stateDictRoundTripsThroughSafetensors() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lore-module-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let m = Pair()
        try m.save(to: url)
        let n = Pair()
        n.first.value = Tensor([0, 0, 0])
        try n.load(from: url)
        #expect(n.first.value.scalars == [1, 2, 3])
        #expect(n.inner.tied === n.first)

        #expect(throws: ModuleError.missingKey(source: "test", key: "inner.bias")) {
            try n.loadStateDict(["first": Tensor([1, 2, 3]), "second": Tensor([1, 2, 3])], source: "test")
        }
        #expect(throws: ModuleError.shapeMismatch(source: "test", key: "first", expected: [3], found: [2])) {
            try n.loadStateDict(["first": Tensor([1, 2])], strict: false, source: "test")
        }
        #expect(throws: ModuleError.unexpectedKey(source: "test", key: "zzz")) {
            try n.loadStateDict(["first": Tensor([1, 2, 3]), "second": Tensor([1, 2, 3]),
                                 "inner.bias": Tensor([1]), "zzz": Tensor([1])], source: "test")
        }
    }
}
