import Foundation

/// One problem found in the input: the file, the 1-based line (`nil` for the whole file) and
/// what is wrong. Printed as `file:line: reason` (or `file: reason`).
public struct DataIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The path of the input file, as given.
    public var file: String
    /// 1-based line number; for a `.txt` paragraph, its first bad line; `nil` for a file-level issue.
    public var line: Int?
    /// What is wrong, e.g. `invalid JSON`, `no "text" field`, `empty file`.
    public var reason: String

    public init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// `file:line: reason`, or `file: reason` without a line.
    public var description: String {
        if let line { "\(file):\(line): \(reason)" } else { "\(file): \(reason)" }
    }
}

/// Why text data could not be prepared or a token file could not be opened. Every message names
/// the file (and line) and says what to do.
public enum DataError: Error, LocalizedError, Equatable, Sendable {
    /// An unusable record or empty file while ``BadRecordPolicy/fail`` is in force.
    case badRecord(DataIssue)
    /// No input file held a usable document.
    case noDocuments(files: [String])
    /// An input file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// A token file is not in the expected layout (truncated, wrong header, id out of range).
    case tokenFileCorrupt(path: String, reason: String)
    /// A cache file or folder could not be written.
    case cannotWrite(path: String, reason: String)
    /// The options, or a value passed with them, cannot be used.
    case invalidOptions(String)

    public var errorDescription: String? {
        switch self {
        case .badRecord(let issue):
            "\(issue) (fix the record, or skip bad records: `lore cpt --skip-bad-records`, `PackingOptions.badRecords = .skip`)"
        case .noDocuments(let files):
            "no usable document in \(files.isEmpty ? "an empty file list" : files.joined(separator: ", ")) (a .txt document is a paragraph; a JSONL line needs a string field \"text\")"
        case .unreadable(let file, let reason):
            "\(file): cannot read: \(reason)"
        case .tokenFileCorrupt(let path, let reason):
            "\(path): not a valid token file: \(reason) (delete the cache folder to rebuild it)"
        case .cannotWrite(let path, let reason):
            "\(path): cannot write: \(reason)"
        case .invalidOptions(let reason):
            "invalid packing options: \(reason)"
        }
    }
}
