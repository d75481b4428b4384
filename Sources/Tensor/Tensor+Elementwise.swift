import Foundation

/// Broadcasting binary arithmetic: `+ − × ÷`, maximum, minimum and pow.
///
/// Shapes broadcast by numpy's rule (``broadcastShape(_:_:)``): aligned on the right, each pair
/// of dimensions equal or one of them 1. Each operation has a value form (`a + b`,
/// `Tensor.add(a, b)`) and an `into:` form writing into a caller-owned tensor whose shape must
/// equal the broadcast result shape.
///
/// Kernels, fastest first: equal shapes (one flat loop); one operand with a single element;
/// a "row" operand that repeats along the outer dimensions (`[…, C] op [C]`); a "column"
/// operand holding one value per row (`[…, N, C] op […, N, 1]`); and a general strided path
/// that merges dimensions contiguous for both operands and walks the rest with an odometer.
/// Work of more than `elementwiseGrain` elements is split over ``Threads/count`` threads by
/// rows or flat chunks; results never depend on the thread count.
extension Tensor {
    // MARK: Arithmetic operators

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor { add(a, b) }
    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor { subtract(a, b) }
    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor { multiply(a, b) }
    /// Elementwise quotient with broadcasting (IEEE: x/0 is ±inf, 0/0 NaN).
    public static func / (a: Tensor, b: Tensor) -> Tensor { divide(a, b) }

    // With a scalar on either side: every element against `b` (or `a`); the tensor's shape.
    public static func + (a: Tensor, b: Float) -> Tensor { a.mapped("+", ElementOps.WithRight(ElementOps.Add(), b)) }
    public static func - (a: Tensor, b: Float) -> Tensor { a.mapped("-", ElementOps.WithRight(ElementOps.Subtract(), b)) }
    public static func * (a: Tensor, b: Float) -> Tensor { a.mapped("*", ElementOps.WithRight(ElementOps.Multiply(), b)) }
    public static func / (a: Tensor, b: Float) -> Tensor { a.mapped("/", ElementOps.WithRight(ElementOps.Divide(), b)) }
    public static func + (a: Float, b: Tensor) -> Tensor { b.mapped("+", ElementOps.WithLeft(a, ElementOps.Add())) }
    public static func - (a: Float, b: Tensor) -> Tensor { b.mapped("-", ElementOps.WithLeft(a, ElementOps.Subtract())) }
    public static func * (a: Float, b: Tensor) -> Tensor { b.mapped("*", ElementOps.WithLeft(a, ElementOps.Multiply())) }
    public static func / (a: Float, b: Tensor) -> Tensor { b.mapped("/", ElementOps.WithLeft(a, ElementOps.Divide())) }

    /// `a += b` in place; `b` must broadcast to `a`'s shape (the shape of `a` never changes).
    public static func += (a: inout Tensor, b: Tensor) { a.updateInPlace(with: b, "+=", ElementOps.Add()) }
    /// `a -= b` in place; `b` must broadcast to `a`'s shape.
    public static func -= (a: inout Tensor, b: Tensor) { a.updateInPlace(with: b, "-=", ElementOps.Subtract()) }
    /// `a *= b` in place; `b` must broadcast to `a`'s shape.
    public static func *= (a: inout Tensor, b: Tensor) { a.updateInPlace(with: b, "*=", ElementOps.Multiply()) }
    /// `a /= b` in place; `b` must broadcast to `a`'s shape.
    public static func /= (a: inout Tensor, b: Tensor) { a.updateInPlace(with: b, "/=", ElementOps.Divide()) }

    // In place with a scalar: no allocation when `a`'s storage is not shared.
    public static func += (a: inout Tensor, b: Float) { a.updateInPlace(ElementOps.WithRight(ElementOps.Add(), b)) }
    public static func -= (a: inout Tensor, b: Float) { a.updateInPlace(ElementOps.WithRight(ElementOps.Subtract(), b)) }
    public static func *= (a: inout Tensor, b: Float) { a.updateInPlace(ElementOps.WithRight(ElementOps.Multiply(), b)) }
    public static func /= (a: inout Tensor, b: Float) { a.updateInPlace(ElementOps.WithRight(ElementOps.Divide(), b)) }

    // MARK: Named operations

