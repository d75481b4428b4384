import Alignment
import Autograd
import Evaluation
import Foundation
import Testing
import Tensor
import Tokenizer
import Transformer
import _TestSupport

@Suite struct TrainerTests {
    @Test func aShortRunLearnsCheckpointsAndSavesTheFinalModel() throws {
        let folder = TinyTraining.folder("basic")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try TinyTraining.run(in: folder) { $0.steps = 12 }
        #expect(result.outcome == .completed)
        let losses: [Float] = result.state.lossCurve.map(\.loss)
        #expect(losses.count == 12)
        let first: Float = losses.prefix(3).reduce(0, +) / 3
        let last: Float = losses.suffix(3).reduce(0, +) / 3
        #expect(last < first - 0.5, "loss falls: \(losses)")
        let validation = try #require(result.validationLoss)
        #expect(result.validationPerplexity == Float(exp(Double(validation))))
        // Two newest checkpoints; the final model is a Hugging Face directory with the tokenizer.
        let out = folder.appendingPathComponent("out")
        #expect(CheckpointFolder(output: out).checkpoints().map(\.step) == [10, 12])
        let saved = try PretrainedModel.load(from: try #require(result.finalModel).path)
        #expect(saved.tokenizer?.encode("the king") == TinyTraining.tokenizer.encode("the king"))
        // The saved model's validation loss is the trainer's last evaluation.
        let data = try TinyTraining.data(in: folder)
        let batches = try #require(data.validation).batches(size: 4)
        var total = 0.0, count = 0
        withoutGradient {
            for b in batches {
                total += Double(crossEntropy(logits: saved.model(b.input), targets: b.targets, reduction: .sum).value.scalar)
                count += b.targetCount
            }
        }
        #expect(abs(Float(total / Double(count)) - validation) < 1e-4)
        #expect(result.peakMemoryBytes > 0 && result.tokensPerSecond > 0)
    }

    /// The pieces the trainer is built from make a ten-line loop of one's own
    /// (Documentation/Alignment.md shows this loop).
    @Test func aTenLineLoopOfOnesOwnTrains() throws {
        let folder = TinyTraining.folder("own-loop")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try TinyTraining.data(in: folder)
        let model = TinyTraining.model().model
        var losses: [Float] = []
        var loader = BatchLoader(dataset: data.train, batchSize: 4, seed: 0)
        var optimizer = AdamW(learningRate: 3e-3, weightDecay: 0)
        let schedule = CosineSchedule(peak: 3e-3, warmupSteps: 2, totalSteps: 20)
        for step in 0..<20 {
            let batch = loader.next()
            optimizer.learningRate = schedule.learningRate(atStep: step)
            let loss = valueAndGradient { crossEntropy(logits: model(batch.input), targets: batch.targets) }
            clipGradientNorm(model, maxNorm: 1)
            optimizer.step(model.trainableParameters())
            model.zeroGradients()
            losses.append(loss.scalar)
        }
        let first: Float = losses.prefix(3).reduce(0, +) / 3
        let last: Float = losses.suffix(3).reduce(0, +) / 3
        #expect(last < first - 0.5, "\(losses)")
    }

    @Test func trackingLogsParametersMetricsAndTheLossPlot() throws {
        let folder = TinyTraining.folder("tracking")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try TinyTraining.run(in: folder)
        let store = try MLflowStore(root: folder.appendingPathComponent("mlruns"))
        let run = try store.run(id: try #require(result.state.trackingRunID))
        #expect(run.name == "tiny")
        let meta = try String(contentsOf: run.folder.appendingPathComponent("meta.yaml"), encoding: .utf8)
        #expect(meta.contains("status: 3"))
        let params = run.folder.appendingPathComponent("params")
        #expect(try String(contentsOf: params.appendingPathComponent("learning_rate"), encoding: .utf8) == "0.003")
        #expect(try String(contentsOf: params.appendingPathComponent("gradient_accumulation_steps"), encoding: .utf8) == "2")
        let losses = try run.metricHistory("train/loss")
        #expect(losses.map(\.step) == Array(1...8))
        #expect(losses.map { Float($0.value) } == result.state.lossCurve.map(\.loss))
        #expect(try run.metricHistory("val/loss").map(\.step) == [4, 8])
        let svg = try String(contentsOf: run.artifacts.appendingPathComponent("loss.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        #expect(svg.contains("train/loss") && svg.contains("val/loss"))
    }

    @Test func frozenEmbeddingsStayFixedAndLoRATrainsOnlyAdapters() throws {
        let folder = TinyTraining.folder("frozen")
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = TinyTraining.model(.gpt2)
        _ = try TinyTraining.run(in: folder, family: .gpt2) { $0.freezeEmbeddings = true; $0.steps = 2 }
        let after = try PretrainedModel.load(from: folder.appendingPathComponent("out/checkpoint-2").path)
        let old = Dictionary(uniqueKeysWithValues: before.model.namedParameters().map { ($0.name, $0.parameter.value) })
        for (name, parameter) in after.model.namedParameters() {
            if name == "transformer.wte.weight" {
                #expect(parameter.value == old[name], "\(name) is frozen")
            } else if name.hasSuffix("c_attn.weight") {
                #expect(parameter.value != old[name], "\(name) trains")
            }
        }
        let loraFolder = TinyTraining.folder("lora-only")
        defer { try? FileManager.default.removeItem(at: loraFolder) }
        let lora = LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["c_attn"])
        let result = try TinyTraining.run(in: loraFolder, family: .gpt2, lora: lora) { $0.steps = 2 }
        let adapterFile = try SafetensorsFile(url: try #require(result.adapter).appendingPathComponent("adapter_model.safetensors"))
        #expect(adapterFile.tensorNames.count == 2 * GPT2Configuration.tiny.layerCount)
    }

    /// A tiny Llama trained from scratch on Hamlet beats the unigram model of the same tokens.
    @Test(TestAssets.requires(.shakespeareTexts)) func tinyModelLearnsShakespeare() throws {
        let texts = try TestAssets.url(.shakespeareTexts)
        let hamlet = texts.appendingPathComponent("hamlet_gut.txt")
        let text = String(decoding: try Data(contentsOf: hamlet), as: UTF8.self)
        var tokenizer = BPETrainer(vocabularySize: 512, minimumFrequency: 2, specialTokens: ["<|endoftext|>"]).train([text])
        tokenizer.eosTokenID = tokenizer.addedTokens.first { $0.content == "<|endoftext|>" }!.id
        let folder = TinyTraining.folder("shakespeare")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try TextData.prepare(files: [hamlet], tokenizer: tokenizer, eosTokenID: Int32(tokenizer.eosTokenID!),
                                        options: PackingOptions(sequenceLength: 128, validationFraction: 0.05, seed: 1),
                                        directory: folder.appendingPathComponent("data"))
        let validation = try #require(data.validation)

        // Unigram baseline: validation cross-entropy under the training split's token frequencies (add-one).
        var counts = [Double](repeating: 1, count: tokenizer.vocabularySize)
        for b in data.train.batches(size: 64) { for t in b.targets where t >= 0 { counts[Int(t)] += 1 } }
        let total = counts.reduce(0, +)
        var unigram = 0.0, n = 0
        for b in validation.batches(size: 64) { for t in b.targets where t >= 0 { unigram -= log(counts[Int(t)] / total); n += 1 } }
        unigram /= Double(n)

        var c = LlamaConfiguration.tiny
        c.vocabularySize = tokenizer.vocabularySize
        c.hiddenSize = 128
        c.intermediateSize = 384
        c.layerCount = 3
        c.maxPositions = 128
        c.bosTokenID = nil
        c.eosTokenIDs = [tokenizer.eosTokenID!]
        var rng = SeededGenerator(seed: 2)
        let model = PretrainedModel(model: ModelConfiguration.llama(c).makeModel(using: &rng), tokenizer: tokenizer, path: "scratch")
        let configuration = TrainingConfiguration(steps: 200, learningRate: 3e-3, warmupRatio: 0.05, batchSize: 8, seed: 1)
        let start = Date()
        let trainer = try Trainer(model: model, train: data.train, validation: validation, configuration: configuration,
                                  output: folder.appendingPathComponent("out"))
        let result = try trainer.train()
        let seconds = Date().timeIntervalSince(start)
        let loss = try #require(result.validationLoss)
        let message = String(format: "validation loss %.3f nats vs unigram %.3f (%d validation targets); %d updates of 8×128 tokens in %.1f s, %.0f tokens/s",
                             loss, unigram, n, result.state.step, seconds, result.tokensPerSecond)
        print("tinyModelLearnsShakespeare: " + message)
        #expect(Double(loss) < unigram - 0.5, "\(message)")
    }
}
