import Autograd
import Evaluation
import Foundation
import Tensor
import Tokenizer
import Transformer

/// How a call to ``Trainer/train(progress:)`` ended.
public enum TrainingOutcome: Sendable, Equatable {
    /// All updates done; the final model is saved.
    case completed
    /// The progress callback asked to stop; a checkpoint of the last update was written.
    case stopped
    /// SIGINT or SIGTERM arrived (with ``Trainer/handlesSignals``); a checkpoint was written.
    case interrupted(signal: Int32)
}

/// The result of ``Trainer/train(progress:)``.
public struct TrainingResult: Sendable {
    public var outcome: TrainingOutcome
    /// The state after the last update (also in the newest checkpoint).
    public var state: TrainerState
    /// The newest checkpoint folder.
    public var lastCheckpoint: URL?
    /// The final model directory (`<output>/model`, Hugging Face layout; with LoRA, merged)
    /// and, with LoRA, the PEFT adapter (`<output>/adapter`). `nil` unless completed.
    public var finalModel: URL?
    public var adapter: URL?
    /// The last evaluation on the validation split, if any.
    public var validationLoss: Float?
    public var validationPerplexity: Float?
    /// Training input tokens per second in this process (evaluation and saving excluded).
    public var tokensPerSecond: Double
    /// The process's peak resident memory (`ru_maxrss`), in bytes.
    public var peakMemoryBytes: Int
}

/// Continued pretraining (and any causal-LM training on ``PackedDataset``s): AdamW with
/// decoupled weight decay on matrices, gradient accumulation, global-norm clipping, a cosine
/// schedule with linear warm-up, full-parameter or LoRA training, optional frozen embeddings,
/// periodic evaluation, crash-safe checkpoints that resume bit for bit, and guards against
/// NaN/Inf.
///
/// ```swift
/// let base = try PretrainedModel.load(from: "SmolLM2-135M-Instruct.gguf")
/// let data = try TextData.prepare(files: [corpus], tokenizer: base.tokenizer!, eosTokenID: 2,
///                                 options: .init(sequenceLength: 512), directory: out.appending(path: "data"))
/// let trainer = try Trainer(model: base, train: data.train, validation: data.validation,
///                           configuration: .init(steps: 200, learningRate: 1e-4), output: out)
/// let result = try trainer.train { progress in print(progress.line); return .continue }
/// ```
///
/// One update: for each of `gradientAccumulation` micro-batches, the cross-entropy of the
/// next-token logits summed over target tokens (`model.loss(…, reduction: .sum)`, head and loss
/// fused so the `[B·L, V]` logits are never stored) and divided by the target count of the whole
/// window → backward (gradients accumulate); then the global L2 norm `‖g‖` of the trainable
/// gradients is measured and, if finite, the gradients are scaled by `min(1, maxNorm/(‖g‖+1e-6))`
/// and AdamW steps with `lr = schedule(step)`. If the loss or `‖g‖` is NaN or infinite the update
/// is skipped (gradients dropped, weights untouched, counted in ``TrainerState/skippedSteps``);
/// after ``TrainingConfiguration/maximumConsecutiveNonFiniteSteps`` in a row training stops
/// with ``TrainingError/nonFinite(step:consecutive:lastCheckpoint:)`` without writing a checkpoint.
///
/// Determinism: the data order is a function of the seed and the position; every kernel splits
/// its work the same way on any thread count, and the checkpoint holds the weights (F32), the
/// AdamW moments and step counts, the data position and the dropout generators. With
/// `OPENBLAS_NUM_THREADS=1` (BLAS itself may split sums differently by thread count) a run
/// killed at any point and resumed produces the uninterrupted run's losses bit for bit.
public final class Trainer {
    public let model: any CausalLanguageModel
    public let tokenizer: Tokenizer?
    public let configuration: TrainingConfiguration
    public let output: URL
    public let train: PackedDataset
    public let validation: PackedDataset?
    /// The state after the updates done so far.
    public private(set) var state: TrainerState
    /// The checkpoint this trainer resumed from.
    public private(set) var resumedFrom: URL?
    /// Turn SIGINT/SIGTERM into a checkpoint and a clean stop (``SignalStop``). Default false
    /// (a library should not take over signals unasked); `lore cpt` sets it.
    public var handlesSignals = false
    /// Fault injection for crash tests; default from `LORE_FAULT` (``FaultPlan/fromEnvironment()``).
    public var faultPlan: FaultPlan? = FaultPlan.fromEnvironment() {
        didSet { faults = FaultInjector(faultPlan) }
    }
    /// The MLflow run logged into, if tracking.
    public private(set) var trackingRun: MLflowRun?

