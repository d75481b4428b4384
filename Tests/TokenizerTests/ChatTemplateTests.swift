import Foundation
import Testing
import _TestSupport
@testable import Tokenizer

/// Chat templates rendered by Lore against `jinja2` with transformers' settings
/// (goldens: `Scripts/reference_chat_templates.py` → `Fixtures/chat_templates.json`).
@Suite struct ChatTemplateTests {
    static func fixture() throws -> [String: Any] { try TokenizerFixtures.json("chat_templates.json") }

    static func messages(_ any: Any?) -> [ChatMessage] {
        (any as! [[String: String]]).map { ChatMessage(role: $0["role"]!, content: $0["content"]!) }
    }

    @Test func rendersEveryFixtureCaseExactly() throws {
        let fixture = try Self.fixture()
        let sources = fixture["templates"] as! [String: String]
        var templates: [String: ChatTemplate] = [:]
        for (name, source) in sources { templates[name] = try ChatTemplate(source) }
        let cases = fixture["cases"] as! [[String: Any]]
        #expect(cases.count >= 60)
        for entry in cases {
            let name = entry["template"] as! String
            let label = "\(name)/\(entry["conversation"]!)/generation=\(entry["add_generation_prompt"]!)"
            // `extra` is only the features template's `tools`; JSONSerialization loses the key order tojson
            // writes, so it is rebuilt here in the script's order.
            let extraKeys = (entry["extra"] as! [String: Any]).keys
            #expect(extraKeys.allSatisfy { $0 == "tools" })
            let extra: [String: ChatTemplateValue] = extraKeys.isEmpty ? [:] :
                ["tools": [["name": "get_weather", "parameters": ["city": "string", "units": ["c", "f"]], "strict": true]]]
            do {
                let output = try templates[name]!.render(
                    messages: Self.messages(entry["messages"]), addGenerationPrompt: entry["add_generation_prompt"] as! Bool,
                    bosToken: entry["bos_token"] as! String, eosToken: entry["eos_token"] as! String, extra: extra)
                guard let expected = entry["output"] as? String else {
                    Issue.record("\(label): expected an error \(entry["error"]!), rendered \(output.debugDescription)")
                    continue
                }
                #expect(Array(output.utf8) == Array(expected.utf8), "\(label)\nLore:   \(output.debugDescription)\njinja2: \(expected.debugDescription)")
            } catch {
                guard let message = entry["error"] as? String else {
                    Issue.record("\(label): \(error.localizedDescription)")
                    continue
                }
                #expect(error.reason == .raised(message: message), "\(label)")
            }
        }
    }

