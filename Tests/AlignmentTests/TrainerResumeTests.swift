import Alignment
import Autograd
import Evaluation
import Foundation
import Testing
import Tensor
import Transformer
import _TestSupport

/// Crash safety: a run killed with SIGKILL at named points (see ``FaultPoint``) and resumed
/// has the uninterrupted run's loss curve bit for bit; SIGTERM checkpoints and stops; a full
/// disk leaves the previous checkpoint valid; NaN steps are skipped, then stop the run.
@Suite(.serialized) struct TrainerResumeTests {
    /// The uninterrupted run's log (computed once per process).
    static let reference: [String] = {
        let folder = TinyTraining.folder("reference")
        defer { try? FileManager.default.removeItem(at: folder) }
        return TinyTraining.curve(try! TinyTraining.run(in: folder).state)
    }()

    static let loraReference: [String] = {
        let folder = TinyTraining.folder("reference-lora")
        defer { try? FileManager.default.removeItem(at: folder) }
        return TinyTraining.curve(try! TinyTraining.run(in: folder, lora: loraConfiguration).state)
    }()

    static let loraConfiguration = LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "v_proj", "down_proj"])

    /// Metric lines without timestamps, per key, as the resumed store holds them.
    static func metrics(_ folder: URL) throws -> [String: [String]] {
        let store = try MLflowStore(root: folder.appendingPathComponent("mlruns"))
        let run = try store.run(id: "tiny")
        var result: [String: [String]] = [:]
        for key in ["train/loss", "train/learning_rate", "val/loss"] {
            result[key] = try run.metricHistory(key).map { "\($0.step) \($0.value)" }
        }
        return result
    }

    @Test(arguments: ["step.end@3", "checkpoint.write@2", "checkpoint.before-rename@2", "checkpoint.after-rename@3", "final.save@1"])
    func killedRunResumesBitForBit(fault: String) async throws {
        let folder = TinyTraining.folder("kill")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.path
        await #expect(processExitsWith: .signal(SIGKILL)) { [path = path as String, fault = fault as String] in
            setenv("LORE_FAULT", fault + ":kill", 1)
            _ = try TinyTraining.run(in: URL(fileURLWithPath: path))
        }
        let resumed = try TinyTraining.run(in: folder, resume: true)
        #expect(resumed.outcome == .completed)
        #expect(TinyTraining.curve(resumed.state) == Self.reference, "killed at \(fault)")
        // No staging folder survives, the newest two checkpoints are kept, the final model loads.
        let out = folder.appendingPathComponent("out")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(!names.contains { $0.contains(".partial-") }, "\(names)")
        #expect(CheckpointFolder(output: out).checkpoints().map(\.step) == [6, 8])
        _ = try PretrainedModel.load(from: out.appendingPathComponent("model").path)
        // The MLflow run was reopened: one point per step, the uninterrupted values.
        let metrics = try Self.metrics(folder)
        let losses: [String] = metrics["train/loss"] ?? []
        let steps: [Int] = losses.map { Int($0.split(separator: " ")[0])! }
        #expect(steps == Array(1...8), "\(losses)")
        #expect(metrics["val/loss"]!.count == 2)
    }

    @Test func killedLoRARunWithDropoutResumesBitForBit() async throws {
        let folder = TinyTraining.folder("kill-lora")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.path
        await #expect(processExitsWith: .signal(SIGKILL)) { [path = path as String] in
            setenv("LORE_FAULT", "step.end@5:kill", 1)
            _ = try TinyTraining.run(in: URL(fileURLWithPath: path), lora: TrainerResumeTests.loraConfiguration)
        }
        let resumed = try TinyTraining.run(in: folder, lora: Self.loraConfiguration, resume: true)
        #expect(TinyTraining.curve(resumed.state) == Self.loraReference)
        let out = folder.appendingPathComponent("out")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("adapter/adapter_model.safetensors").path))
        // The merged model equals base + adapter.
        let merged = try PretrainedModel.load(from: out.appendingPathComponent("model").path)
        let base = TinyTraining.model()
        try base.model.loadLoRA(from: out.appendingPathComponent("adapter"))
        base.model.eval()
        let ids: [Int32] = TinyTraining.tokenizer.encode("the king walks by the sea.").map(Int32.init)
        assertClose(merged.model(ids).value, base.model(ids).value, rtol: 1e-5, atol: 1e-5)
    }

    @Test func sigtermWritesACheckpointAndStops() async throws {
        let folder = TinyTraining.folder("term")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.path
        await #expect(processExitsWith: .exitCode(143)) { [path = path as String] in
            let result = try TinyTraining.run(in: URL(fileURLWithPath: path), fault: FaultPlan("step.end@3:term"), handlesSignals: true)
            guard result.outcome == .interrupted(signal: SIGTERM), result.state.step == 3,
                  result.lastCheckpoint?.lastPathComponent == "checkpoint-3" else { exit(1) }
            exit(143)
        }
        let out = folder.appendingPathComponent("out")
        #expect(CheckpointFolder(output: out).latest?.step == 3)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model").path))
        let store = try MLflowStore(root: folder.appendingPathComponent("mlruns"))
        let meta = try String(contentsOf: try store.run(id: "tiny").folder.appendingPathComponent("meta.yaml"), encoding: .utf8)
        #expect(meta.contains("status: 5"), "an interrupted run is KILLED:\n\(meta)")
        let resumed = try TinyTraining.run(in: folder, resume: true)
        #expect(TinyTraining.curve(resumed.state) == Self.reference)
        let finished = try String(contentsOf: try store.run(id: "tiny").folder.appendingPathComponent("meta.yaml"), encoding: .utf8)
        #expect(finished.contains("status: 3"))
    }

    @Test func fullDiskLeavesThePreviousCheckpointValid() throws {
        let folder = TinyTraining.folder("enospc")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect {
            _ = try TinyTraining.run(in: folder, fault: FaultPlan("checkpoint.write@2:enospc"))
        } throws: { error in
            guard case CheckpointError.writeFailed(let path, let reason) = error else { return false }
            return path.hasSuffix("optimizer.safetensors") && reason.contains("No space left")
        }
        let out = folder.appendingPathComponent("out")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!names.contains { $0.contains(".partial-") }, "\(names)")
        let latest = try #require(CheckpointFolder(output: out).latest)
        #expect(latest.step == 2)
        let state = try TrainerState(contentsOf: latest.url.appendingPathComponent("trainer_state.json"))
        #expect(state.step == 2)
        _ = try PretrainedModel.load(from: latest.url.path)
        _ = try OptimizerState(contentsOf: latest.url.appendingPathComponent("optimizer.safetensors"))
        let resumed = try TinyTraining.run(in: folder, resume: true)
        #expect(TinyTraining.curve(resumed.state) == Self.reference)
    }

    @Test func aNaNStepIsSkippedAndCounted() throws {
        let folder = TinyTraining.folder("nan")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try TinyTraining.run(in: folder, fault: FaultPlan("step.loss@5:nan"))  // micro-batch 5 = step 3
        #expect(result.outcome == .completed)
        #expect(result.state.skippedSteps == 1)
        let step3 = try #require(result.state.logHistory.first { $0.step == 3 && $0.validationLoss == nil })
        #expect(step3.loss == nil && step3.skipped == true)
        #expect(result.state.lossCurve.count == 7)
    }

    @Test func repeatedNaNStopsTheRunWithTheLastCheckpointIntact() throws {
        let folder = TinyTraining.folder("nan-stop")
        defer { try? FileManager.default.removeItem(at: folder) }
        var message = ""
        #expect {
            _ = try TinyTraining.run(in: folder, fault: FaultPlan("step.loss@5+:nan")) { $0.maximumConsecutiveNonFiniteSteps = 3 }
        } throws: { error in
            message = (error as? LocalizedError)?.errorDescription ?? ""
            guard case TrainingError.nonFinite(let step, let consecutive, let last) = error else { return false }
            return step == 5 && consecutive == 3 && last?.hasSuffix("checkpoint-4") == true
        }
        #expect(message.contains("3 updates in a row"), "\(message)")
        let latest = try #require(CheckpointFolder(output: folder.appendingPathComponent("out")).latest)
        #expect(latest.step == 4)
        _ = try PretrainedModel.load(from: latest.url.path)
        let store = try MLflowStore(root: folder.appendingPathComponent("mlruns"))
        let meta = try String(contentsOf: try store.run(id: "tiny").folder.appendingPathComponent("meta.yaml"), encoding: .utf8)
        #expect(meta.contains("status: 4"), "a run stopped by NaN is FAILED:\n\(meta)")
    }

    @Test func resumingNeedsACheckpointAndTheSameHyperParameters() throws {
        let folder = TinyTraining.folder("mismatch")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: CheckpointError.nothingToResume(output: folder.appendingPathComponent("out").path)) {
            _ = try TinyTraining.run(in: folder, resume: true)
        }
        _ = try TinyTraining.run(in: folder) { $0.steps = 2 }
        #expect {
            _ = try TinyTraining.run(in: folder, resume: true) { $0.learningRate = 1 }
        } throws: { error in
            guard case CheckpointError.mismatch(_, let reason) = error else { return false }
            return reason.contains("learning_rate")
        }
        // More steps are allowed: the run continues from step 2.
        let longer = try TinyTraining.run(in: folder, resume: true) { $0.steps = 4 }
        #expect(longer.state.step == 4)
    }

    @Test func faultPlansParse() {
        #expect(FaultPlan("checkpoint.before-rename@2:kill") == FaultPlan(point: .checkpointBeforeRename, occurrence: 2, action: .kill))
        #expect(FaultPlan("step.end") == FaultPlan(point: .stepEnd))
        #expect(FaultPlan("step.loss@3+:nan") == FaultPlan(point: .loss, occurrence: 3, action: .nan, repeats: true))
        #expect(FaultPlan("step.end@0") == nil)
        #expect(FaultPlan("nowhere:kill") == nil)
        #expect(FaultPlan("step.end:explode") == nil)
    }
}
