import Foundation

/// An expression with the byte offset of its first token (for error positions).
struct JinjaExpr: Sendable {
    indirect enum Kind: Sendable {
        case literal(JinjaValue)
        case name(String)
        case list([JinjaExpr])
        case dict([(JinjaExpr, JinjaExpr)])
        case attribute(JinjaExpr, String)
        case item(JinjaExpr, JinjaExpr)
        case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
        case call(JinjaExpr, [JinjaExpr], [(String, JinjaExpr)])
        case unary(String, JinjaExpr)
        case binary(String, JinjaExpr, JinjaExpr)
        case filter(JinjaExpr, String, [JinjaExpr], [(String, JinjaExpr)])
        case test(JinjaExpr, String, [JinjaExpr], negated: Bool)
        case conditional(JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
    }
    var kind: Kind
    var offset: Int
}

/// A statement or piece of output of a parsed template.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr)
    case forLoop(targets: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode], offset: Int)
    case conditional([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode])
    /// `{% set name = value %}` or `{% set ns.attribute = value %}`.
    case set(name: String, attribute: String?, value: JinjaExpr, offset: Int)
}

/// Recursive-descent parser for the supported Jinja subset.
struct JinjaParser {
    static let filters: Set<String> = ["trim", "length", "count", "upper", "lower", "tojson", "default", "d", "join",
                                       "first", "last", "string", "int", "float", "replace", "capitalize", "list", "abs"]
    static let tests: Set<String> = ["defined", "undefined", "none", "string", "number", "integer", "float", "boolean",
                                     "mapping", "sequence", "iterable", "true", "false", "odd", "even", "equalto", "eq"]

    let lexer: JinjaLexer
    let segments: [JinjaSegment]
    var index = 0

    init(lexer: JinjaLexer, segments: [JinjaSegment]) {
        self.lexer = lexer
        self.segments = segments
    }

    mutating func parseTemplate() throws(ChatTemplateError) -> [JinjaNode] {
        let (nodes, end) = try parseBlock(until: [])
        if let (name, offset) = end { throw lexer.error(.syntax("unexpected {% \(name) %}"), at: offset) }
        return nodes
    }

    /// Parses nodes until a statement whose keyword is in `terminators` (returned with its offset,
    /// its tokens left in `pendingTokens`) or the end of the template.
    private var pendingTokens: [JinjaLexedToken] = []
    private var pendingEnd = 0

    private mutating func parseBlock(until terminators: Set<String>) throws(ChatTemplateError) -> ([JinjaNode], (String, Int)?) {
        var nodes: [JinjaNode] = []
        while index < segments.count {
            let segment = segments[index]
            index += 1
            switch segment {
            case .text(let text): nodes.append(.text(text))
            case .output(let tokens, let offset, let end):
                var stream = JinjaTokenStream(lexer: lexer, tokens: tokens, end: end)
                guard !tokens.isEmpty else { throw lexer.error(.syntax("empty {{ }}"), at: offset) }
                let expr = try stream.parseExpression()
                try stream.expectEnd()
                nodes.append(.output(expr))
            case .statement(let tokens, let offset, let end):
                guard case .name(let keyword)? = tokens.first?.token else {
                    throw lexer.error(.syntax("expected a statement keyword after {%"), at: offset)
                }
                if terminators.contains(keyword) {
                    pendingTokens = Array(tokens.dropFirst())
                    pendingEnd = end
                    return (nodes, (keyword, offset))
                }
                var stream = JinjaTokenStream(lexer: lexer, tokens: Array(tokens.dropFirst()), end: end)
                switch keyword {
                case "for": nodes.append(try parseFor(&stream, offset: offset))
                case "if": nodes.append(try parseIf(&stream, offset: offset))
                case "set":
                    let name = try stream.expectName()
                    var attribute: String? = nil
                    if stream.accept(.op(".")) { attribute = try stream.expectName() }
                    guard stream.accept(.op("=")) else {
                        throw lexer.error(.unsupported(construct: "{% set %} … {% endset %} block"), at: offset)
                    }
                    let value = try stream.parseTupleOrExpression()
                    try stream.expectEnd()
                    nodes.append(.set(name: name, attribute: attribute, value: value, offset: offset))
                case "endfor", "endif", "elif", "else":
                    throw lexer.error(.syntax("unexpected {% \(keyword) %}"), at: offset)
                default:
                    throw lexer.error(.unsupported(construct: "{% \(keyword) %}"), at: offset)
                }
            }
        }
        return (nodes, nil)
    }