    @Test(TestAssets.requires(.smolLM2GGUF)) func smolLM2TemplateFromTheGGUFRendersTheDocumentedPrompt() throws {
        let template = try ChatTemplate(#require(TokenizerFixtures.smolLM2().chatTemplate))
        let text = try template.render(messages: [ChatMessage(role: "user", content: "What is the capital of France?")],
                                       addGenerationPrompt: true)
        #expect(text == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test(TestAssets.requires(.smolLM2GGUF)) func smolLM2IDsMatchTheReference() throws {
        let tokenizer = try TokenizerFixtures.smolLM2()
        let fixture = try Self.fixture()
        let cases = fixture["cases"] as! [[String: Any]]
        let goldens = fixture["smollm2_ids"] as! [[String: Any]]
        #expect(goldens.count == 2)
        for golden in goldens {
            let conversation = golden["conversation"] as! String
            let entry = try #require(cases.first {
                $0["template"] as? String == "chatml_smollm2" && $0["conversation"] as? String == conversation
                    && $0["add_generation_prompt"] as? Bool == true
            })
            let messages = Self.messages(entry["messages"])
            let ids = try tokenizer.applyChatTemplateIDs(messages, addGenerationPrompt: true)
            #expect(ids == golden["ids"] as! [Int], "\(conversation)")
            #expect(try tokenizer.applyChatTemplate(messages, addGenerationPrompt: true) == entry["output"] as! String)
        }
    }

    static func error(_ source: String, render: Bool = false) -> ChatTemplateError? {
        do {
            let template = try ChatTemplate(source)
            if render { _ = try template.render(messages: [ChatMessage(role: "user", content: "hi")], addGenerationPrompt: false) }
            return nil
        } catch {
            return error
        }
    }

    @Test func unsupportedConstructsAreNamedWithTheirPosition() throws {
        let macro = try #require(Self.error("Hi\n  {% macro greet(name) %}x{% endmacro %}"))
        #expect(macro.reason == .unsupported(construct: "{% macro %}"))
        #expect(macro.position == .init(line: 2, column: 3))
        #expect(macro.localizedDescription == "line 2, column 3: {% macro %} is not supported by Lore's chat templates")

        let include = try #require(Self.error("{% include 'other.jinja' %}"))
        #expect(include.reason == .unsupported(construct: "{% include %}"))
        #expect(include.position == .init(line: 1, column: 1))

        let filter = try #require(Self.error("{{ messages | wordwrap(3) }}"))
        #expect(filter.reason == .unsupported(construct: "filter 'wordwrap'"))
        #expect(filter.position == .init(line: 1, column: 15))

        let test = try #require(Self.error("{% if x is divisibleby 3 %}{% endif %}"))
        #expect(test.reason == .unsupported(construct: "test 'divisibleby'"))

        let method = try #require(Self.error("é\n{{ 'x'.zfill(3) }}", render: true))
        #expect(method.reason == .unsupported(construct: "method 'zfill' of string"))
        #expect(method.position == .init(line: 2, column: 4))
    }

    @Test func syntaxErrorsNameTheProblem() throws {
        #expect(Self.error("{% for m in messages %}x")?.reason == .syntax("{% for %} without {% endfor %}"))
        #expect(Self.error("{% if true %}x")?.reason == .syntax("{% if %} without {% endif %}"))
        #expect(Self.error("a {{ 'x' ")?.position == .init(line: 1, column: 3))
        #expect(Self.error("{{ 'unterminated }}")?.reason == .syntax("unterminated string literal"))
        #expect(Self.error("{% endif %}")?.reason == .syntax("unexpected {% endif %}"))
        #expect(Self.error("{# open comment")?.reason == .syntax("unclosed comment: missing '#}'"))
        #expect(Self.error("{{ messages[0]. }}")?.reason == .syntax("expected a name, found the end of the tag"))
        #expect(Self.error("{{ nothing.attribute }}", render: true)?.reason
            == .evaluation("'nothing' is undefined, cannot read 'attribute' of it"))
    }

    @Test func raiseExceptionSurfacesItsMessage() throws {
        let template = try ChatTemplate("{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation must start with user, got ' + messages[0]['role']) }}{% endif %}ok")
        #expect(try template.render(messages: [ChatMessage(role: "user", content: "a")], addGenerationPrompt: false) == "ok")
        #expect(throws: ChatTemplateError(reason: .raised(message: "Conversation must start with user, got assistant"),
                                          position: .init(line: 1, column: 42))) {
            try template.render(messages: [ChatMessage(role: "assistant", content: "a")], addGenerationPrompt: false)
        }
    }

    /// Expected strings checked with jinja2 3.1.6, `Environment(trim_blocks=True, lstrip_blocks=True)`.
    @Test func whitespaceControlMatchesJinja() throws {
        func render(_ source: String) throws -> String {
            try ChatTemplate(source).render(messages: [], addGenerationPrompt: false)
        }
        // trim_blocks drops one newline after a block tag; lstrip_blocks drops indentation before it.
        #expect(try render("a\n  {% if true %}\n  b\n  {% endif %}\nc") == "a\n  b\nc")
        #expect(try render("a  {%- if true -%}  \n b {%- endif %}") == "ab")
        #expect(try render("x\n  {%+ if true %}y{% endif %}") == "x\n  y")
        #expect(try render("{% if true +%}\nz{% endif %}") == "\nz")
        #expect(try render("p {{- ' q ' -}} r") == "p q r")
        #expect(try render("{{ 1 }}\n{# c #}\nend") == "1\nend")
    }
}
