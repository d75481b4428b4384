import Foundation

// Rotary position embedding kernel: rotates feature pairs of every row of `[B, H, T, Dh]` by
// position-dependent angles read from precomputed cos/sin tables. Autograd's
// `rotaryEmbedding` and `RotaryTable` wrap it.

extension Tensor {
    /// Rotates pairs of features of `x` `[B, H, T, Dh]` (or `[B, T, H·Dh]`, see `heads`) by the
    /// angles of the positions:
    ///
    /// `(a, b) ↦ (a·cos θ − b·sin θ, b·cos θ + a·sin θ)`, `θ = position·invFreq[i]`,
    ///
    /// for pair `i` in `0..<R/2` where `R = 2·cos.shape[1] ≤ Dh` features rotate and the rest
    /// pass through. Pairs are `(i, i + R/2)` (`interleaved == false`, Hugging Face
    /// `rotate_half`) or `(2i, 2i + 1)` (`interleaved`, GPT-J / llama.cpp). `inverse` rotates
    /// by `−θ` (the backward pass).
    ///
    /// - Parameters:
    ///   - cos, sin: `[P, R/2]` tables; row `p` holds `cos(p·invFreq)`, `sin(p·invFreq)`.
    ///   - positions: `T` positions shared by the batch, or `B·T` (row-major `[B, T]`), each in `0..<P`.
    ///   - heads: `nil` (default) for a head-major `x` `[B, H, T, Dh]`; `H` for a token-major
    ///     `x` `[B, T, H·Dh]` (the output of a projection, no transpose needed).
    package static func rotaryEmbedding(
        _ x: Tensor, cos: Tensor, sin: Tensor, positions: [Int], interleaved: Bool, inverse: Bool, heads tokenMajorHeads: Int? = nil
    ) -> Tensor {
        let batch: Int, heads: Int, t: Int, dh: Int
        if let tokenMajorHeads {
            check(x.rank == 3 && tokenMajorHeads > 0 && x.shape[2] % tokenMajorHeads == 0,
                  "rotaryEmbedding: token-major input must be [B, T, H·Dh] with H = \(tokenMajorHeads), got \(describeShape(x.shape))")
            (batch, heads, t, dh) = (x.shape[0], tokenMajorHeads, x.shape[1], x.shape[2] / tokenMajorHeads)
        } else {
            check(x.rank == 4, "rotaryEmbedding: input must be [B, H, T, Dh], got \(describeShape(x.shape))")
            (batch, heads, t, dh) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        }
        let tokenMajor = tokenMajorHeads != nil
        check(cos.rank == 2 && cos.shape == sin.shape,
              "rotaryEmbedding: cos table \(describeShape(cos.shape)) and sin table \(describeShape(sin.shape)) must be equal [P, R/2]")
        let (maxPositions, half) = (cos.shape[0], cos.shape[1])
        check(2 * half <= dh, "rotaryEmbedding: tables rotate \(2 * half) features but the head size is \(dh) (input \(describeShape(x.shape)))")
        check(positions.count == t || positions.count == batch * t,
              "rotaryEmbedding: \(positions.count) positions for input \(describeShape(x.shape)); expected \(t) or \(batch * t)")
        for p in positions {
            check(p >= 0 && p < maxPositions, "rotaryEmbedding: position \(p) is outside the table's 0..<\(maxPositions)")
        }
        let perBatch = positions.count != t  // else one [T] row shared by the batch
        var out = Tensor(uninitializedShape: x.shape)
        let rows = batch * heads * t
        guard rows > 0 && dh > 0 else { return out }
        let px = UnsafePointer(x.storage.pointer)
        let pc = UnsafePointer(cos.storage.pointer), ps = UnsafePointer(sin.storage.pointer)
        let direction: Float = inverse ? -1 : 1
        positions.withUnsafeBufferPointer { pos in
            out.withUnsafeMutableBufferPointer { buffer in
                let po = buffer.baseAddress
                parallelChunks(total: rows, grain: Swift.max(1, elementwiseGrain / (4 * dh))) { _, range in
                    for r in range {
                        // Row r is (b, h, ti) head-major, (b, ti, h) token-major.
                        let ti = tokenMajor ? (r / heads) % t : r % t, b = r / (heads * t)
                        let position = pos[perBatch ? b * t + ti : ti]
                        let c = pc + position * half, s = ps + position * half
                        let a = px + r * dh, y = po! + r * dh
                        if interleaved {
                            for i in 0..<half {
                                let (u, v, sn) = (a[2 * i], a[2 * i + 1], direction * s[i])
                                y[2 * i] = u * c[i] - v * sn
                                y[2 * i + 1] = v * c[i] + u * sn
                            }
                        } else {
                            for i in 0..<half {
                                let (u, v, sn) = (a[i], a[i + half], direction * s[i])
                                y[i] = u * c[i] - v * sn
                                y[i + half] = v * c[i] + u * sn
                            }
                        }
                        for i in (2 * half)..<dh { y[i] = a[i] }
                    }
                }
            }
        }
        return out
    }
}

extension Tensor {
    /// The standard rotary inverse frequencies `invFreq[i] = base^(−2i/R)` for `i` in
    /// `0..<R/2`, in `Double` (RoFormer, Su et al. 2021; Hugging Face `rope_theta` is `base`).
    package static func rotaryInverseFrequencies(rotatedFeatures r: Int, base: Double) -> [Double] {
        check(r > 0 && r % 2 == 0, "rotaryInverseFrequencies: rotated features \(r) must be positive and even")
        return (0..<(r / 2)).map { Foundation.pow(base, -Double(2 * $0) / Double(r)) }
    }

    /// `cos` and `sin` tables `[P, R/2]` of the angles `p·invFreq[i]` for positions `0..<P`,
    /// computed in `Double` and rounded once to `Float`.
    package static func rotaryTables(inverseFrequencies: [Double], positions: Int) -> (cos: Tensor, sin: Tensor) {
        check(positions >= 0, "rotaryTables: negative position count \(positions)")
        let half = inverseFrequencies.count
        var c = [Float](), s = [Float]()
        c.reserveCapacity(positions * half); s.reserveCapacity(positions * half)
        for p in 0..<positions {
            for f in inverseFrequencies {
                let angle = Double(p) * f
                c.append(Float(Foundation.cos(angle)))
                s.append(Float(Foundation.sin(angle)))
            }
        }
        return (Tensor(shape: [positions, half], scalars: c), Tensor(shape: [positions, half], scalars: s))
    }
}
