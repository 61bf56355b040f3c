// CTC decoders (greedy, prefix beam search with lexicon and LM), the
// character n-gram LM and the lexicon, on hand-made probability tables whose
// answers are known.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nnocr/core/rng.hpp>
#include <nnocr/decode/char_lm.hpp>
#include <nnocr/decode/ctc.hpp>
#include <nnocr/decode/lexicon.hpp>
#include <nnocr/train/ctc.hpp>
#include <string>
#include <unistd.h>
#include <vector>

using namespace nnocr;
using decode::CharLm;
using decode::CtcBeamOptions;
using decode::Lexicon;

namespace {

// log of a probability table given row by row; each row must sum to 1.
Tensor<float> table(const std::vector<std::vector<double>>& rows) {
  const auto T = static_cast<index_t>(rows.size()), C = static_cast<index_t>(rows.at(0).size());
  Tensor<float> t({T, C});
  for (index_t i = 0; i < T; ++i) {
    double s = 0.0;
    for (index_t c = 0; c < C; ++c) {
      const double p = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(c)];
      s += p;
      t(i, c) = p > 0.0 ? static_cast<float>(std::log(p)) : -std::numeric_limits<float>::infinity();
    }
    REQUIRE(std::abs(s - 1.0) < 1e-9);
  }
  return t;
}

std::string temp_path(const std::string& name) {
  return "/tmp/nnocr_test_ctc_decode_" + std::to_string(::getpid()) + "_" + name;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

void check_confidences(const decode::CtcHypothesis& h) {
  CHECK(h.confidence >= 0.0f);
  CHECK(h.confidence <= 1.0f);
  for (const auto& c : h.chars) {
    CHECK(c.confidence >= 0.0f);
    CHECK(c.confidence <= 1.0f);
    CHECK(c.first_frame <= c.last_frame);
  }
  for (const auto& w : h.words) {
    CHECK(w.confidence >= 0.0f);
    CHECK(w.confidence <= 1.0f);
  }
}

const std::vector<std::string> kCat = {"", "c", "a", "t", "o", " "};

// "c", then "o" (0.55) or "a" (0.45), then "t": acoustically "cot".
Tensor<float> cot_or_cat() {
  return table({{0.05, 0.9, 0.0, 0.0, 0.0, 0.05},
                {0.0, 0.0, 0.45, 0.0, 0.55, 0.0},
                {0.05, 0.0, 0.0, 0.9, 0.0, 0.05}});
}

}  // namespace

TEST_CASE("greedy decoding: repeats merge, blanks separate, frames and confidences") {
  const std::vector<std::string> labels = {"", "a", "b"};
  // a a - a b b -  ->  "aab"
  const auto lp = table({{0.1, 0.8, 0.1},
                         {0.2, 0.7, 0.1},
                         {0.9, 0.05, 0.05},
                         {0.3, 0.6, 0.1},
                         {0.1, 0.1, 0.8},
                         {0.1, 0.2, 0.7},
                         {0.6, 0.2, 0.2}});
  const auto h = decode::ctc_greedy_decode(lp, labels);
  CHECK(h.text == "aab");
  CHECK(h.ids == std::vector<std::int32_t>{1, 1, 2});
  REQUIRE(h.chars.size() == 3);
  CHECK(h.chars[0].first_frame == 0);
  CHECK(h.chars[0].last_frame == 1);
  CHECK(h.chars[0].confidence == doctest::Approx(0.8));
  CHECK(h.chars[1].first_frame == 3);
  CHECK(h.chars[1].last_frame == 3);
  CHECK(h.chars[2].first_frame == 4);
  CHECK(h.chars[2].last_frame == 5);
  CHECK(h.chars[2].confidence == doctest::Approx(0.8));
  const double best_path = std::log(0.8 * 0.7 * 0.9 * 0.6 * 0.8 * 0.7 * 0.6);
  CHECK(h.log_prob == doctest::Approx(best_path));
  CHECK(h.confidence == doctest::Approx(std::exp(best_path / 7)));
  REQUIRE(h.words.size() == 1);
  CHECK(h.words[0].text == "aab");
  CHECK(h.words[0].confidence == doctest::Approx(0.6));
  check_confidences(h);

  // Without a blank between them, two a's are one.
  CHECK(decode::ctc_greedy_decode(table({{0.1, 0.8, 0.1}, {0.1, 0.8, 0.1}}), labels).text == "a");
  // All blank: empty output.
  const auto empty = decode::ctc_greedy_decode(table({{0.9, 0.05, 0.05}, {0.7, 0.2, 0.1}}), labels);
  CHECK(empty.text.empty());
  CHECK(empty.chars.empty());
  CHECK(empty.words.empty());
  CHECK(empty.confidence == doctest::Approx(std::sqrt(0.9 * 0.7)));
  // Ids only, without labels; blank elsewhere than 0.
  const auto ids = decode::ctc_greedy_decode(table({{0.1, 0.8, 0.1}, {0.1, 0.1, 0.8}, {0.8, 0.1, 0.1}}), {}, 2);
  CHECK(ids.ids == std::vector<std::int32_t>{1, 0});
  CHECK(ids.text.empty());
}

