// metrics.hpp — how OCR output is scored: character and word error rates,
// line accuracy, and how well confidences predict correctness.
//
//   CER = (substitutions + deletions + insertions) / reference characters,
//         the Levenshtein distance over Unicode code points, summed over
//         lines before dividing (so long lines weigh more, as in ISRI/ocreval);
//   WER = the same over words (maximal runs of non-space characters);
//   line accuracy = lines read exactly / lines.
// Edit distances use two rows of the dynamic programme: O(n m) time,
// O(min(n, m)) memory.
//
// Calibration: expected calibration error over (confidence, correct)
// pairs, with equal-width bins (Guo et al. 2017):
//   ECE = sum_b |B_b| / n * |accuracy(B_b) - mean confidence(B_b)|.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../data/utf8.hpp"

namespace nnocr::train {

// Levenshtein distance between two sequences (unit costs).
template <class T>
std::int64_t edit_distance(const std::vector<T>& a, const std::vector<T>& b) {
  const std::vector<T>& s = a.size() < b.size() ? b : a;  // the longer
  const std::vector<T>& t = a.size() < b.size() ? a : b;  // the shorter: one row of it
  std::vector<std::int64_t> row(t.size() + 1);
  for (std::size_t j = 0; j <= t.size(); ++j) row[j] = static_cast<std::int64_t>(j);
  for (std::size_t i = 1; i <= s.size(); ++i) {
    std::int64_t diagonal = row[0];
    row[0] = static_cast<std::int64_t>(i);
    for (std::size_t j = 1; j <= t.size(); ++j) {
      const std::int64_t up = row[j];
      row[j] = std::min({up + 1, row[j - 1] + 1, diagonal + (s[i - 1] == t[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[t.size()];
}

// Words of a line: maximal runs of characters other than ASCII white space.
inline std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

// Which hypothesis words are right: word j of `hypothesis` is right when an
// alignment of the two word sequences with the most matches (a longest
// common subsequence) pairs it with an equal reference word. This is what
// word confidences are scored against.
inline std::vector<bool> matched_words(const std::vector<std::string>& reference,
                                       const std::vector<std::string>& hypothesis) {
  const std::size_t n = reference.size(), m = hypothesis.size();
  std::vector<std::vector<std::int32_t>> lcs(n + 1, std::vector<std::int32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      lcs[i][j] = reference[i] == hypothesis[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::vector<bool> right(m, false);
  for (std::size_t i = 0, j = 0; i < n && j < m;) {
    if (reference[i] == hypothesis[j]) {
      right[j] = true;
      ++i, ++j;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
  return right;
}

// Running totals over lines; add() each (reference, hypothesis) pair.
struct TextScore {
  std::int64_t char_errors = 0, chars = 0;  // code points of the references
  std::int64_t word_errors = 0, words = 0;
  std::int64_t lines = 0, lines_exact = 0;

  // Adds one line; returns its character edit distance. Invalid UTF-8 in
  // either text is an error naming which.
  std::int64_t add(std::string_view reference, std::string_view hypothesis) {
    const std::vector<char32_t> r = data::decode_utf8(reference, "reference text");
    const std::vector<char32_t> h = data::decode_utf8(hypothesis, "recognized text");
    const std::int64_t e = edit_distance(r, h);
    char_errors += e;
    chars += static_cast<std::int64_t>(r.size());
    const std::vector<std::string> rw = split_words(reference), hw = split_words(hypothesis);
    word_errors += edit_distance(rw, hw);
    words += static_cast<std::int64_t>(rw.size());
    ++lines;
    if (reference == hypothesis) ++lines_exact;
    return e;
  }
  void merge(const TextScore& o) {
    char_errors += o.char_errors;
    chars += o.chars;
    word_errors += o.word_errors;
    words += o.words;
    lines += o.lines;
    lines_exact += o.lines_exact;
  }
  // Rates in [0, inf) (insertions can exceed the reference length); 0 when
  // there is no reference text at all and nothing was inserted.
  double cer() const { return rate(char_errors, chars); }
  double wer() const { return rate(word_errors, words); }
  double line_accuracy() const { return lines ? static_cast<double>(lines_exact) / static_cast<double>(lines) : 0.0; }

 private:
  static double rate(std::int64_t errors, std::int64_t total) {
    if (total == 0) return errors == 0 ? 0.0 : 1.0;
    return static_cast<double>(errors) / static_cast<double>(total);
  }
};

// Character error rate of one pair of texts.
inline double character_error_rate(std::string_view reference, std::string_view hypothesis) {
  TextScore s;
  s.add(reference, hypothesis);
  return s.cer();
}

struct CalibrationBin {
  double lo = 0, hi = 0;
  std::int64_t count = 0;
  double mean_confidence = 0, accuracy = 0;
};

struct Calibration {
  double ece = 0;  // expected calibration error, in [0, 1]
  std::vector<CalibrationBin> bins;
};

// confidences[i] in [0, 1] (clamped), correct[i] whether item i was right.
inline Calibration expected_calibration_error(const std::vector<double>& confidences, const std::vector<bool>& correct,
                                              int bins = 10) {
  NNOCR_CHECK(confidences.size() == correct.size(), "expected_calibration_error: ", confidences.size(),
              " confidences for ", correct.size(), " outcomes");
  NNOCR_CHECK(bins >= 1 && bins <= 1000, "expected_calibration_error: bins ", bins, " is outside [1, 1000]");
  Calibration out;
  out.bins.resize(static_cast<std::size_t>(bins));
  std::vector<double> sum_conf(out.bins.size(), 0.0), sum_ok(out.bins.size(), 0.0);
  for (std::size_t i = 0; i < confidences.size(); ++i) {
    const double c = std::clamp(std::isfinite(confidences[i]) ? confidences[i] : 0.0, 0.0, 1.0);
    const auto b = std::min<std::size_t>(out.bins.size() - 1, static_cast<std::size_t>(c * bins));
    ++out.bins[b].count;
    sum_conf[b] += c;
    sum_ok[b] += correct[i] ? 1.0 : 0.0;
  }
  const double n = static_cast<double>(confidences.size());
  for (std::size_t b = 0; b < out.bins.size(); ++b) {
    CalibrationBin& bin = out.bins[b];
    bin.lo = static_cast<double>(b) / bins;
    bin.hi = static_cast<double>(b + 1) / bins;
    if (bin.count == 0) continue;
    const double k = static_cast<double>(bin.count);
    bin.mean_confidence = sum_conf[b] / k;
    bin.accuracy = sum_ok[b] / k;
    out.ece += k / n * std::fabs(bin.accuracy - bin.mean_confidence);
  }
  return out;
}

}  // namespace nnocr::train
