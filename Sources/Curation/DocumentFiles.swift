import Foundation

/// An append-only file written through a 1 MiB buffer; errors name the file.
final class BufferedFileWriter {
    let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private(set) var bytesWritten = 0

    /// Creates (or truncates) `path`.
    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor < 0 {
            throw CurationError.unwritableOutput(path: path, reason: String(cString: strerror(errno)))
        }
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ bytes: [UInt8]) throws {
        bytesWritten += bytes.count
        if buffer.count + bytes.count > (1 << 20) { try flush() }
        if bytes.count >= (1 << 20) {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try writeAll(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw CurationError.unwritableOutput(path: path, reason: String(cString: strerror(errno)))
                }
                offset += count
            }
        }
    }

    func close() throws {
        try flush()
        if Foundation.close(descriptor) != 0 {
            throw CurationError.unwritableOutput(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

/// JSONL serialization of documents and rejections.
enum RecordEncoding {
    /// One output line per document (`fields` with the text field set), `\n`-terminated.
    static func lines(_ documents: [Document], textField: String, workers: Int) -> [UInt8] {
        let parts = Parallel.mapChunks(count: documents.count, workers: workers) { range -> [[UInt8]] in
            var bytes: [UInt8] = []
            for index in range {
                documents[index].record(textField: textField).write(to: &bytes)
                bytes.append(0x0A)
            }
            return [bytes]
        }
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { out.append(contentsOf: part) }
        return out
    }

    static func lines(_ rejections: [Rejection]) -> [UInt8] {
        var bytes: [UInt8] = []
        for rejection in rejections {
            rejection.json.write(to: &bytes)
            bytes.append(0x0A)
        }
        return bytes
    }
}

/// Documents set aside between two passes (before a stage that needs the whole corpus),
/// in memory or in a temporary binary file next to the output.
///
/// File layout per document: origin file index (u32), line (u64), text length (u32) and
/// UTF-8 bytes, fields length (u32) and compact JSON bytes; little-endian.
final class Spool {
    private var memory: [[Document]] = []
    private let path: String?
    private var writer: BufferedFileWriter?
    private var files: [String] = []
    private var fileIndex: [String: UInt32] = [:]
    private(set) var count = 0

    /// A spool in memory (`path` nil) or in the file `path`.
    init(path: String?) throws {
        self.path = path
        if let path { writer = try BufferedFileWriter(path: path) }
    }

    func append(_ documents: [Document]) throws {
        count += documents.count
        guard let writer else { memory.append(documents); return }
        var bytes: [UInt8] = []
        for document in documents {
            let index: UInt32
            if let known = fileIndex[document.origin.file] { index = known } else {
                index = UInt32(files.count)
                fileIndex[document.origin.file] = index
                files.append(document.origin.file)
            }
            Self.append(index, to: &bytes)
            Self.append(UInt64(document.origin.line), to: &bytes)
            let text = Array(document.text.utf8)
            Self.append(UInt32(text.count), to: &bytes)
            bytes.append(contentsOf: text)
            var fields: [UInt8] = []
            document.fields.write(to: &fields)
            Self.append(UInt32(fields.count), to: &bytes)
            bytes.append(contentsOf: fields)
        }
        try writer.write(bytes)
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Calls `body` with the spooled documents in shards of about `shardSize`, in order, then
    /// deletes the spool file. The file is read in 4 MiB blocks, not as a whole.
    func drain(shardSize: Int, _ body: ([Document]) throws -> Void) throws {
        guard let path, let writer else {
            let shards = memory
            memory = []
            for shard in shards { try body(shard) }
            return
        }
        try writer.close()
        self.writer = nil
        defer { unlink(path) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CurationError.unreadableInput(path: path, reason: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        var data: [UInt8] = []
        var position = 0
        var atEnd = false
        /// Makes sure `count` bytes are available at `position`; false at the end of the file.
        func need(_ count: Int) throws -> Bool {
            while data.count - position < count {
                if atEnd { return false }
                if position > 0 {
                    data.removeSubrange(0..<position)
                    position = 0
                }
                let chunk: Data?
                do { chunk = try handle.read(upToCount: max(4 << 20, count)) } catch {
                    throw CurationError.unreadableInput(path: path, reason: error.localizedDescription)
                }
                guard let chunk, !chunk.isEmpty else { atEnd = true; continue }
                data.append(contentsOf: chunk)
            }
            return true
        }
        func read<T: FixedWidthInteger>(_: T.Type) -> T {
            var value: T = 0
            withUnsafeMutableBytes(of: &value) { raw in
                for index in 0..<MemoryLayout<T>.size { raw[index] = data[position + index] }
            }
            position += MemoryLayout<T>.size
            return T(littleEndian: value)
        }
        var shard: [Document] = []
        while try need(16) {
            let file = files[Int(read(UInt32.self))]
            let line = Int(read(UInt64.self))
            let textCount = Int(read(UInt32.self))
            guard try need(textCount + 4) else { break }
            let text = String(decoding: data[position..<(position + textCount)], as: UTF8.self)
            position += textCount
            let fieldsCount = Int(read(UInt32.self))
            guard try need(fieldsCount) else { break }
            let fields = data[position..<(position + fieldsCount)].withUnsafeBufferPointer { buffer in
                (try? JSONParser.parse(buffer))?.objectValue ?? JSONObject()
            }
            position += fieldsCount
            shard.append(Document(text: text, fields: fields, origin: DocumentOrigin(file: file, line: line)))
            if shard.count >= shardSize {
                try body(shard)
                shard = []
            }
        }
        if !shard.isEmpty { try body(shard) }
    }
}
