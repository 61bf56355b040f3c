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
// plus the gate arithmetic (vectorised sigmoid and tanh). W_hh is
// transposed once per call (rows padded) so that the per-step GEMM reads it
// in place instead of packing it every step; the LSTM accumulates that
// product straight into the step's input projections, which then become
// the cached gates. The reverse direction keeps its steps in contiguous
// blocks (see RecurrentCache). The two directions of a bidirectional layer
// run on two threads. Backward keeps the gate gradients per step; weight
// gradients are two GEMMs over all steps, on the gate gradients transposed
// once, and bias gradients one GEMV. Training reuses its buffers from call
// to call. Measured against PyTorch 1.13 by bench/compare_sequence.sh.
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
  // The recurrent product only adds to the gate pre-activations, so it is
  // accumulated into them in place (no hh), and its gate gradients are the
  // input part's (no dhh).
  static constexpr bool recurrent_in_place = true;

  // pre: [4H] = W_ih x + b_ih (in), overwritten with the activated gates
  // (kept for backward); hh: [4H] = W_hh h + b_hh. With the recurrent
  // product in place, pre holds W_ih x + W_hh h and hh is b_ih + b_hh.
  static void forward(float* NNOCR_RESTRICT pre, const float* NNOCR_RESTRICT hh, const float*,
                      const float* NNOCR_RESTRICT c_prev, float* NNOCR_RESTRICT h, float* NNOCR_RESTRICT c,
                      float* NNOCR_RESTRICT scratch, index_t H) {
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
  // dhh (null: not wanted) receives a copy of dxp.
  // (The pointers never overlap; saying so lets the compiler vectorise.)
  static void backward(const float* NNOCR_RESTRICT act, const float*, const float* NNOCR_RESTRICT c_prev,
                       const float* NNOCR_RESTRICT c, float* NNOCR_RESTRICT dh, float* NNOCR_RESTRICT dc,
                       float* NNOCR_RESTRICT dxp, float* NNOCR_RESTRICT dhh, float* NNOCR_RESTRICT scratch, index_t H) {
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
    if (dhh) std::copy(dxp, dxp + 4 * H, dhh);
  }
};

struct GruCell {
  static constexpr int gates = 3;
  static constexpr bool has_cell = false;
  static constexpr const char* name = "GRU";
  static constexpr bool recurrent_in_place = false;  // n needs W_hn h + b_hn apart

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

