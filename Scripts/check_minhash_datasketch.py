#!/usr/bin/env python3
"""Compares Lore's MinHash LSH candidate pairs with the `datasketch` package's, and times both.

Lore's tests write the corpora and their candidate pairs when LORE_DUMP_MINHASH names a folder:

    LORE_DUMP_MINHASH=/tmp/lore-minhash swift test -c release -Xswiftc -enable-testing \
        --filter "FuzzyDeduplicationTests/recallFollowsTheSCurve|FuzzyDeduplicationShakespeareTests"
    python3 Scripts/check_minhash_datasketch.py /tmp/lore-minhash

- planted.json: 6,000 documents (1,000 random-word bases × 5 variants) and the 5,000 base–variant
  pairs with their exact Jaccard similarity on word 5-gram sets. datasketch's MinHashLSH runs on
  the same shingles with the same 14 bands × 8 rows; per 0.1 similarity bin the script prints how
  many pairs each made candidates next to the S-curve's 1 − (1 − s^8)^14 (± one binomial standard
  error). Both are random projections, so they agree "within sampling error": the script fails if
  either differs from the S-curve, or from the other, by more than 4 standard errors (+1).
- shakespeare.json (if present): 20,200 Shakespeare paragraphs. The script times datasketch
  (shingling, MinHash with 112 permutations via update_batch, LSH insert, LSH query) in this one
  process and prints documents/s beside Lore's (signatures + LSH + clusters, from the test run),
  and how many candidate pairs each found and share.

Shingles are made as Lore makes them: words are maximal runs of letters, marks and numbers
(Unicode categories L*, M*, N*) with apostrophes inside a word kept, lower-cased, and each
5-gram is its words joined by one space (UTF-8 bytes given to datasketch's default SHA-1 hash).
Runs inside /tmp/lore-minhash-venv (created on first use, see lore_venv.py).
"""
import json
import math
import os
import re
import sys
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages

ensure_packages("/tmp/lore-minhash-venv", imports=["datasketch", "numpy"], install=["datasketch", "numpy"])

from datasketch import MinHash, MinHashLSH  # noqa: E402

BANDS, ROWS, NGRAM = 14, 8, 5
APOSTROPHES = ("'", "\u2019")


def is_word_char(ch):
    return unicodedata.category(ch)[0] in "LMN"


def words(text):
    """Lore's Words.split(text, lowercased: true)."""
    out, current = [], []
    for i, ch in enumerate(text):
        if is_word_char(ch):
            current.append(ch)
        elif ch in APOSTROPHES and current and i + 1 < len(text) and is_word_char(text[i + 1]):
            current.append(ch)
        else:
            if current:
                out.append("".join(current).lower())
            current = []
    if current:
        out.append("".join(current).lower())
    return out


# The same words as `words` for text without combining marks (checked on each corpus), as a
# regular expression so that datasketch's timing is not spent in a Python character loop.
WORD_PATTERN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def fast_words(text):
    return [w.lower() for w in WORD_PATTERN.findall(text)]


def check_word_splitting(documents, count=3000):
    """How many of the first `count` documents split differently with `fast_words`."""
    return sum(fast_words(t) != words(t) for t in documents[:count])


def shingles(text):
    w = fast_words(text)
    return {" ".join(w[i:i + NGRAM]).encode("utf-8") for i in range(len(w) - NGRAM + 1)}


def datasketch_candidates(documents):
    """Candidate pairs of datasketch MinHashLSH (14 × 8) on Lore's shingles; also returns seconds."""
    start = time.perf_counter()
    lsh = MinHashLSH(num_perm=BANDS * ROWS, params=(BANDS, ROWS))
    signatures = []
    for index, text in enumerate(documents):
        s = shingles(text)
        if not s:
            signatures.append(None)
            continue
        m = MinHash(num_perm=BANDS * ROWS, seed=1)
        m.update_batch(list(s))
        signatures.append(m)
        lsh.insert(index, m)
    pairs = set()
    for index, m in enumerate(signatures):
        if m is None:
            continue
        for other in lsh.query(m):
            if other != index:
                pairs.add((min(index, other), max(index, other)))
    return pairs, time.perf_counter() - start


def s_curve(s):
    return 1 - (1 - s ** ROWS) ** BANDS


