import Foundation
import Tensor

// Token files hold one split's token ids, documents in order with the EOS id after each one,
// in the layout of llm.c's `.bin` token shards with 32-bit tokens (its Llama 3 variant), so
// other tools can read them:
//
//   bytes 0..<1024   256 little-endian Int32: [0] = 20240801 (magic), [1] = 7 (version:
//                    UInt32 tokens), [2] = token count N, the rest 0
//   bytes 1024...    N little-endian UInt32 token ids
//
// The count is an Int32, so one file holds at most 2³¹ − 1 tokens (8 GB).

/// Constants of the token file layout (see the file comment).
enum TokenFileLayout {
    static let headerBytes = 1024
    static let magic: Int32 = 20_240_801
    static let version: Int32 = 7
    static let maximumTokens = Int(Int32.max)

    /// The 1,024-byte header for `count` tokens.
    static func header(count: Int) -> Data {
        var words = [Int32](repeating: 0, count: headerBytes / 4)
        words[0] = magic.littleEndian
        words[1] = version.littleEndian
        words[2] = Int32(count).littleEndian
        return words.withUnsafeBytes { Data($0) }
    }
}

/// Writes a new token file: ids are buffered, and ``finish()`` writes the count and syncs.
final class TokenFileWriter {
    let url: URL
    private let handle: FileHandle
    private var buffer: [UInt32] = []
    /// Tokens appended so far.
    private(set) var count = 0

    /// Creates (or truncates) the file at `url` and writes a header for 0 tokens.
    init(url: URL) throws(DataError) {
        self.url = url
        guard FileManager.default.createFile(atPath: url.path, contents: TokenFileLayout.header(count: 0)) else {
            throw .cannotWrite(path: url.path, reason: "cannot create the file")
        }
        do { handle = try FileHandle(forWritingTo: url) } catch { throw .cannotWrite(path: url.path, reason: error.localizedDescription) }
        do { try handle.seekToEnd() } catch { throw .cannotWrite(path: url.path, reason: error.localizedDescription) }
        buffer.reserveCapacity(1 << 18)
    }

    deinit { try? handle.close() }

    /// Appends ids (each in `0...Int32.max`; the tokenizer's ids always are).
    func append(_ ids: some Collection<Int>) throws(DataError) {
        guard count + ids.count <= TokenFileLayout.maximumTokens else {
            throw .cannotWrite(path: url.path, reason: "more than \(TokenFileLayout.maximumTokens) tokens in one split (the count is 32-bit)")
        }
        for id in ids { buffer.append(UInt32(truncatingIfNeeded: id).littleEndian) }
        count += ids.count
        if buffer.count >= 1 << 18 { try flush() }
    }

    /// Appends raw little-endian token bytes copied from another token file.
    func append(rawTokens bytes: [UInt8]) throws(DataError) {
        try flush()
        do { try handle.write(contentsOf: bytes) } catch { throw .cannotWrite(path: url.path, reason: error.localizedDescription) }
        count += bytes.count / 4
    }

