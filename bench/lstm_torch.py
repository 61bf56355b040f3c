#!/usr/bin/python3
"""torch.nn.LSTM on the shapes of bench/bench_lstm.cpp: bidirectional, one
layer, input 512, hidden 256, T=32, batch 32, sequence-first [T, N, I],
one thread.

Run with Debian's python3-torch and OPENBLAS_CORETYPE unset (this machine
exports OPENBLAS_CORETYPE=Haswell, which halves the speed of torch's
matmuls):
    env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/lstm_torch.py [--threads N] [--iters N]

bench/torch_bench.py sets the thread counts (OpenBLAS included) and prints
the CPU time per call next to the wall time.

Prints the median time per call, in ms, of:
  forward_eval      eval, no_grad (bench_lstm's bilstm_infer)
  forward_train     training mode, autograd recording (bilstm_forward)
  forward_backward  forward_train + backward of a random upstream gradient
                    into the input and the weights (bilstm_forward_backward)
"""
from torch_bench import median_ms, report, setup

torch, threads, options = setup(iters=50)
iters = options["iters"]

I, H, T, N = 512, 256, 32, 32
lstm = torch.nn.LSTM(I, H, num_layers=1, bidirectional=True)
x = torch.randn(T, N, I)
dy = torch.randn(T, N, 2 * H)
xg = x.clone().requires_grad_(True)


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
results = {"forward_eval": median_ms(forward_eval, iters)}
lstm.train()
results["forward_train"] = median_ms(forward_train, iters)
results["forward_backward"] = median_ms(forward_backward, iters)
report(torch, threads, f"I={I} H={H} T={T} N={N} bidirectional", results)
