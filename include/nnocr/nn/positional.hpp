// positional.hpp — position information for attention models, added to the
// input sequence: the fixed sinusoidal encoding of Vaswani et al. (2017,
// section 3.5) and a learned table (Gehring et al. 2017; BERT).
//
// Sinusoidal: PE(t, 2i) = sin(t / 10000^(2i/E)), PE(t, 2i+1) = cos(t / 10000^(2i/E))
//   y[t] = x[t] * input_scale + PE(t)           dx = dy * input_scale
//   (input_scale = sqrt(E) is the paper's scaling of token embeddings; 1 by default.)
// Learned: weight [max_length, E] (name "weight"), y[t] = x[t] + weight[t]
//   dx = dy,  dweight[t] += sum over the batch of dy[t]
//   Initialised N(0, 0.02^2) (BERT's choice; torch.nn.Embedding would use N(0, 1)).
// Layout: x [T, N, E], or [N, T, E] with batch_first. infer_step(x [N, E],
// t) adds position t only, for decoding one step at a time.
#pragma once

#include <cmath>
#include <string>

#include "../core/rng.hpp"
#include "module.hpp"

namespace nnocr::nn {

namespace detail {

// y = x * scale + table[t] with t the sequence index of each row.
inline void add_positions(const float* x, const float* table, float* y, index_t T, index_t N, index_t E,
                          bool batch_first, float scale) {
  for (index_t t = 0; t < T; ++t)
    for (index_t n = 0; n < N; ++n) {
      const index_t row = batch_first ? n * T + t : t * N + n;
      const float* in = x + row * E;
      const float* pe = table + t * E;
      float* out = y + row * E;
      for (index_t e = 0; e < E; ++e) out[e] = in[e] * scale + pe[e];
    }
}

inline void check_sequence(const char* who, const Tensor<float>& x, index_t E, bool batch_first) {
  NNOCR_CHECK(x.rank() == 3 && x.size(2) == E, who, ": expected input ", batch_first ? "[N, T, " : "[T, N, ", E,
              "], got ", x.shape().str());
}

}  // namespace detail

class SinusoidalPositionalEncoding : public Layer {
 public:
  // Positions below `precomputed` come from a table made once; later ones
  // are computed when needed.
  explicit SinusoidalPositionalEncoding(index_t d_model, bool batch_first = false, float input_scale = 1.0f,
                                        index_t precomputed = 1024)
      : d_(d_model), batch_first_(batch_first), scale_(input_scale) {
    NNOCR_CHECK(d_model > 0 && precomputed >= 0, "SinusoidalPositionalEncoding: d_model must be positive");
    table_ = table(precomputed, d_model);
  }

  // PE(offset .. offset + length - 1) as [length, d_model].
  static Tensor<float> table(index_t length, index_t d_model, index_t offset = 0) {
    Tensor<float> pe({length, d_model});
    for (index_t t = 0; t < length; ++t)
      for (index_t i = 0; 2 * i < d_model; ++i) {
        const double freq = std::exp(-std::log(10000.0) * static_cast<double>(2 * i) / static_cast<double>(d_model));
        const double angle = static_cast<double>(t + offset) * freq;
        pe(t, 2 * i) = static_cast<float>(std::sin(angle));
        if (2 * i + 1 < d_model) pe(t, 2 * i + 1) = static_cast<float>(std::cos(angle));
      }
    return pe;
  }

  index_t d_model() const { return d_; }
  std::string kind() const override { return "SinusoidalPositionalEncoding"; }
  std::string describe() const override {
    return "SinusoidalPositionalEncoding(" + std::to_string(d_) +
           (scale_ != 1.0f ? ", scale=" + std::to_string(scale_) : "") + ")";
  }

  Tensor<float> forward(const Tensor<float>& x) override {
    shape_ = x.shape();
    return infer(x);
  }
  Tensor<float> infer(const Tensor<float>& x) const override {
    detail::check_sequence("SinusoidalPositionalEncoding", x, d_, batch_first_);
    const index_t T = batch_first_ ? x.size(1) : x.size(0), N = batch_first_ ? x.size(0) : x.size(1);
    Tensor<float> y(x.shape());
    const Tensor<float> extra = T > table_.size(0) ? table(T, d_) : Tensor<float>();
    detail::add_positions(x.data(), extra.empty() ? table_.data() : extra.data(), y.data(), T, N, d_, batch_first_,
                          scale_);
    return y;
  }
  Tensor<float> backward(const Tensor<float>& grad_y) override {
    detail::check_same_shape("SinusoidalPositionalEncoding", shape_, grad_y);
    Tensor<float> dx(grad_y.shape());
    for (index_t i = 0; i < dx.numel(); ++i) dx[i] = grad_y[i] * scale_;
    return dx;
  }

