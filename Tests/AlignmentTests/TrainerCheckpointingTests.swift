import Alignment
import Foundation
import Testing
import Transformer
import _TestSupport

/// `TrainingConfiguration.gradientCheckpointing`: the same loss curves bit for bit, free to
/// change on resume, optional in older `trainer_state.json` files.
@Suite(.serialized) struct TrainerCheckpointingTests {
    @Test func checkpointedRunsHaveTheSameLossCurves() throws {
        let folder = TinyTraining.folder("gradient-checkpointing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let full = try TinyTraining.run(in: folder) { $0.gradientCheckpointing = true }
        #expect(full.state.configuration.gradientCheckpointing)
        #expect(TinyTraining.curve(full.state) == TrainerResumeTests.reference)

        let loraFolder = TinyTraining.folder("gradient-checkpointing-lora")
        defer { try? FileManager.default.removeItem(at: loraFolder) }
        let lora = try TinyTraining.run(in: loraFolder, lora: TrainerResumeTests.loraConfiguration) { $0.gradientCheckpointing = true }
        #expect(TinyTraining.curve(lora.state) == TrainerResumeTests.loraReference)
    }

    @Test func resumingMaySwitchCheckpointingOn() async throws {
        let folder = TinyTraining.folder("gradient-checkpointing-resume")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.path
        await #expect(processExitsWith: .signal(SIGKILL)) { [path = path as String] in
            setenv("LORE_FAULT", "step.end@3:kill", 1)
            _ = try TinyTraining.run(in: URL(fileURLWithPath: path))
        }
        let resumed = try TinyTraining.run(in: folder, resume: true) { $0.gradientCheckpointing = true }
        #expect(resumed.state.configuration.gradientCheckpointing)
        #expect(TinyTraining.curve(resumed.state) == TrainerResumeTests.reference)
    }

    @Test func configurationCodingAndParameters() throws {
        #expect(!TrainingConfiguration().gradientCheckpointing)
        var configuration = TrainingConfiguration(steps: 3)
        configuration.gradientCheckpointing = true
        #expect(configuration.parameters["gradient_checkpointing"] == "true")
        let encoded = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: encoded) == configuration)
        // A configuration written before the field existed decodes with it off.
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object.removeValue(forKey: "gradientCheckpointing") != nil)
        let old = try JSONDecoder().decode(TrainingConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        configuration.gradientCheckpointing = false
        #expect(old == configuration)
        // Other fields stay required.
        object.removeValue(forKey: "learningRate")
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(TrainingConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }
}
