// batchnorm.hpp — batch normalisation (Ioffe & Szegedy 2015) over the
// channel axis: BatchNorm2d for [N, C, H, W], BatchNorm1d for [N, C] or
// [N, C, L].
//
// For channel c, with M = N * (spatial size) values x_i:
//   train: mu = mean(x_i), var = mean((x_i - mu)^2)  (biased, used to normalise)
//          running_mean <- (1 - m) running_mean + m mu
//          running_var  <- (1 - m) running_var  + m var * M / (M - 1)  (unbiased, as PyTorch)
//   eval:  mu, var = running_mean, running_var
//   y_i = gamma xhat_i + beta,  xhat_i = (x_i - mu) / sqrt(var + eps)
// Backward in train mode (mu and var depend on every x_i):
//   dgamma += sum dy_i xhat_i,  dbeta += sum dy_i
//   dx_i = gamma / sqrt(var + eps) * (dy_i - mean(dy) - xhat_i mean(dy xhat))
// and in eval mode dx_i = gamma dy_i / sqrt(running_var + eps).
// Parameters "weight" (gamma) and "bias" (beta); buffers "running_mean",
// "running_var" — PyTorch's names. Channels run in parallel.
#pragma once

#include <cmath>
#include <vector>
#include <string>

#include "../core/thread_pool.hpp"
#include "module.hpp"

namespace nnocr::nn {

struct BatchNormConfig {
  index_t channels = 1;
  float eps = 1e-5f;
  float momentum = 0.1f;
  bool affine = true;
};

namespace detail {

// Sums of one plane: 16 float partial sums the compiler can keep in vector
// registers, folded into double per plane (each partial sums L / 16 values,
// a few hundred for a text-line feature map, so float loses nothing that
// matters).
inline double plane_sum(const float* p, index_t L) {
  float acc[16] = {};
  index_t i = 0;
  for (; i + 16 <= L; i += 16)
    for (int k = 0; k < 16; ++k) acc[k] += p[i + k];
  double s = 0.0;
  for (; i < L; ++i) s += p[i];
  for (float a : acc) s += a;
  return s;
}

inline double plane_dot(const float* p, const float* q, index_t L) {
  float acc[16] = {};
  index_t i = 0;
  for (; i + 16 <= L; i += 16)
    for (int k = 0; k < 16; ++k) acc[k] += p[i + k] * q[i + k];
  double s = 0.0;
  for (; i < L; ++i) s += static_cast<double>(p[i]) * q[i];
  for (float a : acc) s += a;
  return s;
}

inline double plane_squared_deviation(const float* p, index_t L, float mean) {
  float acc[16] = {};
  index_t i = 0;
  for (; i + 16 <= L; i += 16)
    for (int k = 0; k < 16; ++k) acc[k] += (p[i + k] - mean) * (p[i + k] - mean);
  double s = 0.0;
  for (; i < L; ++i) s += static_cast<double>(p[i] - mean) * (p[i] - mean);
  for (float a : acc) s += a;
  return s;
}

class BatchNormBase : public Layer {
 public:
  Parameter weight, bias;
  Tensor<float> running_mean, running_var;

  BatchNormBase(const BatchNormConfig& config, const char* kind, int min_rank, int max_rank)
      : config_(config), kind_(kind), min_rank_(min_rank), max_rank_(max_rank) {
    NNOCR_CHECK(config.channels > 0 && config.eps > 0.0f && config.momentum >= 0.0f && config.momentum <= 1.0f,
                kind, ": channels must be positive, eps positive, momentum in [0, 1]");
    weight.reset({config.channels}, false);
    bias.reset({config.channels}, false);
    weight.value.fill(1.0f);
    if (config.affine) {
      register_parameter("weight", weight);
      register_parameter("bias", bias);
    }
    running_mean = Tensor<float>({config.channels}, 0.0f);
    running_var = Tensor<float>({config.channels}, 1.0f);
    register_buffer("running_mean", running_mean);
    register_buffer("running_var", running_var);
  }

  const BatchNormConfig& config() const { return config_; }
  std::string kind() const override { return kind_; }
  std::string describe() const override {
    return kind_ + "(" + std::to_string(config_.channels) + (config_.affine ? "" : ", affine=false") + ")";
  }

  Tensor<float> forward(const Tensor<float>& x) override {
    const index_t L = spatial(x), C = config_.channels, N = x.size(0);
    Tensor<float> y(x.shape(), uninitialized);
    if (xhat_.shape() != x.shape()) xhat_ = Tensor<float>(x.shape(), uninitialized);  // every element written below
    inv_std_ = Tensor<float>({C});
    batch_stats_ = training();
    const index_t M = N * L;
    NNOCR_CHECK(!batch_stats_ || M > 1, kind_, ": training needs more than one value per channel, got input ",
                x.shape().str());
    parallel_for(C, 1, [&](index_t c0, index_t c1) {
      for (index_t c = c0; c < c1; ++c) {
        float mean = running_mean[c], var = running_var[c];
        if (batch_stats_) {
          double s = 0.0;
          for (index_t n = 0; n < N; ++n) s += plane_sum(x.data() + (n * C + c) * L, L);
          const double mu = s / static_cast<double>(M);
          double ss = 0.0;
          for (index_t n = 0; n < N; ++n)
            ss += plane_squared_deviation(x.data() + (n * C + c) * L, L, static_cast<float>(mu));
          mean = static_cast<float>(mu);
          var = static_cast<float>(ss / static_cast<double>(M));
          const float m = config_.momentum;
          running_mean[c] = (1.0f - m) * running_mean[c] + m * mean;
          running_var[c] = (1.0f - m) * running_var[c] +
                           m * static_cast<float>(ss / static_cast<double>(M - 1));
        }
        const float inv = 1.0f / std::sqrt(var + config_.eps);
        inv_std_[c] = inv;
        const float g = weight.value[c], b = bias.value[c];
        for (index_t n = 0; n < N; ++n) {
          const index_t off = (n * C + c) * L;
          const float* xp = x.data() + off;
          float* hp = xhat_.data() + off;
          float* yp = y.data() + off;
          for (index_t i = 0; i < L; ++i) {
            const float h = (xp[i] - mean) * inv;
            hp[i] = h;
            yp[i] = g * h + b;
          }
        }
      }
    });
    return y;
  }

