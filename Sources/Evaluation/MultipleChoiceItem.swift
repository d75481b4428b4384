import Foundation

/// One multiple-choice question: the JSONL record `{"question", "choices": […], "answer":
/// index, "subject"}` (MMLU-style benchmarks, the knowledge-injection questions).
public struct MultipleChoiceItem: Sendable, Equatable, Codable {
    /// The prompt text the choices continue.
    public var question: String
    /// The candidate answers (at least two).
    public var choices: [String]
    /// Index of the right choice in ``choices``.
    public var answer: Int
    /// A group for per-subject accuracy (`nil` = none).
    public var subject: String?

    public init(question: String, choices: [String], answer: Int, subject: String? = nil) {
        self.question = question
        self.choices = choices
        self.answer = answer
        self.subject = subject
    }

    /// `nil` when the item can be scored, else what is wrong with it.
    public var problem: String? {
        if choices.count < 2 { return "\"choices\" has \(choices.count) entr\(choices.count == 1 ? "y" : "ies"); at least 2 are needed" }
        if !choices.indices.contains(answer) { return "\"answer\" \(answer) is outside 0..<\(choices.count)" }
        return nil
    }

    /// The record as one compact JSON line (no newline): keys `question`, `choices`, `answer`
    /// and `subject` (when present).
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    // MARK: Reading JSONL

    /// Reads a JSONL file of items. Blank lines are skipped; other keys are ignored.
    ///
    /// - Throws: ``MultipleChoiceError/unreadable(path:reason:)`` when the file cannot be read,
    ///   ``MultipleChoiceError/malformed(path:line:reason:)`` naming the 1-based line and the
    ///   field for the first bad line (not JSON, not an object, a missing or mistyped field, an
    ///   answer out of range, fewer than two choices), and ``MultipleChoiceError/empty(path:)``
    ///   when the file holds no item.
    public static func readJSONL(from url: URL) throws -> [MultipleChoiceItem] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw MultipleChoiceError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        let bytes = [UInt8](data)
        var items: [MultipleChoiceItem] = []
        var lineNumber = 0, start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lineNumber += 1
            var line = bytes[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                items.append(try parse(line: Data(line)))
            } catch let reason as LineProblem {
                throw MultipleChoiceError.malformed(path: url.path, line: lineNumber, reason: reason.message)
            }
        }
        if items.isEmpty { throw MultipleChoiceError.empty(path: url.path) }
        return items
    }

    /// What is wrong with one line.
    private struct LineProblem: Error { var message: String }

    private static func parse(line: Data) throws -> MultipleChoiceItem {
        guard String(data: line, encoding: .utf8) != nil else { throw LineProblem(message: "not valid UTF-8") }
        let record: Record
        do { record = try JSONDecoder().decode(Record.self, from: line) } catch let problem as LineProblem {
            throw problem
        } catch {
            throw LineProblem(message: "not valid JSON")
        }
        if let problem = record.item.problem { throw LineProblem(message: problem) }
        return record.item
    }

    /// One line's object, decoded field by field so that the error names the field.
    private struct Record: Decodable {
        var item: MultipleChoiceItem

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let object: KeyedDecodingContainer<Key>
            do { object = try decoder.container(keyedBy: Key.self) } catch { throw LineProblem(message: "not a JSON object") }
            func field<T: Decodable>(_ name: String, _ type: T.Type, _ expected: String) throws -> T {
                guard object.contains(Key(name)) else { throw LineProblem(message: "no \"\(name)\" field") }
                do { return try object.decode(T.self, forKey: Key(name)) } catch {
                    throw LineProblem(message: "\"\(name)\" is not \(expected)")
                }
            }
            let question = try field("question", String.self, "a string")
            guard object.contains(Key("choices")) else { throw LineProblem(message: "no \"choices\" field") }
            var list: UnkeyedDecodingContainer
            do { list = try object.nestedUnkeyedContainer(forKey: Key("choices")) } catch {
                throw LineProblem(message: "\"choices\" is not an array")
            }
            var choices: [String] = []
            while !list.isAtEnd {
                do { choices.append(try list.decode(String.self)) } catch {
                    throw LineProblem(message: "\"choices\"[\(choices.count)] is not a string")
                }
            }
            let answer = try field("answer", Int.self, "an integer index (letters such as \"B\" are not accepted)")
            var subject: String?
            if object.contains(Key("subject")), !((try? object.decodeNil(forKey: Key("subject"))) ?? false) {
                subject = try field("subject", String.self, "a string")
            }
            item = MultipleChoiceItem(question: question, choices: choices, answer: answer, subject: subject)
        }
    }
}

/// Multiple-choice input that cannot be scored.
public enum MultipleChoiceError: Error, LocalizedError, Equatable, Sendable {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// A line of the file is not a valid item.
    case malformed(path: String, line: Int, reason: String)
    /// The file holds no item.
    case empty(path: String)
    /// An item given in memory is not valid (`index` counts from 0).
    case invalidItem(index: Int, reason: String)
    /// An item's context and a continuation do not fit in the model's positions.
    case tooLong(index: Int, tokens: Int, limit: Int)
    /// A choice becomes no token at all (an empty continuation cannot be scored).
    case emptyContinuation(index: Int, choice: Int)
    /// The context is empty and the tokenizer and model name no end-of-text token to stand in.
    case emptyContext(index: Int)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformed(let path, let line, let reason):
            return "\(path):\(line): \(reason) (expected {\"question\": text, \"choices\": [text, …], \"answer\": index, \"subject\": text})"
        case .empty(let path):
            return "\(path): no multiple-choice item (the file is empty or blank)"
        case .invalidItem(let index, let reason):
            return "multiple-choice item \(index): \(reason)"
        case .tooLong(let index, let tokens, let limit):
            return "multiple-choice item \(index): a continuation of \(tokens) tokens leaves no room for context in the model's \(limit) positions"
        case .emptyContinuation(let index, let choice):
            return "multiple-choice item \(index): choice \(choice) encodes to no token"
        case .emptyContext(let index):
            return "multiple-choice item \(index): the context is empty and there is no end-of-text token to condition on"
        }
    }
}
