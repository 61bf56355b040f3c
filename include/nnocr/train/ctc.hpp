// ctc.hpp — Connectionist Temporal Classification loss (Graves, Fernández,
// Gomez & Schmidhuber 2006, "Connectionist Temporal Classification:
// Labelling Unsegmented Sequence Data with Recurrent Neural Networks"), with
// PyTorch's semantics (torch.nn.functional.ctc_loss).
//
// Inputs: logits z [T, N, C] (time-major), class `blank` in [0, C); for item
// n, its first T_n frames and its label sequence l = (l_1 .. l_L), L = L_n.
// y[t, c] = log_softmax(z[t, :])_c is computed once per frame.
//
// The extended sequence l' puts a blank around every label:
// l' = (b, l_1, b, l_2, ..., b, l_L, b), S = 2L + 1 cells. A path is a
// sequence of cells s_0 .. s_{T-1} starting at cell 0 or 1, ending at cell
// S-1 or S-2, moving each frame by 0, 1 or 2 cells; the 2-step move into s
// is allowed only when l'_s is not blank and l'_s != l'_{s-2} (so "aa" must
// pass through the blank between the two a's).
//
// Forward variables (log space; Graves et al. 2006, section 4.1):
//   alpha[0, 0] = y[0, b],  alpha[0, 1] = y[0, l_1],  alpha[0, s>1] = -inf
//   alpha[t, s] = y[t, l'_s] + LSE(alpha[t-1, s], alpha[t-1, s-1], [alpha[t-1, s-2]])
//   log p(l | z) = LSE(alpha[T-1, S-1], alpha[T-1, S-2])
// Backward variables (like alpha, they include frame t's y):
//   beta[T-1, S-1] = y[T-1, b],  beta[T-1, S-2] = y[T-1, l_L]
//   beta[t, s] = y[t, l'_s] + LSE(beta[t+1, s], beta[t+1, s+1], [beta[t+1, s+2]])
// where [.] is present only when the 2-step move is allowed and
// LSE(a, b, ...) = m + log(e^{a-m} + e^{b-m} + ...), m the largest term.
// Posterior occupancy of class c at frame t (section 4.2):
//   gamma[t, c] = sum over s with l'_s = c of exp(alpha[t, s] + beta[t, s] - y[t, l'_s] - log p)
// Loss and gradient with respect to the logits (softmax folded in):
//   loss_n = -log p(l | z),   d loss_n / d z[t, c] = softmax(z[t])_c - gamma[t, c]   (t < T_n)
// and 0 for frames t >= T_n.
//
// Numerics: each frame's row of alpha (or beta) is shifted by its maximum
// and the shifts are summed in double, so the stored floats stay near 0
// whatever the sequence length; LSE is exact (no cells are dropped), so a
// path far less likely than the best one still counts. The loops run per
// ISA (kernels/ctc.hpp): a frame's cells are vectorised, and alpha and beta
// advance side by side so the CPU overlaps their dependency chains.
//
// Semantics, as PyTorch: reduction `mean` divides each item's loss by
// max(L_n, 1) and averages over the batch, `sum` adds, `none` keeps the
// per-item losses. An impossible alignment (L_n plus the repeats that need
// a blank between them exceeds T_n) has loss +inf and, as in PyTorch, a NaN
// gradient on its T_n frames; with zero_infinity both become 0. NaN in an
// item's input gives that item a NaN loss and gradient (zero_infinity
// leaves NaN alone). Differences from PyTorch: T_n = 0 gives loss 0 when
// L_n = 0 and +inf otherwise (PyTorch reads frame 0 anyway); a label equal
// to `blank` or outside [0, C) is an error; ctc_loss_from_log_probs returns
// the true gradient d loss / d y = -gamma, where PyTorch returns
// softmax - gamma (the gradient with respect to the logits; both give the
// same result once passed back through a log_softmax).
//
// Items run in parallel (parallel_for over the batch); each item's result
// depends only on that item, so any thread count gives the same numbers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../core/tensor.hpp"
#include "../core/thread_pool.hpp"
#include "../kernels/ctc.hpp"

