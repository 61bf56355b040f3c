// attention.hpp — autoregressive decoding for attention and transformer
// decoders: greedy search and beam search.
//
// A model implements StepDecoder: start() prepares a state for one input
// (the encoder output of one text line) holding `hypotheses` parallel
// sequences; step() feeds each sequence its newest token and returns the
// log-probabilities of the next one, [hypotheses, vocabulary]; select()
// reorders the sequences after a beam-search step (sequence i continues old
// sequence parents[i]; one may be kept twice, another dropped). A transformer
// decoder keeps keys and values of past positions in its state
// (nn::TransformerDecoderLayer::Cache), so a step costs O(t), not O(t^2).
// Every method is const: the model may be shared by threads that each own
// their states.
//
// Greedy: from the start token, take the most probable token until the end
// token or max_length tokens.
//
// Beam search (e.g. Sutskever et al. 2014; Wu et al. 2016, "Google's Neural
// Machine Translation System", section 7): keep the beam_width best
// unfinished sequences by total log-probability. At each step every sequence
// is extended by every token; of the candidates ranked by total
// log-probability, an end token within the best beam_width candidates
// finishes its sequence, and the best beam_width candidates that do not end
// form the next beam. Search stops when beam_width sequences have finished
// and none of the open ones, ended now, would score above the worst of them
// (as in Hugging Face's beam search; exact without length normalization,
// where scores only fall, a heuristic with it), when no sequence is open, or
// after max_length steps (the sequences still open are returned with
// finished = false, after every finished one). Sequences are ranked by
// their score:
//   none     score = log P
//   average  score = log P / |Y|                       (mean log-probability per token)
//   gnmt     score = log P / (((5 + |Y|) / 6)^alpha)    (GNMT's length penalty)
// where |Y| counts the generated tokens including the end token. Without
// normalization, beam search favours short outputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace nnocr::decode {

// What a model keeps between steps; each model derives its own.
struct DecoderState {
  virtual ~DecoderState() = default;
};

class StepDecoder {
 public:
  virtual ~StepDecoder() = default;
  // A fresh state for `memory` (the encoder output of one input, in the
  // model's own layout) with `hypotheses` sequences, none fed yet.
  virtual std::unique_ptr<DecoderState> start(const Tensor<float>& memory, index_t hypotheses) const = 0;
  // tokens[i] is the newest token of sequence i (the start token first);
  // returns log-probabilities [hypotheses, vocabulary] of each next token.
  virtual Tensor<float> step(DecoderState& state, const std::vector<std::int32_t>& tokens) const = 0;
  // Sequence i becomes old sequence parents[i]; the count may change.
  virtual void select(DecoderState& state, const std::vector<index_t>& parents) const = 0;
};

enum class LengthNormalization { none, average, gnmt };

struct AttentionDecodeConfig {
  std::int32_t start_token = 0;  // fed first (BOS / GO)
  std::int32_t end_token = 1;    // ends a sequence (EOS); never part of `tokens`
  index_t max_length = 100;      // generated tokens at most, the end token included
  index_t beam_width = 5;
  index_t max_beam_width = 1024;  // a larger beam_width is an error: the decoder's state (keys and values
                                  // of every step) grows with beam_width x max_length
  LengthNormalization normalization = LengthNormalization::gnmt;
  float alpha = 0.6f;  // GNMT exponent
};

struct DecodedSequence {
  std::vector<std::int32_t> tokens;    // without start and end tokens
  std::vector<float> token_log_probs;  // per token of `tokens`; the end token's is in end_log_prob
  float end_log_prob = 0.0f;           // log-probability of the end token (0 when unfinished)
  double log_prob = 0.0;               // total, end token included
  double score = 0.0;                  // log_prob after length normalization
  bool finished = false;               // ended with the end token (not cut at max_length)
};

// The length-normalized score of a sequence of `length` tokens.
inline double normalized_score(double log_prob, index_t length, LengthNormalization norm, float alpha) {
  const double n = static_cast<double>(std::max<index_t>(length, 1));
  switch (norm) {
    case LengthNormalization::average:
      return log_prob / n;
    case LengthNormalization::gnmt:
      return log_prob / std::pow((5.0 + n) / 6.0, static_cast<double>(alpha));
    default:
      return log_prob;
  }
}

namespace detail {

inline void check_log_probs(const Tensor<float>& lp, index_t hypotheses, const char* who) {
  NNOCR_CHECK(lp.rank() == 2 && lp.size(0) == hypotheses && lp.size(1) > 0, who, ": step returned ", lp.shape().str(),
              ", expected [", hypotheses, ", vocabulary]");
}

inline void check_config(const AttentionDecodeConfig& c, const char* who) {
  NNOCR_CHECK(c.max_length > 0 && c.beam_width > 0, who, ": max_length and beam_width must be positive");
  NNOCR_CHECK(c.beam_width <= c.max_beam_width, who, ": beam_width ", c.beam_width, " is over the limit of ",
              c.max_beam_width, " (AttentionDecodeConfig::max_beam_width)");
}

}  // namespace detail

