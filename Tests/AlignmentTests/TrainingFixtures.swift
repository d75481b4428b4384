import Alignment
import Autograd
import Evaluation
import Foundation
import Tensor
import Tokenizer
import Transformer
import _TestSupport

/// A tiny, fully deterministic training setup shared by the trainer tests: a seeded synthetic
/// corpus, a BPE tokenizer trained on it, tiny Llama/GPT-2 models and a short run.
enum TinyTraining {
    /// 80 paragraphs of seeded pseudo-sentences over a small vocabulary (so a tiny model can
    /// learn something in a few steps).
    static let corpus: String = {
        let subjects = ["the king", "a ghost", "the queen", "my lord", "the prince", "a player", "the court", "poor yorick"]
        let verbs = ["speaks", "walks", "waits", "laughs", "weeps", "sleeps", "dreams", "listens"]
        let places = ["in the castle", "by the sea", "at midnight", "upon the stage", "in the garden", "at the gate"]
        var rng = SeededGenerator(seed: 11)
        func pick(_ words: [String]) -> String { words[Int(rng.next() % UInt64(words.count))] }
        var paragraphs: [String] = []
        for _ in 0..<80 {
            let sentences = (0..<(2 + Int(rng.next() % 3))).map { _ in "\(pick(subjects)) \(pick(verbs)) \(pick(places))." }
            paragraphs.append(sentences.joined(separator: " "))
        }
        return paragraphs.joined(separator: "\n\n") + "\n"
    }()

    static let tokenizer: Tokenizer = {
        var t = BPETrainer(vocabularySize: 320, minimumFrequency: 1, specialTokens: ["<|endoftext|>"]).train([corpus])
        t.eosTokenID = t.addedTokens.first { $0.content == "<|endoftext|>" }!.id
        return t
    }()

    static var eos: Int32 { Int32(tokenizer.eosTokenID!) }

    enum Family: String, Codable, Sendable { case llama, gpt2 }

    /// A freshly initialised tiny model (same seed → same weights in every process).
    static func model(_ family: Family = .llama, seed: UInt64 = 1) -> PretrainedModel {
        var rng = SeededGenerator(seed: seed)
        let configuration: ModelConfiguration
        switch family {
        case .llama:
            var c = LlamaConfiguration.tiny
            c.vocabularySize = tokenizer.vocabularySize
            c.bosTokenID = nil
            c.eosTokenIDs = [Int(eos)]
            configuration = .llama(c)
        case .gpt2:
            var c = GPT2Configuration.tiny
            c.vocabularySize = tokenizer.vocabularySize
            c.bosTokenID = nil
            c.eosTokenIDs = [Int(eos)]
            configuration = .gpt2(c)
        }
        return PretrainedModel(model: configuration.makeModel(using: &rng), tokenizer: tokenizer, path: "tiny-\(family.rawValue)")
    }

    /// A fresh empty folder under the temporary directory.
    static func folder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lore-trainer-\(name)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The corpus written to `<folder>/corpus.txt`, packed into sequences of 32 tokens.
    static func data(in folder: URL, sequenceLength: Int = 32) throws -> (train: PackedDataset, validation: PackedDataset?, summary: DataSummary) {
        let file = folder.appendingPathComponent("corpus.txt")
        if !FileManager.default.fileExists(atPath: file.path) {
            try Data(corpus.utf8).write(to: file)
        }
        return try TextData.prepare(files: [file], tokenizer: tokenizer, eosTokenID: eos,
                                    options: PackingOptions(sequenceLength: sequenceLength, validationFraction: 0.1, seed: 5),
                                    directory: folder.appendingPathComponent("data"))
    }

    /// 8 updates of 2 micro-batches, evaluation every 4, a checkpoint every 2 (keeping 2).
    static func configuration(lora: LoRAConfiguration? = nil) -> TrainingConfiguration {
        TrainingConfiguration(steps: 8, learningRate: lora == nil ? 3e-3 : 1e-2, warmupRatio: 0.25, weightDecay: 0.01,
                              batchSize: 4, gradientAccumulation: 2, evaluateEvery: 4, saveEvery: 2, keepCheckpoints: 2,
                              seed: 3, lora: lora)
    }

    /// One run (or resumed run) in `folder`, tracked in `<folder>/mlruns`; runs at one thread so
    /// BLAS sums are split the same way in every process.
    static func run(in folder: URL, family: Family = .llama, lora: LoRAConfiguration? = nil, resume: Bool = false,
                    fault: FaultPlan? = nil, handlesSignals: Bool = false,
                    configure: (inout TrainingConfiguration) -> Void = { _ in }) throws -> TrainingResult {
        try withThreadCount(1) {
            try runOnOneThread(in: folder, family: family, lora: lora, resume: resume, fault: fault,
                               handlesSignals: handlesSignals, configure: configure)
        }
    }

    private static func runOnOneThread(in folder: URL, family: Family, lora: LoRAConfiguration?, resume: Bool,
                                       fault: FaultPlan?, handlesSignals: Bool,
                                       configure: (inout TrainingConfiguration) -> Void) throws -> TrainingResult {
        let data = try TinyTraining.data(in: folder)
        var configuration = configuration(lora: lora)
        configure(&configuration)
        let store = try MLflowStore(root: folder.appendingPathComponent("mlruns"))
        let trainer = try Trainer(model: model(family), train: data.train, validation: data.validation,
                                  configuration: configuration, output: folder.appendingPathComponent("out"),
                                  resume: resume, tracking: store, runName: "tiny")
        if let fault { trainer.faultPlan = fault }
        trainer.handlesSignals = handlesSignals
        return try trainer.train()
    }

    /// Losses by step, as bit patterns (NaN-safe, exact).
    static func curve(_ state: TrainerState) -> [String] {
        state.logHistory.map { e in
            "\(e.step) loss=\(e.loss.map { String($0.bitPattern, radix: 16) } ?? "-") val=\(e.validationLoss.map { String($0.bitPattern, radix: 16) } ?? "-") lr=\(e.learningRate.map { String($0.bitPattern, radix: 16) } ?? "-")"
        }
    }
}
