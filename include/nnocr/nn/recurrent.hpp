// recurrent.hpp — LSTM and GRU (PyTorch's gate order, equations and
// parameter names, so weights carry over), uni- or bidirectional,
// multi-layer, with per-item sequence lengths, batch-first option, initial
// states, and backward through time.
//
// LSTM (Hochreiter & Schmidhuber 1997; gates i, f, g, o):
//   [a_i a_f a_g a_o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
//   i = s(a_i)  f = s(a_f)  g = tanh(a_g)  o = s(a_o)        (s = sigmoid)
//   c_t = f c_{t-1} + i g          h_t = o tanh(c_t)
// GRU (Cho et al. 2014; gates r, z, n):
//   [x_r x_z x_n] = W_ih x_t + b_ih      [h_r h_z h_n] = W_hh h_{t-1} + b_hh
//   r = s(x_r + h_r)  z = s(x_z + h_z)  n = tanh(x_n + r h_n)
//   h_t = (1 - z) n + z h_{t-1}
//
// Layout: x [T, N, I] (or [N, T, I] with batch_first); y [T, N, D H]
// (D = 2 when bidirectional: forward then reverse halves); h_n and c_n
// [L D, N, H]. Parameters per layer l and direction: weight_ih_l{l}
// [G H, in], weight_hh_l{l} [G H, H], bias_ih_l{l}, bias_hh_l{l} [G H]
// (G = 4 for LSTM, 3 for GRU), "_reverse" appended for the reverse
// direction — exactly torch.nn.LSTM / torch.nn.GRU's state_dict.
//
// Lengths: item n has lengths[n] <= T valid steps, as a packed sequence in
// PyTorch: its outputs past lengths[n] are zero, its final state is the one
// at step lengths[n] - 1, and the reverse direction starts at lengths[n] - 1.
//
// Cost: the input projections of all time steps are one GEMM per layer and
// direction; each step is one GEMM [N, H] x [H, G H] for the recurrent part
// plus a fused, vectorised gate kernel. The two directions of a
// bidirectional layer run on two threads. Backward stores the activated
// gates and states per step; weight gradients are two GEMMs over all steps.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../core/rng.hpp"
#include "../core/thread_pool.hpp"
#include "../kernels/elementwise.hpp"
#include "../kernels/gemm.hpp"
#include "module.hpp"

namespace nnocr::nn {

struct RecurrentConfig {
  index_t input_size = 1, hidden_size = 1;
  int num_layers = 1;
  bool bidirectional = false;
  bool batch_first = false;
  bool bias = true;
  float dropout = 0.0f;  // on the outputs of every layer but the last, in training
};

struct RecurrentOutput {
  Tensor<float> y;    // [T, N, D H] (or [N, T, D H])
  Tensor<float> h_n;  // [L D, N, H]
  Tensor<float> c_n;  // [L D, N, H] (LSTM only; empty for GRU)
};

namespace detail {

using kernels::Trans;

struct LstmCell {
  static constexpr int gates = 4;
  static constexpr bool has_cell = true;
  static constexpr const char* name = "LSTM";

  // pre: [4H] = W_ih x + b_ih (in), overwritten with the activated gates
  // (kept for backward); hh: [4H] = W_hh h + b_hh.
  static void forward(float* pre, const float* hh, const float*, const float* c_prev, float* h, float* c,
                      float* scratch, index_t H) {
    for (index_t j = 0; j < 4 * H; ++j) pre[j] += hh[j];
    kernels::sigmoid(pre, pre, 2 * H);
    kernels::tanh(pre + 2 * H, pre + 2 * H, H);
    kernels::sigmoid(pre + 3 * H, pre + 3 * H, H);
    const float *i = pre, *f = pre + H, *g = pre + 2 * H;
    for (index_t j = 0; j < H; ++j) c[j] = f[j] * c_prev[j] + i[j] * g[j];
    kernels::tanh(c, scratch, H);
    const float* o = pre + 3 * H;
    for (index_t j = 0; j < H; ++j) h[j] = o[j] * scratch[j];
  }

