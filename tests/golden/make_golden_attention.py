#!/usr/bin/python3
"""Golden values from PyTorch for nnocr's attention and transformer layers.

Run once with Debian's PyTorch (use /usr/bin/python3, not a pyenv python):
    /usr/bin/python3 tests/golden/make_golden_attention.py
It writes tests/data/golden/attention.safetensors, which is committed; the
C++ test (tests/test_attention.cpp) reads it and never needs torch.

Each case "NAME" stores its inputs, the upstream gradient "NAME.dy", the
parameters under their PyTorch names ("NAME.in_proj_weight", ...), the
outputs ("NAME.y"), the input gradients ("NAME.dquery", ... or "NAME.dx")
and the parameter gradients ("NAME.d" + parameter name). Boolean masks are
stored as int32 (1 = masked). Hyper-parameters are a JSON string in the
metadata under "NAME". Dropout is 0 everywhere; no query row is fully
masked (torch gives NaN there, nnocr zeros).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import OUT, save_safetensors  # noqa: E402


def perturb(module, scale=0.2):
    """Non-trivial values for every parameter (torch zero-initialises the
    attention biases and sets LayerNorm to the identity)."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p) * scale)


def store_params(t, name, module):
    for pn, p in module.named_parameters():
        t[f"{name}.{pn}"] = p.detach().clone()


def store_grads(t, name, module):
    for pn, p in module.named_parameters():
        t[f"{name}.d{pn}"] = p.grad.detach().clone()


def mha_case(t, m, name, cfg, L, S, N, mode, key_padding=None, attn_mask=None):
    """mode: 'self' (one tensor three times), 'kv' (key is value), 'qkv'
    (three tensors)."""
    E, H = cfg["embed_dim"], cfg["num_heads"]
    kdim, vdim = cfg.get("kdim", E), cfg.get("vdim", E)
    bf = cfg.get("batch_first", False)
    mha = torch.nn.MultiheadAttention(E, H, kdim=kdim, vdim=vdim, batch_first=bf)
    perturb(mha)
    store_params(t, name, mha)

    def shape(T, D):
        return (N, T, D) if bf else (T, N, D)

    q = torch.randn(*shape(L, E), requires_grad=True)
    if mode == "self":
        k = v = q
    elif mode == "kv":
        k = torch.randn(*shape(S, kdim), requires_grad=True)
        v = k
    else:
        k = torch.randn(*shape(S, kdim), requires_grad=True)
        v = torch.randn(*shape(S, vdim), requires_grad=True)
    kpm = None if key_padding is None else key_padding.bool()
    y, w = mha(q, k, v, key_padding_mask=kpm, attn_mask=attn_mask, need_weights=True, average_attn_weights=True)
    _, wh = mha(q, k, v, key_padding_mask=kpm, attn_mask=attn_mask, need_weights=True, average_attn_weights=False)
    dy = torch.randn_like(y)
    y.backward(dy)
    t[f"{name}.query"] = q.detach()
    if mode != "self":
        t[f"{name}.key"] = k.detach()
    if mode == "qkv":
        t[f"{name}.value"] = v.detach()
    t[f"{name}.y"] = y.detach()
    t[f"{name}.weights"] = w.detach()
    t[f"{name}.head_weights"] = wh.detach()
    t[f"{name}.dy"] = dy
    t[f"{name}.dquery"] = q.grad.detach()
    if mode != "self":
        t[f"{name}.dkey"] = k.grad.detach()
    if mode == "qkv":
        t[f"{name}.dvalue"] = v.grad.detach()
    store_grads(t, name, mha)
    if key_padding is not None:
        t[f"{name}.key_padding"] = key_padding.to(torch.int32)
    if attn_mask is not None:
        t[f"{name}.attn_mask"] = attn_mask
    m[name] = json.dumps(dict(cfg, L=L, S=S, N=N, mode=mode))


def attention_cases(t, m):
    # Self-attention, sequence-first, no masks.
    mha_case(t, m, "mha_self", dict(embed_dim=16, num_heads=4), 5, 5, 3, "self")
    # Cross-attention, key is value, key padding (row 2 keeps one key).
    kpm = torch.tensor([[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1]])
    mha_case(t, m, "mha_cross_padding", dict(embed_dim=16, num_heads=2), 4, 6, 3, "kv", key_padding=kpm)
    # Batch-first self-attention with the causal mask.
    causal = torch.nn.Transformer.generate_square_subsequent_mask(6)
    mha_case(t, m, "mha_causal_batch_first", dict(embed_dim=12, num_heads=3, batch_first=True), 6, 6, 2, "self",
             attn_mask=causal)
    # Separate projections (kdim, vdim differ), three inputs, an arbitrary
    # additive [L, S] mask and key padding.
    add = torch.randn(3, 5) * 0.7
    kpm = torch.tensor([[0, 0, 1, 0, 0], [0, 0, 0, 0, 1]])
    mha_case(t, m, "mha_kvdim", dict(embed_dim=16, num_heads=4, kdim=10, vdim=7), 3, 5, 2, "qkv",
             key_padding=kpm, attn_mask=add)
    # Per-head [N*H, L, S] additive mask with some -inf entries.
    add3 = torch.randn(2 * 2, 4, 4) * 0.5
    add3[0, 1, 2] = float("-inf")
    add3[3, 0, 0] = float("-inf")
    add3[3, 0, 3] = float("-inf")
    mha_case(t, m, "mha_mask3d", dict(embed_dim=8, num_heads=2), 4, 4, 2, "self", attn_mask=add3)


