import Foundation
import Testing
@testable import Tensor
import _TestSupport

/// Worst error of `actual` (the fast kernel's output for `input`) against `exact`, computed in
/// Double: the largest relative error where the exact value is a normal Float, and the largest
/// absolute error where it is not (0 or denormal).
struct ErrorStats: CustomStringConvertible {
    var maxRelative = 0.0, worstRelativeInput: Float = 0
    var maxAbsoluteBelowNormal = 0.0
    var mismatches: [String] = []  // NaN / inf / sign disagreements

    init(_ actual: Tensor, _ input: Tensor, _ exact: (Double) -> Double) {
        let a = actual.scalars, x = input.scalars
        for i in 0..<a.count {
            let e = exact(Double(x[i])), v = Double(a[i])
            if e.isNaN || v.isNaN || e.isInfinite || v.isInfinite || Swift.abs(e) > Double(Float.greatestFiniteMagnitude) {
                let eFloat = Float(e)  // rounds beyond the Float range to inf
                if !(eFloat.isNaN && a[i].isNaN) && eFloat != a[i] {
                    mismatches.append("f(\(x[i])) = \(a[i]), expected \(eFloat)")
                }
                continue
            }
            if Swift.abs(e) >= Double(Float.leastNormalMagnitude) {
                let r = Swift.abs(v - e) / Swift.abs(e)
                if r > maxRelative { maxRelative = r; worstRelativeInput = x[i] }
            } else {
                maxAbsoluteBelowNormal = Swift.max(maxAbsoluteBelowNormal, Swift.abs(v - e))
            }
        }
    }

    var description: String {
        "max relative \(maxRelative) at x = \(worstRelativeInput), max absolute below FLT_MIN \(maxAbsoluteBelowNormal)"
            + (mismatches.isEmpty ? "" : ", mismatches: \(mismatches.prefix(5))")
    }
}

/// 2 M + 1 points evenly over [−10, 10], ±10^k for k in −38…38 in 1/16-decade steps, and
/// special values.
let sweepInputs: Tensor = {
    var values = Tensor.linspace(-10, 10, count: 2_000_001).scalars
    for k in stride(from: -38.0, through: 38.0, by: 1.0 / 16) {
        let m = Float(Foundation.pow(10, k))
        values += [m, -m]
    }
    values += [0, -0.0, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
               .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude,
               Float(bitPattern: 0x0000_1000), -Float(bitPattern: 0x0000_1000), 88.72, 88.73, -87.33, -103.9, -104, 9.1, -9.1, 0.625, -0.625, 0.62499]
    return Tensor(values)
}()

@Suite("Unary elementwise")
struct UnaryTests {
    // MARK: Accuracy of the SIMD approximations (bounds stated in FastMath.swift)

    func measure(_ name: String, _ fast: (Tensor) -> Tensor, _ exact: (Double) -> Double,
                 relative: Double, absoluteBelowNormal: Double = 1.5e-45) {
        let stats = ErrorStats(fast(sweepInputs), sweepInputs, exact)
        print("\(name): \(stats)")
        #expect(stats.mismatches.isEmpty, "\(name): \(stats)")
        #expect(stats.maxRelative <= relative, "\(name): \(stats)")
        #expect(stats.maxAbsoluteBelowNormal <= absoluteBelowNormal, "\(name): \(stats)")
    }

    @Test func expAccuracy() {
        measure("exp", { $0.exp() }, ElementwiseReference.exp, relative: 1.6e-7)
    }

    @Test func tanhAccuracy() {
        measure("tanh", { $0.tanh() }, ElementwiseReference.tanh, relative: 2.5e-7)
    }

    @Test func sigmoidAccuracy() {
        measure("sigmoid", { $0.sigmoid() }, ElementwiseReference.sigmoid, relative: 2.5e-7, absoluteBelowNormal: 1.2e-38)
    }

    @Test func siluAccuracy() {
        measure("silu", { $0.silu() }, ElementwiseReference.silu, relative: 2.5e-7, absoluteBelowNormal: 1.2e-38)
    }

    @Test func geluErfAccuracy() {
        measure("gelu(.none)", { $0.gelu() }, ElementwiseReference.geluErf, relative: 1e-6, absoluteBelowNormal: 1.2e-38)
    }

