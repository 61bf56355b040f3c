// safetensors: files built by hand the way PyTorch's safetensors writes
// them, round trips through our writer, F16/BF16 bit patterns, one check
// per rejected file, and core/file.hpp (whole-file reads, atomic writes).
#include <doctest/doctest.h>

#include <nnocr/core/file.hpp>
#include <nnocr/io/safetensors.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace nnocr;
using namespace nnocr::io;
namespace fs = std::filesystem;

namespace {

// A file: the 8-byte little-endian length, `header` padded with spaces to
// `pad_to` bytes (as the reference writer aligns), then `data`.
std::vector<std::uint8_t> make_file(std::string header, const std::vector<std::uint8_t>& data, std::size_t pad_to = 8) {
  if (pad_to > 1) header.append((pad_to - header.size() % pad_to) % pad_to, ' ');
  std::vector<std::uint8_t> out;
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<std::uint8_t> floats_le(std::initializer_list<float> values) {
  std::vector<std::uint8_t> out(values.size() * 4);
  std::size_t i = 0;
  for (float v : values) std::memcpy(out.data() + 4 * i++, &v, 4);
  return out;
}

std::vector<std::uint8_t> zeros(std::size_t n) { return std::vector<std::uint8_t>(n, 0); }

// The error from parsing `header` + `data` as "m.safetensors", or "".
std::string load_error(const std::string& header, const std::vector<std::uint8_t>& data,
                       const SafeTensorsLimits& limits = {}) {
  try {
    parse_safetensors(make_file(header, data), "m.safetensors", limits);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

std::string bytes_error(const std::vector<std::uint8_t>& bytes, const SafeTensorsLimits& limits = {}) {
  try {
    parse_safetensors(bytes, "m.safetensors", limits);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// A fresh, empty folder under the system's temporary folder, removed at the
// end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "nnocr-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float float_from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

TEST_CASE("safetensors: a file laid out as Python's safetensors writes it for PyTorch") {
  // safetensors.torch.save_file({"w": torch.tensor([[1., 2.], [3., 4.]])}, f, metadata={"format": "pt"})
  const std::string header = R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  const auto bytes = make_file(header, floats_le({1, 2, 3, 4}));
  REQUIRE(bytes.size() == 8 + 88 + 16);  // 86-byte header padded to 88
  const SafeTensorsFile f = parse_safetensors(bytes, "pt.safetensors");
  CHECK(f.where() == "pt.safetensors");
  REQUIRE(f.metadata().size() == 1);
  CHECK(f.metadata()[0].first == "format");
  CHECK(*f.find_metadata("format") == "pt");
  CHECK(f.find_metadata("missing") == nullptr);
  REQUIRE(f.size() == 1);
  CHECK(f.has("w"));
  CHECK(!f.has("v"));
  const SafeTensorEntry& e = f.entry("w");
  CHECK(e.dtype == DType::F32);
  CHECK(e.shape == Shape{2, 2});
  CHECK(e.begin == 0);
  CHECK(e.end == 16);
  CHECK(e.nbytes() == 16);
  const Tensor<float> w = f.to_float("w", Shape{2, 2});
  CHECK(w(0, 0) == 1.0f);
  CHECK(w(0, 1) == 2.0f);
  CHECK(w(1, 0) == 3.0f);
  CHECK(w(1, 1) == 4.0f);

  // The same tensor with no metadata, an unpadded header (data not
  // aligned) and a padded one with newlines are all fine.
  const std::string plain = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  CHECK(parse_safetensors(make_file(plain, floats_le({1, 2, 3, 4}), 1), "x").to_float("w")(1, 1) == 4.0f);
  CHECK(parse_safetensors(make_file(plain + "\n\n", floats_le({1, 2, 3, 4}), 1), "x").metadata().empty());
  CHECK(parse_safetensors(make_file(R"({"__metadata__":null})", {}), "x").size() == 0);
}

TEST_CASE("safetensors: writer and reader round trip every supported dtype") {
  SafeTensorsWriter w;
  w.set_metadata("format", "pt");
  w.set_metadata("nnocr.arch", "{\"kind\":\"crnn\"}");
  w.set_metadata("format", "nnocr");  // replaces, keeps its place
  const Tensor<float> a(Shape{2, 3}, {1.5f, -2.0f, 0.0f, 1e-3f, 65504.0f, -1e-8f});
  w.add("a.f32", a);
  w.add("a.f16", a, DType::F16);
  w.add("a.bf16", a, DType::BF16);
  w.add("a.f64", a, DType::F64);
  w.add("a.t", a.transpose(0, 1));  // a non-contiguous view is written row-major
  w.add("ids", Tensor<std::int32_t>(Shape{4}, {7, -1, 0, 2147483647}));
  w.add("big", Tensor<std::int64_t>(Shape{2}, {std::int64_t{1} << 40, -3}));
  w.add("px", Tensor<std::uint8_t>(Shape{1, 1, 3}, {0, 128, 255}));
  w.add("b16", Tensor<bf16>(Shape{2}, {bf16(1.0f), bf16(-0.5f)}));
  w.add("scalar", Tensor<float>(Shape{}, {42.0f}));
  w.add("empty", Tensor<float>(Shape{0, 3}));
  const std::uint16_t halves[] = {0x3c00, 0xc000};
  w.add_raw("raw.f16", DType::F16, Shape{2}, halves, sizeof halves);
  CHECK(w.size() == 12);

  const std::vector<std::uint8_t> bytes = w.bytes();
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<std::size_t>(i)];
  CHECK((8 + n) % 8 == 0);  // the data buffer starts 8-byte aligned
  CHECK(bytes[8] == '{');
  CHECK(bytes[8 + n - 1] == ' ');

  const SafeTensorsFile f = parse_safetensors(bytes, "rt.safetensors");
  REQUIRE(f.metadata().size() == 2);
  CHECK(f.metadata()[0] == std::make_pair(std::string("format"), std::string("nnocr")));
  CHECK(f.metadata()[1].second == "{\"kind\":\"crnn\"}");
  std::vector<std::string> names;
  for (const auto& e : f.entries()) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"a.f32", "a.f16", "a.bf16", "a.f64", "a.t", "ids", "big", "px", "b16",
                                          "scalar", "empty", "raw.f16"});
  CHECK(f.entry("a.f16").dtype == DType::F16);
  CHECK(f.entry("a.bf16").dtype == DType::BF16);
  CHECK(f.entry("a.f64").dtype == DType::F64);
  CHECK(f.entry("b16").dtype == DType::BF16);

  const Tensor<float> f32 = f.to_float("a.f32"), f64 = f.to_float("a.f64");
  const Tensor<float> f16 = f.to_float("a.f16"), b16 = f.to_float("a.bf16");
  for (index_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(f32.data()[i] == a.data()[i]);
    CHECK(f64.data()[i] == a.data()[i]);
    CHECK(f16.data()[i] == f16_to_float(float_to_f16(a.data()[i])));
    CHECK(b16.data()[i] == bf16::to_float(bf16::from_float(a.data()[i])));
  }
  CHECK(f16(1, 1) == 65504.0f);
  CHECK(f16(0, 0) == 1.5f);
  const Tensor<float> t = f.to_float("a.t", Shape{3, 2});
  CHECK(t(0, 1) == a(1, 0));
  CHECK(t(2, 0) == a(0, 2));
  const Tensor<std::int32_t> ids = f.to_int32("ids");
  CHECK(ids(3) == 2147483647);
  CHECK(ids(1) == -1);
  CHECK(f.to_int64("big")(0) == std::int64_t{1} << 40);
  CHECK(f.to_int64("ids")(1) == -1);
  CHECK(f.to_uint8("px")(0, 0, 2) == 255);
  CHECK(f.to_int32("px")(0, 0, 1) == 128);
  CHECK(f.to_float("b16")(1) == -0.5f);
  CHECK(f.to_float("scalar").rank() == 0);
  CHECK(f.to_float("scalar").data()[0] == 42.0f);
  CHECK(f.to_float("empty").shape() == Shape{0, 3});
  CHECK(f.to_float("raw.f16")(1) == -2.0f);

  // The writer's output is the reference layout: compact header, metadata
  // first, tensors in order, padded with spaces.
  SafeTensorsWriter small;
  small.set_metadata("format", "pt");
  small.add("w", Tensor<float>(Shape{2, 2}, {1, 2, 3, 4}));
  CHECK(small.bytes() ==
        make_file(R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})",
                  floats_le({1, 2, 3, 4})));
  CHECK(SafeTensorsWriter().bytes() == make_file("{}", {}));
  CHECK(parse_safetensors(SafeTensorsWriter().bytes(), "empty").size() == 0);
}

TEST_CASE("safetensors: writer errors") {
  SafeTensorsWriter w;
  w.add("x", Tensor<float>(Shape{1}));
  CHECK_THROWS_WITH_AS(w.add("x", Tensor<float>(Shape{1})), "safetensors: tensor 'x' added twice", Error);
  CHECK_THROWS_WITH_AS(w.add("__metadata__", Tensor<float>(Shape{1})), doctest::Contains("is reserved"), Error);
  CHECK_THROWS_WITH_AS(w.add("y", Tensor<float>(Shape{1}), DType::I32), doctest::Contains("not I32"), Error);
  const float two[2] = {1, 2};
  CHECK_THROWS_WITH_AS(w.add_raw("z", DType::F32, Shape{3}, two, sizeof two),
                       "safetensors tensor 'z': 8 bytes given, dtype F32 and shape [3] need 12", Error);
  CHECK_THROWS_WITH_AS(w.add("\xFF", Tensor<float>(Shape{1})), doctest::Contains("not valid UTF-8"), Error);
  CHECK_THROWS_AS(w.set_metadata("k", "\xC3"), Error);
  CHECK(w.size() == 1);
}

TEST_CASE("safetensors: F16 conversions match IEEE binary16 bit patterns") {
  struct Case {
    std::uint16_t half;
    float value;
  };
  const Case exact[] = {
      {0x0000, 0.0f},           {0x8000, -0.0f},          {0x3c00, 1.0f},           {0xbc00, -1.0f},
      {0x4000, 2.0f},           {0xc000, -2.0f},          {0x3800, 0.5f},           {0x3555, 0.333251953125f},
      {0x7bff, 65504.0f},       {0xfbff, -65504.0f},      {0x0400, 6.103515625e-05f},  // smallest normal, 2^-14
      {0x0001, 5.9604644775390625e-08f},  // smallest subnormal, 2^-24
      {0x03ff, 6.097555160522461e-05f},   // largest subnormal
      {0x8001, -5.9604644775390625e-08f}, {0x0200, 3.0517578125e-05f},  {0x4248, 3.140625f},
  };
  for (const Case& c : exact) {
    CAPTURE(c.half);
    CHECK(f16_to_float(c.half) == c.value);
    CHECK(float_bits(f16_to_float(c.half)) == float_bits(c.value));  // the sign of zero too
    CHECK(float_to_f16(c.value) == c.half);
  }
  CHECK(f16_to_float(0x7c00) == std::numeric_limits<float>::infinity());
  CHECK(f16_to_float(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(f16_to_float(0x7e00)));
  CHECK(std::isnan(f16_to_float(0x7c01)));  // signalling NaN stays NaN
  CHECK((float_bits(f16_to_float(0xfe00)) >> 31) == 1u);

  // Rounding to nearest, ties to even.
  CHECK(float_to_f16(0.1f) == 0x2e66);
  CHECK(float_to_f16(65519.0f) == 0x7bff);
  CHECK(float_to_f16(65520.0f) == 0x7c00);  // the tie rounds to even: infinity
  CHECK(float_to_f16(1e10f) == 0x7c00);
  CHECK(float_to_f16(-1e10f) == 0xfc00);
  CHECK(float_to_f16(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK((float_to_f16(std::nanf("")) & 0x7c00) == 0x7c00);
  CHECK((float_to_f16(std::nanf("")) & 0x03ff) != 0);
  CHECK(float_to_f16(1.0f + 1.0f / 2048) == 0x3c00);      // halfway, even below
  CHECK(float_to_f16(1.0f + 3.0f / 2048) == 0x3c02);      // halfway, even above
  CHECK(float_to_f16(1.0f + 1.5f / 2048) == 0x3c01);      // above halfway
  CHECK(float_to_f16(std::ldexp(1.0f, -25)) == 0x0000);   // half the smallest subnormal: tie to zero
  CHECK(float_to_f16(std::ldexp(1.0f, -25) * 1.0001f) == 0x0001);
  CHECK(float_to_f16(std::ldexp(3.0f, -25)) == 0x0002);   // 1.5 subnormal units: tie to even 2
  CHECK(float_to_f16(std::ldexp(5.0f, -25)) == 0x0002);   // 2.5 units: tie to even 2
  CHECK(float_to_f16(std::ldexp(1.0f, -30)) == 0x0000);
  CHECK(float_to_f16(-std::ldexp(1.0f, -30)) == 0x8000);
  CHECK(float_to_f16(std::ldexp(2047.0f, -25)) == 0x0400);  // rounds up into the smallest normal
  CHECK(float_to_f16(std::numeric_limits<float>::denorm_min()) == 0x0000);

  // Every half survives half -> float -> half.
  int mismatches = 0;
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_float(static_cast<std::uint16_t>(h));
    const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    if (nan ? !std::isnan(f) : float_to_f16(f) != h) ++mismatches;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("safetensors: BF16 bit patterns and reading F16/BF16 files") {
  CHECK(bf16::to_float(0x3f80) == 1.0f);
  CHECK(bf16::to_float(0xc000) == -2.0f);
  CHECK(bf16::to_float(0x4049) == 3.140625f);
  CHECK(bf16::to_float(0x7f80) == std::numeric_limits<float>::infinity());
  CHECK(bf16::to_float(0x0001) == float_from_bits(0x00010000));  // a float subnormal
  CHECK(std::isnan(bf16::to_float(0x7fc0)));
  CHECK(bf16::from_float(3.14159265f) == 0x4049);

  // F16 [1, 2, 3]: 1.0, -2.0, smallest subnormal; BF16 [3]: 1.0, 3.140625, -inf.
  const std::vector<std::uint8_t> data = {0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x80, 0x3f, 0x49, 0x40, 0x80, 0xff};
  const auto bytes = make_file(R"({"h":{"dtype":"F16","shape":[1,3],"data_offsets":[0,6]},)"
                               R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[6,12]}})",
                               data);
  const SafeTensorsFile f = parse_safetensors(bytes, "half.safetensors");
  const Tensor<float> h = f.to_float("h");
  CHECK(h(0, 0) == 1.0f);
  CHECK(h(0, 1) == -2.0f);
  CHECK(h(0, 2) == std::ldexp(1.0f, -24));
  const Tensor<float> b = f.to_float("b");
  CHECK(b(0) == 1.0f);
  CHECK(b(1) == 3.140625f);
  CHECK(b(2) == -std::numeric_limits<float>::infinity());
}

TEST_CASE("safetensors: the layout around the header is checked") {
  CHECK(bytes_error({}) ==
        "m.safetensors: 0 bytes is too short for a safetensors file (it starts with an 8-byte header length)");
  CHECK(bytes_error({1, 0, 0}).find("3 bytes is too short") != std::string::npos);
  auto bytes = make_file("{}", {});
  bytes[0] = 200;
  CHECK(bytes_error(bytes) == "m.safetensors: header length 200 is past the end of the file (8 bytes follow the length)");
  bytes[0] = 0, bytes[7] = 0x80;  // 2^63
  CHECK(bytes_error(bytes) ==
        "m.safetensors: header length 9223372036854775808 exceeds the limit of 100000000 bytes");
  SafeTensorsLimits small;
  small.max_header_bytes = 4;
  CHECK(bytes_error(make_file("{}", {}), small) == "m.safetensors: header length 8 exceeds the limit of 4 bytes");
  SafeTensorsLimits tiny_file;
  tiny_file.max_total_bytes = 20;
  CHECK(bytes_error(make_file(R"({"w":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", zeros(8)), tiny_file)
            .find("bytes exceeds the limit of 20 bytes") != std::string::npos);
  CHECK(load_error("", {}) == "m.safetensors header: byte 0: the header must be a JSON object starting with '{'");
  CHECK(load_error("[1, 2]", {}) == "m.safetensors header: byte 0: the header must be a JSON object starting with '{'");
  CHECK(load_error(" {}", {}) == "m.safetensors header: byte 0: the header must be a JSON object starting with '{'");
}

TEST_CASE("safetensors: a header that is not valid JSON gets the JSON error with its offset") {
  CHECK(load_error(R"({"w":{"dtype":"F32" "shape":[1]}})", {}) ==
        "m.safetensors header: byte 20: expected ',' or '}', got character '\"'");
  CHECK(load_error(R"({"w":{},})", {}) == "m.safetensors header: byte 7: trailing comma before '}'");
  CHECK(load_error("{\"\xC3\x28\":{}}", {}) == "m.safetensors header: byte 2: invalid UTF-8 (byte 0xC3) in a string");
  CHECK(load_error(R"({"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":{}})", zeros(4)) ==
        "m.safetensors header: byte 53: duplicate key 'w'");
  CHECK(load_error(R"({"w":1} x)", {}) == "m.safetensors header: byte 8: unexpected character 'x' after the JSON value");
  // Padding must be whitespace; a NUL is not.
  CHECK(load_error(std::string("{}") + std::string(6, '\0'), {}) ==
        "m.safetensors header: byte 2: unexpected byte 0x00 after the JSON value");
}

TEST_CASE("safetensors: every field of a tensor entry is checked") {
  const auto ok_data = zeros(16);
  const std::string pre = R"({"w":)";
  const auto entry_error = [&](const std::string& entry, const std::vector<std::uint8_t>& data) {
    return load_error(pre + entry + "}", data);
  };
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})", ok_data).empty());

