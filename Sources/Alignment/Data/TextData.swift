import Foundation
import Tokenizer
#if canImport(Glibc)
import Glibc
#endif

/// Raw text for continued pretraining: files → documents → tokens → packed, split sequences.
///
/// ```swift
/// let data = try TextData.prepare(files: [URL(fileURLWithPath: "corpus.jsonl")], tokenizer: tokenizer,
///                                 eosTokenID: 2, options: PackingOptions(sequenceLength: 256),
///                                 directory: URL(fileURLWithPath: "runs/cpt/data")) { print($0) }
/// var loader = BatchLoader(dataset: data.train, batchSize: 8, seed: 0)
/// ```
public enum TextData {
    /// Document bytes gathered before one parallel tokenization (4 MB): the memory bound of a run.
    static let defaultChunkBytes = 4 << 20
    /// Bytes read from a file at a time (1 MB).
    static let defaultReadBlockBytes = 1 << 20

    /// The files' names inside `directory`.
    static let trainFileName = "train.tokens", validationFileName = "validation.tokens"

    /// Reads, tokenizes (on all cores), packs and splits text files; writes `train.tokens` and
    /// `validation.tokens` (llm.c's token-file layout) and `manifest.json` into `directory`
    /// (created when missing), and opens them memory-mapped.
    ///
    /// Inputs: `.jsonl`/`.ndjson` files are JSON Lines whose `options.textField` string is a
    /// document; any other file is text whose blank-line separated paragraphs are documents.
    /// Files are read in order, in 1 MB blocks; documents are tokenized 4 MB at a time
    /// (`Tokenizer.encode(batch:)`, special-token text is not parsed) and appended to the token
    /// files with `eosTokenID` after each one, so memory stays bounded whatever the corpus size.
    ///
    /// Validation split: document `i` (counted over usable documents in file order) is held out
    /// when `u(seed, i) < validationFraction`, `u` a uniform value from a hash of the seed and
    /// `i`. When that leaves either split without a token but all documents together make at
    /// least two sequences, the last `k = clamp(round(fraction · n), 1, n − 1)` of those `n`
    /// sequences are held out instead; with fewer than two sequences there is no validation
    /// split (a note says so). `validationFraction` 0 disables the split.
    ///
    /// The result depends only on the files' bytes and the arguments — not on the thread count
    /// or chunk sizes. A second call whose files (path, size, modification time), tokenizer
    /// (``DataManifest`` fingerprint), EOS id and options (except `separateDocuments`) match the
    /// manifest reuses the token files without reading the inputs, and replays the issues found
    /// the first time to `report`.
    ///
    /// - Parameters:
    ///   - files: the inputs, read in this order.
    ///   - tokenizer: turns documents into ids.
    ///   - eosTokenID: appended after every document, and padding; in `0..<vocabularySize`.
    ///   - options: sequence length, split, bad-record policy, text field.
    ///   - directory: where the token files and the manifest go.
    ///   - report: called with each issue as it is found (skip mode; in fail mode the first issue
    ///     is thrown instead).
    /// - Returns: the training split, the validation split (`nil` when there is none) and a summary.
    /// - Throws: ``DataError``: a bad record or empty file in fail mode, no usable document,
    ///   an unreadable input, an unwritable directory, invalid options.
    public static func prepare(
        files: [URL], tokenizer: Tokenizer, eosTokenID: Int32, options: PackingOptions, directory: URL,
        report: (DataIssue) -> Void = { _ in }
    ) throws -> (train: PackedDataset, validation: PackedDataset?, summary: DataSummary) {
        try prepare(files: files, tokenizer: tokenizer, eosTokenID: eosTokenID, options: options, directory: directory,
                    threads: ProcessInfo.processInfo.activeProcessorCount, chunkBytes: defaultChunkBytes,
                    readBlockBytes: defaultReadBlockBytes, report: report)
    }

