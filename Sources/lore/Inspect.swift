import ArgumentParser
import Foundation
import Tensor

/// `lore inspect FILE`: prints the metadata and every tensor of a safetensors file with its
/// dtype, shape, element count and mean / std / min / max.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the tensors and metadata of a safetensors file.",
        discussion: "Checks the whole header first; a malformed file prints one line naming the problem and exits non-zero."
    )

    @Argument(help: "The .safetensors file.")
    var file: String

    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply()
        print(try SafetensorsFile(path: file).inspectionReport())
    }
}
