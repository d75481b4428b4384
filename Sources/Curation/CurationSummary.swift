import Foundation

/// What one stage did over a whole run.
public struct StageReport: Sendable, Equatable {
    /// The stage's name.
    public var name: String
    /// Documents the stage saw.
    public var input = 0
    /// Passed on unchanged.
    public var kept = 0
    /// Passed on changed.
    public var modified = 0
    /// Removed.
    public var removed = 0
    /// Modification reasons and how many documents each changed, in order of first use.
    public var modifiedBy: [(reason: String, count: Int)] = []
    /// Removal reasons and how many documents each removed, in order of first use.
    public var removedBy: [(reason: String, count: Int)] = []
    /// Extra lines from the stage (duplicate clusters, …).
    public var notes: [String] = []
    /// Wall-clock seconds spent in the stage.
    public var seconds = 0.0

    public init(name: String) { self.name = name }

    mutating func record(_ outcome: StageOutcome) {
        input += 1
        switch outcome {
        case .kept: kept += 1
        case .modified(let reasons):
            modified += 1
            for reason in reasons { Self.increment(&modifiedBy, reason) }
        case .removed(let removal):
            removed += 1
            Self.increment(&removedBy, removal.reason)
        }
    }

    static func increment(_ list: inout [(reason: String, count: Int)], _ reason: String) {
        if let index = list.firstIndex(where: { $0.reason == reason }) { list[index].count += 1 } else { list.append((reason, 1)) }
    }

    public static func == (a: StageReport, b: StageReport) -> Bool {
        a.name == b.name && a.input == b.input && a.kept == b.kept && a.modified == b.modified && a.removed == b.removed
            && a.modifiedBy.map(\.reason) == b.modifiedBy.map(\.reason) && a.modifiedBy.map(\.count) == b.modifiedBy.map(\.count)
            && a.removedBy.map(\.reason) == b.removedBy.map(\.reason) && a.removedBy.map(\.count) == b.removedBy.map(\.count)
            && a.notes == b.notes
    }
}

/// What was read from one input file.
public struct InputReport: Sendable, Equatable {
    public var file: String
    /// Bytes read.
    public var bytes = 0
    /// Lines in the file.
    public var lines = 0
    /// Records (JSONL lines or paragraphs) that became documents.
    public var documents = 0
    /// Records rejected as malformed, by reason.
    public var malformed = 0
    /// Blank JSONL lines skipped.
    public var blankLines = 0
    /// A note such as "empty file".
    public var note: String?

    public init(file: String) { self.file = file }
}

/// The outcome of a curation run: per-input and per-stage counts and the totals.
public struct CurationSummary: Sendable, Equatable {
    public var inputs: [InputReport] = []
    /// Malformed records, by reason (the `input` row of the table).
    public var malformedBy: [(reason: String, count: Int)] = []
    public var stages: [StageReport] = []
    /// Documents read (records that parsed).
    public var documentsIn = 0
    /// Documents written to the output.
    public var documentsOut = 0
    /// Bytes of input read and of output written.
    public var bytesIn = 0
    public var bytesOut = 0
    /// Lines written to the rejects file (malformed records and removed documents).
    public var rejected = 0
    /// Wall-clock seconds of the whole run, of reading and decoding input, of writing output.
    public var seconds = 0.0
    public var readSeconds = 0.0
    public var writeSeconds = 0.0
    /// Where output and rejects went (empty for in-memory runs).
    public var output = ""
    public var rejects = ""

    public init() {}

    /// Malformed records in all inputs.
    public var malformed: Int { inputs.reduce(0) { $0 + $1.malformed } }

    public static func == (a: CurationSummary, b: CurationSummary) -> Bool {
        a.inputs == b.inputs && a.stages == b.stages && a.documentsIn == b.documentsIn && a.documentsOut == b.documentsOut
            && a.rejected == b.rejected && a.malformedBy.map(\.reason) == b.malformedBy.map(\.reason)
            && a.malformedBy.map(\.count) == b.malformedBy.map(\.count)
    }

