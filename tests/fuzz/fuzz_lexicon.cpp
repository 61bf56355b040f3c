// fuzz_lexicon.cpp — libFuzzer target: lexicon files for the CTC beam
// search (decode/lexicon.hpp: one UTF-8 word per line). Every word of an
// accepted file must be found in the trie, letter by letter and whole.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nnocr/decode/lexicon.hpp>

#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnocr;
  decode::LexiconLimits limits;
  limits.max_file_bytes = std::int64_t{1} << 20;
  limits.max_words = 10000;
  const fuzz::MemFile file(data, size);
  decode::Lexicon lex;
  if (!fuzz::accepts([&] { lex = decode::Lexicon::load(file.path(), limits); })) return 0;
  const std::string_view text = fuzz::as_text(data, size);
  std::size_t lines = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view word = text.substr(pos, end - pos);
    if (!word.empty() && word.back() == '\r') word.remove_suffix(1);
    if (!word.empty()) {
      ++lines;
      fuzz::require(lex.contains(word));
      const std::vector<char32_t> cps = data::decode_utf8(word, "word");
      std::int32_t node = decode::Lexicon::root;
      for (char32_t c : cps) node = lex.child(node, c);
      fuzz::require(lex.is_word(node) && node == lex.walk(decode::Lexicon::root, {cps.data(), cps.size()}));
    }
    pos = end + 1;
  }
  fuzz::require(lex.size() <= lines && (lines == 0) == lex.empty());
  // Any text may be asked about; words with separators are never found.
  fuzz::require(!lex.contains("a b"));
  return 0;
}
