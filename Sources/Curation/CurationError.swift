import Foundation

/// A curation run that cannot go on: a file that cannot be opened, read or written, or a
/// configuration that does not make sense. (A malformed *record* is not an error: it goes to
/// the rejects file and the run continues.)
public enum CurationError: Error, LocalizedError, Sendable, Equatable {
    /// An input file could not be opened or read.
    case unreadableInput(path: String, reason: String)
    /// An output or rejects file could not be created or written.
    case unwritableOutput(path: String, reason: String)
    /// The configuration file is not valid JSON for ``CurationConfig``.
    case invalidConfig(path: String, reason: String)
    /// A configuration value is out of range or names something unknown.
    case invalidSetting(key: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unreadableInput(let path, let reason):
            return "cannot read input \(path): \(reason)"
        case .unwritableOutput(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .invalidConfig(let path, let reason):
            return "invalid curation config \(path): \(reason) (see Documentation/Curation.md for the keys)"
        case .invalidSetting(let key, let reason):
            return "invalid curation setting \(key): \(reason)"
        }
    }
}
