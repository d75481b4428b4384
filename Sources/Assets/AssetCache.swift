import Foundation

/// Where fetched assets live: `${LORE_CACHE:-~/.cache/lore}/<asset id>/…`.
public struct AssetCache: Sendable {
    /// The cache folder.
    public let root: URL

    /// The cache at `root`, or at `$LORE_CACHE`, or at `~/.cache/lore`.
    public init(root: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let root {
            self.root = root
        } else if let path = environment["LORE_CACHE"], !path.isEmpty {
            self.root = URL(fileURLWithPath: (path as NSString).expandingTildeInPath, isDirectory: true)
        } else {
            let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            self.root = home.appendingPathComponent(".cache/lore", isDirectory: true)
        }
    }

    /// The folder of one asset.
    public func folder(of assetID: String) -> URL {
        root.appendingPathComponent(assetID, isDirectory: true)
    }

    /// Where `file` is (or will be) in the cache.
    public func url(of file: AssetFile) -> URL {
        folder(of: file.assetID).appendingPathComponent(file.path, isDirectory: file.isFolder)
    }

    /// True when `file` exists in the cache (its checksum was verified when it was fetched).
    public func contains(_ file: AssetFile) -> Bool {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url(of: file).path, isDirectory: &isDirectory)
        return exists && isDirectory.boolValue == file.isFolder
    }
}

/// Checksums of files and folders.
public enum AssetVerifier {
    /// SHA-256 of a folder: of the text made of one line `"<sha256 of file>  <relative path>\n"`
    /// per regular file below it, sorted by path (the output of `sha256sum`, sorted).
    public static func folderDigest(_ folder: URL) throws -> String {
        let base = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: base) else {
            throw AssetError.missing(folder.path)
        }
        var lines: [String] = []
        for case let relative as String in walker {
            let url = URL(fileURLWithPath: base).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                lines.append("\(try SHA256.hexDigest(ofFile: url))  \(relative)\n")
            }
        }
        lines.sort { $0.split(separator: " ", maxSplits: 2).last! < $1.split(separator: " ", maxSplits: 2).last! }
        var hash = SHA256()
        hash.update(Data(lines.joined().utf8))
        return hash.hexDigest()
    }

    /// SHA-256 of a file or of a folder (``folderDigest(_:)``).
    public static func digest(of url: URL, isFolder: Bool) throws -> String {
        isFolder ? try folderDigest(url) : try SHA256.hexDigest(ofFile: url)
    }
}

/// Why fetching or finding an asset failed.
public enum AssetError: Error, LocalizedError, Equatable {
    case missing(String)
    case commandFailed(command: String, status: Int32, output: String)
    case checksumMismatch(path: String, expected: String, actual: String)
    case unknownAsset(String)

    public var errorDescription: String? {
        switch self {
        case .missing(let path):
            return "\(path): not found; run `lore fetch` to download the real assets"
        case .commandFailed(let command, let status, let output):
            let tail = output.split(separator: "\n").suffix(5).joined(separator: "\n")
            return "`\(command)` exited with status \(status)\(tail.isEmpty ? "" : ":\n" + tail)"
        case .checksumMismatch(let path, let expected, let actual):
            return "\(path): sha256 is \(actual), expected \(expected); the download is corrupt or the package changed"
        case .unknownAsset(let id):
            return "unknown asset '\(id)'; known: \(Asset.catalog.map(\.id).joined(separator: ", "))"
        }
    }
}
