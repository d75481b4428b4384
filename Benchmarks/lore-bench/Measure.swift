import COpenBLAS
import Foundation
import Tensor

/// Timing helpers for benchmarks that report a figure beside a ceiling measured in the same run.
///
/// The machine is shared and noisy, so the measured code and its ceiling are *interleaved*:
/// each round times one batch of the measured code, then one batch of the ceiling, and the
/// reported ratio is the median over rounds of `ceilingSeconds / measuredSeconds`
/// (> 1 means faster than the ceiling).
enum Measure {
    /// Monotonic wall-clock seconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Seconds per call of `body`, averaged over `repetitions` calls.
    static func time(repetitions: Int, _ body: () -> Void) -> Double {
        let start = now()
        for _ in 0..<repetitions { body() }
        return (now() - start) / Double(repetitions)
    }

    /// Picks a repetition count so one batch of `body` takes about `target` seconds.
    static func repetitions(target: Double, _ body: () -> Void) -> Int {
        body()  // warm-up: page faults, caches, BLAS thread start
        let once = max(time(repetitions: 1, body), 1e-9)
        return max(1, min(1_000_000, Int(target / once)))
    }

    /// Interleaved comparison of `measured` against `ceiling`.
    ///
    /// - Returns: median seconds per call of each, and the median per-round ratio
    ///   `ceiling / measured`.
    static func compare(
        rounds: Int = 9, target: Double = 0.05,
        measured: () -> Void, ceiling: () -> Void
    ) -> (measured: Double, ceiling: Double, ratio: Double) {
        let nm = repetitions(target: target, measured)
        let nc = repetitions(target: target, ceiling)
        var tm: [Double] = [], tc: [Double] = [], ratios: [Double] = []
        for _ in 0..<rounds {
            let a = time(repetitions: nm, measured)
            let b = time(repetitions: nc, ceiling)
            tm.append(a); tc.append(b); ratios.append(b / a)
        }
        return (median(tm), median(tc), median(ratios))
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Prints one result line: `name<TAB>value<TAB>unit<TAB>ratio`.
    static func report(_ name: String, _ value: Double, _ unit: String, ratio: Double) {
        let line = "\(name)\t\(format(value))\t\(unit)\t\(String(format: "%.3f", ratio))\n"
        FileHandle.standardOutput.write(Data(line.utf8))  // unbuffered: lines appear as measured
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(format: "%.1f", value) : value >= 1 ? String(format: "%.2f", value) : String(format: "%.4g", value)
    }
}

/// The process's resident-memory high-water mark (`VmHWM`), resettable through
/// `/proc/self/clear_refs`, so each benchmark can report its own peak.
enum PeakMemory {
    /// Resets the high-water mark to the current resident size (Linux ≥ 4.0).
    static func reset() {
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write(Data("5".utf8))
            try? handle.close()
        }
    }

    /// Current resident size and high-water mark, in bytes.
    static func read() -> (resident: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}

/// Runs `body` with OpenBLAS's own threading on (``Threads/count`` threads), then back to one
/// thread: the "raw `cblas_sgemm`" ceilings of the benchmarks are OpenBLAS as it runs by
/// itself, while Lore keeps OpenBLAS at one thread and splits products across its own pool.
func withThreadedOpenBLAS<R>(_ body: () -> R) -> R {
    openblas_set_num_threads(Int32(Threads.count))
    defer { openblas_set_num_threads(1) }
    return body()
}
