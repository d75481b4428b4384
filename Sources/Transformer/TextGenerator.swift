import Foundation
import Tensor
import Tokenizer

/// Why generation stopped.
public enum FinishReason: String, Sendable, Equatable {
    /// An end-of-sequence token was produced (it is not part of the text).
    case endOfSequence
    /// A stop string appeared (the text ends before it).
    case stopString
    /// `maxNewTokens` were produced.
    case length
    /// The sequence filled the model's positions (or the cache).
    case contextFull
    /// The streaming callback asked to stop.
    case cancelled
}

/// What to generate and when to stop.
public struct GenerationOptions: Sendable {
    /// At most this many new tokens (default 256).
    public var maxNewTokens: Int
    public var sampling: SamplingParameters
    /// Tokens that end generation; `nil` = the model's and tokenizer's end-of-sequence ids.
    public var stopTokenIDs: Set<Int32>?
    /// Generation ends when the text contains one of these; the text is cut before it.
    public var stopStrings: [String]

    public init(maxNewTokens: Int = 256, sampling: SamplingParameters = .greedy, stopTokenIDs: Set<Int32>? = nil,
                stopStrings: [String] = []) {
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopTokenIDs = stopTokenIDs
        self.stopStrings = stopStrings
    }
}

/// The result of one generation.
public struct Generation: Sendable {
    /// The new tokens (an end-of-sequence token that stopped generation is not included).
    public var tokens: [Int32]
    /// Their text, cut before a stop string.
    public var text: String
    public var finishReason: FinishReason
    /// Prompt length in tokens.
    public var promptTokens: Int
}

/// Generates text with a model and its tokenizer through an ``InferenceSession``.
///
/// ```swift
/// let loaded = try PretrainedModel.load(from: "SmolLM2-135M-Instruct.Q4_1.gguf")
/// let generator = TextGenerator(model: loaded.model, tokenizer: loaded.tokenizer!)
/// let reply = try generator.chat("What is the capital of France?", options: .init(maxNewTokens: 20))
/// print(reply.text)   // The capital of France is Paris.
/// ```
public struct TextGenerator {
    public let model: any CausalLanguageModel
    public let tokenizer: Tokenizer

