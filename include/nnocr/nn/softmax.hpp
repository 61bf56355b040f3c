// softmax.hpp — Softmax and LogSoftmax over the last axis.
//
//   softmax(x)_i     = e^(x_i - m) / sum_j e^(x_j - m),  m = max_j x_j (for stability)
//   log_softmax(x)_i = x_i - m - log sum_j e^(x_j - m)
// Backward, per row:
//   softmax:      dx = y * (dy - sum(dy * y))
//   log_softmax:  dx = dy - e^y * sum(dy)
// The free functions work on [rows, n] arrays and are what the losses use.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "../core/thread_pool.hpp"
#include "../kernels/elementwise.hpp"
#include "module.hpp"

namespace nnocr::nn {

// y[r, :] = log_softmax(x[r, :]) for each of `rows` rows of length n.
// x and y may be the same array.
inline void log_softmax_rows(const float* x, float* y, index_t rows, index_t n) {
  parallel_for(rows, 64, [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const float* in = x + r * n;
      float* out = y + r * n;
      const float m = *std::max_element(in, in + n);
      for (index_t i = 0; i < n; ++i) out[i] = in[i] - m;
      double s = 0.0;
      for (index_t i = 0; i < n; ++i) s += std::exp(static_cast<double>(out[i]));
      const float lse = static_cast<float>(std::log(s));
      for (index_t i = 0; i < n; ++i) out[i] -= lse;
    }
  });
}

inline void softmax_rows(const float* x, float* y, index_t rows, index_t n) {
  parallel_for(rows, 64, [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const float* in = x + r * n;
      float* out = y + r * n;
      const float m = *std::max_element(in, in + n);
      for (index_t i = 0; i < n; ++i) out[i] = in[i] - m;
      kernels::exp(out, out, n);
      double s = 0.0;
      for (index_t i = 0; i < n; ++i) s += out[i];
      const float inv = static_cast<float>(1.0 / s);
      for (index_t i = 0; i < n; ++i) out[i] *= inv;
    }
  });
}

namespace detail {

template <bool Log>
class SoftmaxLayer : public Layer {
 public:
  std::string kind() const override { return Log ? "LogSoftmax" : "Softmax"; }
  Tensor<float> forward(const Tensor<float>& x) override {
    output_ = infer(x);
    return output_;
  }
  Tensor<float> infer(const Tensor<float>& x) const override {
    NNOCR_CHECK(x.rank() >= 1 && x.size(-1) > 0, kind(), ": expected input [..., C] with C > 0, got ",
                x.shape().str());
    Tensor<float> y(x.shape());
    const index_t n = x.size(-1);
    if (Log)
      log_softmax_rows(x.data(), y.data(), x.numel() / n, n);
    else
      softmax_rows(x.data(), y.data(), x.numel() / n, n);
    return y;
  }
  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(!output_.empty(), kind(), "::backward called without a forward");
    check_same_shape(kind().c_str(), output_.shape(), grad_y);
    const index_t n = output_.size(-1), rows = output_.numel() / n;
    Tensor<float> dx(grad_y.shape());
    for (index_t r = 0; r < rows; ++r) {
      const float* y = output_.data() + r * n;
      const float* dy = grad_y.data() + r * n;
      float* d = dx.data() + r * n;
      double s = 0.0;
      if (Log) {
        for (index_t i = 0; i < n; ++i) s += dy[i];
        for (index_t i = 0; i < n; ++i) d[i] = dy[i] - std::exp(y[i]) * static_cast<float>(s);
      } else {
        for (index_t i = 0; i < n; ++i) s += static_cast<double>(dy[i]) * y[i];
        for (index_t i = 0; i < n; ++i) d[i] = y[i] * (dy[i] - static_cast<float>(s));
      }
    }
    return dx;
  }

 private:
  Tensor<float> output_;
};

}  // namespace detail

class Softmax : public detail::SoftmaxLayer<false> {};
class LogSoftmax : public detail::SoftmaxLayer<true> {};

}  // namespace nnocr::nn
