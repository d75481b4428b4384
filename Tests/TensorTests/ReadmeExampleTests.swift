import Foundation
import Testing
import Tensor

/// The README's Tensor example, line for line: if this test fails, the README lies.
@Suite("README example")
struct ReadmeExampleTests {
    @Test func readmeTensorExample() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-readme-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("demo.safetensors")

        var rng = SeededGenerator(seed: 42)
        let x = Tensor.randomNormal([2, 3], using: &rng)       // [batch, in]
        let w = Tensor.ramp([4, 3], step: 0.25)               // [out, in], like nn.Linear.weight
        let y = Tensor.matmul(x, w, transposeB: true)         // x·wᵀ: [2, 4], no transpose copied
        let p = y.softmax(alongAxis: -1)                      // each row sums to 1
        let sums = p.sum(alongAxis: -1)
        try Safetensors.write(["x": x, "w": w], to: file, dtype: .bf16)
        let back = try SafetensorsFile(url: file).tensor(named: "w")

        print(p.shape, p.argmax(alongAxis: -1).scalars, back == w)
        #expect(p.shape == [2, 4])
        #expect(p.argmax(alongAxis: -1).scalars == [3, 0])
        #expect(sums.scalars.allSatisfy { abs($0 - 1) < 1e-6 })
        #expect(back == w)  // quarter steps up to 2.75 are exact in bfloat16
    }
}
