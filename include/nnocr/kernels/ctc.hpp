// ctc.hpp — the hot loops of the CTC loss (the math is in train/ctc.hpp),
// one version per ISA from kernels/detail/ctc.inl, chosen at run time.
//
// Layout shared by the loops: one batch item's T frames x S cells (S = 2L+1
// extended labels) live in a [T, row] float array, cell s of frame t at
// column D + s with D = 16, row = ctc_row_width(S) = D + roundup(S, 16) + 16.
// In the log-probability array `lpl` the caller fills columns
// [D + S, D + roundup(S, 16)) with -inf, so vector lanes past S compute -inf;
// the recursions write -inf into the columns next to the cells that their
// neighbour loads (s-2 .. s+W+1) reach, so no load needs a bounds check.
// Example, L = 2: S = 5, row = 48; cells at columns 16..20, -inf in 21..31.
#pragma once

#include <algorithm>
#include <cmath>

#include "../core/config.hpp"
#include "../simd/isa.hpp"
#include "../simd/math.hpp"

#define NNOCR_FOREACH_NS kernels
#define NNOCR_FOREACH_INL "../kernels/detail/ctc.inl"
#include "../simd/foreach_isa.hpp"

namespace nnocr::kernels {

inline constexpr index_t kCtcColumn = 16;

// Floats per frame row for S cells (see the file comment).
inline index_t ctc_row_width(index_t S) { return kCtcColumn + (S + 15) / 16 * 16 + 16; }

// The CTC loops of one ISA.
struct CtcKernels {
  float (*softmax_row)(const float* x, index_t n, float* prob, float scale);
  bool (*alpha)(const float* lpl, const float* skip, index_t T, index_t S, index_t row, float* out, double* offset);
  unsigned (*alpha_pair)(const float* lpl_a, const float* skip_a, index_t T_a, index_t S_a, index_t row_a, float* out_a,
                         double* offset_a, const float* lpl_b, const float* skip_b, index_t T_b, index_t S_b,
                         index_t row_b, float* out_b, double* offset_b);
  bool (*alpha_beta)(const float* lpl, const float* skip_forward, const float* skip_backward, index_t T, index_t S,
                     index_t row, float* alpha, double* alpha_offset, float* beta, double* beta_offset);
  void (*occupancy)(const float* alpha, const double* alpha_offset, const float* beta, const double* beta_offset,
                    const float* lpl, double log_p, index_t T, index_t S, index_t row, float* post);
};

// The loops of the active ISA (read once per loss call).
inline CtcKernels ctc_kernels() {
#define NNOCR_CTC_KERNELS_(ns) \
  CtcKernels { ns::ctc_softmax_row, ns::ctc_alpha, ns::ctc_alpha_pair, ns::ctc_alpha_beta, ns::ctc_occupancy }
  switch (simd::active_isa()) {
#if NNOCR_ARCH_X86_64
    case simd::Isa::avx512: return NNOCR_CTC_KERNELS_(avx512);
    case simd::Isa::avx2: return NNOCR_CTC_KERNELS_(avx2);
#endif
#if NNOCR_ARCH_AARCH64
    case simd::Isa::neon: return NNOCR_CTC_KERNELS_(neon);
#endif
    default: return NNOCR_CTC_KERNELS_(scalar);
  }
#undef NNOCR_CTC_KERNELS_
}

}  // namespace nnocr::kernels