TEST_CASE("beam search finds the most likely labelling where greedy takes the most likely path") {
  const std::vector<std::string> labels = {"", "a"};
  // Two frames, P(blank) = 0.6 each: the best path "--" (0.36) gives "",
  // but "a" has the paths aa, a-, -a: 0.16 + 0.24 + 0.24 = 0.64.
  const auto lp = table({{0.6, 0.4}, {0.6, 0.4}});
  CHECK(decode::ctc_greedy_decode(lp, labels).text.empty());
  CtcBeamOptions options;
  options.nbest = 2;
  const auto hyps = decode::ctc_beam_search(lp, labels, options);
  REQUIRE(hyps.size() == 2);
  CHECK(hyps[0].text == "a");
  CHECK(hyps[0].log_prob == doctest::Approx(std::log(0.64)));
  CHECK(hyps[1].text.empty());
  CHECK(hyps[1].log_prob == doctest::Approx(std::log(0.36)));
  for (const auto& h : hyps) check_confidences(h);
  // The Viterbi alignment of "a": the best of aa, a-, -a is a- (or -a): 0.24.
  CHECK(hyps[0].confidence == doctest::Approx(std::sqrt(0.24)));
}

TEST_CASE("beam search keeps 'aa' apart only through a blank") {
  const std::vector<std::string> labels = {"", "a"};
  const auto with_blank = table({{0.1, 0.9}, {0.8, 0.2}, {0.1, 0.9}});
  const auto without = table({{0.1, 0.9}, {0.1, 0.9}, {0.1, 0.9}});
  CHECK(decode::ctc_beam_search(with_blank, labels)[0].text == "aa");
  CHECK(decode::ctc_beam_search(without, labels)[0].text == "a");
  const auto h = decode::ctc_beam_search(with_blank, labels)[0];
  REQUIRE(h.chars.size() == 2);
  CHECK(h.chars[0].last_frame == 0);
  CHECK(h.chars[1].first_frame == 2);
}

TEST_CASE("a wide beam scores labellings exactly as the CTC loss does") {
  Rng rng(4);
  const index_t T = 6, C = 4;
  Tensor<float> logits({T, 1, C});
  for (float& v : logits) v = 1.5f * rng.normal();
  Tensor<float> lp({T, C});
  for (index_t t = 0; t < T; ++t) {
    double m = -1e30, s = 0.0;
    for (index_t c = 0; c < C; ++c) m = std::max(m, static_cast<double>(logits(t, 0, c)));
    for (index_t c = 0; c < C; ++c) s += std::exp(logits(t, 0, c) - m);
    for (index_t c = 0; c < C; ++c) lp(t, c) = static_cast<float>(logits(t, 0, c) - m - std::log(s));
  }
  CtcBeamOptions options;
  options.beam_width = 100000;
  options.max_beam_width = 100000;  // over the default limit on purpose: every labelling stays
  options.nbest = 5;
  options.min_char_log_prob = -1e30f;
  const auto hyps = decode::ctc_beam_search(lp, {}, options);
  REQUIRE(hyps.size() == 5);
  for (std::size_t i = 0; i < hyps.size(); ++i) {
    if (i > 0) CHECK(hyps[i].score <= hyps[i - 1].score);
    const auto& ids = hyps[i].ids;
    const Tensor<std::int32_t> targets({static_cast<index_t>(ids.size())}, ids);
    train::CtcOptions o;
    o.reduction = train::CtcReduction::sum;
    o.compute_gradient = false;
    const double nll = train::ctc_loss(logits, targets, {T}, {static_cast<index_t>(ids.size())}, o).loss;
    CHECK(hyps[i].log_prob == doctest::Approx(-nll).epsilon(1e-5));
  }
}