    private var faults: FaultInjector
    private var loader: BatchLoader
    private var decayed: AdamW
    private var undecayed: AdamW
    private let decayedParameters: [(name: String, parameter: Parameter)]
    private let undecayedParameters: [(name: String, parameter: Parameter)]
    private let schedule: CosineSchedule
    private let baseModelPath: String

    /// Prepares a run (or resumes one).
    ///
    /// - Parameters:
    ///   - model: the model to train, with its tokenizer (saved with full-parameter checkpoints).
    ///     Trained in place: LoRA adapters are added to it (or, on resume, loaded).
    ///   - train, validation: packed splits (``TextData/prepare(files:tokenizer:eosTokenID:options:directory:report:)``).
    ///   - configuration: hyper-parameters; on resume the checkpoint's configuration is used
    ///     (only `steps`/`epochs`, the evaluation/save/log intervals, `keepCheckpoints` and
    ///     `gradientCheckpointing` may change — anything else would break the exact
    ///     continuation and is an error). `gradientCheckpointing` is applied to the model.
    ///   - output: the output folder (checkpoints, final model).
    ///   - resume: continue from the newest complete checkpoint in `output`
    ///     (``CheckpointError/nothingToResume(output:)`` when there is none).
    ///   - tracking: an MLflow store to log parameters, metrics and the loss plot into; the run
    ///     id is kept in `trainer_state.json` and reopened on resume.
    ///   - experiment: the MLflow experiment (default `Default`, id 0).
    ///   - runName: the MLflow run name (default: the output folder's name).
    public init(model: PretrainedModel, train: PackedDataset, validation: PackedDataset?,
                configuration: TrainingConfiguration, output: URL, resume: Bool = false,
                tracking: MLflowStore? = nil, experiment: String = "Default", runName: String? = nil) throws {
        try configuration.validate()
        guard train.sequenceCount > 0 else { throw TrainingError.noTrainingData("the training split has no sequences") }
        let vocabulary = model.model.configuration.vocabularySize
        for split in [train, validation].compactMap({ $0 }) where Int(split.largestTokenID) >= vocabulary {
            throw TrainingError.invalidConfiguration("the data holds token id \(split.largestTokenID) but the model's vocabulary has \(vocabulary) entries — tokenize with the model's own tokenizer")
        }
        guard train.sequenceLength <= model.model.configuration.maxPositions else {
            throw TrainingError.invalidConfiguration("sequences of \(train.sequenceLength) tokens exceed the model's \(model.model.configuration.maxPositions) positions")
        }
        self.model = model.model
        self.tokenizer = model.tokenizer
        self.output = output
        self.train = train
        self.validation = validation
        self.baseModelPath = model.path
        faults = FaultInjector(FaultPlan.fromEnvironment())

        let folder = CheckpointFolder(output: output)
        folder.removeStaleStaging()
        var checkpointState: TrainerState?
        var checkpointURL: URL?
        if resume {
            guard let latest = folder.latest else { throw CheckpointError.nothingToResume(output: output.path) }
            checkpointURL = latest.url
            checkpointState = try TrainerState(contentsOf: latest.url.appendingPathComponent("trainer_state.json"))
        }
        var configuration = configuration
        if let saved = checkpointState?.configuration {
            try Trainer.checkResumable(saved: saved, requested: configuration, checkpoint: checkpointURL!.path)
            var merged = saved
            merged.steps = configuration.steps
            merged.epochs = configuration.epochs
            merged.evaluateEvery = configuration.evaluateEvery
            merged.evaluationBatches = configuration.evaluationBatches
            merged.saveEvery = configuration.saveEvery
            merged.keepCheckpoints = configuration.keepCheckpoints
            merged.logEvery = configuration.logEvery
            merged.gradientCheckpointing = configuration.gradientCheckpointing
            configuration = merged
        }
        self.configuration = configuration
        model.model.gradientCheckpointing = configuration.gradientCheckpointing

        // Weights: LoRA adapters or full parameters; frozen embeddings.
        var generator = SeededGenerator(seed: configuration.seed)
        if let lora = configuration.lora {
            if let checkpointURL {
                let saved = try Trainer.wrapRead(checkpointURL) { try model.model.loadLoRA(from: checkpointURL) }
                guard saved.rank == lora.rank, saved.targetModules == lora.targetModules else {
                    throw CheckpointError.mismatch(path: checkpointURL.path, reason: "its adapter has rank \(saved.rank) on \(saved.targetModules)")
                }
            } else {
                model.model.addLoRA(lora, using: &generator)
            }
        } else if let checkpointURL {
            let weights = checkpointURL.appendingPathComponent("model.safetensors")
            try Trainer.wrapRead(weights) { try model.model.load(from: weights) }
        }
        if configuration.freezeEmbeddings {
            for (name, parameter) in model.model.namedParameters()
            where name == "model.embed_tokens.weight" || name == "transformer.wte.weight" {
                parameter.requiresGradient = false
            }
        }
        let trainable = model.model.trainableParameters()
        guard !trainable.isEmpty else { throw TrainingError.invalidConfiguration("no parameter is trainable") }
        decayedParameters = trainable.filter { $0.parameter.value.rank >= 2 }
        undecayedParameters = trainable.filter { $0.parameter.value.rank < 2 }
        decayed = AdamW(learningRate: configuration.learningRate, betas: (configuration.beta1, configuration.beta2),
                        epsilon: configuration.epsilon, weightDecay: configuration.weightDecay)
        undecayed = AdamW(learningRate: configuration.learningRate, betas: (configuration.beta1, configuration.beta2),
                          epsilon: configuration.epsilon, weightDecay: 0)

        let loader = BatchLoader(dataset: train, batchSize: configuration.batchSize, seed: configuration.seed)
        let totalSteps: Int
        if let epochs = configuration.epochs {
            totalSteps = max(1, Int((epochs * Double(loader.batchesPerEpoch) / Double(configuration.gradientAccumulation)).rounded(.up)))
        } else {
            totalSteps = configuration.steps
        }
        schedule = CosineSchedule(peak: configuration.learningRate, warmupSteps: configuration.warmupSteps(total: totalSteps),
                                  totalSteps: totalSteps, minimumRatio: configuration.minimumLearningRateRatio)

        if var saved = checkpointState, let checkpointURL {
            saved.totalSteps = totalSteps
            saved.configuration = configuration
            state = saved
            self.loader = BatchLoader(dataset: train, batchSize: configuration.batchSize, seed: configuration.seed,
                                      position: saved.dataPosition)
            let optimizerURL = checkpointURL.appendingPathComponent("optimizer.safetensors")
            let optimizerState = try Trainer.wrapRead(optimizerURL) { try OptimizerState(contentsOf: optimizerURL) }
            try Trainer.wrapRead(optimizerURL) {
                try decayed.restore(Trainer.subset(optimizerState, decayedParameters, weightDecay: nil),
                                    for: decayedParameters, source: optimizerURL.path)
                try undecayed.restore(Trainer.subset(optimizerState, undecayedParameters, weightDecay: 0),
                                      for: undecayedParameters, source: optimizerURL.path)
            }
            for (name, adapter) in model.model.loraAdapters {
                if let dropout = adapter.dropout, let g = saved.dropoutGenerators[name] { dropout.generator = g }
            }
            resumedFrom = checkpointURL
        } else {
            state = TrainerState(totalSteps: totalSteps, baseModel: model.path, configuration: configuration)
            self.loader = loader
        }

        if let tracking {
            if let id = state.trackingRunID, let run = try? tracking.reopenRun(id: id) {
                try run.dropMetrics(after: state.step)
                trackingRun = run
            } else {
                let run = try tracking.startRun(experiment: experiment, name: runName ?? output.lastPathComponent,
                                                tags: ["lore.task": "cpt", "lore.output": output.path])
                state.trackingRunID = run.runID
                trackingRun = run
            }
        }
    }