  CHECK(entry_error("3", ok_data) ==
        "m.safetensors: tensor 'w': expected an object with dtype, shape and data_offsets, got a number");
  CHECK(entry_error(R"({"shape":[2,2],"data_offsets":[0,16]})", ok_data) == "m.safetensors: tensor 'w': missing field 'dtype'");
  CHECK(entry_error(R"({"dtype":"F32","data_offsets":[0,16]})", ok_data) == "m.safetensors: tensor 'w': missing field 'shape'");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2]})", ok_data) ==
        "m.safetensors: tensor 'w': missing field 'data_offsets'");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,16],"offsets":[0,16]})", ok_data) ==
        "m.safetensors: tensor 'w': unexpected field 'offsets' (expected dtype, shape and data_offsets)");

  CHECK(entry_error(R"({"dtype":"float32","shape":[2,2],"data_offsets":[0,16]})", ok_data) ==
        "m.safetensors: tensor 'w': unknown dtype 'float32' (nnocr reads F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  CHECK(entry_error(R"({"dtype":"F8_E4M3","shape":[16],"data_offsets":[0,16]})", ok_data)
            .find("unknown dtype 'F8_E4M3'") != std::string::npos);
  CHECK(entry_error(R"({"dtype":"f32","shape":[2,2],"data_offsets":[0,16]})", ok_data).find("unknown dtype 'f32'") !=
        std::string::npos);
  CHECK(entry_error(R"({"dtype":4,"shape":[2,2],"data_offsets":[0,16]})", ok_data) ==
        "m.safetensors: tensor 'w': dtype must be a string, got 4");

  const std::string shape_msg = "m.safetensors: tensor 'w': shape must be a list of non-negative integers, got ";
  CHECK(entry_error(R"({"dtype":"F32","shape":4,"data_offsets":[0,16]})", ok_data) == shape_msg + "4");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,-2],"data_offsets":[0,16]})", ok_data) == shape_msg + "[2,-2]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2.0],"data_offsets":[0,16]})", ok_data) == shape_msg + "[2,2.0]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,"2"],"data_offsets":[0,16]})", ok_data) == shape_msg + "[2,\"2\"]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,null],"data_offsets":[0,16]})", ok_data) == shape_msg + "[2,null]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[1,1,1,1,1,4],"data_offsets":[0,16]})", ok_data) ==
        "m.safetensors: tensor 'w': shape [1,1,1,1,1,4] has rank 6, more than nnocr's maximum of 5");
  CHECK(entry_error(R"({"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]})", ok_data) ==
        "m.safetensors: tensor 'w': shape [4294967296,4294967296,16] has too many elements (overflow)");
  CHECK(entry_error(R"({"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,16]})", ok_data) ==
        "m.safetensors: tensor 'w': shape [4611686018427387904] has too many elements (overflow)");

  const std::string offsets_msg = "m.safetensors: tensor 'w': data_offsets must be two non-negative integers [begin, end], got ";
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[16]})", ok_data) == offsets_msg + "[16]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,16,32]})", ok_data) == offsets_msg + "[0,16,32]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,"16"]})", ok_data) == offsets_msg + "[0,\"16\"]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,16.0]})", ok_data) == offsets_msg + "[0,16.0]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[-1,15]})", ok_data) == offsets_msg + "[-1,15]");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":{"begin":0}})", ok_data) ==
        offsets_msg + "{\"begin\":0}");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,18446744073709551616]})", ok_data)
            .find(offsets_msg) == 0);
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[16,0]})", ok_data) ==
        "m.safetensors: tensor 'w': data_offsets [16, 0] begin after end");
  CHECK(entry_error(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,12]})", zeros(12)) ==
        "m.safetensors: tensor 'w': data_offsets [0, 12] hold 12 bytes, but dtype F32 and shape [2, 2] need 16");
  CHECK(entry_error(R"({"dtype":"F16","shape":[2,2],"data_offsets":[0,16]})", ok_data) ==
        "m.safetensors: tensor 'w': data_offsets [0, 16] hold 16 bytes, but dtype F16 and shape [2, 2] need 8");
  CHECK(load_error(R"({"conv1.weight":{"dtype":"F32","shape":[4,6],"data_offsets":[0,96]}})", zeros(80)) ==
        "m.safetensors: tensor 'conv1.weight': data_offsets [0, 96] end past the data buffer (80 bytes)");
}