  // dh: total dL/dh_t (in; out: the part that flows to h_{t-1} directly,
  // which is zero for an LSTM); dc: dL/dc_t from step t+1 (in; out: dL/dc_{t-1}).
  static void backward(const float* act, const float*, const float* c_prev, const float* c, float* dh, float* dc,
                       float* dxp, float* dhh, float* scratch, index_t H) {
    const float *i = act, *f = act + H, *g = act + 2 * H, *o = act + 3 * H;
    kernels::tanh(c, scratch, H);
    for (index_t j = 0; j < H; ++j) {
      const float tc = scratch[j];
      const float d_o = dh[j] * tc;
      const float dct = dc[j] + dh[j] * o[j] * (1.0f - tc * tc);
      dxp[j] = dct * g[j] * i[j] * (1.0f - i[j]);
      dxp[H + j] = dct * c_prev[j] * f[j] * (1.0f - f[j]);
      dxp[2 * H + j] = dct * i[j] * (1.0f - g[j] * g[j]);
      dxp[3 * H + j] = d_o * o[j] * (1.0f - o[j]);
      dc[j] = dct * f[j];
      dh[j] = 0.0f;
    }
    std::copy(dxp, dxp + 4 * H, dhh);
  }
};

struct GruCell {
  static constexpr int gates = 3;
  static constexpr bool has_cell = false;
  static constexpr const char* name = "GRU";

  // pre: [3H] = W_ih x + b_ih, overwritten with r, z, n; the recurrent part
  // h_n (needed by backward) is kept in pre[3H..4H) (the cache row is 4H wide).
  static void forward(float* pre, const float* hh, const float* h_prev, const float*, float* h, float*, float*,
                      index_t H) {
    for (index_t j = 0; j < 2 * H; ++j) pre[j] += hh[j];
    kernels::sigmoid(pre, pre, 2 * H);
    const float *r = pre, *z = pre + H;
    float* n = pre + 2 * H;
    float* hn = pre + 3 * H;
    for (index_t j = 0; j < H; ++j) {
      hn[j] = hh[2 * H + j];
      n[j] += r[j] * hn[j];
    }
    kernels::tanh(n, n, H);
    for (index_t j = 0; j < H; ++j) h[j] = (1.0f - z[j]) * n[j] + z[j] * h_prev[j];
  }

  static void backward(const float* act, const float* h_prev, const float*, const float*, float* dh, float*,
                       float* dxp, float* dhh, float*, index_t H) {
    const float *r = act, *z = act + H, *n = act + 2 * H, *hn = act + 3 * H;
    for (index_t j = 0; j < H; ++j) {
      const float dn = dh[j] * (1.0f - z[j]);
      const float dz = dh[j] * (h_prev[j] - n[j]);
      const float dan = dn * (1.0f - n[j] * n[j]);
      const float dar = dan * hn[j] * r[j] * (1.0f - r[j]);
      const float daz = dz * z[j] * (1.0f - z[j]);
      dxp[j] = dar;
      dxp[H + j] = daz;
      dxp[2 * H + j] = dan;
      dhh[j] = dar;
      dhh[H + j] = daz;
      dhh[2 * H + j] = dan * r[j];
      dh[j] = dh[j] * z[j];
    }
  }
};

// What forward keeps for backward, per layer and direction.
struct RecurrentCache {
  Tensor<float> input;   // [T, N, I] the layer's input
  Tensor<float> act;     // [T, N, 4H] activated gates per step (step-indexed)
  Tensor<float> h;       // [T + 1, N, H] h before step k (index k) and after the last
  Tensor<float> c;       // [T + 1, N, H] (LSTM)
};

template <class Cell>
class Recurrent : public Module {
 public:
  static constexpr int G = Cell::gates;

  Recurrent(const RecurrentConfig& config, Rng& rng) : config_(config) {
    const auto& c = config_;
    NNOCR_CHECK(c.input_size > 0 && c.hidden_size > 0 && c.num_layers > 0, Cell::name,
                ": input_size, hidden_size and num_layers must be positive");
    NNOCR_CHECK(c.dropout >= 0.0f && c.dropout < 1.0f, Cell::name, ": dropout must be in [0, 1)");
    const index_t H = c.hidden_size;
    const float bound = 1.0f / std::sqrt(static_cast<float>(H));
    params_.resize(static_cast<std::size_t>(c.num_layers * directions()));
    for (int l = 0; l < c.num_layers; ++l)
      for (int d = 0; d < directions(); ++d) {
        Weights& w = weights(l, d);
        const index_t in = l == 0 ? c.input_size : H * directions();
        const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
        w.w_ih.reset({G * H, in});
        w.w_hh.reset({G * H, H});
        register_parameter("weight_ih" + sfx, w.w_ih);
        register_parameter("weight_hh" + sfx, w.w_hh);
        w.b_ih.reset({G * H}, false);
        w.b_hh.reset({G * H}, false);
        if (c.bias) {
          register_parameter("bias_ih" + sfx, w.b_ih);
          register_parameter("bias_hh" + sfx, w.b_hh);
        }
      }
    // Initialise in registration order, U(-1/sqrt(H), 1/sqrt(H)) as PyTorch.
    for (auto& np : named_parameters())
      for (float& v : np.second->value) v = rng.uniform(-bound, bound);
    dropout_rng_ = Rng(rng.next_u64(), 0xd0);
  }

