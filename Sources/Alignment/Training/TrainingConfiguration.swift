import Foundation
import Transformer

/// The hyper-parameters of a training run; stored in every checkpoint's `trainer_state.json`
/// and logged as MLflow parameters.
///
/// Names and defaults follow Hugging Face's `TrainingArguments` where one exists
/// (`learning_rate`, `warmup_ratio`, `weight_decay`, `max_grad_norm`, `gradient_accumulation_steps`,
/// `save_total_limit`, …). A run is `steps` optimizer updates; each update sums the gradients of
/// `gradientAccumulation` micro-batches of `batchSize` packed sequences, divided by the number
/// of target tokens in all of them (so the loss is the mean over the window's tokens, not a
/// mean of means).
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    /// Optimizer updates to run (`max_steps`). When `epochs` is set, the trainer derives
    /// `steps = ceil(epochs · batchesPerEpoch / gradientAccumulation)` instead.
    public var steps: Int
    /// Passes over the training data (`num_train_epochs`), or `nil` to use `steps`.
    public var epochs: Double?
    /// Peak learning rate (`learning_rate`), default `2e-5` (TRL's SFT default; LoRA usually
    /// wants about 10× more, e.g. `2e-4`).
    public var learningRate: Float
    /// Linear warm-up as a fraction of `steps` (`warmup_ratio`), default 0.05.
    public var warmupRatio: Double
    /// The cosine decay ends at `learningRate · minimumLearningRateRatio` (default 0.1).
    public var minimumLearningRateRatio: Double
    /// Decoupled weight decay (default 0, as `TrainingArguments`). Applied to matrices only:
    /// biases and normalisation weights (parameters of rank 1) never decay, as in Hugging Face's
    /// `get_decay_parameter_names`.
    public var weightDecay: Float
    /// AdamW `(β₁, β₂)`, default `(0.9, 0.999)`.
    public var beta1: Float
    public var beta2: Float
    /// AdamW `ε`, default `1e-8`.
    public var epsilon: Float
    /// Packed sequences per micro-batch (default 4).
    public var batchSize: Int
    /// Micro-batches per optimizer update (default 1).
    public var gradientAccumulation: Int
    /// Global L2 norm the gradients are clipped to (`max_grad_norm`, default 1; 0 = no clipping).
    public var maxGradientNorm: Float
    /// Evaluate on the validation split every this many updates (and at the end); 0 = only at the end.
    public var evaluateEvery: Int
    /// At most this many validation batches per evaluation (`nil` = the whole split).
    public var evaluationBatches: Int?
    /// Write a checkpoint every this many updates (and at the end); 0 = only at the end.
    public var saveEvery: Int
    /// Keep the newest this many checkpoints (`save_total_limit`, default 2; at least 1).
    public var keepCheckpoints: Int
    /// Report progress every this many updates (default 1).
    public var logEvery: Int
    /// Seeds the data order, LoRA initialisation and dropout.
    public var seed: UInt64
    /// Train LoRA adapters instead of every weight (`nil` = full-parameter training).
    public var lora: LoRAConfiguration?
    /// Keep the token embedding fixed (with a tied output head, the head too).
    public var freezeEmbeddings: Bool
    /// Stop after this many consecutive steps with a non-finite loss or gradient (default 5).
    public var maximumConsecutiveNonFiniteSteps: Int
    /// Recompute each transformer block in the backward pass instead of keeping its
    /// activations (`gradient_checkpointing`, default `false`; see
    /// `CausalLanguageModel.gradientCheckpointing`): less memory for long sequences, about a
    /// third more compute, the same losses. May change on resume.
    public var gradientCheckpointing: Bool

    public init(
        steps: Int = 100, epochs: Double? = nil, learningRate: Float = 2e-5, warmupRatio: Double = 0.05,
        minimumLearningRateRatio: Double = 0.1, weightDecay: Float = 0, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, batchSize: Int = 4, gradientAccumulation: Int = 1, maxGradientNorm: Float = 1,
        evaluateEvery: Int = 0, evaluationBatches: Int? = nil, saveEvery: Int = 0, keepCheckpoints: Int = 2,
        logEvery: Int = 1, seed: UInt64 = 0, lora: LoRAConfiguration? = nil, freezeEmbeddings: Bool = false,
        maximumConsecutiveNonFiniteSteps: Int = 5, gradientCheckpointing: Bool = false
    ) {
        self.steps = steps
        self.epochs = epochs
        self.learningRate = learningRate
        self.warmupRatio = warmupRatio
        self.minimumLearningRateRatio = minimumLearningRateRatio
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.batchSize = batchSize
        self.gradientAccumulation = gradientAccumulation
        self.maxGradientNorm = maxGradientNorm
        self.evaluateEvery = evaluateEvery
        self.evaluationBatches = evaluationBatches
        self.saveEvery = saveEvery
        self.keepCheckpoints = keepCheckpoints
        self.logEvery = logEvery
        self.seed = seed
        self.lora = lora
        self.freezeEmbeddings = freezeEmbeddings
        self.maximumConsecutiveNonFiniteSteps = maximumConsecutiveNonFiniteSteps
        self.gradientCheckpointing = gradientCheckpointing
    }

    /// Decodes `trainer_state.json`'s configuration; `gradientCheckpointing` is optional
    /// (default `false`), so checkpoints written before it existed still resume.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        steps = try c.decode(Int.self, forKey: .steps)
        epochs = try c.decodeIfPresent(Double.self, forKey: .epochs)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        warmupRatio = try c.decode(Double.self, forKey: .warmupRatio)
        minimumLearningRateRatio = try c.decode(Double.self, forKey: .minimumLearningRateRatio)
        weightDecay = try c.decode(Float.self, forKey: .weightDecay)
        beta1 = try c.decode(Float.self, forKey: .beta1)
        beta2 = try c.decode(Float.self, forKey: .beta2)
        epsilon = try c.decode(Float.self, forKey: .epsilon)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        gradientAccumulation = try c.decode(Int.self, forKey: .gradientAccumulation)
        maxGradientNorm = try c.decode(Float.self, forKey: .maxGradientNorm)
        evaluateEvery = try c.decode(Int.self, forKey: .evaluateEvery)
        evaluationBatches = try c.decodeIfPresent(Int.self, forKey: .evaluationBatches)
        saveEvery = try c.decode(Int.self, forKey: .saveEvery)
        keepCheckpoints = try c.decode(Int.self, forKey: .keepCheckpoints)
        logEvery = try c.decode(Int.self, forKey: .logEvery)
        seed = try c.decode(UInt64.self, forKey: .seed)
        lora = try c.decodeIfPresent(LoRAConfiguration.self, forKey: .lora)
        freezeEmbeddings = try c.decode(Bool.self, forKey: .freezeEmbeddings)
        maximumConsecutiveNonFiniteSteps = try c.decode(Int.self, forKey: .maximumConsecutiveNonFiniteSteps)
        gradientCheckpointing = try c.decodeIfPresent(Bool.self, forKey: .gradientCheckpointing) ?? false
    }

    /// Checks ranges; throws ``TrainingError/invalidConfiguration(_:)`` naming the field.
    public func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw TrainingError.invalidConfiguration(message()) }
        }
        try require(steps >= 1 || epochs != nil, "steps must be at least 1 (got \(steps))")
        if let epochs { try require(epochs > 0 && epochs.isFinite, "epochs must be positive (got \(epochs))") }
        try require(learningRate >= 0 && learningRate.isFinite, "learning rate must be a finite number ≥ 0 (got \(learningRate))")
        try require(warmupRatio >= 0 && warmupRatio <= 1, "warmup ratio must lie in [0, 1] (got \(warmupRatio))")
        try require(minimumLearningRateRatio >= 0 && minimumLearningRateRatio <= 1,
                    "minimum learning-rate ratio must lie in [0, 1] (got \(minimumLearningRateRatio))")
        try require(weightDecay >= 0, "weight decay must be ≥ 0 (got \(weightDecay))")
        try require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "betas must lie in [0, 1) (got \(beta1), \(beta2))")
        try require(epsilon >= 0, "epsilon must be ≥ 0")
        try require(batchSize >= 1, "batch size must be at least 1 (got \(batchSize))")
        try require(gradientAccumulation >= 1, "gradient accumulation must be at least 1 (got \(gradientAccumulation))")
        try require(maxGradientNorm >= 0, "max gradient norm must be ≥ 0 (got \(maxGradientNorm))")
        try require(evaluateEvery >= 0 && saveEvery >= 0, "evaluate/save intervals must be ≥ 0")
        if let evaluationBatches { try require(evaluationBatches >= 1, "evaluation batches must be at least 1") }
        try require(keepCheckpoints >= 1, "keep at least 1 checkpoint (got \(keepCheckpoints))")
        try require(logEvery >= 1, "log interval must be at least 1")
        try require(maximumConsecutiveNonFiniteSteps >= 1, "the non-finite step limit must be at least 1")
        if let lora { try require(lora.rank >= 1, "LoRA rank must be at least 1 (got \(lora.rank))") }
    }

    /// Warm-up length in updates: `ceil(warmupRatio · steps)` (Hugging Face's `get_warmup_steps`).
    public func warmupSteps(total: Int) -> Int { Int((warmupRatio * Double(total)).rounded(.up)) }

    /// Every field as MLflow parameters (`snake_case` keys, Hugging Face's names where they exist).
    public var parameters: [String: String] {
        var p: [String: String] = [
            "max_steps": String(steps), "learning_rate": "\(learningRate)", "warmup_ratio": "\(warmupRatio)",
            "min_lr_ratio": "\(minimumLearningRateRatio)", "weight_decay": "\(weightDecay)",
            "adam_beta1": "\(beta1)", "adam_beta2": "\(beta2)", "adam_epsilon": "\(epsilon)",
            "per_device_train_batch_size": String(batchSize), "gradient_accumulation_steps": String(gradientAccumulation),
            "max_grad_norm": "\(maxGradientNorm)", "eval_steps": String(evaluateEvery), "save_steps": String(saveEvery),
            "save_total_limit": String(keepCheckpoints), "seed": String(seed), "freeze_embeddings": String(freezeEmbeddings),
            "lr_scheduler_type": "cosine_with_min_lr", "gradient_checkpointing": String(gradientCheckpointing),
        ]
        if let epochs { p["num_train_epochs"] = "\(epochs)" }
        if let lora {
            p["lora_r"] = String(lora.rank)
            p["lora_alpha"] = "\(lora.alpha)"
            p["lora_dropout"] = "\(lora.dropout)"
            p["lora_target_modules"] = lora.targetModules.joined(separator: ",")
        }
        return p
    }
}
