// transformer.hpp — Transformer encoder and decoder layers (Vaswani et al.
// 2017), with torch.nn.TransformerEncoderLayer / TransformerDecoderLayer's
// structure and parameter names (self_attn.*, multihead_attn.*, linear1,
// linear2, norm1, norm2, norm3), so weights carry over by name.
//
//   FF(x) = dropout3(linear2(dropout(act(linear1(x)))))     act: ReLU or GELU (exact)
// Encoder, post-norm (norm_first = false, the 2017 paper):
//   h = norm1(x + dropout1(SA(x)));  y = norm2(h + FF(h))
// Encoder, pre-norm (norm_first = true; Xiong et al. 2020):
//   h = x + dropout1(SA(norm1(x)));  y = h + FF(norm2(h))
// Decoder, post-norm, with memory m (the encoder output):
//   h1 = norm1(x + dropout1(SA(x)));  h2 = norm2(h1 + dropout2(CA(h1, m)));  y = norm3(h2 + FF(h2))
// Decoder, pre-norm:
//   h1 = x + dropout1(SA(norm1(x)));  h2 = h1 + dropout2(CA(norm2(h1), m));  y = h2 + FF(norm3(h2))
// (SA: self-attention, CA: cross-attention; in the encoder FF's last dropout
// is dropout2, in the decoder dropout3.) Backward runs the same chains in
// reverse; a residual sum passes its gradient to both branches.
//
// Layout: [T, N, E], or [N, T, E] with batch_first. Masks are
// AttentionMask (nn/attention.hpp); a decoder's self-attention usually wants
// AttentionMask::causal_mask().
//
// Incremental decoding: TransformerDecoderLayer::start() projects the memory
// once; infer_step() then takes the newest position [N, E] of each sequence,
// appends its self-attention key and value to the cache and returns that
// position's output — the same numbers as infer() over the whole prefix with
// a causal mask, at O(t) attention cost per step instead of O(t^2).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "activation.hpp"
#include "attention.hpp"
#include "layernorm.hpp"
#include "linear.hpp"
#include "module.hpp"

namespace nnocr::nn {

enum class FeedForwardActivation { relu, gelu };

struct TransformerLayerConfig {
  index_t d_model = 512;
  index_t nhead = 8;
  index_t dim_feedforward = 2048;
  float dropout = 0.1f;
  FeedForwardActivation activation = FeedForwardActivation::relu;
  float layer_norm_eps = 1e-5f;
  bool batch_first = false;
  bool norm_first = false;
  std::uint64_t seed = 0x7f0;  // dropout streams
};

namespace detail {

inline Tensor<float> sum_tensors(const Tensor<float>& a, const Tensor<float>& b) {
  NNOCR_CHECK(a.shape() == b.shape(), "transformer: adding ", a.shape().str(), " and ", b.shape().str());
  Tensor<float> out(a.shape());
  for (index_t i = 0; i < a.numel(); ++i) out[i] = a[i] + b[i];
  return out;
}
inline void add_in_place(Tensor<float>& a, const Tensor<float>& b) {
  NNOCR_CHECK(a.shape() == b.shape(), "transformer: adding ", b.shape().str(), " into ", a.shape().str());
  for (index_t i = 0; i < a.numel(); ++i) a[i] += b[i];
}

inline MultiheadAttentionConfig attention_config(const TransformerLayerConfig& c, std::uint64_t seed) {
  MultiheadAttentionConfig m;
  m.embed_dim = c.d_model;
  m.num_heads = c.nhead;
  m.dropout = c.dropout;
  m.batch_first = c.batch_first;
  m.seed = seed;
  return m;
}

// The position-wise feed-forward block shared by both layers; holds
// references to the owning layer's registered members.
struct FeedForwardBlock {
  Linear& linear1;
  Dropout& dropout;
  Linear& linear2;
  Dropout& dropout_out;
  ReLU& relu;
  GELU& gelu;
  bool use_gelu;