  const RecurrentConfig& config() const { return config_; }
  int directions() const { return config_.bidirectional ? 2 : 1; }
  std::string kind() const override { return Cell::name; }
  std::string describe() const override {
    const auto& c = config_;
    return std::string(Cell::name) + "(" + std::to_string(c.input_size) + ", " + std::to_string(c.hidden_size) +
           (c.num_layers > 1 ? ", layers=" + std::to_string(c.num_layers) : "") +
           (c.bidirectional ? ", bidirectional" : "") + (c.batch_first ? ", batch_first" : "") + ")";
  }

  // x: [T, N, I] ([N, T, I] batch-first); lengths: empty (all T) or N values
  // in [0, T]; h0, c0: null (zeros) or [L D, N, H].
  RecurrentOutput forward(const Tensor<float>& x, const std::vector<index_t>& lengths = {},
                          const Tensor<float>* h0 = nullptr, const Tensor<float>* c0 = nullptr) {
    caches_.assign(params_.size(), RecurrentCache{});
    masks_.clear();
    RecurrentOutput out = run(x, lengths, h0, c0, &caches_);
    lengths_ = resolved_lengths(x, lengths);
    had_h0_ = h0 != nullptr;
    had_c0_ = c0 != nullptr;
    return out;
  }

  RecurrentOutput infer(const Tensor<float>& x, const std::vector<index_t>& lengths = {},
                        const Tensor<float>* h0 = nullptr, const Tensor<float>* c0 = nullptr) const {
    return const_cast<Recurrent*>(this)->run(x, lengths, h0, c0, nullptr);
  }

  // dy: gradient of the forward's y; dh_n, dc_n: optional gradients of the
  // final states. Returns dL/dx; dL/dh0 and dL/dc0 are then in grad_h0()
  // and grad_c0() (zeros when no initial state was given).
  Tensor<float> backward(const Tensor<float>& dy, const Tensor<float>* dh_n = nullptr,
                         const Tensor<float>* dc_n = nullptr) {
    NNOCR_CHECK(!caches_.empty() && !caches_[0].act.empty(), Cell::name, "::backward called without a forward");
    const auto& c = config_;
    const index_t T = caches_[0].input.size(0), N = caches_[0].input.size(1), H = c.hidden_size;
    const int D = directions();
    const Shape y_shape = c.batch_first ? Shape{N, T, D * H} : Shape{T, N, D * H};
    check_same_shape(Cell::name, y_shape, dy);
    const Shape state_shape{c.num_layers * D, N, H};
    if (dh_n) check_same_shape(Cell::name, state_shape, *dh_n);
    if (dc_n) check_same_shape(Cell::name, state_shape, *dc_n);
    grad_h0_ = Tensor<float>(state_shape, 0.0f);
    grad_c0_ = Tensor<float>(Cell::has_cell ? state_shape : Shape{0}, 0.0f);

    Tensor<float> dlayer = c.batch_first ? to_time_major(dy) : dy;
    for (int l = c.num_layers - 1; l >= 0; --l) {
      if (l < c.num_layers - 1 && !masks_.empty() && !masks_[static_cast<std::size_t>(l)].empty()) {
        const Tensor<float>& m = masks_[static_cast<std::size_t>(l)];
        for (index_t i = 0; i < dlayer.numel(); ++i) dlayer[i] *= m[i];
      }
      const Tensor<float>& input = caches_[index(l, 0)].input;
      Tensor<float> dx(input.shape(), 0.0f);
      std::vector<Tensor<float>> dx_dir(static_cast<std::size_t>(D));
      parallel_for(D, 1, [&](index_t d0, index_t d1) {
        for (index_t d = d0; d < d1; ++d) {
          const std::size_t k = index(l, static_cast<int>(d));
          const float* dhn = dh_n ? dh_n->data() + static_cast<index_t>(k) * N * H : nullptr;
          const float* dcn = dc_n ? dc_n->data() + static_cast<index_t>(k) * N * H : nullptr;
          dx_dir[static_cast<std::size_t>(d)] =
              backward_direction(l, static_cast<int>(d), dlayer, dhn, dcn, grad_h0_.data() + static_cast<index_t>(k) * N * H,
                                 Cell::has_cell ? grad_c0_.data() + static_cast<index_t>(k) * N * H : nullptr);
        }
      });
      for (int d = 0; d < D; ++d)
        for (index_t i = 0; i < dx.numel(); ++i) dx[i] += dx_dir[static_cast<std::size_t>(d)][i];
      dlayer = std::move(dx);
    }
    return c.batch_first ? to_batch_major(dlayer) : dlayer;
  }

