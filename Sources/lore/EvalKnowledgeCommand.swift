import ArgumentParser
import Curation
import Evaluation
import Foundation
import Tensor
import Transformer

extension Eval {
    /// `lore eval knowledge --model PATH [--world SEED] [--people N] [--choices K] [--questions FILE] [--json FILE]`.
    struct Knowledge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Multiple-choice accuracy on a knowledge world's held-out questions (or any multiple-choice JSONL).",
            discussion: """
            Each choice is scored by the log-likelihood of " " + choice after the question; acc takes \
            the highest sum, acc_norm the highest sum per character of the choice. Without \
            --questions, the questions of the world given by --world/--people/--choices/--style are \
            generated (the same as `lore world` writes to questions.jsonl).
            """)

        @OptionGroup var modelOptions: ModelOptions
        @Option(name: [.customLong("world"), .customLong("seed")], help: "The world's seed.")
        var seed: UInt64 = 0
        @OptionGroup var world: WorldOptions
        @Option(name: .long, help: "Score this multiple-choice JSONL file instead ({\"question\",\"choices\",\"answer\",\"subject\"} per line).")
        var questions: String?
        @Option(name: .long, help: "Also write the results (per subject and per item) to this JSON file.")
        var json: String?
        @Option(name: .long, help: "cached (KV cache, each context once) or padded (training forward over padded rows).")
        var strategy: MultipleChoiceScorer.Strategy = .cachedContext
        @Option(name: .long, help: "Questions whose contexts share a forward pass (cached strategy).")
        var batch = MultipleChoiceScorer.defaultItemsPerPass
        @OptionGroup var compute: ComputeOptions
        @OptionGroup var tracking: TrackingOptions
        @Flag(name: .long, help: "No progress output.")
        var quiet = false

        func validate() throws {
            try world.validate()
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        }

        func run() throws {
            try compute.apply()
            let items: [MultipleChoiceItem], source: String
            if let questions {
                items = try MultipleChoiceItem.readJSONL(from: URL(fileURLWithPath: questions))
                source = questions
            } else {
                items = KnowledgeWorld(seed: seed, people: world.people).questions(choices: world.choices, style: world.style).map {
                    MultipleChoiceItem(question: $0.question, choices: $0.choices, answer: $0.answer, subject: $0.subject)
                }
                source = "world seed \(seed), \(world.people) people, \(world.choices) choices, \(world.style.rawValue) style"
            }
            let loaded = try modelOptions.load()
            guard let tokenizer = loaded.tokenizer else { throw ValidationError("\(loaded.path) has no tokenizer") }
            var scorer = MultipleChoiceScorer(model: loaded.model, tokenizer: tokenizer)
            scorer.strategy = strategy
            scorer.itemsPerPass = batch

            let start = Date()
            let terminal = isatty(STDERR_FILENO) == 1
            var lastReport = Date.distantPast
            let result = try scorer.score(items) { done, total in
                guard !quiet else { return }
                let now = Date()
                guard done == total || now.timeIntervalSince(lastReport) >= (terminal ? 0.5 : 10) else { return }
                lastReport = now
                let elapsed = now.timeIntervalSince(start), rate = Double(done) / Swift.max(elapsed, 1e-9)
                let line = String(format: "scored %d/%d questions, %.1f/s, ETA %.0f s", done, total, rate,
                                  Double(total - done) / Swift.max(rate, 1e-9))
                FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line + (done == total ? "\n" : "") : line + "\n").utf8))
            }
            let seconds = Date().timeIntervalSince(start)
            print("\(items.count) questions (\(source)); model \(loaded.path)")
            print(result.table)
            print(String(format: "%.1f s (%.1f questions/s, %@ strategy)", seconds, Double(items.count) / seconds, strategy.rawValue))
            let extra: [String: Any] = ["model": loaded.path, "questions": source, "seconds": seconds, "strategy": strategy.rawValue]
            if let json { try writeJSON(result, to: json, extra: extra) }
            if let run = try tracking.startRun(
                defaultName: "knowledge", task: "eval-knowledge",
                parameters: ["model": loaded.path, "questions": source, "strategy": strategy.rawValue, "items": String(items.count)]) {
                for (prefix, accuracy) in [("", result.overall)] + result.subjects.sorted(by: { $0.key < $1.key }).map({ ("\($0.key)/", $0.value) }) {
                    try run.logMetric(prefix + "acc", accuracy.accuracy, step: 0)
                    try run.logMetric(prefix + "acc_norm", accuracy.normalizedAccuracy, step: 0)
                    try run.logMetric(prefix + "chance", accuracy.chance, step: 0)
                }
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-knowledge-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: folder) }
                let file = folder.appendingPathComponent("knowledge.json")
                try writeJSON(result, to: file.path, extra: extra)
                try run.logArtifact(file)
                try run.finish()
            }
        }

        /// The result's JSON with `extra` keys added at the top level.
        private func writeJSON(_ result: MultipleChoiceResult, to path: String, extra: [String: Any]) throws {
            guard var object = try JSONSerialization.jsonObject(with: Data(result.jsonText().utf8)) as? [String: Any] else {
                throw ValidationError("internal: results are not a JSON object")
            }
            for (key, value) in extra { object[key] = value }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                throw ValidationError("cannot write \(path): \(error.localizedDescription)")
            }
        }
    }
}

extension MultipleChoiceScorer.Strategy: ExpressibleByArgument {}
