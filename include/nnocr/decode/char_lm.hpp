// char_lm.hpp — a character n-gram language model with interpolated
// Kneser-Ney smoothing, for the CTC beam search (decode/ctc.hpp).
//
// Symbols are Unicode code points plus three specials: bos (<s>, start of
// a line, only ever history), eos (</s>, end of a line, only ever
// predicted) and unk (every character the training text did not have).
// Training reads UTF-8 text; each line is one sequence <s> c_1 .. c_m </s>
// (empty lines are skipped, a final "\r" is dropped).
//
// Smoothing: interpolated Kneser-Ney (Kneser & Ney 1995; Chen & Goodman
// 1998, "An Empirical Study of Smoothing Techniques for Language
// Modeling", eq. 12-13), one discount per order. Chosen because it is the
// best-performing classic smoothing for n-gram models, and its lower orders
// use continuation counts ("in how many contexts does this character
// appear"), which matters for characters: after backing off, 'q' is not
// likely just because "qu" is frequent. For a history h (the last N-1
// symbols) and a symbol w:
//   P(w | h) = max(c(h w) - D_k, 0) / c(h .) + D_k N1+(h .) / c(h .) * P(w | h')
// where h' drops h's oldest symbol, k = |h| + 1, c(h .) = sum_w c(h w) and
// N1+(h .) = #{w : c(h w) > 0}. The counts c are raw counts at the highest
// order and for n-grams that start with <s> (nothing can precede those), and
// continuation counts N1+(. h w) = #{x : raw(x h w) > 0} otherwise. A history
// never seen is skipped (P(w | h) = P(w | h')). The recursion ends in the
// uniform distribution over the vocabulary V (the characters seen, eos and
// unk): P(w | empty) uses 1/|V| as its lower order. D_k = n1 / (n1 + 2 n2)
// (Ney, Essen & Kneser 1994) from the numbers of order-k n-grams with count
// 1 and 2, clamped to [0.05, 0.95] (0.5 when n1 or n2 is 0). So for every
// history, P(. | h) sums to 1 over V.
//
// Files (save/load): UTF-8 text, first line "nnocr-char-lm 1", then
// "order N", "ngrams M", then M lines "COUNT SYM ... SYM" (raw counts,
// symbols oldest first, the predicted one last), each SYM a code point in
// hex or <s> / </s>; sorted, so equal models give equal files. The loader
// validates everything (sizes, symbols, duplicates, every n-gram's shorter
// suffix present) and throws nnocr::Error naming the file and line; the
// smoothed model is rebuilt from the counts exactly as training builds it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/file.hpp"
#include "../data/utf8.hpp"
#include "detail/flat_map.hpp"

namespace nnocr::decode {

struct CharLmLimits {
  std::int64_t max_file_bytes = std::int64_t{1} << 30;  // model files and training text
  std::size_t max_ngrams = 50'000'000;
};

class CharLm {
 public:
  static constexpr char32_t bos = 0x110000;  // <s>
  static constexpr char32_t eos = 0x110001;  // </s>
  static constexpr char32_t unk = 0x110002;  // any character not in the vocabulary
  static constexpr int max_order = 10;

  // Trains an order-N model (N in [1, 10]) on UTF-8 text; invalid UTF-8 is
  // an error naming `where` and the byte offset.
  static CharLm train(std::string_view text, int order = 5, const std::string& where = "text",
                      const CharLmLimits& limits = {}) {
    NNOCR_CHECK(order >= 1 && order <= max_order, "CharLm: order ", order, " is outside [1, ", max_order, "]");
    CharLm lm;
    lm.order_ = order;
    std::vector<char32_t> seq;
    auto flush = [&] {
      if (seq.size() > 1) {
        seq.push_back(eos);
        lm.count_sequence(seq, limits, where);
      }
      seq.assign(1, bos);
    };
    seq.assign(1, bos);
    data::for_each_code_point(text, where, [&](char32_t c, std::size_t) {
      if (c == U'\n') {
        if (seq.size() > 1 && seq.back() == U'\r') seq.pop_back();
        flush();
      } else {
        seq.push_back(c);
      }
    });
    if (seq.size() > 1 && seq.back() == U'\r') seq.pop_back();
    flush();
    NNOCR_CHECK(!lm.entries_.empty(), where, ": no text to train a character LM on");
    lm.finish();
    return lm;
  }

  static CharLm train_file(const std::string& path, int order = 5, const CharLmLimits& limits = {}) {
    const std::vector<std::uint8_t> bytes = read_file(path, limits.max_file_bytes);
    return train(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), order, path, limits);
  }