  // Eval mode as y = x * scale[c] + shift[c] (what a preceding convolution
  // can absorb).
  void eval_affine(std::vector<float>& scale, std::vector<float>& shift) const {
    const index_t C = config_.channels;
    scale.resize(static_cast<std::size_t>(C));
    shift.resize(static_cast<std::size_t>(C));
    for (index_t c = 0; c < C; ++c) {
      const float inv = 1.0f / std::sqrt(running_var[c] + config_.eps);
      scale[static_cast<std::size_t>(c)] = weight.value[c] * inv;
      shift[static_cast<std::size_t>(c)] = bias.value[c] - running_mean[c] * scale[static_cast<std::size_t>(c)];
    }
  }

  Tensor<float> infer(const Tensor<float>& x) const override {
    const index_t L = spatial(x), C = config_.channels, N = x.size(0);
    Tensor<float> y(x.shape(), uninitialized);
    std::vector<float> scale, shift;
    eval_affine(scale, shift);
    for (index_t n = 0; n < N; ++n)
      for (index_t c = 0; c < C; ++c) {
        const float a = scale[static_cast<std::size_t>(c)], b = shift[static_cast<std::size_t>(c)];
        const float* xp = x.data() + (n * C + c) * L;
        float* yp = y.data() + (n * C + c) * L;
        for (index_t i = 0; i < L; ++i) yp[i] = xp[i] * a + b;
      }
    return y;
  }

  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(!xhat_.empty(), kind_, "::backward called without a forward");
    check_same_shape(kind_.c_str(), xhat_.shape(), grad_y);
    const index_t L = spatial(xhat_), C = config_.channels, N = xhat_.size(0);
    const index_t M = N * L;
    Tensor<float> dx(xhat_.shape(), uninitialized);
    parallel_for(C, 1, [&](index_t c0, index_t c1) {
      for (index_t c = c0; c < c1; ++c) {
        double sum_dy = 0.0, sum_dy_xhat = 0.0;
        for (index_t n = 0; n < N; ++n) {
          const index_t off = (n * C + c) * L;
          sum_dy += plane_sum(grad_y.data() + off, L);
          sum_dy_xhat += plane_dot(grad_y.data() + off, xhat_.data() + off, L);
        }
        if (config_.affine) {
          weight.grad[c] += static_cast<float>(sum_dy_xhat);
          bias.grad[c] += static_cast<float>(sum_dy);
        }
        const float k = weight.value[c] * inv_std_[c];
        const float mean_dy = batch_stats_ ? static_cast<float>(sum_dy / static_cast<double>(M)) : 0.0f;
        const float mean_dy_xhat = batch_stats_ ? static_cast<float>(sum_dy_xhat / static_cast<double>(M)) : 0.0f;
        for (index_t n = 0; n < N; ++n) {
          const index_t off = (n * C + c) * L;
          const float* dy = grad_y.data() + off;
          const float* h = xhat_.data() + off;
          float* d = dx.data() + off;
          for (index_t i = 0; i < L; ++i) d[i] = k * (dy[i] - mean_dy - h[i] * mean_dy_xhat);
        }
      }
    });
    return dx;
  }

 private:
  index_t spatial(const Tensor<float>& x) const {
    NNOCR_CHECK(x.rank() >= min_rank_ && x.rank() <= max_rank_ && x.size(1) == config_.channels, kind_,
                ": expected input [N, ", config_.channels, max_rank_ == 4 ? ", H, W]" : "] or [N, C, L]", ", got ",
                x.shape().str());
    index_t L = 1;
    for (int d = 2; d < x.rank(); ++d) L *= x.size(d);
    return L;
  }

  BatchNormConfig config_;
  std::string kind_;
  int min_rank_, max_rank_;
  Tensor<float> xhat_, inv_std_;
  bool batch_stats_ = true;
};

}  // namespace detail

class BatchNorm2d : public detail::BatchNormBase {
 public:
  explicit BatchNorm2d(const BatchNormConfig& config) : BatchNormBase(config, "BatchNorm2d", 4, 4) {}
  explicit BatchNorm2d(index_t channels) : BatchNorm2d(BatchNormConfig{channels}) {}
};

class BatchNorm1d : public detail::BatchNormBase {
 public:
  explicit BatchNorm1d(const BatchNormConfig& config) : BatchNormBase(config, "BatchNorm1d", 2, 3) {}
  explicit BatchNorm1d(index_t channels) : BatchNorm1d(BatchNormConfig{channels}) {}
};

}  // namespace nnocr::nn
