#!/usr/bin/env python3
"""Golden values for Lore's Transformer tests, from Hugging Face `transformers` (an
independent implementation) on CPU.

    python3 Scripts/reference_transformer.py [OUTPUT_DIR]

Writes, under OUTPUT_DIR (default Tests/TransformerTests/Fixtures):
  tiny-llama/            config.json + model.safetensors of a randomly initialised tiny Llama
                         (Lore's LlamaConfiguration.tiny: tied embeddings)
  tiny-llama-variant/    untied head, Llama-3 rope scaling, attention and MLP biases
  tiny-gpt2/             GPT2LMHeadModel (Lore's GPT2Configuration.tiny)
  <model>/golden.safetensors   logits [2, T, V] for a batch of two sequences, the second
                               right-padded (attention_mask 0 on its tail), inputs in golden.json
  tiny-llama.gguf        the tiny Llama as llama.cpp's converter writes it: Q and K rows
                         permuted for llama.cpp's RoPE, norms F32, some matrices F16
  tiny-gpt2.gguf         the tiny GPT-2 as llama.cpp's converter writes it: Conv1D weights
                         transposed to [out, in], the embedding duplicated as output.weight

Needs torch (the machine's CPU wheel, /opt/wheels/torch-*+cpu-*.whl), transformers, gguf;
creates /tmp/lore-transformers-venv on first use. Tests never run this script.
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lore_venv import ensure_packages  # noqa: E402

wheels = glob.glob("/opt/wheels/torch-*+cpu-*.whl")
ensure_packages("/tmp/lore-transformers-venv", imports=["torch", "transformers", "gguf", "safetensors"],
                install=(wheels[:1] or ["torch"]) + ["transformers", "gguf", "safetensors", "numpy"])

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "TransformerTests", "Fixtures")

IDS_A = [5, 17, 99, 3, 42, 42, 7, 120, 64, 1, 88, 31]
IDS_B = [9, 2, 77, 13, 56, 101, 4]          # padded to 12 with id 0, mask 0


def batch():
    t = len(IDS_A)
    ids = torch.tensor([IDS_A, IDS_B + [0] * (t - len(IDS_B))])
    mask = torch.tensor([[1] * t, [1] * len(IDS_B) + [0] * (t - len(IDS_B))])
    return ids, mask


def save_model(model, name, config):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if config.get("tie_word_embeddings", True):
        state.pop("lm_head.weight", None)
    save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    ids, mask = batch()
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits.float().contiguous()
    save_file({"logits": logits}, os.path.join(folder, "golden.safetensors"))
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump({"input_ids": ids.tolist(), "attention_mask": mask.tolist(),
                   "transformers": transformers.__version__, "torch": torch.__version__}, f)
    print(f"{name}: {sum(v.numel() for v in state.values())} parameters, logits {tuple(logits.shape)}")
    return state


def llama(name, seed, **overrides):
    config = dict(architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=128, hidden_size=64,
                  intermediate_size=96, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                  max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True,
                  hidden_act="silu", bos_token_id=1, eos_token_id=2)
    config.update(overrides)
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**config)).eval()
    model.config._attn_implementation = "eager"
    with torch.no_grad():
        for p in model.parameters():  # norms away from 1 and biases away from 0, so the test sees them
            p.add_(torch.randn_like(p) * 0.05)
    return save_model(model, name, config), config


def gpt2(name, seed):
    config = dict(architectures=["GPT2LMHeadModel"], model_type="gpt2", vocab_size=128, n_positions=64, n_embd=64,
                  n_layer=2, n_head=4, n_inner=None, activation_function="gelu_new", layer_norm_epsilon=1e-5,
                  tie_word_embeddings=True, bos_token_id=127, eos_token_id=127,
                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(seed)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**config)).eval()
    model.config._attn_implementation = "eager"
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return save_model(model, name, config)


def llama_cpp_permute(w, heads):
    """llama.cpp's convert_hf_to_gguf `permute`: rotary pairs (i, i+Dh/2) → (2i, 2i+1)."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_gguf(state, config, path):
    import gguf
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny-llama")
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_rope_freq_base(config["rope_theta"])
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_dimension_count(config["hidden_size"] // config["num_attention_heads"])
    writer.add_vocab_size(config["vocab_size"])
    writer.add_bos_token_id(config["bos_token_id"])
    writer.add_eos_token_id(config["eos_token_id"])
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight"}
    per_layer = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                 "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
                 "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"}
    for hf, value in state.items():
        w = value.numpy().astype(np.float32)
        if hf in names:
            name = names[hf]
        else:
            _, _, layer, *rest = hf.split(".")
            module = ".".join(rest[:-1])
            name = f"blk.{layer}.{per_layer[module]}.{rest[-1]}"
            if module == "self_attn.q_proj":
                w = llama_cpp_permute(w, heads)
            elif module == "self_attn.k_proj":
                w = llama_cpp_permute(w, kv)
        # Matrices of layer 1 as F16 (as a converter with --outtype f16 would), the rest F32.
        if w.ndim == 2 and name.startswith("blk.1."):
            w = w.astype(np.float16)
        writer.add_tensor(name, w)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"{os.path.basename(path)}: {len(state)} tensors")


def write_gpt2_gguf(state, config, path):
    import gguf
    writer = gguf.GGUFWriter(path, "gpt2")
    writer.add_name("tiny-gpt2")
    writer.add_context_length(config["n_positions"])
    writer.add_embedding_length(config["n_embd"])
    writer.add_feed_forward_length(4 * config["n_embd"])
    writer.add_block_count(config["n_layer"])
    writer.add_head_count(config["n_head"])
    writer.add_layer_norm_eps(config["layer_norm_epsilon"])
    writer.add_vocab_size(config["vocab_size"])
    per_layer = {"ln_1": "attn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output", "ln_2": "ffn_norm",
                 "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}
    top = {"transformer.wte.weight": "token_embd.weight", "transformer.wpe.weight": "position_embd.weight",
           "transformer.ln_f.weight": "output_norm.weight", "transformer.ln_f.bias": "output_norm.bias"}
    for hf, value in state.items():
        w = value.numpy().astype(np.float32)
        if hf in top:
            name = top[hf]
        else:
            _, _, layer, *rest = hf.split(".")
            module = ".".join(rest[:-1])
            name = f"blk.{layer}.{per_layer[module]}.{rest[-1]}"
            if rest[-1] == "weight" and module in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"):
                w = np.ascontiguousarray(w.T)
        writer.add_tensor(name, w)
        if name == "token_embd.weight":   # GPT-2's output is tied; the converter writes it twice
            writer.add_tensor("output.weight", w)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"{os.path.basename(path)}: {len(state) + 1} tensors")


def main():
    os.makedirs(OUT, exist_ok=True)
    state, config = llama("tiny-llama", seed=1)
    llama("tiny-llama-variant", seed=2, tie_word_embeddings=False, attention_bias=True, mlp_bias=True, head_dim=16,
          rope_theta=500000.0, rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                  high_freq_factor=4.0, original_max_position_embeddings=16))
    gpt2_state = gpt2("tiny-gpt2", seed=3)
    write_gguf(state, config, os.path.join(OUT, "tiny-llama.gguf"))
    write_gpt2_gguf(gpt2_state, json.load(open(os.path.join(OUT, "tiny-gpt2", "config.json"))),
                    os.path.join(OUT, "tiny-gpt2.gguf"))


if __name__ == "__main__":
    main()
