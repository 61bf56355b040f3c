#!/usr/bin/env bash
# Runs bench/compare_gemm in the configurations the foundation issue reports:
# AVX-512 against OpenBLAS's AVX-512 kernels (OPENBLAS_CORETYPE unset), one
# thread and two; AVX2 against OpenBLAS forced to its Haswell kernels.
# Needs libopenblas-dev (installed here if missing) and a Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install_deps.sh
install_missing libopenblas-dev libbenchmark-dev cmake g++ ninja-build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNOCR_BUILD_BENCH=ON >/dev/null
cmake --build build --target compare_gemm -j "$(build_jobs)"
echo "### AVX-512, 1 thread"; env -u OPENBLAS_CORETYPE build/bench/compare_gemm --threads 1
echo; echo "### AVX-512, 2 threads"; env -u OPENBLAS_CORETYPE build/bench/compare_gemm --threads 2
echo; echo "### AVX2 (forced), 1 thread, OpenBLAS Haswell"
OPENBLAS_CORETYPE=Haswell NNOCR_ISA=avx2 build/bench/compare_gemm --threads 1
