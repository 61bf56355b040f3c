// test_bad_input.cpp — hostile inputs and limits: one case per row of the
// README's "Bad input" table, each bad file made here in a temporary folder.
// Every row ends in an nnocr::Error whose message names the file and the
// problem, or, where an error is not the right answer (a 1x1 image, a 16-bit
// PNG, a CMYK JPEG, unknown characters), in the documented behaviour. The
// limits that keep memory bounded are each tested at their edge.
#include <doctest/doctest.h>

#include <nnocr/core/file.hpp>
#include <nnocr/data/batch.hpp>
#include <nnocr/data/charset.hpp>
#include <nnocr/data/gt_dataset.hpp>
#include <nnocr/decode/attention.hpp>
#include <nnocr/decode/char_lm.hpp>
#include <nnocr/decode/ctc.hpp>
#include <nnocr/decode/lexicon.hpp>
#include <nnocr/image/io.hpp>
#include <nnocr/image/write.hpp>
#include <nnocr/io/json.hpp>
#include <nnocr/io/safetensors.hpp>
#include <nnocr/models/crnn.hpp>
#include <nnocr/pipeline/recognizer.hpp>
#include <nnocr/train/checkpoint.hpp>
#include <nnocr/train/optim.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "test_util.hpp"

// Everything in a namespace of its own: the pipeline-level test files are
// compiled as one unit (tests/CMakeLists.txt, NNOCR_UNITY_TESTS), and their
// helpers and using-directives must not meet.
namespace nnocr_test_bad_input {

using namespace nnocr;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

// The message of the nnocr::Error that `f` throws; fails the test when it
// throws nothing (or something else).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no nnocr::Error thrown");
  return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The error names the file and says what is wrong.
#define CHECK_ERROR_NAMES(message, file, problem)                        \
  do {                                                                   \
    const std::string m_ = (message);                                    \
    INFO("error: " << m_);                                               \
    CHECK(contains(m_, file));                                           \
    CHECK(contains(m_, problem));                                        \
  } while (0)

void write_bytes(const std::string& path, const Bytes& bytes) { write_file_atomic(path, bytes); }
void write_text(const std::string& path, const std::string& text) { write_file_atomic(path, text); }

// ---- image files made by hand: a 16-bit PNG and an Adobe CMYK JPEG

void put32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void png_chunk(Bytes& png, const char* type, const Bytes& data) {
  put32(png, static_cast<std::uint32_t>(data.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  put32(png, crc32(body.data(), body.size()));
}

// A PNG of `width` x `height` with the given bit depth and colour type
// (0 gray, 2 RGB): `rows` are the raw scanlines without filter bytes (none
// for a header-only file), stored uncompressed (zlib "stored" blocks).
Bytes make_png(std::uint32_t width, std::uint32_t height, int bit_depth, int color_type, const Bytes& pixels,
               bool with_data = true) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put32(ihdr, width);
  put32(ihdr, height);
  ihdr.insert(ihdr.end(), {static_cast<std::uint8_t>(bit_depth), static_cast<std::uint8_t>(color_type), 0, 0, 0});
  png_chunk(png, "IHDR", ihdr);
  if (with_data) {
    const std::size_t row = pixels.size() / height;
    Bytes raw;
    for (std::uint32_t y = 0; y < height; ++y) {
      raw.push_back(0);  // filter: none
      raw.insert(raw.end(), pixels.begin() + static_cast<std::ptrdiff_t>(y * row),
                 pixels.begin() + static_cast<std::ptrdiff_t>((y + 1) * row));
    }
    Bytes z = {0x78, 0x01};
    for (std::size_t at = 0; at < raw.size() || at == 0;) {
      const std::size_t n = std::min<std::size_t>(raw.size() - at, 65535);
      z.push_back(at + n == raw.size() ? 1 : 0);
      z.insert(z.end(), {static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                         static_cast<std::uint8_t>(~n), static_cast<std::uint8_t>(~n >> 8)});
      z.insert(z.end(), raw.begin() + static_cast<std::ptrdiff_t>(at), raw.begin() + static_cast<std::ptrdiff_t>(at + n));
      at += n;
      if (raw.empty()) break;
    }
    std::uint32_t a = 1, b = 0;
    for (std::uint8_t v : raw) {
      a = (a + v) % 65521;
      b = (b + a) % 65521;
    }
    put32(z, (b << 16) | a);
    png_chunk(png, "IDAT", z);
  }
  png_chunk(png, "IEND", {});
  return png;
}

// A baseline JPEG of one 8x8 block per component, every coefficient zero
// (every sample 128), with `components` 1 (gray) or 4 (CMYK, marked so by an
// Adobe APP14 segment with transform 0). Huffman tables of one code each:
// DC category 0 and AC end-of-block, both the 1-bit code 0.
Bytes make_jpeg(int components) {
  Bytes j = {0xff, 0xd8};
  if (components == 4)
    j.insert(j.end(), {0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0});
  j.insert(j.end(), {0xff, 0xdb, 0, 67, 0});  // one quantization table of ones
  j.insert(j.end(), 64, 1);
  const auto n = static_cast<std::uint8_t>(components);
  j.insert(j.end(), {0xff, 0xc0, 0, static_cast<std::uint8_t>(8 + 3 * n), 8, 0, 8, 0, 8, n});
  for (std::uint8_t c = 1; c <= n; ++c) j.insert(j.end(), {c, 0x11, 0});
  j.insert(j.end(), {0xff, 0xc4, 0, 38});
  for (std::uint8_t table_class : {0x00, 0x10}) {
    j.push_back(table_class);
    j.push_back(1);            // one code of length 1
    j.insert(j.end(), 15, 0);  // none longer
    j.push_back(0);            // its symbol: DC category 0 / AC end of block
  }
  j.insert(j.end(), {0xff, 0xda, 0, static_cast<std::uint8_t>(6 + 2 * n), n});
  for (std::uint8_t c = 1; c <= n; ++c) j.insert(j.end(), {c, 0});
  j.insert(j.end(), {0, 63, 0});
  j.push_back(0x00);  // n blocks x 2 bits ("0" DC, "0" EOB), padded
  j.insert(j.end(), {0xff, 0xd9});
  return j;
}

// ---- a tiny CRNN model file and variants of it

data::Charset tiny_charset() { return data::Charset::from_characters("abc"); }

models::CrnnConfig tiny_config() {
  models::CrnnConfig c;
  c.height = 8;
  c.stages = {{2, 1, 2, 2}, {3, 1, 2, 1}};
  c.hidden = 4;
  c.layers = 1;
  c.dropout = 0.0f;
  c.classes = tiny_charset().size();
  return c;
}

std::string save_tiny_model(const std::string& path) {
  Rng rng(5);
  models::Crnn model(tiny_config(), rng);
  models::save_crnn(path, model, tiny_charset());
  return path;
}

// Rewrites the model file `from` to `to` with every tensor as F32, letting
// `change` replace one tensor (return true when it wrote `name` itself).
using TensorChange = std::function<bool(io::SafeTensorsWriter&, const std::string& name, const Tensor<float>&)>;
void rewrite_model(const std::string& from, const std::string& to, const TensorChange& change) {
  const io::SafeTensorsFile file = io::load_safetensors(from);
  io::SafeTensorsWriter w;
  for (const auto& [k, v] : file.metadata()) w.set_metadata(k, v);
  for (const io::SafeTensorEntry& e : file.entries()) {
    const Tensor<float> t = file.to_float(e.name);
    if (!change(w, e.name, t)) w.add(e.name, t.view());
  }
  w.save(to);
}

}  // namespace

// ------------------------------------------------------------ images

TEST_CASE("bad input: a zero-byte PNG is an error naming the file") {
  test::TempDir dir;
  const std::string path = dir / "empty.png";
  write_bytes(path, {});
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(path); }), path, "empty file");
}

