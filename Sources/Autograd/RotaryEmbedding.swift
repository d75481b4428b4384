import Tensor

/// Which features rotary embedding rotates together.
public enum RotaryLayout: String, Sendable, CaseIterable {
    /// Pairs `(i, i + R/2)`: Hugging Face Llama's `rotate_half` (GPT-NeoX style).
    case halfSplit
    /// Pairs `(2i, 2i + 1)`: GPT-J, Meta's original Llama and llama.cpp/GGUF style.
    case interleaved
}

/// Precomputed cosines and sines of rotary position embedding, reusable across layers and
/// steps.
///
/// Pair `i` of position `p` rotates by `θ = p·invFreq[i]`; the default frequencies are
/// RoFormer's `invFreq[i] = base^(−2i/R)` (Su et al. 2021) for `R` rotated features. The
/// angles, cosines and sines are computed in `Double` and rounded once to `Float`. (Hugging
/// Face computes `invFreq` and the angles in float32, so its tables drift from these by a few
/// float32 ulps of the angle at large positions.) Frequency schedules such as Llama 3's
/// `rope_scaling` are supplied through ``init(inverseFrequencies:maxPositions:)``.
public struct RotaryTable: Sendable {
    /// `R/2` inverse frequencies, one per rotated pair.
    public let inverseFrequencies: [Double]
    /// `[maxPositions, R/2]`: `cos(p·invFreq[i])`.
    public let cos: Tensor
    /// `[maxPositions, R/2]`: `sin(p·invFreq[i])`.
    public let sin: Tensor

    /// Positions covered: `0..<maxPositions`.
    public var maxPositions: Int { cos.shape[0] }
    /// Features rotated, `R = 2·inverseFrequencies.count` (the head size, or less for partial
    /// rotary; the remaining features pass through).
    public var rotatedFeatures: Int { 2 * inverseFrequencies.count }

    /// The standard table: `invFreq[i] = base^(−2i/R)`.
    ///
    /// - Parameters:
    ///   - rotatedFeatures: `R`, even — usually the head size `Dh`.
    ///   - maxPositions: positions `0..<maxPositions` are available.
    ///   - base: `θ` base (Hugging Face `rope_theta`; default 10,000).
    public init(rotatedFeatures: Int, maxPositions: Int, base: Double = 10_000) {
        self.init(inverseFrequencies: Tensor.rotaryInverseFrequencies(rotatedFeatures: rotatedFeatures, base: base),
                  maxPositions: maxPositions)
    }

    /// A table from given inverse frequencies (e.g. after Llama 3 or YaRN rescaling).
    public init(inverseFrequencies: [Double], maxPositions: Int) {
        check(!inverseFrequencies.isEmpty, "RotaryTable: needs at least one inverse frequency")
        self.inverseFrequencies = inverseFrequencies
        (cos, sin) = Tensor.rotaryTables(inverseFrequencies: inverseFrequencies, positions: maxPositions)
    }
}

/// Rotary position embedding (RoPE; Su et al. 2021, "RoFormer"), as Hugging Face's
/// `apply_rotary_pos_emb` for `.halfSplit`:
///
/// `(a, b) ↦ (a·cos θ − b·sin θ, b·cos θ + a·sin θ)`, `θ = position·invFreq[i]`,
///
/// for every pair `i` of the first `R = table.rotatedFeatures` features of each head; the
/// others pass through. The backward pass is the inverse rotation (by `−θ`) of the gradient.
///
/// - Parameters:
///   - x: `[B, H, T, Dh]` queries or keys.
///   - positions: the position of each token: `T` values shared by the batch, or `B·T` values
///     (row-major `[B, T]`), each in `0..<table.maxPositions` (an offset such as `[5, 6, 7]` when
///     decoding after 5 cached tokens).
///   - table: precomputed cosines and sines.
///   - layout: `.halfSplit` (default) or `.interleaved`.
/// - Returns: the shape of `x`.
public func rotaryEmbedding(
    _ x: Variable, positions: [Int], table: RotaryTable, layout: RotaryLayout = .halfSplit
) -> Variable {
    let interleaved = layout == .interleaved
    let value = Tensor.rotaryEmbedding(x.value, cos: table.cos, sin: table.sin, positions: positions,
                                       interleaved: interleaved, inverse: false)
    return Variable.record(value, inputs: [x]) { g in
        [Tensor.rotaryEmbedding(g, cos: table.cos, sin: table.sin, positions: positions, interleaved: interleaved, inverse: true)]
    }
}

/// ``rotaryEmbedding(_:positions:table:layout:)`` with a table built for this call: every
/// feature of the head rotates, `invFreq[i] = base^(−2i/Dh)`. Build a ``RotaryTable`` once
/// instead when calling it for many layers or steps.
public func rotaryEmbedding(
    _ x: Variable, positions: [Int], base: Double = 10_000, layout: RotaryLayout = .halfSplit
) -> Variable {
    check(x.rank == 4, "rotaryEmbedding: input must be [B, H, T, Dh], got \(describeShape(x.shape))")
    let table = RotaryTable(rotatedFeatures: x.shape[3], maxPositions: (positions.max() ?? 0) + 1, base: base)
    return rotaryEmbedding(x, positions: positions, table: table, layout: layout)
}

/// ``rotaryEmbedding(_:positions:table:layout:)`` on token-major rows `[B, T, H·Dh]` (the
/// output of a q or k projection, head `h` in columns `h·Dh ..< (h + 1)·Dh`): the same rotation
/// of each head's features, with no transpose to `[B, H, T, Dh]` and back.
///
/// - Parameters:
///   - x: `[B, T, H·Dh]`.
///   - heads: `H`, dividing the last dimension.
///   - positions, table, layout: as on the head-major function.
/// - Returns: the shape of `x`.
public func rotaryEmbedding(
    _ x: Variable, heads: Int, positions: [Int], table: RotaryTable, layout: RotaryLayout = .halfSplit
) -> Variable {
    let interleaved = layout == .interleaved
    let value = Tensor.rotaryEmbedding(x.value, cos: table.cos, sin: table.sin, positions: positions,
                                       interleaved: interleaved, inverse: false, heads: heads)
    return Variable.record(value, inputs: [x]) { g in
        [Tensor.rotaryEmbedding(g, cos: table.cos, sin: table.sin, positions: positions, interleaved: interleaved,
                                inverse: true, heads: heads)]
    }
}