  int order() const { return order_; }
  // The discount D_k of order k in [1, order()].
  double discount(int k) const { return discount_.at(static_cast<std::size_t>(k - 1)); }
  // The predicted symbols V: the characters seen and eos (sorted, so eos
  // comes after every character), then unk.
  std::vector<char32_t> vocabulary() const {
    std::vector<char32_t> v;
    entries_.for_each([&](std::uint64_t k, const Entry&) {
      if ((k >> 21) == 0) v.push_back(static_cast<char32_t>(k & 0x1FFFFF));
    });
    std::sort(v.begin(), v.end());
    v.push_back(unk);
    return v;
  }
  std::size_t vocabulary_size() const { return vocabulary_size_; }
  // Number of stored n-grams (all orders).
  std::size_t size() const { return entries_.size(); }

  // log P(next | history) (natural log). `history` is oldest first; only its
  // last order()-1 symbols matter; a line's history starts with bos. A
  // `next` outside the vocabulary is scored as unk; next = bos is an error.
  double log_prob(const char32_t* history, std::size_t length, char32_t next) const {
    NNOCR_CHECK(next != bos, "CharLm::log_prob: <s> is never predicted");
    NNOCR_CHECK(order_ > 0, "CharLm::log_prob: empty model");
    if (next > 0x10FFFF && next != eos) next = unk;
    if (!entries_.find(key(0, next))) next = unk;
    std::uint32_t nodes[max_order];
    int used = 1;
    nodes[0] = 0;
    for (std::size_t k = 1; k < static_cast<std::size_t>(order_) && k <= length; ++k) {
      const std::uint32_t* child = children_.find(key(nodes[used - 1], history[length - k]));
      if (!child) break;
      nodes[used++] = *child;
    }
    double p = 1.0 / static_cast<double>(vocabulary_size_);
    for (int k = 0; k < used; ++k) {
      const Context& ctx = contexts_[nodes[k]];
      if (!(ctx.total > 0.0)) continue;
      const Entry* e = entries_.find(key(nodes[k], next));
      const double c = e ? e->adjusted : 0.0;
      const double d = discount_[static_cast<std::size_t>(k)];
      p = (std::max(c - d, 0.0) + d * static_cast<double>(ctx.distinct) * p) / ctx.total;
    }
    return std::log(p);
  }
  double log_prob(std::u32string_view history, char32_t next) const {
    return log_prob(history.data(), history.size(), next);
  }
  // log P of a whole line: <s> text </s> (text is UTF-8).
  double log_prob_line(std::string_view text) const {
    std::u32string h(1, bos);
    double total = 0.0;
    data::for_each_code_point(text, "CharLm::log_prob_line", [&](char32_t c, std::size_t) {
      total += log_prob(h, c);
      h.push_back(c);
    });
    return total + log_prob(h, eos);
  }

