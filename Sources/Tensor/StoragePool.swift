import Foundation

/// A small cache of large, freed tensor buffers, reused by the next allocation of the same size.
///
/// A fresh multi-megabyte allocation comes from `mmap` and costs one page fault (and a page
/// zeroing) per 4 KiB on first touch — about five times the cost of writing the same bytes
/// into memory already touched. Training and inference loops allocate tensors of the same
/// shapes again and again, so buffers of at least ``minimumBytes`` are kept here when freed
/// (up to ``capacityBytes`` in all) and handed out again for an allocation of exactly the same
/// size. Smaller buffers go straight back to `malloc`, which is fast for them.
///
/// Cached memory counts as used by the process; ``Tensor/releaseCachedMemory()`` returns it.
enum StoragePool {
    /// Buffers smaller than this are not cached (1 MiB).
    static let minimumBytes = 1 << 20
    /// At most this many bytes are held in the cache: `LORE_POOL_MB` MiB, default one eighth of
    /// physical memory (3 GiB on a 24 GiB machine: room for a step's `[tokens, vocab]` logits
    /// and their gradient); 0 disables the cache.
    static let capacityBytes: Int = {
        if let mb = ProcessInfo.processInfo.environment["LORE_POOL_MB"].flatMap(Int.init) { return max(0, mb) << 20 }
        return Int(ProcessInfo.processInfo.physicalMemory / 8)
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var heldBytes = 0

    /// A cached buffer of exactly `bytes` bytes, if one is free.
    static func take(bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= minimumBytes, capacityBytes > 0 else { return nil }
        return lock.withLock {
            guard let pointer = free[bytes]?.popLast() else { return nil }
            heldBytes -= bytes
            return pointer
        }
    }

    /// Keeps `pointer` (of `bytes` bytes) for reuse; `false` when it was not kept and the
    /// caller must deallocate it.
    static func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) -> Bool {
        guard bytes >= minimumBytes, capacityBytes > 0 else { return false }
        return lock.withLock {
            guard heldBytes + bytes <= capacityBytes else { return false }
            free[bytes, default: []].append(pointer)
            heldBytes += bytes
            return true
        }
    }

    /// Frees every cached buffer; returns the number of bytes released.
    @discardableResult
    static func drain() -> Int {
        lock.withLock {
            let released = heldBytes
            for pointers in free.values { for p in pointers { p.deallocate() } }
            free.removeAll()
            heldBytes = 0
            return released
        }
    }

    /// Bytes currently held.
    static var cachedBytes: Int { lock.withLock { heldBytes } }
}

extension Tensor {
    /// Frees the large buffers Lore keeps for reuse after tensors die (see `LORE_POOL_MB`);
    /// returns the number of bytes released.
    @discardableResult
    public static func releaseCachedMemory() -> Int { StoragePool.drain() }

    /// Bytes held in Lore's cache of freed large buffers.
    public static var cachedMemoryBytes: Int { StoragePool.cachedBytes }
}
