#!/usr/bin/env python3
"""Write the GGUF fixture that Lore's GGUF tests read, with the Python `gguf` package.

    python3 Scripts/make_gguf_fixture.py Tests/GGUFTests/Fixtures/python_reference.gguf

The file is written by `gguf.GGUFWriter` (llama.cpp's own Python writer), so Lore's reader is
held against an independent implementation. Contents (asserted by GGUFPythonTests):

  metadata, in this order after the writer's own `general.architecture` and `general.alignment`:
    general.name                     STRING   "Python reference"
    fixture.block_count              UINT32   2
    fixture.rope.freq_base           FLOAT32  10000.0
    fixture.flag                     BOOL     True
    fixture.big                      UINT64   2**40 + 1
    fixture.negative                 INT64    -7
    fixture.ratio                    FLOAT64  0.1
    fixture.small                    INT8     -3
    tokenizer.ggml.tokens            ARRAY[STRING]  ["<s>", "</s>", "héllo", "🦙", ""]
    tokenizer.ggml.token_type        ARRAY[INT32]   [3, 3, 1, 1, 1]
    tokenizer.ggml.scores            ARRAY[FLOAT32] [0, 0, -1.5, -2.25, -3]
  general.alignment = 64 (UINT32), so tensor offsets are multiples of 64.

  tensors (row-major numpy shape; GGUF stores ne reversed):
    f32.ramp     F32  (2, 3)   0.5·i − 1 for i = 0…5
    f16.ramp     F16  (5,)     0.25·i for i = 0…4
    i32.ids      I32  (3,)     [1, -2, 3]
    q8_0.weight  Q8_0 (2, 64)  gguf.quants.quantize(sin(0.1·i), Q8_0), i = 0…127
    q4_1.weight  Q4_1 (1, 32)  gguf.quants.quantize(cos(0.2·i), Q4_1), i = 0…31

The script prints each tensor's offset, byte count and byte sum for the test to check.
Needs `gguf` and `numpy`; unless they import already it creates /tmp/lore-gguf-venv (or
--venv DIR), installs them with pip and re-runs itself there.
"""

import argparse
import os
import subprocess
import sys

DEFAULT_VENV = "/tmp/lore-gguf-venv"


def ensure_packages(venv):
    """Re-executes this script in `venv` (created on demand) unless gguf and numpy import."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from lore_venv import ensure_packages as ensure
    ensure(venv, imports=["gguf", "numpy"], install=["gguf", "numpy"])


def write_fixture(path):
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as Q

    writer = gguf.GGUFWriter(path, arch="lore-fixture")
    writer.add_custom_alignment(64)
    writer.add_name("Python reference")
    writer.add_uint32("fixture.block_count", 2)
    writer.add_float32("fixture.rope.freq_base", 10000.0)
    writer.add_bool("fixture.flag", True)
    writer.add_uint64("fixture.big", 2**40 + 1)
    writer.add_int64("fixture.negative", -7)
    writer.add_float64("fixture.ratio", 0.1)
    writer.add_int8("fixture.small", -3)
    writer.add_token_list(["<s>", "</s>", "héllo", "🦙", ""])
    writer.add_token_types([3, 3, 1, 1, 1])
    writer.add_token_scores([0.0, 0.0, -1.5, -2.25, -3.0])

    q8 = gguf.quants.quantize(np.sin(0.1 * np.arange(128, dtype=np.float32)).reshape(2, 64), Q.Q8_0)
    q4 = gguf.quants.quantize(np.cos(0.2 * np.arange(32, dtype=np.float32)).reshape(1, 32), Q.Q4_1)
    tensors = [
        ("f32.ramp", (0.5 * np.arange(6, dtype=np.float32) - 1).reshape(2, 3), None),
        ("f16.ramp", (0.25 * np.arange(5)).astype(np.float16), None),
        ("i32.ids", np.array([1, -2, 3], dtype=np.int32), None),
        ("q8_0.weight", q8, Q.Q8_0),
        ("q4_1.weight", q4, Q.Q4_1),
    ]
    for name, data, raw in tensors:
        if raw is None:
            writer.add_tensor(name, data)
        else:
            writer.add_tensor(name, data, raw_dtype=raw)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    reader = gguf.GGUFReader(path)
    print(f"{path}: {os.path.getsize(path)} bytes, data section at {reader.tensors[0].data_offset}")
    for t in reader.tensors:
        raw = t.data.tobytes()
        print(f"  {t.name:12} {t.tensor_type.name:5} ne={[int(d) for d in t.shape]} "
              f"offset={t.data_offset} bytes={len(raw)} sum={sum(raw)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--venv", default=DEFAULT_VENV)
    args = parser.parse_args()
    ensure_packages(args.venv)
    write_fixture(args.path)


if __name__ == "__main__":
    main()
