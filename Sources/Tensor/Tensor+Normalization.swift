import Foundation

// Fused row normalisation kernels shared by RMSNorm and LayerNorm.
//
// Both normalise each row of the last axis: `x̂ = (x − μ)·r` with `r = 1/√(σ² + eps)`, where
// LayerNorm ("centered") uses the mean `μ` and the biased variance `σ²`, and RMSNorm uses
// `μ = 0` and `σ² = mean(x²)`. Then `y = x̂·w + b`. The forward keeps one `r` (and `μ`) per
// row for the backward:
//
//   dx̂ = dy·w,  dx = r·(dx̂ − [centered]·mean(dx̂) − x̂·mean(dx̂·x̂)),
//   dw = Σ_rows dy·x̂,  db = Σ_rows dy.
//
// Rows run in parallel in fixed chunks; the weight and bias gradients keep one partial per
// chunk, added in chunk order, so every result is independent of `Threads.count`.

/// Floats per parallel chunk of the normalisation kernels (rows = this / row length).
let normalizationGrain = 1 << 14

/// Output and saved statistics of ``Tensor/normalizeRows(_:weight:bias:epsilon:centered:savingStatistics:)``.
package struct NormalizedRows {
    /// The normalised tensor, shape of the input.
    package var output: Tensor
    /// `[rows]` means (LayerNorm only, when statistics are saved).
    package var mean: Tensor?
    /// `[rows]` reciprocal standard deviations `1/√(σ² + eps)` (when statistics are saved).
    package var reciprocalStandardDeviation: Tensor?
}

extension Tensor {
    /// Normalises each row of the last axis: `y = (x − μ)/√(σ² + eps)·w + b`.
    ///
    /// - Parameters:
    ///   - x: `[…, D]`.
    ///   - weight: `[D]` scale, or `nil` for 1.
    ///   - bias: `[D]` shift, or `nil` for 0.
    ///   - centered: `true` for LayerNorm (`μ` = mean, `σ²` = biased variance); `false` for
    ///     RMSNorm (`μ = 0`, `σ²` = mean of squares).
    ///   - savingStatistics: keep per-row `μ` and `1/√(σ² + eps)` for the backward.
    package static func normalizeRows(
        _ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Float, centered: Bool, savingStatistics: Bool
    ) -> NormalizedRows {
        let name = centered ? "layerNorm" : "rmsNorm"
        check(x.rank >= 1, "\(name): input needs at least one axis, got \(describeShape(x.shape))")
        let d = x.shape[x.rank - 1], rows = d == 0 ? 0 : x.count / d
        for (label, p) in [("weight", weight), ("bias", bias)] {
            if let p { check(p.shape == [d], "\(name): \(label) of shape \(describeShape(p.shape)) for input \(describeShape(x.shape)); expected [\(d)]") }
        }
        var output = Tensor(uninitializedShape: x.shape)
        var meanT = Tensor(uninitializedShape: [rows]), rstdT = Tensor(uninitializedShape: [rows])
        let px = UnsafePointer(x.storage.pointer)
        let pw = weight.map { UnsafePointer($0.storage.pointer) }, pb = bias.map { UnsafePointer($0.storage.pointer) }
        output.withUnsafeMutableBufferPointer { out in
            meanT.withUnsafeMutableBufferPointer { meanBuffer in
                rstdT.withUnsafeMutableBufferPointer { rstdBuffer in
                    let py = out.baseAddress
                    parallelChunks(total: rows, grain: Swift.max(1, normalizationGrain / Swift.max(d, 1))) { _, range in
                        for r in range {
                            (meanBuffer[r], rstdBuffer[r]) = normalizeRow(px + r * d, into: py! + r * d, width: d, weight: pw,
                                                                          bias: pb, epsilon: epsilon, centered: centered)
                        }
                    }
                }
            }
        }
        return NormalizedRows(output: output, mean: savingStatistics && centered ? meanT : nil,
                              reciprocalStandardDeviation: savingStatistics ? rstdT : nil)
    }