TEST_CASE("safetensors: the tensors must cover the data buffer exactly") {
  const std::string two = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[%A]},"b":{"dtype":"F32","shape":[4],"data_offsets":[%B]}})";
  const auto header = [&](const std::string& a, const std::string& b) {
    std::string h = two;
    h.replace(h.find("%A"), 2, a);
    h.replace(h.find("%B"), 2, b);
    return h;
  };
  CHECK(load_error(header("0,16", "16,32"), zeros(32)).empty());
  CHECK(load_error(header("16,32", "0,16"), zeros(32)).empty());  // header order need not be data order
  CHECK(load_error(header("0,16", "8,24"), zeros(32)) ==
        "m.safetensors: tensor 'b' (data_offsets [8, 24]) overlaps tensor 'a' (data_offsets [0, 16])");
  CHECK(load_error(header("0,16", "0,16"), zeros(16)) ==
        "m.safetensors: tensor 'b' (data_offsets [0, 16]) overlaps tensor 'a' (data_offsets [0, 16])");
  CHECK(load_error(header("0,16", "20,36"), zeros(36)) ==
        "m.safetensors: bytes [16, 20) of the data buffer belong to no tensor (a gap before tensor 'b')");
  CHECK(load_error(header("4,20", "20,36"), zeros(36)) ==
        "m.safetensors: bytes [0, 4) of the data buffer belong to no tensor (a gap before tensor 'a')");
  CHECK(load_error(header("0,16", "16,32"), zeros(40)) ==
        "m.safetensors: bytes [32, 40) at the end of the data buffer belong to no tensor");
  CHECK(load_error("{}", zeros(1)) == "m.safetensors: bytes [0, 1) at the end of the data buffer belong to no tensor");
  // Empty tensors take no room and may sit anywhere between others.
  CHECK(load_error(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                   R"("e":{"dtype":"F32","shape":[0],"data_offsets":[16,16]},)"
                   R"("f":{"dtype":"I8","shape":[3,0],"data_offsets":[16,16]},)"
                   R"("b":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}})",
                   zeros(32))
            .empty());
  CHECK(load_error(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                   R"("e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}})",
                   zeros(16))
            .find("tensor 'e' (data_offsets [8, 8]) overlaps tensor 'a'") != std::string::npos);
}

