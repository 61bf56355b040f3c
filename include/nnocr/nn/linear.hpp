// linear.hpp — fully connected layer, y = x W^T + b, on the last axis.
//
// Layout: x [..., in], weight [out, in] (PyTorch's layout, so weights carry
// over by name), bias [out], y [..., out]. With X the input as an [M, in]
// matrix (M = product of the leading axes):
//   forward   Y  = X W^T + b
//   backward  dW += dY^T X,  db += column sums of dY,  dX = dY W
// Three GEMMs; the GEMM threads itself and never splits the reduction axis,
// so results do not depend on the thread count.
// Initialisation as PyTorch: W, b ~ U(-1/sqrt(in), 1/sqrt(in)).
#pragma once

#include <cmath>
#include <string>

#include "../core/rng.hpp"
#include "../kernels/gemm.hpp"
#include "module.hpp"

namespace nnocr::nn {

class Linear : public Layer {
 public:
  Parameter weight, bias;

  Linear(index_t in_features, index_t out_features, Rng& rng, bool with_bias = true)
      : in_(in_features), out_(out_features), has_bias_(with_bias) {
    NNOCR_CHECK(in_ > 0 && out_ > 0, "Linear: sizes must be positive, got in=", in_, " out=", out_);
    weight.reset({out_, in_});
    register_parameter("weight", weight);
    if (has_bias_) {
      bias.reset({out_}, false);
      register_parameter("bias", bias);
    }
    const float bound = 1.0f / std::sqrt(static_cast<float>(in_));
    for (float& v : weight.value) v = rng.uniform(-bound, bound);
    if (has_bias_)
      for (float& v : bias.value) v = rng.uniform(-bound, bound);
  }

  index_t in_features() const { return in_; }
  index_t out_features() const { return out_; }
  bool has_bias() const { return has_bias_; }
  std::string kind() const override { return "Linear"; }
  std::string describe() const override {
    return "Linear(" + std::to_string(in_) + ", " + std::to_string(out_) + (has_bias_ ? "" : ", bias=false") + ")";
  }

  Tensor<float> forward(const Tensor<float>& x) override {
    Tensor<float> y = infer(x);
    input_ = x;
    return y;
  }

  Tensor<float> infer(const Tensor<float>& x) const override {
    check_input(x);
    const index_t M = x.numel() / in_;
    Shape out_shape = x.shape();
    out_shape[out_shape.rank() - 1] = out_;
    Tensor<float> y(out_shape);
    if (M == 0) return y;
    if (has_bias_)
      for (index_t m = 0; m < M; ++m) std::copy(bias.value.begin(), bias.value.end(), y.data() + m * out_);
    kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, M, out_, in_, 1.0f, x.data(), in_, weight.value.data(),
                   in_, has_bias_ ? 1.0f : 0.0f, y.data(), out_);
    return y;
  }

  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(!input_.empty(), "Linear::backward called without a forward");
    Shape out_shape = input_.shape();
    out_shape[out_shape.rank() - 1] = out_;
    nn::detail::check_same_shape("Linear", out_shape, grad_y);
    const index_t M = input_.numel() / in_;
    Tensor<float> dx(input_.shape(), 0.0f);
    if (M == 0) return dx;
    kernels::sgemm(kernels::Trans::yes, kernels::Trans::no, out_, in_, M, 1.0f, grad_y.data(), out_,
                   input_.data(), in_, 1.0f, weight.grad.data(), in_);
    if (has_bias_) {
      float* db = bias.grad.data();
      for (index_t m = 0; m < M; ++m) {
        const float* row = grad_y.data() + m * out_;
        for (index_t o = 0; o < out_; ++o) db[o] += row[o];
      }
    }
    kernels::sgemm(kernels::Trans::no, kernels::Trans::no, M, in_, out_, 1.0f, grad_y.data(), out_,
                   weight.value.data(), in_, 0.0f, dx.data(), in_);
    return dx;
  }

 private:
  void check_input(const Tensor<float>& x) const {
    NNOCR_CHECK(x.rank() >= 1 && x.size(-1) == in_, "Linear: expected input [..., ", in_, "], got ",
                x.shape().str());
  }

  index_t in_, out_;
  bool has_bias_;
  Tensor<float> input_;
};

}  // namespace nnocr::nn
