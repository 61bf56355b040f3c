"""Shared by the PyTorch timing scripts of bench/ (lstm_torch.py,
attention_torch.py, lenet_torch.py): their command line, the thread set-up that must
happen before torch is imported, and the timing loop.

torch.set_num_threads(1) does not bound Debian's OpenBLAS, whose own
pthreads run torch's matmuls on every core, so setup() sets
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to --threads before importing
torch, unless --blas-threads N says otherwise (0: leave OpenBLAS's
default). median_ms() reports the CPU time per call next to the wall time:
cpu/wall near 1 means one thread really ran.
"""
import os
import sys
import time


def setup(**defaults):
    """Parses --threads N and --blas-threads N, and --NAME N for each
    integer option NAME=default given; sets the BLAS thread count; imports
    torch, sets its threads and seed; returns (torch, threads, options),
    options a dict of the integer options."""
    threads, blas_threads = 1, None
    options = dict(defaults)
    args = sys.argv[1:]
    for i in range(0, len(args) - 1, 2):
        name = args[i][2:] if args[i].startswith("--") else None
        if name == "threads":
            threads = int(args[i + 1])
        elif name == "blas-threads":
            blas_threads = int(args[i + 1])
        elif name in options:
            options[name] = int(args[i + 1])
    if blas_threads is None:
        blas_threads = threads
    if blas_threads > 0:
        os.environ["OPENBLAS_NUM_THREADS"] = str(blas_threads)
        os.environ["OMP_NUM_THREADS"] = str(blas_threads)
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    return torch, threads, options


def median_ms(fn, iters, warmup=5):
    """(median wall ms, mean CPU ms) per call of fn, after `warmup` calls."""
    for _ in range(warmup):
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


def report(torch, threads, shape, results):
    """The header line, then one line per result: name, wall ms, CPU ms
    (the format bench/compare_sequence.sh reads)."""
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"torch {torch.__version__} threads={threads} openblas_threads={blas} {shape}")
    for k, (wall, cpu) in results.items():
        print(f"{k:24s} {wall:7.3f} ms   (cpu {cpu:7.3f} ms)")
