import ArgumentParser
import Curation
import Foundation

/// `lore world --output DIR [--seed S] [--people N] [--biographies K] [--choices C] [--style qa|cloze]`:
/// writes a knowledge world (invented people) as training text, held-out questions and facts.
struct WorldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world",
        abstract: "Write a seeded fictional world: biographies to train on and held-out questions about them.",
        discussion: """
        Files: train.jsonl ({"text"}: K paraphrased biographies per person, shuffled), \
        questions.jsonl ({"question","choices","answer","subject"}: one per person and attribute, \
        worded unlike any biography) and world.json (the facts). Score the questions with \
        `lore eval knowledge`. See Documentation/Curation.md, "Knowledge world".
        """)

    @Option(name: [.long, .short], help: "Output folder (created if needed).")
    var output: String
    @Option(name: .long, help: "The world's seed.")
    var seed: UInt64 = 0
    @OptionGroup var world: WorldOptions
    @Option(name: .long, help: "Paraphrased biographies per person.")
    var biographies = 6

    func validate() throws {
        try world.validate()
        guard biographies >= 1 else { throw ValidationError("--biographies must be at least 1, got \(biographies)") }
    }

    func run() throws {
        let knowledge = KnowledgeWorld(seed: seed, people: world.people)
        let folder = URL(fileURLWithPath: output)
        try knowledge.writeFiles(to: folder, biographiesPerPerson: biographies, choices: world.choices, style: world.style)
        print("\(world.people) people (seed \(seed)) → \(folder.path): " +
              "\(world.people * biographies) biographies in \(KnowledgeWorld.FileName.training), " +
              "\(world.people * KnowledgeWorld.Attribute.allCases.count) questions of \(world.choices) choices in " +
              "\(KnowledgeWorld.FileName.questions), facts in \(KnowledgeWorld.FileName.world)")
    }
}

/// The options that shape a knowledge world's questions (besides its seed), shared by
/// `lore world` and `lore eval knowledge`.
struct WorldOptions: ParsableArguments {
    @Option(name: .long, help: "Invented people (1…10000).")
    var people = 100
    @Option(name: .long, help: "Choices per question (2…\(KnowledgeWorld.maximumChoices)).")
    var choices = 4
    @Option(name: .long, help: "Question wording: qa (\"Q: … ?\\nA:\") or cloze (\"Birthplace of …:\").")
    var style: KnowledgeWorld.QuestionStyle = .questionAnswer

    func validate() throws {
        guard (1...10_000).contains(people) else { throw ValidationError("--people must be in 1…10000, got \(people)") }
        guard (2...KnowledgeWorld.maximumChoices).contains(choices) else {
            throw ValidationError("--choices must be in 2…\(KnowledgeWorld.maximumChoices), got \(choices)")
        }
    }
}

extension KnowledgeWorld.QuestionStyle: ExpressibleByArgument {}
