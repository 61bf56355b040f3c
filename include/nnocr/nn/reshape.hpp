// reshape.hpp — Flatten: [N, d1, d2, ...] -> [N, d1 d2 ...] (the data does
// not move; backward restores the input shape).
#pragma once

#include <string>

#include "module.hpp"

namespace nnocr::nn {

class Flatten : public Layer {
 public:
  // Axes start_axis..end of the input become one axis (PyTorch's start_dim).
  explicit Flatten(int start_axis = 1) : start_(start_axis) {
    NNOCR_CHECK(start_axis >= 0, "Flatten: start_axis must be non-negative");
  }
  std::string kind() const override { return "Flatten"; }

  Tensor<float> forward(const Tensor<float>& x) override {
    input_shape_ = x.shape();
    return infer(x);
  }
  Tensor<float> infer(const Tensor<float>& x) const override {
    NNOCR_CHECK(x.rank() > start_, "Flatten: input ", x.shape().str(), " has no axis ", start_);
    Shape s;
    index_t rest = 1;
    for (int d = 0; d < x.rank(); ++d) {
      if (d < start_)
        s.push_back(x.size(d));
      else
        rest *= x.size(d);
    }
    s.push_back(rest);
    Tensor<float> y = x;
    y.set_shape(s);
    return y;
  }
  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(input_shape_.rank() > 0, "Flatten::backward called without a forward");
    NNOCR_CHECK(grad_y.numel() == input_shape_.numel(), "Flatten::backward: gradient ", grad_y.shape().str(),
                " does not match the input ", input_shape_.str());
    Tensor<float> dx = grad_y;
    dx.set_shape(input_shape_);
    return dx;
  }

 private:
  int start_;
  Shape input_shape_;
};

}  // namespace nnocr::nn
