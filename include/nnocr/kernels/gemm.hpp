// gemm.hpp — single-precision matrix multiply, C = alpha * op(A) * op(B) + beta * C.
//
// Row-major, like cblas_sgemm(CblasRowMajor, ...): op(A) is M x K, op(B) is
// K x N, C is M x N; lda, ldb, ldc are the distances between rows. When
// beta == 0, C is only written, never read (NaNs in it do not leak).
//
// How it is fast (the BLIS/GotoBLAS design, Goto & van de Geijn 2008):
//
//   for jc in N by NC:                 B block KC x NC lives in L2/L3
//     for pc in K by KC:
//       pack op(B)[pc:+KC, jc:+NC] into NR-wide column panels
//       for ic in M by MC:  (parallel) A block MC x KC lives in L2
//         pack op(A)[ic:+MC, pc:+KC] into MR-tall row panels
//         for jr in NC by NR:          B micro-panel KC x NR stays in L1
//           for ir in MC by MR:
//             micro-kernel: C[MR x NR] += A panel (KC x MR) * B panel (KC x NR)
//
// Packing copies each block once into the exact order the micro-kernel
// reads it, so the innermost loop streams contiguous memory whatever the
// transposes and leading dimensions, and zero-pads the ragged edges. Each
// ISA supplies only the micro-kernel and its tile sizes (GemmArch): 12x32 on
// AVX-512, 6x16 on AVX2, 8x12 on NEON, 4x8 in portable C++. Partial tiles use
// a micro-kernel specialised for fewer rows and masked stores for fewer
// columns, so edges run at vector speed (no scalar cliff).
//
// Matrix-vector products (M == 1 or N == 1, an LSTM step with batch 1) skip
// packing: they are memory-bound, so they stream the matrix once with
// either row dot products or column AXPYs, whichever reads it contiguously.
//
// Threads: the work is cut into (MC row block, group of NR panels) items
// handed to the thread pool. Every C element is summed in the same order
// whatever the thread count, so results are bit-identical for 1..n threads.
#pragma once

#include <algorithm>
#include <cstring>

#include "../core/aligned.hpp"
#include "../core/config.hpp"
#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/thread_pool.hpp"
#include "../simd/isa.hpp"
#include "detail/gemm_arch.hpp"
#include "detail/gemm_scalar.hpp"
#include "x86/gemm_avx2.hpp"
#include "x86/gemm_avx512.hpp"
#include "arm/gemm_neon.hpp"

#if NNOCR_ARCH_X86_64
#include <immintrin.h>
#elif NNOCR_ARCH_AARCH64
#include <arm_neon.h>
#endif

