import ArgumentParser
import Curation
import Foundation

/// `lore curate --input FILE… --output FILE [--config curate.json] [--rejects FILE] [--text-field NAME]`:
/// runs the `Curation` pipeline over JSONL (or `.txt`, one document per paragraph) files,
/// prints a summary table, and shows progress on long runs.
struct CurateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curate",
        abstract: "Clean, filter and deduplicate JSONL or text documents (every input field is kept).",
        discussion: """
        Stages (default config, preset "prose"): cleaning → exact dedup → heuristic filters → \
        MinHash fuzzy dedup. Malformed lines and removed documents go to the rejects file with \
        file, line, stage, reason and measured value. `--print-config` shows every key; a config \
        file names a preset and the keys that differ (see Documentation/Curation.md).
        """
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Input files: JSONL, or .txt (blank-line-separated paragraphs).")
    var input: [String] = []
    @Option(name: [.long, .short], help: "Output JSONL file.")
    var output: String?
    @Option(name: .long, help: "A JSON config file (a preset plus overrides).")
    var config: String?
    @Option(name: .long, help: "Start from this preset instead of the config file's: prose or nemo_web.")
    var preset: String?
    @Option(name: .long, help: "Rejects file (default: <output>.rejects.jsonl).")
    var rejects: String?
    @Option(name: .customLong("text-field"), help: "The JSONL field holding the text (default: text).")
    var textField: String?
    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?
    @Flag(name: .customLong("print-config"), help: "Print the effective config as JSON and exit.")
    var printConfig = false
    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let preset, CurationConfig.presets[preset] == nil {
            throw ValidationError("unknown --preset \(preset) (known: \(CurationConfig.presets.keys.sorted().joined(separator: ", ")))")
        }
        if !printConfig {
            if input.isEmpty { throw ValidationError("give at least one --input file") }
            if output == nil { throw ValidationError("give an --output file") }
        }
    }

    func run() throws {
        var settings = try effectiveConfig()
        if let textField { settings.textField = textField }
        if let threads { settings.threads = threads }
        if printConfig {
            print(settings.jsonText())
            return
        }
        guard let output else { return }
        let pipeline = try CurationPipeline(config: settings)
        let reporter = ProgressReporter(enabled: !quiet)
        let summary = try pipeline.run(inputs: input, output: output, rejects: rejects, progress: reporter.report)
        reporter.finish()
        print(summary.table)
    }

    /// The config file (or the default), with `--preset` as its starting point when given.
    func effectiveConfig() throws -> CurationConfig {
        guard let config else { return CurationConfig.presets[preset ?? "prose"]! }
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: config)))
        if let preset {
            // The flag wins over the file's own "preset" key.
            guard case .object(var object) = try JSONParser.parse(String(decoding: bytes, as: UTF8.self)) else {
                throw CurationError.invalidConfig(path: config, reason: "the config must be a JSON object")
            }
            object["preset"] = .string(preset)
            bytes = Array(JSONValue.object(object).serialized().utf8)
        }
        return try CurationConfig.decode(bytes, path: config)
    }
}

/// Progress on standard error: a line rewritten in place on a terminal, otherwise a plain line
/// every ten seconds and one per pass.
final class ProgressReporter {
    let enabled: Bool
    let terminal = isatty(STDERR_FILENO) == 1
    var lastPrint = Date.distantPast
    var lastPass = 0
    var wroteLiveLine = false

    init(enabled: Bool) { self.enabled = enabled }

    func report(_ progress: CurationProgress) {
        guard enabled else { return }
        let now = Date()
        if terminal {
            guard now.timeIntervalSince(lastPrint) >= 0.2 || progress.pass != lastPass else { return }
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + progress.line).utf8))
            wroteLiveLine = true
        } else {
            guard now.timeIntervalSince(lastPrint) >= 10 || progress.pass != lastPass else { return }
            FileHandle.standardError.write(Data((progress.line + "\n").utf8))
        }
        lastPrint = now
        lastPass = progress.pass
    }

    func finish() {
        if wroteLiveLine { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
