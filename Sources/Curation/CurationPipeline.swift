import Foundation

/// Anything a ``CurationPipeline`` can run: a ``Stage`` (decides shard by shard) or a
/// ``CorpusStage`` (decides after seeing every document).
public protocol PipelineStage: AnyObject, Sendable {
    /// The name in the summary table and the rejects file.
    var name: String { get }
}

/// A stage that can decide only after it has seen the whole corpus, such as MinHash-LSH
/// deduplication, whose clusters may join the first and the last document.
///
/// The pipeline shows it every surviving document in input order (``observe(_:workers:)``,
/// shard by shard) while setting those documents aside (in a temporary file next to the
/// output, or in memory), then asks for one outcome per observed document
/// (``decide()``) and runs the rest of the pipeline over the set-aside documents.
public protocol CorpusStage: PipelineStage {
    /// Sees one shard, in input order.
    func observe(_ documents: [Document], workers: Int)
    /// One outcome per observed document, in observation order (only `.kept` or `.removed`).
    func decide() -> [StageOutcome]
    /// Lines for the summary after ``decide()`` (cluster counts, …).
    func notes() -> [String]
}

/// The documents a run kept, the rejections, and the summary.
public struct CurationResult: Sendable {
    public var documents: [Document]
    public var rejections: [Rejection]
    public var summary: CurationSummary
}

/// Runs documents through stages: over files (streaming JSONL or `.txt` in, JSONL out, a
/// rejects file beside) or over an array in memory.
///
/// Shards of ``CurationConfig/shardDocuments`` documents are read in order; each stage
/// processes a shard with ``CurationConfig/threads`` workers before the next stage sees it, and
/// shards are written in order, so the output order is the input order and does not depend
/// on the thread count. A ``CorpusStage`` splits the run into passes (see its documentation).
///
/// ```swift
/// let pipeline = try CurationPipeline(config: .prose)
/// let summary = try pipeline.run(inputs: ["plays.txt"], output: "clean.jsonl")
/// print(summary.table)
/// ```
public final class CurationPipeline {
    public let config: CurationConfig
    public let stages: [any PipelineStage]

    /// A pipeline of the stages `config` switches on (see ``CurationConfig``).
    /// - Throws: ``CurationError`` when a stage's files (evaluation sets) cannot be read.
    public convenience init(config: CurationConfig = .prose) throws {
        try config.validate()
        self.init(stages: try StageFactory.stages(for: config), config: config)
    }

    /// A pipeline of explicit stages; `config` supplies the text field, threads and sharding.
    public init(stages: [any PipelineStage], config: CurationConfig = .prose) {
        for stage in stages where !(stage is any Stage) && !(stage is any CorpusStage) {
            fatalError("CurationPipeline: \(stage.name) is neither a Stage nor a CorpusStage")
        }
        self.stages = stages
        self.config = config
    }

    // MARK: In memory

    /// Runs `documents` through the stages; set-aside documents stay in memory.
    public func run(documents: [Document]) -> CurationResult {
        var kept: [Document] = []
        var rejections: [Rejection] = []
        let sink = Sink(write: { kept.append(contentsOf: $0) }, reject: { rejections.append(contentsOf: $0) })
        let run = Run(pipeline: self, sink: sink, spoolPrefix: nil, progress: nil)
        var summary = (try? run.execute { handle in
            let size = config.shardDocuments
            for start in stride(from: 0, to: documents.count, by: size) {
                run.summary.documentsIn += min(size, documents.count - start)
                try handle(Array(documents[start..<min(documents.count, start + size)]))
            }
        }) ?? CurationSummary()
        summary.documentsOut = kept.count
        summary.rejected = rejections.count
        return CurationResult(documents: kept, rejections: rejections, summary: summary)
    }

    // MARK: Files