def encoder_case(t, m, name, cfg, T, N, key_padding=None, causal=False):
    layer = torch.nn.TransformerEncoderLayer(cfg["d_model"], cfg["nhead"], cfg["dim_feedforward"], dropout=0.0,
                                             activation=cfg["activation"], batch_first=cfg["batch_first"],
                                             norm_first=cfg["norm_first"])
    perturb(layer)
    store_params(t, name, layer)
    shape = (N, T, cfg["d_model"]) if cfg["batch_first"] else (T, N, cfg["d_model"])
    x = torch.randn(*shape, requires_grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T) if causal else None
    kpm = None if key_padding is None else key_padding.bool()
    y = layer(x, src_mask=mask, src_key_padding_mask=kpm)
    dy = torch.randn_like(y)
    y.backward(dy)
    t[f"{name}.x"] = x.detach()
    t[f"{name}.y"] = y.detach()
    t[f"{name}.dy"] = dy
    t[f"{name}.dx"] = x.grad.detach()
    store_grads(t, name, layer)
    if key_padding is not None:
        t[f"{name}.key_padding"] = key_padding.to(torch.int32)
    m[name] = json.dumps(dict(cfg, T=T, N=N, causal=causal))


def decoder_case(t, m, name, cfg, T, S, N, memory_padding=None):
    layer = torch.nn.TransformerDecoderLayer(cfg["d_model"], cfg["nhead"], cfg["dim_feedforward"], dropout=0.0,
                                             activation=cfg["activation"], batch_first=cfg["batch_first"],
                                             norm_first=cfg["norm_first"])
    perturb(layer)
    store_params(t, name, layer)
    E = cfg["d_model"]
    tshape = (N, T, E) if cfg["batch_first"] else (T, N, E)
    mshape = (N, S, E) if cfg["batch_first"] else (S, N, E)
    x = torch.randn(*tshape, requires_grad=True)
    mem = torch.randn(*mshape, requires_grad=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(T)
    kpm = None if memory_padding is None else memory_padding.bool()
    y = layer(x, mem, tgt_mask=causal, memory_key_padding_mask=kpm)
    dy = torch.randn_like(y)
    y.backward(dy)
    t[f"{name}.x"] = x.detach()
    t[f"{name}.memory"] = mem.detach()
    t[f"{name}.y"] = y.detach()
    t[f"{name}.dy"] = dy
    t[f"{name}.dx"] = x.grad.detach()
    t[f"{name}.dmemory"] = mem.grad.detach()
    store_grads(t, name, layer)
    if memory_padding is not None:
        t[f"{name}.memory_padding"] = memory_padding.to(torch.int32)
    m[name] = json.dumps(dict(cfg, T=T, S=S, N=N))


def transformer_cases(t, m):
    base = dict(d_model=16, nhead=4, dim_feedforward=32)
    kpm = torch.tensor([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1], [0, 0, 0, 0, 1]])
    encoder_case(t, m, "enc_post", dict(base, activation="relu", batch_first=False, norm_first=False), 5, 3,
                 key_padding=kpm)
    encoder_case(t, m, "enc_pre", dict(base, activation="gelu", batch_first=True, norm_first=True), 5, 2, causal=True)
    mpad = torch.tensor([[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0]])
    decoder_case(t, m, "dec_post", dict(base, activation="relu", batch_first=False, norm_first=False), 4, 6, 2,
                 memory_padding=mpad)
    decoder_case(t, m, "dec_pre", dict(base, activation="gelu", batch_first=True, norm_first=True), 4, 6, 2)


def main():
    torch.manual_seed(20261126)
    os.makedirs(OUT, exist_ok=True)
    t, m = {}, {}
    attention_cases(t, m)
    transformer_cases(t, m)
    m["generator"] = f"tests/golden/make_golden_attention.py with torch {torch.__version__}"
    save_safetensors(os.path.join(OUT, "attention.safetensors"), t, m)


if __name__ == "__main__":
    sys.exit(main())
