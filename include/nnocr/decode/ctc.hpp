// ctc.hpp — decoding a CTC network's output: greedy (best path) and prefix
// beam search with an optional lexicon and character language model.
//
// Input: log-probabilities [T, C] of one line (log_softmax of the logits;
// for a batch output [T, N, C] pass its view select(1, n)), class `blank`,
// and optionally labels[c], the text of class c (labels[blank] is ignored),
// e.g. from data::Charset::entry(c). Decoders work on class ids; the labels
// only give text, words, and what the lexicon and the LM read.
//
// Greedy: the most likely class at each frame, repeats merged, blanks
// dropped. Each character's frames are its run of frames; its confidence is
// the largest probability over them.
//
// Prefix beam search (Hannun, Maas, Jurafsky & Ng 2014, "First-Pass Large
// Vocabulary Continuous Speech Recognition using Bi-Directional Recurrent
// DNNs", algorithm 1): for every prefix l kept in the beam, in log space,
// p_b(l) and p_nb(l) are the probabilities of the frames so far given paths
// that produce l and end in a blank / in l's last character. Per frame t with
// y = log-probabilities:
//   l          : p_b  += (p_b + p_nb)(l) * y_blank,   p_nb += p_nb(l) * y_last(l)
//   l + c      : p_nb += (p_b + p_nb)(l) * y_c           (c != last(l))
//   l + c      : p_nb += p_b(l) * y_c                    (c == last(l): "aa" needs a blank between)
// ('*' and '+' read as + and log-sum-exp in log space.) Prefixes are ranked by
//   log(p_b + p_nb) + alpha * log P_lm(l) + beta * |l| + lexicon penalties
// and the best beam_width survive each frame. Only characters with
// y_c >= min_char_log_prob, at most max_candidates per frame, are tried.
// The text terms depend on the prefix alone, so they are kept per prefix and
// added when ranking (same result as multiplying them into p_b, p_nb).
//
// Lexicon: words (runs of characters between separators, see
// lexicon.hpp) are checked against a trie as they grow. In penalize mode a
// word that leaves the lexicon costs oov_penalty (log) once, at the
// character where it leaves the trie or, for a prefix of a lexicon word
// that is not itself a word, where the word ends; in forbid mode such
// prefixes are dropped. Words of ASCII digits pass when numbers_ok.
//
// The LM (char_lm.hpp) scores every code point of every label as it is
// appended, and </s> at the end of the line.
//
// Each returned hypothesis is aligned to the frames by Viterbi (the most
// likely path that yields it), which gives every character its frames and
// confidence (the largest probability of its class over its frames), every
// word the minimum of its characters' confidences, and the line its
// confidence: the geometric mean over frames of the aligned path's
// probabilities, in [0, 1]. For greedy decoding that path is the best path.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../core/thread_pool.hpp"
#include "../data/utf8.hpp"
#include "char_lm.hpp"
#include "detail/flat_map.hpp"
#include "lexicon.hpp"

namespace nnocr::decode {

struct CtcChar {
  std::int32_t id = 0;
  std::string text;                         // labels[id]; empty without labels
  index_t first_frame = 0, last_frame = 0;  // the frames aligned to it, inclusive
  float confidence = 0.0f;                  // largest probability of its class over those frames
};

struct CtcWord {
  std::string text;
  index_t first_char = 0, end_char = 0;     // its characters: chars[first_char, end_char)
  index_t first_frame = 0, last_frame = 0;
  float confidence = 0.0f;                  // smallest confidence of its characters
  bool in_lexicon = true;                   // false when a lexicon was given and lacks it
};

struct CtcHypothesis {
  std::vector<std::int32_t> ids;  // class ids, blanks and repeats removed
  std::string text;               // labels of ids, concatenated
  std::vector<CtcChar> chars;
  std::vector<CtcWord> words;     // empty without labels
  double score = 0.0;             // the ranking score (greedy: log_prob)
  double log_prob = 0.0;          // greedy: the best path's log-probability; beam: log(p_b + p_nb) at the end
  float confidence = 0.0f;        // geometric mean of the aligned path's per-frame probabilities
};

enum class LexiconMode { penalize, forbid };

struct CtcBeamOptions {
  int beam_width = 10;
  int max_beam_width = 1024;            // a larger beam_width is an error: the prefix tree grows with
                                        // frames x beam_width x max_candidates nodes
  int nbest = 1;                        // hypotheses returned, best first
  std::int32_t blank = 0;
  int max_candidates = 16;              // characters tried per frame, most likely first
  float min_char_log_prob = -11.5f;     // about 1e-5: rarer characters are not tried
  const CharLm* lm = nullptr;           // not owned; must outlive the call
  double lm_weight = 0.5;               // alpha
  double insertion_bonus = 0.0;         // beta, per character
  const Lexicon* lexicon = nullptr;     // not owned
  LexiconMode lexicon_mode = LexiconMode::penalize;
  double oov_penalty = -10.0;           // log-penalty per word outside the lexicon
  bool numbers_ok = true;               // words of ASCII digits need no lexicon entry
};

namespace detail {

inline double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == -std::numeric_limits<double>::infinity()) return a;
  return a + std::log1p(std::exp(b - a));
}

