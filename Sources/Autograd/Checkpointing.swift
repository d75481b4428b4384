import Tensor

/// Runs `body` without keeping its intermediate values for the backward pass, and recomputes
/// them when the backward pass reaches it (activation checkpointing, as
/// `torch.utils.checkpoint.checkpoint(..., use_reentrant=False)` and Hugging Face's
/// `gradient_checkpointing_enable()`; Chen et al. 2016, "Training Deep Nets with Sublinear
/// Memory Cost").
///
/// Forward: `body` runs on a forward-only tape that tracks which values depend on the tracked
/// `inputs` and on trainable ``Parameter``s but keeps no backward closures, so every tensor
/// those closures would have saved is freed as soon as the forward no longer needs it. The
/// current tape gets **one** entry, whose inputs are the tracked `inputs`; it keeps the
/// input values and nothing else.
///
/// Backward: `body` runs again on a fresh recording tape, with the saved input values as
/// tracked leaves; the incoming gradient `dY` is propagated through it. The parameters used in
/// `body` accumulate their gradients into ``Parameter/gradient`` exactly as without
/// checkpointing, and the inputs' gradients flow on along the outer tape.
///
/// - Memory: the inputs of each checkpointed segment stay alive until the backward pass; the
///   activations inside a segment exist only while it runs (forward) or is recomputed
///   (backward, one segment at a time). For `L` transformer blocks of `[B, T, D]` this keeps
///   `L` tensors of `B·T·D` floats instead of every block's internals (attention
///   probabilities, MLP hidden states, normalisation statistics).
/// - Cost: one extra forward pass of `body` per segment, i.e. about a third more compute for
///   a whole model checkpointed block by block.
/// - Results: the value, the input gradients and the parameter gradients are bitwise those of
///   `body` without checkpointing when the kernels are deterministic (Lore's are; pin BLAS to
///   one thread), provided each input feeds only this segment — an input also used elsewhere
///   receives the segment's gradient as one sum rather than term by term, which can differ in
///   the last bit.
/// - Randomness: a ``Dropout`` layer used in `body` has its generator state noted when it
///   first draws in the segment; the recomputation starts it from that state again (so it
///   draws the same masks) and then puts back the state it had, so later draws are those of
///   a run without checkpointing (PyTorch's `preserve_rng_state`). Other randomness in `body`
///   (a generator captured by the closure) is **not** replayed: draw it outside `body`.
/// - Without a current tape (``withoutGradient(_:)``, inference) `body` simply runs.
///
/// `body` must be a function of `inputs` and of parameters: a tracked ``Variable`` captured from
/// outside instead of passed in `inputs` is a constant inside the segment (no gradient reaches
/// it). Side effects in `body` happen twice. Segments may nest, and `body` may itself call
/// ``valueAndGradient(_:)``.
///
/// ```swift
/// for block in blocks { x = checkpointed(x) { block($0) } }
/// ```
///
/// - Parameters:
///   - inputs: the segment's inputs, any shapes; untracked ones are constants.
///   - body: the segment; called twice while training, once otherwise.
/// - Returns: `body(inputs)`, recorded as one operation of the current tape.
public func checkpointed(_ inputs: [Variable], _ body: @escaping ([Variable]) -> Variable) -> Variable {
    guard let tape = Tape.current else { return body(inputs) }
    let values = inputs.map(\.value)
    let tracked = inputs.indices.filter { inputs[$0].isTracked }
    let ids = tracked.map { inputs[$0].id! }

    /// `inputs` again on the current tape: tracked ones as fresh leaves.
    func leafInputs() -> (variables: [Variable], leaves: [Parameter]) {
        var variables = values.map { Variable($0) }
        let leaves = tracked.map { Parameter(values[$0]) }
        for (leaf, i) in zip(leaves, tracked) { variables[i] = leaf.variable }
        return (variables, leaves)
    }

    let states = DropoutStates(parent: DropoutStates.current)
    let probe = Tape(keepsBackward: false)
    let output = Tape.$current.withValue(probe) {
        DropoutStates.$current.withValue(states) { body(leafInputs().variables) }
    }
    // Neither a tracked input nor a trainable parameter reaches the output: a constant.
    guard output.id != nil, output.tape === probe else { return Variable(output.value) }
    let shape = output.shape

    let id = tape.appendOperation(inputs: ids, shape: shape) { outputGradient in
        let recording = Tape()
        let (result, leaves) = states.replaying {
            Tape.$current.withValue(recording) {
                let (variables, leaves) = leafInputs()
                return (body(variables), leaves)
            }
        }
        check(result.shape == shape,
              "checkpointed: the recomputation returned shape \(describeShape(result.shape)), the forward \(describeShape(shape)); body must be a function of its inputs")
        if let root = result.id, result.tape === recording {
            recording.backward(from: root, seed: outputGradient)
        }
        return leaves.map(\.gradient)
    }
    return Variable(output.value, id: id, tape: tape)
}

/// ``checkpointed(_:_:)`` for a segment with one input: `x = checkpointed(x) { block($0) }`.
public func checkpointed(_ input: Variable, _ body: @escaping (Variable) -> Variable) -> Variable {
    checkpointed([input]) { body($0[0]) }
}

/// The generator states of the ``Dropout`` layers that drew inside a checkpointed segment, as
/// they were before their first draw there; nested segments note a layer in every enclosing
/// segment too.
final class DropoutStates: @unchecked Sendable {
    /// The innermost segment being run forward, if any.
    @TaskLocal static var current: DropoutStates?

    private let parent: DropoutStates?
    private var saved: [(layer: Dropout, generator: SeededGenerator)] = []
    private var seen: Set<ObjectIdentifier> = []

    init(parent: DropoutStates?) { self.parent = parent }

    /// Called by `layer` before it draws a mask.
    func willDraw(_ layer: Dropout) {
        var segment: DropoutStates? = self
        while let s = segment {
            if s.seen.insert(ObjectIdentifier(layer)).inserted { s.saved.append((layer, layer.generator)) }
            segment = s.parent
        }
    }

    /// Runs `body` with every noted layer back at its noted state, then restores the states
    /// the layers had before.
    func replaying<R>(_ body: () -> R) -> R {
        let now = saved.map { ($0.layer, $0.layer.generator) }
        for (layer, generator) in saved { layer.generator = generator }
        defer { for (layer, generator) in now { layer.generator = generator } }
        return body()
    }
}
