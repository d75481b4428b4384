// lore-bench: release-mode benchmarks. `swift run -c release lore-bench tensor`.
import Foundation

let usage = "usage: lore-bench tensor | autograd [line…] | tokenizer | quant | transformer [--peers] | train [--peers] [--profile] [train_tiny|train_small] | cpt | checkpointing | curation"
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "tensor":
    TensorBenchmarks.run()
case "autograd":
    AutogradBenchmarks.run(only: Set(arguments.dropFirst()))
case "tokenizer":
    TokenizerBenchmarks.run()
case "quant":
    QuantBenchmarks.run()
case "transformer":
    TransformerBenchmarks.run(Array(arguments.dropFirst()))
case "train":
    TrainingBenchmarks.run(peers: arguments.contains("--peers"), only: Set(arguments.dropFirst().filter { !$0.hasPrefix("--") }),
                           profile: arguments.contains("--profile"))
case "checkpointing":
    CheckpointingBenchmarks.run()
case "cpt":
    CPTBenchmarks.run(TransformerBenchmarks.smolLM2())
case "curation":
    CurationBenchmarks.run(Array(arguments.dropFirst()))
default:
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
