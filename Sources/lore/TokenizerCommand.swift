import ArgumentParser
import Foundation
import Tokenizer

/// `lore tokenizer encode|decode --tokenizer FILE`: stdin to ids and back, through the
/// `Tokenizer` library. FILE is a `tokenizer.json`, a `.gguf`, an `encoder.json` (with
/// `vocab.bpe` beside it) or a folder holding one of them.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Encode text to token ids and decode ids to text.",
        subcommands: [Encode.self, Decode.self]
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
}