TEST_CASE("bad input: truncated JPEG and PNG files are errors naming the file") {
  test::TempDir dir;
  const Bytes jpeg = make_jpeg(1);
  REQUIRE(image::decode_image(jpeg.data(), jpeg.size(), "whole.jpg").width() == 8);  // the untruncated file reads
  SUBCASE("JPEG cut before its end-of-image marker") {
    const std::string path = dir / "cut.jpg";
    write_bytes(path, Bytes(jpeg.begin(), jpeg.end() - 2));
    CHECK_ERROR_NAMES(error_of([&] { image::read_image(path); }), path, "truncated JPEG");
  }
  SUBCASE("JPEG cut in its headers") {
    const std::string path = dir / "half.jpg";
    write_bytes(path, Bytes(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() / 2)));
    CHECK(contains(error_of([&] { image::read_image(path); }), path));
  }
  SUBCASE("PNG cut in its image data") {
    const Bytes png = make_png(40, 30, 8, 0, Bytes(40 * 30, 200));
    const std::string path = dir / "cut.png";
    write_bytes(path, Bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() * 2 / 3)));
    CHECK(contains(error_of([&] { image::read_image(path); }), path));
  }
}

TEST_CASE("bad input: wrong magic — a file that is not an image — is an error naming the file") {
  test::TempDir dir;
  const std::string text = dir / "notes.png";
  write_text(text, "These are notes, not a PNG.\n");
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(text); }), text, "not a readable PNG, JPEG");
  // The PNG signature followed by garbage.
  const std::string fake = dir / "fake.png";
  Bytes bytes = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  bytes.insert(bytes.end(), 100, 0x5a);
  write_bytes(fake, bytes);
  CHECK(contains(error_of([&] { image::read_image(fake); }), fake));
}

