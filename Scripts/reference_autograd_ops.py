#!/usr/bin/env python3
"""Golden values for Lore's fused Autograd ops: cross-entropy, RMSNorm, LayerNorm, attention
and rotary embedding.

Prints Swift literals that are pasted into Tests/AutogradTests/CrossEntropyTests.swift,
NormalizationTests.swift, AttentionTests.swift and RotaryTests.swift (each block names this
script). The tests never run Python.

Set-up (torch CPU wheel shipped with the machine image; no network needed for torch):

    python3 -m venv /tmp/torch-venv
    /tmp/torch-venv/bin/pip install /opt/wheels/torch-*.whl numpy
    /tmp/torch-venv/bin/python Scripts/reference_autograd_ops.py

Inputs are deterministic waves that the Swift tests rebuild the same way:

    wave(shape, a, b, scale)[i] = float32(scale * sin(a * i + b))     (i = flat row-major index,
                                                                       sin in float64)

Every input is rounded to float32 first, then torch computes in float64 and the results are
printed as float32. References:
  - cross-entropy: torch.nn.functional.cross_entropy (ignore_index, label_smoothing, reduction);
  - RMSNorm: Hugging Face LlamaRMSNorm, x * rsqrt(mean(x^2) + eps) * w;
  - LayerNorm: torch.nn.functional.layer_norm;
  - attention: torch.nn.functional.scaled_dot_product_attention(enable_gqa=True) with an explicit
    boolean mask: causal aligned bottom-right (key j visible to query t iff j <= t + S - T) and
    the padding mask; plus is_causal=True for T == S, where both alignments agree;
  - rotary: Hugging Face apply_rotary_pos_emb (rotate_half) for the half-split layout, and the
    GPT-J pairing (2i, 2i+1) for the interleaved one, with cos/sin of position * base^(-2i/D)
    in float64.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F


def wave(shape, a, b, scale=1.0):
    n = int(np.prod(shape))
    values = np.array([scale * math.sin(a * i + b) for i in range(n)], dtype=np.float64)
    return torch.tensor(values.astype(np.float32).astype(np.float64)).reshape(shape)


def f32(x):
    x = np.float32(x)
    if np.isnan(x):
        return ".nan"
    return str(x)


def swift_array(values, per_line=6, indent="        "):
    values = [f32(v) for v in torch.as_tensor(values).flatten().tolist()]
    lines = [", ".join(values[k:k + per_line]) for k in range(0, len(values), per_line)]
    return "[\n" + ",\n".join(indent + "    " + line for line in lines) + ",\n" + indent + "]"


def show(name, values):
    print(f"        // {name}")
    print(f"        let {name}: [Float] = {swift_array(values)}")


def cross_entropy():
    print("// MARK: CrossEntropyTests — logits = wave([6, 7], 0.7, 0.3, 3), targets [3, -100, 0, 6, 2, -100]")
    logits = wave([6, 7], 0.7, 0.3, 3.0)
    targets = torch.tensor([3, -100, 0, 6, 2, -100])
    show("meanLoss", [F.cross_entropy(logits, targets)])
    show("smoothedMeanLoss", [F.cross_entropy(logits, targets, label_smoothing=0.1)])
    show("sumLoss", [F.cross_entropy(logits, targets, reduction="sum")])
    show("rowLosses", F.cross_entropy(logits, targets, label_smoothing=0.1, reduction="none"))
    x = logits.clone().requires_grad_(True)
    F.cross_entropy(x, targets, label_smoothing=0.1).backward()
    show("smoothedMeanGradient", x.grad)
    show("allIgnoredMean", [F.cross_entropy(logits, torch.full((6,), -100))])


def normalization():
    print("// MARK: NormalizationTests")
    x = wave([2, 3, 5], 0.37, 0.1, 2.0)
    w = wave([5], 1.3, 0.5, 0.5) + 1
    rms = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w
    print("        // RMSNorm: x = wave([2, 3, 5], 0.37, 0.1, 2), w = 1 + wave([5], 1.3, 0.5, 0.5), eps 1e-6")
    show("rmsNormOutput", rms)
    x = wave([3, 7], 0.5, -0.2, 1.5) + 0.25
    w = wave([7], 0.9, 0.0, 0.3) + 1
    b = wave([7], 0.4, 1.0, 0.2)
    print("        // LayerNorm: x = 0.25 + wave([3, 7], 0.5, -0.2, 1.5), w = 1 + wave([7], 0.9, 0, 0.3), "
          "b = wave([7], 0.4, 1, 0.2), eps 1e-5")
    show("layerNormOutput", F.layer_norm(x, [7], w, b, eps=1e-5))


def attention():
    print("// MARK: AttentionTests")
    B, Hq, Hkv, T, S, D = 2, 4, 2, 3, 5, 3
    q = wave([B, Hq, T, D], 0.31, 0.2)
    k = wave([B, Hkv, S, D], 0.23, -0.4)
    v = wave([B, Hkv, S, D], 0.17, 0.9, 2.0)
    pad = torch.tensor([[1, 1, 1, 1, 1], [0, 1, 1, 0, 1]], dtype=torch.bool)
    t = torch.arange(T).reshape(T, 1)
    j = torch.arange(S).reshape(1, S)
    causal = j <= t + (S - T)
    mask = causal.reshape(1, 1, T, S) & pad.reshape(B, 1, 1, S)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
    print("        // q = wave([2, 4, 3, 3], 0.31, 0.2), k = wave([2, 2, 5, 3], 0.23, -0.4),")
    print("        // v = wave([2, 2, 5, 3], 0.17, 0.9, 2); causal (offset S − T = 2), padding [[1,1,1,1,1],[0,1,1,0,1]]")
    show("gqaCausalPaddedOutput", out)
    B, Hq, Hkv, T, D = 1, 6, 2, 4, 5
    q = wave([B, Hq, T, D], 0.29, 0.0)
    k = wave([B, Hkv, T, D], 0.41, 0.7)
    v = wave([B, Hkv, T, D], 0.13, -1.1, 1.5)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    print("        // q = wave([1, 6, 4, 5], 0.29, 0), k = wave([1, 2, 4, 5], 0.41, 0.7), v = wave([1, 2, 4, 5], 0.13, -1.1, 1.5);")
    print("        // is_causal=True, T == S")
    show("gqaCausalSquareOutput", out)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotary():
    print("// MARK: RotaryTests")
    B, H, T, D = 1, 2, 4, 6
    x = wave([B, H, T, D], 0.3, 0.0)
    positions = torch.tensor([3, 4, 5, 6], dtype=torch.float64)
    inv_freq = 1.0 / (10000.0 ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = positions.reshape(T, 1) * inv_freq.reshape(1, D // 2)           # [T, D/2]
    emb = torch.cat((freqs, freqs), dim=-1)                                # HF layout
    cos, sin = emb.cos(), emb.sin()
    print("        // x = wave([1, 2, 4, 6], 0.3, 0), positions [3, 4, 5, 6], base 10000")
    show("halfSplitOutput", x * cos + rotate_half(x) * sin)
    c, s = freqs.cos(), freqs.sin()
    a, b = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = a * c - b * s
    out[..., 1::2] = b * c + a * s
    show("interleavedOutput", out)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    cross_entropy()
    normalization()
    attention()
    rotary()
