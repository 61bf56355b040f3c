#include "test_util.hpp"

#include <nnocr/core/rng.hpp>
#include <nnocr/data/charset.hpp>
#include <nnocr/data/utf8.hpp>

#include <string>
#include <vector>

using namespace nnocr;
using namespace nnocr::data;

namespace {

// The error message of decoding s (empty when it decodes).
std::string utf8_error(const std::string& s) {
  try {
    decode_utf8(s, "sample.txt");
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// A lax decoder of one sequence of 1 to 4 bytes (any lead, any value): the
// reference for "valid" is "decodes laxly to a scalar value whose strict
// encoding is exactly these bytes".
bool valid_by_reencoding(const std::string& s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t n = b0 < 0x80 ? 1 : b0 >= 0xC0 && b0 < 0xE0 ? 2 : b0 >= 0xE0 && b0 < 0xF0 ? 3 : b0 >= 0xF0 && b0 < 0xF8 ? 4 : 0;
  if (n == 0 || n != s.size()) return false;
  char32_t cp = n == 1 ? b0 : b0 & (0xFF >> (n + 1));
  for (std::size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  return is_scalar_value(cp) && encode_utf8(cp) == s;
}

// The reference validity of any string: cut it where the lead bytes say
// and check every piece by re-encoding.
bool reference_valid(const std::string& s) {
  for (std::size_t p = 0; p < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[p]);
    const std::size_t n = b0 < 0x80 ? 1 : b0 >= 0xC0 && b0 < 0xE0 ? 2 : b0 >= 0xE0 && b0 < 0xF0 ? 3 : b0 >= 0xF0 && b0 < 0xF8 ? 4 : 0;
    if (n == 0 || p + n > s.size() || !valid_by_reencoding(s.substr(p, n))) return false;
    p += n;
  }
  return true;
}

Charset abc() { return Charset::from_characters("abc"); }

}  // namespace

TEST_CASE("utf8: code points at every length boundary decode and encode") {
  const std::vector<std::pair<std::string, char32_t>> cases = {
      {"\x00", 0x0},          {"\x7F", 0x7F},          {"\xC2\x80", 0x80},          {"\xDF\xBF", 0x7FF},
      {"\xE0\xA0\x80", 0x800}, {"\xED\x9F\xBF", 0xD7FF}, {"\xEE\x80\x80", 0xE000},    {"\xEF\xBF\xBF", 0xFFFF},
      {"\xF0\x90\x80\x80", 0x10000}, {"\xF4\x8F\xBF\xBF", 0x10FFFF}};
  for (const auto& c : cases) {
    const char32_t cp = c.second;
    const std::string s = cp == 0 ? std::string(1, '\0') : c.first;
    const std::string name = code_point_name(cp);
    CAPTURE(name);
    const auto cps = decode_utf8(s, "t");
    REQUIRE(cps.size() == 1);
    CHECK(cps[0] == cp);
    CHECK(encode_utf8(cp) == s);
    CHECK(is_valid_utf8(s));
  }
  CHECK(decode_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "t") == std::vector<char32_t>{U'a', 0xE9, 0x20AC, 0x1F600});
  CHECK(encode_utf8(std::vector<char32_t>{U'a', 0xE9, 0x20AC, 0x1F600}) == "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  CHECK(code_point_name(0x41) == "U+0041");
  CHECK(code_point_name(0x1F600) == "U+1F600");
}

TEST_CASE("utf8: every scalar value round-trips; surrogates and values above U+10FFFF do not encode") {
  std::string all;
  for (char32_t cp = 0; cp <= kMaxCodePoint; ++cp)
    if (is_scalar_value(cp)) append_utf8(all, cp);
  const auto cps = decode_utf8(all, "all");
  CHECK(cps.size() == 0x110000 - 0x800);
  char32_t expected = 0;
  bool in_order = true;
  for (char32_t cp : cps) {
    if (expected == 0xD800) expected = 0xE000;
    in_order = in_order && cp == expected++;
  }
  CHECK(in_order);
  CHECK(encode_utf8(cps) == all);
  CHECK_THROWS_WITH_AS(encode_utf8(char32_t{0xD800}), doctest::Contains("U+D800 is a surrogate"), Error);
  CHECK_THROWS_WITH_AS(encode_utf8(char32_t{0x110000}), doctest::Contains("above U+10FFFF"), Error);
}

TEST_CASE("utf8: malformed sequences are rejected with the reason and the byte offset") {
  CHECK(utf8_error("ab\xC0\x80").find("sample.txt: invalid UTF-8 at byte 2: overlong") != std::string::npos);
  CHECK(utf8_error("\xE0\x80\x80").find("byte 0: overlong") != std::string::npos);
  CHECK(utf8_error("\xF0\x8F\xBF\xBF").find("overlong") != std::string::npos);
  CHECK(utf8_error("x\xED\xA0\x80").find("byte 1: encoded surrogate") != std::string::npos);
  CHECK(utf8_error("\xED\xBF\xBF").find("surrogate") != std::string::npos);
  CHECK(utf8_error("\xF4\x90\x80\x80").find("above U+10FFFF") != std::string::npos);
  CHECK(utf8_error("\xF5\x80\x80\x80").find("invalid byte 0xF5") != std::string::npos);
  CHECK(utf8_error("\xFF").find("invalid byte 0xFF") != std::string::npos);
  CHECK(utf8_error("abc\x80").find("byte 3: unexpected continuation byte 0x80") != std::string::npos);
  CHECK(utf8_error("ok \xE2\x82").find("byte 3: truncated 3-byte sequence at the end") != std::string::npos);
  CHECK(utf8_error("\xE2\x82" "A").find("byte 0x41 at offset 2 is not a continuation byte") != std::string::npos);
  CHECK(utf8_error("\xF0\x9F\x98").find("truncated 4-byte") != std::string::npos);
  std::size_t offset = 99;
  CHECK_FALSE(is_valid_utf8("hello \xC3", &offset));
  CHECK(offset == 6);
  CHECK(is_valid_utf8(""));
}

TEST_CASE("utf8: the strict decoder agrees with a re-encoding reference on random and exhaustive inputs") {
  // All one- and two-byte strings, then random three- and four-byte ones
  // biased towards the interesting lead bytes.
  for (int a = 0; a < 256; ++a) {
    const std::string s1(1, static_cast<char>(a));
    CHECK(is_valid_utf8(s1) == reference_valid(s1));
    for (int b = 0; b < 256; ++b) {
      const std::string s2{static_cast<char>(a), static_cast<char>(b)};
      if (is_valid_utf8(s2) != reference_valid(s2)) FAIL_CHECK("disagreement on ", a, " ", b);
    }
  }
  Rng rng(7);
  int disagreements = 0;
  for (int i = 0; i < 400000; ++i) {
    const std::size_t n = 3 + (i & 1);
    std::string s(n, '\0');
    s[0] = static_cast<char>(0xE0 + rng.uniform_index(32));
    for (std::size_t k = 1; k < n; ++k)
      s[k] = static_cast<char>(rng.bernoulli(0.9) ? 0x80 + rng.uniform_index(64) : rng.uniform_index(256));
    disagreements += is_valid_utf8(s) != reference_valid(s);
  }
  CHECK(disagreements == 0);
}

TEST_CASE("charset: ids follow the given order, 0 is the blank") {
  const Charset cs = abc();
  CHECK(cs.size() == 4);
  CHECK(cs.num_characters() == 3);
  CHECK(cs.encode("cab") == std::vector<std::int32_t>{3, 1, 2});
  CHECK(cs.decode({3, 0, 1, 2, 0}) == "cab");
  CHECK(cs.entry(Charset::blank).empty());
  CHECK(cs.entry(2) == "b");
  CHECK(cs.id_of(U'c') == 3);
  CHECK(cs.id_of(U'z') == -1);
  CHECK(cs.encode("").empty());
  CHECK_THROWS_WITH_AS(cs.decode({1, 4}), doctest::Contains("id 4 at position 1 is out of range [0, 4)"), Error);
  CHECK_THROWS_WITH_AS(cs.decode({-1}), doctest::Contains("out of range"), Error);
  CHECK_THROWS_WITH_AS(Charset::from_characters("abca"), doctest::Contains("U+0061 'a' occurs twice"), Error);
  CHECK_THROWS_WITH_AS(Charset::from_list({"a", ""}), doctest::Contains("empty entry"), Error);
  CHECK_THROWS_WITH_AS(Charset::from_characters("a\xFF"), doctest::Contains("invalid UTF-8 at byte 1"), Error);
  CHECK(Charset().size() == 1);
}

TEST_CASE("charset: from_texts sorts by code point, whatever the order of the texts") {
  const Charset a = Charset::from_texts({"b\xC3\xA9" "a", "c a"});
  const Charset b = Charset::from_texts({"c a", "ab", "\xC3\xA9"});
  CHECK(a == b);
  CHECK(a.size() == 6);  // blank, ' ', a, b, c, é
  CHECK(a.decode({1, 2, 3, 4, 5}) == " abc\xC3\xA9");
  CHECK_THROWS_WITH_AS(Charset::from_texts({"ok", "bad \xC0"}), doctest::Contains("text 1: invalid UTF-8 at byte 4"),
                       Error);
}

TEST_CASE("charset: the default holds printable ASCII and common typography, in code point order") {
  const Charset cs = Charset::printable_ascii_plus_typographic();
  CHECK(cs.size() == 132);
  CHECK(cs.id_of(U' ') == 1);
  CHECK(cs.id_of(U'~') == 95);
  for (char32_t c : {U'\u2014', U'\u2013', U'\u2018', U'\u2019', U'\u201C', U'\u201D', U'\u2026', U'\u2022',
                     U'\u20AC', U'\u00A3', U'\u00A5', U'\u00A9', U'\u00AE', U'\u00B0', U'\u00B1', U'\u00D7',
                     U'\u00F7', U'\u00A7', U'\u00B6', U'\u00BD', U'\u00BC', U'\u00BE', U'\u00A2'}) {
    CAPTURE(code_point_name(c));
    CHECK(cs.contains(c));
  }
  // ASCII look-alikes stay out.
  CHECK_FALSE(cs.contains(0xA0));
  CHECK_FALSE(cs.contains(0x2212));
  for (std::int32_t id = 2; id < cs.size(); ++id)
    CHECK(decode_utf8(cs.entry(id - 1), "e")[0] < decode_utf8(cs.entry(id), "e")[0]);
  CHECK(cs == Charset::from_texts({cs.decode([&] {
          std::vector<std::int32_t> all;
          for (std::int32_t id = cs.size() - 1; id >= 1; --id) all.push_back(id);
          return all;
        }())}));
  const std::string price = "\xE2\x80\x9CIt costs \xE2\x82\xAC" "12.50\xE2\x80\x94 or \xC2\xA3" "10\xE2\x80\xA6\xE2\x80\x9D";
  CHECK(cs.decode(cs.encode(price)) == price);
}

TEST_CASE("charset: unknown characters are errors naming U+XXXX and the text, or are skipped and counted") {
  const Charset cs = abc();
  try {
    cs.encode("ab\xC3\xA9" "c");
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find("unknown character U+00E9 '\xC3\xA9' at byte 2") != std::string::npos);
    CHECK(what.find("\"ab\xC3\xA9" "c\"") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(cs.encode("a\tb"), doctest::Contains("U+0009 at byte 1"), Error);  // no glyph for controls
  std::int64_t skipped = -1;
  CHECK(cs.encode("xaybz", UnknownPolicy::skip, &skipped) == std::vector<std::int32_t>{1, 2});
  CHECK(skipped == 3);
  CHECK_THROWS_WITH_AS(cs.encode("a\xE2\x82", UnknownPolicy::skip), doctest::Contains("invalid UTF-8 at byte 1"),
                       Error);
  // Long texts are cut in the message.
  const std::string long_text = std::string(500, 'a') + "!";
  try {
    cs.encode(long_text);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("(501 bytes)") != std::string::npos);
    CHECK(std::string(e.what()).size() < 300);
  }
}

TEST_CASE("charset: a report of the characters it does not know") {
  const Charset cs = abc();
  const UnknownReport r = cs.unknown_characters({"abc", "abx", "xxy", "c"});
  CHECK(r.total == 4);
  CHECK(r.texts == 2);
  CHECK(r.counts.size() == 2);
  CHECK(r.counts.at(U'x') == 3);
  CHECK(r.counts.at(U'y') == 1);
  CHECK(r.str() == "4 unknown characters (2 distinct) in 2 texts: U+0078 'x' x3, U+0079 'y' x1");
  CHECK(r.str(1) == "4 unknown characters (2 distinct) in 2 texts: U+0078 'x' x3, ...");
  CHECK(cs.unknown_characters({"cab"}).empty());
  CHECK(cs.unknown_characters({}).str() == "no unknown characters");
}

TEST_CASE("charset: to_string/from_string round-trip any entries on one line") {
  const std::vector<std::string> entries = {
      " ", "\\", "\"", "'", "\\s", "\\u{41}", "\t", "\x7F", "\xC2\x85", "\xE2\x80\xA8", "\xF0\x9F\x98\x80",
      "a", "{", "}", "nnocr-charset-1", "\xEF\xAC\x81", "e\xCC\x81", "\xC2\xA0"};
  const Charset cs = Charset::from_list(entries);
  const std::string s = cs.to_string();
  CHECK(s.find('\n') == std::string::npos);
  CHECK(s.find('\r') == std::string::npos);
  CHECK(s.find('\t') == std::string::npos);
  CHECK(is_valid_utf8(s));
  const Charset back = Charset::from_string(s);
  CHECK(back == cs);
  for (std::int32_t id = 1; id < back.size(); ++id) CHECK(back.entry(id) == entries[static_cast<std::size_t>(id - 1)]);
  CHECK(Charset::from_characters("ab c").to_string() == "nnocr-charset-1 a b \\s c");
  CHECK(Charset::from_string("nnocr-charset-1") == Charset());
  const Charset def = Charset::printable_ascii_plus_typographic();
  CHECK(Charset::from_string(def.to_string()) == def);

  for (const std::string bad : {"", "charset a b", "nnocr-charset-1 a  b", "nnocr-charset-1 a b ", "nnocr-charset-1 \\q",
                                "nnocr-charset-1 \\", "nnocr-charset-1 \\u{}", "nnocr-charset-1 \\u{D800}",
                                "nnocr-charset-1 \\u{1234567}", "nnocr-charset-1 \\u{12", "nnocr-charset-1 \\u{g}",
                                "nnocr-charset-1 a a", "nnocr-charset-1 a\tb", "nnocr-charset-1 \xC0\x80",
                                "nnocr-charset-1x"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(Charset::from_string(bad), Error);
  }
  CHECK_THROWS_WITH_AS(Charset::from_string("nnocr-charset-1 a  b"), doctest::Contains("empty entry at byte 18"),
                       Error);
}

TEST_CASE("charset: extend appends new characters and keeps existing ids") {
  Charset cs = abc();
  const Charset other = Charset::from_characters("dcbe");
  CHECK(cs.extend(other) == 2);
  CHECK(cs.size() == 6);
  CHECK(cs.encode("abcde") == std::vector<std::int32_t>{1, 2, 3, 4, 5});
  CHECK(cs.extend(other) == 0);
  CHECK(cs.extend(Charset::printable_ascii_plus_typographic()) == 131 - 5);
  CHECK(cs.id_of(U'a') == 1);
}

TEST_CASE("charset: entries of several code points match longest first") {
  const Charset cs = Charset::from_list({"f", "i", "fi", "ffi", "e\xCC\x81"});
  CHECK(cs.encode("fifffi") == std::vector<std::int32_t>{3, 1, 4});
  CHECK(cs.encode("fe\xCC\x81") == std::vector<std::int32_t>{1, 5});
  CHECK(cs.decode({3, 1, 4}) == "fifffi");
  CHECK(cs.id_of(std::string_view("ffi")) == 4);
  CHECK(cs.id_of(std::string_view("ff")) == -1);
  // A combining mark alone is unknown.
  std::int64_t skipped = 0;
  CHECK(cs.encode("\xCC\x81" "f", UnknownPolicy::skip, &skipped) == std::vector<std::int32_t>{1});
  CHECK(skipped == 1);
  CHECK_THROWS_WITH_AS(cs.encode("fie"), doctest::Contains("U+0065 'e' at byte 2"), Error);
  CHECK(cs.unknown_characters({"fe", "ff"}).total == 1);
}
