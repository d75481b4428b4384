import ArgumentParser
import Evaluation
import Foundation

/// Where a command logs its parameters and results: an MLflow file store (issue 9).
/// `--tracking-dir` (default `./mlruns`), `--experiment`, `--run-name`, or `--no-tracking`.
struct TrackingOptions: ParsableArguments {
    @Option(name: .customLong("tracking-dir"), help: "MLflow store to log into (read with MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri file:DIR).")
    var trackingDirectory = "mlruns"
    @Flag(name: .customLong("no-tracking"), help: "Do not log to an MLflow store.")
    var noTracking = false
    @Option(name: .long, help: "MLflow experiment name.")
    var experiment = "Default"
    @Option(name: .customLong("run-name"), help: "MLflow run name.")
    var runName: String?

    /// The store, or `nil` with `--no-tracking`.
    func store() throws -> MLflowStore? {
        noTracking ? nil : try MLflowStore(root: URL(fileURLWithPath: trackingDirectory))
    }

    /// Starts a run named `--run-name` (or `defaultName`) with `parameters`, or `nil` with `--no-tracking`.
    func startRun(defaultName: String, task: String, parameters: [String: String]) throws -> MLflowRun? {
        guard let store = try store() else { return nil }
        let run = try store.startRun(experiment: experiment, name: runName ?? defaultName, tags: ["lore.task": task])
        for (key, value) in parameters { try run.logParameter(key, value) }
        return run
    }
}