    private mutating func parseFor(_ stream: inout JinjaTokenStream, offset: Int) throws(ChatTemplateError) -> JinjaNode {
        var targets = [try stream.expectName()]
        while stream.accept(.op(",")) { targets.append(try stream.expectName()) }
        guard stream.accept(.name("in")) else { throw stream.error("expected 'in' in {% for %}") }
        let iterable = try stream.parseExpression(allowConditional: false)
        var filter: JinjaExpr? = nil
        if stream.accept(.name("if")) { filter = try stream.parseExpression(allowConditional: false) }
        if stream.accept(.name("recursive")) { throw lexer.error(.unsupported(construct: "recursive for loop"), at: offset) }
        try stream.expectEnd()
        let (body, bodyEnd) = try parseBlock(until: ["endfor", "else"])
        var end = bodyEnd
        var otherwise: [JinjaNode] = []
        if end?.0 == "else" {
            try JinjaTokenStream(lexer: lexer, tokens: pendingTokens, end: pendingEnd).expectEnd()
            (otherwise, end) = try parseBlock(until: ["endfor"])
        }
        guard end?.0 == "endfor" else { throw lexer.error(.syntax("{% for %} without {% endfor %}"), at: offset) }
        try JinjaTokenStream(lexer: lexer, tokens: pendingTokens, end: pendingEnd).expectEnd()
        return .forLoop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, offset: offset)
    }

    private mutating func parseIf(_ stream: inout JinjaTokenStream, offset: Int) throws(ChatTemplateError) -> JinjaNode {
        var condition = try stream.parseExpression()
        try stream.expectEnd()
        var branches: [(JinjaExpr, [JinjaNode])] = []
        while true {
            let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            guard let (keyword, _) = end else { throw lexer.error(.syntax("{% if %} without {% endif %}"), at: offset) }
            var rest = JinjaTokenStream(lexer: lexer, tokens: pendingTokens, end: pendingEnd)
            switch keyword {
            case "elif":
                condition = try rest.parseExpression()
                try rest.expectEnd()
            case "else":
                try rest.expectEnd()
                let (otherwise, end) = try parseBlock(until: ["endif"])
                guard end != nil else { throw lexer.error(.syntax("{% if %} without {% endif %}"), at: offset) }
                try JinjaTokenStream(lexer: lexer, tokens: pendingTokens, end: pendingEnd).expectEnd()
                return .conditional(branches, otherwise: otherwise)
            default:
                try rest.expectEnd()
                return .conditional(branches, otherwise: [])
            }
        }
    }
}

/// The tokens of one tag, consumed by the expression grammar (Jinja's precedence:
/// conditional < or < and < not < comparison < `+ -` < `~` < `* / // %` < unary < postfix, filters, tests).
struct JinjaTokenStream {
    let lexer: JinjaLexer
    let tokens: [JinjaLexedToken]
    let end: Int
    var index = 0

    var current: JinjaToken? { index < tokens.count ? tokens[index].token : nil }
    var offset: Int { index < tokens.count ? tokens[index].offset : end }

    func error(_ message: String) -> ChatTemplateError { lexer.error(.syntax(message), at: offset) }

    mutating func accept(_ token: JinjaToken) -> Bool {
        if current == token { index += 1; return true }
        return false
    }

    mutating func expect(_ token: JinjaToken, _ what: String) throws(ChatTemplateError) {
        guard accept(token) else { throw error("expected \(what)\(describeCurrent)") }
    }

    var describeCurrent: String {
        switch current {
        case nil: ", found the end of the tag"
        case .name(let n)?: ", found '\(n)'"
        case .string(let s)?: ", found string \(s.debugDescription)"
        case .integer(let i)?: ", found \(i)"
        case .float(let d)?: ", found \(d)"
        case .op(let o)?: ", found '\(o)'"
        }
    }

    mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let name)? = current else { throw error("expected a name\(describeCurrent)") }
        index += 1
        return name
    }

    func expectEnd() throws(ChatTemplateError) {
        if index < tokens.count { throw error("unexpected token at the end of the tag\(describeCurrent)") }
    }

    /// `a, b` (a tuple, evaluated as a list) or one expression.
    mutating func parseTupleOrExpression() throws(ChatTemplateError) -> JinjaExpr {
        let start = offset
        let first = try parseExpression()
        guard current == .op(",") else { return first }
        var items = [first]
        while accept(.op(",")) { if current == nil { break }; items.append(try parseExpression()) }
        return JinjaExpr(kind: .list(items), offset: start)
    }

    mutating func parseExpression(allowConditional: Bool = true) throws(ChatTemplateError) -> JinjaExpr {
        let start = offset
        let value = try parseOr()
        guard allowConditional, accept(.name("if")) else { return value }
        let condition = try parseOr()
        let otherwise = accept(.name("else")) ? try parseExpression() : nil
        return JinjaExpr(kind: .conditional(condition, then: value, otherwise: otherwise), offset: start)
    }

    private mutating func parseOr() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseAnd()
        while case let start = offset, accept(.name("or")) { left = JinjaExpr(kind: .binary("or", left, try parseAnd()), offset: start) }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseNot()
        while case let start = offset, accept(.name("and")) { left = JinjaExpr(kind: .binary("and", left, try parseNot()), offset: start) }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> JinjaExpr {
        let start = offset
        if accept(.name("not")) { return JinjaExpr(kind: .unary("not", try parseNot()), offset: start) }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseMath1()
        while true {
            let start = offset
            var op: String
            switch current {
            case .op(let o)? where ["==", "!=", "<", ">", "<=", ">="].contains(o): op = o; index += 1
            case .name("in")?: op = "in"; index += 1
            case .name("not")? where index + 1 < tokens.count && tokens[index + 1].token == .name("in"):
                op = "not in"; index += 2
            default: return left
            }
            left = JinjaExpr(kind: .binary(op, left, try parseMath1()), offset: start)
        }
    }

    private mutating func parseMath1() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseConcat()
        while case .op(let o)? = current, o == "+" || o == "-" {
            let start = offset
            index += 1
            left = JinjaExpr(kind: .binary(o, left, try parseConcat()), offset: start)
        }
        return left
    }

    private mutating func parseConcat() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseMath2()
        while case let start = offset, accept(.op("~")) { left = JinjaExpr(kind: .binary("~", left, try parseMath2()), offset: start) }
        return left
    }

    private mutating func parseMath2() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseUnary()
        while case .op(let o)? = current, ["*", "/", "//", "%"].contains(o) {
            let start = offset
            index += 1
            left = JinjaExpr(kind: .binary(o, left, try parseUnary()), offset: start)
        }
        return left
    }

    private mutating func parseUnary() throws(ChatTemplateError) -> JinjaExpr {
        let start = offset
        if accept(.op("-")) { return JinjaExpr(kind: .unary("-", try parseUnary()), offset: start) }
        if accept(.op("+")) { return try parseUnary() }
        if current == .op("**") { throw lexer.error(.unsupported(construct: "operator '**'"), at: start) }
        return try parseFilters(try parsePostfix(try parsePrimary()))
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> JinjaExpr {
        let start = offset
        guard let token = current else { throw error("expected an expression, found the end of the tag") }
        index += 1
        switch token {
        case .string(var s):
            while case .string(let more)? = current { s += more; index += 1 }
            return JinjaExpr(kind: .literal(.string(s)), offset: start)
        case .integer(let i): return JinjaExpr(kind: .literal(.int(i)), offset: start)
        case .float(let d): return JinjaExpr(kind: .literal(.double(d)), offset: start)
        case .name(let name):
            switch name {
            case "true", "True": return JinjaExpr(kind: .literal(.bool(true)), offset: start)
            case "false", "False": return JinjaExpr(kind: .literal(.bool(false)), offset: start)
            case "none", "None": return JinjaExpr(kind: .literal(.none), offset: start)
            default: return JinjaExpr(kind: .name(name), offset: start)
            }
        case .op("("):
            if accept(.op(")")) { return JinjaExpr(kind: .list([]), offset: start) }
            let inner = try parseTupleOrExpression()
            try expect(.op(")"), "')'")
            return inner
        case .op("["):
            var items: [JinjaExpr] = []
            while !accept(.op("]")) {
                items.append(try parseExpression())
                if !accept(.op(",")) { try expect(.op("]"), "',' or ']'"); break }
            }
            return JinjaExpr(kind: .list(items), offset: start)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !accept(.op("}")) {
                let key = try parseExpression()
                try expect(.op(":"), "':'")
                pairs.append((key, try parseExpression()))
                if !accept(.op(",")) { try expect(.op("}"), "',' or '}'"); break }
            }
            return JinjaExpr(kind: .dict(pairs), offset: start)
        default:
            index -= 1
            throw error("expected an expression\(describeCurrent)")
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var expr = base
        while true {
            let start = base.offset
            if accept(.op(".")) {
                if case .integer(let i)? = current {
                    index += 1
                    expr = JinjaExpr(kind: .item(expr, JinjaExpr(kind: .literal(.int(i)), offset: start)), offset: start)
                } else {
                    expr = JinjaExpr(kind: .attribute(expr, try expectName()), offset: start)
                }
            } else if accept(.op("[")) {
                var parts: [JinjaExpr?] = [nil]
                var isSlice = false
                while !accept(.op("]")) {
                    if accept(.op(":")) {
                        isSlice = true
                        parts.append(nil)
                        guard parts.count <= 3 else { throw error("too many ':' in a slice") }
                    } else {
                        guard parts[parts.count - 1] == nil else { throw error("expected ':' or ']'\(describeCurrent)") }
                        parts[parts.count - 1] = try parseExpression()
                    }
                }
                if isSlice {
                    while parts.count < 3 { parts.append(nil) }
                    expr = JinjaExpr(kind: .slice(expr, parts[0], parts[1], parts[2]), offset: start)
                } else {
                    guard let key = parts[0] else { throw error("empty subscript") }
                    expr = JinjaExpr(kind: .item(expr, key), offset: start)
                }
            } else if current == .op("(") {
                let (args, kwargs) = try parseArguments()
                expr = JinjaExpr(kind: .call(expr, args, kwargs), offset: start)
            } else {
                return expr
            }
        }
    }

    private mutating func parseArguments() throws(ChatTemplateError) -> ([JinjaExpr], [(String, JinjaExpr)]) {
        try expect(.op("("), "'('")
        var args: [JinjaExpr] = []
        var kwargs: [(String, JinjaExpr)] = []
        while !accept(.op(")")) {
            if case .name(let name)? = current, index + 1 < tokens.count, tokens[index + 1].token == .op("=") {
                index += 2
                kwargs.append((name, try parseExpression()))
            } else {
                args.append(try parseExpression())
            }
            if !accept(.op(",")) { try expect(.op(")"), "',' or ')'"); break }
        }
        return (args, kwargs)
    }

    private mutating func parseFilters(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var expr = base
        while true {
            let start = offset
            if accept(.op("|")) {
                let nameOffset = offset
                let name = try expectName()
                guard JinjaParser.filters.contains(name) else {
                    throw lexer.error(.unsupported(construct: "filter '\(name)'"), at: nameOffset)
                }
                var args: [JinjaExpr] = [], kwargs: [(String, JinjaExpr)] = []
                if current == .op("(") { (args, kwargs) = try parseArguments() }
                expr = JinjaExpr(kind: .filter(expr, name, args, kwargs), offset: start)
            } else if accept(.name("is")) {
                let negated = accept(.name("not"))
                let nameOffset = offset
                var name = try expectName()
                if name == "none" || name == "None" { name = "none" }
                guard JinjaParser.tests.contains(name) else {
                    throw lexer.error(.unsupported(construct: "test '\(name)'"), at: nameOffset)
                }
                var args: [JinjaExpr] = []
                if current == .op("(") {
                    args = try parseArguments().0
                } else if ["equalto", "eq"].contains(name) {
                    args = [try parsePrimary()]
                }
                expr = JinjaExpr(kind: .test(expr, name, args, negated: negated), offset: start)
            } else {
                return expr
            }
        }
    }
}