    /// Writes `a + b` (each element plus the scalar) into `out`, which must have `a`'s shape.
    public static func add(_ a: Tensor, _ b: Float, into out: inout Tensor) {
        mapElements(a, into: &out, "add(_:_:into:)", ElementOps.WithRight(ElementOps.Add(), b))
    }
    /// Writes `a − b` into `out`, which must have `a`'s shape.
    public static func subtract(_ a: Tensor, _ b: Float, into out: inout Tensor) {
        mapElements(a, into: &out, "subtract(_:_:into:)", ElementOps.WithRight(ElementOps.Subtract(), b))
    }
    /// Writes `a · b` into `out`, which must have `a`'s shape.
    public static func multiply(_ a: Tensor, _ b: Float, into out: inout Tensor) {
        mapElements(a, into: &out, "multiply(_:_:into:)", ElementOps.WithRight(ElementOps.Multiply(), b))
    }
    /// Writes `a / b` into `out`, which must have `a`'s shape.
    public static func divide(_ a: Tensor, _ b: Float, into out: inout Tensor) {
        mapElements(a, into: &out, "divide(_:_:into:)", ElementOps.WithRight(ElementOps.Divide(), b))
    }

    /// `a + b` elementwise with broadcasting; result shape `broadcastShape(a.shape, b.shape)`.
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "add", ElementOps.Add()) }
    /// Writes `a + b` into `out`, whose shape must be the broadcast shape.
    public static func add(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "add(_:_:into:)", ElementOps.Add())
    }

    /// `a − b` elementwise with broadcasting.
    public static func subtract(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "subtract", ElementOps.Subtract()) }
    /// Writes `a − b` into `out`, whose shape must be the broadcast shape.
    public static func subtract(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "subtract(_:_:into:)", ElementOps.Subtract())
    }

    /// `a · b` elementwise with broadcasting.
    public static func multiply(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "multiply", ElementOps.Multiply()) }
    /// Writes `a · b` into `out`, whose shape must be the broadcast shape.
    public static func multiply(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "multiply(_:_:into:)", ElementOps.Multiply())
    }

    /// `a / b` elementwise with broadcasting.
    public static func divide(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "divide", ElementOps.Divide()) }
    /// Writes `a / b` into `out`, whose shape must be the broadcast shape.
    public static func divide(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "divide(_:_:into:)", ElementOps.Divide())
    }

    /// The larger of `a` and `b` elementwise with broadcasting; NaN in either gives NaN
    /// (as `torch.maximum`).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "maximum", ElementOps.Maximum()) }
    /// Writes `maximum(a, b)` into `out`, whose shape must be the broadcast shape.
    public static func maximum(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "maximum(_:_:into:)", ElementOps.Maximum())
    }
    /// The larger of each element and `b`; NaN propagates.
    public static func maximum(_ a: Tensor, _ b: Float) -> Tensor {
        a.mapped("maximum", ElementOps.WithRight(ElementOps.Maximum(), b))
    }

    /// The smaller of `a` and `b` elementwise with broadcasting; NaN in either gives NaN
    /// (as `torch.minimum`).
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "minimum", ElementOps.Minimum()) }
    /// Writes `minimum(a, b)` into `out`, whose shape must be the broadcast shape.
    public static func minimum(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "minimum(_:_:into:)", ElementOps.Minimum())
    }
    /// The smaller of each element and `b`; NaN propagates.
    public static func minimum(_ a: Tensor, _ b: Float) -> Tensor {
        a.mapped("minimum", ElementOps.WithRight(ElementOps.Minimum(), b))
    }

    /// `aᵇ` elementwise with broadcasting (libm `powf`, so pow(x, 0) = 1 and a negative base
    /// with a non-integer exponent is NaN).
    public static func pow(_ a: Tensor, _ b: Tensor) -> Tensor { binary(a, b, "pow", ElementOps.Power()) }
    /// Writes `aᵇ` into `out`, whose shape must be the broadcast shape.
    public static func pow(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        binary(a, b, into: &out, "pow(_:_:into:)", ElementOps.Power())
    }
    /// Each element raised to the power `exponent` (`powf`; exponent 2 is `x·x`, the same value).
    public static func pow(_ a: Tensor, _ exponent: Float) -> Tensor {
        if exponent == 2 { return a.square() }
        return a.mapped("pow", ElementOps.WithRight(ElementOps.Power(), exponent))
    }

    // MARK: Drivers

    /// The broadcast shape of `a` and `b`, without allocating when one shape already is it.
    @inline(__always)
    static func resultShape(_ a: [Int], _ b: [Int]) -> [Int] {
        if a == b || covers(a, b) { return a }
        if covers(b, a) { return b }
        return broadcastShape(a, b)
    }

    /// True when `small` broadcasts to exactly `big`: no longer, each dimension 1 or equal.
    @inline(__always)
    static func covers(_ big: [Int], _ small: [Int]) -> Bool {
        guard small.count <= big.count else { return false }
        let lead = big.count - small.count
        for i in 0..<small.count where small[i] != 1 && small[i] != big[lead + i] { return false }
        return true
    }

    @inline(__always)
    static func binary<Op: ElementOperator>(_ a: Tensor, _ b: Tensor, _ name: StaticString, _ op: Op) -> Tensor {
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            sameShapeKernel(a.storage.pointer, b.storage.pointer, out.storage.pointer, count: a.count, op)
            return out
        }
        var out = Tensor(uninitializedShape: resultShape(a.shape, b.shape))
        binary(a, b, into: &out, name, op)
        return out
    }

    @inline(__always)
    static func binary<Op: ElementOperator>(
        _ a: Tensor, _ b: Tensor, into out: inout Tensor, _ name: StaticString, _ op: Op
    ) {
        if a.shape == b.shape {  // the common case, without broadcasting bookkeeping
            checkOutShape(out.shape, a.shape, name)
            out.makeUnique()
            sameShapeKernel(a.storage.pointer, b.storage.pointer, out.storage.pointer, count: a.count, op)
            return
        }
        checkOutShape(out.shape, resultShape(a.shape, b.shape), name)
        out.makeUnique()
        binaryKernel(a.storage.pointer, a.shape, b.storage.pointer, b.shape,
                     out.storage.pointer, out.shape, op)
    }

    /// `out[i] = op(a[i], b[i])` over `count` contiguous elements.
    @inline(__always)
    static func sameShapeKernel<Op: ElementOperator>(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
        count: Int, _ op: Op
    ) {
        parallelChunks(total: count, grain: elementwiseGrain) { _, r in
            let pa = a + r.lowerBound, pb = b + r.lowerBound, po = out + r.lowerBound
            for i in 0..<r.count { po[i] = op(pa[i], pb[i]) }
        }
    }

    /// In-place `self = op(self, other)`, `other` broadcasting to `self`.
    @inline(__always)
    mutating func updateInPlace<Op: ElementOperator>(with other: Tensor, _ name: StaticString, _ op: Op) {
        let shape = self.shape
        check(Tensor.covers(shape, other.shape),
              "\(name): \(describeShape(other.shape)) does not broadcast to the left operand's shape \(describeShape(shape))")
        makeUnique()
        let p = storage.pointer
        Tensor.binaryKernel(p, shape, other.storage.pointer, other.shape, p, shape, op)
    }

    /// In-place `self[i] = f(self[i])`.
    @inline(__always)
    mutating func updateInPlace<F: ElementFunction>(_ f: F) {
        makeUnique()
        let p = storage.pointer
        parallelChunks(total: count, grain: elementwiseGrain) { _, r in
            let q = p + r.lowerBound
            for i in 0..<r.count { q[i] = f(q[i]) }
        }
    }

    /// `out = op(a, b)` with `a` and `b` broadcast to `outShape` (already checked). `out` may
    /// alias `a` or `b` where that operand has the result's shape.
    @inline(__always)
    static func binaryKernel<Op: ElementOperator>(
        _ a: UnsafePointer<Float>, _ aShape: [Int], _ b: UnsafePointer<Float>, _ bShape: [Int],
        _ out: UnsafeMutablePointer<Float>, _ outShape: [Int], _ op: Op
    ) {
        let n = elementCount(outShape)
        if n == 0 { return }
        let aCount = elementCount(aShape), bCount = elementCount(bShape)
        let C = outShape.last ?? 1
        if aCount == n && bCount == n {
            sameShapeKernel(a, b, out, count: n, op)
        } else if bCount == 1 {
            let s = b[0]
            parallelChunks(total: n, grain: elementwiseGrain) { _, r in
                let pa = a + r.lowerBound, po = out + r.lowerBound
                for i in 0..<r.count { po[i] = op(pa[i], s) }
            }
        } else if aCount == 1 {
            let s = a[0]
            parallelChunks(total: n, grain: elementwiseGrain) { _, r in
                let pb = b + r.lowerBound, po = out + r.lowerBound
                for i in 0..<r.count { po[i] = op(s, pb[i]) }
            }
        } else if aCount == n && isTrailingBlock(bShape, of: outShape) {
            rowBroadcast(a, b, out, n: n, width: bCount, op)
        } else if bCount == n && isTrailingBlock(aShape, of: outShape) {
            rowBroadcast(b, a, out, n: n, width: aCount, ElementOps.Swapped(op))
        } else if aCount == n && isColumn(bShape, of: outShape) {
            columnBroadcast(a, b, out, rows: n / C, width: C, op)
        } else if bCount == n && isColumn(aShape, of: outShape) {
            columnBroadcast(b, a, out, rows: n / C, width: C, ElementOps.Swapped(op))
        } else {
            let plan = BroadcastPlan(outShape: outShape, operands: [aShape, bShape])
            let sa = plan.innerStride(0), sb = plan.innerStride(1)
            plan.forEachRow { offsets, o, width in
                let pa = a + offsets.0, pb = b + offsets.1, po = out + o
                if sa == 1 && sb == 1 {
                    for j in 0..<width { po[j] = op(pa[j], pb[j]) }
                } else if sa == 1 && sb == 0 {
                    let s = pb[0]
                    for j in 0..<width { po[j] = op(pa[j], s) }
                } else if sa == 0 && sb == 1 {
                    let s = pa[0]
                    for j in 0..<width { po[j] = op(s, pb[j]) }
                } else {
                    for j in 0..<width { po[j] = op(pa[j * sa], pb[j * sb]) }
                }
            }
        }
    }

    /// True when `shape`, without its leading 1s, equals the trailing dimensions of `outShape`:
    /// the operand is one contiguous block that repeats along the outer dimensions.
    @inline(__always)
    static func isTrailingBlock(_ shape: [Int], of outShape: [Int]) -> Bool {
        var first = 0
        while first < shape.count && shape[first] == 1 { first += 1 }
        let kept = shape.count - first
        guard kept <= outShape.count else { return false }
        let lead = outShape.count - kept
        for i in 0..<kept where shape[first + i] != outShape[lead + i] { return false }
        return true
    }

    /// True when `shape` equals `outShape` with its last dimension 1 (missing leading
    /// dimensions allowed where `outShape` has 1s): one value per row.
    @inline(__always)
    static func isColumn(_ shape: [Int], of outShape: [Int]) -> Bool {
        guard let last = shape.last, last == 1, shape.count <= outShape.count else { return false }
        let lead = outShape.count - shape.count
        for i in 0..<lead where outShape[i] != 1 { return false }
        for i in 0..<(shape.count - 1) where shape[i] != outShape[lead + i] { return false }
        return true
    }

    /// `out[r, j] = op(a[r, j], b[j])` over `n / width` rows.
    @inline(__always)
    static func rowBroadcast<Op: ElementOperator>(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
        n: Int, width: Int, _ op: Op
    ) {
        parallelChunks(total: n / width, grain: max(1, elementwiseGrain / width)) { _, rows in
            for r in rows {
                let pa = a + r * width, po = out + r * width
                for j in 0..<width { po[j] = op(pa[j], b[j]) }
            }
        }
    }

    /// `out[r, j] = op(a[r, j], b[r])` over `rows` rows of `width`.
    @inline(__always)
    static func columnBroadcast<Op: ElementOperator>(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
        rows: Int, width: Int, _ op: Op
    ) {
        parallelChunks(total: rows, grain: max(1, elementwiseGrain / width)) { _, range in
            for r in range {
                let pa = a + r * width, po = out + r * width, s = b[r]
                for j in 0..<width { po[j] = op(pa[j], s) }
            }
        }
    }
}

