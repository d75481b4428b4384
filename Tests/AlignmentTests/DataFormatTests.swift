import Foundation
import Testing
@testable import Alignment

/// Input formats: `.txt` paragraphs, JSONL records, and every kind of bad record in fail and
/// skip mode.
@Suite("Data formats and bad records")
struct DataFormatTests {
    static let eos = DataFixtures.eos

    @Test func textParagraphsAreSeparatedByBlankLines() throws {
        let folder = DataFixtures.scratch()
        // LF and CRLF files with the same paragraphs, a BOM, blank lines holding spaces, runs of
        // blank lines and no final newline.
        let lf = "\u{FEFF}All: Speak, speak.\nFirst Citizen: You are all resolved?\n\n \t\n\n\nAll: Resolved.\n  indented line\n\n"
        let crlf = "All: Speak, speak.\r\nFirst Citizen: You are all resolved?\r\n\r\n \t\r\n\r\nAll: Resolved.\r\n  indented line"
        let expected = DataFixtures.ids("All: Speak, speak.\nFirst Citizen: You are all resolved?") + [Self.eos]
            + DataFixtures.ids("All: Resolved.\n  indented line") + [Self.eos]
        for (name, text) in [("lf.txt", lf), ("crlf.txt", crlf)] {
            let file = DataFixtures.write(text, name, in: folder)
            let data = try DataFixtures.prepare([file], PackingOptions(sequenceLength: 16, validationFraction: 0),
                                                in: folder.appendingPathComponent("cache-\(name)"))
            #expect(DataFixtures.tokens(data.train) == expected, "\(name)")
            #expect(data.summary.documents == 2)
        }
    }

    @Test func jsonLinesKeepOnlyTheTextField() throws {
        let folder = DataFixtures.scratch()
        let lines = [
            #"{"id": 1, "text": "Speak, speak.", "source": "play", "tags": ["a", {"text": "nested"}]}"#,
            "",
            #"  {"title": "x", "text": "Line one\nline \"two\" \u00e9 \ud83d\ude00"}  "#,
            #"{"body": "chosen field", "text": "ignored"}"#,
        ]
        let file = DataFixtures.write(lines.joined(separator: "\n") + "\n", "a.jsonl", in: folder)
        let data = try DataFixtures.prepare([file], PackingOptions(sequenceLength: 16, validationFraction: 0), in: folder.appendingPathComponent("c1"))
        let expected = DataFixtures.ids("Speak, speak.") + [Self.eos] + DataFixtures.ids("Line one\nline \"two\" é 😀") + [Self.eos]
            + DataFixtures.ids("ignored") + [Self.eos]
        #expect(DataFixtures.tokens(data.train) == expected)
        let body = try DataFixtures.prepare([file], PackingOptions(sequenceLength: 16, validationFraction: 0, badRecords: .skip, textField: "body"),
                                            in: folder.appendingPathComponent("c2"))
        #expect(DataFixtures.tokens(body.train) == DataFixtures.ids("chosen field") + [Self.eos])
        #expect(body.summary.skippedRecords == 2)
    }

