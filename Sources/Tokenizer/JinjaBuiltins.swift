import Foundation

/// Filters, tests and string methods of the supported subset, with Python's semantics.
enum JinjaBuiltins {
    static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// `str.strip` / `lstrip` / `rstrip`: whitespace, or any of `characters` when given.
    static func strip(_ s: String, _ characters: String?, leading: Bool, trailing: Bool) -> String {
        let scalars = Array(s.unicodeScalars)
        let set = characters.map { Set($0.unicodeScalars) }
        func strippable(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isPythonSpace(c) }
        var start = 0, end = scalars.count
        if leading { while start < end, strippable(scalars[start]) { start += 1 } }
        if trailing { while end > start, strippable(scalars[end - 1]) { end -= 1 } }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }

    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + String(s.unicodeScalars.dropFirst()).lowercased()
    }

    static func filter(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], _ kwargs: [String: JinjaValue],
                       renderer: JinjaRenderer, _ expr: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        func argument(_ position: Int, _ key: String) -> JinjaValue? { position < args.count ? args[position] : kwargs[key] }
        switch name {
        case "trim":
            let chars = argument(0, "chars").flatMap { if case .string(let s) = $0 { s } else { nil } }
            return .string(strip(value.text, chars, leading: true, trailing: true))
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .array(let a): return .int(a.count)
            case .object(let o): return .int(o.keys.count)
            case .undefined: return .int(0)
            default: throw renderer.fail("object of type \(value.typeName) has no length", expr)
            }
        case "upper": return .string(value.text.uppercased())
        case "lower": return .string(value.text.lowercased())
        case "capitalize": return .string(capitalize(value.text))
        case "string": return .string(value.text)
        case "tojson":
            if let indent = argument(0, "indent"), !(indent.equals(.none)) {
                throw renderer.lexer.error(.unsupported(construct: "tojson(indent:)"), at: expr.offset)
            }
            guard let json = value.json() else { throw renderer.fail("\(value.typeName) is not JSON serializable", expr) }
            return .string(json)
        case "default", "d":
            let fallback = argument(0, "default_value") ?? .string("")
            let boolean = argument(1, "boolean")?.truthy ?? false
            return value.isUndefined || (boolean && !value.truthy) ? fallback : value
        case "join":
            let separator = argument(0, "d")?.text ?? ""
            var items = try renderer.iterate(value, expr)
            if let attribute = argument(1, "attribute") {
                var picked: [JinjaValue] = []
                for item in items { picked.append(try renderer.member(item, attribute, expr, expr)) }
                items = picked
            }
            return .string(items.map(\.text).joined(separator: separator))
        case "first": return try renderer.iterate(value, expr).first ?? .undefined("first")
        case "last": return try renderer.iterate(value, expr).last ?? .undefined("last")
        case "list": return .array(try renderer.iterate(value, expr))
        case "int":
            let fallback = argument(0, "default") ?? .int(0)
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return d.isFinite ? .int(Int(d)) : fallback
            case .string(let s):
                let t = strip(s, nil, leading: true, trailing: true)
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), d.isFinite { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            switch value {
            case .int(let i): return .double(Double(i))
            case .double: return value
            case .string(let s): return Double(strip(s, nil, leading: true, trailing: true)).map { .double($0) } ?? .double(0)
            default: return argument(0, "default") ?? .double(0)
            }
        case "abs":
            switch value {
            case .int(let i): return .int(abs(i))
            case .double(let d): return .double(abs(d))
            default: throw renderer.fail("abs of \(value.typeName)", expr)
            }
        case "replace":
            guard args.count >= 2 else { throw renderer.fail("replace needs the old and new strings", expr) }
            return .string(replace(value.text, args[0].text, args[1].text, count: args.count > 2 ? args[2] : nil))
        default:
            throw renderer.lexer.error(.unsupported(construct: "filter '\(name)'"), at: expr.offset)
        }
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: JinjaValue?) -> String {
        var limit = Int.max
        if case .int(let n)? = count, n >= 0 { limit = n }
        guard !old.isEmpty else { return s }
        var result = ""
        var rest = Substring(s)
        var done = 0
        while done < limit, let range = rest.range(of: old, options: .literal) {
            result += rest[..<range.lowerBound]
            result += new
            rest = rest[range.upperBound...]
            done += 1
        }
        return result + rest
    }

    static func test(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], renderer: JinjaRenderer,
                     _ expr: JinjaExpr) throws(ChatTemplateError) -> Bool {
        switch (name, value) {
        case ("defined", _): return !value.isUndefined
        case ("undefined", _): return value.isUndefined
        case ("none", .none): return true
        case ("string", .string): return true
        case ("number", .int), ("number", .double), ("number", .bool): return true
        case ("integer", .int): return true
        case ("float", .double): return true
        case ("boolean", .bool): return true
        case ("true", .bool(let b)): return b
        case ("false", .bool(let b)): return !b
        case ("mapping", .object), ("mapping", .namespace): return true
        case ("sequence", .string), ("sequence", .array), ("sequence", .object): return true
        case ("iterable", .string), ("iterable", .array), ("iterable", .object): return true
        case ("odd", .int(let i)): return i % 2 != 0
        case ("even", .int(let i)): return i % 2 == 0
        case ("equalto", _), ("eq", _): return args.first.map { value.equals($0) } ?? false
        default: return false
        }
    }

    /// Python `str` methods; nil when `method` is not one of them.
    static func stringMethod(_ s: String, _ method: String, _ args: [JinjaValue], renderer: JinjaRenderer,
                             _ expr: JinjaExpr) throws(ChatTemplateError) -> JinjaValue? {
        let chars = args.first.flatMap { if case .string(let c) = $0 { c } else { nil } }
        switch method {
        case "strip": return .string(strip(s, chars, leading: true, trailing: true))
        case "lstrip": return .string(strip(s, chars, leading: true, trailing: false))
        case "rstrip": return .string(strip(s, chars, leading: false, trailing: true))
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "capitalize": return .string(capitalize(s))
        case "startswith", "endswith":
            var candidates: [String] = []
            switch args.first {
            case .string(let p)?: candidates = [p]
            case .array(let a)?: candidates = a.map(\.text)
            default: throw renderer.fail("\(method)() needs a string", expr)
            }
            let scalars = Array(s.unicodeScalars)
            return .bool(candidates.contains { p in
                let q = Array(p.unicodeScalars)
                return method == "startswith" ? scalars.starts(with: q) : scalars.reversed().starts(with: q.reversed())
            })
        case "split":
            if let separator = chars, !separator.isEmpty {
                return .array(s.components(separatedBy: separator).map { .string($0) })
            }
            return .array(s.unicodeScalars.split(whereSeparator: isPythonSpace).map { .string(String(String.UnicodeScalarView($0))) })
        case "replace":
            guard args.count >= 2 else { throw renderer.fail("replace() needs the old and new strings", expr) }
            return .string(replace(s, args[0].text, args[1].text, count: args.count > 2 ? args[2] : nil))
        default: return nil
        }
    }
}
