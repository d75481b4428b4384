import Foundation

/// Reads a file as bytes and hands out its lines one at a time, without decoding them.
///
/// Lines end at `\n`; a `\r` before it is dropped (so `\r\n` files read like `\n` files); the
/// last line may lack its `\n`. A UTF-8 byte-order mark at the start of the file is skipped.
/// A line longer than `maximumLineBytes` is not buffered: its bytes are skipped up to the next
/// `\n` and it is reported as ``Line/oversized(number:bytes:)``, so a 50 MB single line costs
/// no more memory than a short one.
struct LineReader {
    enum Line {
        /// A line's bytes (without `\n` or a final `\r`), valid until the next call.
        case text(number: Int, bytes: UnsafeBufferPointer<UInt8>)
        /// A line longer than the limit: its number and its total length in bytes.
        case oversized(number: Int, bytes: Int)
    }

    let path: String
    let maximumLineBytes: Int
    private let descriptor: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0, end = 0
    private var atEndOfFile = false
    private var lineNumber = 0
    private var checkedBOM = false
    /// Bytes read from the file so far.
    private(set) var bytesRead = 0

    static let chunkSize = 1 << 20

    init(path: String, maximumLineBytes: Int) throws {
        self.path = path
        self.maximumLineBytes = maximumLineBytes
        descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            throw CurationError.unreadableInput(path: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            Foundation.close(descriptor)
            throw CurationError.unreadableInput(path: path, reason: "is a directory")
        }
        capacity = Self.chunkSize * 2
        buffer = .allocate(capacity: capacity)
    }

    func close() {
        _ = Foundation.close(descriptor)
        buffer.deallocate()
    }

    /// Reads more bytes into the buffer (after `end`); false at end of file.
    private mutating func fill() throws -> Bool {
        if atEndOfFile { return false }
        if start > 0 {
            if end > start { memmove(buffer, buffer + start, end - start) }
            end -= start
            start = 0
        }
        if capacity - end < Self.chunkSize {
            let newCapacity = max(capacity * 2, end + Self.chunkSize)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = grown
            capacity = newCapacity
        }
        while true {
            let count = read(descriptor, buffer + end, capacity - end)
            if count < 0 {
                if errno == EINTR { continue }
                throw CurationError.unreadableInput(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { atEndOfFile = true; return false }
            end += count
            bytesRead += count
            if !checkedBOM {
                checkedBOM = true
                if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF { start += 3 }
            }
            return true
        }
    }

    /// The next line, or nil at end of file.
    mutating func next() throws -> Line? {
        var scannedPastStart = 0  // bytes after `start` known to hold no newline
        while true {
            let from = start + scannedPastStart
            if from < end, let newline = memchr(buffer + from, 0x0A, end - from) {
                let lineEnd = buffer.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                let line = take(upTo: lineEnd)
                start = lineEnd + 1
                return line
            }
            scannedPastStart = end - start
            if scannedPastStart > maximumLineBytes { return try skipOversizedLine() }
            if try !fill() {
                guard end > start else { return nil }
                let line = take(upTo: end)
                start = end
                return line
            }
        }
    }

    /// The line from `start` to `lineEnd` (exclusive, a final `\r` dropped), numbered.
    private mutating func take(upTo lineEnd: Int) -> Line {
        lineNumber += 1
        var contentEnd = lineEnd
        if contentEnd > start, buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
        let count = contentEnd - start
        if count > maximumLineBytes { return .oversized(number: lineNumber, bytes: count) }
        return .text(number: lineNumber, bytes: UnsafeBufferPointer(start: buffer + start, count: count))
    }

    /// Drops the buffered part of an over-long line and reads on to its `\n`.
    private mutating func skipOversizedLine() throws -> Line {
        lineNumber += 1
        var length = end - start
        start = end
        while try fill() {
            if let newline = memchr(buffer + start, 0x0A, end - start) {
                let lineEnd = buffer.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                length += lineEnd - start
                if lineEnd > start, buffer[lineEnd - 1] == 0x0D { length -= 1 }
                start = lineEnd + 1
                return .oversized(number: lineNumber, bytes: length)
            }
            length += end - start
            start = end
        }
        return .oversized(number: lineNumber, bytes: length)
    }
}
