import Foundation
import Tokenizer
#if canImport(Glibc)
import Glibc
#endif

/// The JSON file (`manifest.json`) written beside the token files: what they were made from, so
/// a second ``TextData/prepare(files:tokenizer:eosTokenID:options:directory:report:)`` with the
/// same inputs reuses them instead of tokenizing again.
struct DataManifest: Codable, Equatable {
    /// One input file as it was when read.
    struct Input: Codable, Equatable {
        var path: String
        var size: Int
        /// Modification time (`stat`'s `st_mtim`), seconds and nanoseconds.
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
    }

    /// Everything the token files depend on; equal keys mean the files can be reused.
    struct Key: Codable, Equatable {
        /// Bumped when the token files or the packing rules change.
        var layout = 1
        var inputs: [Input]
        /// ``DataManifest/fingerprint(of:)`` of the tokenizer.
        var tokenizer: String
        var eosTokenID: Int32
        /// The options, with `separateDocuments` set to false: it changes how sequences are
        /// read, not the token files.
        var options: PackingOptions
    }

    var key: Key
    var summary: DataSummary
    /// The issues found in skip mode, replayed to `report` when the files are reused.
    var issues: [DataIssue]

    static let fileName = "manifest.json"

    /// The size and modification time of `url`.
    static func input(_ url: URL) throws(DataError) -> Input {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            throw .unreadable(file: url.path, reason: String(cString: strerror(errno)))
        }
        return Input(path: url.standardizedFileURL.path, size: Int(info.st_size),
                     modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// A 64-bit FNV-1a hash (hex) of the tokenizer's vocabulary strings, added tokens, special
    /// ids and the ids of a fixed probe text — which also covers the merges, normalizers and
    /// pre-tokenizer. Equal fingerprints mean equal token ids in practice.
    static func fingerprint(of tokenizer: Tokenizer) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func add(_ bytes: some Sequence<UInt8>) {
            for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            hash = (hash ^ 0xFF) &* 0x0000_0100_0000_01B3   // separator: 0xFF never occurs in UTF-8
        }
        add("vocabulary \(tokenizer.vocabularySize)".utf8)
        for id in 0..<tokenizer.vocabularySize { add((tokenizer.token(for: id) ?? "").utf8) }
        for t in tokenizer.addedTokens { add("added \(t.id) \(t.special) \(t.content)".utf8) }
        add("special \(tokenizer.bosTokenID ?? -1) \(tokenizer.eosTokenID ?? -1) \(tokenizer.padTokenID ?? -1)".utf8)
        let probe = "Hello, world! It's 2024: naïve café, 東京, Ελληνικά — 12345 tokens?\n\n\tIndented  twice.  \r\n"
        add(tokenizer.encode(probe, parseSpecialTokens: false).map(String.init).joined(separator: " ").utf8)
        return String(hash, radix: 16)
    }

    /// The manifest in `directory`, or `nil` when absent or unreadable.
    static func read(in directory: URL) -> DataManifest? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(fileName)) else { return nil }
        return try? JSONDecoder().decode(DataManifest.self, from: data)
    }

    /// Writes the manifest into `directory` atomically (temporary file, then rename).
    func write(in directory: URL) throws(DataError) {
        let url = directory.appendingPathComponent(Self.fileName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try encoder.encode(self).write(to: url, options: .atomic) } catch {
            throw .cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }
}
