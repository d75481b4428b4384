import Foundation
import Testing
@testable import Curation

/// A stage that upper-cases documents containing "up" and removes those containing "drop".
final class MarkerStage: DocumentStage {
    let name = "marker"
    func apply(to document: inout Document) -> StageOutcome {
        if document.text.contains("drop") { return .removed(Removal(reason: "has_drop", value: 1, detail: "contains drop")) }
        if document.text.contains("up") {
            document.text = document.text.uppercased()
            return .modified(reasons: ["upper"])
        }
        return .kept
    }
}

/// A corpus stage that removes every document whose text occurred earlier in the corpus,
/// deciding only at the end (as fuzzy dedup does).
final class LateDuplicateStage: CorpusStage, @unchecked Sendable {
    let name = "late_duplicates"
    var texts: [String] = []
    var shards = 0
    func observe(_ documents: [Document], workers: Int) { texts += documents.map(\.text); shards += 1 }
    func decide() -> [StageOutcome] {
        var seen = Set<String>()
        return texts.map { seen.insert($0).inserted ? .kept : .removed(Removal(reason: "late_duplicate")) }
    }
    func notes() -> [String] { ["saw \(texts.count) documents in \(shards) shards"] }
}

@Suite struct PipelineTests {
    static let texts = (0..<500).map { index -> String in
        switch index % 7 {
        case 0: return "drop this one \(index)"
        case 1: return "lift up \(index)"
        case 2: return "repeat me"
        default: return "plain document number \(index)"
        }
    }

