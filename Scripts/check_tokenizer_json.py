#!/usr/bin/env python3
"""Checks that tokenizer folders saved by Lore load in Hugging Face `tokenizers` and encode alike.

Write the folders (each holds tokenizer.json, tokenizer_config.json, text.txt and ids.json, Lore's
ids for text.txt) with the export test, then run this script on the same folder:

    LORE_TOKENIZER_EXPORT_DIR=/tmp/lore-tok-export swift test -c release -Xswiftc -enable-testing \
        --filter SavingTests/exportForHuggingFace
    python3 Scripts/check_tokenizer_json.py /tmp/lore-tok-export

With `--compare-trainer TEXT_FILE` it also trains Hugging Face's BpeTrainer (byte-level alphabet,
vocab 1000, min_frequency 2, GPT-2 pre-tokenizer, <|endoftext|> special) on TEXT_FILE and compares
its merges with the folder `trained-hamlet` that Lore trained on the same text.
Runs inside /tmp/tok-venv (created on first use, see lore_venv.py). Run it with a Python that also
has `transformers` (no torch needed) to check `AutoTokenizer.from_pretrained(folder)` too.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages

ensure_packages("/tmp/tok-venv", imports=["tokenizers"], install=["tokenizers"])

from tokenizers import Tokenizer  # noqa: E402


def check_folder(folder):
    tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "text.txt"), encoding="utf-8", newline="") as f:
        text = f.read()
    with open(os.path.join(folder, "ids.json")) as f:
        lore_ids = json.load(f)
    hf_ids = tokenizer.encode(text, add_special_tokens=False).ids
    same = hf_ids == lore_ids
    where = ""
    if not same:
        first = next((i for i, (a, b) in enumerate(zip(hf_ids, lore_ids)) if a != b), min(len(hf_ids), len(lore_ids)))
        where = f", first difference at id {first}: hf {hf_ids[first:first + 5]} lore {lore_ids[first:first + 5]}"
    decoded = tokenizer.decode(hf_ids, skip_special_tokens=False) == text
    config = json.load(open(os.path.join(folder, "tokenizer_config.json")))
    print(f"{os.path.basename(folder)}: {len(lore_ids)} ids, {'identical' if same else 'DIFFERENT'}{where}; "
          f"HF decode {'restores' if decoded else 'does not restore'} the text; config keys {sorted(config)}")
    return same and check_transformers(folder, text, lore_ids, config)


def check_transformers(folder, text, lore_ids, config):
    """When `transformers` is importable (run this script with a venv that has it), also load the
    folder with AutoTokenizer and compare ids, special tokens and the chat template."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        return True
    tok = AutoTokenizer.from_pretrained(folder)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    same = ids == lore_ids
    special_ok = all(getattr(tok, key) == config[key] for key in ("bos_token", "eos_token") if key in config)
    template_ok = tok.chat_template == config.get("chat_template")
    print(f"  transformers {type(tok).__name__}: ids {'identical' if same else 'DIFFERENT'}, "
          f"special tokens {'match' if special_ok else 'DIFFER'}, chat template {'matches' if template_ok else 'DIFFERS'}")
    return same and special_ok and template_ok


def compare_trainer(folder, text_file):
    from tokenizers import models, pre_tokenizers, decoders, trainers
    ours = json.load(open(os.path.join(folder, "tokenizer.json")))["model"]["merges"]
    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1000, min_frequency=2, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    with open(text_file, encoding="utf-8", newline="") as f:   # one document, CRLF kept, as Lore reads it
        hf.train_from_iterator([f.read()], trainer)
    theirs = json.loads(hf.to_str())["model"]["merges"]
    theirs = [m.split(" ") if isinstance(m, str) else m for m in theirs]
    same_prefix = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    print(f"trainer: Lore {len(ours)} merges, tokenizers {len(theirs)}; identical for the first {same_prefix}"
          + ("" if same_prefix == len(ours) == len(theirs) else
             f"; then Lore {ours[same_prefix:same_prefix + 3]} vs tokenizers {theirs[same_prefix:same_prefix + 3]}"))
    common = len(set(map(tuple, ours)) & set(map(tuple, theirs)))
    print(f"trainer: {common} merges in common")


def main():
    args = sys.argv[1:]
    compare = None
    if "--compare-trainer" in args:
        i = args.index("--compare-trainer")
        compare = args[i + 1]
        del args[i:i + 2]
    root = args[0] if args else os.environ.get("LORE_TOKENIZER_EXPORT_DIR", "/tmp/lore-tok-export")
    folders = sorted(os.path.join(root, d) for d in os.listdir(root) if os.path.exists(os.path.join(root, d, "tokenizer.json")))
    ok = all([check_folder(f) for f in folders])
    if compare:
        compare_trainer(os.path.join(root, "trained-hamlet"), compare)
    sys.exit(0 if ok and folders else 1)


if __name__ == "__main__":
    main()
