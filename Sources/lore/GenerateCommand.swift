import ArgumentParser
import Foundation
import Tensor
import Transformer

/// Options shared by the subcommands that load a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A .gguf file or a Hugging Face model directory (config.json + safetensors).")
    var model: String
    @Option(name: .long, help: "A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors), merged in at load.")
    var adapter: String?

    /// The model, with the adapter (if any) loaded and merged into its weights.
    func load() throws -> PretrainedModel {
        let loaded = try PretrainedModel.load(from: model)
        if let adapter {
            try loaded.model.loadLoRA(from: URL(fileURLWithPath: adapter))
            loaded.model.mergeLoRA()
            loaded.model.removeLoRA()
        }
        return loaded
    }
}

/// `lore generate --model PATH --prompt TEXT`: prints only the completion, streamed as it is
/// produced. Greedy unless `--temperature` is given.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a prompt (or answer it as a chat) with a model; prints only the completion.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .long, help: "The prompt text.")
    var prompt: String
    @Flag(name: .long, help: "Render the prompt as a user message with the model's chat template.")
    var chat = false
    @Option(name: .long, help: "A system message (with --chat).")
    var system: String?
    @Option(name: .customLong("max-tokens"), help: "At most this many new tokens.")
    var maxTokens = 256
    @Option(name: .long, help: "Sampling temperature; greedy when absent or 0.")
    var temperature: Float = 0
    @Option(name: .customLong("top-k"), help: "Keep only the k most likely tokens (0 = off).")
    var topK = 0
    @Option(name: .customLong("top-p"), help: "Nucleus sampling: keep the most likely tokens up to this probability mass.")
    var topP: Float = 1
    @Option(name: .customLong("min-p"), help: "Drop tokens below this fraction of the most likely token's probability.")
    var minP: Float = 0
    @Option(name: .customLong("repetition-penalty"), help: "CTRL repetition penalty (1 = off).")
    var repetitionPenalty: Float = 1
    @Option(name: .long, help: "Seed of the sampling draws.")
    var seed: UInt64 = 0
    @Option(name: .customLong("stop"), help: "Stop when the text contains this string (repeatable).")
    var stop: [String] = []
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be at least 0") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be at least 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0 && minP <= 1 else { throw ValidationError("--min-p must be in [0, 1]") }
        guard topK >= 0 else { throw ValidationError("--top-k must be at least 0") }
        guard repetitionPenalty > 0 else { throw ValidationError("--repetition-penalty must be positive") }
    }

    func run() throws {
        try compute.apply()
        let loaded = try modelOptions.load()
        guard let tokenizer = loaded.tokenizer else {
            throw ValidationError("\(loaded.path) has no tokenizer (a GGUF without tokenizer metadata, or a folder without tokenizer.json)")
        }
        let generator = TextGenerator(model: loaded.model, tokenizer: tokenizer)
        let options = GenerationOptions(
            maxNewTokens: maxTokens,
            sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                         repetitionPenalty: repetitionPenalty, seed: seed),
            stopStrings: stop)
        let output = FileHandle.standardOutput
        let stream: (String) -> Bool = { piece in output.write(Data(piece.utf8)); return true }
        if chat {
            _ = try generator.chat(prompt, system: system, options: options, onText: stream)
        } else {
            _ = generator.generate(prompt, options: options, onText: stream)
        }
        output.write(Data("\n".utf8))
    }
}
