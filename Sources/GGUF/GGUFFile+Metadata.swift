/// Typed reads of metadata values.
///
/// Each accessor throws ``GGUFError`` naming the file, the entry's byte offset and the key:
/// `.missingKey` when there is no such entry, `.wrongType` when the stored type is not one the
/// accessor reads, `.valueOutOfRange` when an integer does not fit. For optional keys, use
/// the subscript (`file["general.name"]`) first.
extension GGUFFile {
    private func mismatch(_ key: String, _ offset: Int, expected: String, found value: GGUFValue) -> GGUFError {
        GGUFError(path: path, offset: offset, key: key, reason: .wrongType(expected: expected, found: value.typeName))
    }

    /// The value stored under `key`.
    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        try entry(key).value
    }

    /// A `STRING` value.
    public func string(_ key: String) throws(GGUFError) -> String {
        let (value, offset) = try entry(key)
        guard case .string(let text) = value else { throw mismatch(key, offset, expected: "STRING", found: value) }
        return text
    }

    /// An integer value of any width (`UINT8` … `INT64`) as an `Int`.
    public func int(_ key: String) throws(GGUFError) -> Int {
        let (value, offset) = try entry(key)
        if let number = value.intValue { return number }
        if case .uint64(let big) = value {
            throw GGUFError(path: path, offset: offset, key: key, reason: .valueOutOfRange(value: "\(big)", type: "Int"))
        }
        throw mismatch(key, offset, expected: "an integer", found: value)
    }

    /// A `FLOAT32` value, or a `FLOAT64` one rounded to the nearest `Float`.
    public func float(_ key: String) throws(GGUFError) -> Float {
        let (value, offset) = try entry(key)
        switch value {
        case .float32(let x): return x
        case .float64(let x): return Float(x)
        default: throw mismatch(key, offset, expected: "FLOAT32 or FLOAT64", found: value)
        }
    }

    /// A `FLOAT32` or `FLOAT64` value as a `Double` (exact for both).
    public func double(_ key: String) throws(GGUFError) -> Double {
        let (value, offset) = try entry(key)
        switch value {
        case .float32(let x): return Double(x)
        case .float64(let x): return x
        default: throw mismatch(key, offset, expected: "FLOAT32 or FLOAT64", found: value)
        }
    }

    /// A `BOOL` value.
    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let (value, offset) = try entry(key)
        guard case .bool(let flag) = value else { throw mismatch(key, offset, expected: "BOOL", found: value) }
        return flag
    }

    /// An `ARRAY` value of any element type.
    public func array(_ key: String) throws(GGUFError) -> GGUFArray {
        let (value, offset) = try entry(key)
        guard case .array(let items) = value else { throw mismatch(key, offset, expected: "ARRAY", found: value) }
        return items
    }

    /// An `ARRAY[STRING]` value, e.g. `tokenizer.ggml.tokens`.
    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let (value, offset) = try entry(key)
        guard case .array(.string(let strings)) = value else {
            throw mismatch(key, offset, expected: "ARRAY[STRING]", found: value)
        }
        return strings
    }

    /// An array of integers of any width as `[Int]`, e.g. `tokenizer.ggml.token_type` (INT32).
    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        let (value, offset) = try entry(key)
        guard case .array(let items) = value else { throw mismatch(key, offset, expected: "an integer ARRAY", found: value) }
        if let numbers = items.intValues { return numbers }
        if case .uint64(let big) = items, let first = big.first(where: { $0 > UInt64(Int.max) }) {
            throw GGUFError(path: path, offset: offset, key: key, reason: .valueOutOfRange(value: "\(first)", type: "Int"))
        }
        throw mismatch(key, offset, expected: "an integer ARRAY", found: value)
    }

    /// An `ARRAY[FLOAT32]` value, or `ARRAY[FLOAT64]` rounded to `Float`, e.g. `tokenizer.ggml.scores`.
    public func floatArray(_ key: String) throws(GGUFError) -> [Float] {
        let (value, offset) = try entry(key)
        switch value {
        case .array(.float32(let numbers)): return numbers
        case .array(.float64(let numbers)): return numbers.map { Float($0) }
        default: throw mismatch(key, offset, expected: "ARRAY[FLOAT32] or ARRAY[FLOAT64]", found: value)
        }
    }
}
