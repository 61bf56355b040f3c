// optim.hpp — optimizers (SGD with momentum / Nesterov, Adam, AdamW) and
// gradient clipping by global norm. Update rules follow PyTorch's, so the
// same hyper-parameters mean the same thing:
//   SGD:   g = grad + wd p;  b = mu b + (1 - dampening) g  (b = g at the first step)
//          g = g + mu b (Nesterov) or g = b;  p -= lr g
//   Adam:  g = grad + wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//          p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//   AdamW: as Adam with decoupled decay (Loshchilov & Hutter 2019): p *= 1 - lr wd first.
// Weight decay applies only to parameters marked `decay` (weights; not
// biases or normalisation scales). State tensors are named after the
// parameters ("<name>.momentum", "<name>.exp_avg", ...) for checkpoints.
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "../kernels/optim.hpp"
#include "../nn/module.hpp"

namespace nnocr::train {

using NamedParameters = std::vector<std::pair<std::string, nn::Parameter*>>;

class Optimizer {
 public:
  explicit Optimizer(NamedParameters params, float lr) : params_(std::move(params)), lr_(lr) {
    for (auto& np : params_) NNOCR_CHECK(np.second != nullptr, "optimizer: parameter '", np.first, "' is null");
  }
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual std::string kind() const = 0;
  // One update from the current gradients.
  void step() {
    ++steps_;
    update();
  }
  void zero_grad() {
    for (auto& np : params_) np.second->grad.fill(0.0f);
  }
  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t steps) { steps_ = steps; }
  const NamedParameters& parameters() const { return params_; }

  // Named state tensors (for checkpoints); shapes are the parameters'.
  std::vector<std::pair<std::string, Tensor<float>*>> state() {
    std::vector<std::pair<std::string, Tensor<float>*>> out;
    for (auto& [suffix, tensors] : state_)
      for (std::size_t i = 0; i < params_.size(); ++i) out.emplace_back(params_[i].first + "." + suffix, &tensors[i]);
    return out;
  }

 protected:
  virtual void update() = 0;
  // Adds a per-parameter state slot, zero-initialised.
  std::vector<Tensor<float>>& add_state(const std::string& suffix) {
    std::vector<Tensor<float>> tensors;
    for (auto& np : params_) tensors.emplace_back(np.second->value.shape(), 0.0f);
    state_.emplace_back(suffix, std::move(tensors));
    return state_.back().second;
  }

  NamedParameters params_;
  float lr_;
  std::int64_t steps_ = 0;
  // A deque: add_state() hands out references that must stay valid.
  std::deque<std::pair<std::string, std::vector<Tensor<float>>>> state_;
};

struct SgdConfig {
  float lr = 0.01f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  bool nesterov = false;
  float weight_decay = 0.0f;
};

class Sgd : public Optimizer {
 public:
  Sgd(NamedParameters params, const SgdConfig& config) : Optimizer(std::move(params), config.lr), config_(config) {
    NNOCR_CHECK(config.lr >= 0.0f && config.momentum >= 0.0f && config.weight_decay >= 0.0f,
                "SGD: lr, momentum and weight_decay must be non-negative");
    NNOCR_CHECK(!config.nesterov || (config.momentum > 0.0f && config.dampening == 0.0f),
                "SGD: Nesterov momentum needs momentum > 0 and no dampening");
    if (config.momentum > 0.0f) momentum_ = &add_state("momentum");
  }
  std::string kind() const override { return config_.nesterov ? "SGD(nesterov)" : "SGD"; }

 protected:
  void update() override {
    const float mu = config_.momentum;
    for (std::size_t k = 0; k < params_.size(); ++k) {
      nn::Parameter& p = *params_[k].second;
      const float wd = p.decay ? config_.weight_decay : 0.0f;
      float* w = p.value.data();
      const float* grad = p.grad.data();
      float* b = momentum_ ? (*momentum_)[k].data() : nullptr;
      for (index_t i = 0; i < p.numel(); ++i) {
        float g = grad[i] + wd * w[i];
        if (b) {
          b[i] = steps_ == 1 ? g : mu * b[i] + (1.0f - config_.dampening) * g;
          g = config_.nesterov ? g + mu * b[i] : b[i];
        }
        w[i] -= lr_ * g;
      }
    }
  }

 private:
  SgdConfig config_;
  std::vector<Tensor<float>>* momentum_ = nullptr;
};

struct AdamConfig {
  float lr = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled = false;  // true: AdamW
};

class Adam : public Optimizer {
 public:
  Adam(NamedParameters params, const AdamConfig& config) : Optimizer(std::move(params), config.lr), config_(config) {
    NNOCR_CHECK(config.lr >= 0.0f && config.eps > 0.0f && config.weight_decay >= 0.0f, "Adam: invalid lr/eps/decay");
    NNOCR_CHECK(config.beta1 >= 0.0f && config.beta1 < 1.0f && config.beta2 >= 0.0f && config.beta2 < 1.0f,
                "Adam: betas must be in [0, 1)");
    exp_avg_ = &add_state("exp_avg");
    exp_avg_sq_ = &add_state("exp_avg_sq");
  }
  std::string kind() const override { return config_.decoupled ? "AdamW" : "Adam"; }

 protected:
  void update() override {
    const double t = static_cast<double>(steps_);
    const float b1 = config_.beta1, b2 = config_.beta2;
    const float c1 = static_cast<float>(1.0 - std::pow(static_cast<double>(b1), t));
    const float c2 = static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(b2), t)));
    const float step_size = lr_ / c1;
    for (std::size_t k = 0; k < params_.size(); ++k) {
      nn::Parameter& p = *params_[k].second;
      const float wd = p.decay ? config_.weight_decay : 0.0f;
      kernels::AdamStep st;
      st.shrink = config_.decoupled ? 1.0f - lr_ * wd : 1.0f;
      st.l2 = config_.decoupled ? 0.0f : wd;
      st.beta1 = b1;
      st.beta2 = b2;
      st.step_size = step_size;
      st.bias_correction2 = c2;
      st.eps = config_.eps;
      kernels::adam_update(p.value.data(), p.grad.data(), (*exp_avg_)[k].data(), (*exp_avg_sq_)[k].data(), p.numel(),
                           st);
    }
  }

 private:
  AdamConfig config_;
  std::vector<Tensor<float>>* exp_avg_ = nullptr;
  std::vector<Tensor<float>>* exp_avg_sq_ = nullptr;
};

// AdamW is Adam with decoupled weight decay (default decay 0.01, as PyTorch).
inline AdamConfig adamw_config(float lr = 1e-3f, float weight_decay = 1e-2f) {
  AdamConfig c;
  c.lr = lr;
  c.weight_decay = weight_decay;
  c.decoupled = true;
  return c;
}

// Scales all gradients so that their joint L2 norm is at most max_norm
// (PyTorch's clip_grad_norm_). Returns the norm before clipping; a
// non-finite norm is returned unchanged and the gradients are left alone so
// the caller can skip the step.
inline double clip_grad_norm(const NamedParameters& params, double max_norm) {
  double ss = 0.0;
  for (auto& np : params)
    for (float g : np.second->grad) ss += static_cast<double>(g) * g;
  const double norm = std::sqrt(ss);
  if (!std::isfinite(norm)) return norm;
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0)
    for (auto& np : params)
      for (float& g : np.second->grad) g = static_cast<float>(g * coef);
  return norm;
}

}  // namespace nnocr::train