    public init(model: any CausalLanguageModel, tokenizer: Tokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// The end-of-sequence ids: the model configuration's and the tokenizer's.
    public var endOfSequenceIDs: Set<Int32> {
        Set(model.configuration.eosTokenIDs.map(Int32.init) + (tokenizer.eosTokenID.map { [Int32($0)] } ?? []))
    }

    /// Continues `prompt` (plain text, special tokens parsed, no BOS added).
    public func generate(_ prompt: String, options: GenerationOptions = .init(),
                         onText: ((String) -> Bool)? = nil) -> Generation {
        generate(promptIDs: tokenizer.encode(prompt).map(Int32.init), options: options, onText: onText)
    }

    /// Answers `message` as the assistant of a one-turn conversation rendered with the
    /// tokenizer's chat template (optionally after a system message).
    public func chat(_ message: String, system: String? = nil, options: GenerationOptions = .init(),
                     onText: ((String) -> Bool)? = nil) throws -> Generation {
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: "system", content: system)) }
        messages.append(ChatMessage(role: "user", content: message))
        let ids = try tokenizer.applyChatTemplateIDs(messages, addGenerationPrompt: true)
        return generate(promptIDs: ids.map(Int32.init), options: options, onText: onText)
    }

    /// Generates after `promptIDs`.
    ///
    /// - Parameter onText: receives the text as it is produced (whole UTF-8 characters, held back
    ///   while it could be the start of a stop string); return `false` to stop.
    public func generate(promptIDs: [Int32], options: GenerationOptions = .init(),
                         onText: ((String) -> Bool)? = nil) -> Generation {
        generate(batch: [promptIDs], options: options, onText: onText.map { callback in { _, text in callback(text) } })[0]
    }

    /// Generates after each prompt of a batch at once (prompts of any lengths); each stops on
    /// its own. Draws come from one generator per prompt, seeded `seed + index`. A prompt as
    /// long as the model's context or longer keeps only its last `positions − 1` tokens.
    ///
    /// - Parameter onText: `(prompt index, text)`; return `false` to stop that prompt.
    public func generate(batch prompts: [[Int32]], options: GenerationOptions = .init(),
                         onText: ((Int, String) -> Bool)? = nil) -> [Generation] {
        check(!prompts.isEmpty && prompts.allSatisfy { !$0.isEmpty }, "TextGenerator: every prompt needs at least one token")
        // A prompt longer than the model's context keeps its last `positions − 1` tokens.
        let positions = model.configuration.maxPositions
        let prompts = prompts.map { $0.count < positions ? $0 : Array($0.suffix(Swift.max(1, positions - 1))) }
        let longest = prompts.map(\.count).max()!
        let capacity = Swift.min(model.configuration.maxPositions, longest + Swift.max(options.maxNewTokens, 0))
        let session = InferenceSession(model: model, sequences: prompts.count, capacity: Swift.max(capacity, longest))
        let stopIDs = options.stopTokenIDs ?? endOfSequenceIDs
        var states = prompts.indices.map { i in
            var sampling = options.sampling
            sampling.seed &+= UInt64(i)
            return SequenceState(history: prompts[i], promptTokens: prompts[i].count, decoder: StreamingDecoder(tokenizer: tokenizer),
                                 sampler: Sampler(sampling), stopStrings: options.stopStrings)
        }
        var logits = Tensor.zeros([1])
        session.run(prompts.indices.map { ($0, prompts[$0]) }, logits: &logits)
        var rowOf = Array(prompts.indices)     // the row of `logits` that holds each sequence's next-token logits
        while true {
            var running: [(sequence: Int, tokens: [Int32])] = []
            for i in states.indices where states[i].finish == nil {
                if states[i].produced >= options.maxNewTokens { states[i].finish = .length; continue }
                let token = states[i].sampler.next(logits: logits.select(alongAxis: 0, index: rowOf[i]), history: states[i].history)
                if stopIDs.contains(token) { states[i].finish = .endOfSequence; continue }
                states[i].accept(token)
                if let onText, !states[i].pendingOutput.isEmpty, !onText(i, states[i].takeOutput()) {
                    states[i].finish = .cancelled
                }
                if states[i].finish == nil, states[i].produced >= options.maxNewTokens { states[i].finish = .length }
                if states[i].finish == nil, states[i].history.count >= session.capacity { states[i].finish = .contextFull }
                if states[i].finish == nil { running.append((i, [token])) }
            }
            if running.isEmpty { break }
            session.run(running, logits: &logits)
            for (row, chunk) in running.enumerated() { rowOf[chunk.sequence] = row }
        }
        return states.indices.map { i in
            var state = states[i]
            state.flush()
            if let onText, !state.pendingOutput.isEmpty { _ = onText(i, state.takeOutput()) }
            return Generation(tokens: Array(state.history.dropFirst(state.promptTokens)), text: state.text,
                              finishReason: state.finish ?? .length, promptTokens: state.promptTokens)
        }
    }
}

/// One sequence's progress: tokens, decoded text, stop-string watch.
private struct SequenceState {
    var history: [Int32]
    let promptTokens: Int
    var decoder: StreamingDecoder
    var sampler: Sampler
    let stopStrings: [String]
    var finish: FinishReason?
    /// Text accepted so far (cut before a stop string once one appears).
    var text = ""
    /// How much of ``text`` has been handed to the callback.
    var emitted = 0
    var produced: Int { history.count - promptTokens }

    init(history: [Int32], promptTokens: Int, decoder: StreamingDecoder, sampler: Sampler, stopStrings: [String]) {
        self.history = history
        self.promptTokens = promptTokens
        self.decoder = decoder
        self.sampler = sampler
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
    }

    mutating func accept(_ token: Int32) {
        history.append(token)
        text += decoder.append(Int(token))
        checkStopStrings()
    }

    mutating func flush() {
        if finish != .stopString { text += decoder.finish(); checkStopStrings() }
    }

    private mutating func checkStopStrings() {
        for stop in stopStrings {
            if let range = text.range(of: stop) {
                text = String(text[..<range.lowerBound])
                finish = .stopString
            }
        }
    }

    /// Text that is safe to emit: everything except a tail that could begin a stop string.
    var pendingOutput: Substring {
        var end = text.endIndex
        if finish != .stopString {
            for stop in stopStrings {
                // The longest suffix of `text` that is a proper prefix of `stop` is held back.
                var length = Swift.min(stop.count - 1, text.count)
                while length > 0 {
                    let start = text.index(text.endIndex, offsetBy: -length)
                    if stop.hasPrefix(text[start...]) { end = Swift.min(end, start); break }
                    length -= 1
                }
            }
        }
        let from = text.index(text.startIndex, offsetBy: Swift.min(emitted, text.count))
        return from < end ? text[from..<end] : ""
    }

    mutating func takeOutput() -> String {
        let piece = String(pendingOutput)
        emitted += piece.count
        return piece
    }
}
