#!/usr/bin/python3
"""Golden values from PyTorch for nnocr's CTC loss (include/nnocr/train/ctc.hpp).

Run once with Debian's PyTorch (use /usr/bin/python3, not a pyenv python):
    /usr/bin/python3 tests/golden/make_golden_ctc.py
It writes tests/data/golden/ctc.safetensors, which is committed; the C++
test (tests/test_ctc.cpp) reads it with nnocr's own safetensors reader.

torch computes in float64 from the float32 logits that are stored, so the
references carry no float32 rounding of their own. Each case "NAME" stores
  NAME.logits   [T, N, C] F32
  NAME.targets  [sum L] I32 (concatenated, PyTorch's 1-D form)
  NAME.input_lengths, NAME.target_lengths  [N] I64
and for each reduction R it was run with:
  NAME.R.loss   [1] F64 (reduction "none": [N]),
  NAME.R.grad   [T, N, C] F32, d loss / d logits (for "none", of the sum)
The metadata entry "NAME" is a JSON object: blank, zero_infinity, reductions.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import OUT, save_safetensors  # noqa: E402


def add_case(t, m, name, logits, labels, input_lengths, blank=0, zero_infinity=False,
             reductions=("none", "mean", "sum")):
    """labels: one list of class ids per item."""
    logits = logits.float()
    target_lengths = [len(x) for x in labels]
    flat = [c for item in labels for c in item]
    targets = torch.tensor(flat, dtype=torch.long)
    t[f"{name}.logits"] = logits
    t[f"{name}.targets"] = targets.to(torch.int32)
    t[f"{name}.input_lengths"] = torch.tensor(input_lengths, dtype=torch.long)
    t[f"{name}.target_lengths"] = torch.tensor(target_lengths, dtype=torch.long)
    for r in reductions:
        x = logits.double().requires_grad_(True)
        loss = F.ctc_loss(F.log_softmax(x, 2), targets, torch.tensor(input_lengths), torch.tensor(target_lengths),
                          blank=blank, reduction=r, zero_infinity=zero_infinity)
        loss.sum().backward()
        t[f"{name}.{r}.loss"] = loss.detach().reshape(-1)
        t[f"{name}.{r}.grad"] = x.grad.detach().float()
    m[name] = json.dumps(dict(blank=blank, zero_infinity=zero_infinity, reductions=list(reductions)))


def random_labels(g, lengths, low, high):
    return [torch.randint(low, high, (n,), generator=g).tolist() for n in lengths]


def cases():
    g = torch.Generator().manual_seed(20261125)
    t, m = {}, {}

    # Mixed lengths: repeated labels ("aab", "abb", "aaa"), an empty target,
    # input lengths shorter than T.
    labels = [[1, 1, 2], [3, 5, 5, 1, 6], [], [4, 4], [2, 2, 2]]
    add_case(t, m, "basic", torch.randn(12, 5, 7, generator=g), labels, [12, 10, 12, 7, 9])

    # Impossible alignments: "aaa" needs 5 frames (only 4 given) and six
    # labels in 5 frames; item 0 ("aaa" in exactly 5 frames) is possible.
    labels = [[1, 1, 1], [2, 2, 2], [3, 4, 3, 4, 3, 4]]
    for zi in (False, True):
        add_case(t, m, f"impossible_zi{int(zi)}", torch.randn(5, 3, 5, generator=g), labels, [5, 4, 5],
                 zero_infinity=zi)

    # Blank as the last class, and in the middle.
    labels = random_labels(g, [4, 1, 6], 0, 5)
    add_case(t, m, "blank_last", torch.randn(10, 3, 6, generator=g), labels, [10, 8, 9], blank=5)
    labels = [[0, 1, 1], [4, 0], [1, 4, 4, 0]]
    add_case(t, m, "blank_middle", torch.randn(9, 3, 6, generator=g), labels, [9, 9, 7], blank=3)

    # The benchmark's shape (T=32, C=100, L=10), 8 items to keep the file small.
    labels = random_labels(g, [10] * 8, 1, 100)
    add_case(t, m, "bench_shape", torch.randn(32, 8, 100, generator=g) * 2, labels, [32] * 8, reductions=("mean",))

    # Peaked logits (a trained network's), with a tight alignment: numerics
    # far from the uniform case.
    labels = [[1, 2, 1, 3], [2, 2], [1, 3, 3, 1]]
    add_case(t, m, "peaked", torch.randn(8, 3, 5, generator=g) * 25, labels, [8, 3, 6])
    return t, m


def main():
    os.makedirs(OUT, exist_ok=True)
    t, m = cases()
    m["generator"] = f"tests/golden/make_golden_ctc.py with torch {torch.__version__}"
    save_safetensors(os.path.join(OUT, "ctc.safetensors"), t, m)


if __name__ == "__main__":
    sys.exit(main())
