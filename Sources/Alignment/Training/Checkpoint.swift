import Autograd
import Foundation
import Tensor
import Transformer

/// The checkpoints of one training output folder: `<output>/checkpoint-<step>/`, each holding
///
/// - the weights — full-parameter training: a Hugging Face model directory (`config.json`,
///   `model.safetensors` in F32, tokenizer files); LoRA: the PEFT adapter
///   (`adapter_config.json`, `adapter_model.safetensors`);
/// - `optimizer.safetensors`: the AdamW moments and step counts (``OptimizerState``);
/// - `trainer_state.json`: step, data position, dropout generators, configuration and log
///   (``TrainerState``).
///
/// A checkpoint is written into a hidden staging folder (`.checkpoint-<step>.partial-<uuid>`),
/// every file and the folder are flushed with `fsync`, and only then is the folder renamed to
/// `checkpoint-<step>` (and the parent flushed). A crash or a full disk at any moment leaves
/// either the complete new checkpoint or none, and never touches the previous ones; staging
/// folders left by a crash are removed by ``removeStaleStaging()``. After a successful write the
/// oldest checkpoints beyond the limit are deleted (newest first kept, as `save_total_limit`).
public struct CheckpointFolder: Sendable {
    /// The training output folder.
    public let output: URL

    public init(output: URL) { self.output = output }

    /// The folder of the checkpoint after `step` updates.
    public func url(step: Int) -> URL { output.appendingPathComponent("checkpoint-\(step)") }

    /// Complete checkpoints (`checkpoint-<n>` folders with a `trainer_state.json`), oldest first.
    public func checkpoints() -> [(step: Int, url: URL)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: output.path) else { return [] }
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("checkpoint-"), let step = Int(name.dropFirst("checkpoint-".count)) else { return nil }
            let url = output.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("trainer_state.json").path) else { return nil }
            return (step, url)
        }.sorted { $0.0 < $1.0 }
    }

    /// The newest complete checkpoint, if any.
    public var latest: (step: Int, url: URL)? { checkpoints().last }

    /// Deletes staging folders an interrupted write left behind.
    public func removeStaleStaging() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: output.path) else { return }
        for name in names where name.hasPrefix(".checkpoint-") && name.contains(".partial-") {
            try? FileManager.default.removeItem(at: output.appendingPathComponent(name))
        }
    }

    /// Writes a checkpoint atomically (see the type's description) and prunes old ones.
    ///
    /// - Parameters:
    ///   - writeWeights: writes the model's files into the (not yet existing) folder it is given.
    ///   - keep: how many checkpoints to keep, newest first.
    /// - Returns: the checkpoint's folder.
    /// - Throws: ``CheckpointError/writeFailed(path:reason:)`` naming the file; the staging
    ///   folder is removed and earlier checkpoints are untouched.
    func write(step: Int, keep: Int, writeWeights: (URL) throws -> Void, optimizer: OptimizerState,
               state: TrainerState, faults: FaultInjector) throws -> URL {
        let manager = FileManager.default
        try createFolder(output)
        let staging = output.appendingPathComponent(".checkpoint-\(step).partial-\(UUID().uuidString)")
        let final = url(step: step)
        do {
            try wrap(staging) { try writeWeights(staging) }
            try createFolder(staging)
            let optimizerURL = staging.appendingPathComponent("optimizer.safetensors")
            try faults.failWrite(at: .checkpointWrite, file: optimizerURL)
            try wrap(optimizerURL) { try optimizer.write(to: optimizerURL) }
            let stateURL = staging.appendingPathComponent("trainer_state.json")
            try wrap(stateURL) { try state.encoded().write(to: stateURL) }
            try syncTree(staging)
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
        faults.arrive(.checkpointBeforeRename)
        if manager.fileExists(atPath: final.path) {
            // A checkpoint of the same step from an earlier attempt (e.g. written just before a
            // kill, then recomputed after resuming from an older one): same content; replace it.
            try? manager.removeItem(at: final)
        }
        guard rename(staging.path, final.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? manager.removeItem(at: staging)
            throw CheckpointError.writeFailed(path: final.path, reason: "cannot rename the staging folder: \(reason)")
        }
        syncFolder(output)
        faults.arrive(.checkpointAfterRename)
        prune(keep: keep)
        return final
    }

    /// Deletes all but the newest `keep` checkpoints.
    public func prune(keep: Int) {
        let all = checkpoints()
        for old in all.dropLast(max(1, keep)) { try? FileManager.default.removeItem(at: old.url) }
    }

    private func createFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw CheckpointError.writeFailed(path: url.path, reason: describe(error))
        }
    }

    /// Runs `body`, turning any error into ``CheckpointError/writeFailed(path:reason:)`` for `url`.
    private func wrap(_ url: URL, _ body: () throws -> Void) throws {
        do { try body() } catch let error as CheckpointError { throw error } catch {
            throw CheckpointError.writeFailed(path: url.path, reason: describe(error))
        }
    }
}

/// `fsync` of every file and folder under `root` (files first, then their folders).
func syncTree(_ root: URL) throws {
    let manager = FileManager.default
    guard let walker = manager.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey]) else { return }
    var folders = [root]
    for case let url as URL in walker {
        if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
            folders.append(url)
            continue
        }
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.writeFailed(path: url.path, reason: String(cString: strerror(errno))) }
        let ok = fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        close(fd)
        if !ok { throw CheckpointError.writeFailed(path: url.path, reason: "fsync: \(reason)") }
    }
    for folder in folders.reversed() { syncFolder(folder) }
}

/// `fsync` of a folder, so renames and new entries in it are durable (best effort).
func syncFolder(_ url: URL) {
    let fd = open(url.path, O_RDONLY | O_DIRECTORY)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
}

func describe(_ error: Error) -> String {
    (error as? LocalizedError)?.errorDescription ?? "\(error)"
}

/// Why a checkpoint could not be written or read.
public enum CheckpointError: Error, LocalizedError, Equatable {
    /// Writing failed (e.g. no space left); earlier checkpoints are intact.
    case writeFailed(path: String, reason: String)
    /// A checkpoint file is missing or malformed.
    case unreadable(path: String, reason: String)
    /// `--resume` was asked for but the output folder has no complete checkpoint.
    case nothingToResume(output: String)
    /// The checkpoint does not fit the model or data given (e.g. another LoRA setting).
    case mismatch(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .writeFailed(let path, let reason):
            "cannot write checkpoint file \(path): \(reason) — the previous checkpoint is intact"
        case .unreadable(let path, let reason): "cannot read checkpoint file \(path): \(reason)"
        case .nothingToResume(let output): "\(output) has no complete checkpoint-<step> folder to resume from"
        case .mismatch(let path, let reason): "checkpoint \(path) does not fit this run: \(reason)"
        }
    }
}
