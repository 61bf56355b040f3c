// gemm_scalar.hpp — the portable GEMM micro-kernels (plain C++, 4x8 tile).
// Same contract as the SIMD ones; the compiler may vectorise them with the
// baseline instruction set.
#pragma once

#include "../../core/config.hpp"
#include "gemm_arch.hpp"

namespace nnocr::kernels::scalar {

inline constexpr int kGemmMr = 4, kGemmNr = 8;

template <int M>
struct GemmMicro {
  static void run(index_t kc, const float* a, const float* b, index_t ldb, float* c, index_t ldc, int, int n,
                  float alpha, float beta) {
    float acc[M][kGemmNr] = {};
    for (index_t k = 0; k < kc; ++k) {
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < kGemmNr; ++j) acc[i][j] += a[i] * b[j];
      a += kGemmMr;
      b += ldb;
    }
    for (int i = 0; i < M; ++i) {
      float* ci = c + i * ldc;
      for (int j = 0; j < n; ++j) ci[j] = alpha * acc[i][j] + (beta == 0.0f ? 0.0f : beta * ci[j]);
    }
  }
};

inline void gemv_rows(index_t rows, index_t k, const float* mat, index_t ld, const float* x, float* y, float alpha,
                      float beta) {
  for (index_t i = 0; i < rows; ++i) {
    const float* r = mat + i * ld;
    float s = 0.0f;
    for (index_t j = 0; j < k; ++j) s += r[j] * x[j];
    y[i] = alpha * s + (beta == 0.0f ? 0.0f : beta * y[i]);
  }
}

inline void gemv_cols(index_t cols, index_t k, const float* mat, index_t ld, const float* x, float* y, float alpha,
                      float beta) {
  constexpr index_t block = 64;
  for (index_t j0 = 0; j0 < cols; j0 += block) {
    const index_t nj = cols - j0 < block ? cols - j0 : block;
    float acc[block] = {};
    for (index_t kk = 0; kk < k; ++kk) {
      const float* r = mat + kk * ld + j0;
      const float xk = x[kk];
      for (index_t j = 0; j < nj; ++j) acc[j] += xk * r[j];
    }
    for (index_t j = 0; j < nj; ++j) y[j0 + j] = alpha * acc[j] + (beta == 0.0f ? 0.0f : beta * y[j0 + j]);
  }
}

inline const detail::GemmArch& gemm_arch() {
  static const detail::GemmArch arch = detail::make_gemm_arch<kGemmMr, kGemmNr, GemmMicro>(
      "scalar 4x8", 128, 256, 2048, &gemv_rows, &gemv_cols);
  return arch;
}

}  // namespace nnocr::kernels::scalar