  static void backward(const float* NNOCR_RESTRICT act, const float* NNOCR_RESTRICT h_prev, const float*,
                       const float*, float* NNOCR_RESTRICT dh, float*, float* NNOCR_RESTRICT dxp,
                       float* NNOCR_RESTRICT dhh, float*, index_t H) {
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

// dst[j ldd + i] = src[i lds + j] for i < rows, j < cols, and zeros in
// dst[j ldd + rows .. (j + 1) ldd). Strips of 128 columns keep a strip's
// destination lines in L1 while 4-row groups of the source stream past; a
// padded ldd (not a multiple of 1 KiB) keeps those lines from sharing cache
// sets.
inline void transpose_padded(const float* src, index_t rows, index_t cols, index_t lds, float* dst, index_t ldd) {
  NNOCR_CHECK(rows <= ldd && ldd <= index_t{1} << 30, "transpose_padded: ", rows, " rows into lines of ", ldd);
  for (index_t j = 0; j < cols; j += 128)
    kernels::detail::gather_transpose(src + j, lds, static_cast<int>(rows), std::min<index_t>(128, cols - j),
                                      dst + j * ldd, static_cast<int>(ldd));
}

// A leading dimension of at least n floats: whole cache lines, but not a
// multiple of 1 KiB (1024 -> 1040).
inline index_t padded_ld(index_t n) {
  const index_t ld = (n + 15) / 16 * 16;
  return ld % 256 == 0 ? ld + 16 : ld;
}

// What forward keeps for backward, per layer and direction. Rows of the
// [T, N, .] buffers come in blocks of N, one block per step k; the states
// h and c in blocks too, s(k) holding the state before step k and s(T) the
// final one. The forward direction's step k is time k: block k, s(k) = k.
// The reverse direction's step k of item n is time lengths[n] - 1 - k. When
// every item has the full length T that is time T - 1 - k for all items,
// so it reads the layer's input as it is and keeps its blocks in time order
// (`flip`: block T - 1 - k, s(k) = T - k); otherwise it reads a copy of the
// input with each item's valid steps reversed, zeros past its length, and
// keeps step order like the forward direction.
struct RecurrentCache {
  Tensor<float> input;   // [T, N, I] the layer's input (forward direction) or the
                         // reversed copy (reverse direction, not flip)
  Tensor<float> act;     // [T, N, >= 4H] activated gates per step (rows padded)
  Tensor<float> h;       // [T + 1, N, H] states (inference: two, used in turn)
  Tensor<float> c;       // [T + 1, N, H] (LSTM)
  bool flip = false;
};

// Work buffers of one layer and direction. Training keeps them in the
// module between calls, so steady-state steps do not allocate (allocating
// and first touching several MiB per call costs about a sixth of a BiLSTM's
// forward + backward); infer() uses fresh ones (shared by the directions
// when they run one after the other), so it stays const and may run on
// several threads at once.
struct RecurrentScratch {
  Tensor<float> w_hh_t;   // [H, padded GH] W_hh^T
  Tensor<float> xp, hh;   // input projections, recurrent products (GRU)
  Tensor<float> dxp, dhh; // [T, N, >= GH] gate gradients per step (dhh: GRU)
  Tensor<float> grads_t;  // [GH, padded T N] one of them transposed
  Tensor<float> dx;       // [T, N, I] the reverse direction's dL/d(input), step order
};

// t with shape s, keeping its storage when it already has that shape (the
// contents are then stale: callers write before they read).
inline void reuse_as(Tensor<float>& t, const Shape& s) {
  if (t.shape() != s) t = Tensor<float>(s);
}

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
    cached_ = false;
    caches_.resize(params_.size());
    scratch_.resize(params_.size());
    masks_.clear();
    RecurrentOutput out = run(x, lengths, h0, c0, caches_, scratch_, true);
    cached_ = true;
    lengths_ = resolved_lengths(x, lengths);
    had_h0_ = h0 != nullptr;
    had_c0_ = c0 != nullptr;
    return out;
  }

  RecurrentOutput infer(const Tensor<float>& x, const std::vector<index_t>& lengths = {},
                        const Tensor<float>* h0 = nullptr, const Tensor<float>* c0 = nullptr) const {
    // With one thread the directions run one after the other and share one
    // set of buffers.
    const std::size_t slots = directions() == 1 || num_threads() == 1 ? 1 : 2;
    std::vector<RecurrentCache> caches(slots);
    std::vector<RecurrentScratch> scratch(slots);
    return const_cast<Recurrent*>(this)->run(x, lengths, h0, c0, caches, scratch, false);
  }