    /// The summary table printed at the end of `lore curate`.
    public var table: String {
        var lines: [String] = []
        func number(_ value: Int) -> String {
            let digits = String(value)
            var out = ""
            for (index, character) in digits.reversed().enumerated() {
                if index > 0 && index % 3 == 0 && character != "-" { out.append(",") }
                out.append(character)
            }
            return String(out.reversed())
        }
        func pad(_ text: String, _ width: Int, right: Bool = true) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return right ? padding + text : text + padding
        }
        func reasons(_ list: [(reason: String, count: Int)]) -> String {
            list.map { "\($0.reason) \(number($0.count))" }.joined(separator: ", ")
        }
        let nameWidth = max(18, (stages.map(\.name.count) + [5]).max()! + 2)
        lines.append(pad("stage", nameWidth, right: false) + pad("in", 12) + pad("kept", 12) + pad("modified", 12) + pad("removed", 12)
                     + pad("seconds", 10))
        let read = documentsIn + malformed
        lines.append(pad("input", nameWidth, right: false) + pad(number(read), 12) + pad(number(documentsIn), 12)
                     + pad("-", 12) + pad(number(malformed), 12) + pad(String(format: "%.2f", readSeconds), 10))
        if !malformedBy.isEmpty { lines.append("    malformed: " + reasons(malformedBy)) }
        for input in inputs {
            var line = "    \(input.file): \(number(input.lines)) lines, \(number(input.documents)) documents"
            if input.malformed > 0 { line += ", \(number(input.malformed)) malformed" }
            if input.blankLines > 0 { line += ", \(number(input.blankLines)) blank lines skipped" }
            if let note = input.note { line += " — \(note)" }
            lines.append(line)
        }
        for stage in stages {
            lines.append(pad(stage.name, nameWidth, right: false) + pad(number(stage.input), 12) + pad(number(stage.kept), 12)
                         + pad(number(stage.modified), 12) + pad(number(stage.removed), 12) + pad(String(format: "%.2f", stage.seconds), 10))
            if !stage.modifiedBy.isEmpty { lines.append("    modified: " + reasons(stage.modifiedBy)) }
            if !stage.removedBy.isEmpty { lines.append("    removed: " + reasons(stage.removedBy)) }
            for note in stage.notes { lines.append("    " + note) }
        }
        let share = documentsIn > 0 ? String(format: " (%.1f%% of documents read)", 100 * Double(documentsOut) / Double(documentsIn)) : ""
        var out = "output: \(number(documentsOut)) documents\(share)"
        if !output.isEmpty { out += String(format: ", %.2f MB → %@", Double(bytesOut) / 1e6, output) }
        lines.append(out)
        if writeSeconds > 0 { lines.append(String(format: "writing: %.2f s", writeSeconds)) }
        var rejectLine = "rejects: \(number(rejected)) records"
        if !rejects.isEmpty { rejectLine += " → \(rejects)" }
        lines.append(rejectLine)
        if seconds > 0 {
            let rate = Double(documentsIn + malformed) / seconds
            lines.append(String(format: "time: %.2f s, %.0f documents/s, %.2f MB/s", seconds, rate, Double(bytesIn) / seconds / 1e6))
        }
        return lines.joined(separator: "\n")
    }
}

/// Progress of a run, reported after each shard.
public struct CurationProgress: Sendable {
    /// 1-based pass (a run makes one pass more per fuzzy-dedup stage) and the pass count.
    public var pass: Int
    public var passes: Int
    /// Documents handled in this pass so far, and the pass's total when known.
    public var documents: Int
    public var totalDocuments: Int?
    /// Input bytes read so far and the input's total size (first pass).
    public var bytesRead: Int
    public var totalBytes: Int
    /// Documents written to the output so far.
    public var written: Int
    /// Seconds since the run started.
    public var elapsed: Double

    /// A one-line description: `pass 1/2: 12,288 documents, 24.1 / 103.0 MB (23%), 3.2 s`.
    public var line: String {
        var text = "pass \(pass)/\(passes): \(documents) documents"
        if pass == 1, totalBytes > 0 {
            text += String(format: ", %.1f / %.1f MB (%.0f%%)", Double(bytesRead) / 1e6, Double(totalBytes) / 1e6,
                           100 * Double(bytesRead) / Double(totalBytes))
        } else if let totalDocuments, totalDocuments > 0 {
            text += String(format: " of %d (%.0f%%)", totalDocuments, 100 * Double(documents) / Double(totalDocuments))
        }
        text += ", \(written) written" + String(format: ", %.1f s", elapsed)
        return text
    }
}
