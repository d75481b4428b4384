extension Tensor {
    /// A tensor of `shape` filled with 0.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of `shape` filled with 1.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// A tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor { Tensor(shape: shape, repeating: value) }

    /// A tensor shaped like `other`, filled with 0.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape) }

    /// The 1-D tensor `start, start + step, …` of all values `< end` (`> end` for a negative
    /// step), as `numpy.arange` / `torch.arange`. Values are `start + i·step` computed in
    /// `Double`, so long ranges do not drift.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        check(step != 0, "arange: step must not be 0")
        let n = max(0, Int(((Double(end) - Double(start)) / Double(step)).rounded(.up)))
        return Tensor(shape: [n], scalars: (0..<n).map { Float(Double(start) + Double($0) * Double(step)) })
    }

    /// A deterministic ramp for golden tests: element `i` (row-major) is `start + i·step`.
    public static func ramp(_ shape: [Int], start: Float = 0, step: Float = 1) -> Tensor {
        let n = elementCount(shape)
        return Tensor(shape: shape, scalars: (0..<n).map { Float(Double(start) + Double($0) * Double(step)) })
    }

    /// `n` evenly spaced values from `start` to `end` inclusive, as `numpy.linspace`.
    public static func linspace(_ start: Float, _ end: Float, count n: Int) -> Tensor {
        check(n >= 0, "linspace: negative count \(n)")
        if n == 1 { return Tensor([start]) }
        let step = (Double(end) - Double(start)) / Double(max(n - 1, 1))
        return Tensor(shape: [n], scalars: (0..<n).map { Float(Double(start) + Double($0) * step) })
    }

    /// The `n × n` identity matrix.
    public static func identity(_ n: Int) -> Tensor {
        var t = zeros([n, n])
        t.withUnsafeMutableBufferPointer { p in for i in 0..<n { p[i * n + i] = 1 } }
        return t
    }

    // MARK: Random

    /// Samples from `N(mean, standardDeviation²)`, drawn in row-major order from `generator`.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        using generator: inout SeededGenerator
    ) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = mean + standardDeviation * generator.nextNormal() }
        }
        return t
    }

    /// Samples uniform in `[low, high)`, drawn in row-major order from `generator`.
    public static func randomUniform(
        _ shape: [Int], low: Float = 0, high: Float = 1,
        using generator: inout SeededGenerator
    ) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = low + (high - low) * generator.nextUniform() }
        }
        return t
    }

    /// Samples from `N(mean, standardDeviation²)` restricted to `[low, high]` by rejection,
    /// as `torch.nn.init.trunc_normal_` (whose defaults are the absolute bounds −2 and 2).
    public static func truncatedNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        low: Float = -2, high: Float = 2,
        using generator: inout SeededGenerator
    ) -> Tensor {
        check(low < high, "truncatedNormal: low \(low) must be below high \(high)")
        check(standardDeviation > 0, "truncatedNormal: standardDeviation must be positive, got \(standardDeviation)")
        // Rejection is efficient while the window holds reasonable mass; refuse hopeless windows.
        let a = (low - mean) / standardDeviation, b = (high - mean) / standardDeviation
        check(b > -6 && a < 6, "truncatedNormal: [\(low), \(high)] lies more than 6 standard deviations from the mean")
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count {
                var x: Float
                repeat { x = mean + standardDeviation * generator.nextNormal() } while x < low || x > high
                p[i] = x
            }
        }
        return t
    }
}
