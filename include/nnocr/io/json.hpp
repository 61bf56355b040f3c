// json.hpp — a small, strict JSON value, reader and writer (RFC 8259).
//
// nnocr reads JSON from files it did not write (safetensors headers, model
// configurations), so the reader accepts exactly RFC 8259 and nothing else:
// no comments, no trailing commas, no NaN or Infinity, no leading zeros, no
// single quotes, no unescaped control characters, no invalid UTF-8, no lone
// surrogates, no duplicate keys, nothing after the value. Depth and size are
// limited so hostile input cannot exhaust the stack or memory. Every error
// names the input and the 0-based byte offset of the problem:
//
//   model.safetensors header: byte 123: expected ',' or '}'
//
// Values: null, bool, number, string, array, object. A number written
// without fraction or exponent that fits int64 is kept as an int64, so
// offsets and sizes round-trip exactly; any other number is a double.
// Objects keep their members in insertion order (a vector of pairs; lookups
// are linear, which suits the small objects of headers and configurations).
//
//   Json j = parse_json(R"({"shape": [2, 3], "name": "conv1"})", "config.json");
//   j.at("shape").as_array()[1].as_int();  // 3
//   Json out = Json::object();
//   out.set("lr", 0.001).set("epochs", 20);
//   to_json(out);                           // {"lr":0.001,"epochs":20}
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <locale>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "../core/error.hpp"

