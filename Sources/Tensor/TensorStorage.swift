/// The heap buffer behind a ``Tensor``: `count` Float32 values, 64-byte aligned from 4 KiB up.
///
/// A storage object is shared between tensor values until one of them mutates
/// (copy-on-write, see ``Tensor/withUnsafeMutableBufferPointer(_:)``). Large buffers are
/// recycled through ``StoragePool`` instead of being returned to the system at once.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    /// Alignment of buffers of at least ``alignedBytes`` bytes: one cache line, enough for
    /// AVX-512 loads. Smaller buffers take `malloc`'s 16-byte alignment, which is cheaper to
    /// allocate (`posix_memalign` costs tens of nanoseconds more per tiny tensor).
    static let alignment = 64
    static let alignedBytes = 4096

    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int

    /// A new, *uninitialised* buffer of `count` floats.
    @usableFromInline
    init(uninitializedCount count: Int) {
        check(count >= 0, "TensorStorage: negative element count \(count)")
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = StoragePool.take(bytes: bytes)
            ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: bytes >= Self.alignedBytes ? Self.alignment : 16)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    /// A new buffer filled with `value`.
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    /// A new buffer holding a copy of this one's values.
    @usableFromInline
    func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        result.pointer.initialize(from: pointer, count: count)
        return result
    }

    deinit {
        let raw = UnsafeMutableRawPointer(pointer)
        if !StoragePool.give(raw, bytes: max(count, 1) * MemoryLayout<Float>.stride) {
            raw.deallocate()
        }
    }
}
