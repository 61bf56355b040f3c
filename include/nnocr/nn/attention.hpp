// attention.hpp — scaled dot-product attention and multi-head attention
// (Vaswani et al. 2017, "Attention Is All You Need", section 3.2), with the
// semantics and parameter names of torch.nn.MultiheadAttention, so weights
// carry over by name.
//
// Equations, for one batch item and head h (d = head_dim = E / H):
//   Q = query Wq^T + bq,  K = key Wk^T + bk,  V = value Wv^T + bv   (all heads at once)
//   S = Q_h K_h^T / sqrt(d) + mask          [L, S]
//   A = softmax(S) (rows);  A' = dropout(A) (training only)
//   O_h = A' V_h;  out = concat_h(O_h) Wo^T + bo
// Backward, per head (dO_h = the output gradient through out_proj):
//   dA' = dO_h V_h^T,  dV_h = A'^T dO_h,  dA = dA' * dropout mask,
//   dS = A * (dA - rowsum(dA * A)),  dQ_h = dS K_h / sqrt(d),  dK_h = dS^T Q_h / sqrt(d)
// then each projection is a Linear: dW += dP^T x, db += colsum(dP), dx = dP W.
//
// Layout: query [L, N, E], key [S, N, kdim], value [S, N, vdim], output
// [L, N, E]; with batch_first, [N, L, E] etc. Projections run as one GEMM
// over all tokens (one GEMM for Q, K and V together when query, key and
// value are the same tensor, as in self-attention; one for K and V when key
// is value). The heads are then strided sub-matrices of the projection
// buffer, so each (batch item, head) pair costs two sgemm calls with leading
// dimensions that step over the other heads, and no transposing copies.
//
// Parameters (PyTorch's names): "in_proj_weight" [3E, E] (rows: q, k, v) when
// kdim == vdim == E, otherwise (or with separate_projections)
// "q_proj_weight" [E, E], "k_proj_weight" [E, kdim], "v_proj_weight"
// [E, vdim]; "in_proj_bias" [3E]; "out_proj.weight" [E, E], "out_proj.bias"
// [E]. Initialisation as PyTorch: Xavier-uniform projections, zero biases,
// out_proj.weight ~ U(-1/sqrt(E), 1/sqrt(E)). Not supported: add_bias_kv,
// add_zero_attn.
//
// Masks (AttentionMask): a key-padding mask [N, S] (nonzero = ignore that
// key, torch's key_padding_mask=True), an additive float mask [L, S] or
// [N*H, L, S] (torch's float attn_mask; -inf forbids; head h of item b uses
// slice b*H + h), and `causal` (query i sees keys j <= i + S - L, i.e. the
// usual j <= i when L == S, bottom-right aligned otherwise). A query row whose
// keys are all masked has no defined softmax: PyTorch returns NaN there;
// nnocr returns attention weights of zero, so that row's attention output is
// zero (the output is just out_proj's bias) and no gradient flows through it.
//
// Attention weights for inspection: averaged over heads [N, L, S] (torch's
// need_weights default) or per head [N, H, L, S]; like torch, they are the
// weights that multiplied V (after dropout when training).
//
// Decoding support: KeyValueCache holds projected keys and values [N, t, E]
// so that an autoregressive decoder projects each new position once and
// attends over the cache in O(t) per step (infer_self_step, infer_step).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../core/aligned.hpp"
#include "../core/init.hpp"
#include "../core/rng.hpp"
#include "../core/thread_pool.hpp"
#include "../kernels/gemm.hpp"
#include "../kernels/softmax.hpp"
#include "linear.hpp"
#include "module.hpp"

namespace nnocr::nn {

// Which attention scores are excluded or biased; see the file comment.
// Empty tensors mean "no such mask".
struct AttentionMask {
  Tensor<std::uint8_t> key_padding;  // [N, S], nonzero = ignore this key
  Tensor<float> additive;            // [L, S] or [N * H, L, S], added to the scaled scores
  bool causal = false;               // query i sees keys j <= i + S - L

  static AttentionMask causal_mask() {
    AttentionMask m;
    m.causal = true;
    return m;
  }
};

// Gradients of the loss with respect to the inputs of attention. When a
// forward received one tensor in several roles (self-attention: query, key
// and value; cross-attention over a memory: key and value), that tensor's
// gradient is returned once, in its first role (query, or key), and the
// later roles are empty tensors; sum() adds whatever is present.
struct AttentionGradients {
  Tensor<float> query, key, value;

