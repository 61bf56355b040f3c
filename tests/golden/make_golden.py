#!/usr/bin/python3
"""Golden values from PyTorch for nnocr's layer tests.

Run once with Debian's PyTorch (python3-torch; use /usr/bin/python3, not a
pyenv python):  /usr/bin/python3 tests/golden/make_golden.py
It writes tests/data/golden/*.safetensors, which are committed: the C++
tests read them through nnocr's own safetensors reader and never need torch.

Each case "NAME" stores tensors "NAME.x", "NAME.dy" (the upstream gradient
fed to backward), parameters ("NAME.weight", ...), outputs ("NAME.y",
"NAME.dx", "NAME.dweight", ...); its hyper-parameters are a JSON string in
the metadata under "NAME".
"""
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "golden")


# torch dtype -> (safetensors dtype, little-endian numpy type)
DTYPES = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8"),
          torch.int32: ("I32", "<i4")}


def save_safetensors(path, tensors, metadata):
    """The safetensors layout, written by hand (torch 1.13 has no writer)."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype not in DTYPES:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        dtype, np_type = DTYPES[t.dtype]
        raw = t.numpy().astype(np_type).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    print(f"{path}: {len(tensors)} tensors, {offset} data bytes")


def run_layer(tensors, metadata, name, module, x, config, keep_running=False):
    x = x.clone().requires_grad_(True)
    params = dict(module.named_parameters())
    for p in params.values():
        tensors[f"{name}.{p_name(params, p)}"] = p.detach().clone()
    y = module(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    tensors[f"{name}.x"] = x.detach()
    tensors[f"{name}.y"] = y.detach()
    tensors[f"{name}.dy"] = dy
    tensors[f"{name}.dx"] = x.grad.detach()
    for pn, p in params.items():
        tensors[f"{name}.d{pn}"] = p.grad.detach()
    if keep_running:
        for bn, b in module.named_buffers():
            if b.dtype == torch.float32:
                tensors[f"{name}.{bn}"] = b.detach().clone()
    metadata[name] = json.dumps(config)


def p_name(params, p):
    for k, v in params.items():
        if v is p:
            return k
    raise KeyError


def layers():
    torch.manual_seed(20261125)
    t, m = {}, {}
    convs = [
        dict(cin=3, cout=4, k=[3, 3], s=[1, 1], p=[1, 1], d=[1, 1], g=1, hw=[7, 9]),
        dict(cin=4, cout=6, k=[3, 2], s=[2, 1], p=[1, 0], d=[1, 2], g=2, hw=[8, 7]),
        dict(cin=2, cout=5, k=[1, 1], s=[1, 1], p=[0, 0], d=[1, 1], g=1, hw=[4, 5]),
        dict(cin=4, cout=4, k=[3, 3], s=[1, 1], p=[1, 1], d=[1, 1], g=4, hw=[5, 6]),
        dict(cin=1, cout=3, k=[5, 5], s=[3, 2], p=[2, 2], d=[1, 1], g=1, hw=[11, 12]),
    ]
    for i, c in enumerate(convs):
        conv = torch.nn.Conv2d(c["cin"], c["cout"], c["k"], c["s"], c["p"], c["d"], c["g"])
        x = torch.randn(2, c["cin"], *c["hw"])
        run_layer(t, m, f"conv{i}", conv, x, c)

    # BatchNorm2d in training mode (batch statistics, running stats after one
    # step) and in eval mode with non-trivial running statistics.
    bn = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, 1.5, -1.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    run_layer(t, m, "bn_train", bn, torch.randn(4, 3, 5, 6) * 2 + 1, dict(channels=3, training=True), True)
    bn_eval = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        bn_eval.weight.copy_(torch.tensor([0.7, 1.2, 0.9]))
        bn_eval.bias.copy_(torch.tensor([0.0, 0.5, -0.5]))
        bn_eval.running_mean.copy_(torch.tensor([0.3, -0.1, 0.8]))
        bn_eval.running_var.copy_(torch.tensor([1.5, 0.4, 2.0]))
    bn_eval.eval()
    t["bn_eval.running_mean"] = bn_eval.running_mean.clone()
    t["bn_eval.running_var"] = bn_eval.running_var.clone()
    run_layer(t, m, "bn_eval", bn_eval, torch.randn(2, 3, 4, 4), dict(channels=3, training=False))

    pools = [
        ("max", dict(k=[2, 2], s=[2, 2], p=[0, 0], hw=[6, 8])),
        ("max", dict(k=[2, 1], s=[2, 1], p=[0, 0], hw=[8, 5])),
        ("max", dict(k=[2, 2], s=[2, 1], p=[0, 1], hw=[8, 7])),
        ("max", dict(k=[3, 3], s=[2, 2], p=[1, 1], hw=[7, 9])),
        ("avg", dict(k=[2, 2], s=[2, 2], p=[0, 0], hw=[6, 8], count_include_pad=True)),
        ("avg", dict(k=[3, 3], s=[2, 2], p=[1, 1], hw=[7, 6], count_include_pad=True)),
        ("avg", dict(k=[3, 2], s=[2, 1], p=[1, 1], hw=[7, 6], count_include_pad=False)),
    ]
    for i, (kind, c) in enumerate(pools):
        if kind == "max":
            pool = torch.nn.MaxPool2d(c["k"], c["s"], c["p"])
        else:
            pool = torch.nn.AvgPool2d(c["k"], c["s"], c["p"], count_include_pad=c["count_include_pad"])
        c = dict(c, kind=kind)
        run_layer(t, m, f"pool{i}", pool, torch.randn(2, 3, *c["hw"]), c)

    ln = torch.nn.LayerNorm(7)
    with torch.no_grad():
        ln.weight.copy_(torch.linspace(0.5, 1.5, 7))
        ln.bias.copy_(torch.linspace(-0.3, 0.3, 7))
    run_layer(t, m, "layernorm", ln, torch.randn(3, 5, 7) * 3, dict(features=7))

    lin = torch.nn.Linear(6, 4)
    run_layer(t, m, "linear", lin, torch.randn(2, 3, 6), dict(inp=6, out=4))

    # Cross-entropy with label smoothing: loss and gradient w.r.t. logits.
    logits = torch.randn(5, 7, requires_grad=True)
    target = torch.tensor([0, 3, 6, 2, 3])
    loss = F.cross_entropy(logits, target, label_smoothing=0.1)
    loss.backward()
    t["ce.logits"] = logits.detach()
    t["ce.target"] = target.to(torch.int32)
    t["ce.loss"] = loss.detach().reshape(1)
    t["ce.dlogits"] = logits.grad.detach()
    m["ce"] = json.dumps(dict(label_smoothing=0.1))

    # Optimizers: three steps on a fixed parameter with fixed gradients.
    opts = {
        "sgd": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
        "nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True),
        "adam": lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.05),
        "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.05),
    }
    w0 = torch.randn(6)
    grads = [torch.randn(6) for _ in range(3)]
    t["optim.w0"] = w0
    for k, g in enumerate(grads):
        t[f"optim.grad{k}"] = g
    for name, make in opts.items():
        p = torch.nn.Parameter(w0.clone())
        opt = make(p)
        for g in grads:
            p.grad = g.clone()
            opt.step()
        t[f"optim.{name}"] = p.detach().clone()
    return t, m


def recurrent():
    """LSTM and GRU: outputs, final states and gradients w.r.t. input, initial
    state and every parameter; variable lengths through packed sequences."""
    torch.manual_seed(7)
    t, m = {}, {}
    cases = [
        ("lstm_uni", torch.nn.LSTM, dict(inp=5, hidden=4, layers=1, bidirectional=False, batch_first=False,
                                         lengths=None, init=False)),
        ("lstm_bi2", torch.nn.LSTM, dict(inp=3, hidden=5, layers=2, bidirectional=True, batch_first=False,
                                         lengths=[6, 3, 1], init=True)),
        ("lstm_bf", torch.nn.LSTM, dict(inp=4, hidden=3, layers=1, bidirectional=True, batch_first=True,
                                        lengths=[2, 5], init=False)),
        ("gru_bi", torch.nn.GRU, dict(inp=4, hidden=6, layers=2, bidirectional=True, batch_first=False,
                                      lengths=[5, 2, 4], init=True)),
        ("gru_uni", torch.nn.GRU, dict(inp=3, hidden=4, layers=1, bidirectional=False, batch_first=True,
                                       lengths=None, init=False)),
    ]
    for name, cls, c in cases:
        rnn = cls(c["inp"], c["hidden"], c["layers"], bidirectional=c["bidirectional"], batch_first=c["batch_first"])
        T = 6 if name != "lstm_bf" else 5
        N = len(c["lengths"]) if c["lengths"] else 2
        D = 2 if c["bidirectional"] else 1
        shape = (N, T, c["inp"]) if c["batch_first"] else (T, N, c["inp"])
        x = torch.randn(*shape, requires_grad=True)
        is_lstm = cls is torch.nn.LSTM
        h0 = torch.randn(c["layers"] * D, N, c["hidden"], requires_grad=True) if c["init"] else None
        c0 = torch.randn(c["layers"] * D, N, c["hidden"], requires_grad=True) if c["init"] and is_lstm else None
        state = ((h0, c0) if is_lstm else h0) if c["init"] else None
        if c["lengths"]:
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(c["lengths"]),
                                                             batch_first=c["batch_first"], enforce_sorted=False)
            out, hn = rnn(packed, state)
            y, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=c["batch_first"], total_length=T)
        else:
            y, hn = rnn(x, state)
        h_n, c_n = hn if is_lstm else (hn, None)
        dy = torch.randn_like(y)
        dh = torch.randn_like(h_n)
        loss = (y * dy).sum() + (h_n * dh).sum()
        if c_n is not None:
            dc = torch.randn_like(c_n)
            loss = loss + (c_n * dc).sum()
            t[f"{name}.dc_n"] = dc
            t[f"{name}.c_n"] = c_n.detach()
        loss.backward()
        for pn, p in rnn.named_parameters():
            t[f"{name}.{pn}"] = p.detach().clone()
            t[f"{name}.d{pn}"] = p.grad.detach()
        t[f"{name}.x"] = x.detach()
        t[f"{name}.dx"] = x.grad.detach()
        t[f"{name}.y"] = y.detach()
        t[f"{name}.dy"] = dy
        t[f"{name}.h_n"] = h_n.detach()
        t[f"{name}.dh_n"] = dh
        if h0 is not None:
            t[f"{name}.h0"] = h0.detach()
            t[f"{name}.dh0"] = h0.grad.detach()
        if c0 is not None:
            t[f"{name}.c0"] = c0.detach()
            t[f"{name}.dc0"] = c0.grad.detach()
        m[name] = json.dumps(c)
    return t, m


def main():
    os.makedirs(OUT, exist_ok=True)
    t, m = layers()
    m["generator"] = f"tests/golden/make_golden.py with torch {torch.__version__}"
    save_safetensors(os.path.join(OUT, "nn_layers.safetensors"), t, m)
    t, m = recurrent()
    m["generator"] = f"tests/golden/make_golden.py with torch {torch.__version__}"
    save_safetensors(os.path.join(OUT, "recurrent.safetensors"), t, m)


if __name__ == "__main__":
    sys.exit(main())
