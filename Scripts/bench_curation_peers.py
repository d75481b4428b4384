"""Peers for `lore-bench curation`: the same curation work done by Hugging Face datatrove
(and MinHash alone by datasketch), timed on the same JSONL shards.

    python3 Scripts/bench_curation_peers.py --input-dir DIR [--limit-mb 10] [--workers 2] --json

DIR holds the benchmark corpus as `shard-*.jsonl` files (`{"id", "text"}` per line), written by
`lore-bench curation`. `--limit-mb` keeps only the first megabytes of each shard (default: all)
for quick runs; datatrove's executor costs about 20 s per run whatever the size, so rates from
small samples are low.

Work, as close to Lore's default pipeline as datatrove allows (what differs is listed):
  pipeline  datatrove on `--workers` processes (LocalPipelineExecutor, one task per shard):
            1. JsonlReader → FTFYFormatter (mojibake, NFC, control characters — Lore's cleaning)
               → ExactDedupSignature over the lower-cased, space-collapsed text
            2. ExactFindDedups
            3. JsonlReader → FTFYFormatter → ExactDedupFilter → GopherQualityFilter and
               GopherRepetitionFilter with Lore's prose thresholds (1–100 000 words, mean word
               length 2.5–10, no stop-word rule, NeMo's repetition thresholds) → JsonlWriter
            4–7. MinhashDedupSignature (5-word shingles, 14 × 8, seed 1) → Buckets → Cluster →
               Filter → JsonlWriter
            Not done by the peer: language identification (datatrove's needs a fastText model
            download), PII redaction, C4 line removal; Lore's comparable figure is measured
            with those stages off (`pipeline_comparable`).
  minhash   datatrove's four MinHash stages alone on the raw shards (workers as above), and
            datasketch (one process): MinHash(num_perm=112) of each document's word 5-gram
            set (same normalisation as Lore: lower-case words of letters/digits), MinHashLSH
            with 14 bands × 8 rows, query-then-insert.

xxhash is pinned below 4: datatrove 0.10.1 hashes `str` shingles, which xxhash 4 refuses.
NLTK's `word_tokenize` needs the `punkt` data, which cannot be downloaded here; datatrove is
given NLTK's Treebank word tokenizer without sentence splitting (`preserve_line=True`), which is
the same tokenizer minus the sentence pass.

Prints one JSON object (with --json) or a table: seconds, documents in and out, bytes per peer.
"""
import argparse
import glob
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages  # noqa: E402

ensure_packages("/tmp/lore-curation-venv", imports=["datatrove", "datasketch", "nltk", "ftfy", "tokenizers", "xxhash", "orjson"],
                install=["datatrove==0.10.1", "datasketch==2.0.0", "nltk", "ftfy", "tokenizers", "xxhash<4", "orjson"])

import logging  # noqa: E402

from loguru import logger  # noqa: E402

logger.remove()
logging.disable(logging.WARNING)

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.dedup.exact_dedup import (ExactDedupConfig, ExactDedupFilter,  # noqa: E402
                                                  ExactDedupSignature, ExactFindDedups)
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets,  # noqa: E402
                                              MinhashDedupCluster, MinhashDedupFilter,
                                              MinhashDedupSignature)
from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter  # noqa: E402
from datatrove.pipeline.formatters import FTFYFormatter  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402
from datatrove.utils.hashing import HashConfig  # noqa: E402
from datatrove.utils.word_tokenizers import WordTokenizer  # noqa: E402


class TreebankTokenizer(WordTokenizer):
    """NLTK's word_tokenize without its punkt sentence pass."""

    def word_tokenize(self, text):
        from nltk.tokenize import word_tokenize
        return word_tokenize(text, preserve_line=True)

    def sent_tokenize(self, text):
        return [line for line in text.split("\n") if line.strip()]

    def span_tokenize(self, text):
        spans, start = [], 0
        for line in text.split("\n"):
            spans.append((start, start + len(line)))
            start += len(line) + 1
        return spans


TOKENIZER = TreebankTokenizer()


def normalized(document):
    return " ".join(document.text.lower().split()).encode()


def limited_shards(input_dir, limit_mb, work_dir):
    """Copies the first `limit_mb` MB (whole lines) of each shard into work_dir/input."""
    out = os.path.join(work_dir, "input")
    os.makedirs(out, exist_ok=True)
    total_bytes = documents = 0
    for path in sorted(glob.glob(os.path.join(input_dir, "shard-*.jsonl"))):
        budget = int(limit_mb * 1e6)
        with open(path, "rb") as source, open(os.path.join(out, os.path.basename(path)), "wb") as target:
            for line in source:
                if budget <= 0:
                    break
                target.write(line)
                budget -= len(line)
                total_bytes += len(line)
                documents += 1
    return out, total_bytes, documents


def count_lines(folder):
    total = 0
    for path in glob.glob(os.path.join(folder, "**", "*.jsonl*"), recursive=True):
        opener = open
        if path.endswith(".gz"):
            import gzip
            opener = gzip.open
        with opener(path, "rb") as handle:
            total += sum(1 for _ in handle)
    return total


def run(executor):
    executor.run()