TEST_CASE("bad input: a 16-bit PNG is read, its samples reduced to 8 bits") {
  test::TempDir dir;
  const std::string path = dir / "deep.png";
  Bytes pixels;  // 3x2 gray, big-endian 16-bit samples
  for (std::uint16_t v : {0x0000, 0x1234, 0x8000, 0xabcd, 0xff00, 0xffff}) {
    pixels.push_back(static_cast<std::uint8_t>(v >> 8));
    pixels.push_back(static_cast<std::uint8_t>(v));
  }
  write_bytes(path, make_png(3, 2, 16, 0, pixels));
  const image::Image img = image::read_image(path);
  REQUIRE(img.width() == 3);
  REQUIRE(img.height() == 2);
  REQUIRE(img.channels() == 1);
  CHECK(img.at(0, 0) == 0x00);
  CHECK(img.at(1, 0) == 0x12);
  CHECK(img.at(2, 0) == 0x80);
  CHECK(img.at(0, 1) == 0xab);
  CHECK(img.at(1, 1) == 0xff);
  CHECK(img.at(2, 1) == 0xff);
}

TEST_CASE("bad input: a CMYK JPEG is read as RGB") {
  test::TempDir dir;
  const std::string path = dir / "cmyk.jpg";
  write_bytes(path, make_jpeg(4));
  const image::Image img = image::read_image(path);
  REQUIRE(img.width() == 8);
  REQUIRE(img.height() == 8);
  REQUIRE(img.channels() == 3);
  // Adobe CMYK is stored inverted: every sample 128 is 50 % ink, so each
  // channel is 128 * 128 / 255, about 64.
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x)
      for (int c = 0; c < 3; ++c) CHECK(std::abs(img.at(x, y, c) - 64) <= 1);
}

TEST_CASE("bad input: 1x1, 100000x1 and 1x100000 images read as lines and pages without harm") {
  test::TempDir dir;
  const std::string model = save_tiny_model(dir / "tiny.safetensors");
  pipeline::Recognizer ocr(model);

  image::Image dot(1, 1, 1, 0);  // one black pixel
  image::Image wide(100000, 1, 1, 255), tall(1, 100000, 1, 255);
  for (int x = 0; x < 100000; x += 7) wide.at(x, 0) = 0;
  for (int y = 0; y < 100000; y += 7) tall.at(0, y) = 0;
  // Written and read back as files, as the command line would.
  image::write_image(wide, dir / "wide.png");
  image::write_image(tall, dir / "tall.png");
  image::write_image(dot, dir / "dot.png");
  REQUIRE(image::read_image(dir / "wide.png").width() == 100000);
  REQUIRE(image::read_image(dir / "tall.png").height() == 100000);

  // A 1x1 image has no contrast, so no ink: an empty line.
  const std::vector<pipeline::LineResult> dots = ocr.read_lines({image::read_image(dir / "dot.png")});
  REQUIRE(dots.size() == 1);
  CHECK(dots[0].text.empty());
  CHECK(ocr.read_page(dot).lines.empty());
  // The long ones are read (whatever this untrained model makes of them);
  // a line far wider than max_width is squeezed to it.
  CHECK(ocr.read_lines({wide, tall}).size() == 2);
  (void)ocr.read_page(wide);
  (void)ocr.read_page(tall);
}

