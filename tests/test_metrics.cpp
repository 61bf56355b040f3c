// OCR metrics: edit distances, CER / WER / line accuracy on hand-computed
// lines (code points, not bytes; errors summed over lines before dividing)
// and expected calibration error on a hand-binned example.
#include <doctest/doctest.h>

#include <nnocr/core/rng.hpp>
#include <nnocr/train/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace nnocr;
using train::TextScore;

namespace {

std::vector<char> chars(const std::string& s) { return {s.begin(), s.end()}; }

// The textbook full-matrix Levenshtein distance, the oracle for the
// two-row version.
std::int64_t full_matrix_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::int64_t>> d(a.size() + 1, std::vector<std::int64_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<std::int64_t>(i);
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<std::int64_t>(j);
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j)
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
  return d[a.size()][b.size()];
}

}  // namespace

TEST_CASE("edit_distance: hand-computed cases") {
  CHECK(train::edit_distance(chars("kitten"), chars("sitting")) == 3);  // k->s, e->i, +g
  CHECK(train::edit_distance(chars("sitting"), chars("kitten")) == 3);
  CHECK(train::edit_distance(chars("flaw"), chars("lawn")) == 2);  // -f, +n
  CHECK(train::edit_distance(chars("ab"), chars("ba")) == 2);      // no transpositions
  CHECK(train::edit_distance(chars("abc"), chars("xabcx")) == 2);
  CHECK(train::edit_distance(chars(""), chars("")) == 0);
  CHECK(train::edit_distance(chars(""), chars("abc")) == 3);
  CHECK(train::edit_distance(chars("abcd"), chars("")) == 4);
  CHECK(train::edit_distance(chars("same"), chars("same")) == 0);
  CHECK(train::edit_distance(chars("abcd"), chars("wxyz")) == 4);
  const std::vector<std::string> a = {"the", "cat", "sat"}, b = {"the", "bat", "sat", "down"};
  CHECK(train::edit_distance(a, b) == 2);
}

TEST_CASE("edit_distance: the two-row programme equals the full matrix") {
  Rng rng(21);
  for (int trial = 0; trial < 300; ++trial) {
    std::string a, b;
    const auto na = rng.uniform_index(9), nb = rng.uniform_index(9);
    for (std::uint64_t i = 0; i < na; ++i) a += static_cast<char>('a' + rng.uniform_index(3));
    for (std::uint64_t i = 0; i < nb; ++i) b += static_cast<char>('a' + rng.uniform_index(3));
    INFO("'", a, "' vs '", b, "'");
    const std::int64_t expected = full_matrix_distance(a, b);
    CHECK(train::edit_distance(chars(a), chars(b)) == expected);
    CHECK(train::edit_distance(chars(b), chars(a)) == expected);
  }
}

TEST_CASE("split_words: maximal runs of non-space characters") {
  using V = std::vector<std::string>;
  CHECK(train::split_words("the cat") == V{"the", "cat"});
  CHECK(train::split_words("  a\tb\n c\r\n\f\vd  ") == V{"a", "b", "c", "d"});
  CHECK(train::split_words("one") == V{"one"});
  CHECK(train::split_words("").empty());
  CHECK(train::split_words(" \t\n ").empty());
  // Only ASCII white space separates: punctuation and multi-byte text stay inside words.
  CHECK(train::split_words("naïve, café!") == V{"naïve,", "café!"});
  CHECK(train::split_words("a\xc2\xa0"
                           "b") == V{"a\xc2\xa0"
                                     "b"});  // U+00A0 no-break space
}

TEST_CASE("TextScore: characters are code points, not bytes") {
  TextScore s;
  CHECK(s.add("café", "cafe") == 1);  // é is 2 bytes but one substitution
  CHECK(s.chars == 4);
  CHECK(s.cer() == doctest::Approx(0.25));
  CHECK(train::character_error_rate("café", "cafe") == doctest::Approx(0.25));
  CHECK(train::character_error_rate("cafe", "café") == doctest::Approx(0.25));
  CHECK(train::character_error_rate("日本語", "日本") == doctest::Approx(1.0 / 3.0));
  CHECK(train::character_error_rate("日本語", "日本語") == 0.0);
  // 4-byte characters: one emoji for another is one substitution of one character.
  CHECK(train::character_error_rate("a\xf0\x9f\x98\x80", "a\xf0\x9f\x98\x81") == doctest::Approx(0.5));
  // Two encodings of "é" (precomposed vs e + combining acute) are different
  // code point sequences: one substitution and one insertion.
  CHECK(train::character_error_rate("\xc3\xa9", "e\xcc\x81") == doctest::Approx(2.0));
}

