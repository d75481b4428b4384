/// An element of a ``BinaryHeap``: `comesBefore` is the heap order (the top is the element
/// that comes before all others).
protocol HeapOrdered {
    static func comesBefore(_ a: Self, _ b: Self) -> Bool
}

/// A binary heap over an array: `push` and `pop` in O(log n), the top first.
///
/// Serves both BPE merge loops: encoding (lowest merge rank, then leftmost position) and
/// training (highest pair count, then the smaller pair).
struct BinaryHeap<Element: HeapOrdered> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Element.comesBefore(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the top element, or `nil` when empty.
    mutating func pop() -> Element? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var top = parent
                if left < items.count && Element.comesBefore(items[left], items[top]) { top = left }
                if right < items.count && Element.comesBefore(items[right], items[top]) { top = right }
                if top == parent { break }
                items.swapAt(parent, top)
                parent = top
            }
        }
        return first
    }
}
