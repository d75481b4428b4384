// swift-tools-version: 6.1
//
// Lore — adding new knowledge to language models on an ordinary Linux machine.
// One library target per layer; imports only go downward (see Documentation/Architecture.md).
import Foundation
import PackageDescription

/// Kernels are compiled for Haswell (x86-64-v3: AVX2, FMA, F16C) when the building machine has it:
/// without an FMA target, SIMD `addingProduct` becomes a library call per lane and the
/// vectorised exp/gelu/half kernels run several times slower. `LORE_PORTABLE=1` builds for
/// baseline x86-64 instead (needed when Lore is a dependency, where SwiftPM refuses unsafe flags);
/// there `LORE_NO_FMA` makes the kernels use a separate multiply and add.
/// `-fno-math-errno`: on Linux, `squareRoot()` goes through C's errno-setting `sqrtf`, so
/// `SIMD8<Float>.squareRoot()` becomes eight scalar square roots each guarded by a branch; without
/// errno it is one `vsqrtps` (the AdamW update runs twice as fast). Lore never reads `errno`.
let nativeSIMD: [SwiftSetting] = {
    #if arch(x86_64) && os(Linux)
    let portable: [SwiftSetting] = [.define("LORE_NO_FMA")]
    guard ProcessInfo.processInfo.environment["LORE_PORTABLE"] != "1",
          let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return portable }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    guard ["avx2", "fma", "f16c", "bmi2"].allSatisfy(flags.contains) else { return portable }
    return [.unsafeFlags(["-target-cpu", "haswell", "-Xcc", "-fno-math-errno"])]
    #else
    return []
    #endif
}()

let package = Package(
    name: "Lore",
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "Assets", targets: ["Assets"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Curation", targets: ["Curation"]),
        .library(name: "Alignment", targets: ["Alignment"]),
        .executable(name: "lore", targets: ["lore"]),
        .executable(name: "lore-bench", targets: ["lore-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C shims — Debian's libopenblas-dev, imported with `internal import` only.
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),

        // Layers, bottom up.
        .target(name: "Tensor", dependencies: ["COpenBLAS", "GGUF"], swiftSettings: nativeSIMD),
        .target(name: "Autograd", dependencies: ["Tensor"], swiftSettings: nativeSIMD),
        .target(name: "Assets"),
        .target(name: "GGUF"),
        .target(name: "Tokenizer", dependencies: ["GGUF"]),
        .target(name: "Transformer", dependencies: ["Autograd", "Tokenizer", "GGUF"], swiftSettings: nativeSIMD),
        .target(name: "Evaluation", dependencies: ["Transformer", "Tokenizer"], swiftSettings: nativeSIMD),
        .target(name: "Curation", dependencies: ["Tokenizer", "Assets"], swiftSettings: nativeSIMD),
        .target(name: "Alignment", dependencies: ["Transformer", "Evaluation", "Tokenizer"], swiftSettings: nativeSIMD),

        // Helpers shared by tests (asset lookup, assertClose).
        .target(name: "_TestSupport", dependencies: ["Tensor", "Autograd", "Assets"]),

        // The command line: thin subcommands over the layers.
        .executableTarget(
            name: "lore",
            dependencies: [
                "Tensor", "Assets", "Tokenizer", "Transformer", "Evaluation", "Curation", "Alignment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Release-mode benchmarks: `swift run -c release lore-bench tensor`.
        // CMallocCounter interposes malloc to count a decoding step's allocations (lore-bench only).
        .target(name: "CMallocCounter", path: "Benchmarks/CMallocCounter"),
        .executableTarget(
            name: "lore-bench",
            dependencies: ["Tensor", "Autograd", "COpenBLAS", "Tokenizer", "Assets", "Transformer", "Evaluation", "Curation",
                           "Alignment", "CMallocCounter"],
            path: "Benchmarks/lore-bench",
            swiftSettings: nativeSIMD
        ),

        // The README's ten-line training loop: `swift run -c release train-xor`.
        .executableTarget(name: "train-xor", dependencies: ["Autograd", "Tensor"], path: "Examples/train-xor"),

        .testTarget(name: "TensorTests", dependencies: ["Tensor", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "_TestSupport"]),
        .testTarget(name: "AssetsTests", dependencies: ["Assets", "_TestSupport"]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "_TestSupport"]),
        .testTarget(name: "CurationTests", dependencies: ["Curation", "_TestSupport"]),
        .testTarget(name: "AlignmentTests", dependencies: ["Alignment", "_TestSupport"]),
    ]
)