TEST_CASE("TextScore: word error rate over words") {
  TextScore s;
  // Characters: "the cat sat" (11) -> "the bat sat down" (16): 1 substitution + 5 insertions.
  CHECK(s.add("the cat sat", "the bat sat down") == 6);
  CHECK(s.char_errors == 6);
  CHECK(s.chars == 11);
  CHECK(s.word_errors == 2);  // cat->bat, + down
  CHECK(s.words == 3);
  CHECK(s.wer() == doctest::Approx(2.0 / 3.0));
  CHECK(s.cer() == doctest::Approx(6.0 / 11.0));

  TextScore spaces;  // extra white space is no word error, but is a character error
  spaces.add("a b", "a  b");
  CHECK(spaces.wer() == 0.0);
  CHECK(spaces.cer() == doctest::Approx(1.0 / 3.0));
  CHECK(spaces.line_accuracy() == 0.0);

  TextScore merged;  // a missing space merges two words: 1 substitution + 1 deletion
  merged.add("to be or", "tobe or");
  CHECK(merged.word_errors == 2);
  CHECK(merged.wer() == doctest::Approx(2.0 / 3.0));
  CHECK(merged.char_errors == 1);
}

TEST_CASE("TextScore: line accuracy counts exact lines") {
  TextScore s;
  s.add("hello", "hello");
  s.add("world", "word");
  s.add("café", "café");
  s.add("x", "x ");  // a trailing space makes the line inexact
  CHECK(s.lines == 4);
  CHECK(s.lines_exact == 2);
  CHECK(s.line_accuracy() == doctest::Approx(0.5));
  CHECK(TextScore().line_accuracy() == 0.0);
}

TEST_CASE("TextScore: CER sums errors over lines before dividing") {
  // A long line read perfectly and a short line read entirely wrong:
  // summed 2 / 12, whereas the mean of per-line CERs would be (0 + 1) / 2.
  TextScore s;
  CHECK(s.add("abcdefghij", "abcdefghij") == 0);
  CHECK(s.add("ab", "xy") == 2);
  CHECK(s.cer() == doctest::Approx(2.0 / 12.0));
  const double mean_of_lines =
      (train::character_error_rate("abcdefghij", "abcdefghij") + train::character_error_rate("ab", "xy")) / 2.0;
  CHECK(mean_of_lines == doctest::Approx(0.5));
  CHECK(std::abs(s.cer() - mean_of_lines) > 0.1);
  // The same for words: 1 error over 5 + 1 words, not the mean of 0 and 1.
  TextScore w;
  w.add("one two three four five", "one two three four five");
  w.add("six", "sicks");
  CHECK(w.wer() == doctest::Approx(1.0 / 6.0));
}

TEST_CASE("TextScore: merge equals adding every line to one score") {
  const std::vector<std::pair<std::string, std::string>> lines = {{"kitten", "sitting"},
                                                                  {"the cat sat", "the bat sat down"},
                                                                  {"café au lait", "cafe au lait"},
                                                                  {"", "noise"},
                                                                  {"exact", "exact"},
                                                                  {"日本語", "日本"},
                                                                  {"a b c", ""}};
  TextScore all, first, second;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    all.add(lines[i].first, lines[i].second);
    (i < 3 ? first : second).add(lines[i].first, lines[i].second);
  }
  TextScore merged = first;
  merged.merge(second);
  CHECK(merged.char_errors == all.char_errors);
  CHECK(merged.chars == all.chars);
  CHECK(merged.word_errors == all.word_errors);
  CHECK(merged.words == all.words);
  CHECK(merged.lines == all.lines);
  CHECK(merged.lines_exact == all.lines_exact);
  CHECK(merged.cer() == all.cer());
  CHECK(merged.wer() == all.wer());
  CHECK(merged.line_accuracy() == all.line_accuracy());
  // Hand totals, so a merge that dropped a field cannot pass by agreeing with itself.
  CHECK(all.lines == 7);
  CHECK(all.lines_exact == 1);
  CHECK(all.chars == 6 + 11 + 12 + 0 + 5 + 3 + 5);
  CHECK(all.char_errors == 3 + 6 + 1 + 5 + 0 + 1 + 5);
  CHECK(all.words == 1 + 3 + 3 + 0 + 1 + 1 + 3);
  CHECK(all.word_errors == 1 + 2 + 1 + 1 + 0 + 1 + 3);
  // Merging an empty score changes nothing.
  TextScore unchanged = all;
  unchanged.merge(TextScore());
  CHECK(unchanged.char_errors == all.char_errors);
  CHECK(unchanged.lines == all.lines);
}