// ------------------------------------------------------------ model files

TEST_CASE("bad input: an empty model file is an error naming the file") {
  test::TempDir dir;
  const std::string path = dir / "empty.safetensors";
  write_bytes(path, {});
  CHECK_ERROR_NAMES(error_of([&] { models::load_crnn(path); }), path, "too short for a safetensors file");
  CHECK_ERROR_NAMES(error_of([&] { pipeline::Recognizer r(path); }), path, "too short");
}

TEST_CASE("bad input: a model file whose data_offsets run past its end is an error naming file and tensor") {
  test::TempDir dir;
  const std::string good = save_tiny_model(dir / "good.safetensors");
  Bytes bytes = read_file(good);
  bytes.resize(bytes.size() - 4);  // the last tensor now ends past the data
  const std::string path = dir / "short.safetensors";
  write_bytes(path, bytes);
  const std::string e = error_of([&] { models::load_crnn(path); });
  CHECK_ERROR_NAMES(e, path, "end past the data buffer");
  CHECK(contains(e, "tensor '"));
}

TEST_CASE("bad input: a model tensor of the wrong dtype is an error naming file, tensor and dtype") {
  test::TempDir dir;
  const std::string good = save_tiny_model(dir / "good.safetensors");
  SUBCASE("an integer tensor where weights belong") {
    const std::string path = dir / "int.safetensors";
    rewrite_model(good, path, [](io::SafeTensorsWriter& w, const std::string& name, const Tensor<float>& t) {
      if (name != "fc.weight") return false;
      w.add(name, Tensor<std::int32_t>(t.shape(), 1).view());
      return true;
    });
    const std::string e = error_of([&] { models::load_crnn(path); });
    CHECK_ERROR_NAMES(e, path, "'fc.weight' has dtype I32");
  }
  SUBCASE("a dtype nnocr does not know") {
    Bytes bytes = read_file(good);
    const std::string marker = "\"F32\"";
    const auto at = std::search(bytes.begin(), bytes.end(), marker.begin(), marker.end());
    REQUIRE(at != bytes.end());
    at[1] = 'X';  // "X32"
    const std::string path = dir / "x32.safetensors";
    write_bytes(path, bytes);
    CHECK_ERROR_NAMES(error_of([&] { models::load_crnn(path); }), path, "unknown dtype 'X32'");
  }
}

TEST_CASE("bad input: a model tensor of the wrong shape is an error naming file, tensor and both shapes") {
  test::TempDir dir;
  const std::string good = save_tiny_model(dir / "good.safetensors");
  const std::string path = dir / "shape.safetensors";
  rewrite_model(good, path, [](io::SafeTensorsWriter& w, const std::string& name, const Tensor<float>& t) {
    if (name != "fc.weight") return false;
    w.add(name, Tensor<float>({t.size(1), t.size(0)}, 0.5f).view());  // transposed
    return true;
  });
  const std::string e = error_of([&] { models::load_crnn(path); });
  CHECK_ERROR_NAMES(e, path, "'fc.weight' has shape [8, 4], the architecture expects [4, 8]");
}

TEST_CASE("bad input: NaN and infinite weights are an error naming file, tensor and element") {
  test::TempDir dir;
  const std::string good = save_tiny_model(dir / "good.safetensors");
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    const std::string path = dir / "nan.safetensors";
    rewrite_model(good, path, [&](io::SafeTensorsWriter& w, const std::string& name, const Tensor<float>& t) {
      if (name != "fc.bias") return false;
      Tensor<float> copy = t;
      copy[2] = bad;
      w.add(name, copy.view());
      return true;
    });
    const std::string e = error_of([&] { models::load_crnn(path); });
    CHECK_ERROR_NAMES(e, path, "tensor 'fc.bias' has a non-finite value");
    CHECK(contains(e, "at element 2"));
  }
}