  Tensor<float> forward(const Tensor<float>& x) {
    Tensor<float> h = linear1.forward(x);
    h = use_gelu ? gelu.forward(h) : relu.forward(h);
    return dropout_out.forward(linear2.forward(dropout.forward(h)));
  }
  Tensor<float> backward(const Tensor<float>& dy) {
    Tensor<float> g = linear2.backward(dropout_out.backward(dy));
    g = dropout.backward(g);
    g = use_gelu ? gelu.backward(g) : relu.backward(g);
    return linear1.backward(g);
  }
};

// max(x, 0) in place. Blocks of a fixed 16 let g++ -O2 vectorise the loop
// (its cheap cost model refuses unknown trip counts); a scalar loop here
// compiles to a branch that random signs mispredict half of the time.
inline void relu_in_place(float* x, index_t n) {
  index_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (index_t k = 0; k < 16; ++k) x[i + k] = std::max(x[i + k], 0.0f);
  for (; i < n; ++i) x[i] = std::max(x[i], 0.0f);
}

inline Tensor<float> feed_forward_infer(const Linear& linear1, const Linear& linear2, bool use_gelu,
                                        const Tensor<float>& x) {
  Tensor<float> h = linear1.infer(x);
  if (use_gelu)
    h = GELU().infer(h);
  else
    relu_in_place(h.data(), h.numel());
  return linear2.infer(h);
}

inline void check_transformer_config(const TransformerLayerConfig& c, const char* who) {
  NNOCR_CHECK(c.d_model > 0 && c.nhead > 0 && c.d_model % c.nhead == 0 && c.dim_feedforward > 0, who, ": d_model ",
              c.d_model, " must be a positive multiple of nhead ", c.nhead, " and dim_feedforward positive");
}

}  // namespace detail

class TransformerEncoderLayer : public Layer {
 public:
  MultiheadAttention self_attn;
  Linear linear1;
  Dropout dropout;
  Linear linear2;
  LayerNorm norm1, norm2;
  Dropout dropout1, dropout2;

  TransformerEncoderLayer(const TransformerLayerConfig& config, Rng& rng)
      : self_attn(detail::attention_config(checked(config), config.seed), rng),
        linear1(config.d_model, config.dim_feedforward, rng),
        dropout(config.dropout, config.seed + 1),
        linear2(config.dim_feedforward, config.d_model, rng),
        norm1(config.d_model, config.layer_norm_eps),
        norm2(config.d_model, config.layer_norm_eps),
        dropout1(config.dropout, config.seed + 2),
        dropout2(config.dropout, config.seed + 3),
        cfg_(config) {
    register_module("self_attn", self_attn);
    register_module("linear1", linear1);
    register_module("dropout", dropout);
    register_module("linear2", linear2);
    register_module("norm1", norm1);
    register_module("norm2", norm2);
    register_module("dropout1", dropout1);
    register_module("dropout2", dropout2);
  }

  const TransformerLayerConfig& config() const { return cfg_; }
  std::string kind() const override { return "TransformerEncoderLayer"; }
  std::string describe() const override {
    return "TransformerEncoderLayer(" + std::to_string(cfg_.d_model) + ", heads=" + std::to_string(cfg_.nhead) +
           ", ff=" + std::to_string(cfg_.dim_feedforward) + (cfg_.norm_first ? ", pre-norm" : ", post-norm") +
           (cfg_.activation == FeedForwardActivation::gelu ? ", gelu" : "") + ")";
  }

  // x [T, N, E] (batch_first: [N, T, E]) -> same shape.
  Tensor<float> forward(const Tensor<float>& x) override { return forward(x, AttentionMask{}); }
  Tensor<float> forward(const Tensor<float>& x, const AttentionMask& mask) {
    input_shape_ = x.shape();
    if (cfg_.norm_first) {
      const Tensor<float> n1 = norm1.forward(x);
      Tensor<float> h = detail::sum_tensors(x, dropout1.forward(self_attn.forward(n1, n1, n1, mask)));
      detail::add_in_place(h, ff().forward(norm2.forward(h)));
      return h;
    }
    const Tensor<float> h = norm1.forward(detail::sum_tensors(x, dropout1.forward(self_attn.forward(x, x, x, mask))));
    return norm2.forward(detail::sum_tensors(h, ff().forward(h)));
  }

  Tensor<float> backward(const Tensor<float>& grad_y) override {
    detail::check_same_shape("TransformerEncoderLayer", input_shape_, grad_y);
    if (cfg_.norm_first) {
      Tensor<float> dh = grad_y;
      detail::add_in_place(dh, norm2.backward(ff().backward(grad_y)));
      detail::add_in_place(dh, norm1.backward(self_attn.backward(dropout1.backward(dh)).sum()));
      return dh;
    }
    const Tensor<float> ds2 = norm2.backward(grad_y);
    Tensor<float> dh = detail::sum_tensors(ds2, ff().backward(ds2));
    Tensor<float> ds1 = norm1.backward(dh);
    detail::add_in_place(ds1, self_attn.backward(dropout1.backward(ds1)).sum());
    return ds1;
  }

  Tensor<float> infer(const Tensor<float>& x) const override { return infer(x, AttentionMask{}); }
  Tensor<float> infer(const Tensor<float>& x, const AttentionMask& mask) const {
    if (cfg_.norm_first) {
      const Tensor<float> n1 = norm1.infer(x);
      Tensor<float> h = detail::sum_tensors(x, self_attn.infer(n1, n1, n1, mask));
      detail::add_in_place(h, ff_infer(norm2.infer(h)));
      return h;
    }
    const Tensor<float> h = norm1.infer(detail::sum_tensors(x, self_attn.infer(x, x, x, mask)));
    return norm2.infer(detail::sum_tensors(h, ff_infer(h)));
  }

