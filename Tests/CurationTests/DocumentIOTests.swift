import Foundation
import Testing
@testable import Curation

/// JSONL and `.txt` in, JSONL out, rejects beside: every field kept, every bad record reported.
@Suite struct DocumentIOTests {
    func run(_ inputs: [String], in folder: URL, config: CurationConfig = bareConfig()) throws -> (CurationSummary, [String], [JSONObject]) {
        let output = folder.appendingPathComponent("out.jsonl").path
        let summary = try CurationPipeline(config: config).run(inputs: inputs, output: output)
        let lines = try String(decoding: Data(contentsOf: URL(fileURLWithPath: output)), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return (summary, lines.last == "" ? Array(lines.dropLast()) : lines, try readJSONL(summary.rejects))
    }

    @Test func everyFieldReachesTheOutputUnchanged() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = writeFile(folder, "in.jsonl", """
        {"id": 1.50, "text": "Héllo wörld", "meta": {"source": "a", "tags": [1, 2e3, null, true]}, "z": -0}
        {"meta":{"nested":{"deep":[{"k":"v"}]}},"text":"second \\"quoted\\" \\u00e9","id":"b-2"}
        """)
        let (summary, lines, rejects) = try run([input], in: folder)
        #expect(lines == [
            #"{"id":1.50,"text":"Héllo wörld","meta":{"source":"a","tags":[1,2e3,null,true]},"z":-0}"#,
            #"{"meta":{"nested":{"deep":[{"k":"v"}]}},"text":"second \"quoted\" é","id":"b-2"}"#,
        ])
        #expect(rejects.isEmpty)
        #expect(summary.documentsIn == 2 && summary.documentsOut == 2)
        #expect(summary.rejects == folder.appendingPathComponent("out.rejects.jsonl").path)
    }

    @Test func crlfLineEndingsBOMAndAMissingFinalNewlineAreRead() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = writeFile(folder, "in.jsonl", [0xEF, 0xBB, 0xBF] + Array("{\"text\":\"a\"}\r\n\r\n{\"text\":\"b\\r\\n\"}\r\n{\"text\":\"c\"}".utf8))
        let (summary, lines, rejects) = try run([input], in: folder)
        #expect(lines == [#"{"text":"a"}"#, #"{"text":"b\r\n"}"#, #"{"text":"c"}"#])
        #expect(rejects.isEmpty)
        #expect(summary.inputs[0].lines == 4 && summary.inputs[0].blankLines == 1)
    }

    @Test func malformedLinesGoToTheRejectsFileWithLineAndReason() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes: [UInt8] = Array("{\"text\":\"good one\"}\n".utf8)
        bytes += Array("{\"text\":\"bad ".utf8) + [0xFF, 0xFE] + Array("\"}\n".utf8)      // line 2
        bytes += Array("{\"text\": \"unterminated}\n".utf8)                               // line 3
        bytes += Array("[\"an\", \"array\"]\n".utf8)                                       // line 4
        bytes += Array("{\"id\": 5, \"body\": \"no text field\"}\n".utf8)                  // line 5
        bytes += Array("{\"text\": 42}\n".utf8)                                            // line 6
        bytes += Array("\"just a string\"\n".utf8)                                         // line 7
        bytes += Array("{\"text\":\"good two\"}\n".utf8)                                    // line 8
        let input = writeFile(folder, "in.jsonl", bytes)
        let (summary, lines, rejects) = try run([input], in: folder)
        #expect(lines == [#"{"text":"good one"}"#, #"{"text":"good two"}"#])
        #expect(rejects.map { $0["line"] } == [.number("2"), .number("3"), .number("4"), .number("5"), .number("6"), .number("7")])
        #expect(rejects.map { $0["reason"]?.stringValue } == ["invalid_utf8", "invalid_json", "not_an_object",
                                                              "missing_text_field", "text_not_a_string", "not_an_object"])
        #expect(rejects.allSatisfy { $0["file"]?.stringValue == input && $0["stage"]?.stringValue == "input" })
        #expect(rejects[0]["detail"]?.stringValue == "invalid UTF-8 byte 0xff at byte 13")
        #expect(rejects[1]["detail"]?.stringValue == "unterminated string at byte 23")
        #expect(rejects[3]["detail"]?.stringValue == "no \"text\" field (keys: id, body)")
        #expect(rejects[4]["detail"]?.stringValue == "\"text\" is a number, not a string")
        #expect(rejects[0]["excerpt"]?.stringValue == "{\"text\":\"bad \u{FFFD}\u{FFFD}\"}")
        #expect(summary.malformed == 6 && summary.rejected == 6)
        #expect(summary.malformedBy.map(\.reason) == ["invalid_utf8", "invalid_json", "not_an_object", "missing_text_field", "text_not_a_string"])
        #expect(summary.table.contains("malformed: invalid_utf8 1, invalid_json 1, not_an_object 2, missing_text_field 1, text_not_a_string 1"))
    }

    @Test func aFiftyMegabyteLineIsReportedAndTheRestIsProcessed() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = Array("{\"text\":\"before\"}\n{\"text\":\"".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 50 << 20)
        bytes += Array("\"}\r\n{\"text\":\"after\"}\n".utf8)
        let input = writeFile(folder, "big.jsonl", bytes)
        let (summary, lines, rejects) = try run([input], in: folder)
        #expect(lines == [#"{"text":"before"}"#, #"{"text":"after"}"#])
        #expect(rejects.count == 1)
        #expect(rejects[0]["line"] == .number("2") && rejects[0]["reason"]?.stringValue == "record_too_long")
        #expect(rejects[0]["detail"]?.stringValue == "line of \((50 << 20) + 11) bytes is longer than max_document_bytes 8388608")
        #expect(summary.inputs[0].lines == 3)
    }

    @Test func anEmptyFileIsReportedAndOtherInputsAreProcessed() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = writeFile(folder, "empty.jsonl", [])
        let full = writeFile(folder, "full.jsonl", "{\"text\":\"x\"}\n")
        let (summary, lines, _) = try run([empty, full], in: folder)
        #expect(lines == [#"{"text":"x"}"#])
        #expect(summary.inputs.map(\.note) == ["empty file", nil])
        #expect(summary.table.contains("empty.jsonl: 0 lines, 0 documents — empty file"))
    }

    @Test func aMissingInputIsATypedErrorNamingIt() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nope.jsonl").path
        #expect(throws: CurationError.unreadableInput(path: path, reason: "No such file or directory")) {
            _ = try run([path], in: folder)
        }
    }

    @Test func textFilesArePlainParagraphs() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = writeFile(folder, "play.txt", "ACT I.\r\n\r\nBer.\r\nWho's there?\r\n  \t \r\nFran.\nNay, answer me.\n\n\n")
        let (_, lines, _) = try run([input], in: folder)
        #expect(lines == [#"{"id":"play.txt:1","text":"ACT I."}"#,
                          #"{"id":"play.txt:3","text":"Ber.\nWho's there?"}"#,
                          #"{"id":"play.txt:6","text":"Fran.\nNay, answer me."}"#])
    }

    @Test func theTextFieldIsConfigurable() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = writeFile(folder, "in.jsonl", "{\"text\":\"not this\",\"content\":\"  this  one \"}\n")
        var config = bareConfig()
        config.textField = "content"
        config.cleaning = CleaningConfig()
        let (_, lines, _) = try run([input], in: folder, config: config)
        #expect(lines == [#"{"text":"not this","content":"this one"}"#])
    }

    @Test func readerCutsLongFilesIntoShardsAcrossBufferBoundaries() throws {
        // Lines straddle the 1 MiB read buffer and shards hold 7 documents.
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let texts = (0..<3000).map { "document \($0) " + String(repeating: "w\($0 % 10) ", count: $0 % 97) }
        let body = texts.map { "{\"text\":\"\($0)\"}\n" }.joined()
        let input = writeFile(folder, "in.jsonl", body)
        var config = bareConfig(threads: 2)
        config.shardDocuments = 7
        let (summary, lines, _) = try run([input], in: folder, config: config)
        #expect(lines.count == 3000)
        #expect(lines.map { try? JSONParser.parse($0).objectValue?["text"]?.stringValue } == texts)
        #expect(summary.documentsIn == 3000 && summary.inputs[0].bytes == body.utf8.count)
    }
}