  // Writes the model atomically (see the file comment for the format).
  void save(const std::string& path) const {
    struct Line {
      std::vector<char32_t> symbols;
      std::uint64_t count;
    };
    std::vector<Line> lines;
    lines.reserve(entries_.size());
    entries_.for_each([&](std::uint64_t k, const Entry& e) {
      Line line;
      for (std::uint32_t node = static_cast<std::uint32_t>(k >> 21); node != 0; node = contexts_[node].parent)
        line.symbols.push_back(contexts_[node].oldest);
      line.symbols.push_back(static_cast<char32_t>(k & 0x1FFFFF));
      line.count = e.raw;
      lines.push_back(std::move(line));
    });
    std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
      if (a.symbols.size() != b.symbols.size()) return a.symbols.size() < b.symbols.size();
      return a.symbols < b.symbols;
    });
    std::string out = "nnocr-char-lm 1\norder " + std::to_string(order_) + "\nngrams " + std::to_string(lines.size()) + "\n";
    char buf[32];
    for (const Line& line : lines) {
      out += std::to_string(line.count);
      for (char32_t s : line.symbols) {
        if (s == bos) {
          out += " <s>";
        } else if (s == eos) {
          out += " </s>";
        } else {
          std::snprintf(buf, sizeof buf, " %X", static_cast<unsigned>(s));
          out += buf;
        }
      }
      out += '\n';
    }
    write_file_atomic(path, out);
  }

  static CharLm load(const std::string& path, const CharLmLimits& limits = {}) {
    const std::vector<std::uint8_t> bytes = read_file(path, limits.max_file_bytes);
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    std::size_t pos = 0, line_no = 0;
    auto next_line = [&](std::string_view& line) {
      if (pos >= text.size()) return false;
      std::size_t end = text.find('\n', pos);
      NNOCR_CHECK(end != std::string_view::npos, path, ":", line_no + 1, ": line does not end with a newline");
      line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      return true;
    };
    auto fail = [&](const std::string& why) { throw Error(path + ":" + std::to_string(line_no) + ": " + why); };
    std::string_view line;
    if (!next_line(line) || line != "nnocr-char-lm 1") {
      line_no = 1;
      fail("not an nnocr character LM (expected the first line \"nnocr-char-lm 1\")");
    }
    CharLm lm;
    std::uint64_t order = 0, count = 0;
    if (!next_line(line) || line.substr(0, 6) != "order " || !parse_decimal(line.substr(6), order) || order < 1 ||
        order > max_order)
      fail("expected \"order N\" with N in [1, " + std::to_string(max_order) + "]");
    lm.order_ = static_cast<int>(order);
    if (!next_line(line) || line.substr(0, 7) != "ngrams " || !parse_decimal(line.substr(7), count))
      fail("expected \"ngrams M\"");
    if (count > limits.max_ngrams)
      fail("ngrams " + std::to_string(count) + " exceeds the limit of " + std::to_string(limits.max_ngrams));
    std::vector<char32_t> symbols;
    for (std::uint64_t i = 0; i < count; ++i) {
      if (!next_line(line)) fail("file ends after " + std::to_string(i) + " of " + std::to_string(count) + " n-grams");
      symbols.clear();
      std::uint64_t raw = 0;
      std::size_t field = 0;
      for (std::size_t p = 0; p <= line.size();) {
        std::size_t sp = line.find(' ', p);
        if (sp == std::string_view::npos) sp = line.size();
        const std::string_view tok = line.substr(p, sp - p);
        if (tok.empty()) fail("empty field (double space or trailing space)");
        if (field == 0) {
          if (!parse_decimal(tok, raw) || raw == 0 || raw > (std::uint64_t{1} << 53)) fail("bad count '" + std::string(tok) + "'");
        } else {
          if (symbols.size() >= order) fail("more than order = " + std::to_string(order) + " symbols");
          char32_t s = 0;
          if (tok == "<s>") {
            s = bos;
          } else if (tok == "</s>") {
            s = eos;
          } else {
            std::uint64_t v = 0;
            if (tok.size() > 6 || !parse_hex(tok, v) || !data::is_scalar_value(static_cast<char32_t>(v)))
              fail("bad symbol '" + std::string(tok) + "' (a code point in hex, <s> or </s>)");
            s = static_cast<char32_t>(v);
          }
          symbols.push_back(s);
        }
        ++field;
        p = sp + 1;
      }
      if (symbols.empty()) fail("n-gram without symbols");
      for (std::size_t k = 0; k < symbols.size(); ++k) {
        if (symbols[k] == bos && k != 0) fail("<s> only as the first symbol");
        if (symbols[k] == eos && k + 1 != symbols.size()) fail("</s> only as the last symbol");
      }
      if (symbols.back() == bos) fail("<s> is never predicted");
      std::uint32_t node = 0;
      for (std::size_t k = symbols.size() - 1; k-- > 0;) node = lm.context_child(node, symbols[k]);
      bool inserted = false;
      lm.entries_.emplace(key(node, symbols.back()), Entry{raw, 0.0, 0}, inserted);
      if (!inserted) fail("repeated n-gram");
    }
    if (pos != text.size()) {
      ++line_no;
      fail("unexpected text after the last n-gram");
    }
    // Every n-gram's suffix (its oldest symbol dropped) must be there too,
    // as training makes it.
    lm.entries_.for_each([&](std::uint64_t k, const Entry&) {
      const auto node = static_cast<std::uint32_t>(k >> 21);
      if (node != 0 && !lm.entries_.find(key(lm.contexts_[node].parent, static_cast<char32_t>(k & 0x1FFFFF))))
        throw Error(path + ": an n-gram of order " + std::to_string(lm.contexts_[node].depth + 1) +
                    " lacks its shorter suffix n-gram (the counts are inconsistent)");
    });
    if (lm.entries_.empty()) throw Error(path + ": no n-grams");
    lm.finish();
    return lm;
  }

 private:
  struct Context {
    std::uint32_t parent = 0;  // this context without its oldest symbol
    char32_t oldest = 0;
    int depth = 0;
    double total = 0.0;        // sum of the adjusted counts that follow it
    std::uint32_t distinct = 0;
  };
  struct Entry {
    std::uint64_t raw = 0;
    double adjusted = 0.0;
    std::uint64_t continuation = 0;
  };

  CharLm() : contexts_(1) {}

  static std::uint64_t key(std::uint32_t node, char32_t c) {
    return (static_cast<std::uint64_t>(node) << 21) | static_cast<std::uint64_t>(c);
  }

  static bool parse_decimal(std::string_view s, std::uint64_t& v) {
    if (s.empty() || s.size() > 19) return false;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  }
  static bool parse_hex(std::string_view s, std::uint64_t& v) {
    if (s.empty()) return false;
    v = 0;
    for (char c : s) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
    return true;
  }

  // The context `c` followed by the context `node` (creating it).
  std::uint32_t context_child(std::uint32_t node, char32_t c) {
    bool inserted = false;
    const std::uint32_t id = children_.emplace(key(node, c), static_cast<std::uint32_t>(contexts_.size()), inserted);
    if (inserted) {
      Context ctx;
      ctx.parent = node;
      ctx.oldest = c;
      ctx.depth = contexts_[node].depth + 1;
      contexts_.push_back(ctx);
    }
    return id;
  }

  void count_sequence(const std::vector<char32_t>& seq, const CharLmLimits& limits, const std::string& where) {
    for (std::size_t i = 1; i < seq.size(); ++i) {
      std::uint32_t node = 0;
      ++entries_[key(0, seq[i])].raw;
      for (std::size_t k = 1; k < static_cast<std::size_t>(order_) && k <= i; ++k) {
        node = context_child(node, seq[i - k]);
        ++entries_[key(node, seq[i])].raw;
      }
      NNOCR_CHECK(entries_.size() <= limits.max_ngrams, where, ": more than ", limits.max_ngrams,
                  " n-grams (CharLmLimits::max_ngrams)");
    }
  }

  // Adjusted counts, context totals and discounts from the raw counts.
  void finish() {
    entries_.for_each([&](std::uint64_t, Entry& e) { e.continuation = 0; });
    entries_.for_each([&](std::uint64_t k, const Entry&) {
      const auto node = static_cast<std::uint32_t>(k >> 21);
      if (node == 0) return;
      // Always there (training makes suffixes, load checks them); no insert
      // while iterating.
      if (Entry* suffix = entries_.find(key(contexts_[node].parent, static_cast<char32_t>(k & 0x1FFFFF))))
        ++suffix->continuation;
    });
    std::vector<double> n1(static_cast<std::size_t>(order_), 0.0), n2(static_cast<std::size_t>(order_), 0.0);
    for (auto& ctx : contexts_) {
      ctx.total = 0.0;
      ctx.distinct = 0;
    }
    entries_.for_each([&](std::uint64_t k, Entry& e) {
      const Context& ctx = contexts_[static_cast<std::size_t>(k >> 21)];
      const bool raw = ctx.depth + 1 == order_ || (ctx.depth > 0 && ctx.oldest == bos);
      e.adjusted = static_cast<double>(raw ? e.raw : e.continuation);
      const auto order_index = static_cast<std::size_t>(ctx.depth);
      if (e.adjusted == 1.0) n1[order_index] += 1.0;
      if (e.adjusted == 2.0) n2[order_index] += 1.0;
    });
    entries_.for_each([&](std::uint64_t k, const Entry& e) {
      if (!(e.adjusted > 0.0)) return;
      Context& ctx = contexts_[static_cast<std::size_t>(k >> 21)];
      ctx.total += e.adjusted;
      ++ctx.distinct;
    });
    discount_.assign(static_cast<std::size_t>(order_), 0.5);
    for (std::size_t i = 0; i < discount_.size(); ++i)
      if (n1[i] > 0.0 && n2[i] > 0.0) discount_[i] = std::clamp(n1[i] / (n1[i] + 2.0 * n2[i]), 0.05, 0.95);
    std::size_t seen = 0;
    entries_.for_each([&](std::uint64_t k, const Entry&) { seen += (k >> 21) == 0; });
    vocabulary_size_ = seen + 1;  // the unigrams (characters, eos), plus unk
  }

  int order_ = 0;
  std::vector<Context> contexts_;  // [0] is the empty context
  detail::FlatMap<std::uint32_t> children_;  // (context, older symbol) -> longer context
  detail::FlatMap<Entry> entries_;            // (context, symbol) -> counts
  std::vector<double> discount_;
  std::size_t vocabulary_size_ = 1;
};

}  // namespace nnocr::decode