    // MARK: Training

    /// Runs the remaining updates.
    ///
    /// - Parameter progress: called after every `logEvery`-th update, each evaluation and each
    ///   checkpoint; return ``TrainingControl/stop`` to stop (a checkpoint is written first).
    /// - Returns: how it ended, the final state and the paths written.
    /// - Throws: ``TrainingError`` (non-finite values), ``CheckpointError`` (a failed write; the
    ///   previous checkpoint stays valid) or a tracking error.
    public func train(progress: (TrainingProgress) -> TrainingControl = { _ in .continue }) throws -> TrainingResult {
        if handlesSignals { SignalStop.install() }
        try logParameters()
        let folder = CheckpointFolder(output: output)
        var lastCheckpoint = resumedFrom
        var lastSavedStep = resumedFrom == nil ? -1 : state.step
        var processTokens = 0
        var processSeconds = 0.0
        var lastValidation: (loss: Float, perplexity: Float)?
        var outcome = TrainingOutcome.completed
        var finalModel: URL?, adapter: URL?
        let trainable = decayedParameters + undecayedParameters

        func report(_ event: TrainingProgress.Event, loss: Float?, gradient: Float?, validation: (Float, Float)?) -> TrainingControl {
            let rate = processSeconds > 0 ? Double(processTokens) / processSeconds : 0
            let perStep = state.step > 0 ? state.trainingSeconds / Double(state.step) : 0
            let epoch = Double(state.dataPosition.epoch)
                + Double(state.dataPosition.offset) / Double(max(1, train.sequenceCount))
            return progress(TrainingProgress(
                event: event, step: state.step, totalSteps: state.totalSteps, loss: loss,
                learningRate: schedule.learningRate(atStep: max(0, state.step - 1)), gradientNorm: gradient,
                validationLoss: validation?.0, validationPerplexity: validation?.1, tokensPerSecond: rate,
                elapsed: state.trainingSeconds, remaining: state.step > 0 ? perStep * Double(state.totalSteps - state.step) : nil,
                epoch: epoch, skippedSteps: state.skippedSteps))
        }

        func checkpoint() throws {
            guard lastSavedStep != state.step else { return }
            let url = try writeCheckpoint(folder)
            lastCheckpoint = url
            lastSavedStep = state.step
            _ = report(.checkpoint(url), loss: nil, gradient: nil, validation: nil)
        }

        do {
            model.train()
            while state.step < state.totalSteps {
                if handlesSignals, SignalStop.signal != 0 {
                    outcome = .interrupted(signal: SignalStop.signal)
                    break
                }
                let started = Date()
                let learningRate = schedule.learningRate(atStep: state.step)
                decayed.learningRate = learningRate
                undecayed.learningRate = learningRate
                let batches = (0..<configuration.gradientAccumulation).map { _ in loader.next() }
                let targets = batches.reduce(0) { $0 + $1.targetCount }
                var loss = 0.0
                for batch in batches where batch.targetCount > 0 {
                    let value = valueAndGradient {
                        model.loss(batch.input, targets: batch.targets, reduction: .sum) / Float(targets)
                    }
                    loss += Double(value.scalar)
                    if faults.arrive(.loss) == .nan { loss = .nan }
                }
                let norm = clipGradientNorm(trainable, maxNorm: configuration.maxGradientNorm > 0 ? configuration.maxGradientNorm : .infinity)
                let finite = loss.isFinite && norm.isFinite && targets > 0
                if finite {
                    decayed.step(decayedParameters)
                    undecayed.step(undecayedParameters)
                    state.consecutiveNonFiniteSteps = 0
                } else {
                    state.skippedSteps += 1
                    state.consecutiveNonFiniteSteps += 1
                }
                model.zeroGradients()
                state.step += 1
                state.dataPosition = loader.position
                let tokens = batches.reduce(0) { $0 + $1.input.ids.count }
                state.tokensSeen += tokens
                let seconds = Date().timeIntervalSince(started)
                state.trainingSeconds += seconds
                processTokens += tokens
                processSeconds += seconds
                state.dropoutGenerators = dropoutGenerators()

                let lossValue: Float? = finite ? Float(loss) : nil
                state.logHistory.append(TrainingLogEntry(step: state.step, loss: lossValue, learningRate: learningRate,
                                                         gradientNorm: norm.isFinite ? norm : nil, skipped: finite ? nil : true))
                if let run = trackingRun {
                    if let lossValue { try run.logMetric("train/loss", Double(lossValue), step: state.step) }
                    try run.logMetric("train/learning_rate", Double(learningRate), step: state.step)
                    if norm.isFinite { try run.logMetric("train/grad_norm", Double(norm), step: state.step) }
                    try run.logMetric("train/tokens_per_second", Double(tokens) / max(seconds, 1e-9), step: state.step)
                }
                if !finite && state.consecutiveNonFiniteSteps >= configuration.maximumConsecutiveNonFiniteSteps {
                    try? trackingRun?.finish(.failed)
                    throw TrainingError.nonFinite(step: state.step, consecutive: state.consecutiveNonFiniteSteps,
                                                  lastCheckpoint: lastCheckpoint?.path)
                }
                var control = TrainingControl.continue
                if state.step % configuration.logEvery == 0 || state.step == state.totalSteps || !finite {
                    control = report(.step, loss: lossValue, gradient: norm, validation: nil)
                }
                faults.arrive(.stepEnd)

                let last = state.step == state.totalSteps
                if configuration.evaluateEvery > 0 && state.step % configuration.evaluateEvery == 0 || last,
                   let result = evaluate() {
                    lastValidation = result
                    state.logHistory.append(TrainingLogEntry(step: state.step, validationLoss: result.loss,
                                                             validationPerplexity: result.perplexity))
                    try trackingRun?.logMetric("val/loss", Double(result.loss), step: state.step)
                    try trackingRun?.logMetric("val/perplexity", Double(result.perplexity), step: state.step)
                    if report(.evaluation, loss: nil, gradient: nil, validation: result) == .stop { control = .stop }
                }
                if configuration.saveEvery > 0 && state.step % configuration.saveEvery == 0 || last {
                    try checkpoint()
                }
                if control == .stop {
                    outcome = .stopped
                    break
                }
            }
            if outcome != .completed { try checkpoint() }
            if outcome == .completed { (finalModel, adapter) = try saveFinal() }
            try finishTracking(outcome: outcome)
        } catch {
            if case TrainingError.nonFinite = error {} else { try? trackingRun?.finish(.failed) }
            throw error
        }
        return TrainingResult(outcome: outcome, state: state, lastCheckpoint: lastCheckpoint, finalModel: finalModel,
                              adapter: adapter, validationLoss: lastValidation?.loss,
                              validationPerplexity: lastValidation?.perplexity,
                              tokensPerSecond: processSeconds > 0 ? Double(processTokens) / processSeconds : 0,
                              peakMemoryBytes: peakResidentMemory())
    }