  const Tensor<float>& grad_h0() const { return grad_h0_; }
  const Tensor<float>& grad_c0() const { return grad_c0_; }

 private:
  struct Weights {
    Parameter w_ih, w_hh, b_ih, b_hh;
  };
  // Parameters live in a vector sized once in the constructor (addresses are
  // registered, so it never reallocates afterwards).
  Weights& weights(int l, int d) { return params_[index(l, d)]; }
  const Weights& weights(int l, int d) const { return params_[index(l, d)]; }
  std::size_t index(int l, int d) const { return static_cast<std::size_t>(l * directions() + d); }

  static Tensor<float> to_time_major(const Tensor<float>& x) { return Tensor<float>(x.view().transpose(0, 1)); }
  static Tensor<float> to_batch_major(const Tensor<float>& x) { return Tensor<float>(x.view().transpose(0, 1)); }

  std::vector<index_t> resolved_lengths(const Tensor<float>& x, const std::vector<index_t>& lengths) const {
    const index_t T = x.size(config_.batch_first ? 1 : 0), N = x.size(config_.batch_first ? 0 : 1);
    if (lengths.empty()) return std::vector<index_t>(static_cast<std::size_t>(N), T);
    NNOCR_CHECK(static_cast<index_t>(lengths.size()) == N, Cell::name, ": ", lengths.size(), " lengths for a batch of ",
                N);
    for (std::size_t n = 0; n < lengths.size(); ++n)
      NNOCR_CHECK(lengths[n] >= 0 && lengths[n] <= T, Cell::name, ": length ", lengths[n], " of item ", n,
                  " is outside [0, ", T, "]");
    return lengths;
  }

  RecurrentOutput run(const Tensor<float>& x_in, const std::vector<index_t>& lengths_in, const Tensor<float>* h0,
                      const Tensor<float>* c0, std::vector<RecurrentCache>* caches) {
    const auto& c = config_;
    NNOCR_CHECK(x_in.rank() == 3 && x_in.size(2) == c.input_size, Cell::name, ": expected input ",
                c.batch_first ? "[N, T, " : "[T, N, ", c.input_size, "], got ", x_in.shape().str());
    const std::vector<index_t> lengths = resolved_lengths(x_in, lengths_in);
    Tensor<float> x = c.batch_first ? to_time_major(x_in) : x_in;
    const index_t T = x.size(0), N = x.size(1), H = c.hidden_size;
    const int D = directions();
    const Shape state_shape{c.num_layers * D, N, H};
    NNOCR_CHECK(h0 == nullptr || h0->shape() == state_shape, Cell::name, ": h0 has shape ",
                h0 ? h0->shape().str() : "", ", expected ", state_shape.str());
    NNOCR_CHECK(c0 == nullptr || (Cell::has_cell && c0->shape() == state_shape), Cell::name, ": c0 has shape ",
                c0 ? c0->shape().str() : "", ", expected ", state_shape.str());
    RecurrentOutput out;
    out.h_n = Tensor<float>(state_shape, 0.0f);
    if (Cell::has_cell) out.c_n = Tensor<float>(state_shape, 0.0f);
    for (int l = 0; l < c.num_layers; ++l) {
      Tensor<float> y({T, N, D * H}, 0.0f);
      parallel_for(D, 1, [&](index_t d0, index_t d1) {
        for (index_t d = d0; d < d1; ++d) {
          const std::size_t k = index(l, static_cast<int>(d));
          const index_t off = static_cast<index_t>(k) * N * H;
          forward_direction(l, static_cast<int>(d), x, lengths, h0 ? h0->data() + off : nullptr,
                            c0 ? c0->data() + off : nullptr, y, out.h_n.data() + off,
                            Cell::has_cell ? out.c_n.data() + off : nullptr, caches ? &(*caches)[k] : nullptr);
        }
      });
      if (caches) (*caches)[index(l, 0)].input = x;
      if (caches && D == 2) (*caches)[index(l, 1)].input = Tensor<float>();  // shared with direction 0
      if (l + 1 < c.num_layers && caches && training() && c.dropout > 0.0f) {
        masks_.resize(static_cast<std::size_t>(c.num_layers));
        Tensor<float>& m = masks_[static_cast<std::size_t>(l)];
        m = Tensor<float>(y.shape());
        const float keep = 1.0f / (1.0f - c.dropout);
        for (index_t i = 0; i < m.numel(); ++i) {
          m[i] = dropout_rng_.uniform() < c.dropout ? 0.0f : keep;
          y[i] *= m[i];
        }
      }
      x = std::move(y);
    }
    out.y = c.batch_first ? to_batch_major(x) : std::move(x);
    return out;
  }

