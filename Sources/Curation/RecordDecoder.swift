import Foundation

/// A record that did not become output: a malformed input line, or a document a stage removed.
///
/// Each one is a line of the rejects file (JSONL):
/// `{"file": …, "line": …, "stage": …, "reason": …, "value": …, "detail": …, "excerpt": …, "document": {…}}`
/// — `value`, `detail`, `excerpt` (the first bytes of a malformed line) and `document` (the
/// removed document's full record, text included) appear when known.
public struct Rejection: Sendable {
    /// Where the record starts.
    public var origin: DocumentOrigin
    /// `"input"` for malformed lines, otherwise the removing stage's name.
    public var stage: String
    /// What was wrong: `"invalid_utf8"`, `"invalid_json"`, `"not_an_object"`,
    /// `"missing_text_field"`, `"text_not_a_string"`, `"record_too_long"`, or the stage's rule.
    public var reason: String
    /// The measured value, for filters.
    public var value: Double?
    /// A readable explanation.
    public var detail: String?
    /// The start of a malformed line (at most 200 bytes, invalid UTF-8 replaced by U+FFFD).
    public var excerpt: String?
    /// The removed document's record (fields in input order, text field as the stage saw it).
    public var record: JSONObject?

    public init(origin: DocumentOrigin, stage: String, reason: String, value: Double? = nil,
                detail: String? = nil, excerpt: String? = nil, record: JSONObject? = nil) {
        self.origin = origin
        self.stage = stage
        self.reason = reason
        self.value = value
        self.detail = detail
        self.excerpt = excerpt
        self.record = record
    }

    /// The rejects-file line (without its `\n`).
    public var json: JSONObject {
        var object: JSONObject = ["file": .string(origin.file), "line": .number(String(origin.line)),
                                  "stage": .string(stage), "reason": .string(reason)]
        if let value { object["value"] = .number(Self.format(value)) }
        if let detail { object["detail"] = .string(detail) }
        if let excerpt { object["excerpt"] = .string(excerpt) }
        if let record { object["document"] = .object(record) }
        return object
    }

    /// A finite number as JSON text (`3`, `0.25`); non-finite values as `null`'s stand-in `-1`.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "-1" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }
}

/// Turns raw records into documents; every failure becomes a ``Rejection`` with a reason.
enum RecordDecoder {
    enum Result: Sendable {
        case document(Document)
        case rejected(Rejection)
    }

    static let excerptBytes = 200

    static func decode(_ record: RawRecord, in batch: RecordBatch, format: InputFormat, textField: String,
                       maximumRecordBytes: Int) -> Result {
        let origin = DocumentOrigin(file: batch.file, line: record.line)
        guard case .bytes(let range) = record.content else {
            if case .oversized(let bytes) = record.content {
                let what = format == .text ? "paragraph" : "line"
                return .rejected(Rejection(origin: origin, stage: "input", reason: "record_too_long", value: Double(bytes),
                                           detail: "\(what) of \(bytes) bytes is longer than max_document_bytes \(maximumRecordBytes)"))
            }
            fatalError("unreachable")
        }
        return batch.storage.withUnsafeBufferPointer { storage in
            let bytes = UnsafeBufferPointer(rebasing: storage[range])
            func reject(_ reason: String, _ detail: String) -> Result {
                let excerpt = String(decoding: UnsafeBufferPointer(rebasing: bytes.prefix(excerptBytes)), as: UTF8.self)
                return .rejected(Rejection(origin: origin, stage: "input", reason: reason, detail: detail, excerpt: excerpt))
            }
            if let offset = UTF8Validation.firstInvalidByte(in: bytes) {
                return reject("invalid_utf8", "invalid UTF-8 byte 0x\(String(bytes[offset], radix: 16)) at byte \(offset)")
            }
            switch format {
            case .text:
                let text = String(decoding: bytes, as: UTF8.self)
                let name = (batch.file as NSString).lastPathComponent
                let fields: JSONObject = ["id": .string("\(name):\(record.line)"), textField: .null]
                return .document(Document(text: text, fields: fields, origin: origin))
            case .jsonl:
                let value: JSONValue
                do throws(JSONParseError) { value = try JSONParser.parse(bytes) } catch {
                    return reject("invalid_json", error.description)
                }
                guard case .object(var object) = value else {
                    return reject("not_an_object", "the line is JSON but not an object (\(kind(value)))")
                }
                guard let textValue = object[textField] else {
                    return reject("missing_text_field", "no \"\(textField)\" field (keys: \(object.keys.prefix(8).joined(separator: ", ")))")
                }
                guard case .string(let text) = textValue else {
                    return reject("text_not_a_string", "\"\(textField)\" is \(kind(textValue)), not a string")
                }
                object[textField] = .null
                return .document(Document(text: text, fields: object, origin: origin))
            }
        }
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