    /// Mean cross-entropy per target token on the validation split (at most
    /// `evaluationBatches` batches of `batchSize`) and its exponential, without gradients and
    /// with dropout off; `nil` without a validation split.
    public func evaluate() -> (loss: Float, perplexity: Float)? {
        guard let validation, validation.sequenceCount > 0 else { return nil }
        model.eval()
        defer { model.train() }
        let batches = validation.batches(size: configuration.batchSize).prefix(configuration.evaluationBatches ?? Int.max)
        var total = 0.0
        var count = 0
        withoutGradient {
            for batch in batches where batch.targetCount > 0 {
                total += Double(model.loss(batch.input, targets: batch.targets, reduction: .sum).value.scalar)
                count += batch.targetCount
            }
        }
        guard count > 0 else { return nil }
        let loss = Float(total / Double(count))
        return (loss, Float(exp(Double(loss))))
    }

    // MARK: Checkpoints and saving

    private func writeCheckpoint(_ folder: CheckpointFolder) throws -> URL {
        let optimizer = Trainer.combine(decayed.state, undecayed.state)
        return try folder.write(step: state.step, keep: configuration.keepCheckpoints, writeWeights: { url in
            if let lora = configuration.lora {
                try model.saveLoRA(to: url, configuration: lora, baseModel: baseModelPath)
            } else {
                try PretrainedModel(model: model, tokenizer: tokenizer, path: baseModelPath).saveHuggingFaceDirectory(to: url)
            }
        }, optimizer: optimizer, state: state, faults: faults)
    }