    /// One file per problem, each with a good line before the bad one.
    static let malformed: [(name: String, bytes: [UInt8], line: Int?, reason: String)] = [
        ("invalid.jsonl", Array(#"{"text": "ok"}"#.utf8) + [0x0A] + Array(#"{"text": "unterminated}"#.utf8), 2,
         "invalid JSON at column 24: unterminated string"),
        ("comma.jsonl", Array("{\"text\": \"ok\"}\n\n{\"text\": \"a\",}\n".utf8), 3, "invalid JSON at column 14: expected a quoted key"),
        ("missing.jsonl", Array("{\"text\": \"ok\"}\n{\"content\": \"x\"}\n".utf8), 2, #"no "text" field"#),
        ("number.jsonl", Array("{\"text\": \"ok\"}\n{\"text\": 42}\n".utf8), 2, #""text" is not a string (found number)"#),
        ("array.jsonl", Array("{\"text\": \"ok\"}\n[\"text\"]\n".utf8), 2, "not a JSON object (found array)"),
        ("utf8.jsonl", Array("{\"text\": \"ok\"}\n{\"text\": \"caf".utf8) + [0xE9] + Array("\"}\n".utf8), 2, "invalid UTF-8"),
        ("empty.jsonl", [], nil, "empty file: no documents"),
        ("blank.txt", Array(" \n\r\n\n".utf8), nil, "empty file: no documents"),
        ("latin1.txt", Array("Good paragraph.\n\nBad ".utf8) + [0xFF] + Array(" line\nnext\n".utf8), 3, "invalid UTF-8 (paragraph skipped)"),
    ]

    @Test func badRecordsFailNamingFileAndLine() throws {
        let folder = DataFixtures.scratch()
        for bad in Self.malformed {
            let file = DataFixtures.write(bad.bytes, bad.name, in: folder)
            let error = #expect(throws: DataError.self, "\(bad.name)") {
                try DataFixtures.prepare([file], PackingOptions(sequenceLength: 8), in: folder.appendingPathComponent("cache"))
            }
            #expect(error == .badRecord(DataIssue(file: file.path, line: bad.line, reason: bad.reason)), "\(bad.name)")
            let location = bad.line.map { "\(file.path):\($0): " } ?? "\(file.path): "
            #expect(error?.errorDescription?.hasPrefix(location + bad.reason) == true, "\(String(describing: error?.errorDescription))")
        }
        // Nothing half-written is left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("cache").path)
        #expect(left.isEmpty, "\(left)")
    }

    @Test func badRecordsAreReportedAndSkipped() throws {
        let folder = DataFixtures.scratch()
        let files = Self.malformed.map { DataFixtures.write($0.bytes, $0.name, in: folder) }
        var reported: [DataIssue] = []
        let data = try DataFixtures.prepare(files, PackingOptions(sequenceLength: 8, validationFraction: 0, badRecords: .skip),
                                            in: folder.appendingPathComponent("cache")) { reported.append($0) }
        let expected = zip(Self.malformed, files).map { DataIssue(file: $1.path, line: $0.line, reason: $0.reason) }
        #expect(reported == expected)
        #expect(data.summary.skippedRecords == 7)                     // every issue but the two empty files
        #expect(data.summary.documents == 7)                          // six good JSONL lines and one good paragraph
        #expect(data.summary.notes.contains("empty file \(files[6].path)"))
        #expect(data.summary.notes.contains("empty file \(files[7].path)"))
        #expect(data.summary.notes.contains("skipped 7 bad record(s), each reported"))
        // The good paragraph of the Latin-1 file trains; its bad paragraph does not.
        #expect(DataFixtures.tokens(data.train).suffix(DataFixtures.ids("Good paragraph.").count + 1)
                == ArraySlice(DataFixtures.ids("Good paragraph.") + [Self.eos]))
        #expect(expected[0].description == "\(files[0].path):2: invalid JSON at column 24: unterminated string")
        #expect(expected[6].description == "\(files[6].path): empty file: no documents")
    }

    @Test func noUsableDocumentIsAnError() {
        let folder = DataFixtures.scratch()
        let empty = DataFixtures.write("", "empty.txt", in: folder)
        let bad = DataFixtures.write("{\"x\": 1}\n", "bad.jsonl", in: folder)
        #expect(throws: DataError.noDocuments(files: [empty.path, bad.path])) {
            try DataFixtures.prepare([empty, bad], PackingOptions(badRecords: .skip), in: folder.appendingPathComponent("cache"))
        }
        let missing = folder.appendingPathComponent("missing.txt")
        #expect(throws: DataError.self) { try DataFixtures.prepare([missing], PackingOptions(), in: folder) }
        #expect(throws: DataError.unreadable(file: folder.path, reason: "is a directory, not a file")) {
            try DataFixtures.prepare([folder], PackingOptions(), in: folder.appendingPathComponent("cache"))
        }
    }

    @Test func emptyTextsAreNotedNotTrained() throws {
        let folder = DataFixtures.scratch()
        let file = DataFixtures.write("{\"text\": \"\"}\n{\"text\": \"Speak.\"}\n", "a.jsonl", in: folder)
        let data = try DataFixtures.prepare([file], PackingOptions(sequenceLength: 8, validationFraction: 0), in: folder.appendingPathComponent("c"))
        #expect(DataFixtures.tokens(data.train) == DataFixtures.ids("Speak.") + [Self.eos])
        #expect(data.summary.notes.contains("\(file.path): 1 record(s) with empty text ignored"))
    }

    @Test func scannerIsStrictJSON() {
        func scan(_ s: String, _ field: String = "text") -> Result<(kind: JSONKind, field: JSONField?), JSONSyntaxError> {
            JSONFieldScanner.scan(ArraySlice(Array(s.utf8)), field: field)
        }
        for bad in [#"{"text": "a",}"#, #"{"text": 01}"#, #"{"text": 1.}"#, #"{'text': "a"}"#, #"{"text": "a"} x"#, #"{"text": tru}"#,
                    #"{"text": "\x"}"#, #"{"text": "\ud800"}"#, "{\"text\": \"tab\tinside\"}", #"[1, 2"#, "", #"{"a" 1}"#, #"-"#] {
            if case .success = scan(bad) { Issue.record("accepted \(bad.debugDescription)") }
        }
        for (good, kind) in [(#"  {"a": [1, -2.5e+3, true, false, null, {"b": {}}], "text": "x"} "#, JSONKind.object), ("[]", .array),
                             ("-0", .number), (#""s""#, .string), ("null", .null), ("true", .boolean)] {
            guard case .success(let r) = scan(good) else { Issue.record("rejected \(good)"); continue }
            #expect(r.kind == kind)
        }
        guard case .success(let r) = scan(#"{"t\u0065xt": "A\/\b\f\n\r\t\u00e9\ud83d\ude00", "text": "last wins"}"#) else {
            Issue.record("rejected escapes"); return
        }
        #expect(r.field == .string(Array("last wins".utf8)))
        guard case .success(let e) = scan(#"{"text": "A\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#) else { Issue.record("rejected"); return }
        #expect(e.field == .string(Array("A/\u{8}\u{C}\n\r\té😀".utf8)))
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        guard case .failure(let d) = scan(deep) else { Issue.record("accepted 600 levels"); return }
        #expect(d.message.contains("nested deeper"))
    }
}
