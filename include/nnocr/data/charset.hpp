// charset.hpp — Charset: UTF-8 text <-> class ids for CTC.
//
// Id 0 is the CTC blank; ids 1..K are the characters, in the order the
// charset was built with. An entry is usually one code point, but may be a
// short sequence of code points (a ligature, a letter with a combining mark):
// encoding takes the longest entry that matches at each position, so "ﬁ"
// and "f" + "i" can coexist.
//
//   Charset cs = Charset::from_characters("abc");   // a=1, b=2, c=3
//   cs.encode("cab")              -> {3, 1, 2}
//   cs.decode({3, 0, 1, 2})       -> "cab"         (blanks give no text)
//   cs.to_string()                -> "nnocr-charset-1 a b c"
//
// to_string()/from_string() store a charset in model-file metadata: one
// line, entries separated by single spaces, with `\\` for a backslash, `\s`
// for a space and `\u{HEX}` for control characters and line separators, so
// any entry survives the round trip and the text never holds a line break.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "utf8.hpp"

namespace nnocr::data {

// What encode() does with a character the charset does not have.
enum class UnknownPolicy {
  error,  // throw nnocr::Error naming the character (U+XXXX) and the text
  skip,   // leave it out and count it
};

// The characters a charset lacks in a collection of texts.
struct UnknownReport {
  std::map<char32_t, std::int64_t> counts;  // occurrences, by code point
  std::int64_t total = 0;                   // sum of counts
  std::int64_t texts = 0;                   // texts with at least one

  bool empty() const { return total == 0; }

