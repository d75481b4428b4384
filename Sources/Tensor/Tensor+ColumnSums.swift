import Foundation

extension Tensor {
    /// Rows per chunk of ``columnSums(_:)``.
    static let columnSumChunkRows = 64

    /// The sum over the rows of a matrix, `out[j] = Σᵢ x[i, j]`: the bias gradient of an affine
    /// map (`db = Σ_rows dY`).
    ///
    /// Rows go in chunks of ``columnSumChunkRows`` on Lore's threads, each chunk summing its
    /// rows into `Double` partials (8 columns at a time); the partials are then added in chunk
    /// order, so the result is the same on any thread count. A row-major matrix is read once,
    /// sequentially — unlike a reduction along axis 0 organised by column tiles.
    ///
    /// - Parameter x: `[rows, columns]`, or `[…, columns]` (all leading axes are rows).
    /// - Returns: `[columns]`.
    package static func columnSums(_ x: Tensor) -> Tensor {
        check(x.rank >= 1, "columnSums: needs at least one axis, got a scalar")
        let columns = x.shape[x.rank - 1], rows = columns == 0 ? 0 : x.count / columns
        let chunks = chunkCount(total: rows, grain: columnSumChunkRows)
        var result = Tensor.zeros([columns])
        guard rows > 0 && columns > 0 else { return result }
        let partials = UnsafeMutablePointer<Double>.allocate(capacity: chunks * columns)
        defer { partials.deallocate() }
        let px = UnsafePointer(x.storage.pointer)
        parallelChunks(total: rows, grain: columnSumChunkRows) { chunk, range in
            let acc = partials + chunk * columns
            acc.update(repeating: 0, count: columns)
            for r in range {
                let row = px + r * columns
                var j = 0
                while j + 8 <= columns {
                    let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                    let lo = SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
                    let hi = SIMD4<Double>(Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
                    let a = UnsafeMutableRawPointer(acc + j)
                    a.storeBytes(of: a.loadUnaligned(as: SIMD4<Double>.self) + lo, as: SIMD4<Double>.self)
                    (a + 32).storeBytes(of: (a + 32).loadUnaligned(as: SIMD4<Double>.self) + hi, as: SIMD4<Double>.self)
                    j += 8
                }
                while j < columns { acc[j] += Double(row[j]); j += 1 }
            }
        }
        result.withUnsafeMutableBufferPointer { out in
            for j in 0..<columns {
                var total = 0.0
                for c in 0..<chunks { total += partials[c * columns + j] }
                out[j] = Float(total)
            }
        }
        return result
    }
}