extension ElementOps {
    struct Add: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
    struct Subtract: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
    struct Multiply: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
    struct Divide: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
    /// The larger, NaN when either is NaN.
    struct Maximum: ElementOperator {
        @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a > b || a.isNaN ? a : b }
    }
    /// The smaller, NaN when either is NaN.
    struct Minimum: ElementOperator {
        @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a < b || a.isNaN ? a : b }
    }
    struct Power: ElementOperator { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { Foundation.pow(a, b) } }

    /// `op(b, a)`: lets a kernel written for (full, broadcast) serve (broadcast, full).
    struct Swapped<Op: ElementOperator>: ElementOperator {
        let op: Op
        init(_ op: Op) { self.op = op }
        @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { op(b, a) }
    }
    /// `op(x, right)`: a binary operator with a fixed scalar right operand.
    struct WithRight<Op: ElementOperator>: ElementFunction {
        let op: Op, right: Float
        init(_ op: Op, _ right: Float) { self.op = op; self.right = right }
        @inline(__always) func callAsFunction(_ x: Float) -> Float { op(x, right) }
    }
    /// `op(left, x)`: a binary operator with a fixed scalar left operand.
    struct WithLeft<Op: ElementOperator>: ElementFunction {
        let left: Float, op: Op
        init(_ left: Float, _ op: Op) { self.left = left; self.op = op }
        @inline(__always) func callAsFunction(_ x: Float) -> Float { op(left, x) }
    }
}

