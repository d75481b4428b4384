import Foundation
import Tensor

/// An optimizer's state as a checkpoint holds it: named tensors and string metadata.
///
/// Tensors are keyed `<parameter>.<buffer>` — `<parameter>.exp_avg` and `<parameter>.exp_avg_sq`
/// for ``AdamW``, `<parameter>.momentum_buffer` for ``SGD`` — using the names PyTorch gives the
/// buffers. ``metadata`` holds `optimizer` (the type's name), the hyper-parameters under
/// PyTorch's names (`lr`, `weight_decay`, …) and per-parameter step counts
/// (`<parameter>.step`), all as strings. Floats are written in Swift's shortest round-trip
/// form, so reading them back gives the same bits.
///
/// On disk this is one safetensors file (`F32` tensors, the metadata in `__metadata__`):
///
/// ```swift
/// try optimizer.saveState(to: checkpoint.appending(path: "optimizer.safetensors"))
/// var resumed = AdamW()
/// try resumed.loadState(from: checkpoint.appending(path: "optimizer.safetensors"), for: model)
/// ```
///
/// Restoring the state into a fresh optimizer and continuing gives bitwise the same parameters
/// as never having stopped.
public struct OptimizerState: Equatable, Sendable {
    /// Buffers keyed `<parameter>.<buffer>`.
    public var tensors: [String: Tensor]
    /// Type name, hyper-parameters and step counts, as strings.
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Writes the state to a safetensors file at `url` (atomically, `F32`).
    ///
    /// - Throws: ``SafetensorsError`` when the file cannot be written.
    public func write(to url: URL) throws(SafetensorsError) {
        try Safetensors.write(tensors, to: url, dtype: .f32, metadata: metadata)
    }

    /// Reads a state written by ``write(to:)``.
    ///
    /// - Throws: ``OptimizerStateError/unreadable(_:)`` wrapping the safetensors error (naming
    ///   the file and the entry) when the file is missing or malformed.
    public init(contentsOf url: URL) throws(OptimizerStateError) {
        do {
            let file = try SafetensorsFile(url: url)
            self.init(tensors: try file.loadAll(), metadata: file.metadata)
        } catch {
            throw .unreadable(error)
        }
    }
}

extension Optimizer {
    /// Writes ``state`` to a safetensors file at `url` (atomically).
    ///
    /// - Throws: ``SafetensorsError`` when the file cannot be written.
    public func saveState(to url: URL) throws(SafetensorsError) {
        try state.write(to: url)
    }

    /// Replaces this optimizer's hyper-parameters and state with those saved at `url`.
    ///
    /// - Parameters:
    ///   - url: a file written by ``saveState(to:)``.
    ///   - parameters: the parameters being trained (names and shapes are checked against the
    ///     file's tensors).
    /// - Throws: ``OptimizerStateError`` naming the file and the key.
    public mutating func loadState(
        from url: URL, for parameters: [(name: String, parameter: Parameter)]
    ) throws(OptimizerStateError) {
        let state = try OptimizerState(contentsOf: url)
        try restore(state, for: parameters, source: url.path)
    }

    /// Replaces this optimizer's hyper-parameters and state with those saved at `url`, for the
    /// parameters of `module` (``Module/namedParameters()``).
    public mutating func loadState(from url: URL, for module: some Module) throws(OptimizerStateError) {
        try loadState(from: url, for: module.namedParameters())
    }
}

/// Why an optimizer state could not be loaded: each case names the file (or other source)
/// and the metadata key or tensor involved.
public enum OptimizerStateError: Error, LocalizedError, Equatable {
    /// The file is missing or not a valid safetensors file.
    case unreadable(SafetensorsError)
    /// The state was saved by another optimizer (`optimizer` metadata).
    case wrongOptimizer(source: String, expected: String, found: String?)
    /// A required metadata entry is absent.
    case missingMetadata(source: String, key: String)
    /// A metadata entry does not parse as the expected kind of value.
    case invalidMetadata(source: String, key: String, value: String, expected: String)
    /// A tensor the state needs is absent (e.g. `exp_avg_sq` without its `exp_avg`).
    case missingTensor(source: String, key: String)
    /// A tensor names no parameter being trained, or no buffer this optimizer keeps.
    case unexpectedTensor(source: String, key: String)
    /// A tensor's shape differs from its parameter's.
    case shapeMismatch(source: String, key: String, expected: [Int], found: [Int])

