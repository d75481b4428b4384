import Tensor

/// A tensor flowing through differentiable code: its value, and — while a ``Tape`` records —
/// where it sits on that tape.
///
/// Variables made from plain tensors (`Variable(x)`) are constants: no gradient flows into
/// them. Trainable inputs come from ``Parameter/variable``. Every differentiable operation
/// takes and returns `Variable`s and records itself through
/// ``record(_:inputs:function:file:line:backward:)``.
public struct Variable {
    /// The value computed by the forward pass.
    public let value: Tensor
    /// The entry on `tape`, or `nil` for a constant.
    let id: Int?
    let tape: Tape?

    /// A constant: the gradient stops here.
    public init(_ value: Tensor) {
        self.value = value
        self.id = nil
        self.tape = nil
    }

    init(_ value: Tensor, id: Int, tape: Tape) {
        self.value = value
        self.id = id
        self.tape = tape
    }

    /// Shape of ``value``.
    public var shape: [Int] { value.shape }
    /// Rank of ``value``.
    public var rank: Int { value.rank }
    /// True when gradients flow through this variable (it is on the current tape).
    public var isTracked: Bool { id != nil && tape != nil && tape === Tape.current }

    /// The same value with the gradient stopped (`torch.Tensor.detach`).
    public func detached() -> Variable { Variable(value) }

    /// Records an operation: `value` was computed from `inputs`; `backward` maps the gradient
    /// of `value` to one gradient per input (in order; `nil` where none is needed).
    ///
    /// When no input is tracked on the current tape, nothing is recorded and `backward` is
    /// never kept: the result is a constant. This is the one hook every differentiable
    /// operation — Lore's or a user's own — goes through.
    ///
    /// - Parameters:
    ///   - value: the operation's output.
    ///   - inputs: the operation's differentiable inputs.
    ///   - backward: receives the output gradient (shape of `value`); returns gradients of the
    ///     inputs' shapes. It may capture the forward's tensors it needs.
    ///   - function, file, line: where the operation is recorded, for ``profileOperations(_:)``
    ///     (leave the defaults).
    public static func record(
        _ value: Tensor, inputs: [Variable], function: StaticString = #function, file: StaticString = #fileID,
        line: UInt = #line, backward: @escaping Tape.Backward
    ) -> Variable {
        guard let tape = Tape.current else { return Variable(value) }
        let site: OperationSite?
        if let profiler = OperationProfiler.current {
            let recorded = OperationSite(function: "\(function)", file: "\(file)", line: Int(line))
            profiler.forward(recorded)
            site = recorded
        } else {
            site = nil
        }
        var ids: [Int] = []
        ids.reserveCapacity(inputs.count)
        var anyTracked = false
        for input in inputs {
            if let id = input.id, input.tape === tape {
                ids.append(id)
                anyTracked = true
            } else {
                ids.append(-1)
            }
        }
        guard anyTracked else { return Variable(value) }
        // Untracked inputs get no gradient: drop them from the entry, keep the closure's order.
        let tracked = ids.indices.filter { ids[$0] >= 0 }
        let id: Int
        if tracked.count == ids.count {
            id = tape.appendOperation(inputs: ids, shape: value.shape, site: site, backward: backward)
        } else {
            id = tape.appendOperation(inputs: tracked.map { ids[$0] }, shape: value.shape, site: site) { g in
                let all = backward(g)
                return tracked.map { all[$0] }
            }
        }
        return Variable(value, id: id, tape: tape)
    }

    /// True when at least one of `inputs` is tracked, i.e. when an operation's backward pass
    /// will be kept: kernels can skip saving tensors for the backward pass otherwise.
    public static func anyTracked(_ inputs: Variable...) -> Bool {
        inputs.contains { $0.isTracked }
    }
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable(\(value)\(id == nil ? "" : ", tracked"))" }
}
