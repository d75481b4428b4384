import Foundation
import Synchronization

/// Turns SIGINT and SIGTERM into a request to stop after the current update (the trainer then
/// writes a checkpoint and returns). A second signal of either kind ends the process at once
/// (the default action is restored after the first).
public enum SignalStop {
    private static let received = Atomic<Int32>(0)

    /// The signal that asked to stop, or 0.
    public static var signal: Int32 { received.load(ordering: .relaxed) }

    /// Installs the handlers (idempotent).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { number in
            SignalStop.received.store(number, ordering: .relaxed)
            Foundation.signal(SIGINT, SIG_DFL)
            Foundation.signal(SIGTERM, SIG_DFL)
        }
        Foundation.signal(SIGINT, handler)
        Foundation.signal(SIGTERM, handler)
    }

    /// Forgets a received signal (for tests that run several trainings in one process).
    public static func reset() { received.store(0, ordering: .relaxed) }
}
