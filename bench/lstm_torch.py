#!/usr/bin/python3
"""torch.nn.LSTM on the shapes of bench/bench_lstm.cpp: bidirectional, one
layer, input 512, hidden 256, T=32, batch 32, sequence-first [T, N, I],
one thread.

Run with Debian's python3-torch and OPENBLAS_CORETYPE unset (this machine
exports OPENBLAS_CORETYPE=Haswell, which halves the speed of torch's
matmuls):
    env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/lstm_torch.py [--threads N] [--iters N]

torch.set_num_threads(1) does not bound Debian's OpenBLAS, so this script
sets OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) to --threads before
importing torch, unless --blas-threads N says otherwise (0: leave OpenBLAS's
default), and prints the CPU time per call next to the wall time: cpu/wall
near 1 means one thread really ran.

Prints the median time per call, in ms, of:
  forward_eval      eval, no_grad (bench_lstm's bilstm_infer)
  forward_train     training mode, autograd recording (bilstm_forward)
  forward_backward  forward_train + backward of a random upstream gradient
                    into the input and the weights (bilstm_forward_backward)
"""
import os
import sys
import time

threads, iters, blas_threads = 1, 50, None
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
    os.environ["OMP_NUM_THREADS"] = str(blas_threads)

import torch  # noqa: E402 (after OPENBLAS_NUM_THREADS)

torch.set_num_threads(threads)
torch.manual_seed(1)

I, H, T, N = 512, 256, 32, 32
lstm = torch.nn.LSTM(I, H, num_layers=1, bidirectional=True)
x = torch.randn(T, N, I)
dy = torch.randn(T, N, 2 * H)
xg = x.clone().requires_grad_(True)


def median_ms(fn):
    """(median wall ms, mean CPU ms) per call."""
    for _ in range(5):
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


def forward_eval():
    with torch.no_grad():
        lstm(x)


def forward_train():
    lstm(xg)


def forward_backward():
    lstm.zero_grad()
    xg.grad = None
    y, _ = lstm(xg)
    y.backward(dy)


lstm.eval()
results = {"forward_eval": median_ms(forward_eval)}
lstm.train()
results["forward_train"] = median_ms(forward_train)
results["forward_backward"] = median_ms(forward_backward)
blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
print(f"torch {torch.__version__} threads={threads} openblas_threads={blas} I={I} H={H} T={T} N={N} bidirectional")
for k, (wall, cpu) in results.items():
    print(f"{k:24s} {wall:7.3f} ms   (cpu {cpu:7.3f} ms)")
