#!/usr/bin/env bash
# compare_sequence.sh — nnocr's sequence layers next to PyTorch 1.13 on the
# same shapes, one thread each, alternating in one session (the machine is
# noisy): BiLSTM (input 512, hidden 256, T=32, batch 32; bench_lstm vs
# lstm_torch.py), MultiheadAttention (d=256, 8 heads, T=32, batch 32;
# bench_attention vs attention_torch.py) and the CTC loss (T=32, 100
# classes, batch 32, label length 10; bench_ctc vs ctc_torch.py). Prints,
# per case, the median over rounds of each side's time per call (a round's
# own figure is a median too: of 5 runs for nnocr, of the calls for torch),
# the speed ratio (torch ms / nnocr ms: above 1 means nnocr is faster) and
# the target.
#
#   bash bench/compare_sequence.sh            # ROUNDS=3 by default
#
# PyTorch runs with OPENBLAS_CORETYPE unset (this environment sets it to
# Haswell, which halves torch's matmul speed) and OPENBLAS_NUM_THREADS=1,
# OMP_NUM_THREADS=1: torch.set_num_threads(1) alone does not bound Debian's
# OpenBLAS. Both sides run under the same glibc heap settings, those of
# keep_freed_memory() (core/memory.hpp, which nnocr's training programs
# call), given to both processes through GLIBC_TUNABLES: without them
# PyTorch maps and unmaps its large tensors on every call and its figures
# move by up to 2x from one process to the next (2026-12-07), which
# compares allocators, not layers. Needs python3-torch (installed here if
# missing) and a Release build (configured here).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install_deps.sh
install_missing python3-torch cmake g++ ninja-build libbenchmark-dev
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNOCR_BUILD_BENCH=ON >/dev/null
cmake --build build --target bench_lstm bench_attention bench_ctc -j "$(build_jobs)" >/dev/null
rounds=${ROUNDS:-3}
log=$(mktemp /tmp/nnocr_compare_sequence.XXXXXX)
trap 'rm -f "$log"' EXIT
heap=GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=268435456
torch() { env -u OPENBLAS_CORETYPE "$heap" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 "$@"; }
# The CTC loss on the ISA nnocr would pick: bench_ctc registers the
# available ISAs from the plainest to the widest.
isa=$(build/bench/bench_ctc --benchmark_list_tests | sed -n 's|^ctc_loss_forward_backward/||p' | tail -1)
gbench() {  # tag binary filter: per benchmark, the median of 5 half-second runs, as a tagged CSV line
  env "$heap" "$2" --benchmark_filter="$3" --benchmark_min_time=0.5 --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true --benchmark_format=csv 2>/dev/null |
    grep '^"[^"]*_median"' | sed "s/^/$1 /"
}
for r in $(seq "$rounds"); do
  echo "== round $r of $rounds"
  gbench nnocr build/bench/bench_lstm '^bilstm_' | tee -a "$log"
  torch bench/lstm_torch.py --iters 30 | sed 's/^/torch_lstm /' | tee -a "$log"
  gbench nnocr build/bench/bench_attention '^attention_(infer|forward|forward_backward)/1/' | tee -a "$log"
  torch bench/attention_torch.py | sed 's/^/torch_attention /' | tee -a "$log"
  gbench nnocr build/bench/bench_ctc "^ctc_loss_(from_log_probs_)?forward(_backward)?/$isa\$" | tee -a "$log"
  torch bench/ctc_torch.py | sed 's/^/torch_ctc /' | tee -a "$log"
done
/usr/bin/python3 - "$log" "$isa" <<'PY'
import csv, re, statistics, sys
log, isa = sys.argv[1], sys.argv[2]
vals = {}
to_ms = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
for line in open(log):
    tag, _, rest = line.rstrip("\n").partition(" ")
    if tag == "nnocr":
        row = next(csv.reader([rest]))  # name,iterations,real_time,cpu_time,time_unit,...
        name = re.sub(r"(/real_time)?_median$", "", row[0])
        vals.setdefault(("nnocr", name), []).append(float(row[2]) * to_ms[row[4]])
    elif tag in ("torch_lstm", "torch_attention"):
        m = re.match(r"(\w+)\s+([\d.]+) ms", rest)
        if m:
            vals.setdefault((tag, m.group(1)), []).append(float(m.group(2)))
    elif tag == "torch_ctc":
        for k, v in re.findall(r"(\w+)=([\d.]+)", rest):
            if k.endswith(("_fwd", "_bwd")):
                vals.setdefault((tag, k), []).append(float(v))
cases = [  # label, nnocr benchmark, torch figure, target speed ratio
    ("BiLSTM forward, inference", "bilstm_infer/1", ("torch_lstm", "forward_eval"), 1.25),
    ("BiLSTM forward, training", "bilstm_forward/1", ("torch_lstm", "forward_train"), 1.25),
    ("BiLSTM forward+backward", "bilstm_forward_backward/1", ("torch_lstm", "forward_backward"), 1.25),
    ("MHA forward, inference", "attention_infer/1", ("torch_attention", "forward_eval_fastpath"), 1.1),
    ("  (vs torch sequence-first eval)", "attention_infer/1", ("torch_attention", "forward_eval"), None),
    ("MHA forward, training", "attention_forward/1", ("torch_attention", "forward_train"), None),
    ("MHA forward+backward", "attention_forward_backward/1", ("torch_attention", "forward_backward"), None),
    ("CTC loss+grad, from logits", f"ctc_loss_forward_backward/{isa}", ("torch_ctc", "logits_fwd_bwd"), 2.0),
    ("CTC loss+grad, from log-probs", f"ctc_loss_from_log_probs_forward_backward/{isa}",
     ("torch_ctc", "log_probs_fwd_bwd"), 2.0),
    ("CTC loss only, from log-probs", f"ctc_loss_from_log_probs_forward/{isa}", ("torch_ctc", "log_probs_fwd"), None),
]
print(f"\nmedians over rounds, ms per call, one thread (nnocr CTC on {isa}); ratio = torch ms / nnocr ms")
print(f"{'case':34s} {'nnocr':>9s} {'torch':>9s} {'ratio':>7s}  target")
for label, ours, theirs, target in cases:
    a, b = vals.get(("nnocr", ours)), vals.get(theirs)
    if not a or not b:
        print(f"{label:34s} missing ({ours if not a else theirs[1]})")
        continue
    a, b = statistics.median(a), statistics.median(b)
    ratio = b / a
    t = "" if target is None else f">= {target:.2f}x  {'met' if ratio >= target else 'NOT met'}"
    print(f"{label:34s} {a:9.3f} {b:9.3f} {ratio:6.2f}x  {t}")
PY