TEST_CASE("limits: a model file cannot make the loader build an architecture bigger than its weights") {
  // A few hundred bytes that describe a CRNN of 8 BiLSTM layers of 4096
  // (over a billion weights): refused before anything that size is
  // allocated.
  test::TempDir dir;
  models::CrnnConfig huge = tiny_config();
  huge.hidden = 4096;
  huge.layers = 8;
  io::SafeTensorsWriter w;
  w.set_metadata("nnocr.architecture", io::to_json(huge.to_json()));
  w.set_metadata("nnocr.charset", tiny_charset().to_string());
  w.add("fc.bias", Tensor<float>({tiny_charset().size()}, 0.0f).view());
  const std::string path = dir / "huge.safetensors";
  w.save(path);
  CHECK_ERROR_NAMES(error_of([&] { models::load_crnn(path); }), path, "the architecture needs more weights");
  // The budget itself: reset past it throws, and it ends with its scope.
  {
    const nn::ParameterBudget budget(10);
    nn::Parameter p;
    p.reset({2, 5});
    CHECK(contains(error_of([&] { p.reset({1}); }), "over the budget"));
  }
  nn::Parameter free_again;
  free_again.reset({100});
  CHECK(free_again.numel() == 100);
}

TEST_CASE("limits: model files — total size, tensor size, header size, and what read_file reads") {
  test::TempDir dir;
  const std::string good = save_tiny_model(dir / "good.safetensors");
  const auto size = static_cast<std::uint64_t>(fs::file_size(good));
  io::SafeTensorsLimits limits;
  limits.max_total_bytes = size - 1;
  CHECK_ERROR_NAMES(error_of([&] { io::load_safetensors(good, limits); }), good, "exceeds the limit");
  limits.max_total_bytes = size;
  CHECK(io::load_safetensors(good, limits).size() > 0);
  // Any one tensor: the largest of the file is just allowed, one byte less is not.
  std::uint64_t largest = 0;
  const io::SafeTensorsFile file = io::load_safetensors(good);
  for (const io::SafeTensorEntry& e : file.entries()) largest = std::max<std::uint64_t>(largest, e.nbytes());
  limits.max_tensor_bytes = largest;
  CHECK(io::load_safetensors(good, limits).size() > 0);
  limits.max_tensor_bytes = largest - 1;
  CHECK_ERROR_NAMES(error_of([&] { io::load_safetensors(good, limits); }), good,
                    "more than the limit of " + std::to_string(largest - 1) + " bytes per tensor");
  limits.max_tensor_bytes = io::SafeTensorsLimits{}.max_tensor_bytes;
  limits.max_header_bytes = 16;
  CHECK_ERROR_NAMES(error_of([&] { io::load_safetensors(good, limits); }), good, "exceeds the limit of 16 bytes");
  CHECK_ERROR_NAMES(error_of([&] { read_file(good, 100); }), good, "exceeds the limit of 100");
  // A header length far past the end of the file.
  Bytes bytes = read_file(good);
  bytes[6] = 0x7f;
  const std::string path = dir / "long-header.safetensors";
  write_bytes(path, bytes);
  CHECK_ERROR_NAMES(error_of([&] { models::load_crnn(path); }), path, "header length");
}

TEST_CASE("bad input: a checkpoint that is a directory, missing, or not a checkpoint") {
  test::TempDir dir;
  Rng rng(1);
  models::Crnn model(tiny_config(), rng);
  train::Adam adam(model.named_parameters(), train::adamw_config(1e-3f, 0.0f));
  CHECK_ERROR_NAMES(error_of([&] { train::load_checkpoint(dir.path_string(), model, &adam); }), dir.path_string(),
                    "is a directory");
  CHECK_ERROR_NAMES(error_of([&] { train::load_checkpoint(dir / "none.ckpt", model, &adam); }), dir / "none.ckpt",
                    "no such file");
  const std::string plain = save_tiny_model(dir / "model.safetensors");
  CHECK_ERROR_NAMES(error_of([&] { train::load_checkpoint(plain, model, &adam); }), plain, "not an nnocr checkpoint");
}