    /// Gradients of ``normalizeRows(_:weight:bias:epsilon:centered:savingStatistics:)``.
    ///
    /// - Parameters:
    ///   - outputGradient: `dy`, shape of `x`.
    ///   - x: the forward's input `[…, D]`.
    ///   - weight: the forward's `[D]` weight, or `nil`.
    ///   - mean: `[rows]` saved means (LayerNorm), or `nil` (RMSNorm).
    ///   - reciprocalStandardDeviation: `[rows]` saved `1/√(σ² + eps)`.
    ///   - weightGradient, biasGradient: whether to compute `dw`, `db` (`[D]` each).
    /// - Returns: `dx` (shape of `x`), and `dw`, `db` when asked for.
    package static func normalizeRowsBackward(
        _ outputGradient: Tensor, x: Tensor, weight: Tensor?, mean: Tensor?, reciprocalStandardDeviation: Tensor,
        weightGradient: Bool, biasGradient: Bool
    ) -> (input: Tensor, weight: Tensor?, bias: Tensor?) {
        check(outputGradient.shape == x.shape,
              "normalizeRowsBackward: gradient \(describeShape(outputGradient.shape)) for input \(describeShape(x.shape))")
        let d = x.shape[x.rank - 1], rows = d == 0 ? 0 : x.count / d
        let grain = Swift.max(1, normalizationGrain / Swift.max(d, 1))
        let chunks = chunkCount(total: rows, grain: grain)
        let wantW = weightGradient, wantB = biasGradient
        // Per-chunk partial sums of dy·x̂ and dy, combined in chunk order below.
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, chunks * d * 2))
        defer { partials.deallocate() }
        var dx = Tensor(uninitializedShape: x.shape)
        let px = UnsafePointer(x.storage.pointer), pdy = UnsafePointer(outputGradient.storage.pointer)
        let pw = weight.map { UnsafePointer($0.storage.pointer) }
        let pm = mean.map { UnsafePointer($0.storage.pointer) }
        let pr = UnsafePointer(reciprocalStandardDeviation.storage.pointer)
        let centered = mean != nil
        dx.withUnsafeMutableBufferPointer { out in
            let pdx = out.baseAddress
            parallelChunks(total: rows, grain: grain) { chunk, range in
                let sumW = partials + chunk * 2 * d, sumB = sumW + d
                if wantW { sumW.update(repeating: 0, count: d) }
                if wantB { sumB.update(repeating: 0, count: d) }
                for r in range {
                    let row = px + r * d, dy = pdy + r * d, g = pdx! + r * d
                    let m = pm?[r] ?? 0, rstd = pr[r]
                    // g holds dx̂ while the row sums are taken.
                    var sumDxhat: Float = 0, sumDxhatXhat: Float = 0
                    for i in 0..<d {
                        let xhat = (row[i] - m) * rstd
                        let dxhat = dy[i] * (pw?[i] ?? 1)
                        g[i] = dxhat
                        sumDxhat += dxhat
                        sumDxhatXhat += dxhat * xhat
                        if wantW { sumW[i] += dy[i] * xhat }
                        if wantB { sumB[i] += dy[i] }
                    }
                    let a = centered ? sumDxhat / Float(d) : 0, c = sumDxhatXhat / Float(d)
                    for i in 0..<d { g[i] = rstd * (g[i] - a - (row[i] - m) * rstd * c) }
                }
            }
        }
        func combine(_ offset: Int) -> Tensor {
            var total = [Double](repeating: 0, count: d)
            for chunk in 0..<chunks {
                let p = partials + chunk * 2 * d + offset
                for i in 0..<d { total[i] += Double(p[i]) }
            }
            return Tensor(shape: [d], scalars: total.map(Float.init))
        }
        return (dx, wantW ? combine(0) : nil, wantB ? combine(d) : nil)
    }
}

/// Normalises one row of `d` elements: `y = (x − μ)·r·w + b` with `r = 1/√(σ² + eps)`
/// (`μ` = mean and `σ²` = biased variance when `centered`; `μ = 0`, `σ²` = mean of squares
/// otherwise; a missing weight is 1, a missing bias 0). Sums run in `Double` per block.
/// Shared by ``Tensor/normalizeRows(_:weight:bias:epsilon:centered:savingStatistics:)`` and the
/// inference kernels, so cached and training forwards normalise identically.
///
/// - Returns: `μ` and `r`, which the backward pass needs.
@inline(__always)
func normalizeRow(
    _ row: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, width d: Int,
    weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, epsilon: Float, centered: Bool
) -> (mean: Float, reciprocalStandardDeviation: Float) {
    let mu = centered ? fusedRowSum(row, d) / Double(d) : 0
    let variance = fusedSquaredDeviationSum(row, d, around: Float(mu)) / Double(d)
    let rstd = Float(1 / (variance + Double(epsilon)).squareRoot())
    let m = Float(mu)
    switch (weight, bias) {
    case let (w?, b?): for i in 0..<d { y[i] = (row[i] - m) * rstd * w[i] + b[i] }
    case let (w?, nil): for i in 0..<d { y[i] = (row[i] - m) * rstd * w[i] }
    case let (nil, b?): for i in 0..<d { y[i] = (row[i] - m) * rstd + b[i] }
    case (nil, nil): for i in 0..<d { y[i] = (row[i] - m) * rstd }
    }
    return (m, rstd)
}

/// `Σ (p[i] − center)²` over `n` contiguous elements (float lanes within blocks of 1024,
/// blocks in `Double`).
@inline(__always)
func fusedSquaredDeviationSum(_ p: UnsafePointer<Float>, _ n: Int, around center: Float) -> Double {
    let c = SIMD8<Float>(repeating: center)
    var total = 0.0, i = 0
    while i < n {
        let end = Swift.min(n, i + 1024)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        while i + 16 <= end {
            let u = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - c
            let v = UnsafeRawPointer(p + i + 8).loadUnaligned(as: SIMD8<Float>.self) - c
            a0 += u * u; a1 += v * v
            i += 16
        }
        var block = Double((a0 + a1).sum())
        while i < end { let u = p[i] - center; block += Double(u * u); i += 1 }
        total += block
    }
    return total
}
