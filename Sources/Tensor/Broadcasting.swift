extension Tensor {
    /// The shape two operands broadcast to, by numpy's rule: align shapes on the right; each
    /// pair of dimensions must be equal or one of them 1; missing leading dimensions count as 1.
    ///
    /// Stops with a message naming both shapes when they do not broadcast.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        guard let result = broadcastShapeIfCompatible(a, b) else {
            fatalError("shapes \(describeShape(a)) and \(describeShape(b)) do not broadcast")
        }
        return result
    }

    /// ``broadcastShape(_:_:)``, or `nil` when the shapes do not broadcast, for callers that
    /// word their own message.
    public static func broadcastShapeIfCompatible(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard da == db || da == 1 || db == 1 else { return nil }
            result[i] = da == 1 ? db : da
        }
        return result
    }

    /// Row-major strides of `shape` as seen from a broadcast result of rank `rank`:
    /// 0 where the dimension is broadcast (size 1 or missing), the ordinary stride elsewhere.
    static func broadcastStrides(of shape: [Int], toRank rank: Int, resultShape: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: rank)
        var step = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let r = i + (rank - shape.count)
            strides[r] = (shape[i] == 1 && resultShape[r] != 1) ? 0 : step
            step *= shape[i]
        }
        return strides
    }
}
