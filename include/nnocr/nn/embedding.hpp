// embedding.hpp — a lookup table of learned vectors: ids [...] -> [..., dim].
//
//   y[..., :] = W[id, :]          backward: dW[id, :] += dy[..., :]
// (no gradient flows to the integer ids). Initialised N(0, 1) as PyTorch.
// An optional padding id maps to a vector that is zero and never learns.
#pragma once

#include <cstdint>
#include <string>

#include "../core/rng.hpp"
#include "module.hpp"

namespace nnocr::nn {

class Embedding : public Module {
 public:
  Parameter weight;

  Embedding(index_t num_embeddings, index_t dim, Rng& rng, index_t padding_id = -1)
      : num_(num_embeddings), dim_(dim), padding_id_(padding_id) {
    NNOCR_CHECK(num_ > 0 && dim_ > 0, "Embedding: sizes must be positive, got ", num_, "x", dim_);
    NNOCR_CHECK(padding_id < num_, "Embedding: padding id ", padding_id, " is out of range for ", num_, " entries");
    weight.reset({num_, dim_}, false);
    register_parameter("weight", weight);
    for (float& v : weight.value) v = rng.normal(0.0f, 1.0f);
    if (padding_id_ >= 0) std::fill(weight.value.data() + padding_id_ * dim_, weight.value.data() + (padding_id_ + 1) * dim_, 0.0f);
  }

  index_t num_embeddings() const { return num_; }
  index_t dim() const { return dim_; }
  std::string kind() const override { return "Embedding"; }
  std::string describe() const override {
    return "Embedding(" + std::to_string(num_) + ", " + std::to_string(dim_) + ")";
  }

  Tensor<float> forward(const Tensor<std::int32_t>& ids) {
    Tensor<float> y = infer(ids);
    ids_ = ids;
    return y;
  }
  Tensor<float> infer(const Tensor<std::int32_t>& ids) const {
    NNOCR_CHECK(ids.rank() < Shape::max_rank, "Embedding: ids of shape ", ids.shape().str(), " have too many axes");
    Shape s = ids.shape();
    s.push_back(dim_);
    Tensor<float> y(s);
    for (index_t i = 0; i < ids.numel(); ++i) {
      const index_t id = ids[i];
      NNOCR_CHECK(id >= 0 && id < num_, "Embedding: id ", id, " at position ", i, " is out of range [0, ", num_, ")");
      std::copy(weight.value.data() + id * dim_, weight.value.data() + (id + 1) * dim_, y.data() + i * dim_);
    }
    return y;
  }
  void backward(const Tensor<float>& grad_y) {
    NNOCR_CHECK(!ids_.empty(), "Embedding::backward called without a forward");
    NNOCR_CHECK(grad_y.numel() == ids_.numel() * dim_, "Embedding::backward: gradient ", grad_y.shape().str(),
                " does not match ids ", ids_.shape().str(), " x ", dim_);
    for (index_t i = 0; i < ids_.numel(); ++i) {
      const index_t id = ids_[i];
      if (id == padding_id_) continue;
      float* g = weight.grad.data() + id * dim_;
      const float* dy = grad_y.data() + i * dim_;
      for (index_t k = 0; k < dim_; ++k) g[k] += dy[k];
    }
  }

 private:
  index_t num_, dim_, padding_id_;
  Tensor<std::int32_t> ids_;
};

}  // namespace nnocr::nn
