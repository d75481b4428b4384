/// Where one tensor lives in a GGUF file, and how it is stored.
///
/// **Dimension order.** GGUF lists dimensions as ggml's `ne`: `ne[0]` is the fastest-varying
/// (contiguous) dimension. The row-major shape PyTorch and Lore use is `ne` reversed: a linear
/// weight of PyTorch shape `[out, in]` is stored with `ne = [in, out]`, and each row of `in`
/// elements is `in / blockSize` consecutive blocks. ``dimensions`` keeps the file's order;
/// ``shape`` is the reversed, row-major view.
public struct GGUFTensorInfo: Equatable, Sendable {
    /// The tensor's name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// ggml's `ne`: sizes from the fastest-varying dimension to the slowest (file order).
    public let dimensions: [Int]
    /// The storage type of the elements.
    public let type: GGMLType
    /// Byte offset of the first byte, relative to the start of the data section; a multiple
    /// of the file's alignment.
    public let offset: Int
    /// Byte offset of the first byte from the start of the file (``GGUFFile/dataOffset`` +
    /// ``offset``).
    public let fileOffset: Int
    /// Bytes the tensor occupies: `ne[0] / blockSize · bytesPerBlock · ne[1] · …`.
    public let byteCount: Int

    public init(name: String, dimensions: [Int], type: GGMLType, offset: Int, fileOffset: Int, byteCount: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.fileOffset = fileOffset
        self.byteCount = byteCount
    }

    /// The row-major shape: ``dimensions`` reversed (`[out, in]` for a linear weight).
    public var shape: [Int] { dimensions.reversed() }

    /// Number of elements: the product of the dimensions (1 for no dimensions).
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// The tensor's bytes as a range of file offsets.
    public var fileRange: Range<Int> { fileOffset..<(fileOffset + byteCount) }
}
