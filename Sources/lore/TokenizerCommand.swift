import ArgumentParser
import Foundation
import Tokenizer

/// `lore tokenizer encode|decode --tokenizer FILE`: stdin to ids and back, through the
/// `Tokenizer` library. FILE is a `tokenizer.json`, a `.gguf`, an `encoder.json` (with
/// `vocab.bpe` beside it) or a folder holding one of them.
/// `lore tokenizer train --vocab-size N --output DIR FILES…` trains a byte-level BPE and saves it.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Encode text to token ids, decode ids to text, or train a tokenizer.",
        subcommands: [Encode.self, Decode.self, Train.self]
    )

    struct Options: ParsableArguments {
        @Option(name: .long, help: "A tokenizer.json, .gguf, encoder.json, or a folder holding one.")
        var tokenizer: String

        func load() throws -> Tokenizer { try Tokenizer(contentsOf: URL(fileURLWithPath: tokenizer)) }
    }

    /// Reads stdin as bytes (CRLF and invalid UTF-8 kept) and prints the ids, space-separated.
    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read stdin as bytes; print token ids separated by spaces.")
        @OptionGroup var options: Options
        @Flag(name: .customLong("no-special"), help: "Treat special tokens such as <|im_end|> in the input as plain text.")
        var noSpecial = false

        func run() throws {
            let tokenizer = try options.load()
            let bytes = FileHandle.standardInput.readDataToEndOfFile()
            let ids = tokenizer.encode(bytes: bytes, parseSpecialTokens: !noSpecial)
            print(ids.map(String.init).joined(separator: " "))
        }
    }

    /// Reads whitespace-separated ids from stdin and writes their bytes to stdout unchanged.
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read token ids from stdin; write the decoded bytes.")
        @OptionGroup var options: Options
        @Flag(name: .customLong("skip-special"), help: "Leave special tokens out of the output.")
        var skipSpecial = false

        func run() throws {
            let tokenizer = try options.load()
            let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            var ids: [Int] = []
            for word in text.split(whereSeparator: { $0.isWhitespace }) {
                guard let id = Int(word), id >= 0, id < tokenizer.vocabularySize else {
                    throw ValidationError("'\(word)' is not a token id in 0..<\(tokenizer.vocabularySize)")
                }
                ids.append(id)
            }
            FileHandle.standardOutput.write(Data(tokenizer.decode(ids, skipSpecialTokens: skipSpecial)))
        }
    }

    /// Trains a byte-level BPE on text files (read as bytes) and saves `tokenizer.json` and
    /// `tokenizer_config.json` into the output folder.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Train a byte-level BPE tokenizer on text files and save it as a Hugging Face folder.")
        @Option(name: .customLong("vocab-size"), help: "Total ids: special tokens + 256 bytes + merges.")
        var vocabSize: Int
        @Option(name: .customLong("min-frequency"), help: "Smallest pair count still merged.")
        var minFrequency = 2
        @Option(name: .customLong("special"), parsing: .upToNextOption, help: "Special tokens, given the first ids.")
        var special: [String] = []
        @Option(name: .customLong("pre-tokenizer"), help: "gpt2, llama3, smollm or whitespace.")
        var preTokenizer = "gpt2"
        @Option(name: .long, help: "Output folder.")
        var output: String
        @Argument(help: "Text files to train on.")
        var files: [String]

        func validate() throws {
            guard vocabSize >= 256 + special.count else {
                throw ValidationError("--vocab-size must be at least 256 + the number of special tokens (\(256 + special.count))")
            }
            guard PreTokenizer(rawValue: preTokenizer) != nil else {
                throw ValidationError("--pre-tokenizer must be one of \(PreTokenizer.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !files.isEmpty else { throw ValidationError("give at least one text file") }
        }

        func run() throws {
            var documents: [[UInt8]] = []
            for file in files {
                do { documents.append(Array(try Data(contentsOf: URL(fileURLWithPath: file)))) } catch {
                    throw ValidationError("cannot read \(file): \(error.localizedDescription)")
                }
            }
            let trainer = BPETrainer(vocabularySize: vocabSize, minimumFrequency: minFrequency, specialTokens: special,
                                     preTokenizer: PreTokenizer(rawValue: preTokenizer)!)
            let start = Date()
            let tokenizer = trainer.train(documents: documents)
            let seconds = Date().timeIntervalSince(start)
            try tokenizer.save(to: URL(fileURLWithPath: output))
            let bytes = documents.reduce(0) { $0 + $1.count }
            print("trained \(tokenizer.vocabularySize) tokens (\(tokenizer.mergePairs.count) merges) on \(bytes) bytes in "
                  + String(format: "%.2f", seconds) + " s; saved \(output)/tokenizer.json")
        }
    }
}