namespace nnocr::io {

enum class JsonType { null, boolean, number, string, array, object };

inline const char* json_type_name(JsonType t) {
  switch (t) {
    case JsonType::null: return "null";
    case JsonType::boolean: return "a boolean";
    case JsonType::number: return "a number";
    case JsonType::string: return "a string";
    case JsonType::array: return "an array";
    case JsonType::object: return "an object";
  }
  return "?";
}

class Json;
inline std::string to_json(const Json& value, int indent = -1);

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  // Null.
  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : value_(b) {}
  // Any integer type; unsigned values above INT64_MAX are an error.
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  Json(I i) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t))
      NNOCR_CHECK(i <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()), "JSON: integer ", i,
                  " does not fit in int64");
    value_ = static_cast<std::int64_t>(i);
  }
  // Any double; NaN and infinities can be held but not written (to_json throws).
  Json(double d) : value_(d) {}
  Json(const char* s) : value_(std::string(s)) {}
  // Other pointers would silently become `true`.
  template <class T>
  Json(const T*) = delete;
  Json(std::string s) : value_(std::move(s)) {}
  Json(std::string_view s) : value_(std::string(s)) {}
  Json(Array a) : value_(std::move(a)) {}
  Json(Object o) : value_(std::move(o)) {}

  // Empty containers, to fill with set() / push_back().
  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }

  JsonType type() const {
    switch (value_.index()) {
      case 0: return JsonType::null;
      case 1: return JsonType::boolean;
      case 2:
      case 3: return JsonType::number;
      case 4: return JsonType::string;
      case 5: return JsonType::array;
      default: return JsonType::object;
    }
  }
  bool is_null() const { return type() == JsonType::null; }
  bool is_bool() const { return type() == JsonType::boolean; }
  bool is_number() const { return type() == JsonType::number; }
  // A number held as int64 (written without fraction or exponent).
  bool is_integer() const { return std::holds_alternative<std::int64_t>(value_); }
  bool is_string() const { return type() == JsonType::string; }
  bool is_array() const { return type() == JsonType::array; }
  bool is_object() const { return type() == JsonType::object; }

  // Typed access; each throws nnocr::Error ("expected a string, got the
  // number 12") when the value has another type.
  bool as_bool() const { return get<bool>("a boolean"); }
  // Only integers (is_integer()): 2.0 or 1e3 are rejected, as sizes and
  // offsets must be written as integers.
  std::int64_t as_int() const { return get<std::int64_t>("an integer"); }
  // Any number; an int64 converts to the nearest double.
  double as_double() const {
    if (is_integer()) return static_cast<double>(std::get<std::int64_t>(value_));
    return get<double>("a number");
  }
  const std::string& as_string() const { return get<std::string>("a string"); }
  const Array& as_array() const { return get<Array>("an array"); }
  Array& as_array() { return get_mutable<Array>("an array"); }
  const Object& as_object() const { return get<Object>("an object"); }
  Object& as_object() { return get_mutable<Object>("an object"); }

  // Number of elements of an array or members of an object.
  std::size_t size() const {
    if (is_array()) return as_array().size();
    if (is_object()) return as_object().size();
    throw Error("JSON: expected an array or an object, got " + describe());
  }

  // The member called `key`, or nullptr when there is none; throws if this
  // is not an object. operator[] is the same lookup.
  const Json* find(std::string_view key) const {
    for (const auto& [k, v] : as_object())
      if (k == key) return &v;
    return nullptr;
  }
  Json* find(std::string_view key) { return const_cast<Json*>(static_cast<const Json*>(this)->find(key)); }
  const Json* operator[](std::string_view key) const { return find(key); }
  Json* operator[](std::string_view key) { return find(key); }
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  // The member called `key`; throws "missing key 'key'" when there is none.
  const Json& at(std::string_view key) const {
    const Json* v = find(key);
    NNOCR_CHECK(v != nullptr, "JSON: missing key '", key, "'");
    return *v;
  }
  Json& at(std::string_view key) { return const_cast<Json&>(static_cast<const Json*>(this)->at(key)); }
  // Element `index` of an array; throws when out of range.
  const Json& at(std::size_t index) const {
    const Array& a = as_array();
    NNOCR_CHECK(index < a.size(), "JSON: index ", index, " out of range for an array of ", a.size(), " elements");
    return a[index];
  }
  Json& at(std::size_t index) { return const_cast<Json&>(static_cast<const Json*>(this)->at(index)); }

  // Sets member `key` of an object: replaces its value if the key exists,
  // appends it otherwise. Returns *this for chaining.
  Json& set(std::string key, Json value) {
    if (Json* v = find(key))
      *v = std::move(value);
    else
      as_object().emplace_back(std::move(key), std::move(value));
    return *this;
  }
  // Appends to an array. Returns *this for chaining.
  Json& push_back(Json value) {
    as_array().push_back(std::move(value));
    return *this;
  }

  // Equal type and value; numbers compare by value (2 == 2.0); objects
  // compare member by member in order.
  friend bool operator==(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) {
      if (a.is_integer() && b.is_integer()) return a.as_int() == b.as_int();
      return a.as_double() == b.as_double();
    }
    return a.value_ == b.value_;
  }
  friend bool operator!=(const Json& a, const Json& b) { return !(a == b); }

 private:
  template <class T>
  const T& get(const char* wanted) const {
    const T* v = std::get_if<T>(&value_);
    if (!v) throw Error(std::string("JSON: expected ") + wanted + ", got " + describe());
    return *v;
  }
  template <class T>
  T& get_mutable(const char* wanted) {
    return const_cast<T&>(static_cast<const Json*>(this)->get<T>(wanted));
  }
  // "the number 12", "the string \"abc\"", "an array of 3 elements".
  std::string describe() const {
    switch (type()) {
      case JsonType::null: return "null";
      case JsonType::boolean: return as_bool() ? "true" : "false";
      case JsonType::number:
        if (!is_integer() && !std::isfinite(std::get<double>(value_))) return "a non-finite number";
        return "the number " + to_json(*this);
      case JsonType::string: {
        std::string s = as_string();
        if (s.size() > 40) s = s.substr(0, 37) + "...";
        bool printable = true;
        for (unsigned char c : s) printable = printable && c >= 0x20 && c < 0x7f;
        return printable ? "the string \"" + s + "\"" : "a string";
      }
      case JsonType::array: return "an array of " + std::to_string(as_array().size()) + " elements";
      case JsonType::object: return "an object of " + std::to_string(as_object().size()) + " members";
    }
    return "?";
  }

  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> value_;
};

// Limits for parse_json: nesting depth (arrays and objects) and input size.
struct JsonLimits {
  std::size_t max_depth = 64;
  std::size_t max_bytes = std::size_t{256} << 20;  // 256 MiB
};

