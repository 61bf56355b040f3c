// Decoding through the private stb: fixtures are encoded in the test with
// Debian's stb_image_write, then damaged in the ways real files are.
#include "test_util.hpp"

#include <nnocr/image/detail/stb_diagnostics.hpp>
#include <nnocr/image/io.hpp>
#include <nnocr/image/write.hpp>

#include <algorithm>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

NNOCR_STB_DIAGNOSTICS_PUSH
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
NNOCR_STB_DIAGNOSTICS_POP

using namespace nnocr;
using namespace nnocr::image;

namespace {

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  out->insert(out->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
}

// A w x h test card: a gradient with a dark square.
std::vector<std::uint8_t> card(int w, int h, int c) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w * h * c));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        const bool square = x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2;
        px[static_cast<std::size_t>((y * w + x) * c + k)] = static_cast<std::uint8_t>(square ? 10 : 100 + (x + k * 20) % 150);
      }
  return px;
}

std::vector<std::uint8_t> encode(const std::string& format, int w, int h, int c) {
  const auto px = card(w, h, c);
  std::vector<std::uint8_t> out;
  if (format == "png") stbi_write_png_to_func(append, &out, w, h, c, px.data(), w * c);
  if (format == "jpg") stbi_write_jpg_to_func(append, &out, w, h, c, px.data(), 95);
  if (format == "bmp") stbi_write_bmp_to_func(append, &out, w, h, c, px.data());
  if (format == "tga") stbi_write_tga_to_func(append, &out, w, h, c, px.data());
  return out;
}

std::string error_of(const std::vector<std::uint8_t>& bytes, const DecodeOptions& o = {}) {
  try {
    decode_image(bytes.data(), bytes.size(), "sample", o);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("PNG, JPEG, BMP and TGA decode to the pixels that were encoded") {
  for (const char* fmt : {"png", "jpg", "bmp", "tga"}) {
    for (int c : {1, 3}) {
      CAPTURE(std::string(fmt) + " channels " + std::to_string(c));
      const auto bytes = encode(fmt, 37, 23, c);
      REQUIRE(!bytes.empty());
      const Image img = decode_image(bytes.data(), bytes.size(), fmt);
      CHECK(img.width() == 37);
      CHECK(img.height() == 23);
      // stb_image_write stores gray as RGB in JPEG and BMP.
      const bool gray_as_rgb = c == 1 && (std::string(fmt) == "jpg" || std::string(fmt) == "bmp");
      CHECK(img.channels() == (gray_as_rgb ? 3 : c));
      const auto want = card(37, 23, c);
      int worst = 0;
      for (int y = 0; y < 23; ++y)
        for (int x = 0; x < 37; ++x)
          for (int k = 0; k < img.channels(); ++k)
            worst = std::max(worst, std::abs(img.at(x, y, k) - want[static_cast<std::size_t>((y * 37 + x) * c + std::min(k, c - 1))]));
      CHECK(worst <= (std::string(fmt) == "jpg" ? 40 : 0));  // JPEG is lossy at edges
    }
  }
}

TEST_CASE("corrupt, truncated, empty and oversized images get an error naming the file") {
  CHECK(error_of({}).find("sample: empty file") != std::string::npos);
  CHECK(error_of({0x12, 0x34, 0x56}).find("not a readable") != std::string::npos);
  for (const char* fmt : {"png", "jpg", "bmp"}) {
    const std::string format = fmt;
    CAPTURE(format);
    auto bytes = encode(fmt, 64, 48, 3);
    auto truncated = bytes;
    truncated.resize(bytes.size() / 3);
    const std::string e = error_of(truncated);
    CHECK(e.find("sample") != std::string::npos);
    CHECK(!e.empty());
    auto header_only = bytes;
    header_only.resize(std::min<std::size_t>(bytes.size(), 30));
    CHECK(!error_of(header_only).empty());
    DecodeOptions small;
    small.max_pixels = 1000;
    CHECK(error_of(bytes, small).find("exceeds the limit") != std::string::npos);
  }
  // A PNG whose header claims 100000 x 100000 pixels.
  auto png = encode("png", 4, 4, 1);
  png[16] = 0x00, png[17] = 0x01, png[18] = 0x86, png[19] = 0xa0;  // width
  png[20] = 0x00, png[21] = 0x01, png[22] = 0x86, png[23] = 0xa0;  // height
  CHECK(!error_of(png).empty());
}

TEST_CASE("read_image: missing files and directories") {
  try {
    read_image("/nonexistent/dir/page.png");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/dir/page.png: no such file") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(read_image("/tmp"), doctest::Contains("is a directory"), Error);
  const std::string path = "nnocr_test_image_io.pgm";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs("P2 2 1 255 7 9", f);
    std::fclose(f);
  }
  const Image img = read_image(path);
  CHECK(img.at(1, 0) == 9);
  std::remove(path.c_str());
}

TEST_CASE("write_image: PNG and PGM round trips, written atomically") {
  Image img(19, 7, 3);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 19; ++x)
      for (int k = 0; k < 3; ++k) img.at(x, y, k) = static_cast<std::uint8_t>(x * 13 + y * 7 + k * 50);
  for (const std::string path : {"nnocr_test_write.png", "nnocr_test_write.ppm"}) {
    CAPTURE(path);
    write_image(img, path);
    const Image back = read_image(path);
    REQUIRE(back.channels() == 3);
    CHECK(std::equal(img.data(), img.data() + 19 * 7 * 3, back.data()));
    // No temporary (PATH.tmp-nnocr-PID-N) left behind in the folder.
    for (const auto& entry : std::filesystem::directory_iterator("."))
      CHECK(entry.path().filename().string().rfind(path + ".tmp", 0) != 0);
    std::remove(path.c_str());
  }
  CHECK_THROWS_AS(write_image(img, "/nonexistent/dir/out.png"), Error);
}
