import Foundation

/// One chat message: who speaks (`system`, `user`, `assistant`, …) and what they say.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A value passed to a chat template as extra context (e.g. `tools`, `date_string`).
public enum ChatTemplateValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ChatTemplateValue])
    /// A mapping; `keys` keeps the order `tojson` writes them in.
    case object(keys: [String], values: [String: ChatTemplateValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(arrayLiteral elements: ChatTemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, ChatTemplateValue)...) {
        self = .object(keys: elements.map(\.0), values: Dictionary(elements, uniquingKeysWith: { $1 }))
    }
}

/// A template that cannot be parsed or rendered, with the 1-based line and column of the tag or
/// expression involved.
///
/// ```
/// line 1, column 4: {% macro %} is not supported by Lore's chat templates
/// ```
public struct ChatTemplateError: Error, LocalizedError, Equatable, Sendable {
    public struct Position: Equatable, Sendable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }
        public var description: String { "line \(line), column \(column)" }
    }

    public enum Reason: Equatable, Sendable {
        /// Malformed template text (unclosed tag, unexpected token, missing `{% endfor %}`).
        case syntax(String)
        /// A Jinja construct outside Lore's subset: a tag (`{% macro %}`), filter (`filter 'wordwrap'`),
        /// test or method (`construct` names it).
        case unsupported(construct: String)
        /// The template called `raise_exception(message)`.
        case raised(message: String)
        /// An operation on values of the wrong type, or an undefined value used where one is needed.
        case evaluation(String)
    }

    public let reason: Reason
    public let position: Position

    public init(reason: Reason, position: Position) {
        self.reason = reason
        self.position = position
    }

    public var errorDescription: String? {
        switch reason {
        case .syntax(let why): "\(position): \(why)"
        case .unsupported(let construct): "\(position): \(construct) is not supported by Lore's chat templates"
        case .raised(let message): "\(position): the template raised an exception: \(message)"
        case .evaluation(let why): "\(position): \(why)"
        }
    }
}

/// A Hugging Face chat template (Jinja), parsed once and rendered for any conversation.
///
/// Lore implements the Jinja subset real chat templates use, with `trim_blocks` and
/// `lstrip_blocks` on as transformers renders them: `{{ }}`, `{% for %}` (with `loop.index`,
/// `loop.index0`, `loop.first`, `loop.last`, `loop.length`), `{% if/elif/else %}`, `{% set %}`
/// (also `ns.attr` on a `namespace()`), comments, `-`/`+` whitespace control; literals, attribute,
/// subscript and slice access, `+ - * / // % ~`, comparisons, `and or not in`, `x if c else y`,
/// tests (`defined`, `none`, `string`, `number`, …), filters (`trim`, `length`, `upper`, `lower`,
/// `tojson`, `default`, `join`, `first`, `last`, `string`, `int`, `replace`, `capitalize`), string
/// and mapping methods (`strip`, `startswith`, `split`, `get`, `items`, …) and
/// `raise_exception(msg)`. Anything else is a ``ChatTemplateError`` naming the construct and its
/// line and column, thrown by the initialiser.
public struct ChatTemplate: Sendable {
    /// The template text.
    public let source: String
    let nodes: [JinjaNode]
    let lexer: JinjaLexer

    /// Parses `source`; throws for malformed or unsupported constructs.
    public init(_ source: String) throws(ChatTemplateError) {
        self.source = source
        lexer = JinjaLexer(source)
        var parser = JinjaParser(lexer: lexer, segments: try lexer.segments())
        nodes = try parser.parseTemplate()
    }

    /// Renders `messages` (as `messages`, each a mapping with `role` and `content`),
    /// `add_generation_prompt`, `bos_token`, `eos_token` and `extra` (which may override them).
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String = "",
                       eosToken: String = "", extra: [String: ChatTemplateValue] = [:]) throws(ChatTemplateError) -> String {
        var context: [String: JinjaValue] = [
            "messages": .array(messages.map { .object(JinjaObject(["role": .string($0.role), "content": .string($0.content)])) }),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
        ]
        for (key, value) in extra { context[key] = JinjaValue(value) }
        var renderer = JinjaRenderer(lexer: lexer, globals: context)
        try renderer.render(nodes)
        return renderer.output
    }
}

extension Tokenizer {
    /// The parsed ``chatTemplate``; a `ChatTemplateError` with reason `.syntax` when there is none.
    public func parsedChatTemplate() throws(ChatTemplateError) -> ChatTemplate {
        guard let chatTemplate else {
            throw ChatTemplateError(reason: .syntax("this tokenizer has no chat template"), position: .init(line: 1, column: 1))
        }
        return try ChatTemplate(chatTemplate)
    }

    /// Renders `messages` with the tokenizer's chat template, passing its BOS and EOS tokens.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool,
                                  extra: [String: ChatTemplateValue] = [:]) throws(ChatTemplateError) -> String {
        try parsedChatTemplate().render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                        bosToken: bosTokenID.flatMap { token(for: $0) } ?? "",
                                        eosToken: eosTokenID.flatMap { token(for: $0) } ?? "", extra: extra)
    }

    /// The ids of the rendered conversation, special tokens (`<|im_start|>`) parsed, no BOS added —
    /// like transformers' `apply_chat_template(tokenize=True)`.
    public func applyChatTemplateIDs(_ messages: [ChatMessage], addGenerationPrompt: Bool,
                                     extra: [String: ChatTemplateValue] = [:]) throws(ChatTemplateError) -> [Int] {
        encode(try applyChatTemplate(messages, addGenerationPrompt: addGenerationPrompt, extra: extra), parseSpecialTokens: true)
    }
}
