// loss.hpp — cross-entropy with label smoothing, and classification accuracy.
//
// For logits z [N, C] and targets t [N], p = softmax(z) and the target
// distribution q = (1 - eps) onehot(t) + eps / C (label smoothing, Szegedy
// et al. 2016; eps = 0 is plain cross-entropy):
//   loss_n = -sum_c q_c log p_c,     dloss_n/dz = p - q
// Reduction "mean" divides by the number of counted items (targets equal to
// ignore_index are skipped, as in PyTorch); "sum" does not.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "../core/tensor.hpp"
#include "../nn/softmax.hpp"

namespace nnocr::train {

enum class Reduction { mean, sum };

struct CrossEntropyOptions {
  float label_smoothing = 0.0f;
  std::int32_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
};

struct LossResult {
  double loss = 0.0;
  Tensor<float> grad;  // dloss / dlogits, the logits' shape
};

inline LossResult cross_entropy(const Tensor<float>& logits, const Tensor<std::int32_t>& targets,
                                const CrossEntropyOptions& options = {}) {
  NNOCR_CHECK(logits.rank() == 2, "cross_entropy: expected logits [N, C], got ", logits.shape().str());
  const index_t N = logits.size(0), C = logits.size(1);
  NNOCR_CHECK(targets.rank() == 1 && targets.size(0) == N, "cross_entropy: expected targets [", N, "], got ",
              targets.shape().str());
  NNOCR_CHECK(options.label_smoothing >= 0.0f && options.label_smoothing <= 1.0f,
              "cross_entropy: label_smoothing must be in [0, 1]");
  LossResult out;
  out.grad = Tensor<float>(logits.shape(), 0.0f);
  Tensor<float> logp(logits.shape());
  nn::log_softmax_rows(logits.data(), logp.data(), N, C);
  const double eps = options.label_smoothing;
  index_t counted = 0;
  for (index_t n = 0; n < N; ++n) {
    const std::int32_t t = targets[n];
    if (t == options.ignore_index) continue;
    NNOCR_CHECK(t >= 0 && t < C, "cross_entropy: target ", t, " of item ", n, " is out of range [0, ", C, ")");
    ++counted;
    const float* lp = logp.data() + n * C;
    double sum_logp = 0.0;
    for (index_t c = 0; c < C; ++c) sum_logp += lp[c];
    out.loss += -(1.0 - eps) * lp[t] - eps * sum_logp / static_cast<double>(C);
    float* g = out.grad.data() + n * C;
    for (index_t c = 0; c < C; ++c)
      g[c] = static_cast<float>(std::exp(static_cast<double>(lp[c])) - eps / static_cast<double>(C) -
                                (c == t ? 1.0 - eps : 0.0));
  }
  if (options.reduction == Reduction::mean && counted > 0) {
    out.loss /= static_cast<double>(counted);
    const float inv = 1.0f / static_cast<float>(counted);
    for (float& g : out.grad) g *= inv;
  }
  return out;
}

// Index of the largest logit per row.
inline std::vector<std::int32_t> argmax_rows(const Tensor<float>& logits) {
  NNOCR_CHECK(logits.rank() == 2 && logits.size(1) > 0, "argmax_rows: expected [N, C], got ", logits.shape().str());
  const index_t N = logits.size(0), C = logits.size(1);
  std::vector<std::int32_t> out(static_cast<std::size_t>(N));
  for (index_t n = 0; n < N; ++n) {
    const float* row = logits.data() + n * C;
    out[static_cast<std::size_t>(n)] = static_cast<std::int32_t>(std::max_element(row, row + C) - row);
  }
  return out;
}

// Number of rows whose largest logit is the target.
inline index_t count_correct(const Tensor<float>& logits, const Tensor<std::int32_t>& targets) {
  const auto pred = argmax_rows(logits);
  index_t correct = 0;
  for (index_t n = 0; n < targets.numel(); ++n) correct += pred[static_cast<std::size_t>(n)] == targets[n];
  return correct;
}

}  // namespace nnocr::train
