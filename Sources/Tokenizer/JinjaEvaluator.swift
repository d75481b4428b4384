import Foundation

/// Renders parsed template nodes. `for` bodies get their own scope (as in Jinja, `{% set %}`
/// inside a loop does not leak out; a `namespace()` carries state across iterations).
struct JinjaRenderer {
    let lexer: JinjaLexer
    var scopes: [[String: JinjaValue]]
    var output = ""

    init(lexer: JinjaLexer, globals: [String: JinjaValue]) {
        self.lexer = lexer
        var builtins: [String: JinjaValue] = ["raise_exception": .function("raise_exception"),
                                              "namespace": .function("namespace"), "range": .function("range")]
        builtins.merge(globals) { $1 }
        scopes = [builtins]
    }

    func fail(_ message: String, _ expr: JinjaExpr) -> ChatTemplateError {
        lexer.error(.evaluation(message), at: expr.offset)
    }

    mutating func render(_ nodes: [JinjaNode]) throws(ChatTemplateError) {
        for node in nodes {
            switch node {
            case .text(let text): output += text
            case .output(let expr): output += try evaluate(expr).text
            case .conditional(let branches, let otherwise):
                var taken = false
                for (condition, body) in branches where try evaluate(condition).truthy {
                    try render(body)
                    taken = true
                    break
                }
                if !taken { try render(otherwise) }
            case .set(let name, let attribute, let valueExpr, let offset):
                let value = try evaluate(valueExpr)
                if let attribute {
                    guard case .namespace(let namespace) = lookup(name) else {
                        throw lexer.error(.evaluation("cannot set attribute '\(attribute)' of '\(name)': not a namespace()"), at: offset)
                    }
                    namespace.object[attribute] = value
                } else {
                    scopes[scopes.count - 1][name] = value
                }
            case .forLoop(let targets, let iterableExpr, let filter, let body, let otherwise, _):
                try renderFor(targets: targets, iterableExpr: iterableExpr, filter: filter, body: body, otherwise: otherwise)
            }
        }
    }