TEST_CASE("a lexicon changes the answer") {
  const auto lp = cot_or_cat();
  CHECK(decode::ctc_greedy_decode(lp, kCat).text == "cot");
  CHECK(decode::ctc_beam_search(lp, kCat)[0].text == "cot");
  const Lexicon lex = Lexicon::from_words({"cat", "cart"});
  CtcBeamOptions options;
  options.lexicon = &lex;
  auto h = decode::ctc_beam_search(lp, kCat, options)[0];
  CHECK(h.text == "cat");
  REQUIRE(h.words.size() == 1);
  CHECK(h.words[0].in_lexicon);
  CHECK(h.words[0].confidence == doctest::Approx(0.45));
  check_confidences(h);
  options.lexicon_mode = decode::LexiconMode::forbid;
  CHECK(decode::ctc_beam_search(lp, kCat, options)[0].text == "cat");
  // A penalty smaller than the acoustic margin leaves "cot", marked as
  // outside the lexicon.
  options.lexicon_mode = decode::LexiconMode::penalize;
  options.oov_penalty = -0.01;
  h = decode::ctc_beam_search(lp, kCat, options)[0];
  CHECK(h.text == "cot");
  REQUIRE(h.words.size() == 1);
  CHECK_FALSE(h.words[0].in_lexicon);
  // A prefix of a word is not a word: "ca" + end is penalised at the end.
  const Lexicon only_cats = Lexicon::from_words({"cats"});
  options.lexicon = &only_cats;
  options.lexicon_mode = decode::LexiconMode::forbid;
  CHECK(decode::ctc_beam_search(lp, kCat, options).empty());
  // Numbers need no lexicon entry.
  const std::vector<std::string> digits = {"", "1", "2", "x"};
  const auto lp12 = table({{0.1, 0.8, 0.0, 0.1}, {0.1, 0.0, 0.8, 0.1}});
  options.lexicon = &lex;
  CHECK(decode::ctc_beam_search(lp12, digits, options)[0].text == "12");
  options.numbers_ok = false;
  CHECK(decode::ctc_beam_search(lp12, digits, options).at(0).text.empty());  // only "" is left
}

TEST_CASE("a lexicon splits words at spaces and punctuation") {
  // "cot cat" with a space class between: each word is checked on its own.
  const std::vector<std::vector<double>> frames = {{0.05, 0.9, 0.0, 0.0, 0.0, 0.05},
                                                   {0.0, 0.0, 0.45, 0.0, 0.55, 0.0},
                                                   {0.05, 0.0, 0.0, 0.9, 0.0, 0.05},
                                                   {0.05, 0.0, 0.0, 0.0, 0.0, 0.95},
                                                   {0.05, 0.9, 0.0, 0.0, 0.0, 0.05},
                                                   {0.0, 0.0, 0.55, 0.0, 0.45, 0.0},
                                                   {0.05, 0.0, 0.0, 0.9, 0.0, 0.05}};
  const auto lp = table(frames);
  CHECK(decode::ctc_greedy_decode(lp, kCat).text == "cot cat");
  const Lexicon lex = Lexicon::from_words({"cat"});
  CtcBeamOptions options;
  options.lexicon = &lex;
  const auto h = decode::ctc_beam_search(lp, kCat, options)[0];
  CHECK(h.text == "cat cat");
  REQUIRE(h.words.size() == 2);
  CHECK(h.words[0].text == "cat");
  CHECK(h.words[0].first_char == 0);
  CHECK(h.words[0].end_char == 3);
  CHECK(h.words[1].first_char == 4);
  CHECK(h.words[1].first_frame == 4);
  CHECK(h.words[1].last_frame == 6);
}