 private:
  static const TransformerLayerConfig& checked(const TransformerLayerConfig& c) {
    detail::check_transformer_config(c, "TransformerEncoderLayer");
    return c;
  }
  detail::FeedForwardBlock ff() {
    return {linear1, dropout, linear2, dropout2, relu_, gelu_, cfg_.activation == FeedForwardActivation::gelu};
  }
  Tensor<float> ff_infer(const Tensor<float>& x) const {
    return detail::feed_forward_infer(linear1, linear2, cfg_.activation == FeedForwardActivation::gelu, x);
  }

  TransformerLayerConfig cfg_;
  ReLU relu_;
  GELU gelu_;
  Shape input_shape_;
};

// Gradients of a decoder layer's two inputs.
struct DecoderLayerGradients {
  Tensor<float> target, memory;
};

class TransformerDecoderLayer : public Module {
 public:
  MultiheadAttention self_attn, multihead_attn;
  Linear linear1;
  Dropout dropout;
  Linear linear2;
  LayerNorm norm1, norm2, norm3;
  Dropout dropout1, dropout2, dropout3;

  // Keys and values that incremental decoding keeps: the self-attention
  // cache grows one position per step, the memory cache is made once.
  struct Cache {
    KeyValueCache self, memory;
    // Item i continues item parents[i] (beam search); a memory cache of
    // batch 1 is shared by all items and stays as it is.
    void reorder(const std::vector<index_t>& parents) {
      self.reorder(parents);
      if (memory.batch > 1) memory.reorder(parents);
    }
  };

  TransformerDecoderLayer(const TransformerLayerConfig& config, Rng& rng)
      : self_attn(detail::attention_config(checked(config), config.seed), rng),
        multihead_attn(detail::attention_config(config, config.seed + 1), rng),
        linear1(config.d_model, config.dim_feedforward, rng),
        dropout(config.dropout, config.seed + 2),
        linear2(config.dim_feedforward, config.d_model, rng),
        norm1(config.d_model, config.layer_norm_eps),
        norm2(config.d_model, config.layer_norm_eps),
        norm3(config.d_model, config.layer_norm_eps),
        dropout1(config.dropout, config.seed + 3),
        dropout2(config.dropout, config.seed + 4),
        dropout3(config.dropout, config.seed + 5),
        cfg_(config) {
    register_module("self_attn", self_attn);
    register_module("multihead_attn", multihead_attn);
    register_module("linear1", linear1);
    register_module("dropout", dropout);
    register_module("linear2", linear2);
    register_module("norm1", norm1);
    register_module("norm2", norm2);
    register_module("norm3", norm3);
    register_module("dropout1", dropout1);
    register_module("dropout2", dropout2);
    register_module("dropout3", dropout3);
  }

  const TransformerLayerConfig& config() const { return cfg_; }
  std::string kind() const override { return "TransformerDecoderLayer"; }
  std::string describe() const override {
    return "TransformerDecoderLayer(" + std::to_string(cfg_.d_model) + ", heads=" + std::to_string(cfg_.nhead) +
           ", ff=" + std::to_string(cfg_.dim_feedforward) + (cfg_.norm_first ? ", pre-norm" : ", post-norm") +
           (cfg_.activation == FeedForwardActivation::gelu ? ", gelu" : "") + ")";
  }

  // target [T, N, E], memory [S, N, E] (batch_first: [N, T, E], [N, S, E])
  // -> [T, N, E]. target_mask applies to self-attention (usually causal),
  // memory_mask to cross-attention (e.g. the memory's key padding).
  Tensor<float> forward(const Tensor<float>& target, const Tensor<float>& memory, const AttentionMask& target_mask = {},
                        const AttentionMask& memory_mask = {}) {
    target_shape_ = target.shape();
    if (cfg_.norm_first) {
      const Tensor<float> n1 = norm1.forward(target);
      Tensor<float> h = detail::sum_tensors(target, dropout1.forward(self_attn.forward(n1, n1, n1, target_mask)));
      detail::add_in_place(h, dropout2.forward(multihead_attn.forward(norm2.forward(h), memory, memory, memory_mask)));
      detail::add_in_place(h, ff().forward(norm3.forward(h)));
      return h;
    }
    const Tensor<float> h1 = norm1.forward(
        detail::sum_tensors(target, dropout1.forward(self_attn.forward(target, target, target, target_mask))));
    const Tensor<float> h2 = norm2.forward(
        detail::sum_tensors(h1, dropout2.forward(multihead_attn.forward(h1, memory, memory, memory_mask))));
    return norm3.forward(detail::sum_tensors(h2, ff().forward(h2)));
  }