  // One layer, one direction. x [T, N, I]; writes its half of y [T, N, D H]
  // and the final states.
  void forward_direction(int l, int d, const Tensor<float>& x, const std::vector<index_t>& lengths,
                         const float* h0, const float* c0, Tensor<float>& y, float* h_n, float* c_n,
                         RecurrentCache* cache) const {
    const Weights& w = weights(l, d);
    const index_t T = x.size(0), N = x.size(1), I = x.size(2), H = config_.hidden_size, GH = G * H;
    const index_t D = directions();
    // Input projections of every step: xp [T N, G H] = x W_ih^T + b_ih.
    Tensor<float> xp({T, N, GH});
    for (index_t r = 0; r < T * N; ++r) std::copy(w.b_ih.value.begin(), w.b_ih.value.end(), xp.data() + r * GH);
    kernels::sgemm(Trans::no, Trans::yes, T * N, GH, I, 1.0f, x.data(), I, w.w_ih.value.data(), I, 1.0f, xp.data(),
                   GH);
    Tensor<float> h_steps({T + 1, N, H}, 0.0f), c_steps({Cell::has_cell ? T + 1 : 1, N, H}, 0.0f);
    if (h0) std::copy(h0, h0 + N * H, h_steps.data());
    if (c0) std::copy(c0, c0 + N * H, c_steps.data());
    Tensor<float> act({T, N, 4 * H}, 0.0f), hh({N, GH});
    std::vector<float> scratch(static_cast<std::size_t>(H));
    for (index_t k = 0; k < T; ++k) {
      const float* hp = h_steps.data() + k * N * H;
      for (index_t n = 0; n < N; ++n) std::copy(w.b_hh.value.begin(), w.b_hh.value.end(), hh.data() + n * GH);
      kernels::sgemm(Trans::no, Trans::yes, N, GH, H, 1.0f, hp, H, w.w_hh.value.data(), H, 1.0f, hh.data(), GH);
      float* hk = h_steps.data() + (k + 1) * N * H;
      float* ck = Cell::has_cell ? c_steps.data() + (k + 1) * N * H : nullptr;
      const float* cp = Cell::has_cell ? c_steps.data() + k * N * H : nullptr;
      for (index_t n = 0; n < N; ++n) {
        const index_t len = lengths[static_cast<std::size_t>(n)];
        if (k >= len) {  // past this item's end: the state is frozen
          std::copy(hp + n * H, hp + (n + 1) * H, hk + n * H);
          if (Cell::has_cell) std::copy(cp + n * H, cp + (n + 1) * H, ck + n * H);
          continue;
        }
        const index_t t = d == 0 ? k : len - 1 - k;
        float* a = act.data() + (k * N + n) * 4 * H;
        std::copy(xp.data() + (t * N + n) * GH, xp.data() + (t * N + n + 1) * GH, a);
        Cell::forward(a, hh.data() + n * GH, hp + n * H, cp ? cp + n * H : nullptr, hk + n * H,
                      ck ? ck + n * H : nullptr, scratch.data(), H);
        std::copy(hk + n * H, hk + (n + 1) * H, y.data() + (t * N + n) * D * H + d * H);
      }
    }
    std::copy(h_steps.data() + T * N * H, h_steps.data() + (T + 1) * N * H, h_n);
    if (Cell::has_cell) std::copy(c_steps.data() + T * N * H, c_steps.data() + (T + 1) * N * H, c_n);
    if (cache) {
      cache->act = std::move(act);
      cache->h = std::move(h_steps);
      cache->c = std::move(c_steps);
    }
  }

