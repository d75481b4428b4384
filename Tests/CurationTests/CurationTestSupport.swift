import Foundation
@testable import Curation

/// A fresh temporary folder for one test's files.
func curationTemporaryFolder(_ name: String = #function) -> URL {
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("lore-curation-\(clean)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `bytes` to `name` in `folder`; returns the path.
@discardableResult
func writeFile(_ folder: URL, _ name: String, _ bytes: [UInt8]) -> String {
    let url = folder.appendingPathComponent(name)
    if !FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) { fatalError("cannot write \(url.path)") }
    return url.path
}

func writeFile(_ folder: URL, _ name: String, _ text: String) -> String {
    writeFile(folder, name, Array(text.utf8))
}

/// The JSON objects of a JSONL file.
func readJSONL(_ path: String) throws -> [JSONObject] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
        try #require(try JSONParser.parse(String($0)).objectValue)
    }
}

import Testing

/// A config with only the named pieces on (everything else off), one thread unless given.
func bareConfig(threads: Int = 1) -> CurationConfig {
    var config = CurationConfig.prose
    config.cleaning = nil
    config.heuristicFilters = nil
    config.exactDedup = nil
    config.fuzzyDedup = nil
    config.languageFilter = nil
    config.pii = nil
    config.threads = threads
    return config
}

func documents(_ texts: [String], file: String = "mem") -> [Document] {
    texts.enumerated().map { Document(text: $1, fields: ["id": .number(String($0)), "text": .null],
                                      origin: DocumentOrigin(file: file, line: $0 + 1)) }
}

extension JSONObject {
    var serializedLine: String { JSONValue.object(self).serialized() }
}
