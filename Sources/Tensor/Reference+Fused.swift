import Foundation

/// Plain, obviously-right versions of the fused kernels (cross-entropy, row normalisation,
/// attention, rotary embedding, SwiGLU): one element at a time, everything in `Double`, the
/// textbook formula with no fusion or recomputation. Tests hold `Tensor+CrossEntropy.swift`,
/// `Tensor+Normalization.swift`, `Tensor+Attention.swift`, `Tensor+Rotary.swift` and
/// `Tensor+SwiGLU.swift` against these.
enum FusedReference {
    // MARK: Cross-entropy

    /// Per-row loss `(1 − ε)·(−log p[t]) + ε·mean_v(−log p[v])` (0 on ignored rows) and the
    /// gradient of `Σᵢ sᵢ·lossᵢ` with respect to the logits, from an explicit softmax.
    static func crossEntropy(
        _ logits: Tensor, targets: [Int], ignoreIndex: Int, labelSmoothing eps: Double, rowScales: [Double]
    ) -> (losses: [Double], gradient: Tensor) {
        let v = logits.shape.last!, n = targets.count
        let x = logits.scalars.map(Double.init)
        var losses = [Double](repeating: 0, count: n)
        var grad = [Float](repeating: 0, count: x.count)
        for i in 0..<n where targets[i] != ignoreIndex {
            let row = Array(x[(i * v)..<((i + 1) * v)])
            let m = row.max()!
            let z = row.reduce(0) { $0 + exp($1 - m) }
            let logP = row.map { $0 - m - log(z) }
            let smooth = logP.reduce(0) { $0 - $1 } / Double(v)
            losses[i] = (1 - eps) * -logP[targets[i]] + eps * smooth
            for j in 0..<v {
                let target = (j == targets[i] ? 1 - eps : 0) + eps / Double(v)
                grad[i * v + j] = Float(rowScales[i] * (exp(logP[j]) - target))
            }
        }
        return (losses, Tensor(shape: logits.shape, scalars: grad))
    }

    // MARK: Normalisation

    /// `y = (x − μ)/√(σ² + eps)·w + b` per row of the last axis (`μ = 0`, `σ² = mean x²` when
    /// not centered), and the gradients of `Σ dy ⊙ y` from differentiating the formula.
    static func normalize(
        _ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Double, centered: Bool, outputGradient dy: Tensor
    ) -> (output: Tensor, input: Tensor, weight: Tensor, bias: Tensor) {
        let d = x.shape.last!, rows = x.count / d
        let xs = x.scalars.map(Double.init), gs = dy.scalars.map(Double.init)
        let w = weight?.scalars.map(Double.init) ?? [Double](repeating: 1, count: d)
        let b = bias?.scalars.map(Double.init) ?? [Double](repeating: 0, count: d)
        var y = [Float](), dx = [Float](), dw = [Double](repeating: 0, count: d), db = dw
        for r in 0..<rows {
            let row = Array(xs[(r * d)..<((r + 1) * d)]), g = Array(gs[(r * d)..<((r + 1) * d)])
            let mu = centered ? row.reduce(0, +) / Double(d) : 0
            let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(d)
            let rstd = 1 / (variance + epsilon).squareRoot()
            let xhat = row.map { ($0 - mu) * rstd }
            for i in 0..<d { y.append(Float(xhat[i] * w[i] + b[i])) }
            // dL/dx_k = Σ_i g_i w_i ∂x̂_i/∂x_k, with ∂x̂_i/∂x_k = rstd·(δ_ik − [centered]/D − x̂_i x̂_k / D).
            for k in 0..<d {
                var total = 0.0
                for i in 0..<d {
                    let partial = rstd * ((i == k ? 1 : 0) - (centered ? 1 / Double(d) : 0) - xhat[i] * xhat[k] / Double(d))
                    total += g[i] * w[i] * partial
                }
                dx.append(Float(total))
                dw[k] += g[k] * xhat[k]
                db[k] += g[k]
            }
        }
        return (Tensor(shape: x.shape, scalars: y), Tensor(shape: x.shape, scalars: dx),
                Tensor(dw.map(Float.init)), Tensor(db.map(Float.init)))
    }

    // MARK: Attention

