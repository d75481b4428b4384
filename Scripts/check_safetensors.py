#!/usr/bin/env python3
"""Cross-check Lore's safetensors reader and writer against Hugging Face's `safetensors`.

Two directions:

  write-fixture PATH
      Writes the reference file that Lore's tests read
      (Tests/TensorTests/Fixtures/python_reference.safetensors): F32, F16, BF16, F64, I64,
      I32 and U8 tensors of mixed dtypes (so the writer's offset order differs from name
      order), a scalar, an empty tensor and metadata. Regenerate with

          python3 Scripts/check_safetensors.py write-fixture \
              Tests/TensorTests/Fixtures/python_reference.safetensors

      (The bytes may differ between runs — Rust orders the two metadata keys arbitrarily —
      but the values never do.)

  verify PATH...
      Opens files written by Lore with Python's safetensors and checks names, shapes,
      dtypes, metadata and every value bit for bit against the recipe below (the same one
      `SafetensorsTests.exportForPython` uses): F16 values must equal numpy's
      `astype(float16)` (round to nearest even), BF16 values the round-to-nearest-even of
      the float32 bits. It also checks that the data section starts at a multiple of 8 and,
      when the metadata has at most one key (Rust orders a larger map arbitrarily), that
      Python re-serialises the tensors to exactly the same bytes. Produce the files with

          LORE_SAFETENSORS_EXPORT_DIR=/tmp/lore-st swift test --filter exportForPython
          python3 Scripts/check_safetensors.py verify /tmp/lore-st/lore_*.safetensors

The script needs `safetensors` and `numpy` (no torch). Unless they import already, it creates
a virtual environment (default /tmp/lore-safetensors-venv, or --venv DIR), installs them
there with pip and re-runs itself inside it.
"""

import argparse
import json
import os
import struct
import subprocess
import sys

DEFAULT_VENV = "/tmp/lore-safetensors-venv"