    /// The final model: `<output>/model` (Hugging Face directory; with LoRA the adapters are
    /// merged into a copy of the weights) and, with LoRA, `<output>/adapter` (PEFT).
    private func saveFinal() throws -> (URL, URL?) {
        let modelURL = output.appendingPathComponent("model")
        let pretrained = PretrainedModel(model: model, tokenizer: tokenizer, path: baseModelPath)
        var adapterURL: URL?
        do {
            try faults.failWrite(at: .finalSave, file: modelURL)
            if let lora = configuration.lora {
                let url = output.appendingPathComponent("adapter")
                try? FileManager.default.removeItem(at: url)
                try model.saveLoRA(to: url, configuration: lora, baseModel: baseModelPath)
                adapterURL = url
                model.mergeLoRA()
                defer { model.unmergeLoRA() }
                try pretrained.saveHuggingFaceDirectory(to: modelURL)
            } else {
                try pretrained.saveHuggingFaceDirectory(to: modelURL)
            }
        } catch let error as CheckpointError { throw error } catch {
            throw CheckpointError.writeFailed(path: modelURL.path, reason: describe(error))
        }
        let summary: [String: Any] = [
            "global_step": state.step, "train_tokens": state.tokensSeen, "train_runtime": state.trainingSeconds,
            "skipped_steps": state.skippedSteps,
            "train_loss": state.lossCurve.last.map { Double($0.loss) } ?? NSNull(),
            "eval_loss": state.logHistory.last(where: { $0.validationLoss != nil })?.validationLoss.map { Double($0) } ?? NSNull(),
        ]
        try? JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
            .write(to: output.appendingPathComponent("train_results.json"))
        return (modelURL, adapterURL)
    }