    /// ``prepare(files:tokenizer:eosTokenID:options:directory:report:)`` with the worker count
    /// and the two memory knobs exposed (tests make them tiny to check that nothing depends on them).
    static func prepare(
        files: [URL], tokenizer: Tokenizer, eosTokenID: Int32, options: PackingOptions, directory: URL,
        threads: Int, chunkBytes: Int, readBlockBytes: Int, report: (DataIssue) -> Void
    ) throws -> (train: PackedDataset, validation: PackedDataset?, summary: DataSummary) {
        if let problem = options.problem() { throw DataError.invalidOptions(problem) }
        guard eosTokenID >= 0 && Int(eosTokenID) < tokenizer.vocabularySize else {
            throw DataError.invalidOptions("EOS id \(eosTokenID) is outside the tokenizer's \(tokenizer.vocabularySize) ids")
        }
        guard !files.isEmpty else { throw DataError.noDocuments(files: []) }
        var keyOptions = options
        keyOptions.separateDocuments = false
        let key = DataManifest.Key(inputs: try files.map(DataManifest.input), tokenizer: DataManifest.fingerprint(of: tokenizer),
                                   eosTokenID: eosTokenID, options: keyOptions)
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw DataError.cannotWrite(path: directory.path, reason: error.localizedDescription)
        }
        if let reused = reuse(key: key, options: options, directory: directory) {
            reused.issues.forEach(report)
            return reused.result
        }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(DataManifest.fileName))

        var build = try SplitBuilder(directory: directory, tokenizer: tokenizer, eosTokenID: eosTokenID, options: options,
                                     threads: threads, chunkBytes: chunkBytes)
        defer { build.removePartialFiles() }
        for url in files {
            let reader = DocumentReader(url: url, format: DocumentFormat(of: url), textField: options.textField, blockSize: readBlockBytes)
            let counts = try reader.read(document: { try build.add($0) }, issue: { issue in
                if options.badRecords == .fail { throw DataError.badRecord(issue) }
                build.issues.append(issue)
                report(issue)
            })
            build.summary.skippedRecords += counts.badRecords
            if counts.documents == 0 && counts.badRecords == 0 && counts.emptyTexts == 0 {
                build.summary.notes.append("empty file \(url.path)")
            }
            if counts.emptyTexts > 0 {
                build.summary.notes.append("\(url.path): \(counts.emptyTexts) record(s) with empty text ignored")
            }
        }
        build.summary.files = files.count
        if build.summary.skippedRecords > 0 {
            build.summary.notes.append("skipped \(build.summary.skippedRecords) bad record(s), each reported")
        }
        let summary = try build.finish(files: files)
        try DataManifest(key: key, summary: summary, issues: build.issues).write(in: directory)
        return try open(directory: directory, options: options, eosTokenID: eosTokenID, summary: summary)
    }

    /// The token files of a matching manifest, opened; `nil` when anything differs or fails.
    private static func reuse(key: DataManifest.Key, options: PackingOptions, directory: URL)
        -> (result: (train: PackedDataset, validation: PackedDataset?, summary: DataSummary), issues: [DataIssue])? {
        guard let manifest = DataManifest.read(in: directory), manifest.key == key,
              var result = try? open(directory: directory, options: options, eosTokenID: key.eosTokenID, summary: manifest.summary),
              result.train.tokenCount == manifest.summary.trainTokens,
              (result.validation?.tokenCount ?? 0) == manifest.summary.validationTokens
        else { return nil }
        result.summary.notes.append("token files reused from \(directory.path) (inputs, tokenizer and options unchanged)")
        return (result, manifest.issues)
    }

    /// Opens the token files of `directory`.
    private static func open(directory: URL, options: PackingOptions, eosTokenID: Int32, summary: DataSummary) throws
        -> (train: PackedDataset, validation: PackedDataset?, summary: DataSummary) {
        let train = try PackedDataset(contentsOf: directory.appendingPathComponent(trainFileName), sequenceLength: options.sequenceLength,
                                      eosTokenID: eosTokenID, separateDocuments: options.separateDocuments)
        let validation = summary.validationTokens == 0 ? nil : try PackedDataset(
            contentsOf: directory.appendingPathComponent(validationFileName), sequenceLength: options.sequenceLength,
            eosTokenID: eosTokenID, separateDocuments: options.separateDocuments)
        return (train, validation, summary)
    }

    /// Whether usable document `index` is drawn for validation: a uniform `u ∈ [0, 1)` from 53
    /// bits of `mix(mix(seed ⊕ c) ⊕ index)` (SplitMix64's finaliser) is below `fraction`.
    static func isHeldOut(document index: Int, seed: UInt64, fraction: Double) -> Bool {
        let h = splitMix64(splitMix64(seed ^ 0x7661_6C69_6461_7465) ^ UInt64(truncatingIfNeeded: index))
        return Double(h >> 11) * 0x1p-53 < fraction
    }
}