TEST_CASE("a character language model changes the answer") {
  const auto lp = cot_or_cat();
  const CharLm lm = CharLm::train("cat\ncat\ncats\na cat\n", 3);
  CtcBeamOptions options;
  options.lm = &lm;
  options.lm_weight = 1.0;
  const auto h = decode::ctc_beam_search(lp, kCat, options)[0];
  CHECK(h.text == "cat");
  CHECK(h.log_prob == doctest::Approx(std::log(0.9 * 0.45 * 0.9)).epsilon(1e-4));
  check_confidences(h);
  options.lm_weight = 0.0;
  CHECK(decode::ctc_beam_search(lp, kCat, options)[0].text == "cot");
}

TEST_CASE("decoders take a strided [T, C] view of a [T, N, C] batch and reject bad input") {
  const std::vector<std::string> labels = {"", "a", "b"};
  Tensor<float> batch({2, 2, 3});
  const auto a = table({{0.1, 0.8, 0.1}, {0.1, 0.1, 0.8}});
  const auto b = table({{0.1, 0.1, 0.8}, {0.8, 0.1, 0.1}});
  for (index_t t = 0; t < 2; ++t)
    for (index_t c = 0; c < 3; ++c) {
      batch(t, 0, c) = a(t, c);
      batch(t, 1, c) = b(t, c);
    }
  CHECK(decode::ctc_greedy_decode(batch.select(1, 0), labels).text == "ab");
  CHECK(decode::ctc_beam_search(batch.select(1, 1), labels)[0].text == "b");
  const auto greedy = decode::ctc_greedy_decode_batch(batch, {2, 1}, labels);
  REQUIRE(greedy.size() == 2);
  CHECK(greedy[0].text == "ab");
  CHECK(greedy[1].text == "b");
  const auto beams = decode::ctc_beam_search_batch(batch, {1, 2}, labels);
  REQUIRE(beams.size() == 2);
  CHECK(beams[0].at(0).text == "a");  // first frame only
  CHECK(beams[1].at(0).text == "b");
  CHECK_THROWS_AS(decode::ctc_greedy_decode_batch(batch, {3, 1}, labels), Error);
  CHECK_THROWS_AS(decode::ctc_greedy_decode_batch(batch, {1}, labels), Error);
  CHECK_THROWS_AS(decode::ctc_greedy_decode(batch, labels), Error);
  CHECK_THROWS_AS(decode::ctc_greedy_decode(a, {"", "a"}), Error);
  CHECK_THROWS_AS(decode::ctc_greedy_decode(a, labels, 3), Error);
  CHECK_THROWS_AS(decode::ctc_greedy_decode(a, {"", "a", "\xff"}), Error);
  const CharLm lm = CharLm::train("ab\n", 2);
  CtcBeamOptions options;
  options.lm = &lm;
  CHECK_THROWS_AS(decode::ctc_beam_search(a, {}, options), Error);
  options.lm = nullptr;
  options.beam_width = 0;
  CHECK_THROWS_AS(decode::ctc_beam_search(a, labels, options), Error);
  // No frames: nothing to read.
  CHECK(decode::ctc_greedy_decode(Tensor<float>({0, 3}), labels).text.empty());
  CHECK(decode::ctc_beam_search(Tensor<float>({0, 3}), labels).at(0).text.empty());
}

