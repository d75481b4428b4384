import Foundation
import Tensor

private let threadSettingLock = NSLock()

/// Runs `body` with ``Threads/count`` set to `threads`, then restores it.
///
/// `Threads.count` is process-wide and Swift Testing runs suites in parallel; every test that
/// changes it goes through this function, which holds one process-wide lock for the duration,
/// so two such tests never interleave.
public func withThreadCount<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
    threadSettingLock.lock()
    defer { threadSettingLock.unlock() }
    let saved = Threads.count
    defer { Threads.count = saved }
    Threads.count = threads
    return try body()
}
