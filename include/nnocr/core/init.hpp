// init.hpp — seeded random initialisation of float tensors.
//
// Fan-in and fan-out follow PyTorch's convention: for a weight of shape
// [out, in, k...] fan_in = in * prod(k) and fan_out = out * prod(k), so
// initialisations match torch.nn.init for the same shapes.
//   Xavier/Glorot (Glorot & Bengio 2010): uniform(-a, a), a = gain*sqrt(6/(fan_in+fan_out))
//                                         normal(0, gain*sqrt(2/(fan_in+fan_out)))
//   He/Kaiming   (He et al. 2015):        normal(0, sqrt(2/fan_in)), uniform(-a, a), a = sqrt(6/fan_in)
#pragma once

#include <cmath>

#include "rng.hpp"
#include "tensor.hpp"

namespace nnocr {

inline void fill_uniform(TensorView<float> t, Rng& rng, float lo, float hi) {
  t.for_each([&](float& v) { v = rng.uniform(lo, hi); });
}

inline void fill_normal(TensorView<float> t, Rng& rng, float mean, float stddev) {
  t.for_each([&](float& v) { v = rng.normal(mean, stddev); });
}

// A new tensor of the given shape, each value drawn from normal(mean, stddev).
inline Tensor<float> normal_tensor(const Shape& shape, Rng& rng, float mean = 0.0f, float stddev = 1.0f) {
  Tensor<float> t(shape);
  fill_normal(t, rng, mean, stddev);
  return t;
}

struct Fans {
  double fan_in = 1, fan_out = 1;
};

// Fans of a weight tensor of shape [out, in, k...] (rank >= 2) or [n]
// (rank 1: both fans are n).
inline Fans compute_fans(const Shape& shape) {
  NNOCR_CHECK(shape.rank() >= 1, "cannot compute fans of a rank-0 tensor");
  if (shape.rank() == 1) return {static_cast<double>(shape[0]), static_cast<double>(shape[0])};
  double receptive = 1;
  for (int d = 2; d < shape.rank(); ++d) receptive *= static_cast<double>(shape[d]);
  return {static_cast<double>(shape[1]) * receptive, static_cast<double>(shape[0]) * receptive};
}

inline void xavier_uniform(TensorView<float> t, Rng& rng, float gain = 1.0f) {
  Fans f = compute_fans(t.shape());
  auto a = static_cast<float>(gain * std::sqrt(6.0 / (f.fan_in + f.fan_out)));
  fill_uniform(t, rng, -a, a);
}

inline void xavier_normal(TensorView<float> t, Rng& rng, float gain = 1.0f) {
  Fans f = compute_fans(t.shape());
  fill_normal(t, rng, 0.0f, static_cast<float>(gain * std::sqrt(2.0 / (f.fan_in + f.fan_out))));
}

inline void he_normal(TensorView<float> t, Rng& rng) {
  Fans f = compute_fans(t.shape());
  fill_normal(t, rng, 0.0f, static_cast<float>(std::sqrt(2.0 / f.fan_in)));
}

inline void he_uniform(TensorView<float> t, Rng& rng) {
  Fans f = compute_fans(t.shape());
  auto a = static_cast<float>(std::sqrt(6.0 / f.fan_in));
  fill_uniform(t, rng, -a, a);
}

}  // namespace nnocr