namespace nnocr::kernels {

enum class Trans : bool { no = false, yes = true };

// The micro-kernel set for an ISA.
inline const detail::GemmArch& gemm_arch(simd::Isa isa) {
  switch (isa) {
#if NNOCR_ARCH_X86_64
    case simd::Isa::avx512:
      return avx512::gemm_arch();
    case simd::Isa::avx2:
      return avx2::gemm_arch();
#endif
#if NNOCR_ARCH_AARCH64
    case simd::Isa::neon:
      return neon::gemm_arch();
#endif
    default:
      return scalar::gemm_arch();
  }
}

namespace detail {

// Scratch that lives as long as its thread: packing buffers are reused, so
// steady-state GEMMs do not allocate.
inline AlignedBuffer<float>& thread_scratch(int which) {
  thread_local AlignedBuffer<float> buffers[3];
  return buffers[which];
}

// dst[k * stride + r] = src[r * ld + k] for r < lines, k < kb, and 0 for
// lines <= r < stride (the zero padding of a ragged panel): the packing step
// that gathers one value from each of several rows. Blocks of 4 x 4 are
// transposed in registers with the baseline vector unit (SSE on x86-64, NEON
// on AArch64), which is several times faster than a strided scalar gather.
inline void gather_transpose(const float* src, index_t ld, int lines, index_t kb, float* dst, int stride) {
  int r = 0;
#if NNOCR_ARCH_X86_64 || NNOCR_ARCH_AARCH64
  for (; r + 4 <= lines; r += 4) {
    const float* s0 = src + r * ld;
    const float* s1 = s0 + ld;
    const float* s2 = s1 + ld;
    const float* s3 = s2 + ld;
    index_t k = 0;
    for (; k + 4 <= kb; k += 4) {
#if NNOCR_ARCH_X86_64
      __m128 a = _mm_loadu_ps(s0 + k), b = _mm_loadu_ps(s1 + k), c = _mm_loadu_ps(s2 + k), d = _mm_loadu_ps(s3 + k);
      _MM_TRANSPOSE4_PS(a, b, c, d);
      _mm_storeu_ps(dst + (k + 0) * stride + r, a);
      _mm_storeu_ps(dst + (k + 1) * stride + r, b);
      _mm_storeu_ps(dst + (k + 2) * stride + r, c);
      _mm_storeu_ps(dst + (k + 3) * stride + r, d);
#else
      const float32x4_t a = vld1q_f32(s0 + k), b = vld1q_f32(s1 + k), c = vld1q_f32(s2 + k), d = vld1q_f32(s3 + k);
      const float32x4_t ab0 = vtrn1q_f32(a, b), ab1 = vtrn2q_f32(a, b), cd0 = vtrn1q_f32(c, d), cd1 = vtrn2q_f32(c, d);
      const auto lo = [](float32x4_t x, float32x4_t y) {
        return vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(x), vreinterpretq_f64_f32(y)));
      };
      const auto hi = [](float32x4_t x, float32x4_t y) {
        return vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(x), vreinterpretq_f64_f32(y)));
      };
      vst1q_f32(dst + (k + 0) * stride + r, lo(ab0, cd0));
      vst1q_f32(dst + (k + 1) * stride + r, lo(ab1, cd1));
      vst1q_f32(dst + (k + 2) * stride + r, hi(ab0, cd0));
      vst1q_f32(dst + (k + 3) * stride + r, hi(ab1, cd1));
#endif
    }
    for (; k < kb; ++k) {
      float* d = dst + k * stride + r;
      d[0] = s0[k];
      d[1] = s1[k];
      d[2] = s2[k];
      d[3] = s3[k];
    }
  }
#endif
  for (; r < lines; ++r) {
    const float* s = src + r * ld;
    for (index_t k = 0; k < kb; ++k) dst[k * stride + r] = s[k];
  }
  if (lines < stride)
    for (index_t k = 0; k < kb; ++k) std::fill(dst + k * stride + lines, dst + (k + 1) * stride, 0.0f);
}

// op(A)[i0:i0+mb, p0:p0+kb] into panels of MR rows: panel q holds, for each
// k, the MR values of rows q*MR .. q*MR+MR-1 (zero past mb).
inline void pack_a(const float* A, index_t lda, bool trans, index_t i0, index_t p0, index_t mb, index_t kb,
                   int mr, float* dst) {
  for (index_t q = 0; q < mb; q += mr) {
    const int rows = static_cast<int>(std::min<index_t>(mr, mb - q));
    if (trans) {  // op(A)(i, k) = A[k][i]: each k is a contiguous run of rows
      for (index_t k = 0; k < kb; ++k) {
        const float* src = A + (p0 + k) * lda + i0 + q;
        float* d = dst + k * mr;
        for (int r = 0; r < rows; ++r) d[r] = src[r];
        for (int r = rows; r < mr; ++r) d[r] = 0.0f;
      }
    } else {  // op(A)(i, k) = A[i][k]: gather one value from each row
      gather_transpose(A + (i0 + q) * lda + p0, lda, rows, kb, dst, mr);
    }
    dst += kb * mr;
  }
}

// kb rows of NR contiguous floats, ld apart, to dst (rows NR apart). NR
// fixed at compile time: the copies become a few vector moves instead of a
// call to memcpy per row, which took a tenth of `nnocr read` (16-float
// rows, 2026-12-08).
template <int NR>
inline void copy_panel(const float* src, index_t ld, index_t kb, float* dst) {
  for (index_t k = 0; k < kb; ++k) std::memcpy(dst + k * NR, src + k * ld, sizeof(float) * NR);
}

