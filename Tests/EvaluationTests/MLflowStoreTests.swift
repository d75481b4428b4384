import Foundation
import Testing
@testable import Evaluation

@Suite struct MLflowStoreTests {
    func temporaryStore() throws -> (MLflowStore, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lore-mlruns-\(UUID().uuidString)")
        return (try MLflowStore(root: root), root)
    }

    func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    @Test func layoutFollowsMLflowsFileStore() throws {
        let (store, root) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let zero = try read(root.appendingPathComponent("0/meta.yaml"))
        #expect(zero.contains("name: 'Default'") && zero.contains("experiment_id: '0'") && zero.contains("lifecycle_stage: active"))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(".trash").path))

        let run = try store.startRun(experiment: "cpt", name: "smollm2 it's mine")
        #expect(run.runID.count == 32 && run.runID.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(Int(run.experimentID) != nil && run.experimentID != "0")
        try run.logParameter("lr", "0.0003")
        try run.logParameter("lr", "0.0003")   // the same value again is fine
        #expect(throws: MLflowError.parameterChanged(run: run.runID, key: "lr", old: "0.0003", new: "0.001")) {
            try run.logParameter("lr", "0.001")
        }
        try run.logMetric("train/loss", 2.5, step: 1, timestamp: 1_700_000_000_000)
        try run.logMetric("train/loss", 1e-05, step: 2, timestamp: 1_700_000_000_001)
        try run.logMetric("lr", .nan, step: 2, timestamp: 1_700_000_000_002)
        #expect(try read(run.folder.appendingPathComponent("metrics/train/loss")) == "1700000000000 2.5 1\n1700000000001 1e-05 2\n")
        #expect(try read(run.folder.appendingPathComponent("metrics/lr")) == "1700000000002 nan 2\n")
        #expect(try read(run.folder.appendingPathComponent("params/lr")) == "0.0003")
        #expect(try read(run.folder.appendingPathComponent("tags/mlflow.runName")) == "smollm2 it's mine")
        var meta = try read(run.folder.appendingPathComponent("meta.yaml"))
        #expect(meta.contains("status: 1") && meta.contains("end_time: null") && meta.contains("run_name: 'smollm2 it''s mine'"))
        #expect(meta.contains("run_id: \(run.runID)") && meta.contains("source_type: 4") && meta.contains("experiment_id: '\(run.experimentID)'"))
        try run.finish()
        meta = try read(run.folder.appendingPathComponent("meta.yaml"))
        #expect(meta.contains("status: 3") && !meta.contains("end_time: null"))
        for bad in ["", "../escape", "a/../b", "/abs", "semi;colon"] {
            #expect(throws: MLflowError.invalidKey(bad)) { try run.setTag(bad, "x") }
        }
        let file = root.appendingPathComponent("plot.svg")
        try "<svg/>".write(to: file, atomically: true, encoding: .utf8)
        try run.logArtifact(file, subfolder: "plots")
        #expect(try read(run.artifacts.appendingPathComponent("plots/plot.svg")) == "<svg/>")
    }

    /// Runs that start at once in the same new experiment share one experiment id.
    @Test func concurrentRunsShareOneExperiment() throws {
        let (_, root) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: root) }
        nonisolated(unsafe) var runs = [MLflowRun?](repeating: nil, count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let store = try! MLflowStore(root: root)   // each worker opens the store itself, as separate processes would
            runs[i] = try! store.startRun(experiment: "shared", name: "run \(i)")
        }
        #expect(Set(runs.map { $0!.experimentID }).count == 1)
        #expect(Set(runs.map { $0!.runID }).count == 8)
        #expect(try MLflowStore(root: root).experiments().map(\.name).sorted() == ["Default", "shared"])
    }

    /// A resumed run drops the points logged after its checkpoint and is RUNNING again.
    @Test func resumedRunDropsLaterPoints() throws {
        let (store, root) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try store.startRun(name: "resume")
        for step in 1...6 { try run.logMetric("loss", Double(step), step: step, timestamp: 1) }
        try run.finish(.killed)
        #expect(try read(run.folder.appendingPathComponent("meta.yaml")).contains("status: 5"))
        let reopened = try store.reopenRun(id: run.runID)
        try reopened.dropMetrics(after: 4)
        #expect(try read(run.folder.appendingPathComponent("metrics/loss")) == (1...4).map { "1 \(Double($0)) \($0)\n" }.joined())
        #expect(try read(run.folder.appendingPathComponent("meta.yaml")).contains("status: 1"))
        #expect(throws: MLflowError.self) { try store.reopenRun(id: "0123456789abcdef0123456789abcdef") }
    }
}

/// Writes a store for `Scripts/check_mlflow_store.py` (only when `LORE_DUMP_MLFLOW` names a folder).
@Suite struct MLflowStoreDump {
    static let folder = ProcessInfo.processInfo.environment["LORE_DUMP_MLFLOW"]

    @Test(.enabled(if: folder != nil, "set LORE_DUMP_MLFLOW=DIR to write the store read by Scripts/check_mlflow_store.py"))
    func dump() throws {
        let store = try MLflowStore(root: URL(fileURLWithPath: Self.folder!))
        for (name, status) in [("finished run", MLflowRunStatus.finished), ("killed run", .killed)] {
            let run = try store.startRun(experiment: "lore-check", name: name, tags: ["lore.kind": "check"])
            try run.logParameter("learning_rate", "0.0003")
            try run.logParameter("model", "SmolLM2-135M-Instruct")
            for step in 1...5 {
                try run.logMetric("train/loss", 3.0 / Double(step), step: step)
                try run.logMetric("learning_rate", 3e-4 * Double(step) / 5, step: step)
            }
            let plot = FileManager.default.temporaryDirectory.appendingPathComponent("loss-\(UUID().uuidString).svg")
            try "<svg xmlns='http://www.w3.org/2000/svg'/>".write(to: plot, atomically: true, encoding: .utf8)
            try run.logArtifact(plot, subfolder: "plots")
            try run.finish(status)
        }
    }
}
