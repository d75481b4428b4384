import ArgumentParser
import Tensor

/// `lore`: one thin subcommand per capability; each parses its options and calls a library.
@main
struct Lore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lore",
        abstract: "Add new knowledge to language models on an ordinary Linux machine.",
        subcommands: [Fetch.self, Inspect.self, TokenizerCommand.self, Generate.self, Eval.self, Export.self, Plot.self, CurateCommand.self, CPT.self, WorldCommand.self]
    )
}

/// Options every compute-heavy subcommand shares.
struct ComputeOptions: ParsableArguments {
    @Option(name: .long, help: "Threads for Lore's loops and OpenBLAS (default: $LORE_NUM_THREADS or all cores).")
    var threads: Int?

    /// Applies the options: sets ``Threads/count`` (which also sets OpenBLAS's thread count).
    func apply() throws {
        if let threads {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
            Threads.count = threads
        }
    }
}