def check_planted(path):
    with open(path) as f:
        data = json.load(f)
    assert (data["num_buckets"], data["hashes_per_bucket"], data["n_grams"]) == (BANDS, ROWS, NGRAM)
    documents = data["documents"]
    lore = {tuple(p) for p in data["lore_candidates"]}
    ours, seconds = datasketch_candidates(documents)
    pairs = data["pairs"]
    mismatched = check_word_splitting(documents)
    # Our shingles must give the same exact Jaccard as Lore's hashed ones.
    worst = 0.0
    for base, variant, jaccard in pairs[:300]:
        a, b = shingles(documents[base]), shingles(documents[variant])
        worst = max(worst, abs(len(a & b) / len(a | b) - jaccard))
    print(f"planted corpus: {len(documents)} documents, {len(pairs)} pairs; "
          f"Jaccard from Python shingles vs Lore: max difference {worst:.2e} (300 pairs); "
          f"regex words differ from Lore's on {mismatched} of 3000 documents")
    print(f"datasketch LSH: {seconds:.2f} s ({len(documents) / seconds:.0f} documents/s)")
    print(f"{'J bin':>9} {'pairs':>6} {'Lore':>6} {'datasketch':>10} {'S-curve':>16} {'Lore−ds (z)':>12}")
    ok = worst < 1e-9 and mismatched == 0
    for low10 in range(3, 10):
        low, high = low10 / 10, (low10 + 1) / 10 if low10 < 9 else 1.0001
        in_bin = [(b, v, j) for b, v, j in pairs if low <= j < high]
        n = len(in_bin)
        lore_found = sum((b, v) in lore for b, v, _ in in_bin)
        ds_found = sum((b, v) in ours for b, v, _ in in_bin)
        probabilities = [s_curve(j) for _, _, j in in_bin]
        expected = sum(probabilities)
        se = math.sqrt(sum(p * (1 - p) for p in probabilities))
        se_diff = math.sqrt(2) * se
        z = (lore_found - ds_found) / se_diff if se_diff > 0 else 0.0
        print(f"{low:.1f}–{min(high, 1):.1f} {n:>6} {lore_found:>6} {ds_found:>10} {expected:>9.1f} ± {se:>4.1f} {z:>+12.2f}")
        for name, found in (("Lore", lore_found), ("datasketch", ds_found)):
            if abs(found - expected) > 4 * se + 1:
                print(f"  {name} is off the S-curve in bin {low:.1f}")
                ok = False
        if abs(lore_found - ds_found) > 4 * se_diff + 1:
            print(f"  Lore and datasketch differ beyond sampling error in bin {low:.1f}")
            ok = False
    family = {}
    for base, variant, _ in pairs:
        family[base] = base
        family[variant] = base
    for name, found in (("Lore", lore), ("datasketch", ours)):
        cross = sum(family.get(a) != family.get(b) for a, b in found)
        print(f"{name}: {len(found)} candidate pairs, {cross} between unrelated bases")
    return ok


def check_shakespeare(path):
    with open(path) as f:
        data = json.load(f)
    documents = data["documents"]
    megabytes = sum(len(t.encode("utf-8")) for t in documents) / 1e6
    lore = {tuple(p) for p in data["lore_candidates"]}
    ours, seconds = datasketch_candidates(documents)
    mismatched = check_word_splitting(documents, len(documents))
    print(f"\nShakespeare: {len(documents)} paragraphs, {megabytes:.2f} MB "
          f"(regex words differ from Lore's on {mismatched})")
    print(f"datasketch (1 process): {seconds:.2f} s → {len(documents) / seconds:.0f} documents/s, "
          f"{megabytes / seconds:.2f} MB/s")
    for threads, timing in zip(data["lore_threads"], data["lore_seconds"]):
        total = timing["signatures"] + timing["clusters"]
        print(f"Lore ({threads} thread{'s' if threads > 1 else ''}): {total:.3f} s → {len(documents) / total:.0f} documents/s, "
              f"{megabytes / total:.2f} MB/s ({seconds / total:.0f}× datasketch)")
    both = len(lore & ours)
    print(f"candidate pairs: Lore {len(lore)}, datasketch {len(ours)}, shared {both}")
    return mismatched == 0


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    ok = check_planted(os.path.join(folder, "planted.json"))
    shakespeare = os.path.join(folder, "shakespeare.json")
    if os.path.exists(shakespeare):
        ok = check_shakespeare(shakespeare) and ok
    print("\nOK" if ok else "\nMISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
