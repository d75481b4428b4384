import Foundation
import Testing
import _TestSupport
@testable import Curation

/// The default (prose) pipeline on the real Shakespeare texts: it keeps clean prose and
/// removes exact and near duplicates.
@Suite(.serialized) struct ShakespeareCurationTests {
    static func plays() throws -> [String] {
        let folder = try TestAssets.url(.shakespeareTexts)
        return try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix("_gut.txt") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    @Test(TestAssets.requires(.shakespeareTexts))
    func theDefaultPipelineKeepsNinetyPercentOfTheParagraphs() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("shakespeare.jsonl").path
        let summary = try CurationPipeline(config: .prose).run(inputs: try Self.plays(), output: output)
        let read = summary.documentsIn
        #expect(read > 38_000)
        #expect(Double(summary.documentsOut) >= 0.90 * Double(read), "kept \(summary.documentsOut) of \(read)\n\(summary.table)")
        if ProcessInfo.processInfo.environment["LORE_CURATION_TABLE"] == "1" { print(summary.table) }
        // Cleaning and the quality filters alone remove under 3%; the rest of what goes is duplicates.
        let filters = try #require(summary.stages.first { $0.name == "heuristic_filters" })
        #expect(Double(filters.removed) <= 0.03 * Double(read), "filters removed \(filters.removed)\n\(summary.table)")
        let exact = try #require(summary.stages.first { $0.name == "exact_dedup" })
        #expect(exact.removed > 1_000)  // "[Exit.]", "[Exeunt.]", "ACT II." … repeat hundreds of times
    }

    @Test(TestAssets.requires(.shakespeareTexts))
    func plantedExactAndNearDuplicatesAreRemoved() throws {
        // 60 long speeches (≥ 100 words, passing the prose filters): each planted once re-cased and
        // re-spaced (an exact duplicate after normalization) and once with one word changed
        // (Jaccard ≈ 0.9 on word 5-grams).
        let cleaning = CleaningStage(), filters = HeuristicFilterStage(.prose)
        var speeches: [String] = []
        for play in try Self.plays() where speeches.count < 60 {
            let text = try String(contentsOfFile: play, encoding: .utf8)
            let long = text.components(separatedBy: "\n\n").filter {
                Words.split($0).count >= 100 && filters.evaluate(cleaning.clean($0).text) == nil
            }
            speeches += long.prefix(2)
        }
        var planted: [String] = []
        for (index, speech) in speeches.enumerated() {
            let exact = speech.uppercased().replacingOccurrences(of: " ", with: "  ")
            var words = speech.components(separatedBy: " ")
            words[words.count / 2] = "zounds"
            let near = words.joined(separator: " ")
            for (kind, text) in [("exact", exact), ("near", near)] {
                var line: [UInt8] = []
                let record: JSONObject = ["id": .string("\(kind)-\(index)"), "text": .string(text)]
                record.write(to: &line)
                planted.append(String(decoding: line, as: UTF8.self))
            }
        }
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plantedFile = writeFile(folder, "planted.jsonl", planted.joined(separator: "\n") + "\n")
        let output = folder.appendingPathComponent("out.jsonl").path
        var config = CurationConfig.prose
        config.threads = 2
        let summary = try CurationPipeline(config: config).run(inputs: try Self.plays() + [plantedFile], output: output)
        let kept = Set(try readJSONL(output).compactMap { $0["id"]?.stringValue })
        let rejects = try readJSONL(summary.rejects)
        func removedBy(_ stage: String, _ kind: String) -> Int {
            rejects.filter { $0["stage"]?.stringValue == stage
                && $0["document"]?.objectValue?["id"]?.stringValue?.hasPrefix(kind) == true }.count
        }
        #expect(!kept.contains { $0.hasPrefix("exact-") })
        #expect(removedBy("exact_dedup", "exact-") == speeches.count)
        #expect(!kept.contains { $0.hasPrefix("near-") })
        #expect(removedBy("fuzzy_dedup", "near-") == speeches.count)
        let nearRejects = rejects.filter { $0["stage"]?.stringValue == "fuzzy_dedup" }
        #expect(nearRejects.allSatisfy { ($0["value"].flatMap { if case .number(let t) = $0 { Double(t) } else { nil } } ?? 0) >= 0.8 })
        #expect(nearRejects.first?["detail"]?.stringValue?.contains("near duplicate of ") == true)
    }
}