TEST_CASE("TextScore: empty references and rates above one") {
  TextScore none;
  CHECK(none.cer() == 0.0);
  CHECK(none.wer() == 0.0);
  TextScore empty_ok;
  CHECK(empty_ok.add("", "") == 0);
  CHECK(empty_ok.cer() == 0.0);
  CHECK(empty_ok.wer() == 0.0);
  CHECK(empty_ok.line_accuracy() == 1.0);
  // Nothing to read but something was inserted: rate 1, not a division by zero.
  TextScore empty_bad;
  CHECK(empty_bad.add("", "abc") == 3);
  CHECK(empty_bad.chars == 0);
  CHECK(empty_bad.cer() == 1.0);
  CHECK(empty_bad.wer() == 1.0);
  CHECK(train::character_error_rate("", "x") == 1.0);
  // White-space-only reference: characters but no words.
  TextScore blank;
  blank.add("  ", "a");
  CHECK(blank.words == 0);
  CHECK(blank.wer() == 1.0);
  CHECK(blank.cer() == doctest::Approx(1.0));  // one substitution, one deletion over 2
  // Insertions can exceed the reference length.
  CHECK(train::character_error_rate("a", "abcd") == doctest::Approx(3.0));
  CHECK(train::character_error_rate("abc", "") == doctest::Approx(1.0));
}

TEST_CASE("TextScore: invalid UTF-8 is an error naming which text, and counts nothing") {
  TextScore s;
  s.add("ok", "ok");
  CHECK_THROWS_WITH_AS(s.add("ab\xff", "ab"), doctest::Contains("reference text: invalid UTF-8 at byte 2"), Error);
  CHECK_THROWS_WITH_AS(s.add("ab", "a\xc3"), doctest::Contains("recognized text: invalid UTF-8 at byte 1"), Error);
  CHECK_THROWS_AS(train::character_error_rate("\x80", ""), Error);
  CHECK(s.lines == 1);
  CHECK(s.chars == 2);
  CHECK(s.words == 1);
  CHECK(s.char_errors == 0);
}

TEST_CASE("expected_calibration_error: hand-binned example") {
  // Two bins, [0, 0.5) and [0.5, 1]:
  //   low:  0.1 (right), 0.3 (wrong)  -> mean confidence 0.2, accuracy 0.5, |gap| 0.3
  //   high: 0.9 (wrong), 0.8 (right), 0.5 (right), 1.0 (right)
  //                                   -> mean confidence 0.8, accuracy 0.75, |gap| 0.05
  //   ECE = 2/6 * 0.3 + 4/6 * 0.05 = 0.1 + 0.0333... = 0.1333...
  const auto c =
      train::expected_calibration_error({0.1, 0.3, 0.9, 0.8, 0.5, 1.0}, {true, false, false, true, true, true}, 2);
  REQUIRE(c.bins.size() == 2);
  CHECK(c.bins[0].lo == 0.0);
  CHECK(c.bins[0].hi == 0.5);
  CHECK(c.bins[1].lo == 0.5);
  CHECK(c.bins[1].hi == 1.0);
  CHECK(c.bins[0].count == 2);
  CHECK(c.bins[1].count == 4);
  CHECK(c.bins[0].mean_confidence == doctest::Approx(0.2));
  CHECK(c.bins[0].accuracy == doctest::Approx(0.5));
  CHECK(c.bins[1].mean_confidence == doctest::Approx(0.8));
  CHECK(c.bins[1].accuracy == doctest::Approx(0.75));
  CHECK(c.ece == doctest::Approx(2.0 / 6.0 * 0.3 + 4.0 / 6.0 * 0.05));

  // The same items in four bins: [0, .25) {0.1 right}, [.25, .5) {0.3 wrong},
  // [.5, .75) {0.5 right}, [.75, 1] {0.9 wrong, 0.8 right, 1.0 right}.
  const auto c4 =
      train::expected_calibration_error({0.1, 0.3, 0.9, 0.8, 0.5, 1.0}, {true, false, false, true, true, true}, 4);
  REQUIRE(c4.bins.size() == 4);
  CHECK(c4.bins[0].count == 1);
  CHECK(c4.bins[1].count == 1);
  CHECK(c4.bins[2].count == 1);
  CHECK(c4.bins[3].count == 3);
  CHECK(c4.bins[3].mean_confidence == doctest::Approx(0.9));
  CHECK(c4.bins[3].accuracy == doctest::Approx(2.0 / 3.0));
  CHECK(c4.ece == doctest::Approx((0.9 + 0.3 + 0.5 + 3 * (0.9 - 2.0 / 3.0)) / 6.0));
}