namespace detail {

// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when the bytes
// there are not valid UTF-8 (bad lead byte, bad continuation, overlong form,
// surrogate, or beyond U+10FFFF), per RFC 3629.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c == 0xe0) n = 3, lo = 0xa0;                // no overlong 3-byte forms
  else if (c == 0xed) n = 3, hi = 0x9f;                // no surrogates U+D800..DFFF
  else if (c >= 0xe1 && c <= 0xef) n = 3;
  else if (c == 0xf0) n = 4, lo = 0x90;                // no overlong 4-byte forms
  else if (c == 0xf4) n = 4, hi = 0x8f;                // nothing above U+10FFFF
  else if (c >= 0xf1 && c <= 0xf3) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  return n;
}

inline bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Converts a validated JSON number literal to double, independent of the C
// locale. Returns false when it is outside the range of a double.
inline bool json_number_to_double(std::string_view text, double& out) {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size() && std::isfinite(out);
#else
  std::istringstream in{std::string(text)};
  in.imbue(std::locale::classic());
  in >> out;
  return !in.fail() && std::isfinite(out);
#endif
}

// Shortest text that reads back as the same double (then ".0" when it would
// otherwise read back as an integer), independent of the C locale.
inline std::string json_double_text(double d) {
  std::string s;
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  s.assign(buf, r.ptr);
#else
  for (int precision = 15; precision <= 17; ++precision) {
    std::ostringstream out;
    out.imbue(std::locale::classic());
    out.precision(precision);
    out << d;
    s = out.str();
    std::istringstream back(s);
    back.imbue(std::locale::classic());
    double again = 0;
    back >> again;
    if (again == d) break;
  }
#endif
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

class JsonParser {
 public:
  JsonParser(std::string_view text, const std::string& where, const JsonLimits& limits)
      : text_(text), where_(where), limits_(limits) {}

  Json parse_document() {
    NNOCR_CHECK(text_.size() <= limits_.max_bytes, where_, ": ", text_.size(), " bytes exceeds the limit of ",
                limits_.max_bytes, " bytes");
    skip_whitespace();
    Json value = parse_value(0);
    skip_whitespace();
    if (pos_ < text_.size()) fail("unexpected ", token_here(), " after the JSON value");
    return value;
  }

 private:
  template <class... Args>
  [[noreturn]] void fail_at(std::size_t offset, Args&&... parts) const {
    throw Error(::nnocr::detail::concat(where_, ": byte ", offset, ": ", std::forward<Args>(parts)...));
  }
  template <class... Args>
  [[noreturn]] void fail(Args&&... parts) const {
    fail_at(pos_, std::forward<Args>(parts)...);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  // How the byte at pos_ reads in a message: 'x', byte 0xC3, end of input.
  std::string token_here() const {
    if (at_end()) return "end of input";
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x21 && c < 0x7f) return std::string("character '") + static_cast<char>(c) + "'";
    static const char* hex = "0123456789ABCDEF";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
  }

  void skip_whitespace() {
    while (!at_end()) {
      const char c = peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  void expect_more(const char* what) const {
    if (at_end()) fail("unexpected end of input, expected ", what);
  }

  Json parse_value(std::size_t depth) {
    expect_more("a value");
    const char c = peek();
    switch (c) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': return Json(parse_string());
      case 't': return parse_literal("true", Json(true));
      case 'f': return parse_literal("false", Json(false));
      case 'n': return parse_literal("null", Json());
      default: break;
    }
    if (text_.substr(pos_, 3) == "NaN" || text_.substr(pos_, 8) == "Infinity" || text_.substr(pos_, 9) == "-Infinity")
      fail("NaN and Infinity are not JSON numbers");
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    if (c == '/') fail("comments are not allowed in JSON");
    if (c == '\'') fail("strings must use double quotes");
    fail("unexpected ", token_here(), ", expected a value");
  }

  Json parse_literal(std::string_view word, Json value) {
    if (text_.substr(pos_, word.size()) != word) fail("invalid literal, expected '", word, "'");
    pos_ += word.size();
    return value;
  }

  void enter(std::size_t depth) const {
    if (depth > limits_.max_depth) fail("nesting deeper than the limit of ", limits_.max_depth);
  }

  Json parse_object(std::size_t depth) {
    enter(depth);
    ++pos_;  // '{'
    Json::Object members;
    std::set<std::string, std::less<>> keys;
    skip_whitespace();
    expect_more("a key or '}'");
    if (peek() == '}') {
      ++pos_;
      return Json(std::move(members));
    }
    for (;;) {
      skip_whitespace();
      expect_more("a key");
      if (peek() != '"') fail("expected a string key, got ", token_here());
      const std::size_t key_offset = pos_;
      std::string key = parse_string();
      if (!keys.insert(key).second) fail_at(key_offset, "duplicate key '", key, "'");
      skip_whitespace();
      if (at_end() || peek() != ':') fail("expected ':' after the key, got ", token_here());
      ++pos_;
      skip_whitespace();
      Json value = parse_value(depth);
      members.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (at_end() || (peek() != ',' && peek() != '}')) fail("expected ',' or '}', got ", token_here());
      if (peek() == '}') {
        ++pos_;
        return Json(std::move(members));
      }
      const std::size_t comma = pos_++;
      skip_whitespace();
      if (!at_end() && peek() == '}') fail_at(comma, "trailing comma before '}'");
    }
  }

  Json parse_array(std::size_t depth) {
    enter(depth);
    ++pos_;  // '['
    Json::Array elements;
    skip_whitespace();
    expect_more("a value or ']'");
    if (peek() == ']') {
      ++pos_;
      return Json(std::move(elements));
    }
    for (;;) {
      skip_whitespace();
      elements.push_back(parse_value(depth));
      skip_whitespace();
      if (at_end() || (peek() != ',' && peek() != ']')) fail("expected ',' or ']', got ", token_here());
      if (peek() == ']') {
        ++pos_;
        return Json(std::move(elements));
      }
      const std::size_t comma = pos_++;
      skip_whitespace();
      if (!at_end() && peek() == ']') fail_at(comma, "trailing comma before ']'");
    }
  }

  bool digit_here() const { return !at_end() && peek() >= '0' && peek() <= '9'; }

  // number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ("e"/"E") ["+"/"-"] 1*DIGIT ]
  Json parse_number() {
    const std::size_t start = pos_;
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    if (!digit_here()) fail("expected a digit after '-'");
    if (peek() == '0') {
      ++pos_;
      if (digit_here()) fail_at(start, "leading zeros are not allowed in JSON numbers");
    } else {
      while (digit_here()) ++pos_;
    }
    const std::size_t int_end = pos_;
    bool integer = true;
    if (!at_end() && peek() == '.') {
      integer = false;
      ++pos_;
      if (!digit_here()) fail("expected a digit after '.'");
      while (digit_here()) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      integer = false;
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!digit_here()) fail("expected a digit in the exponent");
      while (digit_here()) ++pos_;
    }
    if (integer) {
      // Exact int64 when it fits: accumulate the magnitude as uint64.
      std::uint64_t magnitude = 0;
      bool fits = true;
      for (std::size_t i = start + (negative ? 1 : 0); i < int_end && fits; ++i) {
        const std::uint64_t d = static_cast<std::uint64_t>(text_[i] - '0');
        if (magnitude > (std::numeric_limits<std::uint64_t>::max() - d) / 10) fits = false;
        else magnitude = magnitude * 10 + d;
      }
      const std::uint64_t limit = std::uint64_t{1} << 63;  // |INT64_MIN|
      if (fits && (negative ? magnitude <= limit : magnitude < limit)) {
        if (negative) return Json(magnitude == limit ? std::numeric_limits<std::int64_t>::min()
                                                     : -static_cast<std::int64_t>(magnitude));
        return Json(static_cast<std::int64_t>(magnitude));
      }
    }
    double d = 0;
    if (!json_number_to_double(text_.substr(start, pos_ - start), d))
      fail_at(start, "number ", text_.substr(start, std::min<std::size_t>(pos_ - start, 40)),
              " is out of the range of a double");
    return Json(d);
  }

  unsigned read_hex4() {
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      if (at_end()) fail("unexpected end of input in a \\u escape");
      const char c = peek();
      unsigned d;
      if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
      else fail("invalid \\u escape: expected 4 hex digits, got ", token_here());
      v = v * 16 + d;
      ++pos_;
    }
    return v;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail("unexpected end of input in a string");
      const unsigned char c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character ", token_here(), " in a string must be escaped");
      if (c == '\\') {
        const std::size_t escape = pos_++;
        if (at_end()) fail("unexpected end of input in an escape");
        const char e = peek();
        ++pos_;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            std::uint32_t cp = read_hex4();
            if (cp >= 0xdc00 && cp <= 0xdfff) fail_at(escape, "unpaired low surrogate in a \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
              if (text_.substr(pos_, 2) != "\\u") fail_at(escape, "unpaired high surrogate in a \\u escape");
              pos_ += 2;
              const std::uint32_t low = read_hex4();
              if (low < 0xdc00 || low > 0xdfff) fail_at(escape, "high surrogate not followed by a low surrogate");
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            append_utf8(out, cp);
            break;
          }
          default:
            pos_ = escape + 1;
            fail_at(escape, "invalid escape: backslash followed by ", token_here());
        }
        continue;
      }
      const std::size_t n = utf8_sequence_length(text_, pos_);
      if (n == 0) fail("invalid UTF-8 (", token_here(), ") in a string");
      out.append(text_.data() + pos_, n);
      pos_ += n;
    }
  }

  std::string_view text_;
  const std::string& where_;
  JsonLimits limits_;
  std::size_t pos_ = 0;
};