  // "5 unknown characters (2 distinct) in 3 texts: U+00E9 'é' x4, U+00DF 'ß' x1",
  // most frequent first, at most `max_listed` of them.
  std::string str(std::size_t max_listed = 20) const;
};

namespace detail {

// Whether a code point would be invisible or break a line when printed:
// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
inline bool is_control_code_point(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

// U+00E9 'é' (the glyph only when it is printable).
inline std::string describe_code_point(char32_t cp) {
  std::string s = code_point_name(cp);
  if (!is_control_code_point(cp) && is_scalar_value(cp)) s += " '" + encode_utf8(cp) + "'";
  return s;
}

// The text in double quotes, cut after about `max_bytes` bytes (on a
// character boundary) so that messages stay readable.
inline std::string quote_text(std::string_view text, std::size_t max_bytes = 120) {
  if (text.size() <= max_bytes) return "\"" + std::string(text) + "\"";
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + std::string(text.substr(0, cut)) + "...\" (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace detail

inline std::string UnknownReport::str(std::size_t max_listed) const {
  if (empty()) return "no unknown characters";
  std::vector<std::pair<char32_t, std::int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string s = std::to_string(total) + " unknown character" + (total == 1 ? "" : "s") + " (" +
                  std::to_string(counts.size()) + " distinct) in " + std::to_string(texts) + " text" +
                  (texts == 1 ? "" : "s") + ":";
  for (std::size_t i = 0; i < sorted.size() && i < max_listed; ++i)
    s += (i ? ", " : " ") + detail::describe_code_point(sorted[i].first) + " x" + std::to_string(sorted[i].second);
  if (sorted.size() > max_listed) s += ", ...";
  return s;
}

class Charset {
 public:
  static constexpr std::int32_t blank = 0;

  // Only the blank (size() == 1).
  Charset() : entries_(1), utf8_(1) { ascii_.fill(-1); }

  // One class per code point of `characters`, in that order. Invalid UTF-8
  // and repeated characters are errors.
  static Charset from_characters(std::string_view characters) {
    Charset cs;
    for (char32_t cp : decode_utf8(characters, "charset characters")) cs.add(std::u32string(1, cp), true);
    return cs;
  }

  // One class per entry, in that order; an entry is one code point or a
  // short sequence of them. Empty, repeated or invalid entries are errors.
  static Charset from_list(const std::vector<std::string>& entries) {
    Charset cs;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::vector<char32_t> cps = decode_utf8(entries[i], "charset entry " + std::to_string(i));
      cs.add(std::u32string(cps.begin(), cps.end()), true);
    }
    return cs;
  }

  // Every code point that occurs in `texts`, sorted by code point, so that
  // the same texts in any order give the same ids.
  static Charset from_texts(const std::vector<std::string>& texts) {
    std::vector<char32_t> all;
    for (std::size_t i = 0; i < texts.size(); ++i)
      for_each_code_point(texts[i], "text " + std::to_string(i), [&](char32_t cp, std::size_t) { all.push_back(cp); });
    return from_code_points(std::move(all));
  }

  // The characters printable_ascii_plus_typographic() adds to ASCII, in
  // code point order: ¡ ¢ £ ¥ § © « ¬ ® ° ± ² ³ ¶ · ¹ » ¼ ½ ¾ ¿ × ÷ – — ‘ ’ “ ” † ‡ • … ‰ € ™
  // Left out on purpose: look-alikes of ASCII that no image can tell apart
  // (no-break space, U+2010 hyphen, U+2212 minus, µ, ‚ and ′ ″).
  static std::string typographic_characters() {
    return "\u00A1\u00A2\u00A3\u00A5\u00A7\u00A9\u00AB\u00AC\u00AE\u00B0\u00B1\u00B2\u00B3\u00B6\u00B7\u00B9"
           "\u00BB\u00BC\u00BD\u00BE\u00BF\u00D7\u00F7\u2013\u2014\u2018\u2019\u201C\u201D\u2020\u2021\u2022"
           "\u2026\u2030\u20AC\u2122";
  }

  // The default charset: the 95 printable ASCII characters U+0020..U+007E
  // (space included) plus typographic_characters(), 131 characters sorted by
  // code point (ids 1..131, size() 132).
  static Charset printable_ascii_plus_typographic() {
    std::vector<char32_t> cps;
    for (char32_t c = 0x20; c <= 0x7E; ++c) cps.push_back(c);
    for (char32_t c : decode_utf8(typographic_characters(), "typographic characters")) cps.push_back(c);
    return from_code_points(std::move(cps));
  }

  // Parses what to_string() wrote; errors name the byte offset.
  static Charset from_string(std::string_view text) {
    const std::string_view magic = "nnocr-charset-1";
    const std::string where = "charset string";
    NNOCR_CHECK(is_valid_utf8(text), where, ": invalid UTF-8");
    NNOCR_CHECK(text.substr(0, magic.size()) == magic, where, ": does not start with \"", magic, "\"");
    Charset cs;
    std::size_t pos = magic.size();
    while (pos < text.size()) {
      NNOCR_CHECK(text[pos] == ' ', where, ": expected a space at byte ", pos);
      ++pos;
      const std::size_t start = pos;
      std::u32string entry;
      while (pos < text.size() && text[pos] != ' ') {
        if (text[pos] != '\\') {
          const detail::Utf8Step step = detail::decode_utf8_step(text, pos);
          NNOCR_CHECK(!detail::is_control_code_point(step.code_point), where, ": unescaped ",
                      code_point_name(step.code_point), " at byte ", pos);
          entry += step.code_point;
          pos += static_cast<std::size_t>(step.length);
          continue;
        }
        NNOCR_CHECK(pos + 1 < text.size(), where, ": lone backslash at byte ", pos);
        const char e = text[pos + 1];
        if (e == '\\' || e == 's') {
          entry += e == 's' ? U' ' : U'\\';
          pos += 2;
          continue;
        }
        NNOCR_CHECK(e == 'u' && pos + 2 < text.size() && text[pos + 2] == '{', where, ": unknown escape at byte ",
                    pos);
        const std::size_t close = text.find('}', pos + 3);
        NNOCR_CHECK(close != std::string_view::npos && close > pos + 3 && close <= pos + 9, where,
                    ": bad \\u{...} escape at byte ", pos);
        std::uint32_t v = 0;
        for (std::size_t i = pos + 3; i < close; ++i) {
          const char h = text[i];
          const int d = h >= '0' && h <= '9' ? h - '0' : h >= 'A' && h <= 'F' ? h - 'A' + 10 : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
          NNOCR_CHECK(d >= 0, where, ": bad hex digit in the escape at byte ", pos);
          v = v * 16 + static_cast<std::uint32_t>(d);
        }
        NNOCR_CHECK(is_scalar_value(v), where, ": escape at byte ", pos, " is not a Unicode scalar value");
        entry += static_cast<char32_t>(v);
        pos = close + 1;
      }
      NNOCR_CHECK(!entry.empty(), where, ": empty entry at byte ", start);
      NNOCR_CHECK(cs.find(entry) < 0, where, ": entry at byte ", start, " repeats ",
                  detail::quote_text(encode_utf8(entry)));
      cs.add(entry, false);
    }
    return cs;
  }

  // One line, no line breaks; see the top of this file.
  std::string to_string() const {
    std::string out = "nnocr-charset-1";
    for (std::size_t id = 1; id < entries_.size(); ++id) {
      out += ' ';
      for (char32_t cp : entries_[id]) {
        if (cp == U'\\') {
          out += "\\\\";
        } else if (cp == U' ') {
          out += "\\s";
        } else if (detail::is_control_code_point(cp)) {
          std::string hex = code_point_name(cp).substr(2);
          while (hex.size() > 1 && hex[0] == '0') hex.erase(0, 1);
          out += "\\u{" + hex + "}";
        } else {
          append_utf8(out, cp);
        }
      }
    }
    return out;
  }

  // Classes including the blank: K + 1.
  std::int32_t size() const { return static_cast<std::int32_t>(entries_.size()); }
  // Characters (entries) without the blank: K.
  std::int32_t num_characters() const { return size() - 1; }

  // The UTF-8 text of class `id` (1..K); the blank's is empty.
  const std::string& entry(std::int32_t id) const {
    NNOCR_CHECK(id >= 0 && id < size(), "charset: id ", id, " is out of range [0, ", size(), ")");
    return utf8_[static_cast<std::size_t>(id)];
  }

  // Every class's text, indexed by id (the blank's empty): the labels the
  // CTC decoders take.
  const std::vector<std::string>& labels() const { return utf8_; }

  // The id of one code point, or -1 when the charset does not have it.
  std::int32_t id_of(char32_t cp) const {
    if (cp < 128) return ascii_[cp];
    auto it = single_.find(cp);
    return it == single_.end() ? -1 : it->second;
  }
  // The id of an entry given as UTF-8, or -1.
  std::int32_t id_of(std::string_view entry) const {
    if (!is_valid_utf8(entry) || entry.empty()) return -1;
    std::vector<char32_t> cps = decode_utf8(entry, "entry");
    return find(std::u32string(cps.begin(), cps.end()));
  }
  bool contains(char32_t cp) const { return id_of(cp) >= 0; }

  // Appends the ids of `text` to `out`; returns how many characters were
  // skipped (always 0 under UnknownPolicy::error, which throws instead).
  std::int64_t encode_append(std::string_view text, std::vector<std::int32_t>& out,
                             UnknownPolicy unknown = UnknownPolicy::error) const {
    std::int64_t skipped = 0;
    walk(text, "charset: text", [&](std::int32_t id) { out.push_back(id); },
         [&](char32_t cp, std::size_t offset) {
           NNOCR_CHECK(unknown == UnknownPolicy::skip, "charset: unknown character ", detail::describe_code_point(cp),
                       " at byte ", offset, " of text ", detail::quote_text(text));
           ++skipped;
         });
    return skipped;
  }

  // The ids of `text` (never the blank). Under UnknownPolicy::skip the count
  // of left-out characters goes to *skipped when given.
  std::vector<std::int32_t> encode(std::string_view text, UnknownPolicy unknown = UnknownPolicy::error,
                                   std::int64_t* skipped = nullptr) const {
    std::vector<std::int32_t> ids;
    ids.reserve(text.size());
    const std::int64_t n = encode_append(text, ids, unknown);
    if (skipped) *skipped = n;
    return ids;
  }

  // The text of `ids`: entries concatenated, blanks (0) left out. Ids out
  // of [0, size()) are errors.
  std::string decode(const std::int32_t* ids, std::size_t count) const {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
      NNOCR_CHECK(ids[i] >= 0 && ids[i] < size(), "charset: id ", ids[i], " at position ", i,
                  " is out of range [0, ", size(), ")");
      out += utf8_[static_cast<std::size_t>(ids[i])];
    }
    return out;
  }
  std::string decode(const std::vector<std::int32_t>& ids) const { return decode(ids.data(), ids.size()); }

  // Counts the characters of `texts` this charset does not have.
  UnknownReport unknown_characters(const std::vector<std::string>& texts) const {
    UnknownReport report;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      bool any = false;
      walk(texts[i], "text " + std::to_string(i), [](std::int32_t) {},
           [&](char32_t cp, std::size_t) {
             ++report.counts[cp];
             ++report.total;
             any = true;
           });
      report.texts += any;
    }
    return report;
  }