    /// The tanh form rounds u = √(2/π)(x + 0.044715x³) before exponentiating, so its relative
    /// error grows with |2u| in the negative tail: bound 2.5e-7 + 2e-7·|2u|.
    @Test func geluTanhAccuracy() {
        let x = sweepInputs
        let y = x.gelu(approximation: .tanh)
        let stats = ErrorStats(y, x, ElementwiseReference.geluTanh)
        print("gelu(.tanh): \(stats)")
        #expect(stats.mismatches.isEmpty, "\(stats)")
        #expect(stats.maxAbsoluteBelowNormal <= 1.2e-38, "\(stats)")
        var worst = 0.0, worstX: Float = 0, worstAboveMinusOne = 0.0
        for (xi, yi) in zip(x.scalars, y.scalars) where xi.isFinite {
            let e = ElementwiseReference.geluTanh(Double(xi))
            guard Swift.abs(e) >= Double(Float.leastNormalMagnitude) else { continue }
            if xi >= -1 { worstAboveMinusOne = Swift.max(worstAboveMinusOne, Swift.abs(Double(yi) - e) / Swift.abs(e)) }
            let twoU = 2 * (2 / Double.pi).squareRoot() * (Double(xi) + 0.044715 * Double(xi) * Double(xi) * Double(xi))
            let ratio = Swift.abs(Double(yi) - e) / Swift.abs(e) / (2.5e-7 + 2e-7 * Swift.abs(twoU))
            if ratio > worst { worst = ratio; worstX = xi }
        }
        print("gelu(.tanh): worst error / (2.5e-7 + 2e-7·|2u|) = \(worst) at x = \(worstX)")
        print("gelu(.tanh): max relative for x ≥ −1: \(worstAboveMinusOne)")
        #expect(worst <= 1)
        #expect(worstAboveMinusOne <= 3e-7)
        // The reference's rewrite x/(1 + e^{−2u}) is the literal formula.
        for x in stride(from: -6.0, through: 6.0, by: 0.01) {
            #expect(Swift.abs(ElementwiseReference.geluTanh(x) - ElementwiseReference.geluTanhLiteral(x)) <= 1e-15)
        }
    }

    @Test func specialValues() {
        let exp = Tensor([100, -110, 0, .infinity, -.infinity, .nan, 88.7, 88.8, -103.98, -100]).exp().scalars
        #expect(exp[0] == .infinity && exp[1] == 0 && exp[2] == 1 && exp[3] == .infinity && exp[4] == 0)
        #expect(exp[5].isNaN && exp[6].isFinite && exp[7] == .infinity && exp[8] == 0)
        #expect(Swift.abs(Double(exp[9]) - 3.72e-44) < 1.5e-45, "e^-100 is the denormal 3.72e-44")
        let sigmoid = Tensor([-100, 100, 0, -.infinity, .infinity, .nan]).sigmoid().scalars
        #expect(sigmoid[0] < 1e-38 && sigmoid[1] == 1 && sigmoid[2] == 0.5 && sigmoid[3] == 0 && sigmoid[4] == 1)
        #expect(sigmoid[5].isNaN)
        let tanh = Tensor([20, -20, .infinity, -.infinity, 0, -0.0, .nan, 1e-30]).tanh().scalars
        #expect(tanh[0] == 1 && tanh[1] == -1 && tanh[2] == 1 && tanh[3] == -1 && tanh[4] == 0)
        #expect(tanh[5] == 0 && tanh[5].sign == .minus && tanh[6].isNaN && tanh[7] == 1e-30)
        for (name, y) in [("silu", Tensor([-.infinity, .infinity, .nan, 0, -1000]).silu()),
                          ("gelu", Tensor([-.infinity, .infinity, .nan, 0, -1000]).gelu()),
                          ("gelu tanh", Tensor([-.infinity, .infinity, .nan, 0, -1000]).gelu(approximation: .tanh))] {
            let v = y.scalars
            #expect(v[0] == 0 && v[1] == .infinity && v[2].isNaN && v[3] == 0 && v[4] == 0, "\(name): \(v)")
        }
        #expect(Tensor([0, -1, .nan]).log().scalars[0] == -.infinity)
        #expect(Tensor([-1]).log().scalars[0].isNaN)
        #expect(Tensor([0]).rsqrt().scalars == [.infinity])
        let relu = Tensor([-1, 2, .nan]).relu().scalars
        #expect(relu[0] == 0 && relu[1] == 2 && relu[2].isNaN)
        let clamped = Tensor([-5, 0.5, 5, .nan]).clamp(min: -1, max: 1).scalars
        #expect(clamped[0] == -1 && clamped[1] == 0.5 && clamped[2] == 1 && clamped[3].isNaN)
    }

    // MARK: Every unary op against its reference

