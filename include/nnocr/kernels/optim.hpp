// optim.hpp — the element-wise update of Adam and AdamW (train/optim.hpp)
// on the active ISA (bodies in kernels/detail/optim.inl). For each i:
//   w = w * shrink;  g = grad + l2 * w
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   w = w - step_size * m / (sqrt(v) / bias_correction2 + eps)
// ISAs agree to rounding (see the .inl).
#pragma once

#include <cstdint>  // INT32_MIN in simd/x86/vec_avx512.hpp, which does not include it itself

#include "../core/config.hpp"
#include "../simd/math.hpp"
#include "dispatch.hpp"

namespace nnocr::kernels {

struct AdamStep {
  float shrink = 1.0f, l2 = 0.0f, beta1 = 0.9f, beta2 = 0.999f;
  float step_size = 1e-3f, bias_correction2 = 1.0f, eps = 1e-8f;
};

}  // namespace nnocr::kernels

#define NNOCR_FOREACH_NS kernels
#define NNOCR_FOREACH_INL "../kernels/detail/optim.inl"
#include "../simd/foreach_isa.hpp"

namespace nnocr::kernels {

inline void adam_update(float* w, const float* grad, float* m, float* v, index_t n, const AdamStep& s) {
  NNOCR_DISPATCH(adam_update, w, grad, m, v, n, s)
}

}  // namespace nnocr::kernels