  // Appends other's entries that this charset lacks, in other's order,
  // keeping every existing id (a model fine-tuned onto a new charset keeps
  // its trained output rows). Returns how many were added.
  std::int32_t extend(const Charset& other) {
    std::int32_t added = 0;
    for (std::size_t id = 1; id < other.entries_.size(); ++id)
      if (find(other.entries_[id]) < 0) {
        add(other.entries_[id], false);
        ++added;
      }
    return added;
  }

  friend bool operator==(const Charset& a, const Charset& b) { return a.entries_ == b.entries_; }
  friend bool operator!=(const Charset& a, const Charset& b) { return !(a == b); }

 private:
  static Charset from_code_points(std::vector<char32_t> cps) {
    std::sort(cps.begin(), cps.end());
    cps.erase(std::unique(cps.begin(), cps.end()), cps.end());
    Charset cs;
    for (char32_t cp : cps) cs.add(std::u32string(1, cp), false);
    return cs;
  }

  std::int32_t find(const std::u32string& entry) const {
    if (entry.size() == 1) return id_of(entry[0]);
    auto it = multi_.find(entry);
    return it == multi_.end() ? -1 : it->second;
  }

  void add(const std::u32string& entry, bool check_repeat) {
    NNOCR_CHECK(!entry.empty(), "charset: empty entry");
    for (char32_t cp : entry)
      NNOCR_CHECK(is_scalar_value(cp), "charset: ", code_point_name(cp), " is not a Unicode scalar value");
    if (check_repeat)
      NNOCR_CHECK(find(entry) < 0, "charset: ",
                  entry.size() == 1 ? detail::describe_code_point(entry[0]) : detail::quote_text(encode_utf8(entry)),
                  " occurs twice");
    NNOCR_CHECK(entries_.size() < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
                "charset: too many entries");
    const auto id = static_cast<std::int32_t>(entries_.size());
    entries_.push_back(entry);
    utf8_.push_back(encode_utf8(entry));
    if (entry.size() == 1) {
      if (entry[0] < 128)
        ascii_[entry[0]] = id;
      else
        single_.emplace(entry[0], id);
    } else {
      multi_.emplace(entry, id);
      max_multi_ = std::max(max_multi_, entry.size());
    }
  }

