// text_source.hpp — what the synthetic lines say.
//
//   TextSource src(load_corpus("data/corpus/en.txt"));   // or TextSource({}) for generators only
//   Rng rng(42);
//   std::string line = src.next(rng);                      // deterministic given rng
//
// A line comes from one of several kinds, drawn with the weights of TextMix:
// running text cut from a corpus of real sentences (continuing across
// sentences and cut at word boundaries, the way lines of a page break),
// shuffled corpus words in odd cases, and generated strings — digits,
// numbers with separators, prices, dates, times, phone numbers, e-mail
// addresses and URLs, reference codes, tables of contents, punctuation-heavy
// text, and characters drawn uniformly from the whole character set so rare
// symbols are seen often enough. Every line is trimmed, has single spaces,
// at least one visible character and at most max_chars code points.
//
// The character set is printable ASCII plus Charset::typographic_characters()
// (data/charset.hpp): exactly the default charset of the recognizer.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "charset.hpp"
#include "utf8.hpp"

namespace nnocr::data {

enum class TextKind {
  corpus,        // running text from the corpus
  words,         // corpus words shuffled, in mixed case
  digits,        // runs of digits
  numbers,       // numbers with separators, decimals, signs, percentages, ranges
  prices,        // amounts with currency symbols and codes
  dates,         // dates in many formats
  times,         // clock times
  phones,        // telephone numbers
  emails_urls,   // e-mail addresses and URLs
  codes,         // invoice/order/reference numbers, serials, postcodes
  toc,           // table-of-contents and table rows
  symbols,       // punctuation and ASCII symbols around short words
  random_chars,  // characters drawn uniformly from the whole set
  mixed,         // corpus text with numbers, codes and symbols spliced in
};
inline constexpr int kTextKinds = 14;

inline const char* text_kind_name(TextKind k) {
  static const char* names[kTextKinds] = {"corpus", "words",  "digits", "numbers", "prices",  "dates",        "times",
                                          "phones", "emails_urls", "codes", "toc", "symbols", "random_chars", "mixed"};
  return names[static_cast<int>(k)];
}

// Relative weights of the kinds (they need not sum to 1). Without a corpus,
// corpus, words and mixed fall back on the generators.
struct TextMix {
  double corpus = 0.46, words = 0.07, digits = 0.025, numbers = 0.05, prices = 0.04, dates = 0.04, times = 0.015,
         phones = 0.02, emails_urls = 0.03, codes = 0.035, toc = 0.02, symbols = 0.04, random_chars = 0.06,
         mixed = 0.09;
  double weight(TextKind k) const {
    const double w[kTextKinds] = {corpus, words,       digits, numbers, prices,  dates,        times,
                                  phones, emails_urls, codes,  toc,     symbols, random_chars, mixed};
    return w[static_cast<int>(k)];
  }
};

// Reads a corpus: one sentence or phrase per line, UTF-8; blank lines and
// lines starting with '#' are skipped. Errors name the file and line.
inline std::vector<std::string> load_corpus(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  NNOCR_CHECK(in.good(), path, ": cannot open corpus file");
  std::vector<std::string> lines;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t bad = 0;
    NNOCR_CHECK(is_valid_utf8(line, &bad), path, ":", number, ": invalid UTF-8 at byte ", bad);
    const std::size_t first = line.find_first_not_of(' ');
    if (first == std::string::npos || line[first] == '#') continue;
    lines.push_back(line.substr(first));
  }
  NNOCR_CHECK(!lines.empty(), path, ": corpus has no sentences");
  return lines;
}