TEST_CASE("CharLm: Kneser-Ney probabilities sum to 1 over the vocabulary") {
  const std::string text =
      "the cat sat on the mat\nthe dog sat on the log\na cat and a dog\nthat is that\n\nthe end\r\nzebra\n";
  for (int order : {1, 2, 3, 5}) {
    const CharLm lm = CharLm::train(text, order);
    CHECK(lm.order() == order);
    const auto vocab = lm.vocabulary();
    CHECK(vocab.back() == CharLm::unk);
    CHECK(std::find(vocab.begin(), vocab.end(), CharLm::eos) != vocab.end());
    CHECK(std::find(vocab.begin(), vocab.end(), U'\r') == vocab.end());
    CHECK(lm.vocabulary_size() == vocab.size());
    const std::u32string histories[] = {U"", std::u32string(1, CharLm::bos), std::u32string(1, CharLm::bos) + U"th",
                                        U"the c", U"xyzq", U" the m", std::u32string(1, CharLm::bos) + U"zebr"};
    for (const auto& h : histories) {
      double sum = 0.0;
      for (char32_t w : vocab) sum += std::exp(lm.log_prob(h, w));
      INFO("order ", order, " history length ", h.size());
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-9));
    }
    // Seen text is likelier than unseen; unknown characters score as unk.
    CHECK(lm.log_prob(U"the m", U'a') > lm.log_prob(U"the m", U'q'));
    CHECK(lm.log_prob(U"th", U'\u00e9') == lm.log_prob(U"th", CharLm::unk));
    for (int k = 1; k <= order; ++k) {
      CHECK(lm.discount(k) >= 0.05);
      CHECK(lm.discount(k) <= 0.95);
    }
  }
  const CharLm lm = CharLm::train(text, 4);
  CHECK(lm.log_prob_line("the cat") > lm.log_prob_line("tqe cxt"));
  CHECK(lm.log_prob(U"the", U'e') < lm.log_prob(std::u32string(1, CharLm::bos) + U"th", U'e'));
  CHECK_THROWS_AS(lm.log_prob(U"a", CharLm::bos), Error);
}

TEST_CASE("CharLm: training errors, save and load round trip, corrupt files rejected") {
  CHECK_THROWS_WITH_AS(CharLm::train("ab\xc3(cd", 3, "corpus.txt"), doctest::Contains("byte 2"), Error);
  CHECK_THROWS_AS(CharLm::train("abc", 0), Error);
  CHECK_THROWS_AS(CharLm::train("abc", 11), Error);
  CHECK_THROWS_AS(CharLm::train("\n\n", 3), Error);
  const std::string corpus_path = temp_path("corpus.txt");
  write_text(corpus_path, "h\xc3\xa9llo w\xc3\xb6rld\nhello world\n");
  const CharLm lm = CharLm::train_file(corpus_path, 4);
  write_text(corpus_path, "ok\nbad \xed\xa0\x80 surrogate\n");
  CHECK_THROWS_WITH_AS(CharLm::train_file(corpus_path, 4), doctest::Contains("byte 7"), Error);
  std::remove(corpus_path.c_str());

  const std::string path = temp_path("lm.txt");
  lm.save(path);
  const CharLm back = CharLm::load(path);
  CHECK(back.order() == 4);
  CHECK(back.size() == lm.size());
  const std::u32string histories[] = {std::u32string(1, CharLm::bos), U"h\u00e9l", U"o w", U"zz"};
  for (const auto& h : histories)
    for (char32_t w : lm.vocabulary()) CHECK(back.log_prob(h, w) == lm.log_prob(h, w));
  const std::string path2 = temp_path("lm2.txt");
  back.save(path2);
  const auto a = read_file(path), b = read_file(path2);
  CHECK(a == b);
  std::remove(path2.c_str());

  const std::string good(a.begin(), a.end());
  const auto first_ngram = good.find('\n', good.find("ngrams")) + 1;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  const std::vector<std::pair<std::string, std::string>> corrupt = {
      {"not-an-lm 1\n", "first line"},
      {replace("order 4", "order 12"), "order"},
      {replace("order 4", "order x"), "order"},
      {replace("ngrams ", "ngrams 9"), "file ends"},
      {good.substr(0, good.size() - 1), "newline"},
      {good + "1 61\n", "unexpected text"},
      {good.substr(0, first_ngram) + "0 61\n" + good.substr(first_ngram), "bad count"},
      {good.substr(0, first_ngram) + "1 110000\n" + good.substr(first_ngram), "bad symbol"},
      {good.substr(0, first_ngram) + "1 D800\n" + good.substr(first_ngram), "bad symbol"},
      {good.substr(0, first_ngram) + "1 61 <s>\n" + good.substr(first_ngram), "<s>"},
      {good.substr(0, first_ngram) + "1 </s> 61\n" + good.substr(first_ngram), "</s>"},
      {good.substr(0, first_ngram) + "1  61\n" + good.substr(first_ngram), "empty field"},
      {good.substr(0, first_ngram) + "1 61 62 63 64 65\n" + good.substr(first_ngram), "more than order"},
  };
  for (const auto& bad : corrupt) {
    write_text(path, bad.first);
    INFO("expecting: ", bad.second);
    CHECK_THROWS_WITH_AS(CharLm::load(path), doctest::Contains(bad.second.c_str()), Error);
  }
  // A duplicate n-gram, and an n-gram whose suffix is missing.
  {
    const auto line_end = good.find('\n', first_ngram);
    const std::string line = good.substr(first_ngram, line_end - first_ngram + 1);
    std::string dup = good;
    const auto ngrams_at = dup.find("ngrams ") + 7;
    const auto ngrams_end = dup.find('\n', ngrams_at);
    const auto n = std::stoul(dup.substr(ngrams_at, ngrams_end - ngrams_at));
    dup.replace(ngrams_at, ngrams_end - ngrams_at, std::to_string(n + 1));
    write_text(path, dup + line);
    CHECK_THROWS_WITH_AS(CharLm::load(path), doctest::Contains("repeated"), Error);
    std::string orphan = good;
    orphan.replace(ngrams_at, ngrams_end - ngrams_at, std::to_string(n + 1));
    write_text(path, orphan + "1 5A 5A 5A\n");
    CHECK_THROWS_WITH_AS(CharLm::load(path), doctest::Contains("suffix"), Error);
  }
  decode::CharLmLimits small;
  small.max_ngrams = 3;
  write_text(path, good);
  CHECK_THROWS_WITH_AS(CharLm::load(path, small), doctest::Contains("limit"), Error);
  std::remove(path.c_str());
  CHECK_THROWS_WITH_AS(CharLm::load(path), doctest::Contains("no such file"), Error);
}

