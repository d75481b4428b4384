import GGUF

extension Tensor {
    /// Tensor `name` of a GGUF file, dequantized to `Float`, with the row-major GGUF shape.
    ///
    /// The shape is ``GGUF/GGUFTensorInfo/shape`` — ggml's `ne` reversed, so a linear weight
    /// stored with `ne = [in, out]` comes back as `[out, in]`, PyTorch's layout. The bytes are
    /// read straight from the file's memory mapping and converted by
    /// ``dequantize(_:type:count:into:)`` (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K,
    /// Q3_K, Q4_K, Q5_K, Q6_K, Q8_K).
    ///
    /// Note that llama.cpp's converter stores Llama's Q and K projection rows permuted for its
    /// RoPE layout; this initialiser returns the rows as stored.
    ///
    /// ```swift
    /// let file = try GGUFFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
    /// let embedding = try Tensor(gguf: file, tensorNamed: "token_embd.weight")  // [49152, 576]
    /// ```
    ///
    /// - Parameters:
    ///   - file: an opened GGUF file.
    ///   - name: the tensor's name, e.g. `blk.0.attn_q.weight`.
    /// - Throws: ``GGUF/GGUFError`` (`.tensorNotFound`) naming the file and tensor, or
    ///   ``GGMLQuantizationError/inTensor(path:tensor:reason:)`` for a type Lore cannot dequantize.
    public init(gguf file: GGUFFile, tensorNamed name: String) throws {
        let info = try file.tensor(named: name)
        do {
            self = try file.withBytes(of: info) { bytes in
                try Tensor.dequantized(bytes, type: info.type, shape: info.shape)
            }
        } catch let error as GGMLQuantizationError {
            throw GGMLQuantizationError.inTensor(path: file.path, tensor: name, reason: error)
        }
    }
}
