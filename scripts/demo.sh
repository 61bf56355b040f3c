#!/usr/bin/env bash
# The README's first command: installs what is missing (Debian 12, as root),
# builds nnocr, and runs the main job. No OCR model is bundled yet, so the main
# job is the most meaningful thing that exists: `nnocr --version` (the ISA it
# chose and why) and `nnocr bench` (GEMM and vector-math speed on this CPU, as a
# percentage of the peak measured in the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install_deps.sh
install_missing cmake g++ ninja-build make libstb-dev
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNOCR_BUILD_TESTS=OFF -DNNOCR_BUILD_BENCH=OFF \
  -DNNOCR_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build -j "$(build_jobs)"
echo
build/nnocr bench "$@"
