import Foundation

/// Named points in the trainer where a test can make the process fail on purpose, to prove
/// that checkpoints survive crashes and full disks.
///
/// The plan comes from the environment variable `LORE_FAULT` (read by
/// ``FaultPlan/fromEnvironment()``), or is set on the trainer directly:
///
/// ```
/// LORE_FAULT=<point>[@<n>[+]][:<action>]       e.g.  checkpoint.before-rename@2:kill
/// ```
///
/// - `point`: one of ``FaultPoint``'s raw values.
/// - `n`: fire on the n-th time the point is reached (default 1), counted within the process;
///   `n+` fires on the n-th and every later arrival (for repeated `nan`).
/// - `action`: `kill` (default: `SIGKILL` to the own process — nothing is flushed or cleaned
///   up, as with a power cut or the OOM killer), `term` (`SIGTERM`, which the trainer turns into
///   a checkpoint and a clean stop when it handles signals), `enospc` (the write in progress
///   fails with "No space left on device"), or `nan` (the step's loss becomes NaN).
public enum FaultPoint: String, CaseIterable, Sendable {
    /// After an optimizer step (and its logging), before any checkpoint of that step.
    case stepEnd = "step.end"
    /// The micro-batch loss was just computed (for `nan`).
    case loss = "step.loss"
    /// While writing a checkpoint's files (after the model, before the optimizer state).
    case checkpointWrite = "checkpoint.write"
    /// All of a checkpoint's files are written and flushed; the folder is not renamed yet.
    case checkpointBeforeRename = "checkpoint.before-rename"
    /// The checkpoint folder has its final name; older checkpoints are not pruned yet.
    case checkpointAfterRename = "checkpoint.after-rename"
    /// While writing the final model.
    case finalSave = "final.save"
}

/// What to do when a fault fires.
public enum FaultAction: String, Sendable {
    case kill, term, enospc, nan
}

/// Which fault to inject, if any, and where.
public struct FaultPlan: Sendable, Equatable, CustomStringConvertible {
    public var point: FaultPoint
    /// Fire on the `occurrence`-th arrival at `point` (1-based).
    public var occurrence: Int
    public var action: FaultAction
    /// Also fire on every arrival after the `occurrence`-th.
    public var repeats: Bool

    public init(point: FaultPoint, occurrence: Int = 1, action: FaultAction = .kill, repeats: Bool = false) {
        self.point = point
        self.occurrence = max(1, occurrence)
        self.action = action
        self.repeats = repeats
    }

    /// Parses `<point>[@<n>][:<action>]`; `nil` for malformed text.
    public init?(_ text: String) {
        var rest = Substring(text)
        var action = FaultAction.kill
        if let colon = rest.lastIndex(of: ":") {
            guard let a = FaultAction(rawValue: String(rest[rest.index(after: colon)...])) else { return nil }
            action = a
            rest = rest[..<colon]
        }
        var occurrence = 1
        var repeats = false
        if let at = rest.lastIndex(of: "@") {
            var count = rest[rest.index(after: at)...]
            if count.hasSuffix("+") { repeats = true; count = count.dropLast() }
            guard let n = Int(count), n >= 1 else { return nil }
            occurrence = n
            rest = rest[..<at]
        }
        guard let point = FaultPoint(rawValue: String(rest)) else { return nil }
        self.init(point: point, occurrence: occurrence, action: action, repeats: repeats)
    }

    public var description: String { "\(point.rawValue)@\(occurrence)\(repeats ? "+" : ""):\(action.rawValue)" }

    /// The plan in `LORE_FAULT`, `nil` when unset. A malformed value stops the process with a
    /// message (a typo must not silently disable the fault a test relies on).
    public static func fromEnvironment() -> FaultPlan? {
        guard let text = ProcessInfo.processInfo.environment["LORE_FAULT"], !text.isEmpty else { return nil }
        guard let plan = FaultPlan(text) else {
            fatalError("LORE_FAULT='\(text)' is not <point>[@<n>[+]][:kill|term|enospc|nan]; points: \(FaultPoint.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return plan
    }
}

/// Counts arrivals at fault points and fires the planned fault.
final class FaultInjector: @unchecked Sendable {
    let plan: FaultPlan?
    private var arrivals: [FaultPoint: Int] = [:]

    init(_ plan: FaultPlan?) { self.plan = plan }

    /// Records an arrival at `point`; returns the action to take now, if the plan fires here.
    /// `kill` and `term` are carried out before returning (`kill` never returns).
    @discardableResult
    func arrive(_ point: FaultPoint) -> FaultAction? {
        guard let plan, plan.point == point else { return nil }
        arrivals[point, default: 0] += 1
        let count = arrivals[point]!
        guard count == plan.occurrence || (plan.repeats && count > plan.occurrence) else { return nil }
        switch plan.action {
        case .kill:
            FileHandle.standardError.write(Data("lore: fault injection: SIGKILL at \(plan)\n".utf8))
            kill(getpid(), SIGKILL)
            while true { pause() }
        case .term:
            FileHandle.standardError.write(Data("lore: fault injection: SIGTERM at \(plan)\n".utf8))
            // Process-directed, as from `kill`: the thread running this may block the signal,
            // so another thread takes it — wait (up to 2 s) until the handler has run.
            kill(getpid(), SIGTERM)
            for _ in 0..<2000 where SignalStop.signal == 0 { usleep(1000) }
        case .enospc, .nan:
            break
        }
        return plan.action
    }

    /// Throws "No space left on device" for `file` when the plan says so at `point`.
    func failWrite(at point: FaultPoint, file: URL) throws {
        if arrive(point) == .enospc {
            throw CheckpointError.writeFailed(path: file.path, reason: String(cString: strerror(ENOSPC)) + " (injected by LORE_FAULT)")
        }
    }
}
