#!/usr/bin/python3
"""PyTorch's CTC loss on bench/bench_ctc.cpp's shape (T=32, N=32, C=100,
label length 10, reduction mean) on one thread, three ways:
  logits_fwd_bwd     log_softmax(logits) -> ctc_loss -> backward to the logits
                     (what nnocr's ctc_loss computes; bench_ctc's ctc_loss_forward_backward)
  log_probs_fwd_bwd  ctc_loss on a log-probability leaf -> backward
                     (the 1.0 ms figure in FACTS.md; bench_ctc's ctc_loss_from_log_probs)
  log_probs_fwd      ctc_loss alone under no_grad (bench_ctc's ctc_loss_from_log_probs_forward)
Run with Debian's python3-torch and OPENBLAS_CORETYPE unset:
    env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/ctc_torch.py [--rounds 7] [--iters 100]
Prints the median time per call over rounds of `iters` calls."""
import sys
import time

import torch
import torch.nn.functional as F

T, N, C, L = 32, 32, 100, 10
rounds, iters = 7, 100
args = sys.argv[1:]
for i in range(0, len(args) - 1, 2):
    if args[i] == "--rounds":
        rounds = int(args[i + 1])
    elif args[i] == "--iters":
        iters = int(args[i + 1])
torch.set_num_threads(1)
torch.manual_seed(1)
logits = torch.randn(T, N, C, requires_grad=True)
log_probs = F.log_softmax(logits.detach(), 2).requires_grad_(True)
targets = torch.randint(1, C, (N * L,))
input_lengths = torch.full((N,), T, dtype=torch.long)
target_lengths = torch.full((N,), L, dtype=torch.long)


def logits_fwd_bwd():
    logits.grad = None
    F.ctc_loss(F.log_softmax(logits, 2), targets, input_lengths, target_lengths, reduction="mean").backward()


def log_probs_fwd_bwd():
    log_probs.grad = None
    F.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction="mean").backward()


def log_probs_fwd():
    with torch.no_grad():
        F.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction="mean")


def median_ms(fn):
    for _ in range(20):
        fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        times.append((time.perf_counter() - t0) / iters)
    times.sort()
    return times[len(times) // 2] * 1e3


print(f"torch {torch.__version__} ctc_loss T={T} N={N} C={C} L={L} threads=1 (median ms):", end="")
for fn in (logits_fwd_bwd, log_probs_fwd_bwd, log_probs_fwd):
    print(f" {fn.__name__}={median_ms(fn):.3f}", end="")
print()
