/// A dense n-dimensional array of `Float` in contiguous row-major order.
///
/// `Tensor` is a value: assigning it shares the storage, and the first mutation of a shared
/// tensor copies it (copy-on-write). Shapes are `[Int]`, outermost dimension first; a scalar
/// tensor has shape `[]` and one element. Element `[i0, i1, …, iN]` lives at flat offset
/// `((i0·d1 + i1)·d2 + …)·dN + iN`.
///
/// ```swift
/// var x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// x[1, 2] = 60          // copy-on-write: other values sharing x are untouched
/// print(x.shape)        // [2, 3]
/// ```
public struct Tensor: Sendable {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]

    @usableFromInline
    var storage: TensorStorage

    // MARK: Initialisers

    /// A tensor of `shape` whose values are `scalars` in row-major order.
    ///
    /// - Parameters:
    ///   - shape: dimensions, outermost first; `[]` is a scalar.
    ///   - scalars: exactly `shape.reduce(1, *)` values.
    public init(shape: [Int], scalars: [Float]) {
        let count = Tensor.elementCount(shape)
        check(scalars.count == count,
              "Tensor(shape:scalars:): shape \(describeShape(shape)) needs \(count) values, got \(scalars.count)")
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: count)
        scalars.withUnsafeBufferPointer { source in
            if count > 0 { storage.pointer.initialize(from: source.baseAddress!, count: count) }
        }
    }

    /// A tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        self.shape = shape
        self.storage = TensorStorage(count: Tensor.elementCount(shape), repeating: value)
    }

    /// A scalar tensor (shape `[]`).
    public init(_ value: Float) {
        self.init(shape: [], repeating: value)
    }

    /// A 1-D tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A tensor of `shape` whose elements are not initialised: every element must be written
    /// before it is read. For kernels that overwrite their whole output.
    public init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: Tensor.elementCount(shape))
    }

    @usableFromInline
    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    // MARK: Basic properties

    /// Number of elements, the product of ``shape`` (1 for a scalar).
    @inlinable public var count: Int { storage.count }

    /// Number of dimensions (0 for a scalar).
    @inlinable public var rank: Int { shape.count }

    /// All elements in row-major order.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        check(count == 1, "Tensor.scalar: tensor of shape \(describeShape(shape)) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// Product of the dimensions; stops with a message on a negative dimension.
    @inlinable
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            check(d >= 0, "negative dimension in shape \(describeShape(shape))")
            n *= d
        }
        return n
    }

    // MARK: Raw access

    /// Calls `body` with the elements in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Calls `body` with mutable access to the elements, copying shared storage first.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Gives this value its own storage if it shares it with another tensor.
    @inlinable
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
    }

    /// The address of the first element, valid while this tensor (or a copy sharing its
    /// storage) is alive. For package kernels that read weights owned elsewhere; writing
    /// through it would bypass copy-on-write.
    package var basePointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// True when `self` and `other` share one storage buffer (no copy has happened yet).
    public func sharesStorage(with other: Tensor) -> Bool {
        storage === other.storage
    }

    // MARK: Element access

    /// Flat row-major offset of a full index; stops with a message when out of range.
    @inlinable
    func offset(of indices: [Int]) -> Int {
        check(indices.count == shape.count,
              "Tensor subscript: \(indices.count) indices for a tensor of shape \(describeShape(shape))")
        var flat = 0
        for (axis, i) in indices.enumerated() {
            let d = shape[axis]
            check(i >= 0 && i < d,
                  "Tensor subscript: index \(i) out of range 0..<\(d) on axis \(axis) of shape \(describeShape(shape))")
            flat = flat * d + i
        }
        return flat
    }

    /// The element at `indices` (one index per dimension).
    @inlinable
    public subscript(_ indices: Int...) -> Float {
        get { storage.pointer[offset(of: indices)] }
        set {
            let o = offset(of: indices)
            makeUnique()
            storage.pointer[o] = newValue
        }
    }

    /// The element at `indices` (one index per dimension).
    @inlinable
    public subscript(indices indices: [Int]) -> Float {
        get { storage.pointer[offset(of: indices)] }
        set {
            let o = offset(of: indices)
            makeUnique()
            storage.pointer[o] = newValue
        }
    }

    // MARK: Reshaping without copying

    /// The same elements viewed with another shape of equal element count; `-1` in one place
    /// is inferred. Shares storage (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        check(inferred.count <= 1, "reshaped: more than one -1 in \(describeShape(newShape))")
        if let i = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            check(known > 0 && count % known == 0,
                  "reshaped: cannot reshape \(describeShape(shape)) into \(describeShape(newShape))")
            resolved[i] = count / known
        }
        check(Tensor.elementCount(resolved) == count,
              "reshaped: cannot reshape \(describeShape(shape)) (\(count) elements) into \(describeShape(newShape))")
        return Tensor(shape: resolved, storage: storage)
    }

    /// Reshapes in place (no copy); see ``reshaped(_:)``.
    public mutating func reshape(_ newShape: [Int]) {
        self = reshaped(newShape)
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape and every element (`NaN != NaN`, as for `Float`).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return !lhs.scalars.contains { $0.isNaN } }
        return lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in
                for i in 0..<a.count where a[i] != b[i] { return false }
                return true
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    /// `Tensor[2, 3]([1.0, 2.0, …])`, showing at most 16 values.
    public var description: String {
        let values = withUnsafeBufferPointer { Array($0.prefix(16)) }
        let shown = values.map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(describeShape(shape))([\(shown)\(count > 16 ? ", …" : "")])"
    }
}