inline void check_decoder_input(const char* what, TensorView<const float> log_probs,
                                const std::vector<std::string>& labels, std::int32_t blank) {
  NNOCR_CHECK(log_probs.rank() == 2 && log_probs.size(1) >= 1, what, ": expected log-probabilities [T, C], got ",
              log_probs.shape().str());
  const index_t C = log_probs.size(1);
  NNOCR_CHECK(blank >= 0 && blank < C, what, ": blank ", blank, " is outside [0, ", C, ")");
  NNOCR_CHECK(labels.empty() || static_cast<index_t>(labels.size()) == C, what, ": ", labels.size(),
              " labels for ", C, " classes");
}

// Per class: its code points and whether it separates words.
struct ClassText {
  std::vector<std::u32string> code_points;
  std::vector<bool> separator;

  ClassText(const std::vector<std::string>& labels, std::int32_t blank) {
    code_points.resize(labels.size());
    separator.assign(labels.size(), false);
    for (std::size_t c = 0; c < labels.size(); ++c) {
      if (static_cast<std::int32_t>(c) == blank) continue;
      bool all_separators = !labels[c].empty();
      data::for_each_code_point(labels[c], "label of class " + std::to_string(c), [&](char32_t cp, std::size_t) {
        code_points[c].push_back(cp);
        all_separators = all_separators && is_word_separator(cp);
      });
      separator[c] = all_separators;
    }
  }
};

// Fills text and words from ids/chars.
inline void finish_text(CtcHypothesis& h, const std::vector<std::string>& labels, const ClassText* ct,
                        const CtcBeamOptions* options) {
  if (labels.empty()) return;
  for (CtcChar& c : h.chars) {
    c.text = labels[static_cast<std::size_t>(c.id)];
    h.text += c.text;
  }
  const auto n = static_cast<index_t>(h.chars.size());
  for (index_t i = 0; i < n;) {
    if (ct->separator[static_cast<std::size_t>(h.chars[static_cast<std::size_t>(i)].id)]) {
      ++i;
      continue;
    }
    CtcWord w;
    w.first_char = i;
    w.confidence = 1.0f;
    w.first_frame = h.chars[static_cast<std::size_t>(i)].first_frame;
    std::int32_t node = Lexicon::root;
    bool digits = true;
    for (; i < n && !ct->separator[static_cast<std::size_t>(h.chars[static_cast<std::size_t>(i)].id)]; ++i) {
      const CtcChar& c = h.chars[static_cast<std::size_t>(i)];
      w.text += c.text;
      w.confidence = std::min(w.confidence, c.confidence);
      w.last_frame = c.last_frame;
      for (char32_t cp : ct->code_points[static_cast<std::size_t>(c.id)]) {
        digits = digits && is_ascii_digit(cp);
        if (options && options->lexicon) node = options->lexicon->child(node, cp);
      }
    }
    w.end_char = i;
    if (options && options->lexicon)
      w.in_lexicon = options->lexicon->is_word(node) || (digits && options->numbers_ok);
    h.words.push_back(std::move(w));
  }
}

