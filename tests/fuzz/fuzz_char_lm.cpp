// fuzz_char_lm.cpp — libFuzzer target: character n-gram language models
// (decode/char_lm.hpp). The bytes are loaded as an LM file ("nnocr-char-lm
// 1", order, n-gram counts) and, as training text, train a model (order
// from the first byte). Every score must be a number (no NaN), and a
// trained model's next-symbol distribution must sum to 1.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nnocr/decode/char_lm.hpp>

#include "fuzz_util.hpp"

namespace {

using namespace nnocr;

void score(const decode::CharLm& lm, std::string_view text) {
  if (data::is_valid_utf8(text)) fuzz::require(!std::isnan(lm.log_prob_line(text)));
  fuzz::require(!std::isnan(lm.log_prob_line("the")));
  const std::u32string history = {decode::CharLm::bos, U'a', U'b', U'c', U'd', U'e', U'f', U'g', U'h', U'i', U'j', U'k'};
  for (char32_t next : {char32_t{U'a'}, decode::CharLm::eos, decode::CharLm::unk, char32_t{0x10FFFF}})
    fuzz::require(!std::isnan(lm.log_prob(history, next)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  decode::CharLmLimits limits;
  limits.max_file_bytes = std::int64_t{1} << 20;
  limits.max_ngrams = 100000;
  const std::string_view text = fuzz::as_text(data, size);

  const fuzz::MemFile file(data, size);
  decode::CharLm loaded = decode::CharLm::train("x", 1);
  if (fuzz::accepts([&] { loaded = decode::CharLm::load(file.path(), limits); })) score(loaded, text);

  if (size < 1 || size > 4096) return 0;
  const int order = 1 + data[0] % decode::CharLm::max_order;
  decode::CharLm trained = decode::CharLm::train("x", 1);
  if (!fuzz::accepts([&] { trained = decode::CharLm::train(text.substr(1), order, "fuzz", limits); })) return 0;
  score(trained, text.substr(1));
  // Interpolated Kneser-Ney is a distribution over the vocabulary for any
  // history (bos never predicted).
  const std::vector<char32_t> vocabulary = trained.vocabulary();
  for (const std::u32string& history : {std::u32string(1, decode::CharLm::bos), std::u32string(U"ab")}) {
    double sum = 0;
    for (char32_t w : vocabulary) sum += std::exp(trained.log_prob(history, w));
    fuzz::require(std::abs(sum - 1.0) < 1e-6);
  }
  return 0;
}