def ensure_packages(venv):
    """Re-executes this script in `venv` (created on demand) unless numpy and safetensors import."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from lore_venv import ensure_packages as ensure
    ensure(venv, imports=["numpy", "safetensors"], install=["numpy", "safetensors"])


# ---------------------------------------------------------------------------------------------
# The fixture (Python writes, Lore reads). SafetensorsTests.pythonFixture hard-codes the same.

def fixture_tensors():
    import numpy as np

    bf16_values = np.array([1.0, -3.140625, 0.0078125, 1.1015625], dtype=np.float32)  # exact in bf16
    return {
        "f32.matrix": ("float32", np.array([[0.5, -1.25, 3.0], [1e-3, -0.0, 65504.0]], dtype=np.float32)),
        "f16.vector": ("float16", np.array([1.0, -2.5, 0.1, 65504.0, 6e-8], dtype=np.float16)),
        "bf16.vector": ("bfloat16", (bf16_values.view(np.uint32) >> 16).astype(np.uint16)),
        "f64.values": ("float64", np.array([0.1, -1e300], dtype=np.float64)),
        "i64.positions": ("int64", np.arange(6, dtype=np.int64).reshape(1, 6)),
        "i64.big": ("int64", np.array([2**40 + 1, -7], dtype=np.int64)),
        "i32.ids": ("int32", np.array([7, -1, 2147483647], dtype=np.int32)),
        "u8.bytes": ("uint8", np.array([0, 200, 255], dtype=np.uint8)),
        "f32.scalar": ("float32", np.array(42.0, dtype=np.float32)),
        "f32.empty": ("float32", np.zeros((0, 4), dtype=np.float32)),
    }


FIXTURE_METADATA = {"format": "np", "producer": "check_safetensors.py"}


def write_fixture(path):
    from safetensors import TensorSpec, serialize_file

    arrays = fixture_tensors()
    specs = {
        name: TensorSpec(dtype=dtype, shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes)
        for name, (dtype, a) in arrays.items()
    }
    serialize_file(specs, path, metadata=FIXTURE_METADATA)  # `arrays` keeps the buffers alive
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    print(f"wrote {path} ({os.path.getsize(path)} bytes, header {n} bytes)")
    for name, info in header.items():
        print(f"  {name}: {info}")


# ---------------------------------------------------------------------------------------------
# Lore-written files (Lore writes, Python reads). The recipe mirrors
# SafetensorsTests.exportTensors(): plain float arithmetic, identical in Swift and Python.

def export_recipe():
    import numpy as np

    def formula(i):
        # Double arithmetic, then one rounding to float32 — the same in both languages.
        return float((i * 7919) % 1000 - 500) / 97.0 * 2.0 ** ((i % 11) - 5)

    return {
        "a.weight": np.array([(i - 7) * 0.375 for i in range(15)], dtype=np.float32).reshape(3, 5),
        "b.bias": np.array([0.1, -1.0 / 3.0, 65519.0, 1e-7, 3.14159, -0.0, 70000.0], dtype=np.float32),
        "c.mixed": np.array([formula(i) for i in range(4 * 33)], dtype=np.float32).reshape(4, 33),
        "d.scalar": np.array(42.5, dtype=np.float32),
        "e.empty": np.zeros((0, 3), dtype=np.float32),
    }


def bfloat16_bits(values):
    """Round-to-nearest-even of float32 values to bfloat16 bit patterns (no NaNs here)."""
    import numpy as np

    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def verify(path):
    import numpy as np
    from safetensors import deserialize, serialize

    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    metadata = header.pop("__metadata__", None)
    problems = []
    if (8 + n) % 8 != 0:
        problems.append(f"data section starts at {8 + n}, not a multiple of 8")

    entries = {name: info for name, info in deserialize(raw)}  # Python's own checks run here
    recipe = export_recipe()
    dtypes = {info["dtype"] for info in entries.values()}
    if len(dtypes) != 1:
        problems.append(f"expected one dtype, found {sorted(dtypes)}")
    dtype = dtypes.pop() if dtypes else "F32"
    if sorted(entries) != sorted(recipe):
        problems.append(f"names {sorted(entries)} != {sorted(recipe)}")

    for name, values in recipe.items():
        if name not in entries:
            continue
        info = entries[name]
        if list(info["shape"]) != list(values.shape):
            problems.append(f"{name}: shape {info['shape']} != {list(values.shape)}")
            continue
        if dtype == "F32":
            want = values.tobytes()
        elif dtype == "F16":
            with np.errstate(over="ignore"):
                want = values.astype(np.float16).tobytes()
        elif dtype == "BF16":
            want = bfloat16_bits(values).tobytes()
        else:
            problems.append(f"{name}: unexpected dtype {dtype}")
            continue
        if bytes(info["data"]) != want:
            problems.append(f"{name}: {dtype} bytes differ from the expected rounding")

    # Byte-for-byte comparison with Python's own writer (same tensors, same metadata).
    if metadata is None or len(metadata) <= 1:
        from safetensors import TensorSpec

        names = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
        buffers = {name: np.frombuffer(bytes(info["data"]), dtype=np.uint8) for name, info in entries.items()}
        specs = {
            name: TensorSpec(dtype=names[info["dtype"]], shape=list(info["shape"]),
                             data_ptr=buffers[name].ctypes.data, data_len=buffers[name].nbytes)
            for name, info in entries.items()
        }
        if bytes(serialize(specs, metadata=metadata)) != raw:
            problems.append("Python's safetensors serialises the same tensors to different bytes")
        identical = "same bytes as Python's writer for these tensors"
    else:
        identical = "metadata has several keys (Rust orders them arbitrarily), byte comparison skipped"

    first = entries.get("b.bias")
    shown = ""
    if first is not None:
        if dtype == "F32":
            shown = np.frombuffer(bytes(first["data"]), dtype=np.float32)
        elif dtype == "F16":
            shown = np.frombuffer(bytes(first["data"]), dtype=np.float16)
        else:
            shown = (np.frombuffer(bytes(first["data"]), dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
    status = "FAIL" if problems else "ok"
    print(f"{status}  {path}: {dtype}, {len(entries)} tensors, metadata {metadata}; {identical}")
    print(f"      b.bias as Python reads it: {list(shown)}")
    for p in problems:
        print(f"      {p}")
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", default=DEFAULT_VENV, help=f"virtual environment to use (default {DEFAULT_VENV})")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write-fixture", help="write the Python reference file Lore's tests read")
    w.add_argument("path")
    v = sub.add_parser("verify", help="check files written by Lore")
    v.add_argument("paths", nargs="+")
    args = parser.parse_args()
    ensure_packages(args.venv)

    if args.command == "write-fixture":
        write_fixture(args.path)
    else:
        results = [verify(p) for p in args.paths]
        print(f"{sum(results)} of {len(results)} files verified")
        sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