    /// Attention per query head with an explicit mask matrix, plus the gradients of
    /// `Σ dO ⊙ O` by the textbook formulas, with Double sums. With `segmentIDs` (`[B, S]`),
    /// query `i` may see key `j` only when every id from `j` to key `i + S − T` is the same.
    static func attention(
        query: Tensor, key: Tensor, value: Tensor, paddingMask: Tensor?, causal: Bool, scale: Double,
        outputGradient: Tensor, segmentIDs: [Int32]? = nil
    ) -> (output: Tensor, query: Tensor, key: Tensor, value: Tensor) {
        let (bn, hq, t, dh) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3])
        let (hkv, s, dv) = (key.shape[1], key.shape[2], value.shape[3])
        let q = query.scalars.map(Double.init), k = key.scalars.map(Double.init), v = value.scalars.map(Double.init)
        let gO = outputGradient.scalars.map(Double.init)
        let mask = paddingMask?.scalars
        var out = [Double](repeating: 0, count: bn * hq * t * dv)
        var dq = [Double](repeating: 0, count: q.count), dk = [Double](repeating: 0, count: k.count)
        var dvv = [Double](repeating: 0, count: v.count)
        for b in 0..<bn {
            for h in 0..<hq {
                let kvh = h / (hq / hkv)
                func qi(_ i: Int, _ c: Int) -> Int { ((b * hq + h) * t + i) * dh + c }
                func ki(_ j: Int, _ c: Int) -> Int { ((b * hkv + kvh) * s + j) * dh + c }
                func vi(_ j: Int, _ c: Int) -> Int { ((b * hkv + kvh) * s + j) * dv + c }
                func oi(_ i: Int, _ c: Int) -> Int { ((b * hq + h) * t + i) * dv + c }
                for i in 0..<t {
                    var allowed = [Bool](repeating: true, count: s)
                    for j in 0..<s {
                        if causal && j > i + s - t { allowed[j] = false }
                        if let mask, mask[b * s + j] == 0 { allowed[j] = false }
                        if let segmentIDs {
                            let a = i + s - t
                            let between = Swift.min(a, j)...Swift.max(a, j)
                            if between.contains(where: { segmentIDs[b * s + $0] != segmentIDs[b * s + j] }) { allowed[j] = false }
                        }
                    }
                    var scores = [Double](repeating: -.infinity, count: s)
                    for j in 0..<s where allowed[j] {
                        var dot = 0.0
                        for c in 0..<dh { dot += q[qi(i, c)] * k[ki(j, c)] }
                        scores[j] = scale * dot
                    }
                    guard let m = scores.max(), m > -.infinity else { continue }  // fully masked: zeros
                    let e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                    let p = e.map { $0 / z }
                    for c in 0..<dv { for j in 0..<s { out[oi(i, c)] += p[j] * v[vi(j, c)] } }
                    // Backward of this row.
                    var dp = [Double](repeating: 0, count: s)
                    for j in 0..<s { for c in 0..<dv { dp[j] += gO[oi(i, c)] * v[vi(j, c)] } }
                    let dot = (0..<s).reduce(0.0) { $0 + p[$1] * dp[$1] }
                    for j in 0..<s {
                        let ds = p[j] * (dp[j] - dot) * scale
                        for c in 0..<dh {
                            dq[qi(i, c)] += ds * k[ki(j, c)]
                            dk[ki(j, c)] += ds * q[qi(i, c)]
                        }
                        for c in 0..<dv { dvv[vi(j, c)] += p[j] * gO[oi(i, c)] }
                    }
                }
            }
        }
        func tensor(_ shape: [Int], _ values: [Double]) -> Tensor { Tensor(shape: shape, scalars: values.map(Float.init)) }
        return (tensor([bn, hq, t, dv], out), tensor(query.shape, dq), tensor(key.shape, dk), tensor(value.shape, dvv))
    }

    // MARK: Rotary embedding

    /// Rotates pairs by `position·base^(−2i/R)` computed directly in `Double` (no tables).
    static func rotary(
        _ x: Tensor, positions: [Int], rotatedFeatures r: Int, base: Double, interleaved: Bool, inverse: Bool
    ) -> Tensor {
        let (bn, h, t, dh) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var y = x.scalars
        let xs = x.scalars.map(Double.init)
        for b in 0..<bn {
            for hh in 0..<h {
                for ti in 0..<t {
                    let position = Double(positions.count == t ? positions[ti] : positions[b * t + ti])
                    let row = ((b * h + hh) * t + ti) * dh
                    for i in 0..<(r / 2) {
                        let angle = (inverse ? -1 : 1) * position * pow(base, -Double(2 * i) / Double(r))
                        let (ia, ib) = interleaved ? (2 * i, 2 * i + 1) : (i, i + r / 2)
                        let (u, v) = (xs[row + ia], xs[row + ib])
                        y[row + ia] = Float(u * cos(angle) - v * sin(angle))
                        y[row + ib] = Float(v * cos(angle) + u * sin(angle))
                    }
                }
            }
        }
        return Tensor(shape: x.shape, scalars: y)
    }

    // MARK: SwiGLU

    /// `silu(g)·u` and its gradients `dg = dy·u·σ(g)(1 + g(1 − σ(g)))`, `du = dy·silu(g)`.
    static func swiglu(gate: Tensor, up: Tensor, outputGradient: Tensor) -> (output: Tensor, gate: Tensor, up: Tensor) {
        let g = gate.scalars.map(Double.init), u = up.scalars.map(Double.init), dy = outputGradient.scalars.map(Double.init)
        var y = [Float](), dg = [Float](), du = [Float]()
        for i in 0..<g.count {
            let s = 1 / (1 + exp(-g[i]))
            y.append(Float(g[i] * s * u[i]))
            dg.append(Float(dy[i] * u[i] * s * (1 + g[i] * (1 - s))))
            du.append(Float(dy[i] * g[i] * s))
        }
        return (Tensor(shape: gate.shape, scalars: y), Tensor(shape: gate.shape, scalars: dg), Tensor(shape: gate.shape, scalars: du))
    }
}