namespace nnocr::train {

enum class CtcReduction { none, mean, sum };

struct CtcOptions {
  std::int32_t blank = 0;
  CtcReduction reduction = CtcReduction::mean;
  bool zero_infinity = false;     // infinite losses (impossible alignments) and their gradients become 0
  bool compute_gradient = true;   // false: losses only (skips the backward pass)
};

struct CtcResult {
  // The reduced loss: the mean or sum as chosen, and for `none` the sum of
  // the per-item losses (the quantity `grad` is the gradient of).
  double loss = 0.0;
  std::vector<double> losses;  // -log p(l_n | z_n) per item (0 for infinite ones under zero_infinity)
  Tensor<float> grad;          // d loss / d input, the input's shape [T, N, C] (empty when not computed)
};

namespace detail {

// Per-thread scratch of the loss; grows to the largest item seen, then
// stays (no allocation in steady state).
struct CtcScratch {
  std::vector<float> lpl, alpha, beta, post, skip_forward, skip_backward;
  std::vector<double> alpha_offset, beta_offset;
  std::vector<std::int32_t> extended;
};

// Two per thread: the loss without gradient runs items in pairs.
inline CtcScratch& ctc_scratch(int slot) {
  thread_local CtcScratch scratch[2];
  return scratch[slot];
}

struct CtcItem {
  index_t input_length = 0, target_length = 0;
  const std::int32_t* labels = nullptr;
};

// Validates shapes, lengths and labels; returns each item's view.
inline std::vector<CtcItem> ctc_items(const char* what, const Tensor<float>& input,
                                      const Tensor<std::int32_t>& targets, const std::vector<index_t>& input_lengths,
                                      const std::vector<index_t>& target_lengths, const CtcOptions& options) {
  NNOCR_CHECK(input.rank() == 3, what, ": expected input [T, N, C], got ", input.shape().str());
  const index_t T = input.size(0), N = input.size(1), C = input.size(2);
  NNOCR_CHECK(C >= 1, what, ": input ", input.shape().str(), " has no classes");
  NNOCR_CHECK(options.blank >= 0 && options.blank < C, what, ": blank ", options.blank, " is outside [0, ", C, ")");
  NNOCR_CHECK(static_cast<index_t>(input_lengths.size()) == N, what, ": ", input_lengths.size(),
              " input lengths for a batch of ", N, " (input ", input.shape().str(), ")");
  NNOCR_CHECK(static_cast<index_t>(target_lengths.size()) == N, what, ": ", target_lengths.size(),
              " target lengths for a batch of ", N);
  NNOCR_CHECK(targets.rank() == 1 || targets.rank() == 2, what,
              ": expected targets [sum of target lengths] or [N, S], got ", targets.shape().str());
  if (targets.rank() == 2)
    NNOCR_CHECK(targets.size(0) == N, what, ": padded targets ", targets.shape().str(), " for a batch of ", N);
  std::vector<CtcItem> items(static_cast<std::size_t>(N));
  index_t offset = 0;
  for (index_t n = 0; n < N; ++n) {
    CtcItem& it = items[static_cast<std::size_t>(n)];
    it.input_length = input_lengths[static_cast<std::size_t>(n)];
    it.target_length = target_lengths[static_cast<std::size_t>(n)];
    NNOCR_CHECK(it.input_length >= 0 && it.input_length <= T, what, ": input length ", it.input_length, " of item ", n,
                " is outside [0, ", T, "] (input ", input.shape().str(), ")");
    NNOCR_CHECK(it.target_length >= 0, what, ": negative target length ", it.target_length, " for item ", n);
    if (targets.rank() == 2) {
      NNOCR_CHECK(it.target_length <= targets.size(1), what, ": target length ", it.target_length, " of item ", n,
                  " exceeds the padded targets' width ", targets.size(1));
      it.labels = targets.data() + n * targets.size(1);
    } else {
      NNOCR_CHECK(it.target_length <= targets.numel() - offset, what, ": target lengths add up to more than the ",
                  targets.numel(), " concatenated targets (at item ", n, ")");
      it.labels = targets.data() + offset;
      offset += it.target_length;
    }
    for (index_t i = 0; i < it.target_length; ++i) {
      const std::int32_t c = it.labels[i];
      NNOCR_CHECK(c >= 0 && c < C && c != options.blank, what, ": label ", c, " at position ", i, " of item ", n,
                  " is ", c == options.blank ? "the blank" : "outside the classes", " (C = ", C,
                  ", blank = ", options.blank, ")");
    }
  }
  if (targets.rank() == 1)
    NNOCR_CHECK(offset == targets.numel(), what, ": target lengths add up to ", offset, " but ", targets.numel(),
                " concatenated targets were given");
  return items;
}

// An item's loss in stages: ctc_prepare builds its extended labels, skip
// masks and log-probabilities y[t, l'_s] (and the scaled softmax rows of its
// gradient), the recursions run, ctc_log_p reads log p off the last alpha
// row, ctc_gradient subtracts the occupancies. Gradient rows of item n are
// (t * N + n) * C, t < T_n, and start zero.
struct CtcStage {
  index_t T = 0, S = 0, row = 0;
  bool done = false;   // the loss is known already (no frames, or NaN input)
  double loss = 0.0;   // when done
};

inline CtcStage ctc_prepare(const kernels::CtcKernels& k, const float* input, index_t N, index_t C, index_t n,
                            const CtcItem& item, std::int32_t blank, bool from_logits, float* grad, float scale,
                            CtcScratch& w) {
  CtcStage st;
  st.T = item.input_length;
  const index_t L = item.target_length, T = st.T, S = st.S = 2 * L + 1;
  const float inf = std::numeric_limits<float>::infinity();
  if (T == 0) {
    st.done = true;
    st.loss = L > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return st;
  }
  constexpr index_t D = kernels::kCtcColumn;
  const index_t row = st.row = kernels::ctc_row_width(S), S_pad = (S + 15) / 16 * 16;
  const std::size_t cells = static_cast<std::size_t>(T * row);
  w.extended.resize(static_cast<std::size_t>(S));
  std::int32_t* ext = w.extended.data();
  for (index_t s = 0; s < S; ++s) ext[s] = s % 2 ? item.labels[s / 2] : blank;

  // Two-step moves: forward into s from s-2, backward into s from s+2.
  w.skip_forward.assign(static_cast<std::size_t>(row), -inf);
  w.skip_backward.assign(static_cast<std::size_t>(row), -inf);
  for (index_t s = 1; s < S; s += 2) {
    if (s >= 2 && ext[s] != ext[s - 2]) w.skip_forward[static_cast<std::size_t>(D + s)] = 0.0f;
    if (s + 2 < S && ext[s] != ext[s + 2]) w.skip_backward[static_cast<std::size_t>(D + s)] = 0.0f;
  }

  // y[t, l'_s] for every cell; the scaled softmax rows go straight into grad.
  w.lpl.resize(cells);
  bool nan_input = false;
  for (index_t t = 0; t < T; ++t) {
    const float* x = input + (t * N + n) * C;
    float shift = 0.0f;
    if (from_logits) shift = k.softmax_row(x, C, grad ? grad + (t * N + n) * C : nullptr, scale);
    float* lp = w.lpl.data() + t * row + D;
    for (index_t s = 0; s < S; ++s) {
      lp[s] = x[ext[s]] - shift;
      nan_input = nan_input || std::isnan(lp[s]);
    }
    for (index_t s = S; s < S_pad; ++s) lp[s] = -inf;
  }
  if (nan_input) {  // NaN in, NaN out (not an impossible alignment)
    if (grad)
      for (index_t t = 0; t < T; ++t)
        std::fill(grad + (t * N + n) * C, grad + (t * N + n + 1) * C, std::numeric_limits<float>::quiet_NaN());
    st.done = true;
    st.loss = std::numeric_limits<double>::quiet_NaN();
    return st;
  }
  w.alpha.resize(cells);
  w.alpha_offset.resize(static_cast<std::size_t>(T));
  return st;
}

// log p(l | z) from the last alpha row; -inf when no path is alive.
inline double ctc_log_p(const CtcScratch& w, const CtcStage& st, bool alive) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (!alive) return neg_inf;
  const float* last = w.alpha.data() + (st.T - 1) * st.row + kernels::kCtcColumn;
  const index_t S = st.S;
  const double a = last[S - 1], b = S > 1 ? static_cast<double>(last[S - 2]) : neg_inf;
  const double m = std::max(a, b);
  if (!(m > neg_inf)) return neg_inf;
  return w.alpha_offset[static_cast<std::size_t>(st.T - 1)] + m + std::log(std::exp(a - m) + std::exp(b - m));
}

inline void ctc_gradient(const kernels::CtcKernels& k, CtcScratch& w, const CtcStage& st, double log_p, index_t N,
                         index_t C, index_t n, float* grad, float scale) {
  w.post.resize(static_cast<std::size_t>(st.T * st.row));
  k.occupancy(w.alpha.data(), w.alpha_offset.data(), w.beta.data(), w.beta_offset.data(), w.lpl.data(), log_p, st.T,
              st.S, st.row, w.post.data());
  const std::int32_t* ext = w.extended.data();
  for (index_t t = 0; t < st.T; ++t) {
    float* g = grad + (t * N + n) * C;
    const float* post = w.post.data() + t * st.row + kernels::kCtcColumn;
    for (index_t s = 0; s < st.S; ++s) g[ext[s]] -= scale * post[s];
  }
}

// One item: its loss -log p (+inf when no alignment is possible) and, when
// grad is not null, scale * (d loss / d input) in its rows (left
// unspecified for an infinite loss).
inline double ctc_item(const kernels::CtcKernels& k, const float* input, index_t N, index_t C, index_t n,
                       const CtcItem& item, std::int32_t blank, bool from_logits, float* grad, float scale) {
  CtcScratch& w = ctc_scratch(0);
  const CtcStage st = ctc_prepare(k, input, N, C, n, item, blank, from_logits, grad, scale, w);
  if (st.done) return st.loss;
  bool alive;
  if (grad) {
    w.beta.resize(w.alpha.size());
    w.beta_offset.resize(w.alpha_offset.size());
    alive = k.alpha_beta(w.lpl.data(), w.skip_forward.data(), w.skip_backward.data(), st.T, st.S, st.row,
                         w.alpha.data(), w.alpha_offset.data(), w.beta.data(), w.beta_offset.data());
  } else {
    alive = k.alpha(w.lpl.data(), w.skip_forward.data(), st.T, st.S, st.row, w.alpha.data(), w.alpha_offset.data());
  }
  const double log_p = ctc_log_p(w, st, alive);
  if (!(log_p > -std::numeric_limits<double>::infinity())) return std::numeric_limits<double>::infinity();
  if (grad) ctc_gradient(k, w, st, log_p, N, C, n, grad, scale);
  return -log_p;
}

// Losses of items a and b without gradients, their recursions side by side.
inline void ctc_item_pair(const kernels::CtcKernels& k, const float* input, index_t N, index_t C, index_t a,
                          const CtcItem& item_a, index_t b, const CtcItem& item_b, std::int32_t blank,
                          bool from_logits, double& loss_a, double& loss_b) {
  CtcScratch& wa = ctc_scratch(0);
  CtcScratch& wb = ctc_scratch(1);
  const CtcStage sa = ctc_prepare(k, input, N, C, a, item_a, blank, from_logits, nullptr, 1.0f, wa);
  const CtcStage sb = ctc_prepare(k, input, N, C, b, item_b, blank, from_logits, nullptr, 1.0f, wb);
  if (sa.done || sb.done) {
    loss_a = sa.done ? sa.loss : ctc_item(k, input, N, C, a, item_a, blank, from_logits, nullptr, 1.0f);
    loss_b = sb.done ? sb.loss : ctc_item(k, input, N, C, b, item_b, blank, from_logits, nullptr, 1.0f);
    return;
  }
  const unsigned live =
      k.alpha_pair(wa.lpl.data(), wa.skip_forward.data(), sa.T, sa.S, sa.row, wa.alpha.data(), wa.alpha_offset.data(),
                   wb.lpl.data(), wb.skip_forward.data(), sb.T, sb.S, sb.row, wb.alpha.data(), wb.alpha_offset.data());
  const double inf = std::numeric_limits<double>::infinity();
  const double pa = ctc_log_p(wa, sa, live & 1u), pb = ctc_log_p(wb, sb, (live & 2u) != 0);
  loss_a = pa > -inf ? -pa : inf;
  loss_b = pb > -inf ? -pb : inf;
}

inline CtcResult ctc_loss_impl(const char* what, const Tensor<float>& input, const Tensor<std::int32_t>& targets,
                               const std::vector<index_t>& input_lengths, const std::vector<index_t>& target_lengths,
                               const CtcOptions& options, bool from_logits) {
  const std::vector<CtcItem> items = ctc_items(what, input, targets, input_lengths, target_lengths, options);
  const index_t N = input.size(1), C = input.size(2);
  const kernels::CtcKernels k = kernels::ctc_kernels();
  CtcResult out;
  out.losses.assign(static_cast<std::size_t>(N), 0.0);
  if (options.compute_gradient) out.grad = Tensor<float>(input.shape());
  float* grad = options.compute_gradient ? out.grad.data() : nullptr;
  parallel_for(N, 2, [&](index_t n0, index_t n1) {
    for (index_t n = n0; n < n1; ++n) {
      const CtcItem& item = items[static_cast<std::size_t>(n)];
      auto store = [&](index_t i, double loss) {
        out.losses[static_cast<std::size_t>(i)] = std::isinf(loss) && options.zero_infinity ? 0.0 : loss;
      };
      if (!grad && n + 1 < n1) {  // losses only: two items at a time
        double loss = 0.0, next_loss = 0.0;
        ctc_item_pair(k, input.data(), N, C, n, item, n + 1, items[static_cast<std::size_t>(n + 1)], options.blank,
                      from_logits, loss, next_loss);
        store(n, loss);
        store(n + 1, next_loss);
        ++n;
        continue;
      }
      double scale = 1.0;
      if (options.reduction == CtcReduction::mean)
        scale = 1.0 / (static_cast<double>(std::max<index_t>(item.target_length, 1)) * static_cast<double>(N));
      const double loss =
          ctc_item(k, input.data(), N, C, n, item, options.blank, from_logits, grad, static_cast<float>(scale));
      const bool infinite = std::isinf(loss);
      store(n, loss);
      if (grad && infinite) {
        // As PyTorch: NaN (the posterior 0/0), or 0 under zero_infinity.
        const float fill = options.zero_infinity ? 0.0f : std::numeric_limits<float>::quiet_NaN();
        for (index_t t = 0; t < item.input_length; ++t)
          std::fill(grad + (t * N + n) * C, grad + (t * N + n + 1) * C, fill);
      }
    }
  });
  double total = 0.0;
  for (index_t n = 0; n < N; ++n) {
    const double l = out.losses[static_cast<std::size_t>(n)];
    total += options.reduction == CtcReduction::mean
                 ? l / static_cast<double>(std::max<index_t>(items[static_cast<std::size_t>(n)].target_length, 1))
                 : l;
  }
  out.loss = options.reduction == CtcReduction::mean && N > 0 ? total / static_cast<double>(N) : total;
  return out;
}

}  // namespace detail

