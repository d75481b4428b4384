#!/usr/bin/env python3
"""Encode throughput of Lore's tokenizer peers, for `lore-bench tokenizer`.

Times Hugging Face `tokenizers` (Rust) and `tiktoken` (Rust) encoding every `*_gut.txt` play in
--text-dir with GPT-2's vocabulary (encoder.json + vocab.bpe), on 1 or 2 threads:

  --threads 1: tiktoken `encode_ordinary` per play; tokenizers `encode` per play with
               RAYON_NUM_THREADS=1.
  --threads 2: tiktoken `encode_ordinary_batch(plays, num_threads=2)`; tokenizers
               `encode_batch(plays)` with RAYON_NUM_THREADS=2.

The tiktoken Encoding is built from the same ranks (encoder.json's keys mapped back to bytes
through GPT-2's byte decoder), GPT-2's split pattern, and `<|endoftext|>` as its only special
token; the tokenizers BPE from the same two files with ByteLevel(add_prefix_space=False).
Timings exclude Python start-up, imports, building the tokenizers and reading the files; each
library first encodes the first 100 KB once, untimed (tokenizers keeps a word cache across
calls, which that warms only a little).

Run:  python3 Scripts/bench_tokenizer_peers.py --text-dir DIR --encoder encoder.json \
          --merges vocab.bpe [--threads 1|2] [--rounds 1] [--json]
Needs `tokenizers` and `tiktoken`: if they don't import, the script re-runs itself inside the venv
at $LORE_TOKENIZER_VENV (default /tmp/lore-tokenizer-venv), creating it on first use.
--json prints one object: {"bytes", "threads", "tiktoken": {"seconds": [...], "ids"},
"tokenizers": {"seconds": [...], "ids"}}, seconds per pass over all plays, ids the total count.
"""
import argparse
import glob
import json
import os
import sys
import time

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
WARM_UP_BYTES = 100_000


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text-dir", required=True)
    parser.add_argument("--encoder", required=True)
    parser.add_argument("--merges", required=True)
    parser.add_argument("--threads", type=int, choices=[1, 2], default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def gpt2_byte_decoder():
    """GPT-2's printable stand-in character for each byte, inverted: character → byte."""
    decoder, extra = {}, 256
    for b in range(256):
        if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255:
            decoder[chr(b)] = b
        else:
            decoder[chr(extra)] = b
            extra += 1
    return decoder


def build_tiktoken(tiktoken, encoder_path):
    byte_decoder = gpt2_byte_decoder()
    encoder = json.load(open(encoder_path, encoding="utf-8"))
    ranks = {bytes(byte_decoder[c] for c in token): rank
             for token, rank in encoder.items() if token != "<|endoftext|>"}
    return tiktoken.Encoding("gpt2-lore-bench", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": encoder["<|endoftext|>"]})


def build_tokenizers(tokenizers, encoder_path, merges_path):
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE.from_file(encoder_path, merges_path))
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.add_special_tokens(["<|endoftext|>"])
    return tokenizer


def timed(passes, body):
    """Seconds of each of `passes` calls of `body`, and its last result."""
    seconds, result = [], None
    for _ in range(passes):
        start = time.perf_counter()
        result = body()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def main():
    arguments = parse_arguments()
    # Rayon reads this when its pool starts (first parallel call), so set it before any use.
    os.environ["RAYON_NUM_THREADS"] = str(arguments.threads)
    os.environ["TOKENIZERS_PARALLELISM"] = "true"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from lore_venv import ensure_packages
    ensure_packages(os.environ.get("LORE_TOKENIZER_VENV", "/tmp/lore-tokenizer-venv"),
                    imports=["tokenizers", "tiktoken"], install=["tokenizers", "tiktoken"])
    import tiktoken
    import tokenizers

    paths = sorted(glob.glob(os.path.join(arguments.text_dir, "*_gut.txt")))
    if not paths:
        sys.exit(f"no *_gut.txt files in {arguments.text_dir}")
    plays = [open(p, "rb").read().decode("utf-8") for p in paths]
    total_bytes = sum(len(p.encode("utf-8")) for p in plays)
    tik = build_tiktoken(tiktoken, arguments.encoder)
    hf = build_tokenizers(tokenizers, arguments.encoder, arguments.merges)
    warm = plays[0][:WARM_UP_BYTES]
    tik.encode_ordinary(warm)
    hf.encode(warm)

    if arguments.threads == 1:
        def run_tiktoken():
            return sum(len(tik.encode_ordinary(p)) for p in plays)

        def run_tokenizers():
            return sum(len(hf.encode(p).ids) for p in plays)
    else:
        def run_tiktoken():
            return sum(len(ids) for ids in tik.encode_ordinary_batch(plays, num_threads=2))

        def run_tokenizers():
            return sum(len(e.ids) for e in hf.encode_batch(plays))

    tik_seconds, tik_ids = timed(arguments.rounds, run_tiktoken)
    hf_seconds, hf_ids = timed(arguments.rounds, run_tokenizers)
    result = {"bytes": total_bytes, "threads": arguments.threads,
              "tiktoken": {"seconds": tik_seconds, "ids": tik_ids},
              "tokenizers": {"seconds": hf_seconds, "ids": hf_ids}}
    if arguments.json:
        print(json.dumps(result))
    else:
        for name in ("tiktoken", "tokenizers"):
            best = min(result[name]["seconds"])
            print(f"{name} {arguments.threads} thread(s): {total_bytes / best / 1e6:.2f} MB/s, "
                  f"{result[name]['ids']} ids")


if __name__ == "__main__":
    main()