/// How the general broadcasting path walks its operands: the result's dimensions after
/// dropping 1s and merging neighbours that are contiguous for every operand, with each
/// operand's element strides over them (0 where it is broadcast).
struct BroadcastPlan {
    /// Merged result dimensions; the last is the inner (row) loop.
    var dims: [Int]
    /// `strides[k][d]`: step of operand `k` along merged dimension `d`.
    var strides: [[Int]]

    init(outShape: [Int], operands: [[Int]]) {
        let rank = outShape.count
        let full = operands.map { Tensor.broadcastStrides(of: $0, toRank: rank, resultShape: outShape) }
        var dims: [Int] = []
        var strides = [[Int]](repeating: [], count: operands.count)
        for d in 0..<rank where outShape[d] != 1 {
            // Merge into the previous kept dimension when that is contiguous for every operand.
            if let last = dims.last,
               (0..<operands.count).allSatisfy({ strides[$0].last! == full[$0][d] * outShape[d] }) {
                dims[dims.count - 1] = last * outShape[d]
                for k in 0..<operands.count { strides[k][strides[k].count - 1] = full[k][d] }
            } else {
                dims.append(outShape[d])
                for k in 0..<operands.count { strides[k].append(full[k][d]) }
            }
        }
        if dims.isEmpty {
            dims = [1]
            for k in 0..<operands.count { strides[k] = [0] }
        }
        self.dims = dims
        self.strides = strides
    }

