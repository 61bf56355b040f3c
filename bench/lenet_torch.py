#!/usr/bin/python3
"""The same LeNet-style CNN as models/lenet.hpp in PyTorch: training
throughput (forward + backward + AdamW step) and inference throughput on
random 28x28 batches. Run with Debian's python3-torch and OPENBLAS_CORETYPE
unset (bench/compare_lenet.sh does both). bench/torch_bench.py reads
--threads N (OpenBLAS bounded to it too), --batch N and --iters N."""
import time

import torch.nn as nn

from torch_bench import setup

torch, threads, options = setup(batch=64, iters=30)
batch, iters = options["batch"], options["iters"]
model = nn.Sequential(
    nn.Conv2d(1, 32, 5, padding=2, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 5, padding=2, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
x = torch.rand(batch, 1, 28, 28)
y = torch.arange(batch) % 10
loss_fn = nn.CrossEntropyLoss()


def train_step():
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()


def infer():
    with torch.no_grad():
        model(x)


def median_rate(fn):
    for _ in range(3):
        fn()
    rates = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        rates.append(batch / (time.perf_counter() - t0))
    rates.sort()
    return rates[len(rates) // 2]


model.train()
tr = median_rate(train_step)
model.eval()
inf = median_rate(infer)
print(f"torch train_images_per_s={tr:.0f} infer_images_per_s={inf:.0f} threads={threads} batch={batch} "
      f"torch={torch.__version__} mkldnn={torch.backends.mkldnn.is_available()}")
