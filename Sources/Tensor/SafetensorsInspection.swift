import Foundation

/// Summary statistics of one stored tensor, as `lore inspect` prints them.
public struct SafetensorsTensorSummary: Sendable, Equatable {
    /// The header entry.
    public let info: SafetensorsTensorInfo
    /// Mean, population standard deviation (divide by n, as numpy's default), minimum and
    /// maximum of the values read as `Float` (see ``SafetensorsFile/tensor(named:)``),
    /// accumulated in `Double`; `nil` for an empty tensor or a dtype Lore does not convert.
    /// NaNs make mean and std NaN and are skipped by min and max.
    public let mean: Double?
    public let standardDeviation: Double?
    public let minimum: Float?
    public let maximum: Float?

    /// One row: name, dtype, shape, element count, mean, std, min, max.
    public var row: [String] {
        func number(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "-" }
        return [info.name, info.dtype.rawValue, describeShape(info.shape), String(info.elementCount),
                number(mean), number(standardDeviation), number(minimum.map(Double.init)), number(maximum.map(Double.init))]
    }
}

extension SafetensorsFile {
    /// Statistics of tensor `name`: mean, standard deviation, minimum and maximum.
    ///
    /// Partial sums are taken over fixed chunks and combined in chunk order, so the result does
    /// not depend on the thread count. The standard deviation is computed in a second pass
    /// around the mean, `sqrt(Σ(x − mean)² / n)`.
    public func summary(named name: String) throws(SafetensorsError) -> SafetensorsTensorSummary {
        let info = try info(named: name)
        let values: Tensor
        do {
            values = try tensor(named: name)
        } catch where error.reason == .unsupportedConversion(dtype: info.dtype.rawValue, to: "Float") {
            return SafetensorsTensorSummary(info: info, mean: nil, standardDeviation: nil, minimum: nil, maximum: nil)
        }
        let n = values.count
        guard n > 0 else {
            return SafetensorsTensorSummary(info: info, mean: nil, standardDeviation: nil, minimum: nil, maximum: nil)
        }
        let grain = elementwiseGrain
        let chunks = chunkCount(total: n, grain: grain)
        var sums = [Double](repeating: 0, count: chunks)
        var squares = [Double](repeating: 0, count: chunks)
        var lows = [Float](repeating: .infinity, count: chunks)
        var highs = [Float](repeating: -.infinity, count: chunks)
        let x = values.storage.pointer
        sums.withUnsafeMutableBufferPointer { sums in
            lows.withUnsafeMutableBufferPointer { lows in
                highs.withUnsafeMutableBufferPointer { highs in
                    parallelChunks(total: n, grain: grain) { chunk, range in
                        var sum = 0.0, low = Float.infinity, high = -Float.infinity
                        for i in range {
                            sum += Double(x[i])
                            if x[i] < low { low = x[i] }
                            if x[i] > high { high = x[i] }
                        }
                        sums[chunk] = sum
                        lows[chunk] = low
                        highs[chunk] = high
                    }
                }
            }
        }
        let mean = sums.reduce(0, +) / Double(n)
        squares.withUnsafeMutableBufferPointer { squares in
            parallelChunks(total: n, grain: grain) { chunk, range in
                var sum = 0.0
                for i in range {
                    let d = Double(x[i]) - mean
                    sum += d * d
                }
                squares[chunk] = sum
            }
        }
        let low = lows.min()!, high = highs.max()!
        return SafetensorsTensorSummary(
            info: info, mean: mean, standardDeviation: (squares.reduce(0, +) / Double(n)).squareRoot(),
            minimum: low <= high ? low : nil, maximum: low <= high ? high : nil)
    }

    /// A printable report: the file, its metadata, then one aligned row per tensor (name,
    /// dtype, shape, count, mean, std, min, max) in file order.
    public func inspectionReport() throws(SafetensorsError) -> String {
        var rows = [["name", "dtype", "shape", "count", "mean", "std", "min", "max"]]
        var totalElements = 0
        for info in tensors {
            rows.append(try summary(named: info.name).row)
            totalElements += info.elementCount
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max()! }
        let table = rows.map { row in
            row.enumerated().map { column, text in
                column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let metadataLines = metadata.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
        let header = [
            url.path,
            "\(tensors.count) tensors, \(totalElements) elements, data \(mapping.count - dataStart) bytes after a \(dataStart - 8)-byte header",
            "metadata:" + (metadataLines.isEmpty ? " (none)" : ""),
        ] + metadataLines
        return (header + [""] + table).joined(separator: "\n")
    }
}