    private func flush() throws(DataError) {
        guard !buffer.isEmpty else { return }
        do { try buffer.withUnsafeBytes { try handle.write(contentsOf: Data($0)) } } catch {
            throw .cannotWrite(path: url.path, reason: error.localizedDescription)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the buffered ids and the final count, syncs and closes the file.
    func finish() throws(DataError) {
        try flush()
        do {
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: TokenFileLayout.header(count: count))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw .cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// A token file opened for reading: header checked, ids memory-mapped.
final class TokenFileReader: @unchecked Sendable {
    let path: String
    /// Number of tokens.
    let count: Int
    /// The largest id in the file (−1 when empty).
    let largestID: Int32
    private let mapping: MappedFile

    /// Opens `url`, checks the header against the file size and every id against `Int32.max`.
    init(url: URL) throws(DataError) {
        path = url.path
        let file: ReadOnlyFile
        do { file = try ReadOnlyFile(path: url.path) } catch {
            throw .tokenFileCorrupt(path: url.path, reason: (error as? LocalizedError)?.errorDescription ?? "cannot open")
        }
        guard file.size >= TokenFileLayout.headerBytes else {
            throw .tokenFileCorrupt(path: path, reason: "\(file.size) bytes, shorter than the \(TokenFileLayout.headerBytes)-byte header")
        }
        let header: [UInt8]
        do { header = try file.read(at: 0, count: 12) } catch {
            throw .tokenFileCorrupt(path: path, reason: (error as? LocalizedError)?.errorDescription ?? "cannot read the header")
        }
        func word(_ k: Int) -> Int32 {
            Int32(littleEndian: header[(4 * k)..<(4 * k + 4)].enumerated().reduce(0) { $0 | Int32($1.element) << (8 * $1.offset) })
        }
        guard word(0) == TokenFileLayout.magic, word(1) == TokenFileLayout.version else {
            throw .tokenFileCorrupt(path: path, reason: "header starts \(word(0)), \(word(1)); expected magic \(TokenFileLayout.magic), version \(TokenFileLayout.version)")
        }
        let count = Int(word(2))
        guard count >= 0, file.size == TokenFileLayout.headerBytes + 4 * count else {
            throw .tokenFileCorrupt(path: path, reason: "header counts \(count) tokens but the file has \(file.size) bytes (expected \(TokenFileLayout.headerBytes) + 4 × count; truncated?)")
        }
        do { mapping = try file.map() } catch {
            throw .tokenFileCorrupt(path: path, reason: (error as? LocalizedError)?.errorDescription ?? "cannot map")
        }
        self.count = count
        var largest: Int32 = -1, overflow: (index: Int, value: UInt32)? = nil
        let ids = Self.ids(of: mapping, count: count)
        for (index, raw) in ids.enumerated() {
            let id = UInt32(littleEndian: raw)
            if id > UInt32(Int32.max) { overflow = (index, id); break }
            largest = max(largest, Int32(id))
        }
        if let overflow {
            throw .tokenFileCorrupt(path: path, reason: "token \(overflow.index) has id \(overflow.value), beyond Int32")
        }
        largestID = largest
    }

    private static func ids(of mapping: MappedFile, count: Int) -> UnsafeBufferPointer<UInt32> {
        guard count > 0, let base = mapping.bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (base + TokenFileLayout.headerBytes).assumingMemoryBound(to: UInt32.self), count: count)
    }

    /// The mapped ids (little-endian `UInt32`), valid while `self` lives.
    var ids: UnsafeBufferPointer<UInt32> { Self.ids(of: mapping, count: count) }

    /// Moves the tokens `cut..<count` of the finished file at `source` into a new token file at
    /// `destination` and truncates `source` to its first `cut` tokens.
    static func moveTail(of source: URL, from cut: Int, to destination: URL) throws(DataError) {
        let total = try TokenFileReader(url: source).count   // released at once: `source` is truncated below
        check(cut >= 0 && cut <= total, "TokenFileReader.moveTail: cut \(cut) outside 0...\(total)")
        let writer = try TokenFileWriter(url: destination)
        let file: ReadOnlyFile
        do { file = try ReadOnlyFile(path: source.path) } catch { throw .tokenFileCorrupt(path: source.path, reason: "cannot reopen") }
        var next = cut
        while next < total {
            let n = min(total - next, 1 << 20)
            do { try writer.append(rawTokens: file.read(at: TokenFileLayout.headerBytes + 4 * next, count: 4 * n)) } catch let e as DataError {
                throw e
            } catch {
                throw .tokenFileCorrupt(path: source.path, reason: (error as? LocalizedError)?.errorDescription ?? "read failed")
            }
            next += n
        }
        try writer.finish()
        do {
            let handle = try FileHandle(forUpdating: source)
            try handle.truncate(atOffset: UInt64(TokenFileLayout.headerBytes + 4 * cut))
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: TokenFileLayout.header(count: cut))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw .cannotWrite(path: source.path, reason: error.localizedDescription)
        }
    }
}
