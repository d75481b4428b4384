import ArgumentParser
import Evaluation
import Foundation
import Tensor
import Transformer

/// `lore eval <benchmark>`: evaluations of a model.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model.",
        subcommands: [Perplexity.self, Knowledge.self])

    /// `lore eval perplexity --model PATH --text FILE [--tokens N] [--context C]`.
    struct Perplexity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Perplexity of a text file: the first N tokens, in non-overlapping windows of C tokens.")

        @OptionGroup var modelOptions: ModelOptions
        @Option(name: .long, help: "A UTF-8 text file; the whole file is tokenized (no BOS added).")
        var text: String
        @Option(name: .long, help: "Score the first N tokens (default: all).")
        var tokens: Int?
        @Option(name: .long, help: "Window length in tokens; each window's first token is context only.")
        var context = 2048
        @OptionGroup var compute: ComputeOptions
        @OptionGroup var tracking: TrackingOptions

        func validate() throws {
            if let tokens { guard tokens >= 2 else { throw ValidationError("--tokens must be at least 2") } }
            guard context >= 2 else { throw ValidationError("--context must be at least 2") }
        }

        func run() throws {
            try compute.apply()
            let loaded = try modelOptions.load()
            guard let tokenizer = loaded.tokenizer else { throw ValidationError("\(loaded.path) has no tokenizer") }
            guard let data = FileManager.default.contents(atPath: text) else {
                throw ValidationError("cannot read \(text)")
            }
            var ids = tokenizer.encode(bytes: data, parseSpecialTokens: false).map(Int32.init)
            if let tokens { ids = Array(ids.prefix(tokens)) }
            guard ids.count >= 2 else { throw ValidationError("\(text) has fewer than 2 tokens") }
            let start = Date()
            let result = Evaluation.perplexity(of: ids, model: loaded.model, context: context)
            let seconds = Date().timeIntervalSince(start)
            if let run = try tracking.startRun(
                defaultName: "perplexity", task: "eval-perplexity",
                parameters: ["model": loaded.path, "text": text, "tokens": String(ids.count), "context": String(context)]) {
                try run.logMetric("perplexity", result.perplexity, step: 0)
                try run.logMetric("mean_nll", result.meanNegativeLogLikelihood, step: 0)
                try run.logMetric("tokens_per_second", Double(ids.count) / max(seconds, 1e-9), step: 0)
                try run.finish()
            }
            print(String(format: "perplexity %.4f  (mean NLL %.5f nats over %d predictions, %d tokens, %d window%@ of ≤ %d; %.1f s)",
                         result.perplexity, result.meanNegativeLogLikelihood, result.predictions, ids.count,
                         result.windows, result.windows == 1 ? "" : "s", context, seconds))
        }
    }
}