inline void write_json_string(std::string& out, std::string_view s) {
  NNOCR_CHECK(is_valid_utf8(s), "to_json: string is not valid UTF-8");
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

inline void write_json(std::string& out, const Json& v, int indent, int level) {
  const auto newline = [&](int lvl) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(lvl), ' ');
  };
  switch (v.type()) {
    case JsonType::null: out += "null"; return;
    case JsonType::boolean: out += v.as_bool() ? "true" : "false"; return;
    case JsonType::number:
      if (v.is_integer()) {
        out += std::to_string(v.as_int());
      } else {
        const double d = v.as_double();
        NNOCR_CHECK(std::isfinite(d), "to_json: ", std::isnan(d) ? "NaN" : "an infinity",
                    " cannot be written as JSON");
        out += json_double_text(d);
      }
      return;
    case JsonType::string: write_json_string(out, v.as_string()); return;
    case JsonType::array: {
      const Json::Array& a = v.as_array();
      out += '[';
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        write_json(out, a[i], indent, level + 1);
      }
      if (!a.empty()) newline(level);
      out += ']';
      return;
    }
    case JsonType::object: {
      const Json::Object& o = v.as_object();
      out += '{';
      for (std::size_t i = 0; i < o.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        write_json_string(out, o[i].first);
        out += indent < 0 ? ":" : ": ";
        write_json(out, o[i].second, indent, level + 1);
      }
      if (!o.empty()) newline(level);
      out += '}';
      return;
    }
  }
}

}  // namespace detail

// Parses one JSON document (RFC 8259, strict; see the top of this file).
// `where` names the input in errors: "<where>: byte <offset>: <problem>".
inline Json parse_json(std::string_view text, const std::string& where = "JSON", const JsonLimits& limits = {}) {
  return detail::JsonParser(text, where, limits).parse_document();
}

// Writes `value` as JSON text: compact when indent < 0, otherwise one
// member per line indented by `indent` spaces per level. Numbers round-trip
// (int64 exactly, doubles in the fewest digits that read back the same).
// Throws nnocr::Error for NaN, infinities and strings that are not UTF-8.
inline std::string to_json(const Json& value, int indent) {
  std::string out;
  detail::write_json(out, value, indent, 0);
  return out;
}

}  // namespace nnocr::io