    typealias Fast = (Tensor) -> Tensor
    static var functions: [(String, Fast, (Double) -> Double, Float, Float)] {
        [
            ("exp", { $0.exp() }, ElementwiseReference.exp, 2e-7, 0),
            ("tanh", { $0.tanh() }, ElementwiseReference.tanh, 3e-7, 0),
            ("sigmoid", { $0.sigmoid() }, ElementwiseReference.sigmoid, 3e-7, 0),
            ("silu", { $0.silu() }, ElementwiseReference.silu, 3e-7, 0),
            ("gelu", { $0.gelu() }, ElementwiseReference.geluErf, 1e-6, 0),
            // Relative error grows in the negative tail (see geluTanhAccuracy), where |gelu| is tiny.
            ("gelu tanh", { $0.gelu(approximation: .tanh) }, ElementwiseReference.geluTanh, 2e-6, 1e-9),
            ("log", { $0.abs().log() }, { Foundation.log(Swift.abs($0)) }, 1.2e-7, 0),  // libm logf: 1 ulp
            ("sqrt", { $0.abs().sqrt() }, { Swift.abs($0).squareRoot() }, 0, 0),
            ("rsqrt", { $0.abs().rsqrt() }, { 1 / Swift.abs($0).squareRoot() }, 1.8e-7, 0),  // two roundings
            ("relu", { $0.relu() }, { Swift.max($0, 0) }, 0, 0),
            ("abs", { $0.abs() }, { Swift.abs($0) }, 0, 0),
            ("neg", { $0.neg() }, { -$0 }, 0, 0),
            ("square", { $0.square() }, { $0 * $0 }, 0, 0),
            ("clamp", { $0.clamp(min: -0.5, max: 1.5) }, { Swift.min(Swift.max($0, -0.5), 1.5) }, 0, 0),
        ]
    }

    @Test(arguments: [[1], [7], [33, 5], [0, 3], [], [200_003], [3, 70_001]])
    func functionsMatchReference(_ shape: [Int]) {
        var g = SeededGenerator(seed: 3)
        let x = Tensor.randomNormal(shape, standardDeviation: 3, using: &g)
        for (name, fast, exact, rtol, atol) in Self.functions {
            assertClose(fast(x), ElementwiseReference.unary(x, exact), rtol: rtol, atol: atol, "\(name) \(shape)")
        }
    }

    @Test(arguments: [[1], [33, 5], [200_003]])
    func intoMatchesValueFormAndReusesStorage(_ shape: [Int]) {
        var g = SeededGenerator(seed: 4)
        let x = Tensor.randomNormal(shape, standardDeviation: 3, using: &g)
        let forms: [(Fast, (Tensor, inout Tensor) -> Void)] = [
            ({ $0.exp() }, { Tensor.exp($0, into: &$1) }),
            ({ $0.tanh() }, { Tensor.tanh($0, into: &$1) }),
            ({ $0.sigmoid() }, { Tensor.sigmoid($0, into: &$1) }),
            ({ $0.silu() }, { Tensor.silu($0, into: &$1) }),
            ({ $0.gelu() }, { Tensor.gelu($0, into: &$1) }),
            ({ $0.gelu(approximation: .tanh) }, { Tensor.gelu($0, approximation: .tanh, into: &$1) }),
            ({ $0.log() }, { Tensor.log($0, into: &$1) }),
            ({ $0.sqrt() }, { Tensor.sqrt($0, into: &$1) }),
            ({ $0.rsqrt() }, { Tensor.rsqrt($0, into: &$1) }),
            ({ $0.relu() }, { Tensor.relu($0, into: &$1) }),
            ({ $0.abs() }, { Tensor.abs($0, into: &$1) }),
            ({ $0.neg() }, { Tensor.neg($0, into: &$1) }),
            ({ -$0 }, { Tensor.neg($0, into: &$1) }),
            ({ $0.square() }, { Tensor.square($0, into: &$1) }),
            ({ $0.clamp(min: -1, max: 2) }, { Tensor.clamp($0, min: -1, max: 2, into: &$1) }),
        ]
        var out = Tensor.zeros(shape)
        let address = out.withUnsafeBufferPointer { $0.baseAddress }
        for (value, into) in forms {
            into(x, &out)
            #expect(out.scalars.elementsEqual(value(x).scalars) { $0 == $1 || ($0.isNaN && $1.isNaN) })
            #expect(out.withUnsafeBufferPointer { $0.baseAddress } == address)
        }
    }

    /// The SIMD tail (count not a multiple of 8) gives each element the bitwise same value as
    /// the vector body, so results do not depend on position or chunking.
    @Test func resultsDoNotDependOnPosition() {
        var g = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([200_003], standardDeviation: 4, using: &g)
        for f in [{ (t: Tensor) in t.gelu() }, { $0.gelu(approximation: .tanh) }, { $0.exp() }, { $0.tanh() }] {
            let all = f(x).scalars
            for i in stride(from: 0, to: 200_003, by: 9_973) {
                #expect(f(Tensor([x.scalars[i]])).scalars[0] == all[i])
            }
        }
    }

    @Test func geluDefaultIsTheExactForm() {
        #expect(GELUApproximation.allCases == [.none, .tanh])
        let x = Tensor.linspace(-3, 3, count: 13)
        #expect(x.gelu() == x.gelu(approximation: .none))
    }

    @Test func wrongOutShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var out = Tensor.zeros([4, 3])
            Tensor.gelu(Tensor.zeros([3, 4]), into: &out)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[4, 3]") && message.contains("[3, 4]"))
    }
}