  // Calls on_id(id) for each entry matched in `text` (longest match first)
  // and on_unknown(code_point, byte_offset) for each code point no entry
  // covers. Invalid UTF-8 throws, naming `where`.
  template <class OnId, class OnUnknown>
  void walk(std::string_view text, const std::string& where, OnId&& on_id, OnUnknown&& on_unknown) const {
    if (multi_.empty()) {
      for_each_code_point(text, where, [&](char32_t cp, std::size_t offset) {
        const std::int32_t id = id_of(cp);
        if (id > 0)
          on_id(id);
        else
          on_unknown(cp, offset);
      });
      return;
    }
    std::u32string cps;
    std::vector<std::size_t> offsets;
    for_each_code_point(text, where, [&](char32_t cp, std::size_t offset) {
      cps += cp;
      offsets.push_back(offset);
    });
    for (std::size_t i = 0; i < cps.size();) {
      std::int32_t id = -1;
      std::size_t length = 1;
      for (std::size_t n = std::min(max_multi_, cps.size() - i); n >= 2 && id < 0; --n) {
        auto it = multi_.find(cps.substr(i, n));
        if (it != multi_.end()) id = it->second, length = n;
      }
      if (id < 0) id = id_of(cps[i]);
      if (id > 0)
        on_id(id);
      else
        on_unknown(cps[i], offsets[i]);
      i += length;
    }
  }

  std::vector<std::u32string> entries_;  // [0] is the blank (empty)
  std::vector<std::string> utf8_;        // the same, as UTF-8
  std::array<std::int32_t, 128> ascii_{};
  std::unordered_map<char32_t, std::int32_t> single_;  // one code point >= 128
  std::map<std::u32string, std::int32_t> multi_;       // several code points
  std::size_t max_multi_ = 0;
};

}  // namespace nnocr::data
