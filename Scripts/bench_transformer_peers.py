#!/usr/bin/env python3
"""PyTorch CPU training throughput for `lore-bench transformer --peers`: GPT-2 configs, forward
+ backward + AdamW, 2 threads, the same configs and batches as Lore's `train_tiny`/`train_small`.

    python3 Scripts/bench_transformer_peers.py [--steps N]

Prints one JSON line: {"train_tiny": {"tokens_per_second": …, "peak_mb": …}, "train_small": …}.
Uses /tmp/lore-transformers-venv (torch from the machine image's CPU wheel in /opt/wheels,
transformers from PyPI). Without that wheel (and no torch already in the venv) it says so and
exits non-zero; `lore-bench` then prints Lore's figures alone.
"""
import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages  # noqa: E402

VENV = "/tmp/lore-transformers-venv"
wheels = glob.glob("/opt/wheels/torch-*+cpu-*.whl")
venv_has_torch = os.path.exists(os.path.join(VENV, "bin", "python")) and subprocess.call(
    [os.path.join(VENV, "bin", "python"), "-c", "import torch"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
if not wheels and not venv_has_torch and not os.environ.get("LORE_VENV_REEXEC"):
    # The machine image carries a CPU torch wheel; without it there is no PyTorch to compare with.
    sys.exit("bench_transformer_peers.py: no CPU torch wheel (/opt/wheels/torch-*+cpu-*.whl) and no torch in "
             f"{VENV}: PyTorch not measured; lore-bench prints Lore's figures alone")
ensure_packages(VENV, imports=["torch", "transformers"],
                install=wheels[:1] + ["transformers", "safetensors", "numpy"])

import torch  # noqa: E402
import transformers  # noqa: E402

CONFIGS = {
    # name: (vocab, width, layers, heads, context, batch)
    "train_tiny": (512, 128, 4, 4, 128, 16),
    "train_small": (8192, 384, 6, 6, 256, 8),
}


def measure(name, steps):
    vocab, width, layers, heads, context, batch = CONFIGS[name]
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=vocab, n_positions=context, n_embd=width, n_layer=layers, n_head=heads,
                                     resid_pdrop=0, embd_pdrop=0, attn_pdrop=0, bos_token_id=0, eos_token_id=0)
    model = transformers.GPT2LMHeadModel(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, vocab, (batch, context))
    def step():
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    return {"tokens_per_second": batch * context / seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(json.dumps({name: measure(name, args.steps) for name in CONFIGS}))


if __name__ == "__main__":
    main()