def datatrove_pipeline(input_folder, work, workers, shards):
    exact = ExactDedupConfig(content_getter=normalized, hash_config=HashConfig(precision=64))
    minhash = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1,
                            hash_config=HashConfig(precision=64))
    quality = GopherQualityFilter(min_doc_words=1, max_doc_words=100_000, min_avg_word_length=2.5,
                                  max_avg_word_length=10, max_symbol_word_ratio=0.1, max_bullet_lines_ratio=0.9,
                                  max_ellipsis_lines_ratio=0.3, max_non_alpha_words_ratio=0.8, min_stop_words=None,
                                  language=TOKENIZER)
    repetition = GopherRepetitionFilter(language=TOKENIZER)
    logs = os.path.join(work, "logs")
    common = dict(workers=workers, logging_dir=os.path.join(work, "logs"), skip_completed=False)
    run(LocalPipelineExecutor(pipeline=[JsonlReader(input_folder), FTFYFormatter(),
                                        ExactDedupSignature(os.path.join(work, "exact_sigs"), config=exact)],
                              tasks=shards, **common))
    run(LocalPipelineExecutor(pipeline=[ExactFindDedups(os.path.join(work, "exact_sigs"), os.path.join(work, "exact_dups"),
                                                        config=exact)], tasks=1, **common))
    run(LocalPipelineExecutor(pipeline=[JsonlReader(input_folder), FTFYFormatter(),
                                        ExactDedupFilter(os.path.join(work, "exact_dups"), config=exact),
                                        quality, repetition, JsonlWriter(os.path.join(work, "filtered"), compression=None)],
                              tasks=shards, **common))
    minhash_stages(os.path.join(work, "filtered"), work, workers, shards, minhash, "mh")
    return count_lines(os.path.join(work, "mh_out"))


def minhash_stages(input_folder, work, workers, shards, config, prefix):
    common = dict(workers=workers, logging_dir=os.path.join(work, "logs"), skip_completed=False)
    sigs, buckets, ids = (os.path.join(work, f"{prefix}_{name}") for name in ("sigs", "buckets", "ids"))
    run(LocalPipelineExecutor(pipeline=[JsonlReader(input_folder),
                                        MinhashDedupSignature(sigs, config=config, language=TOKENIZER)],
                              tasks=shards, **common))
    run(LocalPipelineExecutor(pipeline=[MinhashDedupBuckets(sigs, buckets, config=config)],
                              tasks=config.num_buckets, **common))
    run(LocalPipelineExecutor(pipeline=[MinhashDedupCluster(buckets, ids, config=config)], tasks=1, **common))
    run(LocalPipelineExecutor(pipeline=[JsonlReader(input_folder), MinhashDedupFilter(ids),
                                        JsonlWriter(os.path.join(work, f"{prefix}_out"), compression=None)],
                              tasks=shards, **common))


WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def datasketch_minhash(input_folder):
    from datasketch import MinHash, MinHashLSH
    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    kept = 0
    for path in sorted(glob.glob(os.path.join(input_folder, "*.jsonl"))):
        with open(path, encoding="utf-8") as handle:
            for index, line in enumerate(handle):
                words = WORD.findall(json.loads(line)["text"].lower())
                shingles = {" ".join(words[i:i + 5]).encode() for i in range(len(words) - 4)}
                if not shingles:
                    kept += 1
                    continue
                signature = MinHash(num_perm=112, seed=1)
                signature.update_batch(list(shingles))
                if not lsh.query(signature):
                    kept += 1
                lsh.insert(f"{path}:{index}", signature)
    return kept


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input-dir", required=True)
    parser.add_argument("--limit-mb", type=float, default=1e6, help="megabytes read from each shard (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", choices=["pipeline", "minhash", "all"], default="all")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="lore-curation-peers-")
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # datatrove prints its statistics tables; keep stdout for the result
    try:
        input_folder, total_bytes, documents = limited_shards(args.input_dir, args.limit_mb, work)
        shards = len(glob.glob(os.path.join(input_folder, "*.jsonl")))
        result = {"bytes": total_bytes, "documents": documents, "shards": shards, "workers": args.workers}
        if args.work in ("pipeline", "all"):
            start = time.perf_counter()
            kept = datatrove_pipeline(input_folder, os.path.join(work, "pipeline"), args.workers, shards)
            result["datatrove_pipeline"] = {"seconds": time.perf_counter() - start, "kept": kept}
        if args.work in ("minhash", "all"):
            config = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1,
                                   hash_config=HashConfig(precision=64))
            start = time.perf_counter()
            folder = os.path.join(work, "minhash")
            minhash_stages(input_folder, folder, args.workers, shards, config, "mh")
            result["datatrove_minhash"] = {"seconds": time.perf_counter() - start,
                                           "kept": count_lines(os.path.join(folder, "mh_out"))}
            start = time.perf_counter()
            kept = datasketch_minhash(input_folder)
            result["datasketch_minhash"] = {"seconds": time.perf_counter() - start, "kept": kept}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        sys.stdout = real_stdout
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            if isinstance(value, dict):
                rate = result["bytes"] / value["seconds"] / 1e6
                print(f"{name:22s} {value['seconds']:8.2f} s  {result['documents'] / value['seconds']:9.0f} docs/s  "
                      f"{rate:6.2f} MB/s  kept {value['kept']}")


if __name__ == "__main__":
    main()