// ------------------------------------------------------------ ground truth and text

TEST_CASE("bad input: invalid UTF-8 in ground truth is an error naming the file and the byte") {
  test::TempDir dir;
  image::write_image(image::Image(20, 8, 1, 255), dir / "l1.png");
  write_text(dir / "l1.gt.txt", "ab\xff" "cd\n");
  const std::string e = error_of([&] { data::open_gt_folder(dir.path_string()); });
  CHECK_ERROR_NAMES(e, dir / "l1.gt.txt", "invalid UTF-8 at byte 2");
  // Elsewhere too: a charset file, and text to encode.
  CHECK(contains(error_of([&] { tiny_charset().encode("a\xc3"); }), "UTF-8"));
}

TEST_CASE("bad input: an empty ground-truth text leaves its line out, with a warning (an error when strict)") {
  test::TempDir dir;
  image::write_image(image::Image(20, 8, 1, 255), dir / "a.png");
  write_text(dir / "a.gt.txt", "");
  image::write_image(image::Image(20, 8, 1, 255), dir / "b.png");
  write_text(dir / "b.gt.txt", "bb\n");
  const data::GtDataset ds = data::open_gt_folder(dir.path_string());
  CHECK(ds.size() == 1);
  CHECK(ds.rejected_texts() == 1);
  REQUIRE(ds.warnings().size() == 1);
  CHECK_ERROR_NAMES(ds.warnings()[0], dir / "a.gt.txt", "empty text");
  data::GtOptions strict;
  strict.strict = true;
  CHECK_ERROR_NAMES(error_of([&] { data::open_gt_folder(dir.path_string(), strict); }), dir / "a.gt.txt",
                    "empty text");
}

TEST_CASE("bad input: unknown characters are reported, or an error when asked") {
  const data::Charset cs = tiny_charset();
  // Reported: counts by code point, most frequent first.
  const data::UnknownReport r = cs.unknown_characters({"abz", "c\xc3\xa9z", "abc"});
  CHECK(r.total == 3);
  CHECK(r.texts == 2);
  CHECK(contains(r.str(), "U+007A 'z' x2"));
  CHECK(contains(r.str(), "U+00E9"));
  // Skipped and counted when making a batch for training or reading...
  data::BatchOptions skip;
  skip.unknown = data::UnknownPolicy::skip;
  const data::LineBatch b = data::make_line_batch({{image::Image(20, 32, 1, 255), "azb"}}, cs, skip);
  CHECK(b.skipped_characters == 1);
  CHECK(b.target_lengths[0] == 2);
  // ... an error naming the character and the sample by default.
  const std::string e = error_of([&] { data::make_line_batch({{image::Image(20, 32, 1, 255), "azb"}}, cs); });
  CHECK(contains(e, "sample 0"));
  CHECK(contains(e, "U+007A"));
}

// ------------------------------------------------------------ paths

TEST_CASE("bad input: nonexistent paths are errors naming the path") {
  test::TempDir dir;
  const std::string none = dir / "no_such_file";
  CHECK_ERROR_NAMES(error_of([&] { read_file(none); }), none, "no such file");
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(none); }), none, "no such file");
  CHECK_ERROR_NAMES(error_of([&] { models::load_crnn(none); }), none, "no such file");
  CHECK_ERROR_NAMES(error_of([&] { pipeline::Recognizer r(none); }), none, "no such file");
  CHECK_ERROR_NAMES(error_of([&] { decode::Lexicon::load(none); }), none, "no such file");
  CHECK_ERROR_NAMES(error_of([&] { decode::CharLm::load(none); }), none, "no such file");
  CHECK_ERROR_NAMES(error_of([&] { data::open_gt_folder(none); }), none, "no such folder");
  // A path through a file, as if it were a folder.
  const std::string file = dir / "plain.txt";
  write_text(file, "x");
  CHECK_ERROR_NAMES(error_of([&] { read_file(file + "/inside"); }), file + "/inside", "no such file");
  // Writing into a folder that does not exist.
  CHECK_ERROR_NAMES(error_of([&] { write_file_atomic(dir / "no_dir/out.txt", std::string("x")); }),
                    dir / "no_dir/out.txt", "cannot create the temporary file");
}