    /// Logs the hyper-parameters once, when the run starts (MLflow parameters cannot change;
    /// a resumed run only gets a `lore.resumed_from` tag).
    private func logParameters() throws {
        guard let run = trackingRun else { return }
        if let resumedFrom {
            try run.setTag("lore.resumed_from", resumedFrom.path)
            return
        }
        for (key, value) in configuration.parameters { try run.logParameter(key, value) }
        try run.logParameter("base_model", baseModelPath)
        try run.logParameter("total_steps", String(state.totalSteps))
        try run.logParameter("sequence_length", String(train.sequenceLength))
        try run.logParameter("train_sequences", String(train.sequenceCount))
        try run.logParameter("validation_sequences", String(validation?.sequenceCount ?? 0))
        try run.logParameter("trainable_parameters", String(decayedParameters.reduce(0) { $0 + $1.parameter.value.count }
            + undecayedParameters.reduce(0) { $0 + $1.parameter.value.count }))
    }

    /// Ends the MLflow run: FINISHED with the loss plot as an artifact, or KILLED when stopped
    /// early (a resumed run reopens it and sets it running again).
    private func finishTracking(outcome: TrainingOutcome) throws {
        guard let run = trackingRun else { return }
        var plot = LinePlot(title: "Loss — \(run.name)", xLabel: "step", yLabel: "loss")
        let train = state.lossCurve.map { (x: Double($0.step), y: Double($0.loss)) }
        if !train.isEmpty { plot.series.append(.init(name: "train/loss", points: train)) }
        let validation = state.logHistory.compactMap { e in e.validationLoss.map { (x: Double(e.step), y: Double($0)) } }
        if !validation.isEmpty { plot.series.append(.init(name: "val/loss", points: validation, dashed: true)) }
        if !plot.series.isEmpty {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-plot-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("loss.svg")
            try plot.svg().write(to: file, atomically: true, encoding: .utf8)
            try run.logArtifact(file)
        }
        try run.finish(outcome == .completed ? .finished : .killed)
    }

