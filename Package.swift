// swift-tools-version: 6.1
//
// Lore — adding new knowledge to language models on an ordinary Linux machine.
// One library target per layer; imports only go downward (see Documentation/Architecture.md).
import PackageDescription

let package = Package(
    name: "Lore",
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Assets", targets: ["Assets"]),
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
        .target(name: "Tensor", dependencies: ["COpenBLAS"]),
        .target(name: "Assets"),

        // Helpers shared by tests (asset lookup, assertClose).
        .target(name: "_TestSupport", dependencies: ["Tensor", "Assets"]),

        // The command line: thin subcommands over the layers.
        .executableTarget(
            name: "lore",
            dependencies: [
                "Tensor", "Assets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Release-mode benchmarks: `swift run -c release lore-bench tensor`.
        .executableTarget(
            name: "lore-bench",
            dependencies: ["Tensor", "COpenBLAS"],
            path: "Benchmarks/lore-bench"
        ),

        .testTarget(name: "TensorTests", dependencies: ["Tensor", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "AssetsTests", dependencies: ["Assets", "_TestSupport"]),
    ]
)