    private mutating func renderFor(targets: [String], iterableExpr: JinjaExpr, filter: JinjaExpr?,
                                    body: [JinjaNode], otherwise: [JinjaNode]) throws(ChatTemplateError) {
        var items = try iterate(try evaluate(iterableExpr), iterableExpr)
        func bind(_ item: JinjaValue, into scope: inout [String: JinjaValue]) throws(ChatTemplateError) {
            if targets.count == 1 {
                scope[targets[0]] = item
            } else {
                guard case .array(let parts) = item, parts.count == targets.count else {
                    throw fail("cannot unpack \(item.typeName) into \(targets.count) loop variables", iterableExpr)
                }
                for (name, part) in zip(targets, parts) { scope[name] = part }
            }
        }
        if let filter {
            var kept: [JinjaValue] = []
            for item in items {
                var scope: [String: JinjaValue] = [:]
                try bind(item, into: &scope)
                scopes.append(scope)
                defer { scopes.removeLast() }
                if try evaluate(filter).truthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty { return try render(otherwise) }
        for (index, item) in items.enumerated() {
            var scope: [String: JinjaValue] = [:]
            try bind(item, into: &scope)
            var loop = JinjaObject([
                "index": .int(index + 1), "index0": .int(index), "first": .bool(index == 0),
                "last": .bool(index == items.count - 1), "length": .int(items.count),
                "revindex": .int(items.count - index), "revindex0": .int(items.count - index - 1),
            ])
            if index > 0 { loop["previtem"] = items[index - 1] }
            if index + 1 < items.count { loop["nextitem"] = items[index + 1] }
            scope["loop"] = .object(loop)
            scopes.append(scope)
            defer { scopes.removeLast() }
            try render(body)
        }
    }

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() { if let value = scope[name] { return value } }
        return .undefined(name)
    }

    func iterate(_ value: JinjaValue, _ expr: JinjaExpr) throws(ChatTemplateError) -> [JinjaValue] {
        switch value {
        case .array(let a): return a
        case .object(let o): return o.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw fail("\(value.typeName) is not iterable", expr)
        }
    }

    // MARK: Expressions

    mutating func evaluate(_ expr: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        switch expr.kind {
        case .literal(let value): return value
        case .name(let name): return lookup(name)
        case .list(let items):
            var values: [JinjaValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .array(values)
        case .dict(let pairs):
            var object = JinjaObject()
            for (key, value) in pairs { object[try evaluate(key).text] = try evaluate(value) }
            return .object(object)
        case .attribute(let baseExpr, let name):
            return try member(try evaluate(baseExpr), .string(name), baseExpr, expr)
        case .item(let baseExpr, let keyExpr):
            return try member(try evaluate(baseExpr), try evaluate(keyExpr), baseExpr, expr)
        case .slice(let baseExpr, let startExpr, let stopExpr, let stepExpr):
            let base = try evaluate(baseExpr)
            func bound(_ e: JinjaExpr?) throws(ChatTemplateError) -> Int? {
                guard let e else { return nil }
                switch try evaluate(e) {
                case .int(let i): return i
                case .none: return nil
                case let other: throw fail("slice indices must be integers, not \(other.typeName)", e)
                }
            }
            let start = try bound(startExpr), stop = try bound(stopExpr), step = try bound(stepExpr) ?? 1
            guard step != 0 else { throw fail("slice step cannot be zero", expr) }
            switch base {
            case .array(let a): return .array(Self.slice(a, start, stop, step))
            case .string(let s):
                var out = String.UnicodeScalarView()
                out.append(contentsOf: Self.slice(Array(s.unicodeScalars), start, stop, step))
                return .string(String(out))
            default: throw fail("cannot slice \(base.typeName)", baseExpr)
            }
        case .call(let callee, let argExprs, let kwargExprs):
            var args: [JinjaValue] = []
            for a in argExprs { args.append(try evaluate(a)) }
            var kwargs: [String: JinjaValue] = [:]
            for (k, v) in kwargExprs { kwargs[k] = try evaluate(v) }
            if case .attribute(let objectExpr, let method) = callee.kind {
                let object = try evaluate(objectExpr)
                return try callMethod(object, method, args, expr)
            }
            guard case .function(let name) = try evaluate(callee) else {
                throw fail("this value is not callable", callee)
            }
            return try callFunction(name, args, kwargs, expr)
        case .unary(let op, let operandExpr):
            let operand = try evaluate(operandExpr)
            if op == "not" { return .bool(!operand.truthy) }
            switch operand {
            case .int(let i): return .int(-i)
            case .double(let d): return .double(-d)
            default: throw fail("cannot negate \(operand.typeName)", expr)
            }
        case .binary(let op, let leftExpr, let rightExpr):
            let left = try evaluate(leftExpr)
            if op == "and" { return left.truthy ? try evaluate(rightExpr) : left }
            if op == "or" { return left.truthy ? left : try evaluate(rightExpr) }
            return try binary(op, left, try evaluate(rightExpr), expr)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).truthy { return try evaluate(then) }
            if let otherwise { return try evaluate(otherwise) }
            return .undefined("conditional expression")
        case .filter(let baseExpr, let name, let argExprs, let kwargExprs):
            var args: [JinjaValue] = []
            for a in argExprs { args.append(try evaluate(a)) }
            var kwargs: [String: JinjaValue] = [:]
            for (k, v) in kwargExprs { kwargs[k] = try evaluate(v) }
            return try JinjaBuiltins.filter(name, try evaluate(baseExpr), args, kwargs, renderer: self, expr)
        case .test(let baseExpr, let name, let argExprs, let negated):
            var args: [JinjaValue] = []
            for a in argExprs { args.append(try evaluate(a)) }
            let result = try JinjaBuiltins.test(name, try evaluate(baseExpr), args, renderer: self, expr)
            return .bool(result != negated)
        }
    }

    static func slice<T>(_ items: [T], _ start: Int?, _ stop: Int?, _ step: Int) -> [T] {
        let n = items.count
        func clamp(_ i: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
            guard var i else { return fallback }
            if i < 0 { i += n }
            return min(max(i, low), high)
        }
        var out: [T] = []
        if step > 0 {
            var i = clamp(start, 0, low: 0, high: n)
            let end = clamp(stop, n, low: 0, high: n)
            while i < end { out.append(items[i]); i += step }
        } else {
            var i = clamp(start, n - 1, low: -1, high: n - 1)
            let end = clamp(stop, -1, low: -1, high: n - 1)
            while i > end { out.append(items[i]); i += step }
        }
        return out
    }

    /// `base.key` / `base[key]`: mapping keys, namespace attributes, list and string indices
    /// (negative from the end); missing ones are undefined; anything on an undefined value is an error.
    func member(_ base: JinjaValue, _ key: JinjaValue, _ baseExpr: JinjaExpr, _ expr: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        switch (base, key) {
        case (.undefined(let name), _):
            throw fail("'\(name)' is undefined, cannot read \(key.repr) of it", baseExpr)
        case (.object(let o), _): return o[key.text] ?? .undefined(key.text)
        case (.namespace(let n), _): return n.object[key.text] ?? .undefined(key.text)
        case (.array(let a), .int(let i)):
            let index = i < 0 ? i + a.count : i
            return a.indices.contains(index) ? a[index] : .undefined("[\(i)]")
        case (.string(let s), .int(let i)):
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? i + scalars.count : i
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined("[\(i)]")
        default: return .undefined(key.text)
        }
    }

    func binary(_ op: String, _ left: JinjaValue, _ right: JinjaValue, _ expr: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        switch op {
        case "==": return .bool(left.equals(right))
        case "!=": return .bool(!left.equals(right))
        case "~": return .string(left.text + right.text)
        case "in", "not in":
            let found: Bool
            switch (right, left) {
            case (.string(let haystack), .string(let needle)): found = needle.isEmpty || haystack.contains(needle)
            case (.array(let items), _): found = items.contains { $0.equals(left) }
            case (.object(let o), _): found = o[left.text] != nil && { if case .string = left { true } else { false } }()
            case (.undefined, _): found = false
            default: throw fail("'in' needs a string, list or mapping on the right, not \(right.typeName)", expr)
            }
            return .bool(found == (op == "in"))
        case "<", ">", "<=", ">=":
            let order: Int
            switch (left, right) {
            case (.string(let a), .string(let b)):
                let x = a.unicodeScalars.map(\.value), y = b.unicodeScalars.map(\.value)
                order = x == y ? 0 : x.lexicographicallyPrecedes(y) ? -1 : 1
            default:
                guard let a = Self.number(left), let b = Self.number(right) else {
                    throw fail("cannot compare \(left.typeName) with \(right.typeName) using '\(op)'", expr)
                }
                order = a == b ? 0 : a < b ? -1 : 1
            }
            switch op {
            case "<": return .bool(order < 0)
            case ">": return .bool(order > 0)
            case "<=": return .bool(order <= 0)
            default: return .bool(order >= 0)
            }
        default: break
        }
        switch (op, left, right) {
        case ("+", .string(let a), .string(let b)): return .string(a + b)
        case ("+", .array(let a), .array(let b)): return .array(a + b)
        case ("*", .string(let s), .int(let n)), ("*", .int(let n), .string(let s)):
            return .string(String(repeating: s, count: max(n, 0)))
        case (_, .int(let a), .int(let b)):
            switch op {
            case "+": return .int(a &+ b)
            case "-": return .int(a &- b)
            case "*": return .int(a &* b)
            case "/": guard b != 0 else { break }; return .double(Double(a) / Double(b))
            case "//": guard b != 0 else { break }; return .int(Int((Double(a) / Double(b)).rounded(.down)))
            case "%": guard b != 0 else { break }; return .int(((a % b) + b) % b)
            default: break
            }
        default:
            if let a = Self.number(left), let b = Self.number(right) {
                switch op {
                case "+": return .double(a + b)
                case "-": return .double(a - b)
                case "*": return .double(a * b)
                case "/" where b != 0: return .double(a / b)
                case "//" where b != 0: return .double((a / b).rounded(.down))
                default: break
                }
            }
        }
        throw fail("unsupported operand types for '\(op)': \(left.typeName) and \(right.typeName)", expr)
    }

    static func number(_ value: JinjaValue) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    func callFunction(_ name: String, _ args: [JinjaValue], _ kwargs: [String: JinjaValue], _ expr: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        switch name {
        case "raise_exception":
            throw lexer.error(.raised(message: args.first?.text ?? ""), at: expr.offset)
        case "namespace":
            let namespace = JinjaNamespace()
            if case .object(let o)? = args.first { namespace.object = o }
            for key in kwargs.keys.sorted() { namespace.object[key] = kwargs[key] }
            return .namespace(namespace)
        case "range":
            let ints = args.compactMap { if case .int(let i) = $0 { i } else { nil } }
            guard ints.count == args.count, (1...3).contains(ints.count) else { throw fail("range() takes 1 to 3 integers", expr) }
            let start = ints.count == 1 ? 0 : ints[0], stop = ints.count == 1 ? ints[0] : ints[1]
            let step = ints.count == 3 ? ints[2] : 1
            guard step != 0 else { throw fail("range() step cannot be zero", expr) }
            return .array(Array(stride(from: start, to: stop, by: step)).map { .int($0) })
        default:
            throw lexer.error(.unsupported(construct: "function '\(name)'"), at: expr.offset)
        }
    }

    func callMethod(_ object: JinjaValue, _ method: String, _ args: [JinjaValue], _ expr: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        switch (object, method) {
        case (.string(let s), _):
            if let value = try JinjaBuiltins.stringMethod(s, method, args, renderer: self, expr) { return value }
        case (.object(let o), "get"):
            return o[args.first?.text ?? ""] ?? (args.count > 1 ? args[1] : .none)
        case (.object(let o), "items"): return .array(o.keys.map { .array([.string($0), o.values[$0]!]) })
        case (.object(let o), "keys"): return .array(o.keys.map { .string($0) })
        case (.object(let o), "values"): return .array(o.keys.map { o.values[$0]! })
        case (.undefined(let name), _): throw fail("'\(name)' is undefined, cannot call .\(method)()", expr)
        default: break
        }
        throw lexer.error(.unsupported(construct: "method '\(method)' of \(object.typeName)"), at: expr.offset)
    }
}
