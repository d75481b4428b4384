import Foundation
import Tensor

/// Everything besides the weights and the optimizer moments that a resumed run needs to
/// continue exactly: `trainer_state.json` in each checkpoint (Hugging Face's file name; the
/// fields are Lore's).
public struct TrainerState: Codable, Equatable, Sendable {
    /// Format version of this file (1).
    public var version = 1
    /// Optimizer updates done (`global_step`); the checkpoint holds the weights after them.
    public var step: Int
    /// The updates the run was asked for.
    public var totalSteps: Int
    /// Where the next training batch starts.
    public var dataPosition: DataPosition
    /// The generators of the model's dropout layers (LoRA dropout), by module name.
    public var dropoutGenerators: [String: SeededGenerator]
    /// Input tokens trained on so far.
    public var tokensSeen: Int
    /// Updates skipped because the loss or a gradient was NaN or infinite.
    public var skippedSteps: Int
    /// Skipped updates in a row at the end (reset by a good update).
    public var consecutiveNonFiniteSteps: Int
    /// Wall time spent training so far, in seconds (across resumes).
    public var trainingSeconds: Double
    /// The MLflow run this training logs into, reopened on resume.
    public var trackingRunID: String?
    /// The model the run started from (a path).
    public var baseModel: String
    /// The hyper-parameters.
    public var configuration: TrainingConfiguration
    /// One entry per logged update and per evaluation, oldest first (`log_history`).
    public var logHistory: [TrainingLogEntry]

    public init(step: Int = 0, totalSteps: Int, dataPosition: DataPosition = .init(),
                dropoutGenerators: [String: SeededGenerator] = [:], tokensSeen: Int = 0, skippedSteps: Int = 0,
                consecutiveNonFiniteSteps: Int = 0, trainingSeconds: Double = 0, trackingRunID: String? = nil,
                baseModel: String, configuration: TrainingConfiguration, logHistory: [TrainingLogEntry] = []) {
        self.step = step
        self.totalSteps = totalSteps
        self.dataPosition = dataPosition
        self.dropoutGenerators = dropoutGenerators
        self.tokensSeen = tokensSeen
        self.skippedSteps = skippedSteps
        self.consecutiveNonFiniteSteps = consecutiveNonFiniteSteps
        self.trainingSeconds = trainingSeconds
        self.trackingRunID = trackingRunID
        self.baseModel = baseModel
        self.configuration = configuration
        self.logHistory = logHistory
    }

    /// The training losses by step (skipped steps have none): the curve a resumed run must
    /// reproduce bit for bit.
    public var lossCurve: [(step: Int, loss: Float)] {
        logHistory.compactMap { e in e.loss.map { (e.step, $0) } }
    }

    /// Reads `trainer_state.json`.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CheckpointError.unreadable(path: url.path, reason: "no such file")
        }
        do { self = try JSONDecoder().decode(TrainerState.self, from: data) } catch {
            throw CheckpointError.unreadable(path: url.path, reason: "not a trainer state: \(error)")
        }
    }

    /// The JSON text (sorted keys, pretty-printed; floats in their shortest round-trip form).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}

/// One line of the training log: an update's loss, or an evaluation's result.
public struct TrainingLogEntry: Codable, Equatable, Sendable {
    /// The update this entry belongs to (1-based: the loss of the `step`-th update).
    public var step: Int
    /// Mean training loss of the update's tokens (`nil` for evaluation entries and skipped steps).
    public var loss: Float?
    /// The learning rate the update used.
    public var learningRate: Float?
    /// Global gradient L2 norm before clipping.
    public var gradientNorm: Float?
    /// Validation loss (mean over target tokens) and its exponential.
    public var validationLoss: Float?
    public var validationPerplexity: Float?
    /// Whether the update was skipped for a non-finite loss or gradient.
    public var skipped: Bool?

    public init(step: Int, loss: Float? = nil, learningRate: Float? = nil, gradientNorm: Float? = nil,
                validationLoss: Float? = nil, validationPerplexity: Float? = nil, skipped: Bool? = nil) {
        self.step = step
        self.loss = loss
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.validationLoss = validationLoss
        self.validationPerplexity = validationPerplexity
        self.skipped = skipped
    }
}