    /// Curates `inputs` (JSONL, or `.txt` as paragraphs) into `output` (JSONL); malformed
    /// records and removed documents go to `rejects` (default: `<output>.rejects.jsonl`).
    /// - Parameter progress: called after each shard (from the calling thread).
    /// - Throws: ``CurationError`` when a file cannot be read or written (records already
    ///   written stay written).
    @discardableResult
    public func run(inputs: [String], output: String, rejects: String? = nil,
                    progress: ((CurationProgress) -> Void)? = nil) throws -> CurationSummary {
        let rejectsPath = rejects ?? Self.defaultRejectsPath(for: output)
        // Every input must be a readable file before the output is created (or truncated).
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw CurationError.unreadableInput(path: input, reason: "No such file or directory")
            }
            if isDirectory.boolValue { throw CurationError.unreadableInput(path: input, reason: "is a directory") }
            if !FileManager.default.isReadableFile(atPath: input) {
                throw CurationError.unreadableInput(path: input, reason: "Permission denied")
            }
        }
        for path in [output, rejectsPath] where inputs.contains(path) {
            throw CurationError.unwritableOutput(path: path, reason: "it is also an input")
        }
        var totalBytes = 0
        for input in inputs {
            let attributes = try? FileManager.default.attributesOfItem(atPath: input)
            totalBytes += (attributes?[.size] as? Int) ?? 0
        }
        let outputWriter = try BufferedFileWriter(path: output)
        let rejectsWriter = try BufferedFileWriter(path: rejectsPath)
        let workers = config.resolvedThreads, textField = config.textField
        var written = 0, rejected = 0
        let sink = Sink(write: { documents in
            written += documents.count
            try outputWriter.write(RecordEncoding.lines(documents, textField: textField, workers: workers))
        }, reject: { rejections in
            rejected += rejections.count
            try rejectsWriter.write(RecordEncoding.lines(rejections))
        })
        let spoolPrefix = (output as NSString).deletingLastPathComponent + "/." + (output as NSString).lastPathComponent
        let run = Run(pipeline: self, sink: sink, spoolPrefix: spoolPrefix, progress: progress)
        run.totalBytes = totalBytes
        var summary = try run.execute { handle in
            for input in inputs { try self.read(input, run: run, handle: handle) }
        }
        try outputWriter.close()
        try rejectsWriter.close()
        summary.documentsOut = written
        summary.rejected = rejected
        summary.bytesOut = outputWriter.bytesWritten
        summary.output = output
        summary.rejects = rejectsPath
        return summary
    }

    /// `<output>.rejects.jsonl` (a `.jsonl` suffix of `output` replaced).
    public static func defaultRejectsPath(for output: String) -> String {
        (output.hasSuffix(".jsonl") ? String(output.dropLast(6)) : output) + ".rejects.jsonl"
    }

    /// Reads one input file shard by shard, decoding records in parallel.
    private func read(_ input: String, run: Run, handle: ([Document]) throws -> Void) throws {
        let format = InputFormat.forFile(input)
        var reader = try RecordReader(file: input, format: format, maximumRecordBytes: config.maxDocumentBytes)
        defer { reader.close() }
        var report = InputReport(file: input)
        let workers = config.resolvedThreads, textField = config.textField, limit = config.maxDocumentBytes
        while true {
            let readStart = Date()
            guard let batch = try reader.nextBatch(maximumRecords: config.shardDocuments, maximumBytes: config.shardBytes) else { break }
            let decoded = Parallel.map(count: batch.records.count, workers: workers) { index in
                RecordDecoder.decode(batch.records[index], in: batch, format: format, textField: textField, maximumRecordBytes: limit)
            }
            var documents: [Document] = []
            var malformed: [Rejection] = []
            documents.reserveCapacity(decoded.count)
            for result in decoded {
                switch result {
                case .document(let document): documents.append(document)
                case .rejected(let rejection):
                    malformed.append(rejection)
                    StageReport.increment(&run.summary.malformedBy, rejection.reason)
                }
            }
            report.documents += documents.count
            report.malformed += malformed.count
            run.summary.documentsIn += documents.count
            run.bytesRead += reader.bytesRead - report.bytes
            report.bytes = reader.bytesRead
            if !malformed.isEmpty { try run.sink.reject(malformed) }
            run.summary.readSeconds += Date().timeIntervalSince(readStart)
            try handle(documents)
        }
        report.lines = reader.lineCount
        report.blankLines = reader.blankLines
        report.bytes = reader.bytesRead
        if report.bytes == 0 {
            report.note = "empty file"
        } else if report.documents == 0 {
            report.note = "no documents"
        }
        run.summary.inputs.append(report)
        run.summary.bytesIn += report.bytes
    }

    // MARK: The engine

    struct Sink {
        var write: ([Document]) throws -> Void
        var reject: ([Rejection]) throws -> Void
    }

    /// One run: per-stage reports, passes, spools.
    final class Run {
        let pipeline: CurationPipeline
        let sink: Sink
        let spoolPrefix: String?
        let progress: ((CurationProgress) -> Void)?
        var summary = CurationSummary()
        var reports: [StageReport]
        var totalBytes = 0
        var bytesRead = 0
        var handled = 0
        var written = 0
        let start = Date()

        init(pipeline: CurationPipeline, sink: Sink, spoolPrefix: String?, progress: ((CurationProgress) -> Void)?) {
            self.pipeline = pipeline
            self.sink = sink
            self.spoolPrefix = spoolPrefix
            self.progress = progress
            reports = pipeline.stages.map { StageReport(name: $0.name) }
        }

        /// Runs every pass; `firstPass` feeds the input shards to the handler it is given.
        func execute(_ firstPass: (_ handle: ([Document]) throws -> Void) throws -> Void) throws -> CurationSummary {
            let stages = pipeline.stages
            let corpusIndices = stages.indices.filter { stages[$0] is any CorpusStage }
            let passes = corpusIndices.count + 1
            let workers = pipeline.config.resolvedThreads
            var outcomes: [StageOutcome] = []
            var spool: Spool? = nil
            var previousTotal: Int? = nil
            for pass in 0..<passes {
                let segmentStart = pass == 0 ? 0 : corpusIndices[pass - 1] + 1
                let segmentEnd = pass < corpusIndices.count ? corpusIndices[pass] : stages.count
                let previous: (any CorpusStage)? = pass == 0 ? nil : (stages[segmentStart - 1] as! any CorpusStage)
                let next: (any CorpusStage)? = segmentEnd < stages.count ? (stages[segmentEnd] as! any CorpusStage) : nil
                let nextSpool = try next.map { _ in try Spool(path: spoolPrefix.map { "\($0).spool\(pass + 1)" }) }
                var offset = 0
                handled = 0
                let handle: ([Document]) throws -> Void = { shard in
                    var documents = shard
                    var rejections: [Rejection] = []
                    if let previous {
                        let stageStart = Date()
                        defer { self.reports[segmentStart - 1].seconds += Date().timeIntervalSince(stageStart) }
                        let slice = Array(outcomes[offset..<(offset + documents.count)])
                        offset += documents.count
                        documents = self.apply(slice, to: documents, step: segmentStart - 1, stage: previous.name, rejections: &rejections)
                    }
                    for step in segmentStart..<segmentEnd where !documents.isEmpty {
                        let stage = stages[step] as! any Stage
                        let stageStart = Date()
                        defer { self.reports[step].seconds += Date().timeIntervalSince(stageStart) }
                        let stageOutcomes = stage.process(&documents, workers: workers)
                        if stageOutcomes.count != documents.count {
                            fatalError("stage \(stage.name) returned \(stageOutcomes.count) outcomes for \(documents.count) documents")
                        }
                        documents = self.apply(stageOutcomes, to: documents, step: step, stage: stage.name, rejections: &rejections)
                    }
                    if !rejections.isEmpty { try self.sink.reject(rejections) }
                    if let next, let nextSpool {
                        let stageStart = Date()
                        next.observe(documents, workers: workers)
                        try nextSpool.append(documents)
                        self.reports[segmentEnd].seconds += Date().timeIntervalSince(stageStart)
                    } else {
                        let writeStart = Date()
                        self.written += documents.count
                        try self.sink.write(documents)
                        self.summary.writeSeconds += Date().timeIntervalSince(writeStart)
                    }
                    self.handled += shard.count
                    self.progress?(CurationProgress(pass: pass + 1, passes: passes, documents: self.handled,
                                                    totalDocuments: previousTotal, bytesRead: self.bytesRead,
                                                    totalBytes: self.totalBytes, written: self.written,
                                                    elapsed: Date().timeIntervalSince(self.start)))
                }
                if pass == 0 {
                    try firstPass(handle)
                } else if let spool {
                    try spool.drain(shardSize: pipeline.config.shardDocuments, handle)
                }
                if let next, let nextSpool {
                    let decideStart = Date()
                    outcomes = next.decide()
                    reports[segmentEnd].seconds += Date().timeIntervalSince(decideStart)
                    if outcomes.count != nextSpool.count {
                        fatalError("corpus stage \(next.name) decided \(outcomes.count) documents of \(nextSpool.count)")
                    }
                    previousTotal = nextSpool.count
                    spool = nextSpool
                }
            }
            for (index, stage) in stages.enumerated() {
                if let stage = stage as? any Stage { reports[index].notes += stage.finish() }
                if let stage = stage as? any CorpusStage { reports[index].notes += stage.notes() }
            }
            summary.stages = reports
            summary.seconds = Date().timeIntervalSince(start)
            return summary
        }

        /// Tallies `outcomes` for step `step` and returns the surviving documents.
        func apply(_ outcomes: [StageOutcome], to documents: [Document], step: Int, stage: String,
                   rejections: inout [Rejection]) -> [Document] {
            var survivors: [Document] = []
            survivors.reserveCapacity(documents.count)
            let textField = pipeline.config.textField
            for (document, outcome) in zip(documents, outcomes) {
                reports[step].record(outcome)
                if case .removed(let removal) = outcome {
                    rejections.append(Rejection(origin: document.origin, stage: stage, reason: removal.reason, value: removal.value,
                                                detail: removal.detail, record: document.record(textField: textField)))
                } else {
                    survivors.append(document)
                }
            }
            return survivors
        }
    }
}