TEST_CASE("safetensors: metadata must map strings to strings") {
  CHECK(load_error(R"({"__metadata__":{"format":"pt","epoch":3}})", {}) ==
        "m.safetensors: __metadata__ value of 'epoch' must be a string, got 3");
  CHECK(load_error(R"({"__metadata__":["pt"]})", {}) ==
        "m.safetensors: __metadata__ must be an object of strings, got an array");
  CHECK(load_error(R"({"__metadata__":{"a":{"b":"c"}}})", {}) ==
        "m.safetensors: __metadata__ value of 'a' must be a string, got {\"b\":\"c\"}");
}

TEST_CASE("safetensors: getters name the file, the tensor and the problem") {
  SafeTensorsWriter w;
  w.add("f", Tensor<float>(Shape{2, 3}));
  w.add("i", Tensor<std::int32_t>(Shape{2}, {300, -1}));
  w.add("l", Tensor<std::int64_t>(Shape{2}, {std::int64_t{1} << 40, 0}));
  const std::uint8_t flags[] = {0, 1, 2};
  w.add_raw("flags", DType::BOOL, Shape{3}, flags, 3);
  const double huge[] = {1.0, 1e300};
  w.add_raw("d", DType::F64, Shape{2}, huge, sizeof huge);
  const double special[] = {std::numeric_limits<double>::infinity(), std::nan("")};
  w.add_raw("special", DType::F64, Shape{2}, special, sizeof special);
  const SafeTensorsFile f = parse_safetensors(w.bytes(), "g.safetensors");

  CHECK_THROWS_WITH_AS(f.entry("nope"), "no tensor 'nope' in g.safetensors", Error);
  CHECK_THROWS_WITH_AS(f.to_float("nope"), "no tensor 'nope' in g.safetensors", Error);
  CHECK_THROWS_WITH_AS(f.expect("f", Shape{3, 2}),
                       "g.safetensors: tensor 'f' has shape [2, 3], the architecture expects [3, 2]", Error);
  CHECK_THROWS_WITH_AS(f.to_float("f", Shape{6}), doctest::Contains("the architecture expects [6]"), Error);
  CHECK(&f.expect("f", Shape{2, 3}) == &f.entry("f"));
  CHECK_THROWS_WITH_AS(f.to_float("i"),
                       "g.safetensors: tensor 'i' has dtype I32; a float tensor is read from F32, F16, BF16 or F64",
                       Error);
  CHECK_THROWS_WITH_AS(f.to_int32("f"), doctest::Contains("tensor 'f' has dtype F32; an int32 tensor is read from"),
                       Error);
  CHECK_THROWS_WITH_AS(f.to_uint8("i"), "g.safetensors: tensor 'i': element 0 (300) does not fit in uint8", Error);
  CHECK_THROWS_WITH_AS(f.to_int32("l"),
                       "g.safetensors: tensor 'l': element 0 (1099511627776) does not fit in int32", Error);
  CHECK_THROWS_WITH_AS(f.to_uint8("flags"), "g.safetensors: tensor 'flags': element 2 (2) is not a BOOL (0 or 1)",
                       Error);
  CHECK_THROWS_WITH_AS(f.to_float("d"), "g.safetensors: tensor 'd': element 1 (1e+300) is outside the float range",
                       Error);
  const Tensor<float> s = f.to_float("special");
  CHECK(std::isinf(s(0)));
  CHECK(std::isnan(s(1)));
  CHECK(f.data(f.entry("i"))[0] == 44);  // 300 = 0x012C, little-endian
}

