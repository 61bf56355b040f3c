#!/usr/bin/python3
"""torch.nn.MultiheadAttention on the shapes of bench/bench_attention.cpp:
self-attention, d=256, 8 heads, T=32, batch 32, one thread.

Run with Debian's python3-torch and OPENBLAS_CORETYPE unset (this machine
exports OPENBLAS_CORETYPE=Haswell, which halves the speed of torch's
matmuls):
    env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/attention_torch.py [--threads N] [--iters N]

Beware: torch.set_num_threads(1) does not bound Debian's OpenBLAS, whose
own pthreads run torch's matmuls on every core (a [1024 x 256] x [256 x 768]
linear takes 1.27 ms wall but 2.5 ms of CPU on this 2-core machine). So this
script also sets OPENBLAS_NUM_THREADS to --threads before importing torch,
unless --blas-threads N says otherwise (0: leave OpenBLAS's default), and
prints the CPU time per call next to the wall time: cpu/wall near 1 means
one thread really ran.

Prints the median time per call, in ms, of:
  forward_eval_fastpath  eval, no_grad, batch_first, need_weights=False
                         (torch's fused _native_multi_head_attention)
  forward_eval           eval, no_grad, sequence-first, need_weights=False
  forward_eval_weights   as forward_eval with need_weights=True (the default:
                         head-averaged weights are returned)
  forward_train          training mode, autograd recording, dropout 0
  forward_backward       forward_train + backward of a random upstream gradient
"""
import os
import sys
import time

threads, iters, blas_threads = 1, 200, None
args = sys.argv[1:]
for i in range(0, len(args) - 1, 2):
    if args[i] == "--threads":
        threads = int(args[i + 1])
    elif args[i] == "--iters":
        iters = int(args[i + 1])
    elif args[i] == "--blas-threads":
        blas_threads = int(args[i + 1])
if blas_threads is None:
    blas_threads = threads
if blas_threads > 0:
    os.environ["OPENBLAS_NUM_THREADS"] = str(blas_threads)

import torch  # noqa: E402 (after OPENBLAS_NUM_THREADS)

torch.set_num_threads(threads)
torch.manual_seed(1)

E, H, T, N = 256, 8, 32, 32
seq_first = torch.nn.MultiheadAttention(E, H)
batch_first = torch.nn.MultiheadAttention(E, H, batch_first=True)
batch_first.load_state_dict(seq_first.state_dict())
x = torch.randn(T, N, E)
xb = x.transpose(0, 1).contiguous()
dy = torch.randn(T, N, E)


def median_ms(fn):
    """(median wall ms, mean CPU ms) per call."""
    for _ in range(10):
        fn()
    times = []
    c0 = time.process_time()
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    cpu = (time.process_time() - c0) / iters
    times.sort()
    return 1e3 * times[len(times) // 2], 1e3 * cpu


def eval_fastpath():
    with torch.no_grad():
        batch_first(xb, xb, xb, need_weights=False)


def eval_plain():
    with torch.no_grad():
        seq_first(x, x, x, need_weights=False)


def eval_weights():
    with torch.no_grad():
        seq_first(x, x, x)


xg = x.clone().requires_grad_(True)


def train_forward():
    seq_first(xg, xg, xg, need_weights=False)


def train_forward_backward():
    seq_first.zero_grad()
    xg.grad = None
    y, _ = seq_first(xg, xg, xg, need_weights=False)
    y.backward(dy)


seq_first.eval()
batch_first.eval()
results = {
    "forward_eval_fastpath": median_ms(eval_fastpath),
    "forward_eval": median_ms(eval_plain),
    "forward_eval_weights": median_ms(eval_weights),
}
seq_first.train()
results["forward_train"] = median_ms(train_forward)
results["forward_backward"] = median_ms(train_forward_backward)
blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
print(f"torch {torch.__version__} threads={threads} openblas_threads={blas} E={E} H={H} T={T} N={N}")
for k, (wall, cpu) in results.items():
    print(f"{k:24s} {wall:7.3f} ms   (cpu {cpu:7.3f} ms)")
