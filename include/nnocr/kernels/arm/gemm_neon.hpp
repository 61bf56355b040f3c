// gemm_neon.hpp — AArch64 NEON GEMM micro-kernel (8 x 12) and GEMV kernels.
//
// Register tile: 8 rows x 12 columns = 24 q-register accumulators; per k
// step three q loads of B, eight broadcasts of A, 24 FMAs (29 of the 32
// vector registers). Partial column tiles go through a small stack tile.
#pragma once

#include "../../core/config.hpp"

#if NNOCR_ARCH_AARCH64
#include <arm_neon.h>

#include "../detail/gemm_arch.hpp"

namespace nnocr::kernels::neon {

inline constexpr int kGemmMr = 8, kGemmNr = 12;

template <int M>
struct GemmMicro {
  static void run(index_t kc, const float* NNOCR_RESTRICT a, const float* NNOCR_RESTRICT b, index_t ldb,
                  float* c, index_t ldc, int, int n, float alpha, float beta) {
    float32x4_t acc[M][3];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) acc[i][0] = acc[i][1] = acc[i][2] = vdupq_n_f32(0.0f);
#pragma GCC unroll 2
    for (index_t k = 0; k < kc; ++k) {
      const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) {
        const float32x4_t ai = vdupq_n_f32(a[i]);
        acc[i][0] = vfmaq_f32(acc[i][0], ai, b0);
        acc[i][1] = vfmaq_f32(acc[i][1], ai, b1);
        acc[i][2] = vfmaq_f32(acc[i][2], ai, b2);
      }
      a += kGemmMr;
      b += ldb;
    }
    const float32x4_t va = vdupq_n_f32(alpha), vb = vdupq_n_f32(beta);
    for (int i = 0; i < M; ++i) {
      float* ci = c + i * ldc;
      float tile[kGemmNr] = {};
      float* dst = n == kGemmNr ? ci : tile;
      if (n != kGemmNr)
        for (int j = 0; j < n; ++j) tile[j] = ci[j];
      for (int v = 0; v < 3; ++v) {
        float32x4_t r = vmulq_f32(va, acc[i][v]);
        if (beta != 0.0f) r = vfmaq_f32(r, vb, vld1q_f32(dst + 4 * v));
        vst1q_f32(dst + 4 * v, r);
      }
      if (n != kGemmNr)
        for (int j = 0; j < n; ++j) ci[j] = tile[j];
    }
  }
};

inline void gemv_rows(index_t rows, index_t k, const float* mat, index_t ld, const float* x, float* y, float alpha,
                      float beta) {
  for (index_t i = 0; i < rows; ++i) {
    const float* r = mat + i * ld;
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
    index_t j = 0;
    for (; j + 8 <= k; j += 8) {
      s0 = vfmaq_f32(s0, vld1q_f32(r + j), vld1q_f32(x + j));
      s1 = vfmaq_f32(s1, vld1q_f32(r + j + 4), vld1q_f32(x + j + 4));
    }
    float s = vaddvq_f32(vaddq_f32(s0, s1));
    for (; j < k; ++j) s += r[j] * x[j];
    y[i] = alpha * s + (beta == 0.0f ? 0.0f : beta * y[i]);
  }
}

inline void gemv_cols(index_t cols, index_t k, const float* mat, index_t ld, const float* x, float* y, float alpha,
                      float beta) {
  index_t j0 = 0;
  for (; j0 + 32 <= cols; j0 += 32) {
    float32x4_t acc[8];
    for (int v = 0; v < 8; ++v) acc[v] = vdupq_n_f32(0.0f);
    const float* r = mat + j0;
    for (index_t kk = 0; kk < k; ++kk, r += ld) {
      const float32x4_t xk = vdupq_n_f32(x[kk]);
      for (int v = 0; v < 8; ++v) acc[v] = vfmaq_f32(acc[v], xk, vld1q_f32(r + 4 * v));
    }
    for (int v = 0; v < 8; ++v) {
      float32x4_t out = vmulq_f32(vdupq_n_f32(alpha), acc[v]);
      if (beta != 0.0f) out = vfmaq_f32(out, vdupq_n_f32(beta), vld1q_f32(y + j0 + 4 * v));
      vst1q_f32(y + j0 + 4 * v, out);
    }
  }
  for (; j0 < cols; ++j0) {
    float s = 0.0f;
    for (index_t kk = 0; kk < k; ++kk) s += x[kk] * mat[kk * ld + j0];
    y[j0] = alpha * s + (beta == 0.0f ? 0.0f : beta * y[j0]);
  }
}

inline const detail::GemmArch& gemm_arch() {
  static const detail::GemmArch arch = detail::make_gemm_arch<kGemmMr, kGemmNr, GemmMicro>(
      "neon 8x12", 128, 256, 2048, &gemv_rows, &gemv_cols);
  return arch;
}

}  // namespace nnocr::kernels::neon
#endif
