import Foundation

/// Counts of distinct pieces ("words"), the input of ``BPETrainer``'s merge loop. Pieces of at
/// most 15 bytes are keyed by a packed ``PieceKey`` (no allocation per piece), longer ones by
/// their bytes.
struct WordCounts: Sendable {
    var short: [PieceKey: Int] = [:]
    var long: [[UInt8]: Int] = [:]

    /// Adds `count` occurrences of the piece `bytes`.
    @inline(__always)
    mutating func add(_ bytes: UnsafeBufferPointer<UInt8>, _ count: Int) {
        if let key = PieceKey(bytes) {
            short[key, default: 0] += count
        } else {
            long[Array(bytes), default: 0] += count
        }
    }

    /// Adds all counts of `other`.
    mutating func add(_ other: WordCounts) {
        if short.isEmpty && long.isEmpty { self = other; return }
        for (key, count) in other.short { short[key, default: 0] += count }
        for (key, count) in other.long { long[key, default: 0] += count }
    }

    /// Every word with its count, sorted by bytes (so training does not depend on hashing).
    func sortedWords() -> [([UInt8], Int)] {
        var words: [([UInt8], Int)] = []
        words.reserveCapacity(short.count + long.count)
        for (key, count) in short { words.append((key.bytes, count)) }
        for (key, count) in long { words.append((key, count)) }
        words.sort { $0.0.lexicographicallyPrecedes($1.0) }
        return words
    }
}

extension PieceKey {
    /// The bytes packed in the key.
    var bytes: [UInt8] {
        let count = Int(high >> 56)
        return (0..<count).map { i in
            i < 8 ? UInt8(truncatingIfNeeded: low >> (8 * UInt64(i))) : UInt8(truncatingIfNeeded: high >> (8 * UInt64(i - 8)))
        }
    }
}

/// One result slot per chunk, written by worker threads (each chunk once) under a lock.
final class CountSlots: @unchecked Sendable {
    private var slots: [WordCounts]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: WordCounts(), count: count) }
    func set(_ index: Int, _ value: WordCounts) { lock.lock(); slots[index] = value; lock.unlock() }
    func take(_ index: Int) -> WordCounts {
        lock.lock(); defer { lock.unlock() }
        let value = slots[index]
        slots[index] = WordCounts()
        return value
    }
}

/// A shared counter handing out chunk indices to worker threads.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}