TEST_CASE("safetensors: save and load through files") {
  TempDir dir;
  const std::string path = (dir.path / "model.safetensors").string();
  SafeTensorsWriter w;
  w.set_metadata("nnocr.charset", "abc");
  w.add("x", Tensor<float>(Shape{3}, {1, 2, 3}));
  w.save(path);
  CHECK(dir.names() == std::vector<std::string>{"model.safetensors"});
  const SafeTensorsFile f = load_safetensors(path);
  CHECK(f.where() == path);
  CHECK(f.to_float("x")(2) == 3.0f);
  CHECK(*f.find_metadata("nnocr.charset") == "abc");
  CHECK(f.bytes() == w.bytes());
  SafeTensorsLimits small;
  small.max_total_bytes = 16;
  CHECK_THROWS_WITH_AS(load_safetensors(path, small), doctest::Contains("exceeds the limit of 16"), Error);
  CHECK_THROWS_WITH_AS(load_safetensors((dir.path / "missing.safetensors").string()),
                       doctest::Contains("missing.safetensors: no such file"), Error);
}

// core/file.hpp

TEST_CASE("read_file: contents, and errors that name the path") {
  TempDir dir;
  const std::string path = (dir.path / "data.bin").string();
  const std::vector<std::uint8_t> bytes = {0, 1, 2, 255, 10, 13};
  write_file_atomic(path, bytes);
  CHECK(read_file(path) == bytes);
  CHECK_THROWS_WITH_AS(read_file(path, 5), (path + ": 6 bytes exceeds the limit of 5").c_str(), Error);
  CHECK(read_file(path, 6) == bytes);

  const std::string empty = (dir.path / "empty").string();
  write_file_atomic(empty, "", 0);
  CHECK(read_file(empty).empty());

  const std::string missing = (dir.path / "missing.bin").string();
  CHECK_THROWS_WITH_AS(read_file(missing), (missing + ": no such file").c_str(), Error);
  CHECK_THROWS_WITH_AS(read_file(path + "/below"), (path + "/below: no such file").c_str(), Error);
  CHECK_THROWS_WITH_AS(read_file(dir.path.string()), (dir.path.string() + ": is a directory, not a file").c_str(),
                       Error);
  // Files whose size stat cannot tell (procfs) are read to the end.
  if (fs::exists("/proc/self/status")) {
    CHECK(!read_file("/proc/self/status").empty());
    CHECK_THROWS_WITH_AS(read_file("/proc/self/status", 10), "/proc/self/status: exceeds the limit of 10 bytes", Error);
  }
  if (::geteuid() != 0) {  // root reads anything
    const std::string locked = (dir.path / "locked").string();
    write_file_atomic(locked, std::string("secret"));
    fs::permissions(locked, fs::perms::none);
    CHECK_THROWS_WITH_AS(read_file(locked), doctest::Contains("locked: cannot open for reading: Permission denied"),
                         Error);
  }
}

