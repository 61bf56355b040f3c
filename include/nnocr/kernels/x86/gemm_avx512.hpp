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

#include <algorithm>

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

// y = alpha * mat^T x + beta * y with mat's rows contiguous (y^T = x^T B).
// Columns go in blocks of up to 32 vectors (512 columns), whose sums stay in
// 32 zmm registers while the block's part of every row streams past: each
// matrix element is loaded once and used by one FMA, and no partial sum goes
// through memory (the earlier kernel kept a chunk of y in L1 and reloaded
// and stored it for every eight rows: 10 memory operations per 8 FMAs).
// Example, cols = 1100: blocks of 512, 512, then 76 columns as 5 vectors
// (the last one masked to 12 lanes).
// Consecutive calls on one thread visit the blocks in alternating order, so
// the block a call ends on, the part of the matrix most recently brought
// into L2, is the block the next call starts with: a matrix about the size
// of L2 (1 MiB here: 256 x 1024) read call after call comes mostly from L2
// instead of L3 (measured 84 -> 91-97 GFLOP/s at 256 x 1024). Each element of
// y sums its products in row order whatever the block order, so results are
// bit-identical from call to call and across any split of the columns
// (threads).
template <int R>
NNOCR_TARGET_AVX512 inline void gemv_cols_block(index_t width, index_t k, const float* NNOCR_RESTRICT mat, index_t ld,
                                                const float* NNOCR_RESTRICT x, float* y, float alpha, float beta) {
  __m512 acc[R];
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps();
  const __mmask16 last = column_mask(static_cast<int>(width - 16 * (R - 1)));
  for (index_t kk = 0; kk < k; ++kk, mat += ld) {
    const __m512 xk = _mm512_set1_ps(x[kk]);
#pragma GCC unroll 32
    for (int i = 0; i < R - 1; ++i) acc[i] = _mm512_fmadd_ps(xk, _mm512_loadu_ps(mat + 16 * i), acc[i]);
    acc[R - 1] = _mm512_fmadd_ps(xk, _mm512_maskz_loadu_ps(last, mat + 16 * (R - 1)), acc[R - 1]);
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i) {
    const __mmask16 m = i == R - 1 ? last : __mmask16(0xffff);
    __m512 out = _mm512_mul_ps(va, acc[i]);
    if (beta != 0.0f) out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, y + 16 * i), out);
    _mm512_mask_storeu_ps(y + 16 * i, m, out);
  }
}

NNOCR_TARGET_AVX512 inline void gemv_cols(index_t cols, index_t k, const float* mat, index_t ld, const float* x,
                                          float* y, float alpha, float beta) {
  constexpr index_t kBlock = 512;
  using Block = void (*)(index_t, index_t, const float*, index_t, const float*, float*, float, float);
  // Narrow blocks for the last cols % 512 columns: 1 to 8 vectors at a time.
  static constexpr Block narrow[8] = {&gemv_cols_block<1>, &gemv_cols_block<2>, &gemv_cols_block<3>,
                                      &gemv_cols_block<4>, &gemv_cols_block<5>, &gemv_cols_block<6>,
                                      &gemv_cols_block<7>, &gemv_cols_block<8>};
  thread_local bool backwards = false;
  backwards = !backwards;
  auto block = [&](index_t j0) {
    const index_t w = std::min(kBlock, cols - j0);
    if (w == kBlock) return gemv_cols_block<32>(w, k, mat + j0, ld, x, y + j0, alpha, beta);
    for (index_t j = j0; j < j0 + w; j += 128) {
      const index_t wj = std::min<index_t>(128, j0 + w - j);
      narrow[(wj + 15) / 16 - 1](wj, k, mat + j, ld, x, y + j, alpha, beta);
    }
  };
  const index_t blocks = (cols + kBlock - 1) / kBlock;
  for (index_t b = 0; b < blocks; ++b) block((backwards ? blocks - 1 - b : b) * kBlock);
}

inline const detail::GemmArch& gemm_arch() {
  static const detail::GemmArch arch = detail::make_gemm_arch<kGemmMr, kGemmNr, GemmMicro>(
      "avx512 12x32", 240, 256, 2048, &gemv_rows, &gemv_cols);
  return arch;
}

}  // namespace nnocr::kernels::avx512

NNOCR_AVX512_DIAGNOSTICS_POP

#endif
