import Foundation

/// Why training stopped with an error.
public enum TrainingError: Error, LocalizedError, Equatable {
    /// A hyper-parameter is out of range.
    case invalidConfiguration(String)
    /// Too many updates in a row had a NaN or infinite loss or gradient; the weights are those
    /// of the last good update and the newest checkpoint is intact.
    case nonFinite(step: Int, consecutive: Int, lastCheckpoint: String?)
    /// The data gave nothing to train on.
    case noTrainingData(String)

    public var errorDescription: String? {
        switch self {
        case .invalidConfiguration(let message): "invalid training configuration: \(message)"
        case .nonFinite(let step, let consecutive, let last):
            "stopped at step \(step): \(consecutive) updates in a row had a NaN or infinite loss or gradient (each was skipped) — lower the learning rate or check the data; "
                + (last.map { "the last good checkpoint is \($0)" } ?? "no checkpoint was written yet")
        case .noTrainingData(let message): "no training data: \(message)"
        }
    }
}
