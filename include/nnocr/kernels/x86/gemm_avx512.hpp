// gemm_avx512.hpp — AVX-512 GEMM micro-kernel (12 x 32) and GEMV kernels.
//
// Register tile: 12 rows x 32 columns of C = 24 zmm accumulators (two zmm
// per row). Per k step the kernel loads the B panel's 32 values (two zmm),
// broadcasts each of the 12 A values (folded into the FMA as an embedded
// broadcast) and issues 24 FMAs: 14 loads feed 24 FMAs, which two FMA pipes
// retire in 12 cycles. Example with kc = 2: A panel = a0[0..11] a1[0..11],
// B panel = b0[0..31] b1[0..31]; C[i][j] += a0[i]*b0[j] + a1[i]*b1[j].
// B micro-panel = kc*32*4 bytes (32 KiB at kc = 256) stays in the 48 KiB L1;
// the A block (mc x kc = 240 x 256 floats, 240 KiB) stays in L2.
#pragma once

#include "../../core/config.hpp"

#if NNOCR_ARCH_X86_64
#include <immintrin.h>

#include "../../simd/x86/vec_avx512.hpp"
#include "../detail/gemm_arch.hpp"

NNOCR_AVX512_DIAGNOSTICS_PUSH

namespace nnocr::kernels::avx512 {

inline constexpr int kGemmMr = 12, kGemmNr = 32;

// Lanes [0, n) of 16, for masked loads and stores (n may be <= 0 or > 16).
NNOCR_TARGET_AVX512 NNOCR_ALWAYS_INLINE __mmask16 column_mask(int n) { return simd::VecAvx512::prefix_mask(n); }

template <int M>
struct GemmMicro {
  NNOCR_TARGET_AVX512 static void run(index_t kc, const float* NNOCR_RESTRICT a, const float* NNOCR_RESTRICT b,
                                      index_t ldb, float* c, index_t ldc, int, int n, float alpha, float beta) {
    __m512 c0[M], c1[M];
#pragma GCC unroll 12
    for (int i = 0; i < M; ++i) {
      c0[i] = c1[i] = _mm512_setzero_ps();
      // C is touched once per kc-long product; start fetching its rows now.
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
    }
#pragma GCC unroll 4
    for (index_t k = 0; k < kc; ++k) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
      for (int i = 0; i < M; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
      }
      a += kGemmMr;
      b += ldb;
    }
    const __mmask16 m0 = column_mask(n), m1 = column_mask(n - 16);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int i = 0; i < M; ++i) {
      float* ci = c + i * ldc;
      __m512 r0 = _mm512_mul_ps(va, c0[i]), r1 = _mm512_mul_ps(va, c1[i]);
      if (beta != 0.0f) {
        r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), r0);
        r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16), r1);
      }
      _mm512_mask_storeu_ps(ci, m0, r0);
      _mm512_mask_storeu_ps(ci + 16, m1, r1);
    }
  }
};

// Four rows at a time, two accumulators per row (eight FMA chains in flight).
NNOCR_TARGET_AVX512 inline void gemv_rows(index_t rows, index_t k, const float* mat, index_t ld, const float* x,
                                          float* y, float alpha, float beta) {
  index_t i = 0;
  const index_t k32 = k / 32 * 32;
  for (; i + 4 <= rows; i += 4) {
    const float* r0 = mat + i * ld;
    const float* r1 = r0 + ld;
    const float* r2 = r1 + ld;
    const float* r3 = r2 + ld;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
    index_t j = 0;
    for (; j < k32; j += 32) {
      const __m512 x0 = _mm512_loadu_ps(x + j), x1 = _mm512_loadu_ps(x + j + 16);
      s0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + j), x0, s0);
      t0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + j + 16), x1, t0);
      s1 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + j), x0, s1);
      t1 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + j + 16), x1, t1);
      s2 = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + j), x0, s2);
      t2 = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + j + 16), x1, t2);
      s3 = _mm512_fmadd_ps(_mm512_loadu_ps(r3 + j), x0, s3);
      t3 = _mm512_fmadd_ps(_mm512_loadu_ps(r3 + j + 16), x1, t3);
    }
    for (; j < k; j += 16) {
      const __mmask16 m = column_mask(static_cast<int>(k - j));
      const __m512 x0 = _mm512_maskz_loadu_ps(m, x + j);
      s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r0 + j), x0, s0);
      s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r1 + j), x0, s1);
      s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r2 + j), x0, s2);
      s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r3 + j), x0, s3);
    }
    y[i] = alpha * _mm512_reduce_add_ps(_mm512_add_ps(s0, t0)) + (beta == 0.0f ? 0.0f : beta * y[i]);
    y[i + 1] = alpha * _mm512_reduce_add_ps(_mm512_add_ps(s1, t1)) + (beta == 0.0f ? 0.0f : beta * y[i + 1]);
    y[i + 2] = alpha * _mm512_reduce_add_ps(_mm512_add_ps(s2, t2)) + (beta == 0.0f ? 0.0f : beta * y[i + 2]);
    y[i + 3] = alpha * _mm512_reduce_add_ps(_mm512_add_ps(s3, t3)) + (beta == 0.0f ? 0.0f : beta * y[i + 3]);
  }
  for (; i < rows; ++i) {
    const float* r0 = mat + i * ld;
    __m512 s0 = _mm512_setzero_ps(), t0 = s0;
    index_t j = 0;
    for (; j < k32; j += 32) {
      s0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + j), _mm512_loadu_ps(x + j), s0);
      t0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + j + 16), _mm512_loadu_ps(x + j + 16), t0);
    }
    for (; j < k; j += 16) {
      const __mmask16 m = column_mask(static_cast<int>(k - j));
      s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r0 + j), _mm512_maskz_loadu_ps(m, x + j), s0);
    }
    y[i] = alpha * _mm512_reduce_add_ps(_mm512_add_ps(s0, t0)) + (beta == 0.0f ? 0.0f : beta * y[i]);
  }
}