// Viterbi alignment of `ids` to the frames: fills chars (frames and
// confidences) and the line confidence. Returns false when no path yields ids.
inline bool align(TensorView<const float> lp, const std::vector<std::int32_t>& ids, std::int32_t blank,
                  CtcHypothesis& h) {
  const index_t T = lp.size(0), L = static_cast<index_t>(ids.size()), S = 2 * L + 1;
  h.chars.clear();
  if (T == 0) {
    h.confidence = 0.0f;
    return L == 0;
  }
  const double neg_inf = -std::numeric_limits<double>::infinity();
  auto label = [&](index_t s) { return s % 2 ? ids[static_cast<std::size_t>(s / 2)] : blank; };
  std::vector<double> prev(static_cast<std::size_t>(S), neg_inf), cur(static_cast<std::size_t>(S));
  std::vector<std::int8_t> back(static_cast<std::size_t>(T * S), 0);
  prev[0] = lp(0, blank);
  if (S > 1) prev[1] = lp(0, label(1));
  for (index_t t = 1; t < T; ++t) {
    for (index_t s = 0; s < S; ++s) {
      double best = prev[static_cast<std::size_t>(s)];
      std::int8_t step = 0;
      if (s >= 1 && prev[static_cast<std::size_t>(s - 1)] > best) {
        best = prev[static_cast<std::size_t>(s - 1)];
        step = 1;
      }
      if (s >= 2 && s % 2 && label(s) != label(s - 2) && prev[static_cast<std::size_t>(s - 2)] > best) {
        best = prev[static_cast<std::size_t>(s - 2)];
        step = 2;
      }
      cur[static_cast<std::size_t>(s)] = best == neg_inf ? neg_inf : best + lp(t, label(s));
      back[static_cast<std::size_t>(t * S + s)] = step;
    }
    std::swap(prev, cur);
  }
  index_t s = S - 1;
  if (S > 1 && prev[static_cast<std::size_t>(S - 2)] > prev[static_cast<std::size_t>(S - 1)]) s = S - 2;
  const double total = prev[static_cast<std::size_t>(s)];
  if (total == neg_inf) return false;
  h.confidence = static_cast<float>(std::exp(total / static_cast<double>(T)));
  h.chars.resize(static_cast<std::size_t>(L));
  for (index_t i = 0; i < L; ++i) {
    h.chars[static_cast<std::size_t>(i)].id = ids[static_cast<std::size_t>(i)];
    h.chars[static_cast<std::size_t>(i)].first_frame = -1;
  }
  for (index_t t = T - 1; t >= 0; --t) {
    if (s % 2) {
      CtcChar& c = h.chars[static_cast<std::size_t>(s / 2)];
      if (c.first_frame < 0) c.last_frame = t;
      c.first_frame = t;
      c.confidence = std::max(c.confidence, static_cast<float>(std::exp(lp(t, c.id))));
    }
    if (t > 0) s -= back[static_cast<std::size_t>(t * S + s)];
  }
  return true;
}

}  // namespace detail

// Best-path decoding of log_probs [T, C]. Errors: a shape other than
// [T, C >= 1], blank outside [0, C), labels given but not C of them, a label
// that is not UTF-8.
inline CtcHypothesis ctc_greedy_decode(TensorView<const float> log_probs, const std::vector<std::string>& labels = {},
                                       std::int32_t blank = 0) {
  detail::check_decoder_input("ctc_greedy_decode", log_probs, labels, blank);
  const index_t T = log_probs.size(0), C = log_probs.size(1);
  CtcHypothesis h;
  std::int32_t prev = blank;
  for (index_t t = 0; t < T; ++t) {
    std::int32_t best = 0;
    float best_lp = log_probs(t, 0);
    for (index_t c = 1; c < C; ++c)
      if (log_probs(t, c) > best_lp) {
        best_lp = log_probs(t, c);
        best = static_cast<std::int32_t>(c);
      }
    h.log_prob += best_lp;
    const float p = std::exp(best_lp);
    if (best != blank && best == prev) {
      h.chars.back().last_frame = t;
      h.chars.back().confidence = std::max(h.chars.back().confidence, p);
    } else if (best != blank) {
      CtcChar c;
      c.id = best;
      c.first_frame = c.last_frame = t;
      c.confidence = p;
      h.chars.push_back(c);
      h.ids.push_back(best);
    }
    prev = best;
  }
  h.score = h.log_prob;
  h.confidence = T > 0 ? static_cast<float>(std::exp(h.log_prob / static_cast<double>(T))) : 0.0f;
  if (!labels.empty()) {
    const detail::ClassText ct(labels, blank);
    detail::finish_text(h, labels, &ct, nullptr);
  }
  return h;
}

