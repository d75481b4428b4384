import Foundation
import Testing
@testable import Curation

/// The language, PII, fuzzy-dedup and decontamination engines as pipeline stages.
@Suite struct StageWrapperTests {
    @Test func languageFilterKeepsEnglishAndShortTextsAndRemovesOthers() throws {
        let stage = try LanguageFilterStage()
        var english = Document(text: "The quality of mercy is not strained; it droppeth as the gentle rain from heaven.")
        var german = Document(text: "Die Würde des Menschen ist unantastbar. Sie zu achten und zu schützen ist Verpflichtung aller staatlichen Gewalt.")
        var short = Document(text: "Ber.\nHe.")
        #expect(stage.apply(to: &english) == .kept)
        #expect(stage.apply(to: &short) == .kept)
        guard case .removed(let removal) = stage.apply(to: &german) else { Issue.record("German kept"); return }
        #expect(removal.reason == "language")
        #expect(removal.detail?.hasPrefix("de (") == true && removal.detail?.hasSuffix("), not en") == true)
        #expect((removal.value ?? 0) >= 0.3)
    }

    @Test func languageFieldIsAddedWhenAsked() throws {
        let stage = try LanguageFilterStage(LanguageFilterConfig(languages: ["en", "de"], languageField: "lang"))
        var german = Document(text: "Die Würde des Menschen ist unantastbar. Sie zu achten und zu schützen ist Verpflichtung aller staatlichen Gewalt.",
                              fields: ["id": .number("1"), "text": .null])
        #expect(stage.apply(to: &german) == .modified(reasons: ["language_field"]))
        #expect(german.record(textField: "text").keys == ["id", "text", "lang"])
        #expect(german.fields["lang"] == .string("de"))
    }

    @Test func piiIsRedactedAndCountedPerType() throws {
        let stage = PIIRedactionStage(try PIIConfig().redactor())
        var docs = documents(["Mail jane@example.com or call (555) 123-4567.", "Nothing here.", "Card 4111 1111 1111 1111, mail bob@example.org"])
        let outcomes = stage.process(&docs, workers: 2)
        #expect(docs.map(\.text) == ["Mail <EMAIL> or call <PHONE>.", "Nothing here.", "Card <CREDIT_CARD>, mail <EMAIL>"])
        #expect(outcomes == [.modified(reasons: ["EMAIL", "PHONE"]), .kept, .modified(reasons: ["EMAIL", "CREDIT_CARD"])])
        #expect(stage.finish() == ["matches: EMAIL 2, PHONE 1, CREDIT_CARD 1"])
        let masked = PIIRedactionStage(try PIIConfig(types: ["EMAIL"], mode: "mask").redactor())
        var one = documents(["a@b.co and (555) 123-4567"])
        _ = masked.process(&one, workers: 1)
        #expect(one[0].text == "****** and (555) 123-4567")
    }

    @Test func fuzzyDedupStageKeepsTheFirstOfEachClusterAcrossShards() {
        let base = (0..<60).map { "word\($0)" }.joined(separator: " ")
        var variant = base.components(separatedBy: " ")
        variant[30] = "changed"
        let texts = [base, "something else entirely " + base.uppercased().prefix(20), variant.joined(separator: " "), base + " tail"]
        var config = bareConfig(threads: 2)
        config.shardDocuments = 1
        let result = CurationPipeline(stages: [FuzzyDeduplicationStage()], config: config).run(documents: documents(texts))
        #expect(result.documents.map(\.origin.line) == [1, 2])
        #expect(result.rejections.map(\.origin.line) == [3, 4])
        #expect(result.rejections.allSatisfy { $0.reason == "near_duplicate" && ($0.value ?? 0) >= 0.8 })
        #expect(result.summary.stages[0].notes.first == "1 clusters, largest 3; 0 documents too short to shingle")
    }

    @Test func decontaminationDropsOrFlagsDocumentsSharingThirteenWords() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let question = "Which of the following best describes the function of the mitochondria in a eukaryotic cell"
        let evaluation = writeFile(folder, "eval.jsonl", #"{"question": "\#(question)?", "choices": ["energy", "storage"], "answer": 0}"# + "\n")
        let texts = ["Students often ask: \(question.lowercased())? The answer is energy.", "An unrelated paragraph about the weather in spring."]
        let drop = try DecontaminationStage(config: DecontaminationStageConfig(evaluationFiles: [evaluation]))
        var docs = documents(texts)
        #expect(drop.process(&docs, workers: 1).map { if case .removed(let r) = $0 { r.reason } else { "kept" } } == ["contaminated", "kept"])
        let flag = try DecontaminationStage(config: DecontaminationStageConfig(evaluationFiles: [evaluation], mode: .flag))
        docs = documents(texts)
        #expect(flag.process(&docs, workers: 1) == [.modified(reasons: ["flagged"]), .kept])
        #expect(docs[0].fields["contamination"]?.serialized().contains("mitochondria") == true)
    }
}