  Tensor<float> sum() const {
    Tensor<float> total = query;
    for (const Tensor<float>* t : {&key, &value}) {
      if (t->empty()) continue;
      NNOCR_CHECK(t->shape() == total.shape(), "AttentionGradients::sum: shapes ", total.shape().str(), " and ",
                  t->shape().str(), " differ");
      for (index_t i = 0; i < total.numel(); ++i) total[i] += (*t)[i];
    }
    return total;
  }
};

namespace detail {

// The matrices of one projected tensor for every (batch item, head): head h
// of item b starts at data + b * batch_stride + h * head_stride and its rows
// (positions) are row_stride apart — the leading dimension given to sgemm.
template <class T>
struct HeadMatrices {
  T* data = nullptr;
  index_t batch_stride = 0, head_stride = 0, row_stride = 0;
  T* at(index_t b, index_t h) const { return data + b * batch_stride + h * head_stride; }
  operator HeadMatrices<const T>() const { return {data, batch_stride, head_stride, row_stride}; }  // NOLINT
};

// Heads of a [tokens, ld] buffer whose rows are ordered like the layer's
// input: sequence-first (row t * N + b) or batch-first (row b * T + t).
template <class T>
HeadMatrices<T> heads_of(T* base, index_t ld, index_t head_dim, index_t batch, index_t length, bool batch_first) {
  if (batch_first) return {base, length * ld, head_dim, ld};
  return {base, ld, head_dim, batch * ld};
}

struct AttentionDims {
  index_t batch = 0, heads = 0, L = 0, S = 0, dk = 0, dv = 0;
  float scale = 1.0f;
};

// Masks as raw pointers, already checked against the dimensions.
struct MaskRef {
  const std::uint8_t* key_padding = nullptr;  // [batch, S] rows kp_stride apart
  index_t kp_stride = 0;
  const float* additive = nullptr;  // [L, S] or [batch * heads, L, S]
  bool additive_per_head = false;
  bool causal = false;
};

inline MaskRef mask_ref(const AttentionMask& m, const AttentionDims& d, const char* who) {
  MaskRef r;
  if (!m.key_padding.empty()) {
    NNOCR_CHECK(m.key_padding.rank() == 2 && m.key_padding.size(0) == d.batch && m.key_padding.size(1) == d.S, who,
                ": key padding mask must be [N, S] = [", d.batch, ", ", d.S, "], got ", m.key_padding.shape().str());
    r.key_padding = m.key_padding.data();
    r.kp_stride = d.S;
  }
  if (!m.additive.empty()) {
    const bool two = m.additive.rank() == 2 && m.additive.size(0) == d.L && m.additive.size(1) == d.S;
    const bool three = m.additive.rank() == 3 && m.additive.size(0) == d.batch * d.heads && m.additive.size(1) == d.L &&
                       m.additive.size(2) == d.S;
    NNOCR_CHECK(two || three, who, ": additive attention mask must be [L, S] = [", d.L, ", ", d.S,
                "] or [N * H, L, S] = [", d.batch * d.heads, ", ", d.L, ", ", d.S, "], got ", m.additive.shape().str());
    r.additive = m.additive.data();
    r.additive_per_head = three;
  }
  r.causal = m.causal;
  return r;
}

// Scratch that lives as long as its thread (per-head score matrices).
inline float* attention_scratch(index_t n) {
  thread_local AlignedBuffer<float> buffer;
  buffer.reserve_discard(n);
  return buffer.data();
}

// scores [L, S] (already scaled) of head h, item b -> probabilities, in
// place. Masked entries become -inf; a row with no unmasked entry becomes
// all zeros (kernels::softmax_rows; see the file comment).
inline void masked_softmax(float* scores, index_t b, index_t h, const AttentionDims& d, const MaskRef& m) {
  const index_t L = d.L, S = d.S;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  if (m.additive) {
    const float* add = m.additive + (m.additive_per_head ? (b * d.heads + h) * L * S : 0);
    for (index_t i = 0; i < L * S; ++i) scores[i] += add[i];
  }
  if (m.key_padding) {
    const std::uint8_t* kp = m.key_padding + b * m.kp_stride;
    for (index_t j = 0; j < S; ++j)
      if (kp[j])
        for (index_t i = 0; i < L; ++i) scores[i * S + j] = kNegInf;
  }
  if (m.causal)
    for (index_t i = 0; i < L; ++i)
      for (index_t j = std::max<index_t>(0, i + S - L + 1); j < S; ++j) scores[i * S + j] = kNegInf;
  kernels::softmax_rows(scores, L, S, S);
}

// How many (item, head) pairs one parallel chunk takes: about 64K
// multiply-adds, so that small problems do not wake threads for nothing.
inline index_t head_grain(const AttentionDims& d) {
  const double per_head = static_cast<double>(d.L) * static_cast<double>(d.S) * static_cast<double>(d.dk + d.dv);
  return std::max<index_t>(1, static_cast<index_t>(65536.0 / std::max(per_head, 1.0)));
}

// Forward over every (item, head). `probs` ([batch, heads, L, S]) receives
// the softmax probabilities, or is null (a per-thread scratch is used);
// with `drop_mask` (same shape, entries 0 or 1/(1-p)), `dropped` receives
// probs * drop_mask and multiplies V instead.
inline void attention_forward(const AttentionDims& d, HeadMatrices<const float> q, HeadMatrices<const float> k,
                              HeadMatrices<const float> v, const MaskRef& mask, float* probs, const float* drop_mask,
                              float* dropped, HeadMatrices<float> out) {
  using kernels::Trans;
  const index_t LS = d.L * d.S;
  parallel_for(d.batch * d.heads, head_grain(d), [&](index_t i0, index_t i1) {
    for (index_t i = i0; i < i1; ++i) {
      const index_t b = i / d.heads, h = i % d.heads;
      float* p = probs ? probs + i * LS : attention_scratch(LS);
      kernels::sgemm(Trans::no, Trans::yes, d.L, d.S, d.dk, d.scale, q.at(b, h), q.row_stride, k.at(b, h), k.row_stride,
                     0.0f, p, d.S);
      masked_softmax(p, b, h, d, mask);
      const float* a = p;
      if (drop_mask) {
        float* pd = dropped + i * LS;
        const float* dm = drop_mask + i * LS;
        for (index_t j = 0; j < LS; ++j) pd[j] = p[j] * dm[j];
        a = pd;
      }
      kernels::sgemm(Trans::no, Trans::no, d.L, d.dv, d.S, 1.0f, a, d.S, v.at(b, h), v.row_stride, 0.0f, out.at(b, h),
                     out.row_stride);
    }
  });
}

// Backward over every (item, head); see the file comment. `used` is what
// multiplied V in the forward (dropped, or probs without dropout). dq, dk,
// dv are overwritten.
inline void attention_backward(const AttentionDims& d, HeadMatrices<const float> q, HeadMatrices<const float> k,
                               HeadMatrices<const float> v, const float* probs, const float* drop_mask,
                               const float* used, HeadMatrices<const float> dout, HeadMatrices<float> dq,
                               HeadMatrices<float> dk, HeadMatrices<float> dv) {
  using kernels::Trans;
  const index_t LS = d.L * d.S;
  parallel_for(d.batch * d.heads, head_grain(d), [&](index_t i0, index_t i1) {
    for (index_t i = i0; i < i1; ++i) {
      const index_t b = i / d.heads, h = i % d.heads;
      float* g = attention_scratch(LS);
      const float* p = probs + i * LS;
      kernels::sgemm(Trans::no, Trans::yes, d.L, d.S, d.dv, 1.0f, dout.at(b, h), dout.row_stride, v.at(b, h),
                     v.row_stride, 0.0f, g, d.S);
      kernels::sgemm(Trans::yes, Trans::no, d.S, d.dv, d.L, 1.0f, used + i * LS, d.S, dout.at(b, h), dout.row_stride,
                     0.0f, dv.at(b, h), dv.row_stride);
      if (drop_mask) {
        const float* dm = drop_mask + i * LS;
        for (index_t j = 0; j < LS; ++j) g[j] *= dm[j];
      }
      kernels::softmax_rows_backward(p, g, d.L, d.S, d.S);
      kernels::sgemm(Trans::no, Trans::no, d.L, d.dk, d.S, d.scale, g, d.S, k.at(b, h), k.row_stride, 0.0f, dq.at(b, h),
                     dq.row_stride);
      kernels::sgemm(Trans::yes, Trans::no, d.S, d.dk, d.L, d.scale, g, d.S, q.at(b, h), q.row_stride, 0.0f,
                     dk.at(b, h), dk.row_stride);
    }
  });
}

// Head-averaged ([batch, L, S]) or per-head ([batch, heads, L, S]) copy of
// attention weights laid out [batch, heads, L, S].
inline Tensor<float> attention_weights(const float* w, const AttentionDims& d, bool average) {
  const index_t LS = d.L * d.S;
  if (!average) return Tensor<float>({d.batch, d.heads, d.L, d.S}, std::vector<float>(w, w + d.batch * d.heads * LS));
  Tensor<float> out({d.batch, d.L, d.S}, 0.0f);
  const float inv = 1.0f / static_cast<float>(d.heads);
  for (index_t b = 0; b < d.batch; ++b)
    for (index_t h = 0; h < d.heads; ++h) {
      const float* src = w + (b * d.heads + h) * LS;
      float* dst = out.data() + b * LS;
      for (index_t j = 0; j < LS; ++j) dst[j] += src[j] * inv;
    }
  return out;
}

// out[c] += sum over rows r of m[r * ld + c].
inline void add_column_sums(const float* NNOCR_RESTRICT m, index_t rows, index_t cols, index_t ld,
                            float* NNOCR_RESTRICT out) {
  for (index_t r = 0; r < rows; ++r) {
    const float* NNOCR_RESTRICT row = m + r * ld;
    for (index_t c = 0; c < cols; ++c) out[c] += row[c];
  }
}

// dst = src (shape and values), reusing dst's storage when it is big enough.
inline void assign_reusing(Tensor<float>& dst, const Tensor<float>& src) {
  dst.resize(src.shape());
  if (src.numel()) std::memcpy(dst.data(), src.data(), sizeof(float) * static_cast<std::size_t>(src.numel()));
}

inline bool is_same_tensor(const Tensor<float>& a, const Tensor<float>& b) {
  return &a == &b || (a.data() == b.data() && a.shape() == b.shape());
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Scaled dot-product attention without projections or heads:
//   q [B, L, D], k [B, S, D], v [B, S, Dv] -> [B, L, Dv],
//   weights = softmax(q k^T / sqrt(D) + mask) [B, L, S].
// mask.key_padding is [B, S]; mask.additive is [L, S] or [B, L, S].
inline Tensor<float> scaled_dot_product_attention(const Tensor<float>& q, const Tensor<float>& k,
                                                  const Tensor<float>& v, const AttentionMask& mask = {},
                                                  Tensor<float>* weights = nullptr) {
  NNOCR_CHECK(q.rank() == 3 && k.rank() == 3 && v.rank() == 3 && k.size(0) == q.size(0) && v.size(0) == q.size(0) &&
                  k.size(2) == q.size(2) && v.size(1) == k.size(1) && q.size(2) > 0,
              "scaled_dot_product_attention: expected q [B, L, D], k [B, S, D], v [B, S, Dv], got q ", q.shape().str(),
              ", k ", k.shape().str(), ", v ", v.shape().str());
  detail::AttentionDims d;
  d.batch = q.size(0), d.heads = 1, d.L = q.size(1), d.S = k.size(1), d.dk = q.size(2), d.dv = v.size(2);
  d.scale = 1.0f / std::sqrt(static_cast<float>(d.dk));
  const detail::MaskRef m = detail::mask_ref(mask, d, "scaled_dot_product_attention");
  Tensor<float> out({d.batch, d.L, d.dv});
  Tensor<float> probs;
  if (weights) probs = Tensor<float>({d.batch, d.L, d.S});
  detail::attention_forward(d, {q.data(), d.L * d.dk, 0, d.dk}, {k.data(), d.S * d.dk, 0, d.dk},
                            {v.data(), d.S * d.dv, 0, d.dv}, m, weights ? probs.data() : nullptr, nullptr, nullptr,
                            {out.data(), d.L * d.dv, 0, d.dv});
  if (weights) *weights = std::move(probs);
  return out;
}

// Gradients of scaled_dot_product_attention given its inputs, the weights it
// returned and dL/dout.
inline AttentionGradients scaled_dot_product_attention_backward(const Tensor<float>& q, const Tensor<float>& k,
                                                                const Tensor<float>& v, const Tensor<float>& weights,
                                                                const Tensor<float>& grad_out) {
  NNOCR_CHECK(q.rank() == 3 && k.rank() == 3 && v.rank() == 3 && weights.rank() == 3 && grad_out.rank() == 3,
              "scaled_dot_product_attention_backward: expected rank-3 tensors");
  detail::AttentionDims d;
  d.batch = q.size(0), d.heads = 1, d.L = q.size(1), d.S = k.size(1), d.dk = q.size(2), d.dv = v.size(2);
  d.scale = 1.0f / std::sqrt(static_cast<float>(d.dk));
  NNOCR_CHECK(weights.shape() == Shape({d.batch, d.L, d.S}) && grad_out.shape() == Shape({d.batch, d.L, d.dv}),
              "scaled_dot_product_attention_backward: weights ", weights.shape().str(), " or gradient ",
              grad_out.shape().str(), " do not match q ", q.shape().str(), ", k ", k.shape().str(), ", v ",
              v.shape().str());
  AttentionGradients g{Tensor<float>(q.shape()), Tensor<float>(k.shape()), Tensor<float>(v.shape())};
  detail::attention_backward(d, {q.data(), d.L * d.dk, 0, d.dk}, {k.data(), d.S * d.dk, 0, d.dk},
                             {v.data(), d.S * d.dv, 0, d.dv}, weights.data(), nullptr, weights.data(),
                             {grad_out.data(), d.L * d.dv, 0, d.dv}, {g.query.data(), d.L * d.dk, 0, d.dk},
                             {g.key.data(), d.S * d.dk, 0, d.dk}, {g.value.data(), d.S * d.dv, 0, d.dv});
  return g;
}

// ---------------------------------------------------------------------------
// Projected keys and values kept between decoding steps: keys and values
// are [batch, capacity, E], positions [0, length) valid. A cache of batch 1
// serves any number of queries (one encoder output shared by all beams).
struct KeyValueCache {
  Tensor<float> keys, values;
  Tensor<std::uint8_t> key_padding;  // [batch, length] or empty
  index_t batch = 0, length = 0;

  index_t capacity() const { return keys.rank() == 3 ? keys.size(1) : 0; }
  index_t embed_dim() const { return keys.rank() == 3 ? keys.size(2) : 0; }

  // Item i of the result is item parents[i] of this cache (beam search
  // keeps, duplicates and drops hypotheses this way).
  void reorder(const std::vector<index_t>& parents) {
    const index_t n = static_cast<index_t>(parents.size()), cap = std::max<index_t>(capacity(), 1), E = embed_dim();
    for (index_t p : parents)
      NNOCR_CHECK(p >= 0 && p < batch, "KeyValueCache::reorder: parent ", p, " out of range for batch ", batch);
    auto gather = [&](Tensor<float>& t) {
      Tensor<float> out({n, cap, E});
      for (index_t i = 0; i < n; ++i)
        std::memcpy(out.data() + i * cap * E, t.data() + parents[static_cast<std::size_t>(i)] * cap * E,
                    sizeof(float) * static_cast<std::size_t>(length * E));
      t = std::move(out);
    };
    gather(keys);
    gather(values);
    if (!key_padding.empty()) {
      Tensor<std::uint8_t> kp({n, length});
      for (index_t i = 0; i < n; ++i)
        std::memcpy(kp.data() + i * length, key_padding.data() + parents[static_cast<std::size_t>(i)] * length,
                    static_cast<std::size_t>(length));
      key_padding = std::move(kp);
    }
    batch = n;
  }

  // Room for at least `needed` positions (amortised doubling).
  void reserve(index_t needed, index_t E) {
    if (needed <= capacity()) return;
    const index_t cap = std::max<index_t>({needed, 2 * capacity(), 16});
    auto grow = [&](Tensor<float>& t) {
      Tensor<float> out({batch, cap, E});
      const index_t old = capacity();
      for (index_t b = 0; b < batch && length > 0; ++b)
        std::memcpy(out.data() + b * cap * E, t.data() + b * old * E,
                    sizeof(float) * static_cast<std::size_t>(length * E));
      t = std::move(out);
    };
    grow(keys);
    grow(values);
  }
};

struct MultiheadAttentionConfig {
  index_t embed_dim = 0;  // E
  index_t num_heads = 1;  // H; E must be a multiple of H
  float dropout = 0.0f;   // on the attention weights, training mode only
  bool bias = true;       // in_proj_bias and out_proj.bias
  index_t kdim = 0;       // key features (0: E)
  index_t vdim = 0;       // value features (0: E)
  bool batch_first = false;
  bool separate_projections = false;  // q/k/v_proj_weight even when kdim == vdim == E
  std::uint64_t seed = 0x5eed;        // dropout stream
};

class MultiheadAttention : public Module {
 public:
  Parameter in_proj_weight;                               // [3E, E] (packed)
  Parameter q_proj_weight, k_proj_weight, v_proj_weight;  // [E, E], [E, kdim], [E, vdim] (separate)
  Parameter in_proj_bias;                                 // [3E]
  Linear out_proj;

  MultiheadAttention(const MultiheadAttentionConfig& config, Rng& rng)
      : out_proj(checked(config).embed_dim, config.embed_dim, rng, config.bias),
        cfg_(config),
        rng_(config.seed, 0xa77) {
    const index_t E = cfg_.embed_dim;
    if (cfg_.kdim == 0) cfg_.kdim = E;
    if (cfg_.vdim == 0) cfg_.vdim = E;
    packed_ = !cfg_.separate_projections && cfg_.kdim == E && cfg_.vdim == E;
    if (packed_) {
      in_proj_weight.reset({3 * E, E});
      register_parameter("in_proj_weight", in_proj_weight);
      xavier_uniform(in_proj_weight.value, rng);
    } else {
      q_proj_weight.reset({E, E});
      k_proj_weight.reset({E, cfg_.kdim});
      v_proj_weight.reset({E, cfg_.vdim});
      register_parameter("q_proj_weight", q_proj_weight);
      register_parameter("k_proj_weight", k_proj_weight);
      register_parameter("v_proj_weight", v_proj_weight);
      xavier_uniform(q_proj_weight.value, rng);
      xavier_uniform(k_proj_weight.value, rng);
      xavier_uniform(v_proj_weight.value, rng);
    }
    if (cfg_.bias) {
      in_proj_bias.reset({3 * E}, false);
      register_parameter("in_proj_bias", in_proj_bias);
      out_proj.bias.value.fill(0.0f);
    }
    register_module("out_proj", out_proj);
  }
  MultiheadAttention(index_t embed_dim, index_t num_heads, Rng& rng, bool batch_first = false)
      : MultiheadAttention(make_config(embed_dim, num_heads, batch_first), rng) {}

  const MultiheadAttentionConfig& config() const { return cfg_; }
  index_t embed_dim() const { return cfg_.embed_dim; }
  index_t num_heads() const { return cfg_.num_heads; }
  index_t head_dim() const { return cfg_.embed_dim / cfg_.num_heads; }
  bool batch_first() const { return cfg_.batch_first; }
  bool packed_projections() const { return packed_; }
  std::string kind() const override { return "MultiheadAttention"; }
  std::string describe() const override {
    std::string s =
        "MultiheadAttention(" + std::to_string(cfg_.embed_dim) + ", heads=" + std::to_string(cfg_.num_heads);
    if (cfg_.kdim != cfg_.embed_dim) s += ", kdim=" + std::to_string(cfg_.kdim);
    if (cfg_.vdim != cfg_.embed_dim) s += ", vdim=" + std::to_string(cfg_.vdim);
    if (cfg_.dropout > 0.0f) s += ", dropout=" + std::to_string(cfg_.dropout);
    if (cfg_.batch_first) s += ", batch_first";
    return s + ")";
  }

  // Restarts the dropout stream (reproducible training runs, gradient checks).
  void reseed(std::uint64_t seed) { rng_ = Rng(seed, 0xa77); }
  void on_reseed(std::uint64_t seed) override { reseed(seed); }

  // query [L, N, E], key [S, N, kdim], value [S, N, vdim] (batch_first:
  // [N, L, E], ...) -> [L, N, E] ([N, L, E]). Caches what backward needs.
  // With `weights`, stores the attention weights: [N, L, S] averaged over
  // heads, or [N, H, L, S] when average_weights is false.
  Tensor<float> forward(const Tensor<float>& query, const Tensor<float>& key, const Tensor<float>& value,
                        const AttentionMask& mask = {}, Tensor<float>* weights = nullptr, bool average_weights = true) {
    const Geometry g = geometry(query, key, value);
    const detail::MaskRef m = detail::mask_ref(mask, g.dims, "MultiheadAttention");
    Plan& plan = cache_;
    make_plan(plan, query, key, value);
    for (int i = 0; i < plan.groups; ++i) detail::assign_reusing(plan.input_copy[i], *plan.input[i]);
    for (int i = 0; i < plan.groups; ++i) plan.input[i] = &plan.input_copy[i];
    project(plan);
    const index_t n = g.dims.batch * g.dims.heads * g.dims.L * g.dims.S;
    probs_.resize({n});
    const bool drop = training() && cfg_.dropout > 0.0f;
    if (drop) {
      drop_mask_.resize({n});
      dropped_.resize({n});
      const float keep = 1.0f / (1.0f - cfg_.dropout);
      for (float& v : drop_mask_) v = rng_.uniform() < cfg_.dropout ? 0.0f : keep;
    }
    ctx_.resize(Shape{g.rows_q, cfg_.embed_dim});
    attend(g, plan, m, probs_.data(), drop ? drop_mask_.data() : nullptr, drop ? dropped_.data() : nullptr,
           ctx_.data());
    dropout_used_ = drop;
    geometry_ = g;
    output_shape_ = query.shape();
    has_forward_ = true;
    if (weights) *weights = detail::attention_weights(drop ? dropped_.data() : probs_.data(), g.dims, average_weights);
    Tensor<float> y(query.shape());
    out_projection(ctx_.data(), g.rows_q, y.data());
    return y;
  }

  // Eval-mode forward that keeps nothing: safe on a shared const model.
  Tensor<float> infer(const Tensor<float>& query, const Tensor<float>& key, const Tensor<float>& value,
                      const AttentionMask& mask = {}, Tensor<float>* weights = nullptr,
                      bool average_weights = true) const {
    const Geometry g = geometry(query, key, value);
    const detail::MaskRef m = detail::mask_ref(mask, g.dims, "MultiheadAttention");
    thread_local Plan plan;
    make_plan(plan, query, key, value);
    project(plan);
    thread_local Tensor<float> ctx, probs;
    ctx.resize(Shape{g.rows_q, cfg_.embed_dim});
    if (weights) probs.resize({g.dims.batch * g.dims.heads * g.dims.L * g.dims.S});
    attend(g, plan, m, weights ? probs.data() : nullptr, nullptr, nullptr, ctx.data());
    if (weights) *weights = detail::attention_weights(probs.data(), g.dims, average_weights);
    Shape out_shape = query.shape();
    Tensor<float> y(out_shape);
    out_projection(ctx.data(), g.rows_q, y.data());
    return y;
  }

  // dL/dout -> dL/dquery, dL/dkey, dL/dvalue (see AttentionGradients for
  // inputs passed in several roles); adds the parameter gradients.
  AttentionGradients backward(const Tensor<float>& grad_output) {
    NNOCR_CHECK(has_forward_, "MultiheadAttention::backward called without a forward");
    detail::check_same_shape("MultiheadAttention", output_shape_, grad_output);
    using kernels::Trans;
    const Geometry& g = geometry_;
    Plan& plan = cache_;
    const index_t E = cfg_.embed_dim, Dh = head_dim(), rows_q = g.rows_q;
    // Output projection: dWo += dY^T ctx, dbo += colsum(dY), dctx = dY Wo.
    kernels::sgemm(Trans::yes, Trans::no, E, E, rows_q, 1.0f, grad_output.data(), E, ctx_.data(), E, 1.0f,
                   out_proj.weight.grad.data(), E);
    if (cfg_.bias) detail::add_column_sums(grad_output.data(), rows_q, E, E, out_proj.bias.grad.data());
    grad_ctx_.resize(Shape{rows_q, E});
    kernels::sgemm(Trans::no, Trans::no, rows_q, E, E, 1.0f, grad_output.data(), E, out_proj.weight.value.data(), E,
                   0.0f, grad_ctx_.data(), E);
    // Attention, into gradients laid out like the projections.
    for (int i = 0; i < plan.groups; ++i) grad_proj_[i].resize(plan.out[i].shape());
    auto grad_heads = [&](int which, index_t length) {
      const int gi = plan.group_of[which];
      float* base = grad_proj_[gi].data() + (which - plan.first[gi]) * E;
      return detail::heads_of(base, plan.out[gi].size(1), Dh, g.dims.batch, length, cfg_.batch_first);
    };
    const float* used = dropout_used_ ? dropped_.data() : probs_.data();
    detail::attention_backward(
        g.dims, q_heads(plan, g), k_heads(plan, g), v_heads(plan, g), probs_.data(),
        dropout_used_ ? drop_mask_.data() : nullptr, used,
        detail::heads_of<const float>(grad_ctx_.data(), E, Dh, g.dims.batch, g.dims.L, cfg_.batch_first),
        grad_heads(0, g.dims.L), grad_heads(1, g.dims.S), grad_heads(2, g.dims.S));
    // Input projections, one group (one GEMM each way) at a time.
    AttentionGradients out;
    Tensor<float>* dst[3] = {&out.query, &out.key, &out.value};
    for (int gi = 0; gi < plan.groups; ++gi) {
      const Tensor<float>& x = *plan.input[gi];
      const Tensor<float>& dp = grad_proj_[gi];
      const index_t rows = dp.size(0), width = dp.size(1), in = x.size(-1);
      Parameter& w = weight_param(plan.first[gi]);
      const index_t offset = packed_ ? plan.first[gi] * E * E : 0;
      kernels::sgemm(Trans::yes, Trans::no, width, in, rows, 1.0f, dp.data(), width, x.data(), in, 1.0f,
                     w.grad.data() + offset, in);
      if (cfg_.bias)
        detail::add_column_sums(dp.data(), rows, width, width, in_proj_bias.grad.data() + plan.first[gi] * E);
      Tensor<float>& dx = *dst[plan.first[gi]];
      dx = Tensor<float>(x.shape());
      kernels::sgemm(Trans::no, Trans::no, rows, in, width, 1.0f, dp.data(), width, w.value.data() + offset, in, 0.0f,
                     dx.data(), in);
    }
    return out;
  }

  // --- incremental decoding ------------------------------------------------

  // Projects a whole key/value sequence once (the encoder output in a
  // decoder's cross-attention): key [S, N, kdim], value [S, N, vdim] (or
  // batch-first). key_padding, if given, is [N, S].
  KeyValueCache project_key_value(const Tensor<float>& key, const Tensor<float>& value,
                                  const Tensor<std::uint8_t>& key_padding = {}) const {
    NNOCR_CHECK(key.rank() == 3 && value.rank() == 3 && key.size(-1) == cfg_.kdim && value.size(-1) == cfg_.vdim &&
                    key.size(0) == value.size(0) && key.size(1) == value.size(1),
                "MultiheadAttention::project_key_value: expected key [S, N, ", cfg_.kdim, "] and value [S, N, ",
                cfg_.vdim, "] (batch-first: [N, S, ...]), got ", key.shape().str(), " and ", value.shape().str());
    const index_t N = cfg_.batch_first ? key.size(0) : key.size(1), S = cfg_.batch_first ? key.size(1) : key.size(0);
    const index_t E = cfg_.embed_dim;
    KeyValueCache c;
    c.batch = N;
    c.keys = Tensor<float>({N, S, E});
    c.values = Tensor<float>({N, S, E});
    Tensor<float> kp({N * S, E}), vp({N * S, E});
    linear_rows(1, key.data(), N * S, kp.data(), E);
    linear_rows(2, value.data(), N * S, vp.data(), E);
    for (index_t b = 0; b < N; ++b)
      for (index_t s = 0; s < S; ++s) {
        const index_t row = cfg_.batch_first ? b * S + s : s * N + b;
        std::memcpy(c.keys.data() + (b * S + s) * E, kp.data() + row * E, sizeof(float) * static_cast<std::size_t>(E));
        std::memcpy(c.values.data() + (b * S + s) * E, vp.data() + row * E,
                    sizeof(float) * static_cast<std::size_t>(E));
      }
    c.length = S;
    if (!key_padding.empty()) {
      NNOCR_CHECK(key_padding.shape() == Shape({N, S}), "MultiheadAttention::project_key_value: key padding mask ",
                  key_padding.shape().str(), " is not [N, S] = [", N, ", ", S, "]");
      c.key_padding = key_padding;
    }
    return c;
  }

  // One decoding step of self-attention: x [N, E] is the newest position of
  // each of N sequences; its key and value are appended to `cache` and it
  // attends over every cached position (so no causal mask is needed).
  // Returns [N, E]. Cost O(E^2 + t E) per sequence.
  Tensor<float> infer_self_step(const Tensor<float>& x, KeyValueCache& cache) const {
    const index_t E = cfg_.embed_dim;
    NNOCR_CHECK(x.rank() == 2 && x.size(1) == E, "MultiheadAttention::infer_self_step: expected x [N, ", E, "], got ",
                x.shape().str());
    NNOCR_CHECK(cfg_.kdim == E && cfg_.vdim == E, "MultiheadAttention::infer_self_step needs kdim == vdim == E");
    const index_t N = x.size(0);
    if (cache.batch == 0 && cache.length == 0) cache.batch = N;
    NNOCR_CHECK(cache.batch == N, "MultiheadAttention::infer_self_step: cache holds ", cache.batch,
                " sequences, x has ", N);
    NNOCR_CHECK(cache.key_padding.empty(),
                "MultiheadAttention::infer_self_step: a self-attention cache has no padding");
    thread_local Tensor<float> qkv;
    qkv.resize(Shape{N, 3 * E});
    if (packed_) {
      linear_rows_packed(x.data(), N, qkv.data());
    } else {
      for (int w = 0; w < 3; ++w) linear_rows(w, x.data(), N, qkv.data() + w * E, 3 * E);
    }
    cache.reserve(cache.length + 1, E);
    const index_t cap = cache.capacity(), t = cache.length;
    for (index_t b = 0; b < N; ++b) {
      std::memcpy(cache.keys.data() + (b * cap + t) * E, qkv.data() + b * 3 * E + E,
                  sizeof(float) * static_cast<std::size_t>(E));
      std::memcpy(cache.values.data() + (b * cap + t) * E, qkv.data() + b * 3 * E + 2 * E,
                  sizeof(float) * static_cast<std::size_t>(E));
    }
    ++cache.length;
    return attend_cache(qkv.data(), 3 * E, N, cache);
  }

  // One decoding step of cross-attention: query [N, E] attends over a cache
  // made by project_key_value (batch N, or 1 shared by all N queries).
  Tensor<float> infer_step(const Tensor<float>& query, const KeyValueCache& cache) const {
    const index_t E = cfg_.embed_dim;
    NNOCR_CHECK(query.rank() == 2 && query.size(1) == E, "MultiheadAttention::infer_step: expected query [N, ", E,
                "], got ", query.shape().str());
    const index_t N = query.size(0);
    NNOCR_CHECK(cache.batch == N || cache.batch == 1, "MultiheadAttention::infer_step: cache holds ", cache.batch,
                " sequences, query has ", N);
    NNOCR_CHECK(cache.length > 0, "MultiheadAttention::infer_step: empty cache");
    thread_local Tensor<float> q;
    q.resize(Shape{N, E});
    linear_rows(0, query.data(), N, q.data(), E);
    return attend_cache(q.data(), E, N, cache);
  }

 private:
  struct Geometry {
    detail::AttentionDims dims;
    index_t rows_q = 0, rows_kv = 0;
  };
  // Which GEMMs project q, k and v: group i covers projections first[i] ..
  // first[i] + count[i] - 1 (0 = q, 1 = k, 2 = v) of input[i]; its output
  // is out[i] [rows, count * E].
  struct Plan {
    int groups = 0;
    int first[3] = {}, count[3] = {}, group_of[3] = {};
    const Tensor<float>* input[3] = {};
    Tensor<float> out[3];
    Tensor<float> input_copy[3];
  };

  static MultiheadAttentionConfig make_config(index_t e, index_t h, bool batch_first) {
    MultiheadAttentionConfig c;
    c.embed_dim = e;
    c.num_heads = h;
    c.batch_first = batch_first;
    return c;
  }
  static const MultiheadAttentionConfig& checked(const MultiheadAttentionConfig& c) {
    NNOCR_CHECK(c.embed_dim > 0 && c.num_heads > 0 && c.embed_dim % c.num_heads == 0, "MultiheadAttention: embed_dim ",
                c.embed_dim, " must be a positive multiple of num_heads ", c.num_heads);
    NNOCR_CHECK(c.kdim >= 0 && c.vdim >= 0, "MultiheadAttention: negative kdim or vdim");
    NNOCR_CHECK(c.dropout >= 0.0f && c.dropout < 1.0f, "MultiheadAttention: dropout ", c.dropout, " must be in [0, 1)");
    return c;
  }

  Geometry geometry(const Tensor<float>& q, const Tensor<float>& k, const Tensor<float>& v) const {
    const index_t E = cfg_.embed_dim;
    NNOCR_CHECK(q.rank() == 3 && k.rank() == 3 && v.rank() == 3, "MultiheadAttention: expected rank-3 query, key, ",
                "value ", cfg_.batch_first ? "[N, L, E]" : "[L, N, E]", ", got ", q.shape().str(), ", ",
                k.shape().str(), ", ", v.shape().str());
    const int batch_axis = cfg_.batch_first ? 0 : 1, seq_axis = 1 - batch_axis;
    NNOCR_CHECK(q.size(2) == E && k.size(2) == cfg_.kdim && v.size(2) == cfg_.vdim,
                "MultiheadAttention: feature sizes of query ", q.shape().str(), ", key ", k.shape().str(), ", value ",
                v.shape().str(), " must be E=", E, ", kdim=", cfg_.kdim, ", vdim=", cfg_.vdim);
    NNOCR_CHECK(k.size(batch_axis) == q.size(batch_axis) && v.size(batch_axis) == q.size(batch_axis) &&
                    k.size(seq_axis) == v.size(seq_axis),
                "MultiheadAttention: query ", q.shape().str(), ", key ", k.shape().str(), " and value ",
                v.shape().str(), " disagree on the batch or key length (layout ",
                cfg_.batch_first ? "[N, T, E]" : "[T, N, E]", ")");
    Geometry g;
    g.dims.batch = q.size(batch_axis);
    g.dims.heads = cfg_.num_heads;
    g.dims.L = q.size(seq_axis);
    g.dims.S = k.size(seq_axis);
    g.dims.dk = g.dims.dv = head_dim();
    g.dims.scale = 1.0f / std::sqrt(static_cast<float>(head_dim()));
    g.rows_q = g.dims.batch * g.dims.L;
    g.rows_kv = g.dims.batch * g.dims.S;
    return g;
  }

  void make_plan(Plan& p, const Tensor<float>& q, const Tensor<float>& k, const Tensor<float>& v) const {
    auto set = [&](int gi, int first, int count, const Tensor<float>& x) {
      p.first[gi] = first;
      p.count[gi] = count;
      p.input[gi] = &x;
      for (int j = 0; j < count; ++j) p.group_of[first + j] = gi;
    };
    if (packed_ && detail::is_same_tensor(q, k) && detail::is_same_tensor(k, v)) {
      p.groups = 1;
      set(0, 0, 3, q);
    } else if (packed_ && detail::is_same_tensor(k, v)) {
      p.groups = 2;
      set(0, 0, 1, q);
      set(1, 1, 2, k);
    } else {
      p.groups = 3;
      set(0, 0, 1, q);
      set(1, 1, 1, k);
      set(2, 2, 1, v);
    }
  }

  Parameter& weight_param(int which) {
    if (packed_) return in_proj_weight;
    return which == 0 ? q_proj_weight : which == 1 ? k_proj_weight : v_proj_weight;
  }
  const float* weight_data(int which) const {
    if (packed_) return in_proj_weight.value.data() + which * cfg_.embed_dim * cfg_.embed_dim;
    return (which == 0 ? q_proj_weight : which == 1 ? k_proj_weight : v_proj_weight).value.data();
  }
  index_t in_dim(int which) const { return which == 0 ? cfg_.embed_dim : which == 1 ? cfg_.kdim : cfg_.vdim; }

  // out[r, :] = x[r, :] W_which^T + b_which for `rows` rows, out rows ldo apart.
  void linear_rows(int which, const float* x, index_t rows, float* out, index_t ldo) const {
    linear_block(which, 1, x, rows, out, ldo);
  }
  // All three projections of the same rows (packed weights), out [rows, 3E].
  void linear_rows_packed(const float* x, index_t rows, float* out) const {
    linear_block(0, 3, x, rows, out, 3 * cfg_.embed_dim);
  }
  // Projections first .. first+count-1 (contiguous rows of the packed
  // weight when count > 1) in one GEMM.
  void linear_block(int first, int count, const float* x, index_t rows, float* out, index_t ldo) const {
    const index_t E = cfg_.embed_dim, width = count * E, in = in_dim(first);
    if (rows == 0) return;
    if (cfg_.bias) {
      const float* b = in_proj_bias.value.data() + first * E;
      for (index_t r = 0; r < rows; ++r) std::memcpy(out + r * ldo, b, sizeof(float) * static_cast<std::size_t>(width));
    }
    kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, rows, width, in, 1.0f, x, in, weight_data(first), in,
                   cfg_.bias ? 1.0f : 0.0f, out, ldo);
  }

  void project(Plan& p) const {
    const index_t E = cfg_.embed_dim;
    for (int i = 0; i < p.groups; ++i) {
      const Tensor<float>& x = *p.input[i];
      const index_t rows = x.numel() / x.size(-1);
      p.out[i].resize(Shape{rows, p.count[i] * E});
      linear_block(p.first[i], p.count[i], x.data(), rows, p.out[i].data(), p.count[i] * E);
    }
  }

  detail::HeadMatrices<const float> heads_in(const Plan& p, int which, index_t length, const Geometry& g) const {
    const int gi = p.group_of[which];
    const float* base = p.out[gi].data() + (which - p.first[gi]) * cfg_.embed_dim;
    return detail::heads_of(base, p.out[gi].size(1), head_dim(), g.dims.batch, length, cfg_.batch_first);
  }
  detail::HeadMatrices<const float> q_heads(const Plan& p, const Geometry& g) const {
    return heads_in(p, 0, g.dims.L, g);
  }
  detail::HeadMatrices<const float> k_heads(const Plan& p, const Geometry& g) const {
    return heads_in(p, 1, g.dims.S, g);
  }
  detail::HeadMatrices<const float> v_heads(const Plan& p, const Geometry& g) const {
    return heads_in(p, 2, g.dims.S, g);
  }

  void attend(const Geometry& g, const Plan& p, const detail::MaskRef& m, float* probs, const float* drop_mask,
              float* dropped, float* ctx) const {
    detail::attention_forward(
        g.dims, q_heads(p, g), k_heads(p, g), v_heads(p, g), m, probs, drop_mask, dropped,
        detail::heads_of(ctx, cfg_.embed_dim, head_dim(), g.dims.batch, g.dims.L, cfg_.batch_first));
  }

  // y [rows, E] = ctx Wo^T + bo.
  void out_projection(const float* ctx, index_t rows, float* y) const {
    const index_t E = cfg_.embed_dim;
    if (cfg_.bias)
      for (index_t r = 0; r < rows; ++r)
        std::memcpy(y + r * E, out_proj.bias.value.data(), sizeof(float) * static_cast<std::size_t>(E));
    kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, rows, E, E, 1.0f, ctx, E, out_proj.weight.value.data(), E,
                   cfg_.bias ? 1.0f : 0.0f, y, E);
  }

