import Foundation

/// Settings of exact deduplication (JSON key `exact_dedup`).
public struct ExactDedupConfig: Codable, Sendable, Equatable {
    /// `normalize` (default true): hash the text lower-cased with whitespace runs collapsed to
    /// one space and trimmed, so `"The  cat\n"` and `"the cat"` are duplicates. False hashes the
    /// text exactly as NeMo Curator does.
    public var normalize: Bool

    public init(normalize: Bool = true) { self.normalize = normalize }
}

/// Exact deduplication: an MD5 digest (128 bits, NeMo Curator's choice) of each document's
/// normalized text; the first document with a digest is kept, later ones are removed with
/// reason `exact_duplicate` and the first one's location as detail.
///
/// Digests are computed in parallel; the keep-or-remove decision runs in input order on one
/// thread, so the output is the same for any thread count.
public final class ExactDeduplicationStage: Stage, @unchecked Sendable {
    public let name = "exact_dedup"
    public let config: ExactDedupConfig
    // Mutated only in the sequential part of `process`, which the pipeline calls from one thread.
    // `firstSeen` maps a digest to the index in `origins` of the first document that had it.
    private var firstSeen: [MD5.Digest: Int32] = [:]
    private var origins: [DocumentOrigin] = []
    private var duplicates = 0
    private var duplicatedTexts = Set<MD5.Digest>()

    public init(_ config: ExactDedupConfig = ExactDedupConfig()) {
        self.config = config
    }

    /// The digest that identifies `text` for deduplication.
    public func digest(_ text: String) -> MD5.Digest {
        var scratch: [UInt8] = []
        return digest(text, scratch: &scratch)
    }

    func digest(_ text: String, scratch: inout [UInt8]) -> MD5.Digest {
        var text = text
        let normalize = config.normalize
        return text.withUTF8 { bytes in
            var md5 = MD5()
            if normalize {
                Self.normalize(bytes, into: &scratch)
                scratch.withUnsafeBufferPointer { md5.update($0) }
            } else {
                md5.update(bytes)
            }
            return md5.finalize()
        }
    }

    /// `bytes` lower-cased (full Unicode lower-case mapping) with every run of whitespace
    /// replaced by one space and no space at either end.
    static func normalizedBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        normalize(bytes, into: &output)
        return output
    }

    /// ``normalizedBytes(_:)`` into a reused buffer.
    static func normalize(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        output.removeAll(keepingCapacity: true)
        output.reserveCapacity(bytes.count)
        var pendingSpace = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                index += 1
                if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) {
                    pendingSpace = !output.isEmpty
                    continue
                }
                if pendingSpace { output.append(0x20); pendingSpace = false }
                output.append(UTF8Scan.lower(byte))
                continue
            }
            let (value, length) = UTF8Scan.decode(bytes, at: index)
            index += length
            guard let scalar = Unicode.Scalar(value) else { continue }
            if scalar.properties.isWhitespace {
                pendingSpace = !output.isEmpty
                continue
            }
            if pendingSpace { output.append(0x20); pendingSpace = false }
            if scalar.properties.changesWhenLowercased {
                output.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
            } else {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[(index - length)..<index]))
            }
        }
    }

    public func process(_ documents: inout [Document], workers: Int) -> [StageOutcome] {
        let texts = documents.map(\.text)
        let digests = Parallel.mapChunks(count: texts.count, workers: workers) { range -> [MD5.Digest] in
            var scratch: [UInt8] = []
            return range.map { self.digest(texts[$0], scratch: &scratch) }
        }
        var outcomes: [StageOutcome] = []
        outcomes.reserveCapacity(documents.count)
        firstSeen.reserveCapacity(firstSeen.count + documents.count)
        for (index, digest) in digests.enumerated() {
            if let first = firstSeen[digest] {
                duplicates += 1
                duplicatedTexts.insert(digest)
                outcomes.append(.removed(Removal(reason: "exact_duplicate", detail: "same text as \(origins[Int(first)])")))
            } else {
                firstSeen[digest] = Int32(origins.count)
                origins.append(documents[index].origin)
                outcomes.append(.kept)
            }
        }
        return outcomes
    }

    public func finish() -> [String] {
        ["\(duplicates) exact duplicates of \(duplicatedTexts.count) distinct texts; \(firstSeen.count) distinct texts kept"]
    }
}