  // x [N, E] at sequence position t -> x * input_scale + PE(t).
  Tensor<float> infer_step(const Tensor<float>& x, index_t t) const {
    NNOCR_CHECK(x.rank() == 2 && x.size(1) == d_ && t >= 0, "SinusoidalPositionalEncoding::infer_step: expected x [N, ",
                d_, "] and t >= 0, got ", x.shape().str(), ", t=", t);
    const Tensor<float> extra = t >= table_.size(0) ? table(1, d_, t) : Tensor<float>();
    const float* pe = extra.empty() ? table_.data() + t * d_ : extra.data();
    Tensor<float> y(x.shape());
    detail::add_positions(x.data(), pe, y.data(), 1, x.size(0), d_, false, scale_);
    return y;
  }

 private:
  index_t d_;
  bool batch_first_;
  float scale_;
  Tensor<float> table_;
  Shape shape_;
};

class LearnedPositionalEmbedding : public Layer {
 public:
  Parameter weight;  // [max_length, d_model]

  LearnedPositionalEmbedding(index_t max_length, index_t d_model, Rng& rng, bool batch_first = false,
                             float init_std = 0.02f)
      : max_len_(max_length), d_(d_model), batch_first_(batch_first) {
    NNOCR_CHECK(max_length > 0 && d_model > 0, "LearnedPositionalEmbedding: sizes must be positive, got ", max_length,
                "x", d_model);
    weight.reset({max_length, d_model}, false);
    register_parameter("weight", weight);
    for (float& v : weight.value) v = rng.normal(0.0f, init_std);
  }

  index_t max_length() const { return max_len_; }
  index_t d_model() const { return d_; }
  std::string kind() const override { return "LearnedPositionalEmbedding"; }
  std::string describe() const override {
    return "LearnedPositionalEmbedding(" + std::to_string(max_len_) + ", " + std::to_string(d_) + ")";
  }

  Tensor<float> forward(const Tensor<float>& x) override {
    shape_ = x.shape();
    return infer(x);
  }
  Tensor<float> infer(const Tensor<float>& x) const override {
    detail::check_sequence("LearnedPositionalEmbedding", x, d_, batch_first_);
    const index_t T = batch_first_ ? x.size(1) : x.size(0), N = batch_first_ ? x.size(0) : x.size(1);
    NNOCR_CHECK(T <= max_len_, "LearnedPositionalEmbedding: sequence of ", T, " positions is longer than max_length ",
                max_len_);
    Tensor<float> y(x.shape());
    detail::add_positions(x.data(), weight.value.data(), y.data(), T, N, d_, batch_first_, 1.0f);
    return y;
  }
  Tensor<float> backward(const Tensor<float>& grad_y) override {
    detail::check_same_shape("LearnedPositionalEmbedding", shape_, grad_y);
    const index_t T = batch_first_ ? shape_[1] : shape_[0], N = batch_first_ ? shape_[0] : shape_[1];
    for (index_t t = 0; t < T; ++t)
      for (index_t n = 0; n < N; ++n) {
        const float* dy = grad_y.data() + (batch_first_ ? n * T + t : t * N + n) * d_;
        float* dw = weight.grad.data() + t * d_;
        for (index_t e = 0; e < d_; ++e) dw[e] += dy[e];
      }
    return grad_y;
  }

  Tensor<float> infer_step(const Tensor<float>& x, index_t t) const {
    NNOCR_CHECK(x.rank() == 2 && x.size(1) == d_ && t >= 0 && t < max_len_,
                "LearnedPositionalEmbedding::infer_step: expected x [N, ", d_, "] and 0 <= t < ", max_len_, ", got ",
                x.shape().str(), ", t=", t);
    Tensor<float> y(x.shape());
    detail::add_positions(x.data(), weight.value.data() + t * d_, y.data(), 1, x.size(0), d_, false, 1.0f);
    return y;
  }

 private:
  index_t max_len_, d_;
  bool batch_first_;
  Shape shape_;
};

}  // namespace nnocr::nn
