#!/usr/bin/env bash
# nnocr against PyTorch 1.13 on the MNIST LeNet-style CNN: training and
# inference images/s, same shapes, same thread count, alternating runs in
# one session (the machine is noisy), medians and ratios at the end.
# Needs python3-torch (installed here if missing) and a Release build.
# Both sides keep freed memory in the heap: lenet_throughput calls
# keep_freed_memory() (core/memory.hpp, as nnocr's training programs do),
# and PyTorch gets the same glibc settings through GLIBC_TUNABLES. Without
# them PyTorch's step maps and unmaps its large tensors every time, and runs
# at about half its speed here (430-550 images/s on one thread instead of
# 1,180, 2026-12-07): a comparison of allocators, not of the layers.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install_deps.sh
install_missing python3-torch cmake g++ ninja-build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNOCR_BUILD_BENCH=ON >/dev/null
cmake --build build --target lenet_throughput -j "$(build_jobs)" >/dev/null
rounds=${ROUNDS:-3}
for threads in ${THREADS:-1 2}; do
  echo "### $threads thread(s), batch 64"
  : > /tmp/nnocr_lenet_$threads.txt
  for r in $(seq "$rounds"); do
    build/bench/lenet_throughput --threads "$threads" | tee -a /tmp/nnocr_lenet_$threads.txt
    env -u OPENBLAS_CORETYPE GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=268435456 \
      /usr/bin/python3 bench/lenet_torch.py --threads "$threads" | tee -a /tmp/nnocr_lenet_$threads.txt
  done
  /usr/bin/python3 - "$threads" <<'PY'
import re, statistics, sys
t = sys.argv[1]
vals = {}
for line in open(f"/tmp/nnocr_lenet_{t}.txt"):
    who = line.split()[0]
    for k, v in re.findall(r"(\w+_per_s)=(\d+)", line):
        vals.setdefault((who, k), []).append(float(v))
for k in ("train_images_per_s", "infer_images_per_s"):
    a, b = statistics.median(vals[("nnocr", k)]), statistics.median(vals[("torch", k)])
    print(f"{k}: nnocr {a:.0f}, torch {b:.0f}, ratio nnocr/torch {a / b:.2f}")
PY
done