// op(B)[p0:p0+kb, j0:j0+nb] into panels of NR columns (zero past nb).
inline void pack_b(const float* B, index_t ldb, bool trans, index_t p0, index_t j0, index_t kb, index_t nb,
                   int nr, index_t panel_begin, index_t panel_end, float* dst) {
  for (index_t q = panel_begin; q < panel_end; ++q) {
    const index_t j = q * nr;
    const int cols = static_cast<int>(std::min<index_t>(nr, nb - j));
    float* d = dst + q * kb * nr;
    if (!trans) {  // op(B)(k, j) = B[k][j]: rows are contiguous
      const float* src = B + p0 * ldb + j0 + j;
      if (cols == nr) {  // a full panel, with the micro-kernels' widths
        switch (nr) {
          case 8: copy_panel<8>(src, ldb, kb, d); continue;
          case 12: copy_panel<12>(src, ldb, kb, d); continue;
          case 16: copy_panel<16>(src, ldb, kb, d); continue;
          case 32: copy_panel<32>(src, ldb, kb, d); continue;
          default: break;
        }
      }
      for (index_t k = 0; k < kb; ++k) {
        std::memcpy(d + k * nr, src + k * ldb, sizeof(float) * static_cast<std::size_t>(cols));
        for (int c = cols; c < nr; ++c) d[k * nr + c] = 0.0f;
      }
    } else {  // op(B)(k, j) = B[j][k]
      gather_transpose(B + (j0 + j) * ldb + p0, ldb, cols, kb, d, nr);
    }
  }
}

// C = beta * C (beta == 0 writes zeros, so NaNs in C do not survive).
inline void scale_matrix(index_t M, index_t N, float beta, float* C, index_t ldc) {
  for (index_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f)
      std::fill(c, c + N, 0.0f);
    else if (beta != 1.0f)
      for (index_t j = 0; j < N; ++j) c[j] *= beta;
  }
}

// Matrix-vector product y = alpha * op(M) x + beta * y where `by_rows` means
// y[i] = dot(row i of the stored matrix, x), else y[j] = sum_k x[k] * row k [j].
inline void gemv(const GemmArch& arch, bool by_rows, index_t ny, index_t nx, const float* mat, index_t ld,
                 const float* x, index_t incx, float* y, index_t incy, float alpha, float beta, ThreadPool* pool) {
  const float* xc = x;
  if (incx != 1) {
    auto& buf = thread_scratch(0);
    buf.reserve_discard(nx);
    for (index_t k = 0; k < nx; ++k) buf.data()[k] = x[k * incx];
    xc = buf.data();
  }
  float* yc = y;
  if (incy != 1) {
    auto& buf = thread_scratch(1);
    buf.reserve_discard(ny);
    for (index_t i = 0; i < ny; ++i) buf.data()[i] = beta == 0.0f ? 0.0f : y[i * incy];
    yc = buf.data();
  }
  // Chunks of at least ~256K matrix elements each; fixed by the shape alone.
  const index_t grain_elems = index_t{1} << 18;
  const index_t align = 64;
  index_t grain = std::max<index_t>(align, (grain_elems / std::max<index_t>(nx, 1) + align - 1) / align * align);
  auto run = [&](index_t b, index_t e) {
    if (by_rows)
      arch.gemv_rows(e - b, nx, mat + b * ld, ld, xc, yc + b, alpha, beta);
    else
      arch.gemv_cols(e - b, nx, mat + b, ld, xc, yc + b, alpha, beta);
  };
  if (pool && ny > grain)
    pool->parallel_for(ny, grain, run);
  else
    run(0, ny);
  if (incy != 1)
    for (index_t i = 0; i < ny; ++i) y[i * incy] = yc[i];
}

