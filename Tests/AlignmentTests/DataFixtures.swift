import Foundation
import Tokenizer
@testable import Alignment

/// Shared pieces of the data tests: a small trained BPE tokenizer and scratch folders.
enum DataFixtures {
    static let corpus = """
        First Citizen: Before we proceed any further, hear me speak.
        All: Speak, speak.
        First Citizen: You are all resolved rather to die than to famish?
        All: Resolved. resolved.
        First Citizen: First, you know Caius Marcius is chief enemy to the people.
        All: We know't, we know't.
        First Citizen: Let us kill him, and we'll have corn at our own price. Is't a verdict?
        """

    /// A byte-level BPE of 400 ids trained on ``corpus``; id 0 is `<|endoftext|>`.
    static let tokenizer: Tokenizer = BPETrainer(vocabularySize: 400, minimumFrequency: 1, specialTokens: ["<|endoftext|>"])
        .train([corpus])

    /// The EOS id used by the tests.
    static let eos: Int32 = 0

    /// A new empty folder under the system's temporary directory.
    static func scratch(_ name: String = #function) -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lore-data-tests-\(safe)-\(UInt64.random(in: 0...UInt64.max))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to `folder/name` and returns its URL.
    @discardableResult
    static func write(_ bytes: [UInt8], _ name: String, in folder: URL) -> URL {
        let url = folder.appendingPathComponent(name)
        try! Data(bytes).write(to: url)
        return url
    }

    /// Writes `text` (UTF-8) to `folder/name` and returns its URL.
    @discardableResult
    static func write(_ text: String, _ name: String, in folder: URL) -> URL {
        write(Array(text.utf8), name, in: folder)
    }

    /// The ids of `text` as the pipeline encodes it (special-token text not parsed).
    static func ids(_ text: String) -> [Int32] {
        tokenizer.encode(text, parseSpecialTokens: false).map { Int32($0) }
    }

    /// All tokens of a dataset.
    static func tokens(_ dataset: PackedDataset) -> [Int32] { dataset.tokens(in: 0..<dataset.tokenCount) }

    /// `prepare` with the test tokenizer.
    static func prepare(_ files: [URL], _ options: PackingOptions, in directory: URL, threads: Int = 2,
                        chunkBytes: Int = TextData.defaultChunkBytes, readBlockBytes: Int = TextData.defaultReadBlockBytes,
                        report: (DataIssue) -> Void = { _ in }) throws
        -> (train: PackedDataset, validation: PackedDataset?, summary: DataSummary) {
        try TextData.prepare(files: files, tokenizer: tokenizer, eosTokenID: eos, options: options, directory: directory,
                             threads: threads, chunkBytes: chunkBytes, readBlockBytes: readBlockBytes, report: report)
    }
}