TEST_CASE("Lexicon: loading, trie walks, validation") {
  const std::string path = temp_path("words.txt");
  write_text(path, "cat\r\ncar\n\ndon't\nna\xc3\xafve\n");
  const Lexicon lex = Lexicon::load(path);
  CHECK(lex.size() == 4);
  CHECK(lex.contains("cat"));
  CHECK(lex.contains("don't"));
  CHECK(lex.contains("na\xc3\xafve"));
  CHECK_FALSE(lex.contains("ca"));
  CHECK_FALSE(lex.contains("cats"));
  const auto ca = lex.walk(Lexicon::root, U"ca");
  CHECK(ca != Lexicon::none);
  CHECK_FALSE(lex.is_word(ca));
  CHECK(lex.is_word(lex.child(ca, U'r')));
  CHECK(lex.child(ca, U'x') == Lexicon::none);
  CHECK(lex.walk(Lexicon::none, U"a") == Lexicon::none);

  write_text(path, "good\nbad word\n");
  CHECK_THROWS_WITH_AS(Lexicon::load(path), doctest::Contains(":2"), Error);
  write_text(path, "good\nbad\xc3\n");
  CHECK_THROWS_WITH_AS(Lexicon::load(path), doctest::Contains("byte 8"), Error);
  write_text(path, "a\nb\nc\n");
  decode::LexiconLimits limits;
  limits.max_words = 2;
  CHECK_THROWS_AS(Lexicon::load(path, limits), Error);
  limits = {};
  limits.max_word_bytes = 3;
  CHECK_THROWS_AS(Lexicon::from_words({"abcd"}, limits), Error);
  CHECK_THROWS_AS(Lexicon::from_words({""}), Error);
  CHECK_THROWS_AS(Lexicon::from_words({"a,b"}), Error);
  std::remove(path.c_str());
  CHECK(decode::is_word_separator(U' '));
  CHECK(decode::is_word_separator(U','));
  CHECK(decode::is_word_separator(0x2014));
  CHECK_FALSE(decode::is_word_separator(U'\''));
  CHECK_FALSE(decode::is_word_separator(U'\u00e9'));
  CHECK_FALSE(decode::is_word_separator(U'7'));
}