// Prefix beam search of log_probs [T, C]; returns up to options.nbest
// hypotheses, best first (none when the lexicon forbids every one). Errors:
// as ctc_greedy_decode, plus beam_width or nbest < 1, and a lexicon or LM
// without labels.
inline std::vector<CtcHypothesis> ctc_beam_search(TensorView<const float> log_probs,
                                                  const std::vector<std::string>& labels = {},
                                                  const CtcBeamOptions& options = {}) {
  detail::check_decoder_input("ctc_beam_search", log_probs, labels, options.blank);
  NNOCR_CHECK(options.beam_width >= 1 && options.nbest >= 1 && options.max_candidates >= 1,
              "ctc_beam_search: beam_width, nbest and max_candidates must be >= 1");
  NNOCR_CHECK(options.beam_width <= options.max_beam_width, "ctc_beam_search: beam_width ", options.beam_width,
              " is over the limit of ", options.max_beam_width, " (CtcBeamOptions::max_beam_width)");
  NNOCR_CHECK(!labels.empty() || (!options.lm && !options.lexicon),
              "ctc_beam_search: a lexicon or language model needs the labels of the classes");
  const index_t T = log_probs.size(0), C = log_probs.size(1);
  const std::int32_t blank = options.blank;
  const double neg_inf = -std::numeric_limits<double>::infinity();
  const detail::ClassText ct(labels, blank);
  const CharLm* lm = options.lm;
  const Lexicon* lex = options.lexicon;
  const bool forbid = options.lexicon_mode == LexiconMode::forbid;

  struct Node {
    std::int32_t parent = -1, id = -1, length = 0;
    double text_score = 0.0;
    std::array<char32_t, CharLm::max_order> history{};  // LM history, oldest first
    int history_length = 0;
    std::int32_t lex_node = Lexicon::root;  // trie node of the word being built
    bool in_word = false, digits_only = true, penalized = false;
  };
  std::vector<Node> nodes(1);
  const std::size_t expected_nodes =
      static_cast<std::size_t>(std::min<index_t>(T * options.beam_width * std::min<index_t>(options.max_candidates, C), 1 << 14)) + 1;
  nodes.reserve(expected_nodes);
  if (lm) {
    nodes[0].history[0] = CharLm::bos;
    nodes[0].history_length = 1;
  }
  detail::FlatMap<std::int32_t> children(expected_nodes);  // (node, class) -> node, or -1 when forbidden

  // Whether the word that ends at `n` is acceptable (nothing to check when
  // it has been penalized already).
  auto word_ok = [&](const Node& n) {
    return !n.in_word || n.penalized || lex->is_word(n.lex_node) || (n.digits_only && options.numbers_ok);
  };
  auto child_of = [&](std::int32_t parent, std::int32_t c) -> std::int32_t {
    const std::uint64_t key = (static_cast<std::uint64_t>(parent) << 32) | static_cast<std::uint32_t>(c);
    if (const std::int32_t* found = children.find(key)) return *found;
    Node n = nodes[static_cast<std::size_t>(parent)];
    n.parent = parent;
    n.id = c;
    ++n.length;
    n.text_score += options.insertion_bonus;
    bool allowed = true;
    if (!labels.empty()) {
      const std::u32string& cps = ct.code_points[static_cast<std::size_t>(c)];
      if (lm) {
        const int keep = lm->order() - 1;
        for (char32_t cp : cps) {
          n.text_score += options.lm_weight * lm->log_prob(n.history.data(), static_cast<std::size_t>(n.history_length), cp);
          if (keep == 0) continue;
          if (n.history_length == keep) {
            std::copy(n.history.begin() + 1, n.history.begin() + keep, n.history.begin());
            --n.history_length;
          }
          n.history[static_cast<std::size_t>(n.history_length++)] = cp;
        }
      }
      if (lex) {
        if (ct.separator[static_cast<std::size_t>(c)]) {
          if (!word_ok(n)) {
            if (forbid) allowed = false;
            n.text_score += options.oov_penalty;
          }
          n.in_word = false;
          n.lex_node = Lexicon::root;
          n.digits_only = true;
          n.penalized = false;
        } else {
          if (!n.in_word) {
            n.in_word = true;
            n.lex_node = Lexicon::root;
            n.digits_only = true;
            n.penalized = false;
          }
          for (char32_t cp : cps) {
            n.lex_node = lex->child(n.lex_node, cp);
            n.digits_only = n.digits_only && is_ascii_digit(cp);
          }
          if (n.lex_node == Lexicon::none && !(n.digits_only && options.numbers_ok) && !n.penalized) {
            if (forbid) allowed = false;
            n.text_score += options.oov_penalty;
            n.penalized = true;
          }
        }
      }
    }
    std::int32_t id = -1;
    if (allowed) {
      id = static_cast<std::int32_t>(nodes.size());
      nodes.push_back(n);
    }
    bool inserted = false;
    children.emplace(key, id, inserted);
    return id;
  };

  struct Entry {
    std::int32_t node;
    double pb, pnb;
  };
  std::vector<Entry> beam{{0, 0.0, neg_inf}}, next;
  std::vector<std::int32_t> slot, slot_frame;  // per node: its index in `next` when slot_frame == t
  std::vector<std::int32_t> candidates;
  std::vector<float> y(static_cast<std::size_t>(C));  // this frame's row, contiguous
  std::vector<std::pair<double, std::int32_t>> ranked;
  auto entry_for = [&](std::int32_t node, index_t t) -> Entry& {
    if (slot.size() < nodes.size()) {
      const std::size_t grown = std::max(nodes.size(), 2 * slot.size());
      slot.resize(grown, -1);
      slot_frame.resize(grown, -1);
    }
    if (slot_frame[static_cast<std::size_t>(node)] != t) {
      slot_frame[static_cast<std::size_t>(node)] = static_cast<std::int32_t>(t);
      slot[static_cast<std::size_t>(node)] = static_cast<std::int32_t>(next.size());
      next.push_back({node, neg_inf, neg_inf});
    }
    return next[static_cast<std::size_t>(slot[static_cast<std::size_t>(node)])];
  };

  for (index_t t = 0; t < T; ++t) {
    // The characters worth extending with at this frame.
    for (index_t c = 0; c < C; ++c) y[static_cast<std::size_t>(c)] = log_probs(t, c);
    candidates.clear();
    for (index_t c = 0; c < C; ++c)
      if (c != blank && y[static_cast<std::size_t>(c)] >= options.min_char_log_prob)
        candidates.push_back(static_cast<std::int32_t>(c));
    if (static_cast<int>(candidates.size()) > options.max_candidates) {
      auto likelier = [&](std::int32_t a, std::int32_t b) {
        const float ya = y[static_cast<std::size_t>(a)], yb = y[static_cast<std::size_t>(b)];
        return ya > yb || (ya == yb && a < b);
      };
      std::nth_element(candidates.begin(), candidates.begin() + options.max_candidates, candidates.end(), likelier);
      candidates.resize(static_cast<std::size_t>(options.max_candidates));
      std::sort(candidates.begin(), candidates.end(), likelier);
    }
    next.clear();
    const double y_blank = y[static_cast<std::size_t>(blank)];
    for (const Entry e : beam) {
      const double total = detail::log_add(e.pb, e.pnb);
      const std::int32_t last = nodes[static_cast<std::size_t>(e.node)].id;
      {
        Entry& same = entry_for(e.node, t);
        same.pb = detail::log_add(same.pb, total + y_blank);
        if (last >= 0) same.pnb = detail::log_add(same.pnb, e.pnb + y[static_cast<std::size_t>(last)]);
      }
      for (std::int32_t c : candidates) {
        const std::int32_t child = child_of(e.node, c);
        if (child < 0) continue;
        Entry& longer = entry_for(child, t);
        longer.pnb = detail::log_add(longer.pnb, (c == last ? e.pb : total) + y[static_cast<std::size_t>(c)]);
      }
    }
    ranked.clear();
    for (std::size_t i = 0; i < next.size(); ++i)
      ranked.emplace_back(detail::log_add(next[i].pb, next[i].pnb) +
                              nodes[static_cast<std::size_t>(next[i].node)].text_score,
                          static_cast<std::int32_t>(i));
    const std::size_t keep = std::min(ranked.size(), static_cast<std::size_t>(options.beam_width));
    auto better = [&](const std::pair<double, std::int32_t>& a, const std::pair<double, std::int32_t>& b) {
      if (a.first != b.first) return a.first > b.first;
      return next[static_cast<std::size_t>(a.second)].node < next[static_cast<std::size_t>(b.second)].node;
    };
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(), better);
    beam.clear();
    for (std::size_t i = 0; i < keep; ++i) beam.push_back(next[static_cast<std::size_t>(ranked[i].second)]);
  }

  // Final scores: end of line for the LM and the lexicon.
  struct Final {
    double score, log_prob;
    std::int32_t node;
  };
  std::vector<Final> finals;
  for (const Entry& e : beam) {
    const Node& n = nodes[static_cast<std::size_t>(e.node)];
    const double lp = detail::log_add(e.pb, e.pnb);
    if (lp == neg_inf) continue;
    double score = lp + n.text_score;
    if (lm) score += options.lm_weight * lm->log_prob(n.history.data(), static_cast<std::size_t>(n.history_length), CharLm::eos);
    if (lex && !word_ok(n)) {
      if (forbid) continue;
      score += options.oov_penalty;
    }
    finals.push_back({score, lp, e.node});
  }
  std::sort(finals.begin(), finals.end(), [](const Final& a, const Final& b) {
    return a.score != b.score ? a.score > b.score : a.node < b.node;
  });
  if (finals.size() > static_cast<std::size_t>(options.nbest)) finals.resize(static_cast<std::size_t>(options.nbest));

  std::vector<CtcHypothesis> out;
  for (const Final& f : finals) {
    CtcHypothesis h;
    for (std::int32_t n = f.node; n > 0; n = nodes[static_cast<std::size_t>(n)].parent)
      h.ids.push_back(nodes[static_cast<std::size_t>(n)].id);
    std::reverse(h.ids.begin(), h.ids.end());
    h.score = f.score;
    h.log_prob = f.log_prob;
    detail::align(log_probs, h.ids, blank, h);
    detail::finish_text(h, labels, &ct, &options);
    out.push_back(std::move(h));
  }
  return out;
}

