import Foundation
import Testing
@testable import Curation

@Suite struct DecontaminationTests {
    static let question = "Which of the following best describes the role of the mitochondria in a eukaryotic cell " +
        "during aerobic respiration? The mitochondria produce most of the ATP."

    @Test func defaultsAreThirteenWordsAndDrop() throws {
        let configuration = DecontaminationConfiguration()
        #expect(configuration.ngramSize == 13 && configuration.mode == .drop)
        #expect(DecontaminationIndex(evaluationTexts: [String]()).ngramSize == 13)
        let decoded = try JSONDecoder().decode(DecontaminationConfiguration.self, from: Data(#"{"mode": "flag"}"#.utf8))
        #expect(decoded == DecontaminationConfiguration(ngramSize: 13, mode: .flag))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(DecontaminationConfiguration.self, from: Data(#"{"ngram_size": 0}"#.utf8))
        }
    }

    /// 13 consecutive evaluation words are found whatever their case, punctuation and spacing;
    /// 12 are not.
    @Test func thirteenWordsMatchTwelveDoNot() {
        let index = DecontaminationIndex(evaluationTexts: [Self.question])
        #expect(index.textCount == 1 && index.shortTexts == 0 && index.ngrams.count == 25 - 13 + 1)
        let thirteen = "Notes: WHICH of the following -- best describes the role of the Mitochondria, in a... and more"
        let twelve = "Notes: which of the following best describes the role of the mitochondria in the cell"
        #expect(index.isContaminated(thirteen))
        #expect(!index.isContaminated(twelve))
        let found = index.overlaps(in: thirteen)
        #expect(found.count == 1)
        #expect(found.first?.words == 1..<14 && found.first?.ngrams == 1)
        #expect(found.first?.text == "WHICH of the following -- best describes the role of the Mitochondria, in a")
        #expect(index.overlaps(in: twelve).isEmpty)
    }

    /// A pasted question gives one merged span covering it; two separate pastes give two.
    @Test func overlapsMergeIntoSpans() throws {
        let index = DecontaminationIndex(evaluationTexts: [Self.question, "too short to index"])
        #expect(index.shortTexts == 1)
        let text = "Intro words here. " + Self.question + " Unrelated middle words that break the run entirely now, " +
            "and then again: " + Self.question.uppercased()
        let spans = index.overlaps(in: text)
        #expect(spans.count == 2)
        #expect(spans.allSatisfy { $0.ngrams == 13 && $0.words.count == 25 })
        let utf8 = Array(text.utf8)
        let first = try #require(spans.first)
        #expect(first.text == String(Self.question.dropLast()))
        #expect(String(decoding: utf8[first.bytes], as: UTF8.self) == first.text)
        #expect(spans[1].text == String(Self.question.uppercased().dropLast()))
    }

    @Test func dropAndFlagModes() {
        let index = DecontaminationIndex(evaluationTexts: [Self.question], ngramSize: 8)
        let texts = [
            "A clean training document about sailing ships and the winds of the western sea.",
            "Copied: the role of the mitochondria in a eukaryotic cell during aerobic respiration, apparently.",
            "",
            Self.question,
        ]
        let dropped = Decontaminator(index: index).run(texts)
        #expect(dropped.keep == [true, false, true, false])
        #expect(dropped.contaminatedIndices == [1, 3] && dropped.keptIndices == [0, 2])
        #expect(dropped.report.contaminated == 2 && dropped.report.removed == 2)
        #expect(dropped.overlaps[1]?.first?.text == "the role of the mitochondria in a eukaryotic cell during aerobic respiration")
        let flagged = Decontaminator(index: index, mode: .flag).run(texts)
        #expect(flagged.keep.allSatisfy { $0 } && flagged.report.removed == 0 && flagged.contaminatedIndices == [1, 3])
        #expect(flagged.report.summary.contains("2 contaminated, 0 removed"))
    }

    /// The parallel batch agrees with checking documents one by one, for 1 and 2 threads.
    @Test func batchMatchesOneByOne() {
        var generator = MinHashTestGenerator(state: 3)
        let vocabulary = (0..<60).map { "v\($0)" }
        let evaluation = (0..<50).map { _ in (0..<20).map { _ in vocabulary.randomElement(using: &generator)! }.joined(separator: " ") }
        let index = DecontaminationIndex(evaluationTexts: evaluation, ngramSize: 5)
        let texts = (0..<700).map { i -> String in
            var words = (0..<30).map { _ in vocabulary.randomElement(using: &generator)! }
            if i % 7 == 0 { words.insert(contentsOf: evaluation[i % 50].split(separator: " ").prefix(6).map(String.init), at: 10) }
            return words.joined(separator: " ")
        }
        let expected = texts.map { index.overlaps(in: $0) }
        // Reference: string n-grams through Words, matching windows merged when they touch.
        let evaluationGrams = Set(evaluation.flatMap { Words.ngrams(Words.split($0, lowercased: true), n: 5) })
        for (text, spans) in zip(texts, expected) {
            var merged: [Range<Int>] = []
            for (start, gram) in Words.ngrams(Words.split(text, lowercased: true), n: 5).enumerated() where evaluationGrams.contains(gram) {
                if let last = merged.last, start <= last.upperBound { merged[merged.count - 1] = last.lowerBound..<(start + 5) }
                else { merged.append(start..<(start + 5)) }
            }
            #expect(spans.map(\.words) == merged)
        }
        for threads in [1, 2] {
            let result = Decontaminator(index: index, mode: .flag, threads: threads).run(texts)
            for (position, spans) in expected.enumerated() { #expect((result.overlaps[position] ?? []) == spans) }
        }
        #expect(expected.filter { !$0.isEmpty }.count >= 100)
    }
}
