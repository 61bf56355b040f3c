#!/usr/bin/python3
"""torch.nn.MultiheadAttention on the shapes of bench/bench_attention.cpp:
self-attention, d=256, 8 heads, T=32, batch 32, one thread.

Run with Debian's python3-torch and OPENBLAS_CORETYPE unset (this machine
exports OPENBLAS_CORETYPE=Haswell, which halves the speed of torch's
matmuls):
    env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/attention_torch.py [--threads N] [--iters N]

bench/torch_bench.py sets the thread counts (OpenBLAS included: a [1024 x 256]
x [256 x 768] linear took 1.27 ms wall but 2.5 ms of CPU on this 2-core
machine with OpenBLAS left to its default) and prints the CPU time per
call next to the wall time.

Prints the median time per call, in ms, of:
  forward_eval_fastpath  eval, no_grad, batch_first, need_weights=False
                         (torch's fused _native_multi_head_attention)
  forward_eval           eval, no_grad, sequence-first, need_weights=False
  forward_eval_weights   as forward_eval with need_weights=True (the default:
                         head-averaged weights are returned)
  forward_train          training mode, autograd recording, dropout 0
  forward_backward       forward_train + backward of a random upstream gradient
"""
from torch_bench import median_ms, report, setup

torch, threads, options = setup(iters=200)
iters = options["iters"]

E, H, T, N = 256, 8, 32, 32
seq_first = torch.nn.MultiheadAttention(E, H)
batch_first = torch.nn.MultiheadAttention(E, H, batch_first=True)
batch_first.load_state_dict(seq_first.state_dict())
x = torch.randn(T, N, E)
xb = x.transpose(0, 1).contiguous()
dy = torch.randn(T, N, E)


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
    "forward_eval_fastpath": median_ms(eval_fastpath, iters, warmup=10),
    "forward_eval": median_ms(eval_plain, iters, warmup=10),
    "forward_eval_weights": median_ms(eval_weights, iters, warmup=10),
}
seq_first.train()
results["forward_train"] = median_ms(train_forward, iters, warmup=10)
results["forward_backward"] = median_ms(train_forward_backward, iters, warmup=10)
report(torch, threads, f"E={E} H={H} T={T} N={N}", results)