TEST_CASE("expected_calibration_error: calibrated, overconfident and edge cases") {
  // Perfectly calibrated: confidence 0.75 and three of four right.
  CHECK(train::expected_calibration_error({0.75, 0.75, 0.75, 0.75}, {true, true, false, true}).ece ==
        doctest::Approx(0.0));
  // Always 100% sure, right half the time: ECE 0.5.
  CHECK(train::expected_calibration_error({1.0, 1.0, 1.0, 1.0}, {true, false, true, false}).ece ==
        doctest::Approx(0.5));
  // One bin: |mean accuracy - mean confidence| over everything.
  CHECK(train::expected_calibration_error({0.2, 0.6}, {true, true}, 1).ece == doctest::Approx(0.6));
  // Out-of-range confidences are clamped to [0, 1]; non-finite ones count as 0.
  const auto clamped = train::expected_calibration_error({1.5, -0.25, std::numeric_limits<double>::quiet_NaN()},
                                                         {true, false, false}, 10);
  CHECK(clamped.bins[9].count == 1);
  CHECK(clamped.bins[9].mean_confidence == 1.0);
  CHECK(clamped.bins[0].count == 2);
  CHECK(clamped.bins[0].mean_confidence == 0.0);
  CHECK(clamped.ece == doctest::Approx(0.0));
  // No items: empty bins and ECE 0 (no division by zero).
  const auto empty = train::expected_calibration_error({}, {}, 5);
  CHECK(empty.bins.size() == 5);
  CHECK(empty.ece == 0.0);
  CHECK(std::isfinite(empty.ece));
  for (const auto& b : empty.bins) CHECK(b.count == 0);
  CHECK(empty.bins[4].hi == 1.0);
  // Errors.
  CHECK_THROWS_WITH_AS(train::expected_calibration_error({0.5, 0.5}, {true}),
                       doctest::Contains("2 confidences for 1 outcomes"), Error);
  CHECK_THROWS_WITH_AS(train::expected_calibration_error({0.5}, {true}, 0), doctest::Contains("bins 0"), Error);
  CHECK_THROWS_AS(train::expected_calibration_error({0.5}, {true}, 1001), Error);
  CHECK_NOTHROW(train::expected_calibration_error({0.5}, {true}, 1000));
}

TEST_CASE("matched_words: hypothesis words aligned with equal reference words") {
  using W = std::vector<std::string>;
  using B = std::vector<bool>;
  CHECK(train::matched_words({"the", "cat", "sat"}, {"the", "bat", "sat", "down"}) == B{true, false, true, false});
  CHECK(train::matched_words({"a", "b", "a"}, {"a", "a"}) == B{true, true});  // skips the reference's b
  CHECK(train::matched_words({"x", "y"}, {"y", "x", "y"}) == B{false, true, true});
  CHECK(train::matched_words({}, {"a", "b"}) == B{false, false});
  CHECK(train::matched_words({"a"}, {}).empty());
  CHECK(train::matched_words({"Café"}, {"café"}) == B{false});  // exact comparison
  // Swapped words: only one of the two can be in a common subsequence.
  const B swapped = train::matched_words({"a", "b"}, {"b", "a"});
  CHECK(std::count(swapped.begin(), swapped.end(), true) == 1);

  // On random sequences: the matched words number the longest common
  // subsequence and appear, in order, in the reference.
  Rng rng(22);
  for (int trial = 0; trial < 200; ++trial) {
    W ref, hyp;
    const auto nr = rng.uniform_index(7), nh = rng.uniform_index(7);
    for (std::uint64_t i = 0; i < nr; ++i) ref.emplace_back(1, static_cast<char>('a' + rng.uniform_index(3)));
    for (std::uint64_t i = 0; i < nh; ++i) hyp.emplace_back(1, static_cast<char>('a' + rng.uniform_index(3)));
    std::string rs, hs;
    for (const auto& w : ref) rs += w;
    for (const auto& w : hyp) hs += w;
    INFO("'", rs, "' vs '", hs, "'");
    const B right = train::matched_words(ref, hyp);
    REQUIRE(right.size() == hyp.size());
    // The textbook LCS table, filled from the front.
    std::vector<std::vector<int>> lcs(ref.size() + 1, std::vector<int>(hyp.size() + 1, 0));
    for (std::size_t i = 1; i <= ref.size(); ++i)
      for (std::size_t j = 1; j <= hyp.size(); ++j)
        lcs[i][j] = ref[i - 1] == hyp[j - 1] ? lcs[i - 1][j - 1] + 1 : std::max(lcs[i - 1][j], lcs[i][j - 1]);
    CHECK(std::count(right.begin(), right.end(), true) == lcs[ref.size()][hyp.size()]);
    std::size_t at = 0;
    bool in_order = true;
    for (std::size_t j = 0; j < hyp.size(); ++j) {
      if (!right[j]) continue;
      while (at < ref.size() && ref[at] != hyp[j]) ++at;
      in_order = in_order && at < ref.size();
      ++at;
    }
    CHECK(in_order);
  }
}
