import Foundation

/// An experiment-tracking store in MLflow's local file format (`mlruns/`), which `mlflow ui`
/// and the `mlflow` Python package read (MLflow ≥ 3.13 only with `MLFLOW_ALLOW_FILE_STORE=true`,
/// or after `mlflow migrate-filestore`).
///
/// Layout (MLflow's `FileStore`): `<root>/0/meta.yaml` (the `Default` experiment),
/// `<root>/<experiment id>/meta.yaml`, and per run `<root>/<experiment>/<run id>/` with
/// `meta.yaml`, `params/<key>` (the value, no newline), `metrics/<key>` (lines
/// `<timestamp_ms> <value> <step>`), `tags/<key>` and `artifacts/`. Run ids are 32 lower-case
/// hex digits; experiment ids random positive integers, claimed with an exclusive `mkdir` so two
/// processes cannot collide; finding-or-creating an experiment by name holds a lock file, so two
/// runs starting at once share one experiment. Metric lines are appended with one `write` each
/// (`O_APPEND`), `meta.yaml` replaced atomically, so concurrent writers never interleave.
public final class MLflowStore: @unchecked Sendable {
    /// The store's folder (`./mlruns` by default in the CLI).
    public let root: URL

    /// Opens (creating if needed) a store with its `Default` experiment `0`.
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        try withLock {
            let manager = FileManager.default
            try manager.createDirectory(at: self.root.appendingPathComponent(".trash"), withIntermediateDirectories: true)
            let zero = self.root.appendingPathComponent("0")
            if !manager.fileExists(atPath: zero.appendingPathComponent("meta.yaml").path) {
                try manager.createDirectory(at: zero, withIntermediateDirectories: true)
                try writeExperimentMeta(id: "0", name: "Default", folder: zero)
            }
        }
    }

    /// The id of the experiment called `name`, created if there is none.
    public func experiment(named name: String) throws -> String {
        try withLock {
            if let found = try experiments().first(where: { $0.name == name }) { return found.id }
            var generator = SystemRandomNumberGenerator()
            while true {
                let id = String(UInt64.random(in: 1...UInt64(Int64.max), using: &generator))
                let folder = root.appendingPathComponent(id)
                // mkdir fails if the id exists: the claim is atomic.
                guard mkdir(folder.path, 0o755) == 0 else {
                    if errno == EEXIST { continue }
                    throw MLflowError.io(path: folder.path, reason: String(cString: strerror(errno)))
                }
                try writeExperimentMeta(id: id, name: name, folder: folder)
                return id
            }
        }
    }

    /// Every experiment: id and name.
    public func experiments() throws -> [(id: String, name: String)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return entries.sorted().compactMap { entry in
            guard Int(entry) != nil,
                  let meta = try? String(contentsOf: root.appendingPathComponent(entry).appendingPathComponent("meta.yaml"), encoding: .utf8),
                  let name = yamlValue(meta, key: "name") else { return nil }
            return (entry, name)
        }
    }

    /// Starts a run (status RUNNING) in the experiment called `experiment`, tagged with
    /// `mlflow.runName` (and `mlflow.user`, `mlflow.source.name`, `mlflow.source.type` LOCAL).
    public func startRun(experiment: String = "Default", name: String, tags: [String: String] = [:]) throws -> MLflowRun {
        let experimentID = try self.experiment(named: experiment)
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        let runID = bytes.map { String(format: "%02x", $0) }.joined()
        let folder = root.appendingPathComponent(experimentID).appendingPathComponent(runID)
        for sub in ["params", "metrics", "tags", "artifacts"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let run = MLflowRun(store: self, experimentID: experimentID, runID: runID, name: name, folder: folder,
                            startTime: Self.now())
        try run.writeMeta(status: .running, endTime: nil)
        let user = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        var all = ["mlflow.runName": name, "mlflow.user": user, "mlflow.source.type": "LOCAL",
                   "mlflow.source.name": CommandLine.arguments.first ?? "lore"]
        for (key, value) in tags { all[key] = value }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { try run.setTag(key, value) }
        return run
    }

    /// Reopens a run (e.g. when training resumes) and marks it RUNNING again.
    public func reopenRun(id runID: String) throws -> MLflowRun {
        let run = try self.run(id: runID)
        try run.writeMeta(status: .running, endTime: nil)
        return run
    }

    /// A run found by its id, or by its name when no id matches (the newest of that name), for
    /// reading. Nothing is written.
    public func run(id runID: String) throws -> MLflowRun {
        var byName: [(start: Int64, run: MLflowRun)] = []
        for (experimentID, _) in try experiments() {
            let experiment = root.appendingPathComponent(experimentID)
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: experiment.path)) ?? [] {
                let folder = experiment.appendingPathComponent(entry)
                guard let meta = try? String(contentsOf: folder.appendingPathComponent("meta.yaml"), encoding: .utf8) else { continue }
                let name = yamlValue(meta, key: "run_name") ?? ""
                let start = Int64(yamlValue(meta, key: "start_time") ?? "") ?? 0
                let run = MLflowRun(store: self, experimentID: experimentID, runID: entry, name: name, folder: folder, startTime: start)
                if entry == runID { return run }
                if name == runID { byName.append((start, run)) }
            }
        }
        guard let newest = byName.max(by: { $0.start < $1.start }) else { throw MLflowError.noSuchRun(store: root.path, run: runID) }
        return newest.run
    }

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    private func writeExperimentMeta(id: String, name: String, folder: URL) throws {
        let now = Self.now()
        let text = """
            artifact_location: \(yamlQuoted(folder.absoluteURL.absoluteString))
            creation_time: \(now)
            experiment_id: \(yamlQuoted(id))
            last_update_time: \(now)
            lifecycle_stage: active
            name: \(yamlQuoted(name))

            """
        try writeFileAtomically(text, to: folder.appendingPathComponent("meta.yaml"))
    }

    /// Runs `body` holding an exclusive `flock` on `<root>/.lore.lock`.
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let path = root.appendingPathComponent(".lore.lock").path
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw MLflowError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw MLflowError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