  DecoderLayerGradients backward(const Tensor<float>& grad_y) {
    detail::check_same_shape("TransformerDecoderLayer", target_shape_, grad_y);
    DecoderLayerGradients out;
    if (cfg_.norm_first) {
      Tensor<float> dh = grad_y;
      detail::add_in_place(dh, norm3.backward(ff().backward(grad_y)));
      const AttentionGradients gc = multihead_attn.backward(dropout2.backward(dh));
      out.memory = memory_gradient(gc);
      detail::add_in_place(dh, norm2.backward(gc.query));
      detail::add_in_place(dh, norm1.backward(self_attn.backward(dropout1.backward(dh)).sum()));
      out.target = std::move(dh);
      return out;
    }
    const Tensor<float> ds3 = norm3.backward(grad_y);
    Tensor<float> ds2 = norm2.backward(detail::sum_tensors(ds3, ff().backward(ds3)));
    const AttentionGradients gc = multihead_attn.backward(dropout2.backward(ds2));
    out.memory = memory_gradient(gc);
    detail::add_in_place(ds2, gc.query);
    Tensor<float> ds1 = norm1.backward(ds2);
    detail::add_in_place(ds1, self_attn.backward(dropout1.backward(ds1)).sum());
    out.target = std::move(ds1);
    return out;
  }

  Tensor<float> infer(const Tensor<float>& target, const Tensor<float>& memory, const AttentionMask& target_mask = {},
                      const AttentionMask& memory_mask = {}) const {
    if (cfg_.norm_first) {
      const Tensor<float> n1 = norm1.infer(target);
      Tensor<float> h = detail::sum_tensors(target, self_attn.infer(n1, n1, n1, target_mask));
      detail::add_in_place(h, multihead_attn.infer(norm2.infer(h), memory, memory, memory_mask));
      detail::add_in_place(h, ff_infer(norm3.infer(h)));
      return h;
    }
    const Tensor<float> h1 =
        norm1.infer(detail::sum_tensors(target, self_attn.infer(target, target, target, target_mask)));
    const Tensor<float> h2 =
        norm2.infer(detail::sum_tensors(h1, multihead_attn.infer(h1, memory, memory, memory_mask)));
    return norm3.infer(detail::sum_tensors(h2, ff_infer(h2)));
  }

  // --- incremental decoding ------------------------------------------------

  // A cache for decoding against `memory` ([S, N, E] or batch-first
  // [N, S, E]; N = 1 lets any number of hypotheses share it) with an
  // optional memory key-padding mask [N, S].
  Cache start(const Tensor<float>& memory, const Tensor<std::uint8_t>& memory_key_padding = {}) const {
    Cache c;
    c.memory = multihead_attn.project_key_value(memory, memory, memory_key_padding);
    return c;
  }

  // x [N, E]: the newest position of N sequences -> its output [N, E].
  // Equal (to rounding) to row t of infer() over positions 0..t with a
  // causal target mask.
  Tensor<float> infer_step(const Tensor<float>& x, Cache& cache) const {
    if (cfg_.norm_first) {
      Tensor<float> h = detail::sum_tensors(x, self_attn.infer_self_step(norm1.infer(x), cache.self));
      detail::add_in_place(h, multihead_attn.infer_step(norm2.infer(h), cache.memory));
      detail::add_in_place(h, ff_infer(norm3.infer(h)));
      return h;
    }
    const Tensor<float> h1 = norm1.infer(detail::sum_tensors(x, self_attn.infer_self_step(x, cache.self)));
    const Tensor<float> h2 = norm2.infer(detail::sum_tensors(h1, multihead_attn.infer_step(h1, cache.memory)));
    return norm3.infer(detail::sum_tensors(h2, ff_infer(h2)));
  }

 private:
  static const TransformerLayerConfig& checked(const TransformerLayerConfig& c) {
    detail::check_transformer_config(c, "TransformerDecoderLayer");
    return c;
  }
  // The memory was both key and value of the cross-attention.
  static Tensor<float> memory_gradient(const AttentionGradients& g) {
    if (g.value.empty()) return g.key;
    return detail::sum_tensors(g.key, g.value);
  }
  detail::FeedForwardBlock ff() {
    return {linear1, dropout, linear2, dropout3, relu_, gelu_, cfg_.activation == FeedForwardActivation::gelu};
  }
  Tensor<float> ff_infer(const Tensor<float>& x) const {
    return detail::feed_forward_infer(linear1, linear2, cfg_.activation == FeedForwardActivation::gelu, x);
  }

  TransformerLayerConfig cfg_;
  ReLU relu_;
  GELU gelu_;
  Shape target_shape_;
};

}  // namespace nnocr::nn
