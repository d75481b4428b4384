import Alignment
import ArgumentParser
import Evaluation
import Foundation
import Tensor
import Transformer

/// `lore cpt --model PATH --data FILES… --output DIR`: continued pretraining on raw text.
struct CPT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpt",
        abstract: "Continued pretraining of a causal LM on text or JSONL ({\"text\"}) files, with checkpoints that resume.",
        discussion: """
            Writes <output>/data (token cache), <output>/checkpoint-<step> (the newest --keep), and at the \
            end <output>/model (Hugging Face directory; with LoRA the merged model) and <output>/adapter \
            (LoRA only, PEFT layout). Ctrl-C or SIGTERM writes a checkpoint and exits; --resume continues \
            exactly. Metrics go to an MLflow store (--tracking-dir); read it with \
            MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri file:./mlruns
            """)

    @Option(name: .long, help: "A .gguf file or a Hugging Face model directory.")
    var model: String
    @Option(name: .long, parsing: .upToNextOption, help: "Training files: .txt (blank-line-separated paragraphs) or .jsonl ({\"text\": …} per line).")
    var data: [String]
    @Option(name: [.customShort("o"), .long], help: "The output folder.")
    var output: String

    @Option(name: .long, help: "Optimizer updates (default 100 unless --epochs is given).")
    var steps: Int?
    @Option(name: .long, help: "Passes over the training data instead of --steps.")
    var epochs: Double?
    @Option(name: .long, help: "Peak learning rate (default 5e-5; 2e-4 with LoRA).")
    var lr: Float?
    @Option(name: .customLong("batch-size"), help: "Packed sequences per micro-batch.")
    var batchSize = 4
    @Option(name: .customLong("grad-accum"), help: "Micro-batches per update.")
    var gradientAccumulation = 1
    @Option(name: .customLong("seq-len"), help: "Tokens per packed sequence.")
    var sequenceLength = 512
    @Option(name: .customLong("warmup-ratio"), help: "Linear warm-up as a fraction of the updates.")
    var warmupRatio = 0.05
    @Option(name: .customLong("min-lr-ratio"), help: "The cosine decay ends at this fraction of the peak rate.")
    var minimumLearningRateRatio = 0.1
    @Option(name: .customLong("weight-decay"), help: "Decoupled weight decay on matrices.")
    var weightDecay: Float = 0
    @Option(name: .customLong("max-grad-norm"), help: "Clip the global gradient norm to this (0 = off).")
    var maxGradientNorm: Float = 1
    @Option(name: .customLong("lora-rank"), help: "Train LoRA adapters of this rank instead of all weights.")
    var loraRank: Int?
    @Option(name: .customLong("lora-alpha"), help: "LoRA alpha (default: 2 × rank).")
    var loraAlpha: Float?
    @Option(name: .customLong("lora-targets"), help: "Comma-separated projections to adapt, or all-linear (default: the family's q/v projections).")
    var loraTargets: String?
    @Option(name: .customLong("lora-dropout"), help: "Dropout on the adapters' input.")
    var loraDropout: Float = 0
    @Flag(name: .customLong("freeze-embeddings"), help: "Keep the token embedding (and a tied output head) fixed.")
    var freezeEmbeddings = false
    @Flag(name: .customLong("gradient-checkpointing"), help: "Recompute each block in the backward pass instead of keeping its activations: less memory for long sequences, about a third more compute, the same losses.")
    var gradientCheckpointing = false
    @Flag(name: .customLong("separate-documents"), help: "No attention across document boundaries inside a packed sequence.")
    var separateDocuments = false
    @Option(name: .customLong("validation-fraction"), help: "Share of documents held out for validation.")
    var validationFraction = 0.05
    @Option(name: .customLong("eval-every"), help: "Evaluate every N updates (0 = only at the end).")
    var evaluateEvery = 0
    @Option(name: .customLong("eval-batches"), help: "At most this many validation batches per evaluation.")
    var evaluationBatches: Int?
    @Option(name: .customLong("save-every"), help: "Checkpoint every N updates (0 = only at the end).")
    var saveEvery = 0
    @Option(name: .customLong("keep"), help: "Checkpoints to keep.")
    var keepCheckpoints = 2
    @Option(name: .long, help: "Seed of the data order, the split and the LoRA initialisation.")
    var seed: UInt64 = 0
    @Flag(name: .customLong("skip-bad-records"), help: "Report malformed records (file:line) and train on the rest instead of failing.")
    var skipBadRecords = false
    @Flag(name: .long, help: "Continue from the newest checkpoint in --output.")
    var resume = false
    @OptionGroup var tracking: TrackingOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        guard sequenceLength >= 2 else { throw ValidationError("--seq-len must be at least 2") }
        guard !data.isEmpty else { throw ValidationError("--data needs at least one file") }
        if let loraRank, loraRank < 1 { throw ValidationError("--lora-rank must be at least 1") }
    }

    func run() throws {
        try compute.apply()
        let started = Date()
        let printer = ProgressPrinter()
        let loaded = try PretrainedModel.load(from: model)
        guard let tokenizer = loaded.tokenizer else { throw ValidationError("\(model) has no tokenizer") }
        guard let eos = loaded.model.configuration.eosTokenIDs.first ?? tokenizer.eosTokenID else {
            throw ValidationError("\(model) names no end-of-sequence token to put between documents")
        }
        guard sequenceLength <= loaded.model.configuration.maxPositions else {
            throw ValidationError("--seq-len \(sequenceLength) exceeds the model's \(loaded.model.configuration.maxPositions) positions")
        }
        let outputURL = URL(fileURLWithPath: output)
        var issues = 0
        let prepared = try TextData.prepare(
            files: data.map { URL(fileURLWithPath: $0) }, tokenizer: tokenizer, eosTokenID: Int32(eos),
            options: PackingOptions(sequenceLength: sequenceLength, separateDocuments: separateDocuments,
                                    validationFraction: validationFraction, seed: seed,
                                    badRecords: skipBadRecords ? .skip : .fail),
            directory: outputURL.appendingPathComponent("data"),
            report: { issue in issues += 1; printer.print("skipped \(issue)") })
        let s = prepared.summary
        printer.print("data: \(s.documents) documents from \(s.files) file(s), \(s.trainTokens) training tokens in \(s.trainSequences) sequences of \(sequenceLength), \(s.validationSequences) validation sequences\(s.skippedRecords > 0 ? ", \(s.skippedRecords) bad records skipped" : "")")
        for note in s.notes { printer.print("note: \(note)") }

        var lora: LoRAConfiguration?
        if let loraRank {
            var c = LoRAConfiguration.defaults(for: loaded.model.configuration)
            c.rank = loraRank
            c.alpha = loraAlpha ?? Float(2 * loraRank)
            c.dropout = loraDropout
            if let loraTargets { c.targetModules = loraTargets.split(separator: ",").map { String($0) } }
            lora = c
        }
        let configuration = TrainingConfiguration(
            steps: steps ?? 100, epochs: epochs, learningRate: lr ?? (lora == nil ? 5e-5 : 2e-4), warmupRatio: warmupRatio,
            minimumLearningRateRatio: minimumLearningRateRatio, weightDecay: weightDecay, batchSize: batchSize,
            gradientAccumulation: gradientAccumulation, maxGradientNorm: maxGradientNorm, evaluateEvery: evaluateEvery,
            evaluationBatches: evaluationBatches, saveEvery: saveEvery, keepCheckpoints: keepCheckpoints, seed: seed,
            lora: lora, freezeEmbeddings: freezeEmbeddings, gradientCheckpointing: gradientCheckpointing)
        let trainer = try Trainer(model: loaded, train: prepared.train, validation: prepared.validation,
                                  configuration: configuration, output: outputURL, resume: resume,
                                  tracking: try tracking.store(), experiment: tracking.experiment, runName: tracking.runName)
        trainer.handlesSignals = true
        if let from = trainer.resumedFrom { printer.print("resuming from \(from.path) at step \(trainer.state.step)") }
        if let run = trainer.trackingRun { printer.print("tracking: run \(run.runID) in \(tracking.trackingDirectory)") }
        printer.print("training \(trainer.state.totalSteps) updates (\(lora.map { "LoRA rank \($0.rank) on \($0.targetModules.joined(separator: ","))" } ?? "all parameters"))")

        let result = try trainer.train { progress in
            printer.report(progress)
            return .continue
        }
        let memory = String(format: "%.2f GB", Double(result.peakMemoryBytes) / 1e9)
        let wall = Date().timeIntervalSince(started)
        var summary = String(format: "%d updates, %.0f training tokens/s, peak memory %@, wall time %.1f s", result.state.step,
                             result.tokensPerSecond, memory, wall)
        if let loss = result.validationLoss, let ppl = result.validationPerplexity {
            summary += String(format: ", validation loss %.4f (perplexity %.3f)", loss, ppl)
        }
        printer.print(summary)
        switch result.outcome {
        case .completed:
            printer.print("model: \(result.finalModel!.path)" + (result.adapter.map { "  adapter: \($0.path)" } ?? ""))
        case .stopped:
            printer.print("stopped; resume with --resume from \(result.lastCheckpoint?.path ?? output)")
        case .interrupted(let signal):
            printer.print("interrupted by signal \(signal); checkpoint \(result.lastCheckpoint?.path ?? "none"); resume with --resume")
            throw ExitCode(128 + signal)
        }
    }
}