TEST_CASE("write_file_atomic: replaces the file whole and leaves no temporary behind") {
  TempDir dir;
  const std::string path = (dir.path / "out.txt").string();
  write_file_atomic(path, std::string("first version, longer"));
  write_file_atomic(path, std::string("second"));
  const auto back = read_file(path);
  CHECK(std::string(back.begin(), back.end()) == "second");
  const char raw[] = {'a', 'b', 'c'};
  write_file_atomic(path, raw, 3);
  CHECK(read_file(path).size() == 3);
  CHECK(dir.names() == std::vector<std::string>{"out.txt"});

  // Many threads writing many files at once: unique temporaries, no leftovers.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 20; ++k)
        write_file_atomic((dir.path / ("f" + std::to_string(t) + "_" + std::to_string(k % 3))).string(),
                          std::string(static_cast<std::size_t>(k + 1), 'x'));
    });
  for (auto& th : threads) th.join();
  const auto names = dir.names();
  CHECK(names.size() == 1 + 4 * 3);
  for (const auto& name : names) CHECK(name.find(".tmp-nnocr-") == std::string::npos);
  CHECK(read_file((dir.path / "f2_1").string()).size() == 20);  // k = 19 wrote last

  // Failures: a missing folder, and a target that is a folder. Neither
  // leaves a temporary file, and the error names the path and the reason.
  const std::string nowhere = (dir.path / "no" / "such" / "dir.txt").string();
  CHECK_THROWS_WITH_AS(write_file_atomic(nowhere, std::string("x")),
                       doctest::Contains((nowhere + ": cannot create the temporary file").c_str()), Error);
  CHECK_THROWS_WITH_AS(write_file_atomic(nowhere, std::string("x")), doctest::Contains("No such file or directory"),
                       Error);
  fs::create_directory(dir.path / "sub");
  const std::string folder = (dir.path / "sub").string();
  CHECK_THROWS_WITH_AS(write_file_atomic(folder, std::string("x")),
                       doctest::Contains((folder + ": write failed (rename): Is a directory").c_str()), Error);
  CHECK(dir.names().size() == 1 + 4 * 3 + 1);
  for (const auto& name : dir.names()) CHECK(name.find(".tmp-nnocr-") == std::string::npos);
  CHECK_THROWS_AS(write_file_atomic(path, nullptr, 1), Error);
  CHECK(read_file(path).size() == 3);  // untouched by the failures
}

