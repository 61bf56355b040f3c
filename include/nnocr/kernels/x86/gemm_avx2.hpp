// gemm_avx2.hpp — AVX2+FMA GEMM micro-kernel (6 x 16) and GEMV kernels.
//
// Register tile: 6 rows x 16 columns = 12 ymm accumulators; per k step two
// ymm loads of B, six broadcasts of A, twelve FMAs. With the two B registers
// and a broadcast register that is 15 of the 16 ymm registers (the classic
// Haswell tile of BLIS and OpenBLAS).
#pragma once

#include "../../core/config.hpp"

#if NNOCR_ARCH_X86_64
#include <immintrin.h>

#include "../../simd/x86/vec_avx2.hpp"
#include "../detail/gemm_arch.hpp"

namespace nnocr::kernels::avx2 {

inline constexpr int kGemmMr = 6, kGemmNr = 16;

// Lanes [0, n) set, for masked loads and stores of 8 floats.
NNOCR_TARGET_AVX2 NNOCR_ALWAYS_INLINE __m256i lane_mask(int n) { return simd::VecAvx2::prefix_mask(n); }

template <int M>
struct GemmMicro {
  NNOCR_TARGET_AVX2 static void run(index_t kc, const float* NNOCR_RESTRICT a, const float* NNOCR_RESTRICT b,
                                    index_t ldb, float* c, index_t ldc, int, int n, float alpha, float beta) {
    __m256 c0[M], c1[M];
#pragma GCC unroll 6
    for (int i = 0; i < M; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (index_t k = 0; k < kc; ++k) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
      for (int i = 0; i < M; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i);
        c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
      }
      a += kGemmMr;
      b += ldb;
    }
    const __m256i m0 = lane_mask(n), m1 = lane_mask(n - 8);
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    const bool full = n == kGemmNr;
#pragma GCC unroll 6
    for (int i = 0; i < M; ++i) {
      float* ci = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, c0[i]), r1 = _mm256_mul_ps(va, c1[i]);
      if (full) {
        if (beta != 0.0f) {
          r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);
          r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);
        }
        _mm256_storeu_ps(ci, r0);
        _mm256_storeu_ps(ci + 8, r1);
      } else {
        if (beta != 0.0f) {
          r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci, m0), r0);
          r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci + 8, m1), r1);
        }
        _mm256_maskstore_ps(ci, m0, r0);
        _mm256_maskstore_ps(ci + 8, m1, r1);
      }
    }
  }
};

NNOCR_TARGET_AVX2 NNOCR_ALWAYS_INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Four rows at a time, two accumulators per row.
NNOCR_TARGET_AVX2 inline void gemv_rows(index_t rows, index_t k, const float* mat, index_t ld, const float* x,
                                        float* y, float alpha, float beta) {
  const index_t k16 = k / 16 * 16;
  index_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* r[4] = {mat + i * ld, mat + (i + 1) * ld, mat + (i + 2) * ld, mat + (i + 3) * ld};
    __m256 s[4], t[4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) s[q] = t[q] = _mm256_setzero_ps();
    index_t j = 0;
    for (; j < k16; j += 16) {
      const __m256 x0 = _mm256_loadu_ps(x + j), x1 = _mm256_loadu_ps(x + j + 8);
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) {
        s[q] = _mm256_fmadd_ps(_mm256_loadu_ps(r[q] + j), x0, s[q]);
        t[q] = _mm256_fmadd_ps(_mm256_loadu_ps(r[q] + j + 8), x1, t[q]);
      }
    }
    for (; j < k; j += 8) {
      const __m256i m = lane_mask(static_cast<int>(k - j));
      const __m256 x0 = _mm256_maskload_ps(x + j, m);
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) s[q] = _mm256_fmadd_ps(_mm256_maskload_ps(r[q] + j, m), x0, s[q]);
    }
    for (int q = 0; q < 4; ++q)
      y[i + q] = alpha * hsum(_mm256_add_ps(s[q], t[q])) + (beta == 0.0f ? 0.0f : beta * y[i + q]);
  }
  for (; i < rows; ++i) {
    const float* r0 = mat + i * ld;
    __m256 s0 = _mm256_setzero_ps();
    index_t j = 0;
    for (; j + 8 <= k; j += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + j), _mm256_loadu_ps(x + j), s0);
    if (j < k) {
      const __m256i m = lane_mask(static_cast<int>(k - j));
      s0 = _mm256_fmadd_ps(_mm256_maskload_ps(r0 + j, m), _mm256_maskload_ps(x + j, m), s0);
    }
    y[i] = alpha * hsum(s0) + (beta == 0.0f ? 0.0f : beta * y[i]);
  }
}

// Column blocks of 64 (eight ymm accumulators); tails use masked blocks of 32.
NNOCR_TARGET_AVX2 inline void gemv_cols(index_t cols, index_t k, const float* mat, index_t ld, const float* x,
                                        float* y, float alpha, float beta) {
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  index_t j0 = 0;
  for (; j0 + 64 <= cols; j0 += 64) {
    __m256 acc[8];
#pragma GCC unroll 8
    for (int v = 0; v < 8; ++v) acc[v] = _mm256_setzero_ps();
    const float* r = mat + j0;
    for (index_t kk = 0; kk < k; ++kk, r += ld) {
      const __m256 xk = _mm256_set1_ps(x[kk]);
#pragma GCC unroll 8
      for (int v = 0; v < 8; ++v) acc[v] = _mm256_fmadd_ps(xk, _mm256_loadu_ps(r + 8 * v), acc[v]);
    }
#pragma GCC unroll 8
    for (int v = 0; v < 8; ++v) {
      __m256 out = _mm256_mul_ps(va, acc[v]);
      if (beta != 0.0f) out = _mm256_fmadd_ps(vb, _mm256_loadu_ps(y + j0 + 8 * v), out);
      _mm256_storeu_ps(y + j0 + 8 * v, out);
    }
  }
  for (; j0 < cols; j0 += 32) {
    __m256 acc[4];
    __m256i m[4];
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) {
      acc[v] = _mm256_setzero_ps();
      m[v] = lane_mask(static_cast<int>(cols - j0 - 8 * v));
    }
    const float* r = mat + j0;
    for (index_t kk = 0; kk < k; ++kk, r += ld) {
      const __m256 xk = _mm256_set1_ps(x[kk]);
#pragma GCC unroll 4
      for (int v = 0; v < 4; ++v) acc[v] = _mm256_fmadd_ps(xk, _mm256_maskload_ps(r + 8 * v, m[v]), acc[v]);
    }
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) {
      __m256 out = _mm256_mul_ps(va, acc[v]);
      if (beta != 0.0f) out = _mm256_fmadd_ps(vb, _mm256_maskload_ps(y + j0 + 8 * v, m[v]), out);
      _mm256_maskstore_ps(y + j0 + 8 * v, m[v], out);
    }
  }
}

inline const detail::GemmArch& gemm_arch() {
  static const detail::GemmArch arch = detail::make_gemm_arch<kGemmMr, kGemmNr, GemmMicro>(
      "avx2 6x16", 144, 256, 2048, &gemv_rows, &gemv_cols);
  return arch;
}

}  // namespace nnocr::kernels::avx2
#endif