inline void gemm_blocked(const GemmArch& arch, bool ta, bool tb, index_t M, index_t N, index_t K, float alpha,
                         const float* A, index_t lda, const float* B, index_t ldb, float beta, float* C,
                         index_t ldc, ThreadPool* pool) {
  const int mr = arch.mr, nr = arch.nr;
  const index_t mc = arch.mc, kc = arch.kc, nc = arch.nc;
  const int threads = pool ? pool->size() : 1;
  AlignedBuffer<float>& bbuf = thread_scratch(2);
  bbuf.reserve_discard(kc * ((std::min(nc, N) + nr - 1) / nr) * nr);
  float* bpack = bbuf.data();
  // With few rows, packing B would cost about as much as the arithmetic it
  // feeds (each element of B serves only M multiply-adds), so full-width
  // panels of a non-transposed B are read in place, ldb apart; only a ragged
  // last panel is packed.
  const bool direct_b = !tb && M <= 4 * mr;
  // Equal K blocks (576 = 3 x 192, not 256 + 256 + 64): a short last block
  // would pay a full pass over C for little arithmetic.
  const index_t kblocks = (K + kc - 1) / kc;
  const index_t kstep = (K + kblocks - 1) / kblocks;
  // Row blocks come in a multiple of the thread count where M allows, and
  // hold equal numbers of MR-row tiles (+-1), so that threads finish
  // together (1024 rows on 2 threads: 6 blocks of 14-15 tiles, not 5 of 20
  // and one idle thread a sixth of the time). Each C element sums its
  // products in the same order whatever the blocks.
  const index_t tiles = (M + mr - 1) / mr;
  index_t mblocks = (M + mc - 1) / mc;
  if (threads > 1) mblocks = std::min(tiles, (mblocks + threads - 1) / threads * threads);
  auto block_row = [&](index_t ib) { return std::min(M, ib * tiles / mblocks * mr); };

  for (index_t jc = 0; jc < N; jc += nc) {
    const index_t nb = std::min(nc, N - jc);
    const index_t panels = (nb + nr - 1) / nr;
    for (index_t pc = 0; pc < K; pc += kstep) {
      const index_t kb = std::min(kstep, K - pc);
      const float beta_block = pc == 0 ? beta : 1.0f;

      auto pack_panels = [&](index_t b, index_t e) { pack_b(B, ldb, tb, pc, jc, kb, nb, nr, b, e, bpack); };
      // With threads and enough panels, each thread takes its own group of
      // panels across every row block, and packs that part of B itself: its
      // share of the packed B (0.5 MiB of 1 MiB at 1024^3 on 2 threads) then
      // stays in its own L2 for all the row blocks, instead of every thread
      // streaming all of it from L3 for each row block; A blocks are packed
      // by each thread (a K-block's A is a small fraction of its work).
      const bool split_columns = threads > 1 && !direct_b && panels >= 4 * threads && mblocks >= 2;
      if (split_columns) {
        // packed inside the work items
      } else if (direct_b) {
        if (nb % nr) pack_panels(panels - 1, panels);  // only the ragged last panel
      } else if (threads > 1 && panels >= 8) {
        pool->parallel_for(panels, 4, pack_panels);
      } else {
        pack_panels(0, panels);
      }

      // Work items: (row block, group of panels). With few row blocks the
      // panels are split too, so every thread has work.
      index_t groups = 1;
      if (split_columns)
        groups = threads;
      else if (threads > 1 && mblocks < 2 * threads)
        groups = std::min<index_t>(panels, (2 * threads + mblocks - 1) / mblocks);
      const index_t panels_per_group = (panels + groups - 1) / groups;
      groups = (panels + panels_per_group - 1) / panels_per_group;

      auto work = [&](index_t item_begin, index_t item_end) {
        AlignedBuffer<float>& abuf = thread_scratch(0);
        abuf.reserve_discard(((mc + mr - 1) / mr) * mr * kc);
        float* apack = abuf.data();
        index_t packed_block = -1, packed_group = -1;
        for (index_t item = item_begin; item < item_end; ++item) {
          // Items go row block by row block; with split columns, group by group.
          const index_t ib = split_columns ? item % mblocks : item / groups;
          const index_t g = split_columns ? item / mblocks : item % groups;
          const index_t ic = block_row(ib), mb = block_row(ib + 1) - ic;
          const index_t q_end = std::min(panels, (g + 1) * panels_per_group);
          if (split_columns && packed_group != g) {
            pack_panels(g * panels_per_group, q_end);
            packed_group = g;
          }
          if (packed_block != ib) {
            pack_a(A, lda, ta, ic, pc, mb, kb, mr, apack);
            packed_block = ib;
          }
          for (index_t q = g * panels_per_group; q < q_end; ++q) {
            const index_t j = q * nr;
            const int n = static_cast<int>(std::min<index_t>(nr, nb - j));
            const bool in_place = direct_b && n == nr;
            const float* bp = in_place ? B + pc * ldb + jc + j : bpack + q * kb * nr;
            const index_t bstride = in_place ? ldb : nr;
            for (index_t ir = 0; ir < mb; ir += mr) {
              const int m = static_cast<int>(std::min<index_t>(mr, mb - ir));
              arch.micro(kb, apack + ir * kb, bp, bstride, C + (ic + ir) * ldc + jc + j, ldc, m, n, alpha,
                         beta_block);
            }
          }
        }
      };
      const index_t items = mblocks * groups;
      if (threads > 1 && items > 1)
        pool->parallel_for(items, split_columns ? mblocks : 1, work);
      else
        work(0, items);
    }
  }
}

}  // namespace detail

