import Foundation
import Tensor

/// How a model scored one multiple-choice item.
public struct MultipleChoiceItemScore: Sendable, Equatable, Encodable {
    /// Position of the item in the scored list.
    public var index: Int
    public var subject: String?
    /// The right choice.
    public var answer: Int
    /// `Σ_t log p(continuation token t | context, earlier continuation tokens)` per choice, in
    /// nats (natural log).
    public var logLikelihoods: [Double]
    /// Continuation tokens per choice.
    public var tokenCounts: [Int]
    /// Length of each choice text in characters (Unicode scalars, as Python's `len`), the
    /// divisor of ``normalizedPrediction``.
    public var characterCounts: [Int]

    public init(index: Int, subject: String?, answer: Int, logLikelihoods: [Double], tokenCounts: [Int], characterCounts: [Int]) {
        check(logLikelihoods.count == tokenCounts.count && tokenCounts.count == characterCounts.count,
              "MultipleChoiceItemScore: \(logLikelihoods.count) log-likelihoods, \(tokenCounts.count) token counts, \(characterCounts.count) lengths")
        self.index = index
        self.subject = subject
        self.answer = answer
        self.logLikelihoods = logLikelihoods
        self.tokenCounts = tokenCounts
        self.characterCounts = characterCounts
    }

    /// `argmax_i logLikelihoods[i]` (the first on ties, as NumPy's `argmax`): the `acc` choice.
    public var prediction: Int { argmax(logLikelihoods) }

    /// `argmax_i logLikelihoods[i] / characterCounts[i]` (a length of 0 counts as 1): the
    /// `acc_norm` choice, which does not favour short answers for having fewer tokens to pay for.
    public var normalizedPrediction: Int {
        argmax(zip(logLikelihoods, characterCounts).map { $0 / Double(Swift.max(1, $1)) })
    }

    public var isCorrect: Bool { prediction == answer }
    public var isCorrectNormalized: Bool { normalizedPrediction == answer }

    private func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    enum CodingKeys: String, CodingKey {
        case index, subject, answer, prediction
        case normalizedPrediction = "prediction_norm", logLikelihoods = "log_likelihoods"
        case tokenCounts = "tokens", characterCounts = "characters"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encodeIfPresent(subject, forKey: .subject)
        try c.encode(answer, forKey: .answer)
        try c.encode(prediction, forKey: .prediction)
        try c.encode(normalizedPrediction, forKey: .normalizedPrediction)
        try c.encode(logLikelihoods, forKey: .logLikelihoods)
        try c.encode(tokenCounts, forKey: .tokenCounts)
        try c.encode(characterCounts, forKey: .characterCounts)
    }
}

/// Accuracy over a group of items.
public struct MultipleChoiceAccuracy: Sendable, Equatable, Encodable {
    /// Items in the group.
    public var count: Int
    /// Items whose ``MultipleChoiceItemScore/prediction`` is right.
    public var correct: Int
    /// Items whose ``MultipleChoiceItemScore/normalizedPrediction`` is right.
    public var correctNormalized: Int
    /// `Σ 1 / choices` over the items: the expected number right by guessing.
    public var chanceSum: Double

    public init(count: Int = 0, correct: Int = 0, correctNormalized: Int = 0, chanceSum: Double = 0) {
        self.count = count
        self.correct = correct
        self.correctNormalized = correctNormalized
        self.chanceSum = chanceSum
    }

    /// `acc = correct / count`.
    public var accuracy: Double { count > 0 ? Double(correct) / Double(count) : .nan }
    /// `acc_norm = correctNormalized / count`.
    public var normalizedAccuracy: Double { count > 0 ? Double(correctNormalized) / Double(count) : .nan }
    /// Chance level `(1/count) Σ 1/choices`.
    public var chance: Double { count > 0 ? chanceSum / Double(count) : .nan }
    /// Standard error of `acc` as lm-evaluation-harness reports it: `sqrt(acc·(1 − acc) / (count − 1))`.
    public var accuracyStandardError: Double {
        count > 1 ? (accuracy * (1 - accuracy) / Double(count - 1)).squareRoot() : .nan
    }

    mutating func add(_ score: MultipleChoiceItemScore) {
        count += 1
        if score.isCorrect { correct += 1 }
        if score.isCorrectNormalized { correctNormalized += 1 }
        chanceSum += 1 / Double(score.logLikelihoods.count)
    }

    enum CodingKeys: String, CodingKey {
        case count, correct, correctNormalized = "correct_norm", accuracy = "acc", normalizedAccuracy = "acc_norm"
        case accuracyStandardError = "acc_stderr", chance
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(correct, forKey: .correct)
        try c.encode(correctNormalized, forKey: .correctNormalized)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(normalizedAccuracy, forKey: .normalizedAccuracy)
        if count > 1 { try c.encode(accuracyStandardError, forKey: .accuracyStandardError) }
        try c.encode(chance, forKey: .chance)
    }
}

/// The scores of a list of items, overall and per subject.
public struct MultipleChoiceResult: Sendable, Equatable, Encodable {
    /// One score per item, in input order.
    public var items: [MultipleChoiceItemScore]
    /// All items.
    public var overall: MultipleChoiceAccuracy
    /// Items grouped by subject (items without a subject count only in ``overall``).
    public var subjects: [String: MultipleChoiceAccuracy]

    public init(items: [MultipleChoiceItemScore]) {
        self.items = items
        var overall = MultipleChoiceAccuracy(), subjects: [String: MultipleChoiceAccuracy] = [:]
        for score in items {
            overall.add(score)
            if let subject = score.subject { subjects[subject, default: MultipleChoiceAccuracy()].add(score) }
        }
        self.overall = overall
        self.subjects = subjects
    }

    /// A plain-text table: one row per subject (sorted by name), then `overall`, with the
    /// count, acc, acc_norm and chance.
    ///
    /// ```
    /// subject            n      acc   acc_norm   chance
    /// birth_city       100   0.2600     0.2500   0.2500
    /// overall          500   0.2540     0.2480   0.2500
    /// ```
    public var table: String {
        let width = Swift.max(12, (subjects.keys.map(\.count).max() ?? 0) + 2)
        func pad(_ text: String, _ n: Int, left: Bool) -> String {
            let fill = String(repeating: " ", count: Swift.max(0, n - text.count))
            return left ? text + fill : fill + text
        }
        func row(_ name: String, _ a: MultipleChoiceAccuracy) -> String {
            pad(name, width, left: true) + pad(String(a.count), 6, left: false)
                + pad(String(format: "%.4f", a.accuracy), 9, left: false)
                + pad(String(format: "%.4f", a.normalizedAccuracy), 11, left: false)
                + pad(String(format: "%.4f", a.chance), 9, left: false)
        }
        var lines = [pad("subject", width, left: true) + pad("n", 6, left: false) + pad("acc", 9, left: false)
                     + pad("acc_norm", 11, left: false) + pad("chance", 9, left: false)]
        for name in subjects.keys.sorted() { lines.append(row(name, subjects[name]!)) }
        lines.append(row("overall", overall))
        return lines.joined(separator: "\n")
    }

    /// Pretty-printed JSON with sorted keys: `{"overall", "subjects", "items"}`.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
