import Foundation
import Tensor

/// Where an operation was recorded: the function, file and line that called
/// ``Variable/record(_:inputs:function:file:line:backward:)`` — for Lore's own ops, the op's
/// implementation (e.g. `Autograd/Linear.swift:75`).
public struct OperationSite: Hashable, Sendable, CustomStringConvertible {
    public let function: String
    public let file: String
    public let line: Int

    public var description: String { "\(file):\(line) \(function)" }
}

/// Time spent per differentiable operation while ``profileOperations(_:)`` runs — what
/// `torch.profiler` reports per op, from the tape's point of view.
///
/// - **Backward** rows are exact: the time of each recorded backward closure (including the
///   matrix products and kernels it runs), plus one row, `gradient accumulation`, for adding
///   gradients that reach a value from several consumers.
/// - **Forward** rows are the time from the previous recorded operation (or the start of the
///   tape) to this one's record call, i.e. the op's own kernel plus any code run between the
///   two (reshapes record nothing and are counted in the next op). Operations inside
///   ``checkpointed(_:_:)`` segments appear as forward rows twice (the forward and the
///   recomputation); the recomputation is also inside the segment's backward row.
///
/// Rows are sorted by time, largest first; ``description`` prints them as a table with the
/// time per call of the profiled closure (`perCall` divides by it).
public struct OperationProfile: CustomStringConvertible, Sendable {
    public enum Phase: String, Sendable { case forward, backward }

    public struct Row: Sendable {
        public let phase: Phase
        /// `nil` for gradient accumulation and parameter-gradient updates.
        public let site: OperationSite?
        public let calls: Int
        public let seconds: Double
    }

    public let rows: [Row]
    /// Wall time of the profiled closure.
    public let wallSeconds: Double
    /// Sum over the rows (the rest of the wall time is code outside any tape: optimizer steps,
    /// data loading, untracked work).
    public var recordedSeconds: Double { rows.reduce(0) { $0 + $1.seconds } }

    /// The table, times divided by `perCall` (e.g. the number of training steps profiled).
    public func table(perCall: Int = 1) -> String {
        let n = Double(Swift.max(1, perCall))
        var lines = ["        ms    share  calls  operation (F forward, B backward)"]
        for row in rows {
            let label = row.site.map { "\($0)" } ?? (row.phase == .backward ? "gradient accumulation" : "—")
            lines.append(String(format: "%10.3f %7.1f%% %6d  %@ %@", row.seconds * 1e3 / n,
                                100 * row.seconds / Swift.max(wallSeconds, 1e-12), row.calls / Swift.max(1, perCall),
                                row.phase == .forward ? "F" : "B", label))
        }
        lines.append(String(format: "%10.3f %7.1f%%         recorded, of %.3f ms wall", recordedSeconds * 1e3 / n,
                            100 * recordedSeconds / Swift.max(wallSeconds, 1e-12), wallSeconds * 1e3 / n))
        return lines.joined(separator: "\n")
    }

    public var description: String { table() }
}

/// Runs `body` and reports the time of every differentiable operation recorded inside it
/// (forward and backward); see ``OperationProfile``. Costs two clock reads per operation.
///
/// ```swift
/// let (_, profile) = profileOperations {
///     for _ in 0..<4 {
///         valueAndGradient { model.loss(batch, targets: targets) }
///         optimizer.step(model); model.zeroGradients()
///     }
/// }
/// print(profile.table(perCall: 4))
/// ```
public func profileOperations<R>(_ body: () throws -> R) rethrows -> (result: R, profile: OperationProfile) {
    let profiler = OperationProfiler()
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try OperationProfiler.$current.withValue(profiler) { try body() }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return (result, profiler.profile(wallSeconds: wall))
}

/// The accumulator behind ``profileOperations(_:)``.
final class OperationProfiler: @unchecked Sendable {
    @TaskLocal static var current: OperationProfiler?

    private struct Key: Hashable { let phase: OperationProfile.Phase, site: OperationSite? }
    private let lock = NSLock()
    private var totals: [Key: (calls: Int, nanoseconds: UInt64)] = [:]
    private var lastMark: UInt64 = DispatchTime.now().uptimeNanoseconds

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Restarts the forward clock (a new tape, or the end of a backward pass).
    func mark() { lock.withLock { lastMark = Self.now() } }

    /// An operation was just recorded at `site`: charge it the time since the last mark.
    func forward(_ site: OperationSite) {
        let now = Self.now()
        lock.withLock {
            add(Key(phase: .forward, site: site), now &- lastMark)
            lastMark = now
        }
    }

    func backward(_ site: OperationSite?, since start: UInt64) {
        let elapsed = Self.now() &- start
        lock.withLock { add(Key(phase: .backward, site: site), elapsed) }
    }

    private func add(_ key: Key, _ nanoseconds: UInt64) {
        let old = totals[key] ?? (0, 0)
        totals[key] = (old.calls + 1, old.nanoseconds + nanoseconds)
    }

    func profile(wallSeconds: Double) -> OperationProfile {
        let rows = lock.withLock {
            totals.map { OperationProfile.Row(phase: $0.key.phase, site: $0.key.site, calls: $0.value.calls,
                                              seconds: Double($0.value.nanoseconds) / 1e9) }
        }
        return OperationProfile(rows: rows.sorted { $0.seconds > $1.seconds }, wallSeconds: wallSeconds)
    }
}
