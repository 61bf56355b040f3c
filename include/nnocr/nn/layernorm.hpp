// layernorm.hpp — layer normalisation (Ba, Kiros & Hinton 2016) over the
// last axis.
//
// For each row x of length D (the last axis):
//   mu = mean(x), var = mean((x - mu)^2), xhat = (x - mu) / sqrt(var + eps)
//   y = gamma * xhat + beta
// Backward, per row, with g = dy * gamma:
//   dgamma += dy * xhat,  dbeta += dy
//   dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps)
// Parameters "weight" (gamma, ones) and "bias" (beta, zeros) as PyTorch.
// Rows run in parallel; dgamma/dbeta are summed per fixed chunk of rows and
// the chunks added in order (thread-count independent).
#pragma once

#include <cmath>
#include <string>

#include "../core/thread_pool.hpp"
#include "module.hpp"

namespace nnocr::nn {

class LayerNorm : public Layer {
 public:
  Parameter weight, bias;

  explicit LayerNorm(index_t features, float eps = 1e-5f, bool affine = true)
      : features_(features), eps_(eps), affine_(affine) {
    NNOCR_CHECK(features > 0 && eps > 0.0f, "LayerNorm: features must be positive and eps positive");
    weight.reset({features}, false);
    bias.reset({features}, false);
    weight.value.fill(1.0f);
    if (affine) {
      register_parameter("weight", weight);
      register_parameter("bias", bias);
    }
  }

  index_t features() const { return features_; }
  std::string kind() const override { return "LayerNorm"; }
  std::string describe() const override { return "LayerNorm(" + std::to_string(features_) + ")"; }

  Tensor<float> forward(const Tensor<float>& x) override {
    check(x);
    xhat_ = Tensor<float>(x.shape());
    inv_std_ = Tensor<float>({x.numel() / features_});
    return run(x, &xhat_, &inv_std_);
  }
  Tensor<float> infer(const Tensor<float>& x) const override {
    check(x);
    return run(x, nullptr, nullptr);
  }

  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(!xhat_.empty(), "LayerNorm::backward called without a forward");
    detail::check_same_shape("LayerNorm", xhat_.shape(), grad_y);
    const index_t D = features_, rows = xhat_.numel() / D;
    Tensor<float> dx(xhat_.shape());
    const index_t chunks = std::min<index_t>(rows, 8), per_chunk = chunks ? (rows + chunks - 1) / chunks : 0;
    Tensor<float> parts({std::max<index_t>(chunks, 1), 2 * D}, 0.0f);
    parallel_for(chunks, 1, [&](index_t k0, index_t k1) {
      for (index_t k = k0; k < k1; ++k) {
        float* dgamma = parts.data() + k * 2 * D;
        float* dbeta = dgamma + D;
        for (index_t r = k * per_chunk; r < std::min(rows, (k + 1) * per_chunk); ++r) {
          const float* dy = grad_y.data() + r * D;
          const float* h = xhat_.data() + r * D;
          float* d = dx.data() + r * D;
          double sum_g = 0.0, sum_gh = 0.0;
          for (index_t i = 0; i < D; ++i) {
            const float g = dy[i] * weight.value[i];
            sum_g += g;
            sum_gh += static_cast<double>(g) * h[i];
            dgamma[i] += dy[i] * h[i];
            dbeta[i] += dy[i];
          }
          const float mean_g = static_cast<float>(sum_g / D), mean_gh = static_cast<float>(sum_gh / D);
          const float inv = inv_std_[r];
          for (index_t i = 0; i < D; ++i) d[i] = (dy[i] * weight.value[i] - mean_g - h[i] * mean_gh) * inv;
        }
      }
    });
    if (affine_)
      for (index_t k = 0; k < chunks; ++k)
        for (index_t i = 0; i < D; ++i) {
          weight.grad[i] += parts[k * 2 * D + i];
          bias.grad[i] += parts[k * 2 * D + D + i];
        }
    return dx;
  }

 private:
  void check(const Tensor<float>& x) const {
    NNOCR_CHECK(x.rank() >= 1 && x.size(-1) == features_, "LayerNorm: expected input [..., ", features_, "], got ",
                x.shape().str());
  }
  Tensor<float> run(const Tensor<float>& x, Tensor<float>* xhat, Tensor<float>* inv_std) const {
    const index_t D = features_, rows = x.numel() / D;
    Tensor<float> y(x.shape());
    parallel_for(rows, 16, [&](index_t r0, index_t r1) {
      for (index_t r = r0; r < r1; ++r) {
        const float* in = x.data() + r * D;
        double s = 0.0;
        for (index_t i = 0; i < D; ++i) s += in[i];
        const double mu = s / D;
        double ss = 0.0;
        for (index_t i = 0; i < D; ++i) ss += (in[i] - mu) * (in[i] - mu);
        const float inv = static_cast<float>(1.0 / std::sqrt(ss / D + eps_));
        const float m = static_cast<float>(mu);
        float* out = y.data() + r * D;
        for (index_t i = 0; i < D; ++i) {
          const float h = (in[i] - m) * inv;
          if (xhat) (*xhat)[r * D + i] = h;
          out[i] = h * weight.value[i] + bias.value[i];
        }
        if (inv_std) (*inv_std)[r] = inv;
      }
    });
    return y;
  }

  index_t features_;
  float eps_;
  bool affine_;
  Tensor<float> xhat_, inv_std_;
};

}  // namespace nnocr::nn
