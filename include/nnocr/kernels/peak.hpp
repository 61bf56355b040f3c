// peak.hpp — this core's peak fp32 FMA throughput, measured.
//
// Benchmarks report GEMM speed as a fraction of the peak measured in the
// same run, because the clock of a shared machine drifts (4.0–4.5 GHz
// here). The loop keeps 16 independent FMA chains in flight, enough to fill
// two FMA pipes of 4-cycle latency, and does nothing else.
#pragma once

#include <chrono>
#include <cstdint>

#include "../core/config.hpp"
#include "../simd/isa.hpp"

namespace nnocr::kernels {
namespace detail {

#if NNOCR_ARCH_X86_64
NNOCR_AVX512_DIAGNOSTICS_PUSH
NNOCR_TARGET_AVX512 inline float fma_loop_avx512(std::int64_t iterations) {
  __m512 acc[16];
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (std::int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}
NNOCR_AVX512_DIAGNOSTICS_POP
NNOCR_TARGET_AVX2 inline float fma_loop_avx2(std::int64_t iterations) {
  __m256 acc[12];
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (std::int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}
#endif
#if NNOCR_ARCH_AARCH64
inline float fma_loop_neon(std::int64_t iterations) {
  float32x4_t acc[16];
  const float32x4_t m = vdupq_n_f32(0.999999f), a = vdupq_n_f32(1e-7f);
  for (int i = 0; i < 16; ++i) acc[i] = vdupq_n_f32(static_cast<float>(i));
  for (std::int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = vfmaq_f32(a, acc[i], m);
  }
  float32x4_t s = acc[0];
  for (int i = 1; i < 16; ++i) s = vaddq_f32(s, acc[i]);
  return vaddvq_f32(s);
}
#endif

// FLOPs (2 per lane per FMA) done by `iterations` of the loop for `isa`,
// and runs it. Returns 0 FLOPs for the scalar ISA (no FMA loop).
inline double run_fma_loop(simd::Isa isa, std::int64_t iterations, float* sink) {
  switch (isa) {
#if NNOCR_ARCH_X86_64
    case simd::Isa::avx512:
      *sink += fma_loop_avx512(iterations);
      return 2.0 * 16 * 16 * static_cast<double>(iterations);
    case simd::Isa::avx2:
      *sink += fma_loop_avx2(iterations);
      return 2.0 * 12 * 8 * static_cast<double>(iterations);
#endif
#if NNOCR_ARCH_AARCH64
    case simd::Isa::neon:
      *sink += fma_loop_neon(iterations);
      return 2.0 * 16 * 4 * static_cast<double>(iterations);
#endif
    default:
      return 0.0;
  }
}

}  // namespace detail

// Peak single-core GFLOP/s of fp32 FMAs on `isa`, best of several short
// runs (about `seconds` in all). 0 for the scalar ISA.
inline double measure_peak_gflops(simd::Isa isa, double seconds = 0.2) {
  float sink = 0.0f;
  double best = 0.0;
  std::int64_t iterations = 1 << 16;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    const double flops = detail::run_fma_loop(isa, iterations, &sink);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (flops == 0.0) return 0.0;
    if (dt < 0.01) {
      iterations *= 2;
      continue;
    }
    if (flops / dt > best) best = flops / dt;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) break;
  }
  volatile float keep = sink;  // the loop's result must look used
  (void)keep;
  return best * 1e-9;
}

}  // namespace nnocr::kernels
