/// Stops the program with `message` when `condition` is false — in every build configuration.
///
/// Use it for a caller's mistake (mismatched shapes, an axis out of range). Swift's
/// `precondition` drops its message under `-O`, so the process would die with SIGILL and say
/// nothing; `fatalError` keeps the message. Bad *input* (a malformed file) is a thrown error
/// instead, never a `check`.
@inlinable
public func check(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() {
        fatalError(message(), file: file, line: line)
    }
}

/// Formats a shape the way error messages print it: `[2, 3, 4]`.
@inlinable
public func describeShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
