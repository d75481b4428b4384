import ArgumentParser
import Evaluation
import Foundation

/// `lore plot RUN… [--tracking-dir DIR] [--metric KEY…] --output FILE.svg`: overlays metric
/// histories of runs in an MLflow store as an SVG line chart.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plot metric histories (e.g. train and validation loss) of runs as an SVG chart.")

    @Argument(help: "Run ids or run names in the store.")
    var runs: [String]
    @Option(name: .customLong("tracking-dir"), help: "The MLflow store.")
    var trackingDirectory = "mlruns"
    @Option(name: .customLong("metric"), help: "Metric keys to plot (repeatable; validation metrics are dashed).")
    var metrics: [String] = ["train/loss", "val/loss"]
    @Option(name: [.customShort("o"), .long], help: "The SVG file to write.")
    var output: String
    @Option(name: .long, help: "Chart title.")
    var title = "Loss"

    func run() throws {
        guard FileManager.default.fileExists(atPath: trackingDirectory) else {
            throw ValidationError("no MLflow store at \(trackingDirectory) (use --tracking-dir)")
        }
        let store = try MLflowStore(root: URL(fileURLWithPath: trackingDirectory))
        var plot = LinePlot(title: title, xLabel: "step", yLabel: metrics.count == 1 ? metrics[0] : "loss")
        for id in runs {
            let run = try store.run(id: id)
            for metric in metrics {
                let history = try run.metricHistory(metric)
                guard !history.isEmpty else { continue }
                plot.series.append(.init(name: "\(run.name.isEmpty ? run.runID.prefix(8) + "" : run.name) \(metric)",
                                         points: history.map { (Double($0.step), $0.value) },
                                         dashed: metric.hasPrefix("val") || metric.contains("/val") || metric.hasPrefix("eval")))
            }
        }
        guard !plot.series.isEmpty else { throw ValidationError("none of the runs has metrics \(metrics.joined(separator: ", "))") }
        try plot.svg().write(toFile: output, atomically: true, encoding: .utf8)
        print("wrote \(output) (\(plot.series.count) series)")
    }
}