// CTC loss of logits [T, N, C] (log_softmax is applied here) against
// `targets`, either concatenated [sum of target_lengths] (PyTorch's 1-D
// form) or padded [N, S] with item n's labels in row n's first
// target_lengths[n] entries. input_lengths[n] <= T frames of item n are
// used. Returns the loss and d loss / d logits [T, N, C]. Errors (nnocr::Error):
// shapes, a length outside its range, target lengths that do not add up, a
// label outside [0, C) or equal to the blank.
inline CtcResult ctc_loss(const Tensor<float>& logits, const Tensor<std::int32_t>& targets,
                          const std::vector<index_t>& input_lengths, const std::vector<index_t>& target_lengths,
                          const CtcOptions& options = {}) {
  return detail::ctc_loss_impl("ctc_loss", logits, targets, input_lengths, target_lengths, options, true);
}

// The same from log-probabilities y [T, N, C] (each frame's exp(y) should
// sum to 1, e.g. the output of LogSoftmax); `grad` is d loss / d y = -gamma
// (see the file comment for how this differs from PyTorch).
inline CtcResult ctc_loss_from_log_probs(const Tensor<float>& log_probs, const Tensor<std::int32_t>& targets,
                                         const std::vector<index_t>& input_lengths,
                                         const std::vector<index_t>& target_lengths, const CtcOptions& options = {}) {
  return detail::ctc_loss_impl("ctc_loss_from_log_probs", log_probs, targets, input_lengths, target_lengths, options,
                               false);
}

}  // namespace nnocr::train