  Tensor<float> backward_direction(int l, int d, const Tensor<float>& dy, const float* dh_n, const float* dc_n,
                                   float* dh0, float* dc0) {
    Weights& w = weights(l, d);
    const RecurrentCache& cache = caches_[index(l, d)];
    const Tensor<float>& x = caches_[index(l, 0)].input;
    const index_t T = x.size(0), N = x.size(1), I = x.size(2), H = config_.hidden_size, GH = G * H;
    const index_t D = directions();
    Tensor<float> dh({N, H}, 0.0f), dc({N, H}, 0.0f);
    if (dh_n) std::copy(dh_n, dh_n + N * H, dh.data());
    if (dc_n && Cell::has_cell) std::copy(dc_n, dc_n + N * H, dc.data());
    Tensor<float> dxp({T, N, GH}, 0.0f), dhh({T, N, GH}, 0.0f);
    std::vector<float> scratch(static_cast<std::size_t>(H));
    for (index_t k = T - 1; k >= 0; --k) {
      const float* hp = cache.h.data() + k * N * H;
      for (index_t n = 0; n < N; ++n) {
        const index_t len = lengths_[static_cast<std::size_t>(n)];
        if (k >= len) continue;  // frozen: gradients pass through unchanged
        const index_t t = d == 0 ? k : len - 1 - k;
        float* dhn = dh.data() + n * H;
        const float* g = dy.data() + (t * N + n) * D * H + d * H;
        for (index_t j = 0; j < H; ++j) dhn[j] += g[j];
        const float* cp = Cell::has_cell ? cache.c.data() + (k * N + n) * H : nullptr;
        const float* ck = Cell::has_cell ? cache.c.data() + ((k + 1) * N + n) * H : nullptr;
        Cell::backward(cache.act.data() + (k * N + n) * 4 * H, hp + n * H, cp, ck, dhn, dc.data() + n * H,
                       dxp.data() + (t * N + n) * GH, dhh.data() + (k * N + n) * GH, scratch.data(), H);
      }
      // dh_{k-1} += dhh_k W_hh (rows of frozen items are zero in dhh).
      kernels::sgemm(Trans::no, Trans::no, N, H, GH, 1.0f, dhh.data() + k * N * GH, GH, w.w_hh.value.data(), H, 1.0f,
                     dh.data(), H);
    }
    std::copy(dh.begin(), dh.end(), dh0);
    if (dc0) std::copy(dc.begin(), dc.end(), dc0);
    // Weight gradients over all steps: dW_hh += dhh^T h_prev, dW_ih += dxp^T x.
    kernels::sgemm(Trans::yes, Trans::no, GH, H, T * N, 1.0f, dhh.data(), GH, cache.h.data(), H, 1.0f,
                   w.w_hh.grad.data(), H);
    kernels::sgemm(Trans::yes, Trans::no, GH, I, T * N, 1.0f, dxp.data(), GH, x.data(), I, 1.0f, w.w_ih.grad.data(),
                   I);
    if (config_.bias)
      for (index_t r = 0; r < T * N; ++r)
        for (index_t j = 0; j < GH; ++j) {
          w.b_ih.grad[j] += dxp[r * GH + j];
          w.b_hh.grad[j] += dhh[r * GH + j];
        }
    Tensor<float> dx({T, N, I});
    kernels::sgemm(Trans::no, Trans::no, T * N, I, GH, 1.0f, dxp.data(), GH, w.w_ih.value.data(), I, 0.0f, dx.data(),
                   I);
    return dx;
  }

  RecurrentConfig config_;
  std::vector<Weights> params_;
  std::vector<RecurrentCache> caches_;
  std::vector<Tensor<float>> masks_;
  std::vector<index_t> lengths_;
  Tensor<float> grad_h0_, grad_c0_;
  bool had_h0_ = false, had_c0_ = false;
  Rng dropout_rng_;
};

}  // namespace detail

// torch.nn.LSTM
class Lstm : public detail::Recurrent<detail::LstmCell> {
 public:
  using Recurrent::Recurrent;
};

// torch.nn.GRU
class Gru : public detail::Recurrent<detail::GruCell> {
 public:
  using Recurrent::Recurrent;
};

}  // namespace nnocr::nn
