// SwiGLU, `silu(gate) ⊙ up`, and its gradient in one pass each (Shazeer 2020, "GLU Variants
// Improve Transformer"; the MLP of Llama). Autograd's `swiglu(gate:up:)` wraps these.

extension Tensor {
    /// `y = silu(g)·u = g·σ(g)·u`, elementwise.
    ///
    /// - Parameters:
    ///   - gate, up: equal shapes.
    package static func swiglu(gate: Tensor, up: Tensor) -> Tensor {
        check(gate.shape == up.shape,
              "swiglu: gate of shape \(describeShape(gate.shape)) and up of shape \(describeShape(up.shape)) must be equal")
        var out = Tensor(uninitializedShape: gate.shape)
        out.withUnsafeMutableBufferPointer { buffer in
            swigluKernel(gate: gate.storage.pointer, up: up.storage.pointer, into: buffer.baseAddress, count: buffer.count)
        }
        return out
    }

    /// Gradients of ``swiglu(gate:up:)`` from `dy`:
    /// `dg = dy·u·σ(g)·(1 + g·(1 − σ(g)))`, `du = dy·silu(g)`.
    package static func swigluBackward(_ outputGradient: Tensor, gate: Tensor, up: Tensor) -> (gate: Tensor, up: Tensor) {
        check(gate.shape == up.shape && outputGradient.shape == gate.shape,
              "swigluBackward: gradient \(describeShape(outputGradient.shape)), gate \(describeShape(gate.shape)), up \(describeShape(up.shape)) must be equal")
        var dg = Tensor(uninitializedShape: gate.shape), du = Tensor(uninitializedShape: gate.shape)
        let pg = UnsafePointer(gate.storage.pointer), pu = UnsafePointer(up.storage.pointer)
        let pdy = UnsafePointer(outputGradient.storage.pointer)
        dg.withUnsafeMutableBufferPointer { dgBuffer in
            du.withUnsafeMutableBufferPointer { duBuffer in
                let pdg = dgBuffer.baseAddress, pdu = duBuffer.baseAddress
                @inline(__always) func lanes(_ g: SIMD8<Float>, _ u: SIMD8<Float>, _ dy: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
                    let s = simdSigmoid(g)
                    let one = SIMD8<Float>(repeating: 1)
                    return (dy * u * s * muladd(g, one - s, one), dy * g * s)
                }
                parallelChunks(total: dgBuffer.count, grain: elementwiseGrain) { _, range in
                    var i = range.lowerBound
                    while i + 8 <= range.upperBound {
                        let (a, b) = lanes(load8(pg + i), load8(pu + i), load8(pdy + i))
                        swigluStore(a, pdg! + i); swigluStore(b, pdu! + i)
                        i += 8
                    }
                    if i < range.upperBound {
                        var g = SIMD8<Float>(repeating: 0), u = g, dy = g
                        for l in 0..<(range.upperBound - i) { g[l] = pg[i + l]; u[l] = pu[i + l]; dy[l] = pdy[i + l] }
                        let (a, b) = lanes(g, u, dy)
                        for l in 0..<(range.upperBound - i) { pdg![i + l] = a[l]; pdu![i + l] = b[l] }
                    }
                }
            }
        }
        return (dg, du)
    }
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inline(__always)
private func swigluStore(_ v: SIMD8<Float>, _ q: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(q).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// `out[i] = silu(gate[i])·up[i]` for `count` elements, in parallel chunks; `out` may be `gate`
/// (each element reads only its own inputs). Serves ``Tensor/swiglu(gate:up:)`` and the
/// inference kernels.
func swigluKernel(gate pg: UnsafePointer<Float>, up pu: UnsafePointer<Float>, into po: UnsafeMutablePointer<Float>?, count: Int) {
    guard let po else { return }
    parallelChunks(total: count, grain: elementwiseGrain) { _, range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            swigluStore(simdSilu(load8(pg + i)) * load8(pu + i), po + i)
            i += 8
        }
        while i < range.upperBound {
            var g = SIMD8<Float>(repeating: 0); g[0] = pg[i]
            po[i] = simdSilu(g)[0] * pu[i]
            i += 1
        }
    }
}