  // dy: gradient of the forward's y; dh_n, dc_n: optional gradients of the
  // final states. Returns dL/dx; dL/dh0 and dL/dc0 are then in grad_h0()
  // and grad_c0() (zeros when no initial state was given).
  Tensor<float> backward(const Tensor<float>& dy, const Tensor<float>* dh_n = nullptr,
                         const Tensor<float>* dc_n = nullptr) {
    NNOCR_CHECK(cached_, Cell::name, "::backward called without a forward");
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
      parallel_for(D, 1, [&](index_t d0, index_t d1) {
        for (index_t d = d0; d < d1; ++d) {
          const std::size_t k = index(l, static_cast<int>(d));
          const float* dhn = dh_n ? dh_n->data() + static_cast<index_t>(k) * N * H : nullptr;
          const float* dcn = dc_n ? dc_n->data() + static_cast<index_t>(k) * N * H : nullptr;
          const index_t off = static_cast<index_t>(k) * N * H;
          backward_direction(l, static_cast<int>(d), dlayer, dhn, dcn, grad_h0_.data() + off,
                             Cell::has_cell ? grad_c0_.data() + off : nullptr);
        }
      });
      // dL/dx = sum over directions of dxp W_ih. The reverse direction's
      // rows are in time order when flip, else in step order: row (k, n) is
      // time lengths[n] - 1 - k (rows past the length are zero padding).
      Tensor<float> dx(caches_[index(l, 0)].input.shape());
      const index_t I = dx.size(2), GH = G * H, ldx = padded_ld(GH);
      for (int d = 0; d < D; ++d) {
        const std::size_t k = index(l, d);
        const float* w_ih = weights(l, d).w_ih.value.data();
        const float* dxp = scratch_[k].dxp.data();
        if (d == 0 || caches_[k].flip) {
          kernels::sgemm(Trans::no, Trans::no, T * N, I, GH, 1.0f, dxp, ldx, w_ih, I, d == 0 ? 0.0f : 1.0f, dx.data(),
                         I);
          continue;
        }
        Tensor<float>& dr = scratch_[k].dx;
        reuse_as(dr, dx.shape());
        kernels::sgemm(Trans::no, Trans::no, T * N, I, GH, 1.0f, dxp, ldx, w_ih, I, 0.0f, dr.data(), I);
        for (index_t n = 0; n < N; ++n)
          for (index_t s = 0, len = lengths_[static_cast<std::size_t>(n)]; s < len; ++s) {
            float* o = dx.data() + ((len - 1 - s) * N + n) * I;
            const float* r = dr.data() + (s * N + n) * I;
            for (index_t j = 0; j < I; ++j) o[j] += r[j];
          }
      }
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

  // keep: training (caches and scratch are the module's, one per layer and
  // direction, kept for backward; dropout applies). Otherwise one slot per
  // direction, or one for both (then they run one after the other).
  RecurrentOutput run(const Tensor<float>& x_in, const std::vector<index_t>& lengths_in, const Tensor<float>* h0,
                      const Tensor<float>* c0, std::vector<RecurrentCache>& caches,
                      std::vector<RecurrentScratch>& scratch, bool keep) {
    const auto& c = config_;
    NNOCR_CHECK(x_in.rank() == 3 && x_in.size(2) == c.input_size, Cell::name, ": expected input ",
                c.batch_first ? "[N, T, " : "[T, N, ", c.input_size, "], got ", x_in.shape().str());
    const std::vector<index_t> lengths = resolved_lengths(x_in, lengths_in);
    // The layer's input, time-major: the caller's x, or a tensor of ours
    // (batch-first input turned round, or the previous layer's output).
    Tensor<float> owned = c.batch_first ? to_time_major(x_in) : Tensor<float>();
    const Tensor<float>* x = c.batch_first ? &owned : &x_in;
    const index_t T = x->size(0), N = x->size(1), H = c.hidden_size;
    const int D = directions();
    const bool full = std::all_of(lengths.begin(), lengths.end(), [T](index_t len) { return len == T; });
    const Shape state_shape{c.num_layers * D, N, H};
    NNOCR_CHECK(h0 == nullptr || h0->shape() == state_shape, Cell::name, ": h0 has shape ",
                h0 ? h0->shape().str() : "", ", expected ", state_shape.str());
    NNOCR_CHECK(c0 == nullptr || (Cell::has_cell && c0->shape() == state_shape), Cell::name, ": c0 has shape ",
                c0 ? c0->shape().str() : "", ", expected ", state_shape.str());
    RecurrentOutput out;
    out.h_n = Tensor<float>(state_shape, 0.0f);
    if (Cell::has_cell) out.c_n = Tensor<float>(state_shape, 0.0f);
    for (int l = 0; l < c.num_layers; ++l) {
      Tensor<float> y({T, N, D * H});  // zeros: padded steps stay zero
      auto one_direction = [&](int d) {
        const std::size_t k = index(l, d);
        const std::size_t slot = keep ? k : std::min(static_cast<std::size_t>(d), caches.size() - 1);
        const index_t off = static_cast<index_t>(k) * N * H;
        forward_direction(l, d, *x, lengths, full, h0 ? h0->data() + off : nullptr, c0 ? c0->data() + off : nullptr,
                          y, out.h_n.data() + off, Cell::has_cell ? out.c_n.data() + off : nullptr, caches[slot],
                          scratch[slot], keep);
      };
      if (!keep && caches.size() == 1) {
        for (int d = 0; d < D; ++d) one_direction(d);
      } else {
        parallel_for(D, 1, [&](index_t d0, index_t d1) {
          for (index_t d = d0; d < d1; ++d) one_direction(static_cast<int>(d));
        });
      }
      if (keep) {  // the layer's input, for backward
        Tensor<float>& kept = caches[index(l, 0)].input;
        if (x == &owned) {
          kept = std::move(owned);
        } else {
          reuse_as(kept, x->shape());
          std::copy(x->begin(), x->end(), kept.begin());
        }
      }
      if (l + 1 < c.num_layers && keep && training() && c.dropout > 0.0f) {
        masks_.resize(static_cast<std::size_t>(c.num_layers));
        Tensor<float>& m = masks_[static_cast<std::size_t>(l)];
        m = Tensor<float>(y.shape());
        const float kept_scale = 1.0f / (1.0f - c.dropout);
        for (index_t i = 0; i < m.numel(); ++i) {
          m[i] = dropout_rng_.uniform() < c.dropout ? 0.0f : kept_scale;
          y[i] *= m[i];
        }
      }
      owned = std::move(y);
      x = &owned;
    }
    out.y = c.batch_first ? to_batch_major(owned) : std::move(owned);
    return out;
  }

  // One layer, one direction. x [T, N, I] (the layer's input, time-major);
  // full: every item has length T. Writes its half of y [T, N, D H], the
  // final states, and into `store` what backward needs (all T + 1 states
  // when keep, else two).
  void forward_direction(int l, int d, const Tensor<float>& x, const std::vector<index_t>& lengths, bool full,
                         const float* h0, const float* c0, Tensor<float>& y, float* h_n, float* c_n,
                         RecurrentCache& store, RecurrentScratch& scratch, bool keep) const {
    constexpr bool in_place = Cell::recurrent_in_place;
    const Weights& w = weights(l, d);
    const index_t T = x.size(0), N = x.size(1), I = x.size(2), H = config_.hidden_size, GH = G * H;
    const index_t D = directions();
    // Step order (see RecurrentCache).
    const bool flip = d == 1 && full;
    store.flip = flip;
    auto block = [&](index_t k) { return flip ? T - 1 - k : k; };
    auto state = [&](index_t k) {
      const index_t s = flip ? T - k : k;
      return keep ? s : s % 2;
    };
    if (d == 1 && !flip) {
      reuse_as(store.input, x.shape());
      for (index_t n = 0; n < N; ++n) {
        const index_t len = lengths[static_cast<std::size_t>(n)];
        for (index_t k = 0; k < T; ++k) {
          float* dst = store.input.data() + (k * N + n) * I;
          if (k < len) {
            const float* src = x.data() + ((len - 1 - k) * N + n) * I;
            std::copy(src, src + I, dst);
          } else {
            std::fill(dst, dst + I, 0.0f);
          }
        }
      }
    }
    const Tensor<float>& xs = d == 1 && !flip ? store.input : x;
    // Input projections of every step, xp [T N, G H] = xs W_ih^T (+ b_ih,
    // added here for the GRU, by the gate kernel for the LSTM: b_ih + b_hh
    // with the recurrent product). With the product in place, xp becomes
    // the cached gates. Rows are padded (ldx) like every [T, N, G H] buffer
    // here, so that a GEMM reading 12 rows at once does not find them all
    // in the same cache sets.
    const index_t ldx = padded_ld(GH);
    Tensor<float>& xp = in_place ? store.act : scratch.xp;
    reuse_as(xp, {T, N, ldx});
    std::vector<float> bias(w.b_ih.value.begin(), w.b_ih.value.end());
    if (in_place) {
      for (index_t j = 0; j < GH; ++j) bias[static_cast<std::size_t>(j)] += w.b_hh.value[j];
    } else {
      for (index_t r = 0; r < T * N; ++r) std::copy(bias.begin(), bias.end(), xp.data() + r * ldx);
    }
    kernels::sgemm(Trans::no, Trans::yes, T * N, GH, I, 1.0f, xs.data(), I, w.w_ih.value.data(), I,
                   in_place ? 0.0f : 1.0f, xp.data(), ldx);
    // Each step multiplies h [N, H] by W_hh^T. For N > 1 that GEMM would pack
    // W_hh every step, so it reads a transposed copy made once here instead;
    // for N == 1 it is a matrix-vector product that streams W_hh in place.
    const bool transposed = N > 1;
    const index_t ldw = padded_ld(GH);
    if (transposed) {
      reuse_as(scratch.w_hh_t, {H, ldw});
      transpose_padded(w.w_hh.value.data(), GH, H, H, scratch.w_hh_t.data(), ldw);
    }
    const index_t ldo = in_place ? ldx : GH;  // rows of the product's destination
    auto recurrent_product = [&](const float* hp, float* out) {  // out [N, GH] += hp W_hh^T
      if (transposed)
        kernels::sgemm(Trans::no, Trans::no, N, GH, H, 1.0f, hp, H, scratch.w_hh_t.data(), ldw, 1.0f, out, ldo);
      else
        kernels::sgemm(Trans::no, Trans::yes, N, GH, H, 1.0f, hp, H, w.w_hh.value.data(), H, 1.0f, out, ldo);
    };

    const index_t states = keep ? T + 1 : 2;
    reuse_as(store.h, {states, N, H});
    reuse_as(store.c, {Cell::has_cell ? states : 1, N, H});
    float* h_first = store.h.data() + state(0) * N * H;
    float* c_first = store.c.data() + (Cell::has_cell ? state(0) * N * H : 0);
    if (h0)
      std::copy(h0, h0 + N * H, h_first);
    else
      std::fill(h_first, h_first + N * H, 0.0f);
    if (c0)
      std::copy(c0, c0 + N * H, c_first);
    else
      std::fill(c_first, c_first + N * H, 0.0f);
    const index_t lda = padded_ld(4 * H);  // rows of the cached gates
    if (!in_place) {
      reuse_as(store.act, {T, N, lda});
      reuse_as(scratch.hh, {N, GH});
    }
    std::vector<float> tmp(static_cast<std::size_t>(H));
    for (index_t k = 0; k < T; ++k) {
      const float* hp = store.h.data() + state(k) * N * H;
      float* xk = xp.data() + block(k) * N * ldx;
      const bool zero_state = k == 0 && !h0;  // then W_hh h adds nothing
      if (in_place) {
        if (!zero_state) recurrent_product(hp, xk);
      } else {
        for (index_t n = 0; n < N; ++n)
          std::copy(w.b_hh.value.begin(), w.b_hh.value.end(), scratch.hh.data() + n * GH);
        if (!zero_state) recurrent_product(hp, scratch.hh.data());
      }
      float* hk = store.h.data() + state(k + 1) * N * H;
      float* ck = Cell::has_cell ? store.c.data() + state(k + 1) * N * H : nullptr;
      const float* cp = Cell::has_cell ? store.c.data() + state(k) * N * H : nullptr;
      for (index_t n = 0; n < N; ++n) {
        const index_t len = lengths[static_cast<std::size_t>(n)];
        if (k >= len) {  // past this item's end: the state is frozen
          std::copy(hp + n * H, hp + (n + 1) * H, hk + n * H);
          if (Cell::has_cell) std::copy(cp + n * H, cp + (n + 1) * H, ck + n * H);
          continue;
        }
        const index_t t = d == 0 ? k : len - 1 - k;
        float* a = in_place ? xk + n * ldx : store.act.data() + (block(k) * N + n) * lda;
        if (!in_place) std::copy(xk + n * ldx, xk + n * ldx + GH, a);
        Cell::forward(a, in_place ? bias.data() : scratch.hh.data() + n * GH, hp + n * H, cp ? cp + n * H : nullptr,
                      hk + n * H, ck ? ck + n * H : nullptr, tmp.data(), H);
        std::copy(hk + n * H, hk + (n + 1) * H, y.data() + (t * N + n) * D * H + d * H);
      }
    }
    const float* h_last = store.h.data() + state(T) * N * H;
    std::copy(h_last, h_last + N * H, h_n);
    if (Cell::has_cell) {
      const float* c_last = store.c.data() + state(T) * N * H;
      std::copy(c_last, c_last + N * H, c_n);
    }
  }

  // Gate gradients (scratch dxp, dhh), weight and bias gradients, dL/dh0 and
  // dL/dc0 of one layer and direction; backward() turns dxp into dL/dx.
  void backward_direction(int l, int d, const Tensor<float>& dy, const float* dh_n, const float* dc_n, float* dh0,
                          float* dc0) {
    constexpr bool in_place = Cell::recurrent_in_place;
    Weights& w = weights(l, d);
    const RecurrentCache& cache = caches_[index(l, d)];
    RecurrentScratch& scratch = scratch_[index(l, d)];
    const bool flip = cache.flip;
    const Tensor<float>& xs = d == 1 && !flip ? cache.input : caches_[index(l, 0)].input;
    const index_t T = xs.size(0), N = xs.size(1), I = xs.size(2), H = config_.hidden_size, GH = G * H, TN = T * N;
    const index_t D = directions();
    auto block = [&](index_t k) { return flip ? T - 1 - k : k; };
    auto state = [&](index_t k) { return flip ? T - k : k; };
    Tensor<float> dh({N, H}, 0.0f), dc({N, H}, 0.0f);
    if (dh_n) std::copy(dh_n, dh_n + N * H, dh.data());
    if (dc_n && Cell::has_cell) std::copy(dc_n, dc_n + N * H, dc.data());
    // Gradients of the gate pre-activations per step: dxp for the input
    // part, dhh for the recurrent part (the same values for the LSTM, so
    // only dxp). Rows of frozen items are zero.
    const index_t ldx = padded_ld(GH), lda = cache.act.size(2);
    reuse_as(scratch.dxp, {T, N, ldx});
    if (!in_place) reuse_as(scratch.dhh, {T, N, ldx});
    float* dxp = scratch.dxp.data();
    float* dgh = in_place ? dxp : scratch.dhh.data();
    std::vector<float> tmp(static_cast<std::size_t>(H));
    for (index_t k = T - 1; k >= 0; --k) {
      const index_t b = block(k);
      const float* hp = cache.h.data() + state(k) * N * H;
      for (index_t n = 0; n < N; ++n) {
        const index_t len = lengths_[static_cast<std::size_t>(n)];
        const index_t row = b * N + n;
        if (k >= len) {  // frozen: gradients pass through unchanged
          std::fill(dxp + row * ldx, dxp + row * ldx + GH, 0.0f);
          std::fill(dgh + row * ldx, dgh + row * ldx + GH, 0.0f);
          continue;
        }
        const index_t t = d == 0 ? k : len - 1 - k;
        float* dhn = dh.data() + n * H;
        const float* g = dy.data() + (t * N + n) * D * H + d * H;
        for (index_t j = 0; j < H; ++j) dhn[j] += g[j];
        const float* cp = Cell::has_cell ? cache.c.data() + (state(k) * N + n) * H : nullptr;
        const float* ck = Cell::has_cell ? cache.c.data() + (state(k + 1) * N + n) * H : nullptr;
        Cell::backward(cache.act.data() + row * lda, hp + n * H, cp, ck, dhn, dc.data() + n * H, dxp + row * ldx,
                       in_place ? nullptr : dgh + row * ldx, tmp.data(), H);
      }
      // dh_{k-1} += dhh_k W_hh (rows of frozen items are zero in dhh); at
      // k = 0 that is dL/dh0, wanted only when h0 was given.
      if (k > 0 || had_h0_)
        kernels::sgemm(Trans::no, Trans::no, N, H, GH, 1.0f, dgh + b * N * ldx, ldx, w.w_hh.value.data(), H, 1.0f,
                       dh.data(), H);
    }
    if (had_h0_) std::copy(dh.begin(), dh.end(), dh0);
    if (dc0 && had_c0_) std::copy(dc.begin(), dc.end(), dc0);

    // Weight gradients over all steps, dW_ih += dxp^T xs and dW_hh += dhh^T
    // h_prev, and bias gradients, column sums of dxp and dhh. They read the
    // gate gradients transposed, [G H, T N] with padded rows: a GEMM with a
    // transposed A would gather them a whole row (4 KiB) apart. Block b's
    // previous states are block b + 1 of h when flip, else block b. Without
    // h0 the states before step 0 are zeros: dW_hh skips their block (the
    // last when flip, else the first).
    const index_t ldg = padded_ld(TN);
    reuse_as(scratch.grads_t, {GH, ldg});
    float* gt = scratch.grads_t.data();
    const float* h_prev = cache.h.data() + (flip ? N * H : 0);
    const index_t hh_begin = had_h0_ || flip ? 0 : N, hh_rows = had_h0_ ? TN : TN - N;
    std::vector<float> db(static_cast<std::size_t>(GH));
    const std::vector<float> ones(static_cast<std::size_t>(TN), 1.0f);
    // weight.grad += grads^T input over rows [r0, r0 + rows); bias.grad += column sums of grads.
    auto accumulate = [&](const float* grads, const float* input, index_t width, index_t r0, index_t rows,
                          Parameter& weight, Parameter& bias) {
      transpose_padded(grads, TN, GH, ldx, gt, ldg);
      kernels::sgemm(Trans::no, Trans::no, GH, width, rows, 1.0f, gt + r0, ldg, input + r0 * width, width, 1.0f,
                     weight.grad.data(), width);
      if (!config_.bias) return;
      kernels::sgemm(Trans::no, Trans::no, GH, 1, TN, 1.0f, gt, ldg, ones.data(), 1, 0.0f, db.data(), 1);
      for (index_t j = 0; j < GH; ++j) bias.grad[j] += db[static_cast<std::size_t>(j)];
      if (in_place)  // the LSTM's recurrent bias has the same gradient
        for (index_t j = 0; j < GH; ++j) w.b_hh.grad[j] += db[static_cast<std::size_t>(j)];
    };
    accumulate(dxp, xs.data(), I, 0, TN, w.w_ih, w.b_ih);
    if (in_place)
      kernels::sgemm(Trans::no, Trans::no, GH, H, hh_rows, 1.0f, gt + hh_begin, ldg, h_prev + hh_begin * H, H, 1.0f,
                     w.w_hh.grad.data(), H);
    else
      accumulate(dgh, h_prev, H, hh_begin, hh_rows, w.w_hh, w.b_hh);
  }

  RecurrentConfig config_;
  std::vector<Weights> params_;
  std::vector<RecurrentCache> caches_;
  std::vector<RecurrentScratch> scratch_;
  std::vector<Tensor<float>> masks_;
  std::vector<index_t> lengths_;
  Tensor<float> grad_h0_, grad_c0_;
  bool had_h0_ = false, had_c0_ = false;
  bool cached_ = false;  // caches_ hold the last forward's values
  Rng dropout_rng_;

 protected:
  // Module::reseed_streams: the masks between layers restart from `seed`.
  void on_reseed(std::uint64_t seed) override { dropout_rng_ = Rng(seed, 0xd0); }
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
