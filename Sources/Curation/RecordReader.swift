import Foundation

/// How an input file is cut into records.
public enum InputFormat: String, Codable, Sendable {
    /// One JSON object per line (`.jsonl`, `.ndjson`, anything not `.txt`).
    case jsonl
    /// Plain text: each run of non-blank lines (a paragraph) is a record.
    case text

    /// `.txt` files are ``text``; every other file is ``jsonl``.
    public static func forFile(_ path: String) -> InputFormat {
        path.lowercased().hasSuffix(".txt") ? .text : .jsonl
    }
}

/// One undecoded record of a shard.
struct RawRecord: Sendable {
    enum Content: Sendable {
        /// The record's bytes are `storage[range]` of the batch.
        case bytes(Range<Int>)
        /// Longer than the limit; only its length was counted.
        case oversized(bytes: Int)
    }
    var line: Int
    var content: Content
}

/// Records of one file, in order, with their bytes in one buffer.
struct RecordBatch: Sendable {
    var storage: [UInt8] = []
    var records: [RawRecord] = []
    var file: String
}

/// Streams one input file as batches of raw records (JSONL lines or text paragraphs).
///
/// Blank lines of a JSONL file are not records (they are counted in ``blankLines``). A record
/// longer than `maximumRecordBytes` becomes an oversized record (reported, never buffered).
struct RecordReader {
    let file: String
    let format: InputFormat
    let maximumRecordBytes: Int
    private var lines: LineReader
    private var finished = false
    /// Blank (empty or whitespace-only) lines skipped in a JSONL file.
    private(set) var blankLines = 0
    /// Lines seen so far.
    private(set) var lineCount = 0

    /// Bytes read from the file so far.
    var bytesRead: Int { lines.bytesRead }

    init(file: String, format: InputFormat, maximumRecordBytes: Int) throws {
        self.file = file
        self.format = format
        self.maximumRecordBytes = maximumRecordBytes
        lines = try LineReader(path: file, maximumLineBytes: maximumRecordBytes)
    }

    func close() { lines.close() }

    // Paragraph being assembled (text format).
    private var paragraphStart: Int? = nil
    private var paragraphBytes = 0
    private var paragraphOversized = false
    private var paragraphStorageStart = 0

    /// The next batch of at most `maximumRecords` records and about `maximumBytes` bytes, or
    /// nil at end of file.
    mutating func nextBatch(maximumRecords: Int, maximumBytes: Int) throws -> RecordBatch? {
        guard !finished else { return nil }
        var batch = RecordBatch(file: file)
        batch.storage.reserveCapacity(min(maximumBytes + 1024, 1 << 24))
        while batch.records.count < maximumRecords, batch.storage.count < maximumBytes || paragraphStart != nil {
            guard let line = try lines.next() else {
                finishParagraph(into: &batch)
                finished = true
                break
            }
            switch format {
            case .jsonl: addJSONLine(line, to: &batch)
            case .text: addTextLine(line, to: &batch)
            }
        }
        return batch.records.isEmpty && finished ? nil : batch
    }

    private mutating func addJSONLine(_ line: LineReader.Line, to batch: inout RecordBatch) {
        switch line {
        case .oversized(let number, let bytes):
            lineCount = number
            batch.records.append(RawRecord(line: number, content: .oversized(bytes: bytes)))
        case .text(let number, let bytes):
            lineCount = number
            if Self.isBlank(bytes) {
                blankLines += 1
                return
            }
            let start = batch.storage.count
            batch.storage.append(contentsOf: bytes)
            batch.records.append(RawRecord(line: number, content: .bytes(start..<batch.storage.count)))
        }
    }

    private mutating func addTextLine(_ line: LineReader.Line, to batch: inout RecordBatch) {
        switch line {
        case .oversized(let number, let bytes):
            lineCount = number
            if paragraphStart == nil { startParagraph(at: number, in: batch) }
            paragraphBytes += bytes + 1
            paragraphOversized = true
            batch.storage.removeSubrange(paragraphStorageStart...)
        case .text(let number, let bytes):
            lineCount = number
            if Self.isBlank(bytes) {
                finishParagraph(into: &batch)
                return
            }
            if paragraphStart == nil {
                startParagraph(at: number, in: batch)
            } else {
                paragraphBytes += 1
                if !paragraphOversized { batch.storage.append(0x0A) }
            }
            paragraphBytes += bytes.count
            if paragraphBytes > maximumRecordBytes, !paragraphOversized {
                paragraphOversized = true
                batch.storage.removeSubrange(paragraphStorageStart...)
            }
            if !paragraphOversized { batch.storage.append(contentsOf: bytes) }
        }
    }

    private mutating func startParagraph(at line: Int, in batch: RecordBatch) {
        paragraphStart = line
        paragraphBytes = 0
        paragraphOversized = false
        paragraphStorageStart = batch.storage.count
    }

    private mutating func finishParagraph(into batch: inout RecordBatch) {
        guard let start = paragraphStart else { return }
        let content: RawRecord.Content = paragraphOversized
            ? .oversized(bytes: paragraphBytes) : .bytes(paragraphStorageStart..<batch.storage.count)
        batch.records.append(RawRecord(line: start, content: content))
        paragraphStart = nil
    }

    /// Empty or only spaces, tabs and carriage returns.
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0B || $0 == 0x0C }
    }
}
