/// Disjoint sets over `0..<count` (union by size, path halving), for grouping near-duplicate
/// documents into clusters.
///
/// The root of a set is not its smallest member; ask ``smallestMember(_:)`` (kept per root)
/// for the document that deduplication keeps, so the result never depends on merge order.
public struct UnionFind: Sendable {
    private var parent: [Int32]
    private var size: [Int32]
    private var smallest: [Int32]

    /// `count` singleton sets `{0}, {1}, …`.
    public init(count: Int) {
        if count < 0 || count > Int(Int32.max) { fatalError("UnionFind: count must be in 0...\(Int32.max), got \(count)") }
        parent = (0..<Int32(count)).map { $0 }
        size = [Int32](repeating: 1, count: count)
        smallest = parent
    }

    /// Number of elements.
    public var count: Int { parent.count }

    /// Appends `extra` new singleton sets.
    public mutating func grow(by extra: Int) {
        let start = Int32(parent.count)
        parent.append(contentsOf: start..<(start + Int32(extra)))
        size.append(contentsOf: repeatElement(1, count: extra))
        smallest.append(contentsOf: start..<(start + Int32(extra)))
    }

    /// The representative of `element`'s set.
    public mutating func find(_ element: Int) -> Int {
        var x = Int32(element)
        while parent[Int(x)] != x {
            let grandparent = parent[Int(parent[Int(x)])]
            parent[Int(x)] = grandparent
            x = grandparent
        }
        return Int(x)
    }

    /// Merges the sets of `a` and `b`; returns false when they were already one set.
    @discardableResult
    public mutating func union(_ a: Int, _ b: Int) -> Bool {
        var rootA = find(a), rootB = find(b)
        if rootA == rootB { return false }
        if size[rootA] < size[rootB] { swap(&rootA, &rootB) }
        parent[rootB] = Int32(rootA)
        size[rootA] += size[rootB]
        smallest[rootA] = min(smallest[rootA], smallest[rootB])
        return true
    }

    /// Whether `a` and `b` are in one set.
    public mutating func connected(_ a: Int, _ b: Int) -> Bool { find(a) == find(b) }

    /// The smallest element of `element`'s set.
    public mutating func smallestMember(_ element: Int) -> Int { Int(smallest[find(element)]) }

    /// The size of `element`'s set.
    public mutating func setSize(_ element: Int) -> Int { Int(size[find(element)]) }

    /// Every set with at least `minimumSize` members, each sorted ascending, the sets ordered
    /// by their smallest member.
    public mutating func sets(minimumSize: Int = 1) -> [[Int]] {
        var members: [Int: [Int]] = [:]
        var order: [Int] = []
        for element in 0..<count {
            let root = find(element)
            if Int(size[root]) < minimumSize { continue }
            if members[root] == nil { order.append(root) }
            members[root, default: []].append(element)
        }
        return order.map { members[$0]! }
    }
}
