import Foundation

/// What the trainer reports after each logged update and each evaluation.
public struct TrainingProgress: Sendable {
    public enum Event: Sendable, Equatable {
        /// An optimizer update finished (or was skipped for a non-finite value).
        case step
        /// An evaluation on the validation split finished.
        case evaluation
        /// A checkpoint was written to the given folder.
        case checkpoint(URL)
    }

    public var event: Event
    /// Updates done, of `totalSteps`.
    public var step: Int
    public var totalSteps: Int
    /// Mean loss of the update's tokens (`nil` when skipped).
    public var loss: Float?
    public var learningRate: Float
    public var gradientNorm: Float?
    /// Validation loss and perplexity (evaluation events).
    public var validationLoss: Float?
    public var validationPerplexity: Float?
    /// Training tokens per second since this process started training.
    public var tokensPerSecond: Double
    /// Wall time training so far (across resumes) and the estimated time left, in seconds.
    public var elapsed: Double
    public var remaining: Double?
    /// Fractional epoch of the training data.
    public var epoch: Double
    public var skippedSteps: Int

    /// One plain log line: `step 12/100  loss 2.3456  lr 1.20e-04  grad 0.812  1,234 tok/s  epoch 0.31  ETA 1:02:03`.
    public var line: String {
        var parts: [String] = []
        let width = String(totalSteps).count
        let stepText = String(step).leftPadded(to: width)
        switch event {
        case .step:
            parts.append("step \(stepText)/\(totalSteps)")
            parts.append(loss.map { String(format: "loss %.4f", $0) } ?? "loss  skipped")
            parts.append(String(format: "lr %.2e", learningRate))
            if let gradientNorm { parts.append(String(format: "grad %.3f", gradientNorm)) }
            parts.append(String(format: "%.0f tok/s", tokensPerSecond))
            parts.append(String(format: "epoch %.2f", epoch))
            if let remaining { parts.append("ETA " + formatDuration(remaining)) }
            if skippedSteps > 0 { parts.append("skipped \(skippedSteps)") }
        case .evaluation:
            parts.append("eval at step \(stepText)/\(totalSteps)")
            if let validationLoss { parts.append(String(format: "val loss %.4f", validationLoss)) }
            if let validationPerplexity { parts.append(String(format: "val ppl %.3f", validationPerplexity)) }
        case .checkpoint(let url):
            parts.append("checkpoint at step \(stepText)/\(totalSteps) → \(url.path)")
        }
        return parts.joined(separator: "  ")
    }
}

/// What a progress callback asks the trainer to do next.
public enum TrainingControl: Sendable {
    case `continue`
    /// Stop after this update: a checkpoint is written and ``TrainingOutcome/stopped`` returned.
    case stop
}

/// Prints progress: on a terminal one live line rewritten in place (evaluations and
/// checkpoints get lines of their own); otherwise one plain line per report.
public final class ProgressPrinter: @unchecked Sendable {
    private let handle: FileHandle
    private let live: Bool
    private var liveLineShown = false

    /// - Parameters:
    ///   - handle: where to print (default standard error).
    ///   - live: rewrite one line in place; default: whether `handle` is a terminal.
    public init(handle: FileHandle = .standardError, live: Bool? = nil) {
        self.handle = handle
        self.live = live ?? (isatty(handle.fileDescriptor) == 1)
    }

    public func report(_ progress: TrainingProgress) {
        if live, progress.event == .step {
            write("\r\u{1B}[2K" + progress.line)
            liveLineShown = true
        } else {
            print(progress.line)
        }
    }

    /// Prints a line (ending a live line first).
    public func print(_ text: String) {
        if liveLineShown { write("\n"); liveLineShown = false }
        write(text + "\n")
    }

    private func write(_ text: String) { handle.write(Data(text.utf8)) }
}

/// `h:mm:ss`, or `m:ss` under an hour.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    let h = s / 3600, m = (s % 3600) / 60, r = s % 60
    return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
