import Foundation

// Reading documents from input files, a block at a time, so files larger than memory stream.
//
// - `.jsonl` / `.ndjson`: one JSON object per line; the document is the string field named by
//   `PackingOptions.textField`, every other field is ignored. Blank lines are not records.
// - anything else is plain text: a document is a paragraph, lines separated from the next
//   paragraph by one or more blank lines (only spaces, tabs, `\r`, form feeds). Inside a
//   paragraph, lines are joined with `\n` (a `\r\n` line end becomes `\n`, so CRLF and LF files
//   give the same documents).
//
// A UTF-8 byte-order mark at the start of a file is dropped. Problems become `DataIssue`s, passed
// to the caller, which throws (fail mode) or counts and goes on (skip mode).

/// The layout of an input file, chosen by its extension.
enum DocumentFormat: Sendable, Equatable {
    /// Blank-line separated paragraphs.
    case text
    /// JSON Lines with a text field.
    case jsonLines

    /// `.jsonl` and `.ndjson` (any case) are JSON Lines; every other file is text.
    init(of url: URL) {
        self = ["jsonl", "ndjson"].contains(url.pathExtension.lowercased()) ? .jsonLines : .text
    }
}

/// What one file gave.
struct FileReadCounts: Sendable, Equatable {
    /// Documents passed on.
    var documents = 0
    /// Records or paragraphs reported as unusable.
    var badRecords = 0
    /// JSONL records whose text is the empty string (nothing to train on; not an error).
    var emptyTexts = 0
}

/// Lines of a file, read `blockSize` bytes at a time; each line comes without its `\n` (and
/// without a `\r` before it).
struct LineReader {
    private let handle: FileHandle
    private let path: String
    private let blockSize: Int
    private var buffer: [UInt8] = []
    private var start = 0          // first unread byte of `buffer`
    private var scanned = 0        // bytes from `start` known to hold no `\n`
    private var atEnd = false
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    init(url: URL, blockSize: Int) throws(DataError) {
        path = url.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .unreadable(file: path, reason: "is a directory, not a file")
        }
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw .unreadable(file: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied or not a regular file" : "no such file")
        }
        self.blockSize = max(1, blockSize)
    }

    /// The next line, or `nil` at the end of the file (a last line without `\n` is returned).
    mutating func next() throws(DataError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: 0x0A) {
                let line = buffer[start..<newline]
                start = newline + 1
                scanned = 0
                lineNumber += 1
                return Self.trimmingCarriageReturn(line)
            }
            scanned = buffer.count - start
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                scanned = 0
                lineNumber += 1
                return Self.trimmingCarriageReturn(line)
            }
            try fill()
        }
    }

    /// Drops consumed bytes and reads one more block.
    private mutating func fill() throws(DataError) {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let block: Data?
        do { block = try handle.read(upToCount: blockSize) } catch {
            throw .unreadable(file: path, reason: "read failed after line \(lineNumber): \(error.localizedDescription)")
        }
        if let block, !block.isEmpty { buffer.append(contentsOf: block) } else { atEnd = true }
    }

    private static func trimmingCarriageReturn(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        line.last == 0x0D ? line.dropLast() : line
    }
}

/// Reads the documents of one file.
struct DocumentReader {
    let url: URL
    let format: DocumentFormat
    let textField: String
    let blockSize: Int

    /// Calls `document` with each document's UTF-8 bytes, in file order, and `issue` with each
    /// unusable record (which may throw to stop). An empty file (no document and no bad record)
    /// is an issue without a line.
    func read(document: ([UInt8]) throws -> Void, issue: (DataIssue) throws -> Void) throws -> FileReadCounts {
        var lines = try LineReader(url: url, blockSize: blockSize)
        var counts = FileReadCounts()
        switch format {
        case .text: try readParagraphs(&lines, &counts, document, issue)
        case .jsonLines: try readRecords(&lines, &counts, document, issue)
        }
        if counts.documents == 0 && counts.badRecords == 0 && counts.emptyTexts == 0 {
            try issue(DataIssue(file: url.path, line: nil, reason: "empty file: no documents"))
        }
        return counts
    }

    private func readParagraphs(_ lines: inout LineReader, _ counts: inout FileReadCounts,
                                _ document: ([UInt8]) throws -> Void, _ issue: (DataIssue) throws -> Void) throws {
        var paragraph: [UInt8] = []
        var badLine: Int? = nil       // first line of the current paragraph that is not UTF-8
        func finish() throws {
            defer { paragraph.removeAll(keepingCapacity: true); badLine = nil }
            guard !paragraph.isEmpty else { return }
            if let badLine {
                counts.badRecords += 1
                try issue(DataIssue(file: url.path, line: badLine, reason: "invalid UTF-8 (paragraph skipped)"))
            } else {
                counts.documents += 1
                try document(paragraph)
            }
        }
        while var line = try lines.next() {
            if lines.lineNumber == 1 { line = Self.droppingByteOrderMark(line) }
            if line.allSatisfy(Self.isBlank) {
                try finish()
                continue
            }
            if badLine == nil && !Self.isValidUTF8(line) { badLine = lines.lineNumber }
            if !paragraph.isEmpty { paragraph.append(0x0A) }
            paragraph.append(contentsOf: line)
        }
        try finish()
    }

    private func readRecords(_ lines: inout LineReader, _ counts: inout FileReadCounts,
                             _ document: ([UInt8]) throws -> Void, _ issue: (DataIssue) throws -> Void) throws {
        while var line = try lines.next() {
            if lines.lineNumber == 1 { line = Self.droppingByteOrderMark(line) }
            if line.allSatisfy(Self.isBlank) { continue }
            switch Self.text(of: line, field: textField) {
            case .success(let text):
                if text.isEmpty {
                    counts.emptyTexts += 1
                } else {
                    counts.documents += 1
                    try document(text)
                }
            case .failure(let problem):
                counts.badRecords += 1
                try issue(DataIssue(file: url.path, line: lines.lineNumber, reason: problem.reason))
            }
        }
    }

    /// Why a JSONL line is unusable.
    struct RecordProblem: Error, Equatable {
        var reason: String
    }

    /// The UTF-8 bytes of the string field `field` of the JSON object on `line`.
    static func text(of line: ArraySlice<UInt8>, field: String) -> Result<[UInt8], RecordProblem> {
        guard isValidUTF8(line) else { return .failure(RecordProblem(reason: "invalid UTF-8")) }
        switch JSONFieldScanner.scan(line, field: field) {
        case .failure(let e):
            return .failure(RecordProblem(reason: "invalid JSON at column \(e.column): \(e.message)"))
        case .success(let (kind, value)):
            guard kind == .object else { return .failure(RecordProblem(reason: "not a JSON object (found \(kind.rawValue))")) }
            switch value {
            case nil: return .failure(RecordProblem(reason: "no \(field.debugDescription) field"))
            case .other(let other)?:
                return .failure(RecordProblem(reason: "\(field.debugDescription) is not a string (found \(other.rawValue))"))
            case .string(let text)?: return .success(text)
            }
        }
    }

    /// Space, tab, `\r`, vertical tab or form feed.
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    static func droppingByteOrderMark(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        line.starts(with: [0xEF, 0xBB, 0xBF]) ? line.dropFirst(3) : line
    }

    /// True when `bytes` are well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }
}