/// A run's status, with MLflow's integer codes.
public enum MLflowRunStatus: Int, Sendable {
    case running = 1, scheduled = 2, finished = 3, failed = 4, killed = 5
}

/// One run of an ``MLflowStore``: parameters, metrics, tags, artifacts and a status.
public final class MLflowRun: @unchecked Sendable {
    public let store: MLflowStore
    public let experimentID: String
    /// 32 lower-case hex digits.
    public let runID: String
    public let name: String
    /// `<root>/<experiment>/<run>`.
    public let folder: URL
    let startTime: Int64

    init(store: MLflowStore, experimentID: String, runID: String, name: String, folder: URL, startTime: Int64) {
        self.store = store
        self.experimentID = experimentID
        self.runID = runID
        self.name = name
        self.folder = folder
        self.startTime = startTime
    }

    /// The folder artifacts go in.
    public var artifacts: URL { folder.appendingPathComponent("artifacts") }

    /// Logs a parameter (written once: logging a different value for the same key is an error,
    /// as in MLflow; the same value again is accepted).
    public func logParameter(_ key: String, _ value: String) throws {
        let url = try path("params", key)
        if let existing = try? String(contentsOf: url, encoding: .utf8) {
            guard existing == value else { throw MLflowError.parameterChanged(run: runID, key: key, old: existing, new: value) }
            return
        }
        try writeFileAtomically(value, to: url)
    }