TEST_CASE("remove_stale_temporaries: removes a dead process's temporaries of that file, nothing else") {
  TempDir dir;
  const std::string path = (dir.path / "train.ckpt").string();
  write_file_atomic(path, std::string("checkpoint"));
  // No process has the PID pid_max (PIDs are below it).
  long dead = 4194304;
  if (std::FILE* f = std::fopen("/proc/sys/kernel/pid_max", "r")) {
    if (std::fscanf(f, "%ld", &dead) != 1) dead = 4194304;
    std::fclose(f);
  }
  const std::string mine = std::to_string(static_cast<long>(::getpid()));
  const std::vector<std::string> stale = {"train.ckpt.tmp-nnocr-" + std::to_string(dead) + "-0",
                                          "train.ckpt.tmp-nnocr-" + std::to_string(dead) + "-17"};
  const std::vector<std::string> kept = {
      "train.ckpt.tmp-nnocr-" + mine + "-3",                     // this process's: alive
      "other.ckpt.tmp-nnocr-" + std::to_string(dead) + "-0",     // another file's
      "train.ckpt.tmp-nnocr-" + std::to_string(dead) + "-x",     // not PID-N
      "train.ckpt.tmp-nnocr-" + std::to_string(dead),            // no N
      "train.ckpt.tmp-nnocr--4",                                 // no PID
      "train.ckpt.bak"};
  for (const auto& name : stale) write_file_atomic((dir.path / name).string(), std::string("half"));
  for (const auto& name : kept) write_file_atomic((dir.path / name).string(), std::string("keep"));
  CHECK(remove_stale_temporaries(path) == 2);
  std::vector<std::string> want = kept;
  want.push_back("train.ckpt");
  std::sort(want.begin(), want.end());
  CHECK(dir.names() == want);
  CHECK(remove_stale_temporaries(path) == 0);
  CHECK(remove_stale_temporaries((dir.path / "no" / "such.ckpt").string()) == 0);  // no folder: nothing
}
