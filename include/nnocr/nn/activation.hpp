// activation.hpp — elementwise activations and Dropout, any shape.
//
//   ReLU        y = max(x, 0)                 dy/dx = [x > 0]
//   LeakyReLU   y = x if x > 0 else a x        dy/dx = 1 or a
//   GELU        y = x Phi(x) (exact, erf)      dy/dx = Phi(x) + x phi(x)
//               or the tanh approximation of Hendrycks & Gimpel (2016)
//   Sigmoid     y = 1 / (1 + e^-x)             dy/dx = y (1 - y)
//   Tanh        y = tanh x                     dy/dx = 1 - y^2
//   Dropout     train: y = x m / (1 - p), m ~ Bernoulli(1 - p); eval: y = x
// Sigmoid and Tanh use the vectorised kernels (kernels/elementwise.hpp).
#pragma once

#include <cmath>
#include <string>

#include "../core/rng.hpp"
#include "../kernels/elementwise.hpp"
#include "module.hpp"

namespace nnocr::nn {

namespace detail {

// Common shape of an elementwise layer: `Derived::apply(x, y, n)` computes
// y, `Derived::grad(x, y, dy, dx, n)` the input gradient from the cached
// input and output.
template <class Derived>
class Elementwise : public Layer {
 public:
  Tensor<float> forward(const Tensor<float>& x) override {
    Tensor<float> y = infer(x);
    if (Derived::needs_input) input_ = x;
    output_ = y;
    return y;
  }
  Tensor<float> infer(const Tensor<float>& x) const override {
    Tensor<float> y(x.shape(), uninitialized);
    self().apply(x.data(), y.data(), x.numel());
    return y;
  }
  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(!output_.empty(), kind(), "::backward called without a forward");
    check_same_shape(kind().c_str(), output_.shape(), grad_y);
    Tensor<float> dx(grad_y.shape(), uninitialized);
    self().grad(Derived::needs_input ? input_.data() : nullptr, output_.data(), grad_y.data(), dx.data(),
                grad_y.numel());
    return dx;
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  Tensor<float> input_, output_;
};

}  // namespace detail

class ReLU : public detail::Elementwise<ReLU> {
 public:
  static constexpr bool needs_input = false;
  std::string kind() const override { return "ReLU"; }
  void apply(const float* x, float* y, index_t n) const {
    for (index_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  }
  void grad(const float*, const float* y, const float* dy, float* dx, index_t n) const {
    // dy[i] is read whatever the sign, so the compiler can turn the choice
    // into a vector mask instead of a branch (a mispredicted branch per
    // element made this a twelfth of LeNet's training step).
    for (index_t i = 0; i < n; ++i) {
      const float g = dy[i];
      dx[i] = y[i] > 0.0f ? g : 0.0f;
    }
  }
};

class LeakyReLU : public detail::Elementwise<LeakyReLU> {
 public:
  static constexpr bool needs_input = true;
  explicit LeakyReLU(float negative_slope = 0.01f) : slope_(negative_slope) {}
  float negative_slope() const { return slope_; }
  std::string kind() const override { return "LeakyReLU"; }
  std::string describe() const override { return "LeakyReLU(" + std::to_string(slope_) + ")"; }
  void apply(const float* x, float* y, index_t n) const {
    for (index_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : slope_ * x[i];
  }
  void grad(const float* x, const float*, const float* dy, float* dx, index_t n) const {
    for (index_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : slope_ * dy[i];
  }

 private:
  float slope_;
};

class GELU : public detail::Elementwise<GELU> {
 public:
  static constexpr bool needs_input = true;
  explicit GELU(bool tanh_approximation = false) : approx_(tanh_approximation) {}
  std::string kind() const override { return "GELU"; }
  std::string describe() const override { return approx_ ? "GELU(approximate=tanh)" : "GELU"; }
  void apply(const float* x, float* y, index_t n) const {
    for (index_t i = 0; i < n; ++i) y[i] = static_cast<float>(value(x[i]));
  }
  void grad(const float* x, const float*, const float* dy, float* dx, index_t n) const {
    for (index_t i = 0; i < n; ++i) dx[i] = static_cast<float>(dy[i] * derivative(x[i]));
  }

 private:
  static constexpr double kSqrt2OverPi = 0.7978845608028654, kCubic = 0.044715;
  double value(double x) const {
    if (approx_) return 0.5 * x * (1.0 + std::tanh(kSqrt2OverPi * (x + kCubic * x * x * x)));
    return 0.5 * x * (1.0 + std::erf(x * 0.7071067811865476));
  }
  double derivative(double x) const {
    if (approx_) {
      const double u = kSqrt2OverPi * (x + kCubic * x * x * x), t = std::tanh(u);
      return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * kSqrt2OverPi * (1.0 + 3.0 * kCubic * x * x);
    }
    const double cdf = 0.5 * (1.0 + std::erf(x * 0.7071067811865476));
    const double pdf = 0.3989422804014327 * std::exp(-0.5 * x * x);
    return cdf + x * pdf;
  }
  bool approx_;
};

class Sigmoid : public detail::Elementwise<Sigmoid> {
 public:
  static constexpr bool needs_input = false;
  std::string kind() const override { return "Sigmoid"; }
  void apply(const float* x, float* y, index_t n) const { kernels::sigmoid(x, y, n); }
  void grad(const float*, const float* y, const float* dy, float* dx, index_t n) const {
    for (index_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
  }
};

class Tanh : public detail::Elementwise<Tanh> {
 public:
  static constexpr bool needs_input = false;
  std::string kind() const override { return "Tanh"; }
  void apply(const float* x, float* y, index_t n) const { kernels::tanh(x, y, n); }
  void grad(const float*, const float* y, const float* dy, float* dx, index_t n) const {
    for (index_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
  }
};

// Inverted dropout: scaling at train time, identity at eval time. The mask
// stream comes from the layer's own seeded Rng, so a run is reproducible;
// Module::reseed_streams restarts it (resumable training).
class Dropout : public Layer {
 public:
  explicit Dropout(float p = 0.5f, std::uint64_t seed = 0x5eed) : p_(p), rng_(seed, 0x0d5) {
    NNOCR_CHECK(p >= 0.0f && p < 1.0f, "Dropout: p=", p, " must be in [0, 1)");
  }
  float p() const { return p_; }
  std::string kind() const override { return "Dropout"; }
  std::string describe() const override { return "Dropout(" + std::to_string(p_) + ")"; }

  Tensor<float> forward(const Tensor<float>& x) override {
    mask_ = Tensor<float>(x.shape(), 1.0f);
    if (training() && p_ > 0.0f) {
      const float keep = 1.0f / (1.0f - p_);
      for (float& m : mask_) m = rng_.uniform() < p_ ? 0.0f : keep;
    }
    Tensor<float> y(x.shape(), uninitialized);
    for (index_t i = 0; i < x.numel(); ++i) y[i] = x[i] * mask_[i];
    return y;
  }
  Tensor<float> infer(const Tensor<float>& x) const override { return x; }
  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(!mask_.empty(), "Dropout::backward called without a forward");
    detail::check_same_shape("Dropout", mask_.shape(), grad_y);
    Tensor<float> dx(grad_y.shape(), uninitialized);
    for (index_t i = 0; i < dx.numel(); ++i) dx[i] = grad_y[i] * mask_[i];
    return dx;
  }

 protected:
  void on_reseed(std::uint64_t seed) override { rng_ = Rng(seed, 0x0d5); }

 private:
  float p_;
  Rng rng_;
  Tensor<float> mask_;
};

}  // namespace nnocr::nn
