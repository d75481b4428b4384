import Tensor

// Reductions: sum, mean, logSumExp, maximum, minimum and variance — over all elements, along
// one axis, or (sum and mean) along several. Values are the Tensor methods' (bitwise).
// Gradients of sums spread `g` back over the reduced axes (`g` reshaped with those axes kept
// at extent 1, then expanded to the input's shape).

extension Variable {
    // MARK: Sum and mean

    /// Sum of all elements, shape `[]`. Gradient: `∂/∂xᵢ = g` for every element.
    public func sum() -> Variable {
        let y = value.sum()
        guard isTracked else { return Variable(y) }
        let shape = self.shape
        return Variable.record(y, inputs: [self]) { g in [Tensor(shape: shape, repeating: g.scalar)] }
    }

    /// Sum along `axis`: `y[…, …] = Σₖ x[…, k, …]`. Gradient: `∂/∂x[…, k, …] = g[…, …]` for every `k`.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Variable {
        let y = value.sum(alongAxis: axis, keepingDimensions: keepingDimensions)
        return spreadingGradient(y, over: [axis], scale: nil)
    }

    /// Sum along several axes (as `torch.sum(dim:)`; an empty list returns `self`'s value).
    /// Gradient: `g` repeated along every reduced axis.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
        let y = value.sum(alongAxes: axes, keepingDimensions: keepingDimensions)
        return spreadingGradient(y, over: axes, scale: nil)
    }

    /// Mean of all elements, shape `[]`. Gradient: `∂/∂xᵢ = g/n`, `n` the element count.
    public func mean() -> Variable {
        let y = value.mean()
        guard isTracked else { return Variable(y) }
        let shape = self.shape, n = Float(value.count)
        return Variable.record(y, inputs: [self]) { g in [Tensor(shape: shape, repeating: g.scalar / n)] }
    }

    /// Mean along `axis`: `Σₖ x[…, k, …] / n`. Gradient: `∂/∂x[…, k, …] = g[…, …] / n`.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Variable {
        let y = value.mean(alongAxis: axis, keepingDimensions: keepingDimensions)
        return spreadingGradient(y, over: [axis], scale: 1)
    }

    /// Mean along several axes: the sum divided by the product `n` of their extents.
    /// Gradient: `g/n` repeated along every reduced axis.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
        let y = value.mean(alongAxes: axes, keepingDimensions: keepingDimensions)
        return spreadingGradient(y, over: axes, scale: 1)
    }

    // MARK: logSumExp

    /// `log Σ exp(x)` over all elements, shape `[]`. Gradient: `∂/∂x = g·softmax(x)`.
    public func logSumExp() -> Variable {
        let y = value.logSumExp()
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in
            [(x.reshaped([x.count]).softmax() * g.scalar).reshaped(x.shape)]
        }
    }

    /// `log Σₖ exp(x[…, k, …])` along `axis`. Gradient: `∂/∂x = g ⊙ softmax(x)` along `axis`
    /// (`g` repeated along it).
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func logSumExp(alongAxis axis: Int, keepingDimensions: Bool = false) -> Variable {
        let y = value.logSumExp(alongAxis: axis, keepingDimensions: keepingDimensions)
        guard isTracked else { return Variable(y) }
        let x = value
        guard x.rank > 0 else { return Variable.record(y, inputs: [self]) { g in [g.reshaped([])] } }
        let a = axis < 0 ? axis + x.rank : axis
        return Variable.record(y, inputs: [self]) { g in
            [x.softmax(alongAxis: a) * g.reshaped(keptShape(x.shape, [a]))]
        }
    }

    // MARK: Maximum and minimum

    /// Largest element, shape `[]`. Gradient: all of `g` to the first largest element (the
    /// first NaN if any), zero elsewhere.
    public func maximum() -> Variable {
        let y = value.maximum()
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in [oneHot(x.shape, at: Int(x.argmax().scalar), g.scalar)] }
    }

    /// Smallest element, shape `[]`. Gradient: all of `g` to the first smallest element.
    public func minimum() -> Variable {
        let y = value.minimum()
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in [oneHot(x.shape, at: Int(x.argmin().scalar), g.scalar)] }
    }

    /// Largest value along `axis`, as `torch.amax`. Gradient: `g[…, …]` to the first position
    /// of the maximum in each slice (`argmax`), zero elsewhere.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func maximum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Variable {
        let y = value.maximum(alongAxis: axis, keepingDimensions: keepingDimensions)
        return routingGradient(y, alongAxis: axis) { $0.argmax(alongAxis: $1) }
    }

    /// Smallest value along `axis`, as `torch.amin`. Gradient: `g[…, …]` to the first position
    /// of the minimum in each slice (`argmin`), zero elsewhere.
    public func minimum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Variable {
        let y = value.minimum(alongAxis: axis, keepingDimensions: keepingDimensions)
        return routingGradient(y, alongAxis: axis) { $0.argmin(alongAxis: $1) }
    }

    // MARK: Variance

    /// Variance of all elements (`Σ(xᵢ − x̄)² / (n − correction)`), shape `[]`.
    /// Gradient: `∂/∂xᵢ = g·2(xᵢ − x̄)/(n − correction)`.
    public func variance(correction: Int = 0) -> Variable {
        let y = value.variance(correction: correction)
        guard isTracked else { return Variable(y) }
        let x = value
        return Variable.record(y, inputs: [self]) { g in
            let scale = 2 * g.scalar / Float(Swift.max(0, x.count - correction))
            return [(x - x.mean()) * scale]
        }
    }

    /// Variance along `axis`: `Σₖ (xₖ − x̄)² / (n − correction)`, as `torch.var(dim:correction:)`.
    /// Gradient: `∂/∂xₖ = g·2(xₖ − x̄)/(n − correction)`.
    ///
    /// - Parameters:
    ///   - axis: the axis to reduce; negative values count from the end.
    ///   - correction: 0 (default) for the population variance, 1 for the unbiased estimate.
    ///   - keepingDimensions: keep the reduced axis with extent 1 (default `false`).
    public func variance(alongAxis axis: Int, correction: Int = 0, keepingDimensions: Bool = false) -> Variable {
        let y = value.variance(alongAxis: axis, correction: correction, keepingDimensions: keepingDimensions)
        guard isTracked else { return Variable(y) }
        let x = value
        guard x.rank > 0 else {
            return Variable.record(y, inputs: [self]) { g in [Tensor.zeros([])] }
        }
        let a = axis < 0 ? axis + x.rank : axis
        let scale = 2 / Float(Swift.max(0, x.shape[a] - correction))
        return Variable.record(y, inputs: [self]) { g in
            let centred = x - x.mean(alongAxis: a, keepingDimensions: true)
            return [centred * (g.reshaped(keptShape(x.shape, [a])) * scale)]
        }
    }

    // MARK: Helpers

    /// Records `y`, a sum (`scale == nil`) or mean (`scale != nil`) of `self` over `axes`,
    /// whose gradient is `g` (divided by the number of elements reduced, for a mean) repeated
    /// along those axes.
    private func spreadingGradient(_ y: Tensor, over axes: [Int], scale: Float?) -> Variable {
        guard isTracked else { return Variable(y) }
        let shape = self.shape
        guard !shape.isEmpty else { return Variable.record(y, inputs: [self]) { g in [g.reshaped([])] } }
        let resolved = axes.map { $0 < 0 ? $0 + shape.count : $0 }
        let kept = keptShape(shape, resolved)
        let divisor = scale == nil ? nil : Float(resolved.reduce(1) { $0 * shape[$1] })
        return Variable.record(y, inputs: [self]) { g in
            let spread = divisor.map { g / $0 } ?? g
            return [spread.reshaped(kept).expanded(to: shape)]
        }
    }

    /// Records `y`, an extreme of `self` along `axis`, whose gradient goes to the element that
    /// `position(x, axis)` (argmax or argmin, as Float indices without the axis) picks.
    private func routingGradient(_ y: Tensor, alongAxis axis: Int, _ position: @escaping (Tensor, Int) -> Tensor) -> Variable {
        guard isTracked else { return Variable(y) }
        let x = value
        guard x.rank > 0 else { return Variable.record(y, inputs: [self]) { g in [g.reshaped([])] } }
        let a = axis < 0 ? axis + x.rank : axis
        return Variable.record(y, inputs: [self]) { g in
            var reducedShape = x.shape
            reducedShape.remove(at: a)
            let indices = position(x, a).scalars.map { Int($0) }
            var dx = Tensor.zeros(x.shape)
            Tensor.scatterAdd(g.reshaped(reducedShape), alongAxis: a, indices: indices, into: &dx)
            return [dx]
        }
    }
}

/// `shape` with the (non-negative) `axes` set to extent 1.
private func keptShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
    var kept = shape
    for a in axes { kept[a] = 1 }
    return kept
}

/// Zeros of `shape` with `value` at flat offset `index`.
private func oneHot(_ shape: [Int], at index: Int, _ value: Float) -> Tensor {
    var t = Tensor.zeros(shape)
    t.withUnsafeMutableBufferPointer { $0[index] = value }
    return t
}
