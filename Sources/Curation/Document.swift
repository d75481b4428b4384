/// One document in a curation pipeline: the text being curated, every other field of its
/// input record, and where it came from.
///
/// A JSONL record `{"id": 7, "text": "…", "meta": {…}}` becomes a document whose ``text`` is
/// the `text` field and whose ``fields`` hold all members in their input order; on output the
/// text field's value is replaced by the (possibly cleaned or redacted) ``text`` and every
/// other member is written back unchanged. A paragraph of a `.txt` file becomes
/// `{"id": "<file name>:<first line>", "text": "…"}`.
public struct Document: Sendable {
    /// The text curated by the stages.
    public var text: String
    /// Every member of the input record, in input order. The text field's own value is not
    /// kept here (it is `null` until output) — ``text`` holds it.
    public var fields: JSONObject
    /// Where the record starts in the input.
    public var origin: DocumentOrigin

    /// A document with `text` and other `fields`.
    public init(text: String, fields: JSONObject = JSONObject(), origin: DocumentOrigin = DocumentOrigin(file: "", line: 0)) {
        self.text = text
        self.fields = fields
        self.origin = origin
    }

    /// The output record: ``fields`` with the text field set to ``text``; a text field that
    /// is absent from ``fields`` is appended.
    public func record(textField: String) -> JSONObject {
        var object = fields
        object[textField] = .string(text)
        return object
    }
}

/// Where a document starts: an input file and a 1-based line number.
public struct DocumentOrigin: Sendable, Hashable, CustomStringConvertible {
    /// The input file's path as given.
    public var file: String
    /// The 1-based line of the record (for `.txt` input, the paragraph's first line).
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}
