import Foundation
import Testing
import Assets

/// Finds the real assets fetched by `lore fetch` for tests.
///
/// A test that needs one declares `@Test(TestAssets.requires(.smolLM2GGUF))`: it is skipped
/// with a message naming the asset when the file is absent — unless `LORE_REQUIRE_ASSETS=1`
/// (set by `.ci/run`), in which case it runs and fails, so a broken fetch cannot pass CI.
public enum TestAssets {
    /// The cache tests read (`$LORE_CACHE` or `~/.cache/lore`).
    public static let cache = AssetCache()

    /// True when `LORE_REQUIRE_ASSETS=1`: a missing asset is a failure, not a skip.
    public static var required: Bool {
        ProcessInfo.processInfo.environment["LORE_REQUIRE_ASSETS"] == "1"
    }

    /// True when `file` is in the cache.
    public static func isPresent(_ file: AssetFile) -> Bool { cache.contains(file) }

    /// Skips the test when `file` is absent (unless assets are required).
    public static func requires(_ file: AssetFile) -> ConditionTrait {
        .enabled(if: required || isPresent(file),
                 "asset \(file) is not in \(cache.root.path); run `lore fetch` (or set LORE_REQUIRE_ASSETS=1 to fail instead)")
    }

    /// The path of `file`; throws ``AssetError/missing(_:)`` when it is absent.
    public static func url(_ file: AssetFile) throws -> URL {
        guard isPresent(file) else { throw AssetError.missing(cache.url(of: file).path) }
        return cache.url(of: file)
    }
}