    /// Appends `<timestamp_ms> <value> <step>` to `metrics/<key>` (`/` in a key makes a folder).
    public func logMetric(_ key: String, _ value: Double, step: Int, timestamp: Int64? = nil) throws {
        let url = try path("metrics", key)
        let line = "\(timestamp ?? MLflowStore.now()) \(formatMetric(value)) \(step)\n"
        let fd = open(url.path, O_CREAT | O_WRONLY | O_APPEND, 0o644)
        guard fd >= 0 else { throw MLflowError.io(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let written = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        guard written == line.utf8.count else { throw MLflowError.io(path: url.path, reason: "short write") }
    }

    /// Sets a tag (`tags/<key>`, replaced atomically).
    public func setTag(_ key: String, _ value: String) throws { try writeFileAtomically(value, to: try path("tags", key)) }

    /// Copies a file into the artifacts (optionally under a sub-folder).
    public func logArtifact(_ file: URL, subfolder: String? = nil) throws {
        var target = artifacts
        if let subfolder { target = try path("artifacts", subfolder) }
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let destination = target.appendingPathComponent(file.lastPathComponent)
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.copyItem(at: file, to: destination)
    }

    /// Drops every metric point logged after `step` (a resumed run continues from its last
    /// checkpoint without duplicated points).
    public func dropMetrics(after step: Int) throws {
        let metrics = folder.appendingPathComponent("metrics")
        guard let files = FileManager.default.enumerator(at: metrics, includingPropertiesForKeys: [.isRegularFileKey]) else { return }
        for case let url as URL in files where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let text = try String(contentsOf: url, encoding: .utf8)
            let kept = text.split(separator: "\n").filter { line in
                let fields = line.split(separator: " ")
                return fields.count < 3 || (Int(fields[2]) ?? 0) <= step
            }
            try writeFileAtomically(kept.map { $0 + "\n" }.joined(), to: url)
        }
    }

    /// Ends the run with `status` (FINISHED, FAILED or KILLED) and its end time.
    public func finish(_ status: MLflowRunStatus = .finished) throws {
        try writeMeta(status: status, endTime: MLflowStore.now())
    }

    func writeMeta(status: MLflowRunStatus, endTime: Int64?) throws {
        let user = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        let text = """
            artifact_uri: \(yamlQuoted(artifacts.absoluteURL.absoluteString))
            end_time: \(endTime.map(String.init) ?? "null")
            entry_point_name: ''
            experiment_id: \(yamlQuoted(experimentID))
            lifecycle_stage: active
            run_id: \(runID)
            run_name: \(yamlQuoted(name))
            run_uuid: \(runID)
            source_name: ''
            source_type: 4
            source_version: ''
            start_time: \(startTime)
            status: \(status.rawValue)
            tags: []
            user_id: \(yamlQuoted(user))

            """
        try writeFileAtomically(text, to: folder.appendingPathComponent("meta.yaml"))
    }

    /// `folder/<kind>/<key>`, with MLflow's key rule (letters, digits, `_ - . space /`, no `..`).
    private func path(_ kind: String, _ key: String) throws -> URL {
        let allowed = key.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-. /".unicodeScalars.contains($0) }
        guard !key.isEmpty, allowed, !key.hasPrefix("/"), !key.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw MLflowError.invalidKey(key)
        }
        let url = folder.appendingPathComponent(kind).appendingPathComponent(key)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return url
    }
}

/// Why a tracking call failed.
public enum MLflowError: Error, LocalizedError, Equatable {
    case invalidKey(String)
    case parameterChanged(run: String, key: String, old: String, new: String)
    case noSuchRun(store: String, run: String)
    case io(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .invalidKey(let key): return "MLflow: '\(key)' is not a valid key (letters, digits, _ - . space /)"
        case .parameterChanged(let run, let key, let old, let new):
            return "MLflow run \(run): parameter '\(key)' was logged as '\(old)', cannot change it to '\(new)'"
        case .noSuchRun(let store, let run): return "\(store): no run \(run)"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// A metric value as Python's `str(float)` writes it (`1.0`, `0.5`, `1e-05`, `nan`, `inf`).
func formatMetric(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return "\(value)"
}

/// A YAML single-quoted scalar.
func yamlQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

/// The value of a top-level `key: value` line (quotes removed).
func yamlValue(_ yaml: String, key: String) -> String? {
    for line in yaml.split(separator: "\n") where line.hasPrefix(key + ": ") {
        var value = String(line.dropFirst(key.count + 2))
        if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 {
            value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
        }
        return value
    }
    return nil
}

/// Writes `text` to a temporary file beside `url`, then renames it over `url`.
func writeFileAtomically(_ text: String, to url: URL) throws {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
        try Data(text.utf8).write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else { throw MLflowError.io(path: url.path, reason: String(cString: strerror(errno))) }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    }
}