    @Test func outputOrderIsInputOrderForAnyThreadCountAndShardSize() {
        var reference: [String]? = nil
        for (threads, shard) in [(1, 500), (2, 7), (2, 64), (5, 1)] {
            var config = bareConfig(threads: threads)
            config.shardDocuments = shard
            let result = CurationPipeline(stages: [MarkerStage(), LateDuplicateStage()], config: config).run(documents: documents(Self.texts))
            let texts = result.documents.map(\.text)
            if let reference { #expect(texts == reference, "threads \(threads), shard \(shard)") } else { reference = texts }
            #expect(result.documents.map(\.origin.line) == result.documents.map(\.origin.line).sorted())
        }
        #expect(reference?.first == "LIFT UP 1")
        #expect(reference?.filter { $0 == "repeat me" }.count == 1)
    }

    @Test func eachStageReportsKeptModifiedAndRemovedWithReasons() {
        var config = bareConfig(threads: 2)
        config.shardDocuments = 50
        let result = CurationPipeline(stages: [MarkerStage(), LateDuplicateStage()], config: config).run(documents: documents(Self.texts))
        let marker = result.summary.stages[0], late = result.summary.stages[1]
        let drops = Self.texts.filter { $0.contains("drop") }.count, ups = Self.texts.filter { $0.contains("up") }.count
        #expect(marker.input == 500 && marker.removed == drops && marker.modified == ups && marker.kept == 500 - drops - ups)
        #expect(marker.removedBy.map(\.reason) == ["has_drop"] && marker.removedBy.map(\.count) == [drops])
        #expect(marker.modifiedBy.map(\.reason) == ["upper"] && marker.modifiedBy.map(\.count) == [ups])
        let repeats = Self.texts.filter { $0 == "repeat me" }.count
        #expect(late.input == 500 - drops && late.removed == repeats - 1)
        #expect(late.notes == ["saw \(500 - drops) documents in 10 shards"])
        #expect(result.rejections.count == drops + repeats - 1)
        #expect(result.rejections.first?.record?["text"] == .string("drop this one 0"))
        #expect(result.rejections.first?.record?["id"] == .number("0"))
        let table = result.summary.table
        #expect(table.contains("removed: has_drop \(drops)"))
        #expect(table.contains("modified: upper \(ups)"))
        #expect(table.contains("late_duplicates"))
    }

    @Test func filesGoThroughTwoPassesWithASpoolThatIsDeletedAfterwards() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = writeFile(folder, "in.jsonl", Self.texts.enumerated().map { #"{"n":\#($0),"text":"\#($1)"}"# + "\n" }.joined())
        let output = folder.appendingPathComponent("out.jsonl").path
        var config = bareConfig(threads: 2)
        config.shardDocuments = 64
        var progress: [CurationProgress] = []
        let summary = try CurationPipeline(stages: [MarkerStage(), LateDuplicateStage(), MarkerStage()], config: config)
            .run(inputs: [input], output: output, progress: { progress.append($0) })
        let memory = CurationPipeline(stages: [MarkerStage(), LateDuplicateStage(), MarkerStage()], config: config)
            .run(documents: documents(Self.texts, file: input))
        let lines = try readJSONL(output)
        #expect(lines.map { $0["text"]?.stringValue } == memory.documents.map(\.text))
        #expect(lines.first?.keys == ["n", "text"])
        #expect(summary.stages.map(\.input) == memory.summary.stages.map(\.input))
        #expect(summary.documentsOut == memory.documents.count && summary.rejected == memory.rejections.count)
        let rejects = try readJSONL(summary.rejects)
        #expect(rejects.count == summary.rejected)
        #expect(rejects.first?["stage"] == .string("marker") && rejects.first?["reason"] == .string("has_drop"))
        #expect(rejects.first?["value"] == .number("1") && rejects.first?["line"] == .number("1"))
        #expect(rejects.first?["document"] == .object(["n": .number("0"), "text": .string("drop this one 0")]))
        // The spool file next to the output is gone.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("spool") }
        #expect(leftovers.isEmpty)
        // Progress: pass 1 then pass 2, documents counted up to the totals.
        #expect(progress.first?.pass == 1 && progress.last?.pass == 2 && progress.allSatisfy { $0.passes == 2 })
        #expect(progress.filter { $0.pass == 1 }.last?.documents == 500)
        #expect(progress.last?.documents == progress.last?.totalDocuments)
        #expect(progress.last?.written == summary.documentsOut)
        #expect(progress.first?.line.hasPrefix("pass 1/2: 64 documents") == true)
    }

    @Test func theDefaultPipelineRunsTheConfiguredStagesInOrder() throws {
        let pipeline = try CurationPipeline(config: .prose)
        #expect(pipeline.stages.map(\.name) == ["cleaning", "exact_dedup", "language_filter", "heuristic_filters", "fuzzy_dedup", "pii_redaction"])
        let text = "The quality of mercy is not strained; it droppeth as the gentle rain from heaven upon the place beneath."
        let result = pipeline.run(documents: documents([text, "  " + text.uppercased() + "\n", text + " Twice blest."]))
        #expect(result.documents.map(\.text) == [text])
        #expect(result.rejections.map(\.reason) == ["exact_duplicate", "near_duplicate"])
        #expect(result.rejections[0].detail == "same text as mem:1")
        #expect(result.rejections[1].detail?.hasPrefix("near duplicate of mem:1 (Jaccard 0.") == true)
    }

    @Test func exactDeduplicationKeepsTheFirstNormalizedText() {
        let stage = ExactDeduplicationStage()
        var docs = documents(["Hello  World", "hello world\n", "HELLO\tWORLD ", "Hello World!", "ÉCOLE", "école"])
        let outcomes = stage.process(&docs, workers: 2)
        #expect(outcomes.map { if case .removed = $0 { true } else { false } } == [false, true, true, false, false, true])
        #expect(stage.finish() == ["3 exact duplicates of 2 distinct texts; 3 distinct texts kept"])
        #expect(ExactDeduplicationStage(.init(normalize: false)).digest("a b") != ExactDeduplicationStage(.init(normalize: false)).digest("A b"))
    }

    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func md5MatchesRFC1321(text: String, hex: String) {
        #expect(MD5.hash(Array(text.utf8)).description == hex)
        var split = MD5()
        let bytes = Array(text.utf8) + Array(text.utf8)  // split at a third: blocks cross the boundary
        #expect(MD5.hash(bytes).description == MD5Reference.hex(bytes))
        bytes.withUnsafeBufferPointer { buffer in
            split.update(UnsafeBufferPointer(rebasing: buffer[..<(bytes.count / 3)]))
            split.update(UnsafeBufferPointer(rebasing: buffer[(bytes.count / 3)...]))
        }
        #expect(split.finalize().description == MD5Reference.hex(bytes))
    }

    @Test func md5MatchesTheReferenceOnAwkwardLengths() {
        for count in [55, 56, 63, 64, 65, 119, 120, 127, 128, 1000] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            #expect(MD5.hash(bytes).description == MD5Reference.hex(bytes), "\(count) bytes")
        }
    }
}

/// A slow MD5 written straight from RFC 1321 (bit strings as arrays), the reference the fast
/// block function is held against.
enum MD5Reference {
    static func hex(_ message: [UInt8]) -> String {
        var bytes = message + [0x80]
        while bytes.count % 64 != 56 { bytes.append(0) }
        let bits = UInt64(message.count) * 8
        for index in 0..<8 { bytes.append(UInt8((bits >> (8 * UInt64(index))) & 0xFF)) }
        let s: [UInt32] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
        let k = (0..<64).map { UInt32(UInt64(abs(sin(Double($0 + 1))) * 4_294_967_296) & 0xFFFF_FFFF) }
        var h: [UInt32] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]
        for chunk in stride(from: 0, to: bytes.count, by: 64) {
            let m = (0..<16).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[chunk + 4 * i + $1]) << (8 * UInt32($1)) } }
            var (a, b, c, d) = (h[0], h[1], h[2], h[3])
            for i in 0..<64 {
                let (f, g): (UInt32, Int) = i < 16 ? ((b & c) | (~b & d), i)
                    : i < 32 ? ((d & b) | (~d & c), (5 * i + 1) % 16)
                    : i < 48 ? (b ^ c ^ d, (3 * i + 5) % 16) : (c ^ (b | ~d), (7 * i) % 16)
                let sum = a &+ f &+ k[i] &+ m[g]
                let shift = s[(i / 16) * 4 + i % 4]
                (a, d, c) = (d, c, b)
                b = b &+ ((sum << shift) | (sum >> (32 - shift)))
            }
            h = [h[0] &+ a, h[1] &+ b, h[2] &+ c, h[3] &+ d]
        }
        return h.flatMap { word in (0..<4).map { UInt8((word >> (8 * UInt32($0))) & 0xFF) } }
            .map { String(format: "%02x", $0) }.joined()
    }
}
