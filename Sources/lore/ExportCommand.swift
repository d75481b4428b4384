import ArgumentParser
import Foundation
import Tensor
import Transformer

/// `lore export --model PATH --output PATH [--format hf|gguf] [--type …]`: converts a model
/// between a Hugging Face directory and a GGUF file.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save a model as a Hugging Face directory or a GGUF file.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case hf, gguf }

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: [.customShort("o"), .long], help: "The directory (hf) or .gguf file (gguf) to write.")
    var output: String
    @Option(name: .long, help: "hf (config.json, model.safetensors, tokenizer files) or gguf.")
    var format: Format = .hf
    @Option(name: .long, help: "Weight type: f32, f16, bf16 (hf); f32, f16, q8_0 (gguf).")
    var type = "f32"

    func validate() throws {
        let allowed = format == .hf ? ["f32", "f16", "bf16"] : ["f32", "f16", "q8_0"]
        guard allowed.contains(type) else {
            throw ValidationError("--type \(type) is not available for --format \(format.rawValue) (choose \(allowed.joined(separator: ", ")))")
        }
    }

    func run() throws {
        let loaded = try modelOptions.load()
        let url = URL(fileURLWithPath: output)
        switch format {
        case .hf:
            let dtype: SafetensorsDType = type == "f16" ? .f16 : type == "bf16" ? .bf16 : .f32
            try loaded.saveHuggingFaceDirectory(to: url, dtype: dtype)
        case .gguf:
            try loaded.saveGGUF(to: url, type: GGUFExportType(rawValue: type)!)
        }
        print("wrote \(output)")
    }
}