  // Attention of N query rows (q, rows ldq apart, projected) over a cache.
  // With a cache of batch 1, the N queries form one item of N positions.
  Tensor<float> attend_cache(const float* q, index_t ldq, index_t N, const KeyValueCache& cache) const {
    const index_t E = cfg_.embed_dim, Dh = head_dim(), cap = cache.capacity();
    const bool shared = cache.batch == 1 && N > 1;
    detail::AttentionDims d;
    d.batch = shared ? 1 : N;
    d.heads = cfg_.num_heads;
    d.L = shared ? N : 1;
    d.S = cache.length;
    d.dk = d.dv = Dh;
    d.scale = 1.0f / std::sqrt(static_cast<float>(Dh));
    detail::MaskRef m;
    if (!cache.key_padding.empty()) {
      m.key_padding = cache.key_padding.data();
      m.kp_stride = cache.length;
    }
    thread_local Tensor<float> ctx;
    ctx.resize(Shape{N, E});
    detail::attention_forward(d, {q, shared ? 0 : ldq, Dh, ldq}, {cache.keys.data(), cap * E, Dh, E},
                              {cache.values.data(), cap * E, Dh, E}, m, nullptr, nullptr, nullptr,
                              {ctx.data(), shared ? 0 : E, Dh, E});
    Tensor<float> y({N, E});
    out_projection(ctx.data(), N, y.data());
    return y;
  }

  MultiheadAttentionConfig cfg_;
  bool packed_ = true;
  Rng rng_;
  // Forward cache.
  Plan cache_;
  Tensor<float> grad_proj_[3];
  Tensor<float> probs_, drop_mask_, dropped_, ctx_, grad_ctx_;
  Geometry geometry_;
  Shape output_shape_;
  bool dropout_used_ = false, has_forward_ = false;
};

}  // namespace nnocr::nn