// C = alpha * op(A) * op(B) + beta * C on the active ISA; see the file
// comment. `pool` (default: the default pool) supplies threads; pass a
// one-thread pool or call from inside a parallel_for to stay serial.
// Throws nnocr::Error for negative sizes, too-small leading dimensions or
// null pointers with non-empty sizes.
inline void sgemm(Trans trans_a, Trans trans_b, index_t M, index_t N, index_t K, float alpha, const float* A,
                  index_t lda, const float* B, index_t ldb, float beta, float* C, index_t ldc,
                  ThreadPool* pool = nullptr) {
  const bool ta = trans_a == Trans::yes, tb = trans_b == Trans::yes;
  NNOCR_CHECK(M >= 0 && N >= 0 && K >= 0, "sgemm: negative size M=", M, " N=", N, " K=", K);
  NNOCR_CHECK(lda >= std::max<index_t>(1, ta ? M : K), "sgemm: lda=", lda, " is less than the ",
              ta ? "M=" : "K=", ta ? M : K, " columns of A");
  NNOCR_CHECK(ldb >= std::max<index_t>(1, tb ? K : N), "sgemm: ldb=", ldb, " is less than the ",
              tb ? "K=" : "N=", tb ? K : N, " columns of B");
  NNOCR_CHECK(ldc >= std::max<index_t>(1, N), "sgemm: ldc=", ldc, " is less than the N=", N, " columns of C");
  if (M == 0 || N == 0) return;
  NNOCR_CHECK(C != nullptr, "sgemm: C is null for a ", M, "x", N, " result");
  if (K == 0 || alpha == 0.0f) return detail::scale_matrix(M, N, beta, C, ldc);
  NNOCR_CHECK(A != nullptr && B != nullptr, "sgemm: A or B is null for M=", M, " N=", N, " K=", K);

  const detail::GemmArch& arch = gemm_arch(simd::active_isa());
  ThreadPool* threads = pool ? pool : &default_pool();
  // Below ~64K multiply-adds, waking threads costs more than it saves.
  if (static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) < 65536.0) threads = nullptr;

  if (N == 1)  // y = op(A) x, x = column 0 of op(B)
    return detail::gemv(arch, !ta, M, K, A, lda, B, tb ? 1 : ldb, C, ldc, alpha, beta, threads);
  if (M == 1)  // y^T = x^T op(B), x = row 0 of op(A)
    return detail::gemv(arch, tb, N, K, B, ldb, A, ta ? lda : 1, C, 1, alpha, beta, threads);
  detail::gemm_blocked(arch, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, threads);
}

// Tensor form: C = alpha * op(A) op(B) + beta * C for rank-2 views whose rows
// are contiguous (stride 1 along the last axis). Shapes are checked.
inline void matmul(TensorView<const float> A, Trans trans_a, TensorView<const float> B, Trans trans_b,
                   TensorView<float> C, float alpha = 1.0f, float beta = 0.0f, ThreadPool* pool = nullptr) {
  NNOCR_CHECK(A.rank() == 2 && B.rank() == 2 && C.rank() == 2, "matmul: expected rank-2 operands, got A ",
              A.shape().str(), ", B ", B.shape().str(), ", C ", C.shape().str());
  NNOCR_CHECK((A.stride(1) == 1 || A.size(1) <= 1) && (B.stride(1) == 1 || B.size(1) <= 1) &&
                  (C.stride(1) == 1 || C.size(1) <= 1),
              "matmul: rows must be contiguous (stride 1 on the last axis)");
  const bool ta = trans_a == Trans::yes, tb = trans_b == Trans::yes;
  const index_t M = ta ? A.size(1) : A.size(0), K = ta ? A.size(0) : A.size(1);
  const index_t Kb = tb ? B.size(1) : B.size(0), N = tb ? B.size(0) : B.size(1);
  NNOCR_CHECK(K == Kb, "matmul: inner sizes differ: op(A) is ", M, "x", K, " (A ", A.shape().str(), "), op(B) is ",
              Kb, "x", N, " (B ", B.shape().str(), ")");
  NNOCR_CHECK(C.size(0) == M && C.size(1) == N, "matmul: C has shape ", C.shape().str(), ", expected [", M, ", ",
              N, "]");
  auto ld = [](const auto& v) { return std::max<index_t>({v.size(1), v.stride(0), 1}); };
  sgemm(trans_a, trans_b, M, N, K, alpha, A.data(), ld(A), B.data(), ld(B), beta, C.data(), ld(C), pool);
}

}  // namespace nnocr::kernels
