// gradcheck.hpp — checks a layer's hand-written backward against central
// finite differences.
//
// With a fixed random R of the output's shape, the scalar L(x, theta) =
// sum(forward(x) * R) has dL/dy = R, so backward(R) must give dL/dx and add
// dL/dtheta into the parameter gradients. Each checked entry v is perturbed
// by +-h and compared with the central difference
//   (L(v + h) - L(v - h)) / (2 h)       (error O(h^2) for smooth layers).
// The forward runs in float, L is summed in double; an entry passes when
//   |analytic - numeric| <= atol + rtol |numeric|.
// Layers with kinks (ReLU, max pooling) need inputs farther than h from the
// kinks; the tests build such inputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "../core/rng.hpp"
#include "../nn/module.hpp"

namespace nnocr::train {

struct GradCheckOptions {
  float step = 1e-2f;
  double rtol = 1e-2, atol = 1e-3;
  index_t max_checks_per_tensor = 64;  // random entries per tensor (all when fewer)
  std::uint64_t seed = 1234;
};

struct GradCheckResult {
  double worst_ratio = 0.0;  // max |a - n| / (atol + rtol |n|); passes when <= 1
  std::string worst;         // "param weight[17]: analytic 0.1, numeric 0.2"
  index_t checked = 0;
  bool ok() const { return worst_ratio <= 1.0; }
};

namespace detail {

inline double weighted_sum(const Tensor<float>& y, const Tensor<float>& r) {
  double s = 0.0;
  for (index_t i = 0; i < y.numel(); ++i) s += static_cast<double>(y[i]) * r[i];
  return s;
}

}  // namespace detail

// Checks dL/dx and every parameter gradient of `layer` at input `x`.
inline GradCheckResult check_gradients(nn::Layer& layer, Tensor<float> x, const GradCheckOptions& options = {}) {
  Rng rng(options.seed, 77);
  Tensor<float> y = layer.forward(x);
  Tensor<float> r(y.shape());
  for (float& v : r) v = rng.normal();
  layer.zero_grad();
  const Tensor<float> dx = layer.backward(r);
  NNOCR_CHECK(dx.shape() == x.shape(), "check_gradients: backward returned ", dx.shape().str(), " for input ",
              x.shape().str());

  GradCheckResult result;
  auto check_tensor = [&](const std::string& label, float* values, index_t n, const float* analytic) {
    std::vector<index_t> picks;
    if (n <= options.max_checks_per_tensor) {
      for (index_t i = 0; i < n; ++i) picks.push_back(i);
    } else {
      for (index_t k = 0; k < options.max_checks_per_tensor; ++k)
        picks.push_back(static_cast<index_t>(rng.uniform_index(static_cast<std::uint64_t>(n))));
    }
    for (index_t i : picks) {
      const float saved = values[i];
      values[i] = saved + options.step;
      const double plus = detail::weighted_sum(layer.forward(x), r);
      values[i] = saved - options.step;
      const double minus = detail::weighted_sum(layer.forward(x), r);
      values[i] = saved;
      const double numeric = (plus - minus) / (2.0 * static_cast<double>(options.step));
      const double ratio = std::abs(analytic[i] - numeric) / (options.atol + options.rtol * std::abs(numeric));
      ++result.checked;
      if (ratio > result.worst_ratio) {
        result.worst_ratio = ratio;
        result.worst = label + "[" + std::to_string(i) + "]: analytic " + std::to_string(analytic[i]) +
                       ", numeric " + std::to_string(numeric);
      }
    }
  };

  check_tensor("input", x.data(), x.numel(), dx.data());
  for (auto& [name, p] : layer.named_parameters()) {
    const Tensor<float> analytic = p->grad;
    check_tensor("param " + name, p->value.data(), p->numel(), analytic.data());
  }
  return result;
}

}  // namespace nnocr::train
