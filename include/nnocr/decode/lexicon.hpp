// lexicon.hpp — a word list as a trie over code points, for the CTC beam
// search's lexicon constraint (decode/ctc.hpp), and the rule that says which
// characters separate words.
//
// The beam search walks the trie one character at a time as a word grows,
// so a partial word that no lexicon word starts with is caught at the
// character where it leaves the trie, not at its end.
//
//   Lexicon lex = Lexicon::from_words({"cat", "car"});
//   int node = lex.walk(Lexicon::root, U"ca");   // a node: "ca" starts a word
//   lex.is_word(node)                  -> false
//   lex.is_word(lex.walk(node, U"t"))  -> true
//   lex.walk(node, U"x")               -> Lexicon::none
//
// Files: one word per line, UTF-8, "\n" or "\r\n" line ends; empty lines
// are skipped; a word may not contain a word separator (is_word_separator).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "../core/file.hpp"
#include "../data/utf8.hpp"

namespace nnocr::decode {

// Whether a code point ends a word: white space and punctuation (ASCII
// punctuation, Latin-1 punctuation and symbols, General Punctuation
// U+2000..U+206F, CJK symbols and punctuation U+3000..U+303F, full-width
// forms' punctuation). Apostrophes (U+0027, U+2019) are NOT separators, so
// "don't" is one word.
inline bool is_word_separator(char32_t c) {
  if (c == U'\'' || c == 0x2019) return false;
  if (c <= 0x20 || c == 0x7F) return true;
  if (c < 0x80) return !((c >= U'0' && c <= U'9') || (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z'));
  if (c >= 0x80 && c <= 0xBF) return c != 0xAA && c != 0xB2 && c != 0xB3 && c != 0xB5 && c != 0xB9 && c != 0xBA &&
                                     !(c >= 0xBC && c <= 0xBE);
  if (c == 0xD7 || c == 0xF7) return true;
  if (c >= 0x2000 && c <= 0x206F) return true;
  if (c >= 0x3000 && c <= 0x303F) return true;
  if (c >= 0xFF01 && c <= 0xFF0F) return true;
  if (c >= 0xFF1A && c <= 0xFF20) return true;
  return false;
}

inline bool is_ascii_digit(char32_t c) { return c >= U'0' && c <= U'9'; }

struct LexiconLimits {
  std::int64_t max_file_bytes = std::int64_t{256} << 20;
  std::size_t max_words = 10'000'000;
  std::size_t max_word_bytes = 256;
};

class Lexicon {
 public:
  static constexpr std::int32_t root = 0;
  static constexpr std::int32_t none = -1;

  Lexicon() : word_end_(1, false) {}

  // Errors: a word with a separator in it, an empty word, too many or too
  // long words (limits), invalid UTF-8. `where` names the source in errors.
  static Lexicon from_words(const std::vector<std::string>& words, const LexiconLimits& limits = {},
                            const std::string& where = "lexicon") {
    Lexicon lex;
    for (std::size_t i = 0; i < words.size(); ++i) lex.add(words[i], limits, where + " word " + std::to_string(i + 1));
    return lex;
  }

  // One word per line (see the file comment). Errors name the file, the line
  // and, for bad UTF-8, the byte offset in the file.
  static Lexicon load(const std::string& path, const LexiconLimits& limits = {}) {
    const std::vector<std::uint8_t> bytes = read_file(path, limits.max_file_bytes);
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    std::size_t bad = 0;
    NNOCR_CHECK(data::is_valid_utf8(text, &bad), path, ": invalid UTF-8 at byte ", bad, ": ",
                data::detail::decode_utf8_step(text, bad).error);
    Lexicon lex;
    std::size_t line = 0;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view word = text.substr(pos, end - pos);
      if (!word.empty() && word.back() == '\r') word.remove_suffix(1);
      ++line;
      if (!word.empty()) lex.add(word, limits, path + ":" + std::to_string(line));
      pos = end + 1;
    }
    return lex;
  }

  std::size_t size() const { return words_; }
  bool empty() const { return words_ == 0; }

  // The node reached from `node` by code point c, or none.
  std::int32_t child(std::int32_t node, char32_t c) const {
    if (node < 0) return none;
    const auto it = children_.find(key(node, c));
    return it == children_.end() ? none : it->second;
  }
  // Follows every code point of `text` from `node`; none when it leaves the trie.
  std::int32_t walk(std::int32_t node, std::u32string_view text) const {
    for (char32_t c : text) node = child(node, c);
    return node;
  }
  // Whether the path to `node` spells a whole lexicon word.
  bool is_word(std::int32_t node) const { return node >= 0 && word_end_[static_cast<std::size_t>(node)]; }
  bool contains(std::string_view word) const {
    std::int32_t node = root;
    data::for_each_code_point(word, "Lexicon::contains", [&](char32_t c, std::size_t) { node = child(node, c); });
    return is_word(node);
  }

 private:
  static std::uint64_t key(std::int32_t node, char32_t c) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(node)) << 21) | static_cast<std::uint64_t>(c);
  }

  void add(std::string_view word, const LexiconLimits& limits, const std::string& where) {
    NNOCR_CHECK(!word.empty(), where, ": empty word");
    NNOCR_CHECK(word.size() <= limits.max_word_bytes, where, ": word of ", word.size(), " bytes exceeds the limit of ",
                limits.max_word_bytes);
    std::int32_t node = root;
    data::for_each_code_point(word, where, [&](char32_t c, std::size_t offset) {
      NNOCR_CHECK(!is_word_separator(c), where, ": word contains the separator ", data::code_point_name(c),
                  " at byte ", offset, " (words are split at white space and punctuation)");
      const auto [it, inserted] = children_.emplace(key(node, c), static_cast<std::int32_t>(word_end_.size()));
      if (inserted) word_end_.push_back(false);
      node = it->second;
    });
    if (!word_end_[static_cast<std::size_t>(node)]) {
      NNOCR_CHECK(words_ < limits.max_words, where, ": more than ", limits.max_words, " words");
      word_end_[static_cast<std::size_t>(node)] = true;
      ++words_;
    }
  }

  std::unordered_map<std::uint64_t, std::int32_t> children_;
  std::vector<bool> word_end_;  // per node
  std::size_t words_ = 0;
};

}  // namespace nnocr::decode