    /// Stride of operand `k` along the inner dimension.
    func innerStride(_ k: Int) -> Int { strides[k][dims.count - 1] }

    /// Calls `body(operandOffsets, outOffset, width)` once per row of the inner dimension, rows
    /// in parallel chunks. Offsets are for up to three operands (unused ones are 0).
    @inline(__always)
    func forEachRow(_ body: (_ offsets: (Int, Int, Int), _ outOffset: Int, _ width: Int) -> Void) {
        let width = dims[dims.count - 1]
        let outer = dims.count - 1
        let rows = dims.dropLast().reduce(1, *)
        let s0 = strides[0], s1 = strides.count > 1 ? strides[1] : Array(repeating: 0, count: dims.count)
        let s2 = strides.count > 2 ? strides[2] : Array(repeating: 0, count: dims.count)
        let dims = self.dims
        parallelChunks(total: rows, grain: max(1, elementwiseGrain / width)) { _, range in
            // Odometer position of the chunk's first row.
            var index = [Int](repeating: 0, count: max(outer, 1))
            var rest = range.lowerBound
            var o0 = 0, o1 = 0, o2 = 0
            for d in stride(from: outer - 1, through: 0, by: -1) {
                index[d] = rest % dims[d]
                rest /= dims[d]
                o0 += index[d] * s0[d]; o1 += index[d] * s1[d]; o2 += index[d] * s2[d]
            }
            for r in range {
                body((o0, o1, o2), r * width, width)
                var d = outer - 1
                while d >= 0 {
                    index[d] += 1
                    o0 += s0[d]; o1 += s1[d]; o2 += s2[d]
                    if index[d] < dims[d] { break }
                    o0 -= s0[d] * dims[d]; o1 -= s1[d] * dims[d]; o2 -= s2[d] * dims[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
    }
}
