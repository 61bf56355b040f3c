// The strict JSON reader and writer: round trips, exact int64, shortest
// doubles, escapes and UTF-8, and one check per rejected input with the
// byte offset the error names.
#include <doctest/doctest.h>

#include <nnocr/io/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

using namespace nnocr;
using namespace nnocr::io;

namespace {

// The error message for parsing `text` (where = "t"), or "" if it parsed.
std::string json_error(std::string_view text, const JsonLimits& limits = {}) {
  try {
    parse_json(text, "t", limits);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("JSON: values parse to the right types and round-trip") {
  const Json j = parse_json(R"( {"n": null, "t": true, "f": false, "i": -42, "d": 2.5, "s": "x",
                                 "a": [1, [2, []], {}], "o": {"k": "v"}} )");
  REQUIRE(j.is_object());
  CHECK(j.size() == 8);
  CHECK(j.at("n").is_null());
  CHECK(j.at("t").as_bool() == true);
  CHECK(j.at("f").as_bool() == false);
  CHECK(j.at("i").is_integer());
  CHECK(j.at("i").as_int() == -42);
  CHECK(j.at("i").as_double() == -42.0);
  CHECK(!j.at("d").is_integer());
  CHECK(j.at("d").as_double() == 2.5);
  CHECK(j.at("s").as_string() == "x");
  CHECK(j.at("a").as_array().size() == 3);
  CHECK(j.at("a").at(std::size_t{1}).at(std::size_t{1}).as_array().empty());
  CHECK(j.at("o").at("k").as_string() == "v");

  const std::string compact = to_json(j);
  CHECK(compact == R"({"n":null,"t":true,"f":false,"i":-42,"d":2.5,"s":"x","a":[1,[2,[]],{}],"o":{"k":"v"}})");
  CHECK(parse_json(compact) == j);
  CHECK(parse_json(to_json(j, 2)) == j);
  CHECK(to_json(parse_json(R"({"a":[1,{}],"b":{"c":[]}})"), 2) ==
        "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {\n    \"c\": []\n  }\n}");
  CHECK(to_json(parse_json("[1,2]"), 0) == "[\n1,\n2\n]");
}

TEST_CASE("JSON: objects keep insertion order; builders and lookups") {
  Json o = Json::object();
  o.set("zeta", 1).set("alpha", "two").set("mid", Json::array());
  o.at("mid").push_back(3).push_back(4.5).push_back(nullptr).push_back(false);
  CHECK(to_json(o) == R"({"zeta":1,"alpha":"two","mid":[3,4.5,null,false]})");
  o.set("zeta", 9);  // replaces in place
  CHECK(to_json(o) == R"({"zeta":9,"alpha":"two","mid":[3,4.5,null,false]})");
  CHECK(o.find("alpha") != nullptr);
  CHECK(o.find("beta") == nullptr);
  CHECK(o["alpha"]->as_string() == "two");
  CHECK(o["nope"] == nullptr);
  CHECK(o.contains("mid"));
  CHECK_THROWS_WITH_AS(o.at("beta"), "JSON: missing key 'beta'", Error);
  CHECK_THROWS_WITH_AS(o.at("mid").at(std::size_t{4}), doctest::Contains("index 4 out of range"), Error);
  CHECK(parse_json(R"({"b":1,"a":2})").as_object()[0].first == "b");
  CHECK(parse_json(R"({"a":1,"b":2})") != parse_json(R"({"b":2,"a":1})"));
  CHECK(Json(2) == Json(2.0));
  CHECK(Json("x") != Json(1));
}

TEST_CASE("JSON: accessors name the wrong type") {
  const Json j = parse_json(R"({"n": 12, "s": "hello", "a": [1, 2]})");
  CHECK_THROWS_WITH_AS(j.at("n").as_string(), "JSON: expected a string, got the number 12", Error);
  CHECK_THROWS_WITH_AS(j.at("s").as_int(), "JSON: expected an integer, got the string \"hello\"", Error);
  CHECK_THROWS_WITH_AS(j.at("a").as_object(), "JSON: expected an object, got an array of 2 elements", Error);
  CHECK_THROWS_WITH_AS(j.as_array(), "JSON: expected an array, got an object of 3 members", Error);
  CHECK_THROWS_WITH_AS(j.at("n").as_bool(), doctest::Contains("expected a boolean"), Error);
  CHECK_THROWS_WITH_AS(j.at("s").as_double(), doctest::Contains("expected a number"), Error);
  CHECK_THROWS_WITH_AS(Json().find("x"), "JSON: expected an object, got null", Error);
  CHECK_THROWS_WITH_AS(j.at("n").size(), doctest::Contains("expected an array or an object"), Error);
  CHECK_THROWS_WITH_AS(Json::array().set("k", 1), doctest::Contains("expected an object"), Error);
  CHECK_THROWS_WITH_AS(Json::object().push_back(1), doctest::Contains("expected an array"), Error);
  // Only integer literals are integers: sizes written as 2.0 or 1e3 are refused.
  CHECK_THROWS_WITH_AS(parse_json("2.0").as_int(), "JSON: expected an integer, got the number 2.0", Error);
  CHECK_THROWS_AS(parse_json("1e3").as_int(), Error);
}

TEST_CASE("JSON: integers round-trip exactly through int64") {
  for (const char* text : {"0", "-1", "9007199254740993", "9223372036854775807", "-9223372036854775808"}) {
    CAPTURE(text);
    const Json j = parse_json(text);
    CHECK(j.is_integer());
    CHECK(to_json(j) == text);
  }
  CHECK(parse_json("9007199254740993").as_int() == 9007199254740993LL);  // not representable as a double
  CHECK(parse_json("-9223372036854775808").as_int() == std::numeric_limits<std::int64_t>::min());
  // Beyond int64: a double.
  const Json big = parse_json("9223372036854775808");
  CHECK(!big.is_integer());
  CHECK(big.as_double() == 9223372036854775808.0);
  CHECK(!parse_json("-9223372036854775809").is_integer());
  CHECK(parse_json("-0").as_int() == 0);
  CHECK(Json(std::uint64_t{1} << 62).as_int() == std::int64_t{1} << 62);
  const std::uint64_t too_big = std::numeric_limits<std::uint64_t>::max();
  CHECK_THROWS_WITH_AS(Json{too_big}, "JSON: integer 18446744073709551615 does not fit in int64", Error);
}

TEST_CASE("JSON: doubles are written in the fewest digits that read back exactly") {
  CHECK(to_json(Json(0.1)) == "0.1");
  CHECK(to_json(Json(3.0)) == "3.0");  // stays a double when read back
  CHECK(to_json(Json(-0.0)) == "-0.0");
  CHECK(to_json(Json(1e20)) == "1e+20");
  CHECK(to_json(Json(0.5f)) == "0.5");
  for (double d : {0.1, 1.0 / 3.0, 2.5e-308, 4.9406564584124654e-324, 1.7976931348623157e308, -123456.789, 1e-7,
                   6.02214076e23}) {
    CAPTURE(d);
    const Json back = parse_json(to_json(Json(d)));
    CHECK(!back.is_integer());
    CHECK(back.as_double() == d);
  }
  CHECK(parse_json("1E2").as_double() == 100.0);
  CHECK(parse_json("-1.5e-3").as_double() == -0.0015);
  CHECK(parse_json("2e+3").as_double() == 2000.0);
  CHECK_THROWS_WITH_AS(to_json(Json(std::nan(""))), "to_json: NaN cannot be written as JSON", Error);
  CHECK_THROWS_WITH_AS(to_json(Json(-HUGE_VAL)), "to_json: an infinity cannot be written as JSON", Error);
  Json a = Json::array();
  a.push_back(std::numeric_limits<double>::infinity());
  CHECK_THROWS_AS(to_json(a), Error);
}

TEST_CASE("JSON: strings, escapes and UTF-8") {
  CHECK(parse_json(R"("a\"b\\c\/d\b\f\n\r\t")").as_string() == "a\"b\\c/d\b\f\n\r\t");
  CHECK(parse_json(R"("\u00e9\u20AC")").as_string() == "\xC3\xA9\xE2\x82\xAC");               // é€
  CHECK(parse_json(R"("\ud83d\ude00")").as_string() == "\xF0\x9F\x98\x80");                    // U+1F600
  CHECK(parse_json(R"("\uDBFF\uDFFF")").as_string() == "\xF4\x8F\xBF\xBF");                    // U+10FFFF
  CHECK(parse_json(R"("\u0000")").as_string() == std::string(1, '\0'));
  CHECK(parse_json("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"").as_string() == "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");

  // The writer escapes quotes, backslashes and control characters, and
  // keeps other UTF-8 as it is.
  const std::string s = std::string("q\"b\\n\n\x01\x1f\x7f\xC3\xA9/") + std::string(1, '\0');
  CHECK(to_json(Json(s)) == "\"q\\\"b\\\\n\\n\\u0001\\u001f\x7f\xC3\xA9/\\u0000\"");
  CHECK(parse_json(to_json(Json(s))).as_string() == s);
  CHECK_THROWS_WITH_AS(to_json(Json("\xC3")), "to_json: string is not valid UTF-8", Error);
  Json bad_key = Json::object();
  bad_key.set("\xFF", 1);
  CHECK_THROWS_AS(to_json(bad_key), Error);
}

TEST_CASE("JSON: every rejected input names the byte offset") {
  // Commas, colons, brackets.
  CHECK(json_error("[1,]") == "t: byte 2: trailing comma before ']'");
  CHECK(json_error(R"({"a":1,})") == "t: byte 6: trailing comma before '}'");
  CHECK(json_error("[1 2]") == "t: byte 3: expected ',' or ']', got character '2'");
  CHECK(json_error(R"({"a":1 "b":2})") == "t: byte 7: expected ',' or '}', got character '\"'");
  CHECK(json_error(R"({"a" 1})") == "t: byte 5: expected ':' after the key, got character '1'");
  CHECK(json_error("{a:1}") == "t: byte 1: expected a string key, got character 'a'");
  CHECK(json_error("[1,2") == "t: byte 4: expected ',' or ']', got end of input");
  CHECK(json_error("{") == "t: byte 1: unexpected end of input, expected a key or '}'");
  CHECK(json_error("[,1]") == "t: byte 1: unexpected character ',', expected a value");
  CHECK(json_error("") == "t: byte 0: unexpected end of input, expected a value");
  CHECK(json_error("  \n ") == "t: byte 4: unexpected end of input, expected a value");

  // Things other JSON dialects allow.
  CHECK(json_error("[1] // note") == "t: byte 4: unexpected character '/' after the JSON value");
  CHECK(json_error("/* c */ 1") == "t: byte 0: comments are not allowed in JSON");
  CHECK(json_error("[NaN]") == "t: byte 1: NaN and Infinity are not JSON numbers");
  CHECK(json_error("Infinity") == "t: byte 0: NaN and Infinity are not JSON numbers");
  CHECK(json_error("[-Infinity]") == "t: byte 1: NaN and Infinity are not JSON numbers");
  CHECK(json_error("'a'") == "t: byte 0: strings must use double quotes");
  CHECK(json_error("\xEF\xBB\xBF{}") == "t: byte 0: unexpected byte 0xEF, expected a value");  // BOM
  CHECK(json_error("{} x") == "t: byte 3: unexpected character 'x' after the JSON value");
  CHECK(json_error("[1] [2]") == "t: byte 4: unexpected character '[' after the JSON value");
  CHECK(json_error("1\x0b") == "t: byte 1: unexpected byte 0x0B after the JSON value");  // vertical tab

  // Literals.
  CHECK(json_error("tru") == "t: byte 0: invalid literal, expected 'true'");
  CHECK(json_error("nul") == "t: byte 0: invalid literal, expected 'null'");
  CHECK(json_error("True") == "t: byte 0: unexpected character 'T', expected a value");
  CHECK(json_error("falsey") == "t: byte 5: unexpected character 'y' after the JSON value");

  // Numbers.
  CHECK(json_error("01") == "t: byte 0: leading zeros are not allowed in JSON numbers");
  CHECK(json_error("[-012]") == "t: byte 1: leading zeros are not allowed in JSON numbers");
  CHECK(json_error("1.") == "t: byte 2: expected a digit after '.'");
  CHECK(json_error("1.e5") == "t: byte 2: expected a digit after '.'");
  CHECK(json_error(".5") == "t: byte 0: unexpected character '.', expected a value");
  CHECK(json_error("+1") == "t: byte 0: unexpected character '+', expected a value");
  CHECK(json_error("-") == "t: byte 1: expected a digit after '-'");
  CHECK(json_error("1e") == "t: byte 2: expected a digit in the exponent");
  CHECK(json_error("1e+") == "t: byte 3: expected a digit in the exponent");
  CHECK(json_error("0x10") == "t: byte 1: unexpected character 'x' after the JSON value");
  CHECK(json_error("[1e400]") == "t: byte 1: number 1e400 is out of the range of a double");

  // Strings.
  CHECK(json_error("\"abc") == "t: byte 4: unexpected end of input in a string");
  CHECK(json_error("\"a\nb\"") == "t: byte 2: control character byte 0x0A in a string must be escaped");
  CHECK(json_error("\"a\tb\"") == "t: byte 2: control character byte 0x09 in a string must be escaped");
  CHECK(json_error(R"("\x41")") == "t: byte 1: invalid escape: backslash followed by character 'x'");
  CHECK(json_error(R"("\')") == "t: byte 1: invalid escape: backslash followed by character '''");
  CHECK(json_error(R"("\u12G4")") == "t: byte 5: invalid \\u escape: expected 4 hex digits, got character 'G'");
  CHECK(json_error(R"("\u12")") == "t: byte 5: invalid \\u escape: expected 4 hex digits, got character '\"'");
  CHECK(json_error(R"("\ud800")") == "t: byte 1: unpaired high surrogate in a \\u escape");
  CHECK(json_error(R"("\ud800x")") == "t: byte 1: unpaired high surrogate in a \\u escape");
  CHECK(json_error(R"("\ud800\u0041")") == "t: byte 1: high surrogate not followed by a low surrogate");
  CHECK(json_error(R"("ab\udc00")") == "t: byte 3: unpaired low surrogate in a \\u escape");
  CHECK(json_error("\"a\xC3(\"") == "t: byte 2: invalid UTF-8 (byte 0xC3) in a string");           // bad continuation
  CHECK(json_error("\"\xC0\xAF\"") == "t: byte 1: invalid UTF-8 (byte 0xC0) in a string");         // overlong '/'
  CHECK(json_error("\"\xE0\x80\xAF\"") == "t: byte 1: invalid UTF-8 (byte 0xE0) in a string");     // overlong
  CHECK(json_error("\"\xED\xA0\x80\"") == "t: byte 1: invalid UTF-8 (byte 0xED) in a string");     // surrogate
  CHECK(json_error("\"\xF4\x90\x80\x80\"") == "t: byte 1: invalid UTF-8 (byte 0xF4) in a string"); // > U+10FFFF
  CHECK(json_error("\"\xF5\x80\x80\x80\"") == "t: byte 1: invalid UTF-8 (byte 0xF5) in a string");
  CHECK(json_error("\"\x80\"") == "t: byte 1: invalid UTF-8 (byte 0x80) in a string");             // lone continuation
  CHECK(json_error("\"\xE2\x82\"") == "t: byte 1: invalid UTF-8 (byte 0xE2) in a string");         // truncated
  CHECK(json_error("\"\xF0\x9F\x98") == "t: byte 1: invalid UTF-8 (byte 0xF0) in a string");       // truncated at end

  // Duplicate keys, at any depth.
  CHECK(json_error(R"({"a":1,"a":2})") == "t: byte 7: duplicate key 'a'");
  CHECK(json_error(R"({"x":{"k":1, "k":1}})") == "t: byte 13: duplicate key 'k'");
  CHECK(json_error(R"({"\u0061":1,"a":2})").find("duplicate key 'a'") != std::string::npos);  // same after unescaping
}

TEST_CASE("JSON: depth and size limits") {
  const auto nested = [](int depth) { return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'); };
  CHECK(json_error(nested(64)).empty());
  CHECK(json_error(nested(65)) == "t: byte 64: nesting deeper than the limit of 64");
  CHECK(json_error(nested(100000)) == "t: byte 64: nesting deeper than the limit of 64");  // no stack overflow
  JsonLimits shallow;
  shallow.max_depth = 2;
  CHECK(json_error(R"({"a":[1]})", shallow).empty());
  CHECK(json_error(R"({"a":[{}]})", shallow) == "t: byte 6: nesting deeper than the limit of 2");
  JsonLimits small;
  small.max_bytes = 8;
  CHECK(json_error("[1,2,3]", small).empty());
  CHECK(json_error("[1,2,3,4]", small) == "t: 9 bytes exceeds the limit of 8 bytes");
}

TEST_CASE("JSON: error messages carry the caller's name for the input") {
  try {
    parse_json(R"({"a":1 "b":2})", "model.safetensors header");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "model.safetensors header: byte 7: expected ',' or '}', got character '\"'");
  }
  CHECK(contains(json_error("[1,]"), "byte 2"));
}
