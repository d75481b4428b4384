import Foundation
import Tensor

/// A model or a part of one: parameters and sub-modules under stable local names.
///
/// Names compose with dots into the Hugging Face checkpoint keys
/// (`model.layers.0.self_attn.q_proj.weight`), so saving and loading need no mapping table.
/// A conforming type lists what it owns, in a fixed order; the forward pass is an ordinary
/// method (usually `callAsFunction`) with whatever signature the module needs.
///
/// ```swift
/// final class MLP: Module {
///     let up = Linear(inputSize: 8, outputSize: 32, using: &rng)
///     let down = Linear(inputSize: 32, outputSize: 1, using: &rng)
///     var children: [(name: String, module: any Module)] { [("up", up), ("down", down)] }
///     func callAsFunction(_ x: Variable) -> Variable { down(up(x).relu()) }
/// }
/// ```
public protocol Module: AnyObject {
    /// Parameters owned directly by this module, with local names, in a stable order.
    var ownParameters: [(name: String, parameter: Parameter)] { get }
    /// Direct sub-modules with local names, in a stable order.
    var children: [(name: String, module: any Module)] { get }
    /// Switches training-only behaviour (dropout) on or off for this module alone;
    /// ``Module/train(_:)`` applies it to the whole tree. Default: nothing to switch.
    func setTrainingMode(_ training: Bool)
}

extension Module {
    public var ownParameters: [(name: String, parameter: Parameter)] { [] }
    public var children: [(name: String, module: any Module)] { [] }
    public func setTrainingMode(_ training: Bool) {}

    /// Every parameter of the tree under its dotted name, depth first in declaration order.
    /// A parameter reachable under two names (a tied weight) appears once, under the first.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(name: String, parameter: Parameter)] = []
        func visit(_ module: any Module, _ prefix: String) {
            for (name, p) in module.ownParameters where seen.insert(ObjectIdentifier(p)).inserted {
                result.append((prefix + name, p))
            }
            for (name, child) in module.children { visit(child, prefix + name + ".") }
        }
        visit(self, "")
        return result
    }

    /// Every parameter of the tree (each once).
    public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

    /// The parameters that receive gradients (``Parameter/requiresGradient``).
    public func trainableParameters() -> [(name: String, parameter: Parameter)] {
        namedParameters().filter { $0.parameter.requiresGradient }
    }

    /// Total number of scalars in the parameters (each tied weight counted once).
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }

    /// Clears every parameter's accumulated gradient.
    public func zeroGradients() { for p in parameters() { p.zeroGradient() } }

    /// Freezes (`false`) or unfreezes (`true`) every parameter of the tree.
    public func setRequiresGradient(_ flag: Bool) { for p in parameters() { p.requiresGradient = flag } }

    /// Stops gradients to every parameter of the tree.
    public func freeze() { setRequiresGradient(false) }
    /// Makes every parameter of the tree trainable again.
    public func unfreeze() { setRequiresGradient(true) }

    /// Training mode (`true`, dropout active) or evaluation mode (`false`) for the whole tree,
    /// as `torch.nn.Module.train(mode)`.
    public func train(_ training: Bool = true) {
        setTrainingMode(training)
        for (_, child) in children { child.train(training) }
    }

    /// Evaluation mode for the whole tree (`torch.nn.Module.eval()`).
    public func eval() { train(false) }

    // MARK: State dict

    /// Name → value for every parameter (tied weights once), as `torch.nn.Module.state_dict()`.
    public func stateDict() -> [(name: String, value: Tensor)] {
        namedParameters().map { ($0.name, $0.parameter.value) }
    }

    /// Replaces parameter values from `state`.
    ///
    /// - Parameters:
    ///   - state: name → tensor; shapes must equal the parameters'.
    ///   - strict: when `true` (default), a missing or unexpected name is an error, as in
    ///     `load_state_dict(strict=True)`; when `false`, only names present in both are loaded.
    /// - Throws: ``ModuleError`` naming the key.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true, source: String = "state dict") throws {
        let named = namedParameters()
        if strict {
            let known = Set(named.map(\.name))
            if let missing = named.first(where: { state[$0.name] == nil }) {
                throw ModuleError.missingKey(source: source, key: missing.name)
            }
            if let unexpected = state.keys.sorted().first(where: { !known.contains($0) }) {
                throw ModuleError.unexpectedKey(source: source, key: unexpected)
            }
        }
        for (name, parameter) in named {
            guard let value = state[name] else { continue }
            guard value.shape == parameter.value.shape else {
                throw ModuleError.shapeMismatch(source: source, key: name, expected: parameter.value.shape, found: value.shape)
            }
        }
        for (name, parameter) in named { if let value = state[name] { parameter.value = value } }
    }

    /// Writes the state dict to a safetensors file (atomically; see `Safetensors.write`).
    public func save(to url: URL, dtype: SafetensorsDType = .f32, metadata: [String: String]? = ["format": "pt"]) throws {
        try Safetensors.write(stateDict().map { ($0.name, $0.value) }, to: url, dtype: dtype, metadata: metadata)
    }

    /// Loads parameter values from a safetensors file; see ``loadStateDict(_:strict:source:)``.
    public func load(from url: URL, strict: Bool = true) throws {
        let file = try SafetensorsFile(url: url)
        var state: [String: Tensor] = [:]
        let wanted = Set(namedParameters().map(\.name))
        for name in file.tensorNames where strict || wanted.contains(name) {
            state[name] = try file.tensor(named: name)
        }
        try loadStateDict(state, strict: strict, source: url.path)
    }
}

/// Why a state dict could not be loaded into a module.
public enum ModuleError: Error, LocalizedError, Equatable {
    case missingKey(source: String, key: String)
    case unexpectedKey(source: String, key: String)
    case shapeMismatch(source: String, key: String, expected: [Int], found: [Int])

    public var errorDescription: String? {
        switch self {
        case .missingKey(let source, let key):
            return "\(source): no tensor '\(key)', which the model needs (load with strict: false to skip it)"
        case .unexpectedKey(let source, let key):
            return "\(source): tensor '\(key)' matches no parameter of the model (load with strict: false to ignore it)"
        case .shapeMismatch(let source, let key, let expected, let found):
            return "\(source): tensor '\(key)' has shape \(describeShape(found)), the model's parameter has \(describeShape(expected))"
        }
    }
}