    // MARK: Helpers

    private func dropoutGenerators() -> [String: SeededGenerator] {
        var result: [String: SeededGenerator] = [:]
        for (name, adapter) in model.loraAdapters { if let d = adapter.dropout { result[name] = d.generator } }
        return result
    }

    /// One optimizer file for both parameter groups: their tensors, the decayed group's
    /// hyper-parameters, and every parameter's step count.
    static func combine(_ a: OptimizerState, _ b: OptimizerState) -> OptimizerState {
        var combined = a
        combined.tensors.merge(b.tensors) { x, _ in x }
        combined.metadata.merge(b.metadata.filter { $0.key.hasSuffix(".step") }) { x, _ in x }
        return combined
    }

    /// The part of a combined state that belongs to `parameters` (with `weightDecay` overriding
    /// the stored value when given).
    static func subset(_ state: OptimizerState, _ parameters: [(name: String, parameter: Parameter)],
                       weightDecay: Float?) -> OptimizerState {
        let names = Set(parameters.map(\.name))
        var subset = state
        subset.tensors = state.tensors.filter { key, _ in
            names.contains(where: { key == $0 + ".exp_avg" || key == $0 + ".exp_avg_sq" })
        }
        if let weightDecay { subset.metadata["weight_decay"] = "\(weightDecay)" }
        return subset
    }

    /// Resuming with other hyper-parameters would not continue the same run.
    static func checkResumable(saved: TrainingConfiguration, requested: TrainingConfiguration, checkpoint: String) throws {
        var a = saved, b = requested
        for c in [\TrainingConfiguration.evaluateEvery, \.saveEvery, \.keepCheckpoints, \.logEvery, \.steps] {
            a[keyPath: c] = 0
            b[keyPath: c] = 0
        }
        a.epochs = nil; b.epochs = nil
        a.evaluationBatches = nil; b.evaluationBatches = nil
        // Recomputing activations changes memory and time, not a single value.
        a.gradientCheckpointing = false; b.gradientCheckpointing = false
        guard a == b else {
            throw CheckpointError.mismatch(path: checkpoint, reason: "it was trained with other hyper-parameters (\(differences(a, b))); resume with the same options, or start a new output folder")
        }
    }

    private static func differences(_ a: TrainingConfiguration, _ b: TrainingConfiguration) -> String {
        let pa = a.parameters, pb = b.parameters
        let keys = Set(pa.keys).union(pb.keys).filter { pa[$0] != pb[$0] }.sorted()
        return keys.map { "\($0): \(pa[$0] ?? "none") → \(pb[$0] ?? "none")" }.joined(separator: ", ")
    }

    static func wrapRead<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as CheckpointError { throw error } catch {
            throw CheckpointError.unreadable(path: url.path, reason: describe(error))
        }
    }
}

/// The process's peak resident set size in bytes (`getrusage`, Linux reports KiB).
public func peakResidentMemory() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
}