TEST_CASE("bad input: directories passed as files are errors naming the path") {
  test::TempDir dir;
  const std::string d = dir.path_string();
  fs::create_directory(dir / "sub.png");
  const std::string sub = dir / "sub.png";
  CHECK_ERROR_NAMES(error_of([&] { read_file(d); }), d, "is a directory, not a file");
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(sub); }), sub, "is a directory");
  CHECK_ERROR_NAMES(error_of([&] { models::load_crnn(d); }), d, "is a directory");
  CHECK_ERROR_NAMES(error_of([&] { decode::Lexicon::load(d); }), d, "is a directory");
  CHECK_ERROR_NAMES(error_of([&] { decode::CharLm::load(d); }), d, "is a directory");
  // And a file where a folder belongs.
  const std::string file = dir / "plain.txt";
  write_text(file, "x");
  CHECK_ERROR_NAMES(error_of([&] { data::open_gt_folder(file); }), file, "is a file, not a folder");
  // Writing over a folder fails, leaves it, and leaves no temporary file.
  CHECK_ERROR_NAMES(error_of([&] { write_file_atomic(sub, std::string("x")); }), sub, "write failed (rename)");
  CHECK(fs::is_directory(sub));
  for (const auto& e : fs::directory_iterator(dir.path)) CHECK(!contains(e.path().filename().string(), ".tmp-"));
}

// ------------------------------------------------------------ limits

TEST_CASE("limits: image pixels and file bytes") {
  test::TempDir dir;
  // A header that claims 20000 x 20000 pixels: refused from the header,
  // before anything is decoded or allocated. (Past 2^30 bytes stb_image
  // refuses the header itself: "not a readable PNG ...".)
  const std::string huge = dir / "huge.png";
  write_bytes(huge, make_png(20000, 20000, 8, 0, {}, false));
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(huge); }), huge, "20000x20000 exceeds the limit of 268435456 pixels");
  write_bytes(huge, make_png(100000, 100000, 8, 0, {}, false));
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(huge); }), huge, "not a readable PNG");
  // Both limits are options.
  const std::string small = dir / "small.png";
  image::write_image(image::Image(20, 10, 1, 128), small);
  image::DecodeOptions o;
  o.max_pixels = 199;
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(small, o); }), small, "20x10 exceeds the limit of 199 pixels");
  o.max_pixels = 200;
  CHECK(image::read_image(small, o).width() == 20);
  o.max_file_bytes = 10;
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(small, o); }), small, "exceeds the limit of 10");
  // PGM, parsed by nnocr itself, obeys max_pixels too.
  const std::string pgm = dir / "big.pgm";
  write_text(pgm, "P5\n30000 30000\n255\n");
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(pgm); }), pgm, "exceeds the limit of 268435456 pixels");
  write_text(pgm, "P5\n20 10\n255\n" + std::string(200, 'x'));
  image::DecodeOptions few;
  few.max_pixels = 100;
  CHECK_ERROR_NAMES(error_of([&] { image::read_image(pgm, few); }), pgm, "exceeds the limit of 100 pixels");
  CHECK(image::read_image(pgm).width() == 20);
}

TEST_CASE("limits: line width — squeezed to max_width, or an error when asked") {
  const data::Charset cs = tiny_charset();
  image::Image line(100000, 1, 1, 255);
  data::BatchOptions o;
  o.height = 32;
  o.max_width = 2048;
  const data::LineBatch b = data::make_line_batch({{line, "abc"}}, cs, o);
  CHECK(b.widths[0] == 2048);
  CHECK(b.images.size(3) == 2048);
  o.too_wide = data::TooWide::error;
  const std::string e = error_of([&] { data::make_line_batch({{line, "abc"}}, cs, o); });
  CHECK(contains(e, "sample 0 is 3200000 pixels wide at height 32, over max_width 2048"));
  // The recognizer's own limit bounds a batch: lines x widest <= batch_columns.
  test::TempDir dir;
  pipeline::RecognizerOptions ro;
  ro.max_width = 64;
  ro.batch_columns = 128;
  pipeline::Recognizer ocr(save_tiny_model(dir / "tiny.safetensors"), ro);
  image::Image wide(5000, 20, 1, 255);
  for (int x = 0; x < 5000; x += 3)
    for (int y = 5; y < 15; ++y) wide.at(x, y) = 0;
  CHECK(ocr.read_lines({wide, wide, wide}).size() == 3);
}

