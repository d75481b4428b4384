import Tensor

/// The record of differentiable operations run inside ``valueAndGradient(_:)``.
///
/// Every operation whose inputs include a tracked ``Variable`` appends one entry: the ids of its
/// inputs and a closure that maps the gradient of its output to the gradients of its inputs.
/// Entries are appended in execution order, so walking them backwards visits every node after
/// all of its consumers (reverse-mode differentiation needs no graph sort). Leaves are entries
/// with no inputs that point at a ``Parameter``, whose ``Parameter/gradient`` receives the sum
/// of everything that flows into them.
///
/// A tape is made by ``valueAndGradient(_:)`` and is current only inside its closure
/// (`Tape.current`, a task-local value); with no current tape — or inside
/// ``withoutGradient(_:)`` — operations record nothing and cost nothing extra.
public final class Tape: @unchecked Sendable {
    /// Maps the gradient of an entry's output (shape of the output) to one gradient per input
    /// (each of its input's shape), or `nil` for an input that needs none.
    public typealias Backward = (_ outputGradient: Tensor) -> [Tensor?]

    struct Entry {
        let inputs: [Int]
        let backward: Backward?
        let parameter: Parameter?
        let shape: [Int]
        /// Where the operation was recorded, while ``profileOperations(_:)`` runs.
        var site: OperationSite? = nil
    }

    private(set) var entries: [Entry] = []
    /// `false` for the forward-only tape of ``checkpointed(_:_:)``: entries keep their inputs
    /// and shapes (so tracking works as usual) but drop their backward closures, and with them
    /// every tensor those closures captured.
    let keepsBackward: Bool

    /// The tape operations record on, if any.
    @TaskLocal public static var current: Tape?

    public init() {
        keepsBackward = true
        OperationProfiler.current?.mark()
    }

    init(keepsBackward: Bool) { self.keepsBackward = keepsBackward }

    /// Number of recorded entries (leaves and operations).
    public var count: Int { entries.count }

    func appendLeaf(_ parameter: Parameter, shape: [Int]) -> Int {
        entries.append(Entry(inputs: [], backward: nil, parameter: parameter, shape: shape))
        return entries.count - 1
    }

    func appendOperation(inputs: [Int], shape: [Int], site: OperationSite? = nil, backward: @escaping Backward) -> Int {
        entries.append(Entry(inputs: inputs, backward: keepsBackward ? backward : nil, parameter: nil, shape: shape, site: site))
        return entries.count - 1
    }

    /// Propagates `seed` (the gradient of entry `root`, its shape) back through the tape and
    /// adds the result into the ``Parameter/gradient`` of every leaf reached.
    ///
    /// Each entry's gradient is released as soon as it has been propagated, so peak memory is
    /// the live gradients of one "frontier", not of the whole graph.
    func backward(from root: Int, seed: Tensor) {
        check(root >= 0 && root < entries.count, "Tape.backward: entry \(root) is not on this tape")
        var gradients = [Tensor?](repeating: nil, count: root + 1)
        gradients[root] = seed
        let profiler = OperationProfiler.current
        defer { profiler?.mark() }
        for id in stride(from: root, through: 0, by: -1) {
            guard let g = gradients[id] else { continue }
            gradients[id] = nil
            let entry = entries[id]
            if let parameter = entry.parameter {
                parameter.accumulateGradient(g)
                continue
            }
            guard let backward = entry.backward else { continue }
            let started = profiler == nil ? 0 : OperationProfiler.now()
            let inputGradients = backward(g)
            profiler?.backward(entry.site, since: started)
            check(inputGradients.count == entry.inputs.count,
                  "Tape.backward: an operation returned \(inputGradients.count) gradients for \(entry.inputs.count) inputs")
            for (input, gi) in zip(entry.inputs, inputGradients) {
                guard let gi else { continue }
                check(gi.shape == entries[input].shape,
                      "Tape.backward: gradient of shape \(describeShape(gi.shape)) for an input of shape \(describeShape(entries[input].shape))")
                if gradients[input] == nil {
                    gradients[input] = gi
                } else {
                    let started = profiler == nil ? 0 : OperationProfiler.now()
                    gradients[input]! += gi
                    profiler?.backward(nil, since: started)
                }
            }
        }
    }
}
