import Foundation

/// An ordered mapping (Python dicts keep insertion order; `tojson` writes keys in that order).
struct JinjaObject: Sendable {
    var keys: [String] = []
    var values: [String: JinjaValue] = [:]

    init() {}
    init(_ pairs: KeyValuePairs<String, JinjaValue>) {
        for (key, value) in pairs { self[key] = value }
    }

    subscript(key: String) -> JinjaValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }
}

/// A mutable attribute bag made by `namespace()`, shared by reference so loop bodies can update it.
final class JinjaNamespace: @unchecked Sendable {
    var object = JinjaObject()
}

/// A runtime value of the template language.
enum JinjaValue: Sendable {
    /// A name or key that does not exist (prints as empty text, fails `is defined`).
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case object(JinjaObject)
    case namespace(JinjaNamespace)
    /// A global function: `raise_exception`, `namespace`, `range`.
    case function(String)

    init(_ value: ChatTemplateValue) {
        switch value {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JinjaValue.init))
        case .object(let keys, let values):
            var object = JinjaObject()
            for key in keys { if let v = values[key] { object[key] = JinjaValue(v) } }
            for (key, v) in values where object[key] == nil { object[key] = JinjaValue(v) }
            self = .object(object)
        }
    }

    var isUndefined: Bool { if case .undefined = self { true } else { false } }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .array(let a): !a.isEmpty
        case .object(let o): !o.keys.isEmpty
        case .namespace, .function: true
        }
    }

    var typeName: String {
        switch self {
        case .undefined(let name): "undefined '\(name)'"
        case .none: "none"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "float"
        case .string: "string"
        case .array: "list"
        case .object: "mapping"
        case .namespace: "namespace"
        case .function(let name): "function '\(name)'"
        }
    }

    /// What `{{ value }}` prints: Python's `str()`.
    var text: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: repr
        }
    }

    /// Python's `repr()` (strings in single quotes, `True`, `None`, `[1, 'a']`, `{'k': 1}`).
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return Self.pythonFloat(d)
        case .string(let s):
            let quote = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            var out = quote
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "'" where quote == "'": out += "\\'"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        out += String(format: "\\x%02x", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + quote
        case .array(let a): return "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.keys.map { "\(JinjaValue.string($0).repr): \(o.values[$0]!.repr)" }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case .function(let name): return "<function \(name)>"
        }
    }

    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    /// `json.dumps(value, ensure_ascii=False)` with Python's default separators `", "` and `": "`.
    func json() -> String? {
        switch self {
        case .undefined, .namespace, .function: return nil
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
            return Self.pythonFloat(d)
        case .string(let s):
            return jsonString(s)
        case .array(let a):
            var parts: [String] = []
            for element in a {
                guard let json = element.json() else { return nil }
                parts.append(json)
            }
            return "[" + parts.joined(separator: ", ") + "]"
        case .object(let o):
            var parts: [String] = []
            for key in o.keys {
                guard let json = o.values[key]!.json() else { return nil }
                parts.append(JinjaValue.string(key).json()! + ": " + json)
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }

    /// Python `==` (numbers compare by value across int and float).
    func equals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): Double(a) == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.object(let a), .object(let b)):
            a.keys.count == b.keys.count && a.keys.allSatisfy { key in b.values[key].map { a.values[key]!.equals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): a === b
        default: false
        }
    }
}
