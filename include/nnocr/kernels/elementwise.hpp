// elementwise.hpp — y[i] = f(x[i]) over float arrays for f in exp, log,
// tanh, sigmoid, on the active ISA. x and y may be the same array (in place)
// but must not otherwise overlap. Accuracy: see simd/math.inl.
#pragma once

#include "../core/config.hpp"
#include "../simd/math.hpp"
#include "dispatch.hpp"

#define NNOCR_FOREACH_NS kernels
#define NNOCR_FOREACH_INL "../kernels/detail/elementwise.inl"
#include "../simd/foreach_isa.hpp"

namespace nnocr::kernels {

inline void exp(const float* x, float* y, index_t n) { NNOCR_DISPATCH(exp_array, x, y, n) }
inline void log(const float* x, float* y, index_t n) { NNOCR_DISPATCH(log_array, x, y, n) }
inline void tanh(const float* x, float* y, index_t n) { NNOCR_DISPATCH(tanh_array, x, y, n) }
inline void sigmoid(const float* x, float* y, index_t n) { NNOCR_DISPATCH(sigmoid_array, x, y, n) }

}  // namespace nnocr::kernels