class TextSource {
 public:
  // `corpus` may be empty (generated kinds only). max_chars in [1, 10000].
  explicit TextSource(std::vector<std::string> corpus, TextMix mix = {}, int max_chars = 48)
      : corpus_(std::move(corpus)), mix_(mix), max_chars_(max_chars) {
    NNOCR_CHECK(max_chars >= 1 && max_chars <= 10000, "TextSource: max_chars ", max_chars, " outside [1, 10000]");
    for (std::size_t i = 0; i < corpus_.size(); ++i) {
      std::vector<char32_t> cps = decode_utf8(corpus_[i], "corpus line " + std::to_string(i + 1));
      for (char32_t c : cps) NNOCR_CHECK(c >= 0x20, "corpus line ", i + 1, ": control character ", code_point_name(c));
      std::string word;
      std::istringstream words(corpus_[i]);
      while (words >> word) {
        corpus_words_.push_back(word);
        std::string bare;
        for (char ch : word)
          if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) bare += ch;
        if (bare.size() >= 2) vocabulary_.push_back(bare);
      }
      sentence_start_.push_back(corpus_words_.size());
    }
    double total = 0;
    for (int k = 0; k < kTextKinds; ++k) {
      const double w = mix_.weight(static_cast<TextKind>(k));
      NNOCR_CHECK(w >= 0 && std::isfinite(w), "TextMix: negative or non-finite weight for ", text_kind_name(static_cast<TextKind>(k)));
      total += needs_corpus(static_cast<TextKind>(k)) && !has_corpus() ? 0 : w;
    }
    NNOCR_CHECK(total > 0, "TextMix: all weights are zero");
    characters_ = decode_utf8(printable_characters(), "characters");
  }

  int max_chars() const { return max_chars_; }
  const std::vector<std::string>& corpus() const { return corpus_; }

  // Printable ASCII (space included) and the typographic characters.
  static std::string printable_characters() {
    std::string s;
    for (char c = 0x20; c < 0x7F; ++c) s += c;
    return s + Charset::typographic_characters();
  }

  // The next line: a kind drawn by weight, then a line of that kind.
  std::string next(Rng& rng) const {
    double total = 0;
    for (int k = 0; k < kTextKinds; ++k) total += effective_weight(static_cast<TextKind>(k));
    double pick = rng.uniform_double() * total;
    TextKind kind = TextKind::random_chars;
    for (int k = 0; k < kTextKinds; ++k) {
      const double w = effective_weight(static_cast<TextKind>(k));
      if (w > 0 && pick < w) {
        kind = static_cast<TextKind>(k);
        break;
      }
      pick -= w;
    }
    return make(kind, rng);
  }

  // A line of one kind (corpus kinds without a corpus fall back on random_chars).
  std::string make(TextKind kind, Rng& rng) const {
    if (needs_corpus(kind) && !has_corpus()) kind = TextKind::random_chars;
    // Most lines of a page run to the margin; the rest are shorter.
    const int budget = rng.bernoulli(0.4) ? max_chars_ : static_cast<int>(rng.uniform_int(std::min(max_chars_, 4), max_chars_));
    std::string line;
    for (int attempt = 0; attempt < 8 && !visible(line); ++attempt) {
      switch (kind) {
        case TextKind::corpus: line = running_text(rng, budget); break;
        case TextKind::words: line = join_tokens(rng, budget, [&] { return odd_case(rng, pick(rng, vocabulary_)); }); break;
        case TextKind::mixed: line = mixed(rng, budget); break;
        case TextKind::random_chars: line = random_chars(rng, budget); break;
        case TextKind::toc: line = toc(rng, budget); break;
        default: line = join_tokens(rng, budget, [&] { return token(kind, rng); }); break;
      }
      line = tidy(line, max_chars_);
    }
    if (!visible(line)) line = tidy(utf8_of(characters_[rng.uniform_index(characters_.size())]), max_chars_);
    if (!visible(line)) line = "x";
    return line;
  }

  // One token (a number, a date, ...) of a generated kind.
  std::string token(TextKind kind, Rng& rng) const {
    switch (kind) {
      case TextKind::digits: return digits(rng, static_cast<int>(rng.uniform_int(1, 12)));
      case TextKind::numbers: return number(rng);
      case TextKind::prices: return price(rng);
      case TextKind::dates: return date(rng);
      case TextKind::times: return time(rng);
      case TextKind::phones: return phone(rng);
      case TextKind::emails_urls: return rng.bernoulli(0.5) ? email(rng) : url(rng);
      case TextKind::codes: return code(rng);
      case TextKind::symbols: return symbolic(rng);
      default: return number(rng);
    }
  }

 private:
  static bool needs_corpus(TextKind k) { return k == TextKind::corpus || k == TextKind::words || k == TextKind::mixed; }
  bool has_corpus() const { return !corpus_words_.empty() && !vocabulary_.empty(); }
  double effective_weight(TextKind k) const { return needs_corpus(k) && !has_corpus() ? 0 : mix_.weight(k); }

  static std::string utf8_of(char32_t c) {
    std::string s;
    append_utf8(s, c);
    return s;
  }
  template <class T>
  static const T& pick(Rng& rng, const std::vector<T>& v) {
    return v[rng.uniform_index(v.size())];
  }
  static const char* pick(Rng& rng, std::initializer_list<const char*> v) {
    return v.begin()[rng.uniform_index(v.size())];
  }
  static bool visible(const std::string& s) { return s.find_first_not_of(' ') != std::string::npos; }

  // Single spaces, no leading/trailing space, at most max code points (cut
  // at the last space that fits when there is one in the second half).
  static std::string tidy(const std::string& s, int max) {
    std::u32string cps;
    bool space = true;
    for (char32_t c : decode_utf8(s, "generated text")) {
      if (c == U' ' && space) continue;
      space = c == U' ';
      cps += c;
    }
    while (!cps.empty() && cps.back() == U' ') cps.pop_back();
    if (cps.size() > static_cast<std::size_t>(max)) {
      std::size_t cut = cps.rfind(U' ', static_cast<std::size_t>(max));
      cps.resize(cut != std::u32string::npos && cut > static_cast<std::size_t>(max) / 2 ? cut : static_cast<std::size_t>(max));
      while (!cps.empty() && cps.back() == U' ') cps.pop_back();
    }
    return encode_utf8(cps);
  }
  static int length(const std::string& s) {
    int n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  }

  // Tokens joined by spaces (sometimes other separators) until the budget.
  template <class F>
  std::string join_tokens(Rng& rng, int budget, F&& make_token) const {
    std::string line;
    for (int i = 0; i < 64; ++i) {
      std::string t = make_token();
      const char* sep = i == 0 ? "" : rng.bernoulli(0.8) ? " " : pick(rng, {", ", "; ", " / ", " - ", " | ", " – ", ": "});
      if (i > 0 && length(line) + length(sep) + length(t) > budget) break;
      line += sep + t;
      if (length(line) >= budget) break;
    }
    return line;
  }

  // Words flowing from a random point of the corpus, across sentences.
  std::string running_text(Rng& rng, int budget) const {
    std::size_t w;
    if (rng.bernoulli(0.35)) {  // start at the beginning of a sentence
      const std::size_t s = rng.uniform_index(sentence_start_.size());
      w = s == 0 ? 0 : sentence_start_[s - 1];
    } else {
      w = rng.uniform_index(corpus_words_.size());
    }
    std::string line;
    for (std::size_t n = 0; n < 200; ++n) {
      const std::string& word = corpus_words_[(w + n) % corpus_words_.size()];
      if (!line.empty() && length(line) + 1 + length(word) > budget) break;
      line += (line.empty() ? "" : " ") + word;
    }
    if (line.empty()) line = corpus_words_[w];
    const double style = rng.uniform_double();
    if (style < 0.3) line = typographic(line, rng);
    else if (style < 0.36) line = upper(line);
    else if (style < 0.39) line = title_case(line);
    return line;
  }

  // Straight quotes, "--", "..." and "-" turned into their typographic
  // forms, the way word processors print them.
  static std::string typographic(const std::string& s, Rng& rng) {
    std::string out;
    const bool dash_em = rng.bernoulli(0.5);
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      const bool after_space = i == 0 || s[i - 1] == ' ' || s[i - 1] == '(';
      if (c == '"') out += after_space ? "\u201C" : "\u201D";
      else if (c == '\'') out += after_space ? "\u2018" : "\u2019";
      else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') out += dash_em ? "\u2014" : "\u2013", ++i;
      else if (c == '.' && s.compare(i, 3, "...") == 0) out += "\u2026", i += 2;
      else if (c == '-' && i > 0 && i + 1 < s.size() && s[i - 1] >= '0' && s[i - 1] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9')
        out += "\u2013";
      else out += c;
    }
    return out;
  }
  static std::string upper(std::string s) {
    for (char& c : s)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return s;
  }
  static std::string title_case(std::string s) {
    for (std::size_t i = 0; i < s.size(); ++i)
      if ((i == 0 || s[i - 1] == ' ') && s[i] >= 'a' && s[i] <= 'z') s[i] = static_cast<char>(s[i] - 32);
    return s;
  }
  static std::string odd_case(Rng& rng, std::string w) {
    const double r = rng.uniform_double();
    if (r < 0.35) {
      for (char& c : w)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    } else if (r < 0.6) {
      w = title_case(w);
    } else if (r < 0.8) {
      w = upper(w);
    } else {
      for (char& c : w) {
        if (!rng.bernoulli(0.5)) continue;
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      }
    }
    if (rng.bernoulli(0.15)) w += pick(rng, {",", ".", ":", ";", "!", "?", "'s", ")"});
    return w;
  }

  std::string mixed(Rng& rng, int budget) const {
    std::string line = running_text(rng, budget);
    const int splices = static_cast<int>(rng.uniform_int(1, 3));
    for (int i = 0; i < splices; ++i) {
      static const TextKind kinds[] = {TextKind::numbers, TextKind::prices, TextKind::dates, TextKind::codes,
                                       TextKind::symbols, TextKind::digits, TextKind::times, TextKind::emails_urls};
      std::string t = token(kinds[rng.uniform_index(8)], rng);
      if (rng.bernoulli(0.2)) {
        static const char* open[] = {"(", "[", "\"", "\u201C", "'"};
        static const char* close[] = {")", "]", "\"", "\u201D", "'"};
        const std::size_t k = rng.uniform_index(5);
        t = open[k] + t + close[k];
      }
      std::vector<std::size_t> spaces = {0};
      for (std::size_t p = line.find(' '); p != std::string::npos; p = line.find(' ', p + 1)) spaces.push_back(p + 1);
      const std::size_t at = spaces[rng.uniform_index(spaces.size())];
      line.insert(at, t + " ");
    }
    return line;
  }

  std::string random_chars(Rng& rng, int budget) const {
    std::string line;
    int n = 0;
    while (n < budget) {
      if (n > 0 && rng.bernoulli(0.15)) {
        line += ' ';
      } else {
        append_utf8(line, characters_[1 + rng.uniform_index(characters_.size() - 1)]);  // [0] is the space
      }
      ++n;
    }
    return line;
  }

  std::string toc(Rng& rng, int budget) const {
    std::string title = !has_corpus() ? code(rng) : running_text(rng, std::max(4, budget / 2));
    std::string head;
    const double r = rng.uniform_double();
    if (r < 0.3) head = std::to_string(rng.uniform_int(1, 12)) + "." + std::to_string(rng.uniform_int(1, 9)) + " ";
    else if (r < 0.5) head = std::string(pick(rng, {"Chapter ", "Section ", "Part ", "Appendix ", "Article "})) +
                             std::to_string(rng.uniform_int(1, 30)) + " ";
    else if (r < 0.6) head = std::string(1, static_cast<char>('A' + rng.uniform_index(8))) + ". ";
    const std::string page = std::to_string(rng.uniform_int(1, 480));
    const int used = length(head) + length(title) + length(page) + 2;
    const int dots = std::max(0, budget - used);
    std::string leader;
    const char* fill = pick(rng, {".", ".", ". ", "_", "\u2026", "-"});
    while (length(leader) + length(fill) <= dots) leader += fill;
    if (rng.bernoulli(0.3)) return head + title + " " + page;
    return head + title + " " + leader + " " + page;
  }

  // ---- token generators

  static std::string digits(Rng& rng, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng.uniform_index(10));
    return s;
  }
  static std::string grouped(Rng& rng, std::int64_t v, const std::string& sep) {
    std::string d = std::to_string(v), out;
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (i > 0 && (d.size() - i) % 3 == 0) out += sep;
      out += d[i];
    }
    (void)rng;
    return out;
  }
  static std::int64_t magnitude(Rng& rng) {
    const int digits = static_cast<int>(rng.uniform_int(1, 9));
    std::int64_t hi = 1;
    for (int i = 0; i < digits; ++i) hi *= 10;
    return static_cast<std::int64_t>(rng.uniform_index(static_cast<std::uint64_t>(hi)));
  }
  static std::string number(Rng& rng) {
    const double r = rng.uniform_double();
    const std::int64_t v = magnitude(rng);
    if (r < 0.3) {  // grouped, maybe with decimals (English or continental style)
      const bool continental = rng.bernoulli(0.3);
      std::string s = grouped(rng, v, continental ? pick(rng, {".", " "}) : pick(rng, {",", ",", "'", " "}));
      if (rng.bernoulli(0.5)) s += (continental ? "," : ".") + digits(rng, static_cast<int>(rng.uniform_int(1, 3)));
      return (rng.bernoulli(0.15) ? pick(rng, {"-", "+", "\u2013", "\u00B1"}) : "") + s;
    }
    if (r < 0.45) return std::to_string(v % 1000) + "." + digits(rng, static_cast<int>(rng.uniform_int(1, 4))) + pick(rng, {"%", " %", "", "", "\u2030"});
    if (r < 0.55) return std::to_string(v % 100) + pick(rng, {"\u2013", "-", " to ", "/", " - "}) + std::to_string(v % 1000 + 1);
    if (r < 0.62) {
      static const char* ordinal[] = {"th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th"};
      const std::int64_t n = v % 200 + 1;
      return std::to_string(n) + ((n % 100) / 10 == 1 ? "th" : ordinal[n % 10]);
    }
    if (r < 0.68) return pick(rng, {"\u00BD", "\u00BC", "\u00BE", "1/2", "3/4", "2/3", "5/8"}) + std::string(rng.bernoulli(0.5) ? "" : " in.");
    if (r < 0.74) return std::to_string(v % 100) + pick(rng, {"\u00B0C", "\u00B0F", "\u00B0", " kg", " mm", " cm", " m\u00B2", " km", " lb", " oz", " ml", " V", " W", " kWh", " MB", " GB", "x"});
    if (r < 0.79) {  // Roman numerals
      static const char* roman[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIV", "XIX", "XX", "XL", "L", "XC", "C", "MCMXCIX", "MMXXIV"};
      return roman[rng.uniform_index(21)];
    }
    if (r < 0.84) return "v" + std::to_string(v % 10) + "." + std::to_string(v % 37) + (rng.bernoulli(0.5) ? "." + std::to_string(v % 13) : "");
    if (r < 0.88) return std::to_string(v % 10) + "." + digits(rng, 2) + pick(rng, {"e-", "e+", "E"}) + std::to_string(v % 12);
    if (r < 0.92) return pick(rng, {"No. ", "#", "Nr. ", "\u00A7 ", "\u00B6 ", "p. ", "pp. "}) + std::to_string(v % 1000 + 1);
    return std::to_string(v);
  }
  static std::string price(Rng& rng) {
    std::int64_t v = magnitude(rng);
    if (rng.bernoulli(0.6)) v %= 10000;
    const std::string cents = digits(rng, 2);
    const double r = rng.uniform_double();
    const char* symbol = pick(rng, {"$", "$", "\u20AC", "\u20AC", "\u00A3", "\u00A5", "\u00A2"});
    std::string sign = rng.bernoulli(0.1) ? pick(rng, {"-", "\u2013", "+"}) : "";
    if (r < 0.45) return sign + symbol + grouped(rng, v, ",") + (rng.bernoulli(0.8) ? "." + cents : "");
    if (r < 0.6) return sign + grouped(rng, v, pick(rng, {".", " "})) + "," + cents + pick(rng, {" \u20AC", "\u20AC", " EUR", " kr"});
    if (r < 0.72) return std::string(pick(rng, {"USD ", "EUR ", "GBP ", "CHF ", "JPY ", "CAD "})) + grouped(rng, v, ",") + "." + cents;
    if (r < 0.8) return "(" + grouped(rng, v, ",") + "." + cents + ")";
    if (r < 0.88) return std::string(symbol) + " " + std::to_string(v % 1000) + "." + cents + pick(rng, {"", "/mo", "/h", " ea.", " net", "*"});
    return std::to_string(v % 500) + "." + cents + pick(rng, {" USD", " $", "\u20AC", " GBP", "\u00A2", " excl. VAT"});
  }
  static std::string two(std::int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); }
  static std::string date(Rng& rng) {
    static const char* months[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
    static const char* days[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    const std::int64_t y = rng.uniform_int(1890, 2045), m = rng.uniform_int(1, 12), d = rng.uniform_int(1, 28);
    const std::string month = months[m - 1], mon = month.substr(0, 3), ys = std::to_string(y);
    switch (rng.uniform_index(13)) {
      case 0: return ys + "-" + two(m) + "-" + two(d);
      case 1: return two(d) + "/" + two(m) + "/" + ys;
      case 2: return std::to_string(m) + "/" + std::to_string(d) + "/" + ys.substr(2);
      case 3: return two(d) + "." + two(m) + "." + ys;
      case 4: return month + " " + std::to_string(d) + ", " + ys;
      case 5: return std::to_string(d) + " " + month + " " + ys;
      case 6: return std::to_string(d) + " " + mon + (rng.bernoulli(0.5) ? ". " : " ") + ys;
      case 7: return std::string(days[rng.uniform_index(7)]).substr(0, 3) + ", " + std::to_string(d) + " " + mon + " " + ys;
      case 8: return std::string(days[rng.uniform_index(7)]) + ", " + month + " " + std::to_string(d);
      case 9: return "Q" + std::to_string(rng.uniform_int(1, 4)) + " " + ys;
      case 10: return ys + "\u2013" + std::to_string(y + rng.uniform_int(1, 12));
      case 11: return upper(mon) + " " + two(d) + " " + ys;
      default: return two(d) + "-" + mon + "-" + ys.substr(2);
    }
  }
  static std::string time(Rng& rng) {
    const std::int64_t h = rng.uniform_int(0, 23), m = rng.uniform_int(0, 59), s = rng.uniform_int(0, 59);
    const std::int64_t h12 = h % 12 == 0 ? 12 : h % 12;
    switch (rng.uniform_index(6)) {
      case 0: return two(h) + ":" + two(m);
      case 1: return std::to_string(h12) + ":" + two(m) + (h < 12 ? pick(rng, {" AM", " a.m.", "am"}) : pick(rng, {" PM", " p.m.", "pm"}));
      case 2: return two(h) + ":" + two(m) + ":" + two(s);
      case 3: return std::to_string(h12) + (h < 12 ? " a.m." : " p.m.");
      case 4: return two(h) + "h" + two(m);
      default: return "T" + two(h) + ":" + two(m) + ":" + two(s) + "Z";
    }
  }
  static std::string phone(Rng& rng) {
    switch (rng.uniform_index(6)) {
      case 0: return "+1 (" + digits(rng, 3) + ") " + digits(rng, 3) + "-" + digits(rng, 4);
      case 1: return "(" + digits(rng, 3) + ") " + digits(rng, 3) + "-" + digits(rng, 4);
      case 2: return "+44 " + digits(rng, 2) + " " + digits(rng, 4) + " " + digits(rng, 4);
      case 3: return std::string(pick(rng, {"Tel. ", "Tel: ", "Phone: ", "Fax ", "Mobile: ", "T "})) + "0" + digits(rng, 3) + " " + digits(rng, 6);
      case 4: return "+" + digits(rng, 2) + " " + digits(rng, 1) + " " + digits(rng, 2) + " " + digits(rng, 2) + " " + digits(rng, 2) + " " + digits(rng, 2);
      default: return digits(rng, 3) + "." + digits(rng, 3) + "." + digits(rng, 4) + (rng.bernoulli(0.3) ? " ext. " + digits(rng, 3) : "");
    }
  }
  std::string name_word(Rng& rng) const {
    if (!vocabulary_.empty() && rng.bernoulli(0.7)) {
      std::string w = pick(rng, vocabulary_);
      for (char& c : w)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      return w.substr(0, 12);
    }
    std::string w;
    const int n = static_cast<int>(rng.uniform_int(2, 9));
    for (int i = 0; i < n; ++i) w += static_cast<char>('a' + rng.uniform_index(26));
    return w;
  }
  std::string email(Rng& rng) const {
    std::string user = name_word(rng);
    if (rng.bernoulli(0.5)) user = user.substr(0, 1) + pick(rng, {".", "_", "-", ""}) + name_word(rng);
    if (rng.bernoulli(0.2)) user += std::to_string(rng.uniform_int(1, 99));
    return user + "@" + name_word(rng) + pick(rng, {".com", ".org", ".net", ".co.uk", ".de", ".io", ".edu", ".gov"});
  }
  std::string url(Rng& rng) const {
    std::string u = pick(rng, {"https://", "http://", "www.", "https://www.", ""});
    u += name_word(rng) + pick(rng, {".com", ".org", ".net", ".info", ".co"});
    const int parts = static_cast<int>(rng.uniform_int(0, 3));
    for (int i = 0; i < parts; ++i) u += "/" + name_word(rng);
    if (rng.bernoulli(0.2)) u += std::string(pick(rng, {"?id=", "?q=", "#", "?page="})) + std::to_string(rng.uniform_int(1, 999));
    else if (rng.bernoulli(0.15)) u += pick(rng, {".html", ".pdf", "/", ".php", "_v2.txt", "~x"});
    return u;
  }
  std::string code(Rng& rng) const {
    auto letters = [&](int n) {
      std::string s;
      for (int i = 0; i < n; ++i) s += static_cast<char>('A' + rng.uniform_index(26));
      return s;
    };
    auto alnum = [&](int n) {
      std::string s;
      for (int i = 0; i < n; ++i) s += rng.bernoulli(0.5) ? static_cast<char>('A' + rng.uniform_index(26)) : static_cast<char>('0' + rng.uniform_index(10));
      return s;
    };
    switch (rng.uniform_index(10)) {
      case 0: return std::string(pick(rng, {"INV-", "PO-", "ORD-", "REF-", "CN-"})) + std::to_string(rng.uniform_int(1990, 2040)) + "-" + digits(rng, 5);
      case 1: return std::string(pick(rng, {"Order #", "Invoice No. ", "Ref: ", "Case ", "Ticket #", "Account "})) + digits(rng, static_cast<int>(rng.uniform_int(4, 9)));
      case 2: return "SN: " + alnum(3) + "-" + alnum(4) + "-" + digits(rng, 4);
      case 3: return "ISBN " + digits(rng, 3) + "-" + digits(rng, 1) + "-" + digits(rng, 5) + "-" + digits(rng, 3) + "-" + digits(rng, 1);
      case 4: return letters(2) + " " + digits(rng, 5) + (rng.bernoulli(0.5) ? "-" + digits(rng, 4) : "");
      case 5: return letters(1) + digits(rng, 1) + letters(1) + " " + digits(rng, 1) + letters(1) + digits(rng, 1);
      case 6: return std::string(pick(rng, {"VAT ", "Tax ID ", "IBAN ", "BIC ", "EIN "})) + letters(2) + digits(rng, static_cast<int>(rng.uniform_int(6, 14)));
      case 7: return std::to_string(rng.uniform_int(1, 9999)) + " " + title_case(name_word(rng)) + " " + pick(rng, {"St.", "Street", "Ave.", "Avenue", "Rd.", "Road", "Blvd.", "Lane", "Way", "Dr."});
      case 8: return alnum(static_cast<int>(rng.uniform_int(4, 10)));
      default: return letters(3) + "/" + digits(rng, 2) + "/" + digits(rng, 3) + pick(rng, {"", "-A", "-B", "/rev.2"});
    }
  }
  std::string symbolic(Rng& rng) const {
    static const char* pairs[][2] = {{"(", ")"}, {"[", "]"}, {"{", "}"}, {"<", ">"}, {"\"", "\""}, {"'", "'"},
                                     {"\u201C", "\u201D"}, {"\u2018", "\u2019"}, {"\u00AB", "\u00BB"}, {"*", "*"}, {"_", "_"}, {"`", "`"}};
    static const char* marks[] = {"&", "@", "#", "%", "+", "=", "/", "\\", "|", "~", "^", "*", "$", "!", "?", ";", ":", ",", ".",
                                  "-", "\u2013", "\u2014", "\u2022", "\u00B7", "\u2026", "\u00A7", "\u00B6", "\u2020", "\u2021",
                                  "\u00A9", "\u00AE", "\u2122", "\u00B0", "\u00B1", "\u00D7", "\u00F7", "\u00AC", "<=", ">=", "->",
                                  "!=", "==", "&&", "||", "::", "...", "\u00A1", "\u00BF", "\u00B2", "\u00B3", "\u00B9"};
    const std::string word = !has_corpus() || rng.bernoulli(0.3) ? name_word(rng) : odd_case(rng, pick(rng, vocabulary_));
    const double r = rng.uniform_double();
    if (r < 0.35) {
      const auto& p = pairs[rng.uniform_index(12)];
      return std::string(p[0]) + word + p[1];
    }
    if (r < 0.7) return word + marks[rng.uniform_index(std::size(marks))] + (rng.bernoulli(0.5) ? name_word(rng) : "");
    if (r < 0.85) return std::string(marks[rng.uniform_index(std::size(marks))]) + word;
    return marks[rng.uniform_index(std::size(marks))];
  }

  std::vector<std::string> corpus_;
  std::vector<std::string> corpus_words_;   // every word of the corpus, in order
  std::vector<std::size_t> sentence_start_; // index in corpus_words_ after each sentence
  std::vector<std::string> vocabulary_;     // letters-only words of two or more letters
  std::vector<char32_t> characters_;        // printable_characters(), space first
  TextMix mix_;
  int max_chars_;
};

// The corpus shipped with nnocr: $NNOCR_DATA_DIR/corpus/en.txt, else
// data/corpus/en.txt under the working folder or up to three folders
// above it; "" when none exists.
inline std::string find_default_corpus() {
  std::vector<std::string> candidates;
  if (const char* dir = std::getenv("NNOCR_DATA_DIR")) candidates.push_back(std::string(dir) + "/corpus/en.txt");
  std::string up;
  for (int i = 0; i < 4; ++i, up += "../") candidates.push_back(up + "data/corpus/en.txt");
  for (const auto& c : candidates) {
    std::ifstream f(c);
    if (f.good()) return c;
  }
  return "";
}

}  // namespace nnocr::data
