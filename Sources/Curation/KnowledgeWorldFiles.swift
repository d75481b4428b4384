import Foundation

extension KnowledgeWorld {
    /// The files ``writeFiles(to:biographiesPerPerson:choices:style:)`` writes.
    public enum FileName {
        /// Biographies, one `{"text": …}` per line, shuffled.
        public static let training = "train.jsonl"
        /// Questions, one `{"question", "choices", "answer", "subject"}` per line.
        public static let questions = "questions.jsonl"
        /// The facts: `{"seed", "people": [{"name", "given_name", "family_name", "birth_date":
        /// {"day", "month", "year"}, "birth_city", "university", "employer", "field"}]}`.
        public static let world = "world.json"
    }

    /// Writes `train.jsonl`, `questions.jsonl` and `world.json` into `directory` (created if
    /// needed; existing files of those names are replaced).
    ///
    /// - Parameters:
    ///   - biographiesPerPerson: paraphrases per person (default 6).
    ///   - choices: choices per question (default 4).
    ///   - style: question wording (default ``QuestionStyle/questionAnswer``).
    /// - Throws: ``CurationError/unwritableOutput(path:reason:)`` naming the file.
    public func writeFiles(to directory: URL, biographiesPerPerson: Int = 6, choices: Int = 4,
                           style: QuestionStyle = .questionAnswer) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CurationError.unwritableOutput(path: directory.path, reason: error.localizedDescription)
        }
        let training = biographies(perPerson: biographiesPerPerson).map(KnowledgeWorld.trainingLine)
        try KnowledgeWorld.write(training.joined(), to: directory.appendingPathComponent(FileName.training))
        let questions = questions(choices: choices, style: style).map(\.jsonLine)
        try KnowledgeWorld.write(questions.joined(), to: directory.appendingPathComponent(FileName.questions))
        try KnowledgeWorld.write(worldJSON(), to: directory.appendingPathComponent(FileName.world))
    }

    /// `{"text":"…"}` and a newline.
    static func trainingLine(_ text: String) -> String {
        JSONValue.object(JSONObject([(key: "text", value: .string(text))])).serialized() + "\n"
    }

    /// The facts as pretty-printed JSON with sorted keys, ending in a newline.
    public func worldJSON() throws -> String {
        struct World: Encodable { var seed: UInt64; var people: [Person] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(World(seed: seed, people: people))
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw CurationError.unwritableOutput(path: url.path, reason: error.localizedDescription)
        }
    }
}

extension KnowledgeWorld.Question {
    /// `{"question":…,"choices":[…],"answer":i,"subject":…}` and a newline.
    public var jsonLine: String {
        let object = JSONObject([
            (key: "question", value: .string(question)),
            (key: "choices", value: .array(choices.map { .string($0) })),
            (key: "answer", value: .number(String(answer))),
            (key: "subject", value: .string(subject)),
        ])
        return JSONValue.object(object).serialized() + "\n"
    }
}