TEST_CASE("limits: decoder beam width and output length") {
  // CTC prefix beam search.
  Tensor<float> lp({5, 3}, std::log(1.0f / 3.0f));
  decode::CtcBeamOptions o;
  o.beam_width = 1025;
  CHECK(contains(error_of([&] { decode::ctc_beam_search(lp.view(), {}, o); }),
                 "beam_width 1025 is over the limit of 1024"));
  o.max_beam_width = 2048;
  CHECK(!decode::ctc_beam_search(lp.view(), {}, o).empty());
  o.beam_width = 0;
  CHECK(contains(error_of([&] { decode::ctc_beam_search(lp.view(), {}, o); }), "must be >= 1"));

  // Attention decoding: a model that never ends its text stops at
  // max_length, unfinished; a beam over the limit is an error.
  struct Babbler : decode::StepDecoder {
    struct State : decode::DecoderState {};
    std::unique_ptr<decode::DecoderState> start(const Tensor<float>&, index_t) const override {
      return std::make_unique<State>();
    }
    Tensor<float> step(decode::DecoderState&, const std::vector<std::int32_t>& tokens) const override {
      Tensor<float> out({static_cast<index_t>(tokens.size()), 3});
      for (index_t i = 0; i < out.size(0); ++i) {
        out(i, 0) = std::log(0.1f);  // end (never the most likely)
        out(i, 1) = std::log(0.6f);
        out(i, 2) = std::log(0.3f);
      }
      return out;
    }
    void select(decode::DecoderState&, const std::vector<index_t>&) const override {}
  } babbler;
  decode::AttentionDecodeConfig c;
  c.start_token = 2;
  c.end_token = 0;
  c.max_length = 7;
  const decode::DecodedSequence s = decode::greedy_decode(babbler, Tensor<float>({1, 1, 1}), c);
  CHECK(!s.finished);
  CHECK(s.tokens.size() == 7);
  c.beam_width = 1025;
  CHECK(contains(error_of([&] { decode::beam_search(babbler, Tensor<float>({1, 1, 1}), c); }),
                 "beam_width 1025 is over the limit of 1024"));
  c.beam_width = 4;
  for (const decode::DecodedSequence& b : decode::beam_search(babbler, Tensor<float>({1, 1, 1}), c))
    CHECK(b.tokens.size() <= 7);
  c.max_length = 0;
  CHECK(contains(error_of([&] { decode::greedy_decode(babbler, Tensor<float>({1, 1, 1}), c); }),
                 "max_length and beam_width must be positive"));
}

TEST_CASE("limits: text files — ground-truth size and JSON nesting") {
  test::TempDir dir;
  image::write_image(image::Image(20, 8, 1, 255), dir / "l.png");
  write_text(dir / "l.gt.txt", std::string(2000, 'a') + "\n");
  data::GtOptions o;
  o.max_text_bytes = 1000;
  CHECK_ERROR_NAMES(error_of([&] { data::open_gt_folder(dir.path_string(), o); }), dir / "l.gt.txt",
                    "exceeds the limit of 1000");
  o.max_text_bytes = 4000;
  CHECK(data::open_gt_folder(dir.path_string(), o).size() == 1);
  // A model file's header (and any config) is JSON: nesting is bounded.
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  CHECK(contains(error_of([&] { io::parse_json(deep, "deep.json"); }), "deep.json"));
  io::JsonLimits jl;
  jl.max_depth = 200;
  CHECK(io::parse_json(deep, "deep.json", jl).is_array());
}

}  // namespace nnocr_test_bad_input
