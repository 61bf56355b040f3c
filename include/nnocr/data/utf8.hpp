// utf8.hpp — strict UTF-8 decoding and encoding (RFC 3629).
//
// Rejected, with the byte offset and the reason: bytes that can never occur
// (0xF5..0xFF), continuation bytes without a lead, truncated sequences,
// overlong forms (0xC0 0x80 for U+0000 and the like), encoded surrogates
// (U+D800..U+DFFF) and values above U+10FFFF.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"

namespace nnocr::data {

inline constexpr char32_t kMaxCodePoint = 0x10FFFF;

// A code point that UTF-8 may encode: not a surrogate, not above U+10FFFF.
inline bool is_scalar_value(char32_t cp) { return cp <= kMaxCodePoint && !(cp >= 0xD800 && cp <= 0xDFFF); }

// "U+0041", "U+1F600": at least four upper-case hex digits.
inline std::string code_point_name(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

// Appends the UTF-8 of a scalar value (not checked: see encode_utf8).
inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

inline std::string encode_utf8(char32_t cp) {
  NNOCR_CHECK(!(cp >= 0xD800 && cp <= 0xDFFF), "encode_utf8: ", code_point_name(cp), " is a surrogate");
  NNOCR_CHECK(cp <= kMaxCodePoint, "encode_utf8: ", code_point_name(cp), " is above U+10FFFF");
  std::string out;
  append_utf8(out, cp);
  return out;
}
inline std::string encode_utf8(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) out += encode_utf8(cp);
  return out;
}
inline std::string encode_utf8(const std::vector<char32_t>& cps) {
  return encode_utf8(std::u32string_view(cps.data(), cps.size()));
}

namespace detail {

// One decoding step at byte `pos`: the code point and its length in bytes,
// or, when the bytes there are not valid UTF-8, an error that says why
// (length is then 0).
struct Utf8Step {
  char32_t code_point = 0;
  int length = 0;
  std::string error;
};

inline std::string hex_byte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(b));
  return buf;
}

inline Utf8Step decode_utf8_step(std::string_view text, std::size_t pos) {
  Utf8Step step;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  if (pos >= n) {
    step.error = "position past the end of the text";
    return step;
  }
  const unsigned char b0 = s[pos];
  if (b0 < 0x80) {
    step.code_point = b0;
    step.length = 1;
    return step;
  }
  if (b0 < 0xC0) {
    step.error = "unexpected continuation byte " + hex_byte(b0);
    return step;
  }
  if (b0 >= 0xF5) {
    step.error = "invalid byte " + hex_byte(b0);
    return step;
  }
  const int length = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  char32_t cp = b0 & (0xFFu >> (length + 1));
  for (int k = 1; k < length; ++k) {
    const std::size_t at = pos + static_cast<std::size_t>(k);
    if (at >= n) {
      step.error = "truncated " + std::to_string(length) + "-byte sequence at the end";
      return step;
    }
    if ((s[at] & 0xC0) != 0x80) {
      step.error = "byte " + hex_byte(s[at]) + " at offset " + std::to_string(at) + " is not a continuation byte";
      return step;
    }
    cp = (cp << 6) | (s[at] & 0x3Fu);
  }
  const char32_t min = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  if (cp < min) {
    step.error = "overlong " + std::to_string(length) + "-byte encoding of " + code_point_name(cp);
  } else if (cp >= 0xD800 && cp <= 0xDFFF) {
    step.error = "encoded surrogate " + code_point_name(cp);
  } else if (cp > kMaxCodePoint) {
    step.error = "code point above U+10FFFF";
  } else {
    step.code_point = cp;
    step.length = length;
  }
  return step;
}

}  // namespace detail

// True when `text` is valid UTF-8; otherwise the offset of the first bad
// sequence goes to *bad_offset when given.
inline bool is_valid_utf8(std::string_view text, std::size_t* bad_offset = nullptr) {
  for (std::size_t pos = 0; pos < text.size();) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const detail::Utf8Step step = detail::decode_utf8_step(text, pos);
    if (step.length == 0) {
      if (bad_offset) *bad_offset = pos;
      return false;
    }
    pos += static_cast<std::size_t>(step.length);
  }
  return true;
}

// Calls f(code_point, byte_offset) for each character; invalid UTF-8 throws
// nnocr::Error "<what>: invalid UTF-8 at byte N: <reason>".
template <class F>
void for_each_code_point(std::string_view text, std::string_view what, F&& f) {
  for (std::size_t pos = 0; pos < text.size();) {
    const detail::Utf8Step step = detail::decode_utf8_step(text, pos);
    if (step.length == 0)
      throw Error(nnocr::detail::concat(what, ": invalid UTF-8 at byte ", pos, ": ", step.error));
    f(step.code_point, pos);
    pos += static_cast<std::size_t>(step.length);
  }
}

inline std::vector<char32_t> decode_utf8(std::string_view text, std::string_view what) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for_each_code_point(text, what, [&](char32_t cp, std::size_t) { out.push_back(cp); });
  return out;
}

}  // namespace nnocr::data
