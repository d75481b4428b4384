import Foundation

/// Why a model could not be loaded: every case names the file (and tensor, where there is one).
public enum ModelLoadingError: Error, LocalizedError, Equatable {
    /// `config.json` (or GGUF metadata) names an architecture Lore does not implement.
    case unsupportedArchitecture(file: String, architecture: String)
    /// The configuration's sizes do not fit together.
    case invalidConfiguration(reason: String)
    /// The configuration file could not be read or decoded.
    case unreadableConfiguration(file: String, reason: String)
    /// A tensor the model needs is absent.
    case missingTensor(file: String, tensor: String)
    /// A tensor has the wrong shape.
    case tensorShapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor is stored in a type Lore cannot convert.
    case unsupportedTensorType(file: String, tensor: String, type: String)
    /// A GGUF metadata key the model needs is absent or has the wrong type.
    case missingMetadata(file: String, key: String)
    /// The weights file itself is unreadable (truncated, corrupted); the underlying error's message.
    case unreadableWeights(file: String, reason: String)
    /// The tokenizer stored with the model could not be read.
    case unreadableTokenizer(file: String, reason: String)
    /// The path is neither a `.gguf` file nor a directory with `config.json`.
    case notAModel(path: String)

    public var errorDescription: String? {
        switch self {
        case .unsupportedArchitecture(let file, let architecture):
            return "\(file): architecture '\(architecture)' is not supported (Lore runs llama and gpt2 families)"
        case .invalidConfiguration(let reason):
            return "invalid model configuration: \(reason)"
        case .unreadableConfiguration(let file, let reason):
            return "\(file): cannot read the model configuration: \(reason)"
        case .missingTensor(let file, let tensor):
            return "\(file): tensor '\(tensor)' is missing"
        case .tensorShapeMismatch(let file, let tensor, let expected, let found):
            return "\(file): tensor '\(tensor)' has shape \(found), expected \(expected)"
        case .unsupportedTensorType(let file, let tensor, let type):
            return "\(file): tensor '\(tensor)' is stored as \(type), which Lore cannot load"
        case .missingMetadata(let file, let key):
            return "\(file): metadata '\(key)' is missing or has the wrong type"
        case .unreadableWeights(let file, let reason):
            return "\(file): \(reason)"
        case .unreadableTokenizer(let file, let reason):
            return "\(file): cannot read the tokenizer: \(reason)"
        case .notAModel(let path):
            return "\(path): not a model (expected a .gguf file or a directory with config.json)"
        }
    }
}