    public var errorDescription: String? {
        switch self {
        case .unreadable(let error):
            return error.errorDescription
        case .wrongOptimizer(let source, let expected, let found):
            return "\(source): __metadata__ 'optimizer' is \(found.map { "'\($0)'" } ?? "absent"), expected '\(expected)' — the file holds another optimizer's state, or is not an optimizer state"
        case .missingMetadata(let source, let key):
            return "\(source): __metadata__ has no '\(key)' — the file was not written by saveState(to:), or is from another version"
        case .invalidMetadata(let source, let key, let value, let expected):
            return "\(source): __metadata__ '\(key)' is '\(value)', expected \(expected)"
        case .missingTensor(let source, let key):
            return "\(source): no tensor '\(key)', which the state needs — the file is incomplete"
        case .unexpectedTensor(let source, let key):
            return "\(source): tensor '\(key)' belongs to no parameter being trained — load the state for the same model and names it was saved with"
        case .shapeMismatch(let source, let key, let expected, let found):
            return "\(source): tensor '\(key)' has shape \(describeShape(found)), its parameter has \(describeShape(expected))"
        }
    }
}

/// Reads typed values out of an ``OptimizerState`` for ``Optimizer/restore(_:for:source:)``,
/// throwing errors that name the source and the key.
struct OptimizerStateReader {
    let state: OptimizerState
    let source: String
    let shapes: [String: [Int]]

    /// Checks the `optimizer` entry and remembers the parameters' shapes by name.
    init(_ state: OptimizerState, optimizer: String, parameters: [(name: String, parameter: Parameter)],
         source: String) throws(OptimizerStateError) {
        guard state.metadata["optimizer"] == optimizer else {
            throw .wrongOptimizer(source: source, expected: optimizer, found: state.metadata["optimizer"])
        }
        self.state = state
        self.source = source
        var shapes: [String: [Int]] = [:]
        for (name, parameter) in parameters { shapes[name] = parameter.value.shape }
        self.shapes = shapes
    }

    func string(_ key: String) throws(OptimizerStateError) -> String {
        guard let value = state.metadata[key] else { throw .missingMetadata(source: source, key: key) }
        return value
    }

    func float(_ key: String) throws(OptimizerStateError) -> Float {
        let text = try string(key)
        guard let value = Float(text), value.isFinite else {
            throw .invalidMetadata(source: source, key: key, value: text, expected: "a finite number")
        }
        return value
    }

    func count(_ key: String) throws(OptimizerStateError) -> Int {
        let text = try string(key)
        guard let value = Int(text), value >= 1 else {
            throw .invalidMetadata(source: source, key: key, value: text, expected: "a whole number ≥ 1")
        }
        return value
    }

    func bool(_ key: String) throws(OptimizerStateError) -> Bool {
        let text = try string(key)
        switch text {
        case "true": return true
        case "false": return false
        default: throw .invalidMetadata(source: source, key: key, value: text, expected: "true or false")
        }
    }

    /// The parameter names that have state, from tensor keys `<parameter>.<buffer>` where
    /// `<buffer>` is one of `buffers`; throws for any other tensor and for unknown parameters.
    func parameterNames(buffers: [String]) throws(OptimizerStateError) -> [String] {
        var names = Set<String>()
        for key in state.tensors.keys.sorted() {
            guard let buffer = buffers.first(where: { key.hasSuffix("." + $0) }) else {
                throw .unexpectedTensor(source: source, key: key)
            }
            let name = String(key.dropLast(buffer.count + 1))
            guard shapes[name] != nil else { throw .unexpectedTensor(source: source, key: key) }
            names.insert(name)
        }
        return names.sorted()
    }

    /// Tensor `<name>.<buffer>`, checked against parameter `name`'s shape.
    func tensor(_ name: String, _ buffer: String) throws(OptimizerStateError) -> Tensor {
        let key = name + "." + buffer
        guard let value = state.tensors[key] else { throw .missingTensor(source: source, key: key) }
        let expected = shapes[name] ?? []
        guard value.shape == expected else {
            throw .shapeMismatch(source: source, key: key, expected: expected, found: value.shape)
        }
        return value
    }
}

/// A `Float` as metadata text: Swift's shortest form that reads back to the same bits.
func metadataText(_ value: Float) -> String { "\(value)" }
