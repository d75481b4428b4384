#!/usr/bin/env python3
"""Checks that the `peft` package loads LoRA adapters saved by Lore and computes Lore's logits.

    LORE_DUMP_LORA=/tmp/lore-lora swift test -c release -Xswiftc -enable-testing --filter LoRAPEFTDump
    python3 Scripts/check_lora_peft.py /tmp/lore-lora

For the tiny Llama and GPT-2 fixtures (Tests/TransformerTests/Fixtures), Lore wrote an adapter
(random B, several target modules; GPT-2's with fan_in_fan_out) and its logits for the golden
batch. Here transformers loads the base directory, peft's PeftModel.from_pretrained applies the
adapter, and the logits must match Lore's to 1e-4; merge_and_unload must give the same.
Creates /tmp/lore-transformers-venv on first use (torch from /opt/wheels when present).
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages  # noqa: E402

wheels = glob.glob("/opt/wheels/torch-*+cpu-*.whl")
ensure_packages("/tmp/lore-transformers-venv", imports=["torch", "transformers", "peft", "safetensors"],
                install=(wheels[:1] or ["torch"]) + ["transformers", "peft", "gguf", "safetensors", "numpy", "accelerate"])

import peft  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

dump = sys.argv[1] if len(sys.argv) > 1 else "/tmp/lore-lora"
fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TransformerTests", "Fixtures")
failures = 0
for name in ["tiny-llama", "tiny-gpt2"]:
    base_dir = os.path.join(fixtures, name)
    golden = json.load(open(os.path.join(base_dir, "golden.json")))
    ids, mask = torch.tensor(golden["input_ids"]), torch.tensor(golden["attention_mask"])
    base = transformers.AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="eager")
    model = peft.PeftModel.from_pretrained(base, os.path.join(dump, name, "adapter")).eval()
    lore = load_file(os.path.join(dump, name, "lore_logits.safetensors"))["logits"]
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
        difference = (logits - lore).abs().max().item()
        merged = model.merge_and_unload()(input_ids=ids, attention_mask=mask).logits
        merged_difference = (merged - lore).abs().max().item()
    ok = difference <= 1e-4 and merged_difference <= 1e-4
    failures += 0 if ok else 1
    print(f"{'ok  ' if ok else 'FAIL'}  {name}: peft {peft.__version__} logits vs Lore max |Δ| {difference:.2e}, "
          f"merged {merged_difference:.2e}")
sys.exit(1 if failures else 0)
