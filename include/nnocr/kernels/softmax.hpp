// softmax.hpp — softmax over the rows of a matrix and its backward, on the
// active ISA (bodies in kernels/detail/softmax.inl).
//
//   softmax_rows:           x[r, :] = exp(x[r, :] - max) / sum exp(x[r, :] - max), in place;
//                           a row with no finite maximum (every entry -inf: fully
//                           masked attention scores) becomes all zeros.
//   softmax_rows_backward:  g[r, :] = y[r, :] * (g[r, :] - dot(y[r, :], g[r, :])), in place,
//                           y the softmax output, g dL/dy on entry and dL/dx on exit.
// Rows are n floats long and ld floats apart. Three passes per row (max,
// exp + sum, scale), each whole vectors plus one masked partial vector.
#pragma once

#include <cstdint>  // INT32_MIN in simd/x86/vec_avx512.hpp, which does not include it itself
#include <limits>

#include "../core/config.hpp"
#include "../simd/math.hpp"
#include "dispatch.hpp"

#define NNOCR_FOREACH_NS kernels
#define NNOCR_FOREACH_INL "../kernels/detail/softmax.inl"
#include "../simd/foreach_isa.hpp"

namespace nnocr::kernels {

inline void softmax_rows(float* x, index_t rows, index_t n, index_t ld) { NNOCR_DISPATCH(softmax_rows, x, rows, n, ld) }
inline void softmax_rows_backward(const float* y, float* g, index_t rows, index_t n, index_t ld) {
  NNOCR_DISPATCH(softmax_rows_backward, y, g, rows, n, ld)
}

}  // namespace nnocr::kernels