// Most probable token at each step.
inline DecodedSequence greedy_decode(const StepDecoder& model, const Tensor<float>& memory,
                                     const AttentionDecodeConfig& config = {}) {
  detail::check_config(config, "greedy_decode");
  std::unique_ptr<DecoderState> state = model.start(memory, 1);
  DecodedSequence out;
  std::int32_t token = config.start_token;
  for (index_t t = 0; t < config.max_length; ++t) {
    const Tensor<float> lp = model.step(*state, {token});
    detail::check_log_probs(lp, 1, "greedy_decode");
    const index_t V = lp.size(1);
    const std::int32_t best = static_cast<std::int32_t>(std::max_element(lp.data(), lp.data() + V) - lp.data());
    out.log_prob += lp[best];
    if (best == config.end_token) {
      out.end_log_prob = lp[best];
      out.finished = true;
      break;
    }
    out.tokens.push_back(best);
    out.token_log_probs.push_back(lp[best]);
    token = best;
  }
  const index_t length = static_cast<index_t>(out.tokens.size()) + (out.finished ? 1 : 0);
  out.score = normalized_score(out.log_prob, length, config.normalization, config.alpha);
  return out;
}

// Up to beam_width sequences, best score first; see the file comment.
inline std::vector<DecodedSequence> beam_search(const StepDecoder& model, const Tensor<float>& memory,
                                                const AttentionDecodeConfig& config = {}) {
  detail::check_config(config, "beam_search");
  const index_t W = config.beam_width;
  std::unique_ptr<DecoderState> state = model.start(memory, 1);
  std::vector<DecodedSequence> beams(1), finished;
  std::vector<std::int32_t> last = {config.start_token};
  auto score_of = [&](const DecodedSequence& s) {
    const index_t length = static_cast<index_t>(s.tokens.size()) + (s.finished ? 1 : 0);
    return normalized_score(s.log_prob, length, config.normalization, config.alpha);
  };
  struct Candidate {
    double log_prob;
    index_t beam;
    std::int32_t token;
  };
  std::vector<Candidate> candidates;
  for (index_t t = 0; t < config.max_length && !beams.empty(); ++t) {
    const index_t B = static_cast<index_t>(beams.size());
    const Tensor<float> lp = model.step(*state, last);
    detail::check_log_probs(lp, B, "beam_search");
    const index_t V = lp.size(1);
    // The best W + 1 tokens of each beam are enough: at most W candidates
    // survive, plus at most one more displaced by an end token above them.
    candidates.clear();
    const index_t per_beam = std::min<index_t>(V, W + 1);
    std::vector<std::int32_t> order(static_cast<std::size_t>(V));
    for (index_t b = 0; b < B; ++b) {
      const float* row = lp.data() + b * V;
      for (index_t v = 0; v < V; ++v) order[static_cast<std::size_t>(v)] = static_cast<std::int32_t>(v);
      std::partial_sort(order.begin(), order.begin() + per_beam, order.end(),
                        [&](std::int32_t a, std::int32_t c) { return row[a] > row[c] || (row[a] == row[c] && a < c); });
      for (index_t k = 0; k < per_beam; ++k) {
        const std::int32_t v = order[static_cast<std::size_t>(k)];
        if (row[v] == -std::numeric_limits<float>::infinity()) continue;
        candidates.push_back({beams[static_cast<std::size_t>(b)].log_prob + row[v], b, v});
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& c) { return a.log_prob > c.log_prob; });
    std::vector<DecodedSequence> next;
    std::vector<index_t> parents;
    std::vector<std::int32_t> next_last;
    for (std::size_t rank = 0; rank < candidates.size() && static_cast<index_t>(next.size()) < W; ++rank) {
      const Candidate& c = candidates[rank];
      DecodedSequence s = beams[static_cast<std::size_t>(c.beam)];
      const float token_lp = lp[c.beam * V + c.token];
      s.log_prob = c.log_prob;
      if (c.token == config.end_token) {
        if (static_cast<index_t>(rank) < W) {
          s.finished = true;
          s.end_log_prob = token_lp;
          s.score = score_of(s);
          finished.push_back(std::move(s));
        }
        continue;
      }
      s.tokens.push_back(c.token);
      s.token_log_probs.push_back(token_lp);
      s.score = score_of(s);
      next.push_back(std::move(s));
      parents.push_back(c.beam);
      next_last.push_back(c.token);
    }
    beams = std::move(next);
    if (beams.empty()) break;
    if (static_cast<index_t>(finished.size()) >= W) {
      // Keep the W best finished; stop when no open sequence, ended now,
      // would beat the worst of them.
      std::stable_sort(finished.begin(), finished.end(),
                       [](const DecodedSequence& a, const DecodedSequence& c) { return a.score > c.score; });
      finished.resize(static_cast<std::size_t>(W));
      double best_open = -std::numeric_limits<double>::infinity();
      for (const auto& s : beams)
        best_open = std::max(best_open, normalized_score(s.log_prob, static_cast<index_t>(s.tokens.size()) + 1,
                                                         config.normalization, config.alpha));
      if (finished.back().score >= best_open) break;
    }
    model.select(*state, parents);
    last = std::move(next_last);
  }
  if (static_cast<index_t>(finished.size()) < W)
    for (auto& s : beams) finished.push_back(std::move(s));
  // Finished sequences first, each group by score.
  std::stable_sort(finished.begin(), finished.end(), [](const DecodedSequence& a, const DecodedSequence& c) {
    return a.finished != c.finished ? a.finished : a.score > c.score;
  });
  if (static_cast<index_t>(finished.size()) > W) finished.resize(static_cast<std::size_t>(W));
  return finished;
}

}  // namespace nnocr::decode