namespace detail {
// Checks a batch [T, N, C] and its lengths; returns N.
inline index_t check_batch(const char* what, TensorView<const float> log_probs, const std::vector<index_t>& lengths) {
  NNOCR_CHECK(log_probs.rank() == 3, what, ": expected log-probabilities [T, N, C], got ", log_probs.shape().str());
  const index_t N = log_probs.size(1);
  NNOCR_CHECK(lengths.empty() || static_cast<index_t>(lengths.size()) == N, what, ": ", lengths.size(),
              " lengths for a batch of ", N);
  for (std::size_t n = 0; n < lengths.size(); ++n)
    NNOCR_CHECK(lengths[n] >= 0 && lengths[n] <= log_probs.size(0), what, ": length ", lengths[n], " of item ", n,
                " is outside [0, ", log_probs.size(0), "]");
  return N;
}
inline TensorView<const float> batch_item(TensorView<const float> log_probs, const std::vector<index_t>& lengths,
                                          index_t n) {
  const index_t T = lengths.empty() ? log_probs.size(0) : lengths[static_cast<std::size_t>(n)];
  return log_probs.select(1, n).slice(0, 0, T);
}
}  // namespace detail

// Greedy decoding of every item of a batch [T, N, C], item n over its first
// lengths[n] frames (all T when lengths is empty); items run in parallel.
inline std::vector<CtcHypothesis> ctc_greedy_decode_batch(TensorView<const float> log_probs,
                                                          const std::vector<index_t>& lengths = {},
                                                          const std::vector<std::string>& labels = {},
                                                          std::int32_t blank = 0) {
  const index_t N = detail::check_batch("ctc_greedy_decode_batch", log_probs, lengths);
  std::vector<CtcHypothesis> out(static_cast<std::size_t>(N));
  parallel_for(N, 1, [&](index_t n0, index_t n1) {
    for (index_t n = n0; n < n1; ++n)
      out[static_cast<std::size_t>(n)] = ctc_greedy_decode(detail::batch_item(log_probs, lengths, n), labels, blank);
  });
  return out;
}

// Beam search of every item of a batch [T, N, C] (see ctc_greedy_decode_batch);
// result[n] holds item n's hypotheses.
inline std::vector<std::vector<CtcHypothesis>> ctc_beam_search_batch(TensorView<const float> log_probs,
                                                                     const std::vector<index_t>& lengths = {},
                                                                     const std::vector<std::string>& labels = {},
                                                                     const CtcBeamOptions& options = {}) {
  const index_t N = detail::check_batch("ctc_beam_search_batch", log_probs, lengths);
  std::vector<std::vector<CtcHypothesis>> out(static_cast<std::size_t>(N));
  parallel_for(N, 1, [&](index_t n0, index_t n1) {
    for (index_t n = n0; n < n1; ++n)
      out[static_cast<std::size_t>(n)] = ctc_beam_search(detail::batch_item(log_probs, lengths, n), labels, options);
  });
  return out;
}

}  // namespace nnocr::decode
