import Foundation
import Testing
import Tensor
import _TestSupport
@testable import Autograd

/// A fresh folder under the temporary directory, removed by the caller.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lore-optimizer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("Optimizer state save and load")
struct OptimizerStateTests {
    /// 10 straight steps against 5, save, load into a fresh optimizer (other hyper-parameters),
    /// 5 more: parameters and state must agree bit for bit.
    private func checkResumeIsBitwise<O: Optimizer & Equatable>(_ make: () -> O, fresh: O) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("optimizer.safetensors")

        var straight = make()
        let straightParameters = ReferenceProblem.parameters()
        _ = ReferenceProblem.run(&straight, straightParameters, steps: 1...10)

        var first = make()
        let parameters = ReferenceProblem.parameters()
        _ = ReferenceProblem.run(&first, parameters, steps: 1...5)
        try first.saveState(to: file)
        let resumedParameters = ReferenceProblem.parameters()
        for (resumed, saved) in zip(resumedParameters, parameters) { resumed.parameter.value = saved.parameter.value }
        var resumed = fresh
        try resumed.loadState(from: file, for: resumedParameters)
        #expect(resumed == first)
        _ = ReferenceProblem.run(&resumed, resumedParameters, steps: 6...10)

        for (a, b) in zip(straightParameters, resumedParameters) {
            #expect(a.parameter.value == b.parameter.value, "\(a.name) differs after resuming")
        }
        #expect(resumed == straight)
    }

    @Test func adamWResumesBitwise() throws {
        try checkResumeIsBitwise({ AdamW(learningRate: 0.05, betas: (0.85, 0.98), epsilon: 1e-6, weightDecay: 0.1) },
                                 fresh: AdamW())
    }

    @Test func sgdResumesBitwise() throws {
        try checkResumeIsBitwise({ SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true) },
                                 fresh: SGD(learningRate: 1))
    }

    @Test func adamWStateUsesTorchNames() {
        var optimizer = AdamW(learningRate: 0.05)
        _ = ReferenceProblem.run(&optimizer, ReferenceProblem.parameters(), steps: 1...5)
        let state = optimizer.state
        #expect(state.tensors.keys.sorted() == ["bias.exp_avg", "bias.exp_avg_sq", "weight.exp_avg", "weight.exp_avg_sq"])
        #expect(state.tensors["weight.exp_avg"]?.shape == [3, 4])
        #expect(state.metadata == [
            "optimizer": "AdamW", "lr": "0.05", "beta1": "0.9", "beta2": "0.999", "eps": "1e-08",
            "weight_decay": "0.01", "weight.step": "5", "bias.step": "4",
        ])
    }

    @Test func sgdStateUsesTorchNames() {
        var optimizer = SGD(learningRate: 0.1, momentum: 0.9)
        _ = ReferenceProblem.run(&optimizer, ReferenceProblem.parameters(), steps: 1...2)
        let state = optimizer.state
        #expect(state.tensors.keys.sorted() == ["bias.momentum_buffer", "weight.momentum_buffer"])
        #expect(state.metadata == [
            "optimizer": "SGD", "lr": "0.1", "momentum": "0.9", "dampening": "0.0", "weight_decay": "0.0", "nesterov": "false",
        ])
    }

    // MARK: Bad files

    /// Loads `state` (written to a file) into a fresh AdamW and returns the error.
    private func loadError(_ state: OptimizerState, into optimizer: some Optimizer = AdamW(),
                           parameters: [(name: String, parameter: Parameter)] = ReferenceProblem.parameters()) throws -> (OptimizerStateError?, String) {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("state.safetensors")
        try state.write(to: file)
        var optimizer = optimizer
        do {
            try optimizer.loadState(from: file, for: parameters)
            return (nil, file.path)
        } catch {
            return (error, file.path)
        }
    }

    private var savedAdamW: OptimizerState {
        var optimizer = AdamW()
        _ = ReferenceProblem.run(&optimizer, ReferenceProblem.parameters(), steps: 1...2)
        return optimizer.state
    }

    @Test func badStatesThrowErrorsNamingFileAndKey() throws {
        var state = savedAdamW
        var (error, path) = try loadError(state, into: SGD())
        #expect(error == .wrongOptimizer(source: path, expected: "SGD", found: "AdamW"))
        #expect(error?.errorDescription?.contains(path) == true)

        state = savedAdamW
        state.metadata["beta2"] = nil
        (error, path) = try loadError(state)
        #expect(error == .missingMetadata(source: path, key: "beta2"))

        state = savedAdamW
        state.metadata["weight.step"] = "two"
        (error, path) = try loadError(state)
        #expect(error == .invalidMetadata(source: path, key: "weight.step", value: "two", expected: "a whole number ≥ 1"))
        #expect(error?.errorDescription?.contains("'weight.step'") == true)

        state = savedAdamW
        state.metadata["beta1"] = "1.5"
        (error, path) = try loadError(state)
        #expect(error == .invalidMetadata(source: path, key: "beta1", value: "1.5", expected: "a number in [0, 1)"))

        state = savedAdamW
        state.tensors["bias.exp_avg_sq"] = nil
        (error, path) = try loadError(state)
        #expect(error == .missingTensor(source: path, key: "bias.exp_avg_sq"))

        state = savedAdamW
        (error, path) = try loadError(state, parameters: [ReferenceProblem.parameters()[0]])
        #expect(error == .unexpectedTensor(source: path, key: "bias.exp_avg"))

        state = savedAdamW
        state.tensors["weight.momentum_buffer"] = Tensor.zeros([3, 4])
        (error, path) = try loadError(state)
        #expect(error == .unexpectedTensor(source: path, key: "weight.momentum_buffer"))

        state = savedAdamW
        state.tensors["weight.exp_avg"] = Tensor.zeros([4, 3])
        (error, path) = try loadError(state)
        #expect(error == .shapeMismatch(source: path, key: "weight.exp_avg", expected: [3, 4], found: [4, 3]))
        #expect(error?.errorDescription?.contains("[4, 3]") == true)
    }

    @Test func aFailedLoadLeavesTheOptimizerUnchanged() throws {
        var state = savedAdamW
        state.tensors["bias.exp_avg_sq"] = nil
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("state.safetensors")
        try state.write(to: file)
        var optimizer = AdamW(learningRate: 0.5)
        #expect(throws: OptimizerStateError.self) { try optimizer.loadState(from: file, for: ReferenceProblem.parameters()) }
        #expect(optimizer == AdamW(learningRate: 0.5))
    }

    @Test func unreadableFilesThrowTheSafetensorsError() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("missing.safetensors")
        var optimizer = AdamW()
        #expect { try optimizer.loadState(from: missing, for: ReferenceProblem.parameters()) } throws: { error in
            guard case .unreadable(let inner) = error as? OptimizerStateError else { return false }
            return inner.path == missing.path && (error as? LocalizedError)?.errorDescription?.contains(missing.path) == true
        }
        let garbage = folder.appendingPathComponent("garbage.safetensors")
        try Data("not a safetensors file at all".utf8).write(to: garbage)
        #expect { try optimizer.loadState(from: garbage, for: ReferenceProblem.parameters()) } throws: { error in
            guard case .unreadable(let inner) = error as? OptimizerStateError else { return false }
            return inner.path == garbage.path
        }
    }
}
