/// Elementwise comparisons returning 0/1 masks, selection by a mask (`where`) and
/// `maskedFill`, all broadcasting by numpy's rule.
///
/// A mask is an ordinary `Float` tensor: 1 where the comparison holds, 0 elsewhere. Comparisons
/// follow IEEE 754: every comparison with NaN is false except `notEqual`, which is true.
/// Each comparison has a value form, an `into:` form (out shape = broadcast shape), a form with
/// a scalar right operand, and the pointwise operators `.== .!= .< .<= .> .>=` (as on `SIMD`).
extension Tensor {
    // MARK: Comparisons

    /// `a == b` elementwise with broadcasting, as 1/0.
    public static func equal(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "equal", ElementOps.Equal()) }
    /// `a == b` elementwise, as 1/0.
    public static func equal(_ a: Tensor, _ b: Float) -> Tensor {
        a.mapped("equal", ElementOps.WithRight(ElementOps.Equal(), b))
    }
    /// Writes the 1/0 mask of `a == b` into `out`, whose shape must be the broadcast shape.
    public static func equal(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "equal(_:_:into:)", ElementOps.Equal())
    }

    /// `a != b` elementwise with broadcasting, as 1/0 (NaN is unequal to everything).
    public static func notEqual(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "notEqual", ElementOps.NotEqual()) }
    /// `a != b` elementwise, as 1/0.
    public static func notEqual(_ a: Tensor, _ b: Float) -> Tensor {
        a.mapped("notEqual", ElementOps.WithRight(ElementOps.NotEqual(), b))
    }
    /// Writes the 1/0 mask of `a != b` into `out`, whose shape must be the broadcast shape.
    public static func notEqual(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "notEqual(_:_:into:)", ElementOps.NotEqual())
    }

    /// `a < b` elementwise with broadcasting, as 1/0.
    public static func less(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "less", ElementOps.Less()) }
    /// `a < b` elementwise, as 1/0.
    public static func less(_ a: Tensor, _ b: Float) -> Tensor {
        a.mapped("less", ElementOps.WithRight(ElementOps.Less(), b))
    }
    /// Writes the 1/0 mask of `a < b` into `out`, whose shape must be the broadcast shape.
    public static func less(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "less(_:_:into:)", ElementOps.Less())
    }

    /// `a <= b` elementwise with broadcasting, as 1/0.
    public static func lessEqual(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "lessEqual", ElementOps.LessEqual()) }
    /// `a <= b` elementwise, as 1/0.
    public static func lessEqual(_ a: Tensor, _ b: Float) -> Tensor {
        a.mapped("lessEqual", ElementOps.WithRight(ElementOps.LessEqual(), b))
    }
    /// Writes the 1/0 mask of `a <= b` into `out`, whose shape must be the broadcast shape.
    public static func lessEqual(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "lessEqual(_:_:into:)", ElementOps.LessEqual())
    }

    /// `a > b` elementwise with broadcasting, as 1/0.
    public static func greater(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "greater", ElementOps.Greater()) }
    /// `a > b` elementwise, as 1/0.
    public static func greater(_ a: Tensor, _ b: Float) -> Tensor {
        a.mapped("greater", ElementOps.WithRight(ElementOps.Greater(), b))
    }
    /// Writes the 1/0 mask of `a > b` into `out`, whose shape must be the broadcast shape.
    public static func greater(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "greater(_:_:into:)", ElementOps.Greater())
    }

    /// `a >= b` elementwise with broadcasting, as 1/0.
    public static func greaterEqual(_ a: Tensor, _ b: Tensor) -> Tensor {
        binary(a, b, "greaterEqual", ElementOps.GreaterEqual())
    }
    /// `a >= b` elementwise, as 1/0.
    public static func greaterEqual(_ a: Tensor, _ b: Float) -> Tensor {
        a.mapped("greaterEqual", ElementOps.WithRight(ElementOps.GreaterEqual(), b))
    }
    /// Writes the 1/0 mask of `a >= b` into `out`, whose shape must be the broadcast shape.
    public static func greaterEqual(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "greaterEqual(_:_:into:)", ElementOps.GreaterEqual())
    }

    // MARK: Pointwise comparison operators

    public static func .== (a: Tensor, b: Tensor) -> Tensor { equal(a, b) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { notEqual(a, b) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { less(a, b) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { lessEqual(a, b) }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { greater(a, b) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { greaterEqual(a, b) }

    public static func .== (a: Tensor, b: Float) -> Tensor { equal(a, b) }
    public static func .!= (a: Tensor, b: Float) -> Tensor { notEqual(a, b) }
    public static func .< (a: Tensor, b: Float) -> Tensor { less(a, b) }
    public static func .<= (a: Tensor, b: Float) -> Tensor { lessEqual(a, b) }
    public static func .> (a: Tensor, b: Float) -> Tensor { greater(a, b) }
    public static func .>= (a: Tensor, b: Float) -> Tensor { greaterEqual(a, b) }

    public static func .== (a: Float, b: Tensor) -> Tensor { equal(b, a) }
    public static func .!= (a: Float, b: Tensor) -> Tensor { notEqual(b, a) }
    public static func .< (a: Float, b: Tensor) -> Tensor { greater(b, a) }
    public static func .<= (a: Float, b: Tensor) -> Tensor { greaterEqual(b, a) }
    public static func .> (a: Float, b: Tensor) -> Tensor { less(b, a) }
    public static func .>= (a: Float, b: Tensor) -> Tensor { lessEqual(b, a) }

    // MARK: Selection

    /// Picks `a` where `condition` is nonzero and `b` elsewhere, as `torch.where(condition, a, b)`.
    ///
    /// `out[i] = condition[i] != 0 ? a[i] : b[i]`; a NaN condition counts as nonzero.
    ///
    /// - Parameters:
    ///   - condition: any shape broadcasting with `a` and `b` (usually a 0/1 mask).
    ///   - a: values taken where the condition holds.
    ///   - b: values taken elsewhere.
    /// - Returns: shape `broadcastShape(condition, broadcastShape(a, b))`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        var out = Tensor(uninitializedShape: whereShape(condition.shape, a.shape, b.shape))
        Tensor.where(condition, a, b, into: &out)
        return out
    }

    /// Writes `where(condition, a, b)` into `out`, whose shape must be the broadcast shape of
    /// all three.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        let shape = whereShape(condition.shape, a.shape, b.shape)
        checkOutShape(out.shape, shape, "where(_:_:_:into:)")
        out.makeUnique()
        let n = out.count
        guard n > 0 else { return }
        let pc = condition.storage.pointer, pa = a.storage.pointer, pb = b.storage.pointer
        let po = out.storage.pointer
        if condition.count == n && a.count == n && b.count == n {
            parallelChunks(total: n, grain: elementwiseGrain) { _, r in
                for i in r { po[i] = pc[i] != 0 ? pa[i] : pb[i] }
            }
            return
        }
        let plan = BroadcastPlan(outShape: shape, operands: [condition.shape, a.shape, b.shape])
        let sc = plan.innerStride(0), sa = plan.innerStride(1), sb = plan.innerStride(2)
        plan.forEachRow { offsets, o, width in
            let c = pc + offsets.0, x = pa + offsets.1, y = pb + offsets.2, z = po + o
            for j in 0..<width { z[j] = c[j * sc] != 0 ? x[j * sa] : y[j * sb] }
        }
    }

    /// The broadcast shape of the three operands of `where`.
    static func whereShape(_ c: [Int], _ a: [Int], _ b: [Int]) -> [Int] {
        if c == a && a == b { return a }
        return resultShape(c, resultShape(a, b))
    }

    /// A copy with `value` wherever `mask` is nonzero, as `torch.Tensor.masked_fill`.
    ///
    /// - Parameters:
    ///   - mask: a shape that broadcasts to this tensor's shape (e.g. `[T, T]` for `[B, H, T, T]`).
    ///   - value: the fill value (often `-.infinity` for attention masks).
    /// - Returns: this tensor's shape.
    public func maskedFill(_ mask: Tensor, with value: Float) -> Tensor {
        mapped { Tensor.maskedFill($0, mask, with: value, into: &$1) }
    }

    /// Writes `x.maskedFill(mask, with: value)` into `out`, which must have `x`'s shape.
    public static func maskedFill(_ x: Tensor, _ mask: Tensor, with value: Float, into out: inout Tensor) {
        check(covers(x.shape, mask.shape),
              "maskedFill: mask of shape \(describeShape(mask.shape)) does not broadcast to the tensor's shape \(describeShape(x.shape))")
        checkOutShape(out.shape, x.shape, "maskedFill(_:_:with:into:)")
        out.makeUnique()
        binaryKernel(x.storage.pointer, x.shape, mask.storage.pointer, mask.shape,
                     out.storage.pointer, out.shape, ElementOps.FillWhere(value: value))
    }
}

extension ElementOps {
    struct Equal: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }
    struct NotEqual: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a != b ? 1 : 0 } }
    struct Less: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
    struct LessEqual: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 } }
    struct Greater: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
    struct GreaterEqual: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 } }
    /// `mask != 0 ? value : x`, for `(x, mask)`.
    struct FillWhere: ElementOperator {
        let value: Float
        @inline(__always) func callAsFunction(_ x: Float, _ mask: Float) -> Float { mask != 0 ? value : x }
    }
}