// y = alpha * mat^T x + beta * y with mat's rows contiguous: stream eight
// rows at a time, each from start to end (eight sequential streams the
// prefetchers follow), accumulating into a chunk of y held in L1. Each y
// element still sums its products in row order, so any split of the columns
// (threads) gives the same bits.
NNOCR_TARGET_AVX512 inline void gemv_cols(index_t cols, index_t k, const float* mat, index_t ld, const float* x,
                                          float* y, float alpha, float beta) {
  constexpr index_t kChunk = 1024;
  alignas(64) float acc[kChunk];
  for (index_t j0 = 0; j0 < cols; j0 += kChunk) {
    const index_t nj = cols - j0 < kChunk ? cols - j0 : kChunk;
    const index_t full = nj / 16 * 16;
    const __mmask16 tail = column_mask(static_cast<int>(nj - full));
    for (index_t j = 0; j < nj; j += 16) _mm512_store_ps(acc + j, _mm512_setzero_ps());
    index_t kk = 0;
    for (; kk + 8 <= k; kk += 8) {
      const float* r = mat + kk * ld + j0;
      const __m512 x0 = _mm512_set1_ps(x[kk]), x1 = _mm512_set1_ps(x[kk + 1]), x2 = _mm512_set1_ps(x[kk + 2]),
                   x3 = _mm512_set1_ps(x[kk + 3]), x4 = _mm512_set1_ps(x[kk + 4]), x5 = _mm512_set1_ps(x[kk + 5]),
                   x6 = _mm512_set1_ps(x[kk + 6]), x7 = _mm512_set1_ps(x[kk + 7]);
      for (index_t j = 0; j < nj; j += 16) {
        const __mmask16 m = j < full ? __mmask16(0xffff) : tail;
        __m512 a = _mm512_load_ps(acc + j);
        a = _mm512_fmadd_ps(x0, _mm512_maskz_loadu_ps(m, r + j), a);
        a = _mm512_fmadd_ps(x1, _mm512_maskz_loadu_ps(m, r + ld + j), a);
        a = _mm512_fmadd_ps(x2, _mm512_maskz_loadu_ps(m, r + 2 * ld + j), a);
        a = _mm512_fmadd_ps(x3, _mm512_maskz_loadu_ps(m, r + 3 * ld + j), a);
        a = _mm512_fmadd_ps(x4, _mm512_maskz_loadu_ps(m, r + 4 * ld + j), a);
        a = _mm512_fmadd_ps(x5, _mm512_maskz_loadu_ps(m, r + 5 * ld + j), a);
        a = _mm512_fmadd_ps(x6, _mm512_maskz_loadu_ps(m, r + 6 * ld + j), a);
        a = _mm512_fmadd_ps(x7, _mm512_maskz_loadu_ps(m, r + 7 * ld + j), a);
        _mm512_store_ps(acc + j, a);
      }
    }
    for (; kk < k; ++kk) {
      const float* r = mat + kk * ld + j0;
      const __m512 xk = _mm512_set1_ps(x[kk]);
      for (index_t j = 0; j < nj; j += 16) {
        const __mmask16 m = j < full ? __mmask16(0xffff) : tail;
        _mm512_store_ps(acc + j, _mm512_fmadd_ps(xk, _mm512_maskz_loadu_ps(m, r + j), _mm512_load_ps(acc + j)));
      }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (index_t j = 0; j < nj; j += 16) {
      const __mmask16 m = j < full ? __mmask16(0xffff) : tail;
      __m512 out = _mm512_mul_ps(va, _mm512_load_ps(acc + j));
      if (beta != 0.0f) out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, y + j0 + j), out);
      _mm512_mask_storeu_ps(y + j0 + j, m, out);
    }
  }
}

inline const detail::GemmArch& gemm_arch() {
  static const detail::GemmArch arch = detail::make_gemm_arch<kGemmMr, kGemmNr, GemmMicro>(
      "avx512 12x32", 240, 256, 2048, &gemv_rows, &gemv_cols);
  return arch;
}

}  // namespace nnocr::kernels::avx512

NNOCR_AVX512_DIAGNOSTICS_POP

#endif