/// The state of one preparation: pending documents, the two partial token files, the summary.
private struct SplitBuilder {
    let directory: URL, tokenizer: Tokenizer, eosTokenID: Int32, options: PackingOptions
    let threads: Int, chunkBytes: Int
    let trainPart: URL, validationPart: URL
    var train: TokenFileWriter, validation: TokenFileWriter
    var pending: [[UInt8]] = [], pendingHeldOut: [Bool] = [], pendingBytes = 0
    var summary = DataSummary()
    var issues: [DataIssue] = []

    init(directory: URL, tokenizer: Tokenizer, eosTokenID: Int32, options: PackingOptions, threads: Int, chunkBytes: Int) throws {
        self.directory = directory
        self.tokenizer = tokenizer
        self.eosTokenID = eosTokenID
        self.options = options
        self.threads = max(1, threads)
        self.chunkBytes = max(1, chunkBytes)
        trainPart = directory.appendingPathComponent(TextData.trainFileName + ".partial")
        validationPart = directory.appendingPathComponent(TextData.validationFileName + ".partial")
        train = try TokenFileWriter(url: trainPart)
        validation = try TokenFileWriter(url: validationPart)
    }

    /// Queues one document; tokenizes the queue when it holds `chunkBytes`.
    mutating func add(_ document: [UInt8]) throws {
        pendingHeldOut.append(TextData.isHeldOut(document: summary.documents, seed: options.seed, fraction: options.validationFraction))
        summary.documents += 1
        pendingBytes += document.count
        pending.append(document)
        if pendingBytes >= chunkBytes { try flush() }
    }

    /// Tokenizes the queued documents on `threads` threads and appends them, each with its EOS.
    mutating func flush() throws {
        guard !pending.isEmpty else { return }
        let ids = tokenizer.encode(batch: pending, parseSpecialTokens: false, threads: threads)
        for (k, document) in ids.enumerated() {
            let writer = pendingHeldOut[k] ? validation : train
            try writer.append(document)
            try writer.append(CollectionOfOne(Int(eosTokenID)))
        }
        pending.removeAll(keepingCapacity: true)
        pendingHeldOut.removeAll(keepingCapacity: true)
        pendingBytes = 0
    }

    /// Writes the last documents, applies the split rule (see `TextData.prepare`) and moves the
    /// finished files into place; returns the summary.
    mutating func finish(files: [URL]) throws -> DataSummary {
        try flush()
        try train.finish()
        try validation.finish()
        guard summary.documents > 0 else { throw DataError.noDocuments(files: files.map(\.path)) }
        let l = options.sequenceLength
        func sequences(_ tokens: Int) -> Int { (tokens + l - 1) / l }
        var trainTokens = train.count, validationTokens = validation.count
        if options.validationFraction == 0 {
            summary.notes.append("validation disabled (validationFraction 0)")
        } else if trainTokens == 0 || validationTokens == 0 {
            // The draw left one split empty: everything is in one file, in document order.
            if trainTokens == 0 { try replace(trainPart, with: validationPart) }
            let total = trainTokens + validationTokens, n = sequences(total)
            if n < 2 {
                summary.notes.append("validation skipped: fewer than two sequences (\(total) tokens, sequence length \(l))")
                trainTokens = total
                validationTokens = 0
            } else {
                let k = Swift.min(n - 1, Swift.max(1, Int((options.validationFraction * Double(n)).rounded())))
                try TokenFileReader.moveTail(of: trainPart, from: (n - k) * l, to: validationPart)
                trainTokens = (n - k) * l
                validationTokens = total - trainTokens
                summary.notes.append("validation: the seeded draw held out \(validation.count == 0 ? "no" : "every") document; holding out the last \(k) of \(n) sequences instead")
            }
        }
        summary.trainTokens = trainTokens
        summary.validationTokens = validationTokens
        summary.trainSequences = sequences(trainTokens)
        summary.validationSequences = sequences(validationTokens)
        try replace(directory.appendingPathComponent(TextData.trainFileName), with: trainPart)
        let validationFile = directory.appendingPathComponent(TextData.validationFileName)
        if validationTokens > 0 {
            try replace(validationFile, with: validationPart)
        } else {
            try? FileManager.default.removeItem(at: validationFile)
        }
        return summary
    }

    /// Renames `source` over `destination` (atomic on one file system).
    private func replace(_ destination: URL, with source: URL) throws {
        guard rename(source.path, destination.path) == 0 else {
            throw DataError.cannotWrite(path: destination.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Deletes the `.partial` files left by a failed run (none after a successful one).
    func removePartialFiles() {
        try? FileManager.default.removeItem(at: trainPart)
        try? FileManager.default.removeItem(at: validationPart)
    }
}
