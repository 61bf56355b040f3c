// gemm_arch.hpp — what an ISA contributes to the GEMM: tile sizes, cache
// blocks, the micro-kernel and the two matrix-vector kernels. The driver in
// gemm.hpp is shared by all ISAs.
#pragma once

#include <array>
#include <utility>

#include "../../core/config.hpp"

namespace nnocr::kernels::detail {

// C[m x n] = alpha * (A panel) * (B panel) + beta * C, with m <= mr and
// n <= nr. The packed A panel holds kc groups of mr values (one per row,
// zero-padded); the B panel holds kc groups of nr values, ldb apart: nr for
// a packed (zero-padded) panel, or B's own row stride when the driver reads
// full-width panels of a non-transposed B in place. When beta == 0, C is
// not read.
using GemmMicroKernel = void (*)(index_t kc, const float* a, const float* b, index_t ldb, float* c, index_t ldc,
                                 int m, int n, float alpha, float beta);

// y[i] = alpha * sum_k mat[i*ld + k] * x[k] + beta * y[i], for i < rows.
using GemvRowsKernel = void (*)(index_t rows, index_t k, const float* mat, index_t ld, const float* x, float* y,
                                float alpha, float beta);

// y[j] = alpha * sum_k x[k] * mat[k*ld + j] + beta * y[j], for j < cols.
using GemvColsKernel = void (*)(index_t cols, index_t k, const float* mat, index_t ld, const float* x, float* y,
                                float alpha, float beta);

struct GemmArch {
  const char* name;
  int mr, nr;              // register tile
  index_t mc, kc, nc;      // cache blocks (mc a multiple of mr)
  GemmMicroKernel micro;
  GemvRowsKernel gemv_rows;
  GemvColsKernel gemv_cols;
};

// A table of micro-kernels specialised on the number of rows (1..MR), so a
// partial tile runs a full-speed kernel with fewer accumulators.
template <int MR, template <int> class Kernel>
struct RowSpecialised {
  template <int... I>
  static constexpr std::array<GemmMicroKernel, MR> make(std::integer_sequence<int, I...>) {
    return {&Kernel<I + 1>::run...};
  }
  static void run(index_t kc, const float* a, const float* b, index_t ldb, float* c, index_t ldc, int m, int n,
                  float alpha, float beta) {
    static constexpr std::array<GemmMicroKernel, MR> table = make(std::make_integer_sequence<int, MR>{});
    table[static_cast<std::size_t>(m - 1)](kc, a, b, ldb, c, ldc, m, n, alpha, beta);
  }
};

// The GemmArch of an ISA whose micro-kernel template is Micro<rows>.
template <int MR, int NR, template <int> class Micro>
GemmArch make_gemm_arch(const char* name, index_t mc, index_t kc, index_t nc, GemvRowsKernel rows,
                        GemvColsKernel cols) {
  return GemmArch{name, MR, NR, mc, kc, nc, &RowSpecialised<MR, Micro>::run, rows, cols};
}

}  // namespace nnocr::kernels::detail
