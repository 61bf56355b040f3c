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
#include <tuple>
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

// stb_image_write's encodings ("tga" is its RLE form, "tga-raw" without).
std::vector<std::uint8_t> encode(const std::string& format, int w, int h, int c) {
  const auto px = card(w, h, c);
  std::vector<std::uint8_t> out;
  if (format == "png") stbi_write_png_to_func(append, &out, w, h, c, px.data(), w * c);
  if (format == "jpg") stbi_write_jpg_to_func(append, &out, w, h, c, px.data(), 95);
  if (format == "bmp") stbi_write_bmp_to_func(append, &out, w, h, c, px.data());
  if (format == "tga" || format == "tga-raw") {
    stbi_write_tga_with_rle = format == "tga" ? 1 : 0;
    stbi_write_tga_to_func(append, &out, w, h, c, px.data());
    stbi_write_tga_with_rle = 1;
  }
  return out;
}

// A gray GIF89a: a 256-entry gray global palette, one image of the card's
// values, LZW codes kept at 9 bits by a clear code every 254 pixels, cut
// into sub-blocks of up to 255 bytes. `pixels` (default all) codes only
// the first ones: LZW data that ends early, with a valid block structure.
std::vector<std::uint8_t> encode_gif(int w, int h, int pixels = -1) {
  const auto px = card(w, h, 1);
  std::vector<std::uint8_t> out = {'G', 'I', 'F', '8', '9', 'a'};
  auto le16 = [&](int v) { out.push_back(static_cast<std::uint8_t>(v & 255)), out.push_back(static_cast<std::uint8_t>(v >> 8)); };
  le16(w), le16(h), out.push_back(0xf7), out.push_back(0), out.push_back(0);
  for (int i = 0; i < 256; ++i) out.insert(out.end(), 3, static_cast<std::uint8_t>(i));
  out.insert(out.end(), {0x21, 0xf9, 4, 0, 0, 0, 0, 0});  // graphic control extension
  out.push_back(0x2c), le16(0), le16(0), le16(w), le16(h), out.push_back(0);
  out.push_back(8);  // LZW minimum code size
  std::vector<std::uint8_t> lzw;
  std::uint32_t bits = 0;
  int nbits = 0;
  auto code = [&](int c) {
    bits |= static_cast<std::uint32_t>(c) << nbits, nbits += 9;
    for (; nbits >= 8; nbits -= 8, bits >>= 8) lzw.push_back(static_cast<std::uint8_t>(bits & 255));
  };
  const int n = pixels < 0 ? w * h : pixels;
  for (int i = 0; i < n; ++i) {
    if (i % 254 == 0) code(256);  // clear
    code(px[static_cast<std::size_t>(i)]);
  }
  code(257);  // end of information
  if (nbits > 0) lzw.push_back(static_cast<std::uint8_t>(bits & 255));
  for (std::size_t i = 0; i < lzw.size(); i += 255) {
    const std::size_t len = std::min<std::size_t>(255, lzw.size() - i);
    out.push_back(static_cast<std::uint8_t>(len));
    out.insert(out.end(), lzw.begin() + static_cast<std::ptrdiff_t>(i), lzw.begin() + static_cast<std::ptrdiff_t>(i + len));
  }
  out.push_back(0);     // block terminator
  out.push_back(0x3b);  // trailer
  return out;
}

void put_le(std::vector<std::uint8_t>& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// BMPs stb_image_write does not make: the 12-byte OS/2 header (24-bit) and
// 32-bit BI_BITFIELDS (compression 3); bottom-up rows of the gray card.
std::vector<std::uint8_t> encode_bmp(int w, int h, bool os2_header) {
  const auto px = card(w, h, 1);
  const int bpp = os2_header ? 24 : 32, header = os2_header ? 12 : 40, masks = os2_header ? 0 : 12;
  const int row = (w * bpp / 8 + 3) / 4 * 4, offset = 14 + header + masks;
  std::vector<std::uint8_t> out = {'B', 'M'};
  put_le(out, static_cast<std::uint32_t>(offset + row * h), 4), put_le(out, 0, 4), put_le(out, static_cast<std::uint32_t>(offset), 4);
  put_le(out, static_cast<std::uint32_t>(header), 4);
  if (os2_header) {
    put_le(out, static_cast<std::uint32_t>(w), 2), put_le(out, static_cast<std::uint32_t>(h), 2), put_le(out, 1, 2), put_le(out, 24, 2);
  } else {
    put_le(out, static_cast<std::uint32_t>(w), 4), put_le(out, static_cast<std::uint32_t>(h), 4), put_le(out, 1, 2), put_le(out, 32, 2);
    put_le(out, 3, 4);  // BI_BITFIELDS
    for (int i = 0; i < 5; ++i) put_le(out, 0, 4);
    put_le(out, 0x00ff0000, 4), put_le(out, 0x0000ff00, 4), put_le(out, 0x000000ff, 4);
  }
  for (int y = h - 1; y >= 0; --y) {
    const std::size_t start = out.size();
    for (int x = 0; x < w; ++x) out.insert(out.end(), static_cast<std::size_t>(bpp / 8), px[static_cast<std::size_t>(y * w + x)]);
    out.resize(start + static_cast<std::size_t>(row), 0);
  }
  return out;
}

// A paletted TGA (type 1, or 9 with RLE): a 256-entry gray palette of 24-bit
// entries, 8-bit indices, top-down rows. The RLE form codes each row as a
// run of the row's first value followed by a raw packet of the rest.
std::vector<std::uint8_t> encode_tga_paletted(int w, int h, bool rle) {
  const auto px = card(w, h, 1);
  std::vector<std::uint8_t> out = {3, 1, static_cast<std::uint8_t>(rle ? 9 : 1)};
  put_le(out, 0, 2), put_le(out, 256, 2), out.push_back(24);
  put_le(out, 0, 2), put_le(out, 0, 2), put_le(out, static_cast<std::uint32_t>(w), 2), put_le(out, static_cast<std::uint32_t>(h), 2);
  out.push_back(8), out.push_back(0x20);
  out.insert(out.end(), {'i', 'd', '!'});  // the ID field
  for (int i = 0; i < 256; ++i) out.insert(out.end(), 3, static_cast<std::uint8_t>(i));
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* r = px.data() + static_cast<std::size_t>(y * w);
    if (!rle) {
      out.insert(out.end(), r, r + w);
      continue;
    }
    out.push_back(0x80 | 0), out.push_back(r[0]);  // a run packet (of one pixel), then raw packets
    for (int x = 1; x < w; x += 128) {
      const int n = std::min(128, w - x);
      out.push_back(static_cast<std::uint8_t>(n - 1));
      out.insert(out.end(), r + x, r + x + n);
    }
  }
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
  for (const char* fmt : {"png", "jpg", "bmp", "tga", "tga-raw"}) {
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

// Binary PGM (P5) or PPM (P6) of the card, by pnm.hpp's writer.
std::vector<std::uint8_t> pnm_of(int w, int h, int c) {
  const auto px = card(w, h, c);
  Image img(w, h, c);
  std::copy(px.begin(), px.end(), img.data());
  return encode_pnm(img);
}

// Every file format and variant the truncation checks know, as (name,
// bytes, channels decoded): small, so that every cut point can be tried.
std::vector<std::tuple<std::string, std::vector<std::uint8_t>, int>> small_files() {
  return {{"png gray", encode("png", 13, 7, 1), 1},        {"png rgb", encode("png", 13, 7, 3), 3},
          {"jpeg", encode("jpg", 13, 7, 3), 3},            {"bmp 24-bit", encode("bmp", 13, 7, 3), 3},
          {"bmp OS/2 header", encode_bmp(13, 7, true), 3}, {"bmp 32-bit bitfields", encode_bmp(13, 7, false), 3},
          {"tga rle", encode("tga", 13, 7, 3), 3},         {"tga rle gray", encode("tga", 13, 7, 1), 1},
          {"tga raw", encode("tga-raw", 13, 7, 3), 3},     {"tga paletted", encode_tga_paletted(13, 7, false), 3},
          {"tga paletted rle", encode_tga_paletted(13, 7, true), 3}, {"gif", encode_gif(13, 7), 4},
          {"pgm (P5)", pnm_of(13, 7, 1), 1},               {"ppm (P6)", pnm_of(13, 7, 3), 3}};
}

TEST_CASE("GIF, paletted TGA and more BMP headers decode to the pixels that were encoded") {
  const auto want = card(13, 7, 1);
  for (const auto& [what_, bytes, channels] : small_files()) {
    const std::string what = what_;  // clang 14: no structured bindings inside CAPTURE
    CAPTURE(what);
    const Image img = decode_image(bytes.data(), bytes.size(), "sample");
    REQUIRE(img.width() == 13);
    REQUIRE(img.height() == 7);
    REQUIRE(img.channels() == channels);
    if (what.find("png") == 0 || what == "jpeg" || what == "bmp 24-bit" || what.find("tga r") == 0) continue;  // above
    if (what.find("p") == 0) {  // PGM and PPM keep every channel as written
      const auto card_c = card(13, 7, channels);
      CHECK(std::equal(card_c.begin(), card_c.end(), img.data()));
      continue;
    }
    int worst = 0;
    for (int y = 0; y < 7; ++y)
      for (int x = 0; x < 13; ++x)
        for (int k = 0; k < std::min(channels, 3); ++k)
          worst = std::max(worst, std::abs(img.at(x, y, k) - want[static_cast<std::size_t>(y * 13 + x)]));
    CHECK(worst == 0);
    if (channels == 4) CHECK(img.at(12, 6, 3) == 255);
  }
}

TEST_CASE("every truncation of every format is an error naming the file and the reason") {
  // stb_image reads zeros past the end of its input and stops quietly at
  // the end of GIF and TGA data; these cuts all used to be able to decode
  // into partly black or background images.
  for (const auto& [what_, bytes, channels] : small_files()) {
    const std::string what = what_;  // clang 14: no structured bindings inside CAPTURE
    CAPTURE(what);
    (void)channels;
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
      CAPTURE(cut);
      const std::vector<std::uint8_t> part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
      const std::string e = error_of(part);
      REQUIRE(!e.empty());
      CHECK(e.rfind("sample: ", 0) == 0);
    }
  }
  // ASCII PGM has no end marker: a cut inside the last number leaves a
  // shorter number, but a cut that loses samples is an error.
  const std::string p2 = "P2\n3 2\n255\n10 20 30\n40 50 60\n";
  for (std::size_t cut = 1; cut <= p2.rfind("60"); ++cut) {
    CAPTURE(cut);
    const std::string part = p2.substr(0, cut);
    // "P" alone is no known format; from "P2" on the PNM reader says what is missing.
    const std::string want = cut < 2 ? "sample: not a readable" : "sample: PNM: ";
    CHECK(error_of(std::vector<std::uint8_t>(part.begin(), part.end())).rfind(want, 0) == 0);
  }
  // The reasons, at cut points in the pixel data.
  auto cut = [](std::vector<std::uint8_t> b, std::size_t n) {
    b.resize(b.size() - n);
    return error_of(b);
  };
  CHECK(cut(encode("png", 13, 7, 3), 1).find("sample: truncated PNG: chunk at byte") != std::string::npos);
  CHECK(cut(encode("png", 13, 7, 3), 12).find("sample: truncated PNG: no IEND chunk") != std::string::npos);
  CHECK(cut(encode("jpg", 13, 7, 3), 1).find("sample: truncated JPEG") != std::string::npos);
  CHECK(cut(encode("bmp", 13, 7, 3), 1).find("sample: truncated BMP") != std::string::npos);
  CHECK(cut(encode_bmp(13, 7, true), 1).find("sample: truncated BMP") != std::string::npos);
  CHECK(cut(encode("tga-raw", 13, 7, 3), 1).find("sample: truncated TGA: ") != std::string::npos);
  CHECK(cut(encode_tga_paletted(13, 7, false), 1).find("sample: truncated TGA: ") != std::string::npos);
  CHECK(cut(encode("tga", 13, 7, 3), 1).find("sample: truncated TGA: RLE data ends within the packet") != std::string::npos);
  CHECK(cut(encode_tga_paletted(13, 7, true), 13).find("sample: truncated TGA: RLE data ends after") != std::string::npos);
  CHECK(cut(encode_gif(13, 7), 1).find("sample: truncated GIF: block at byte") != std::string::npos);
  CHECK(cut(encode_gif(13, 7), 5).find("sample: truncated GIF: data sub-block") != std::string::npos);
  CHECK(cut(pnm_of(13, 7, 1), 1).find("sample: PNM: truncated raster") != std::string::npos);
}

TEST_CASE("GIF: LZW data for too few pixels, no image, unknown blocks, bad code size") {
  CHECK(error_of(encode_gif(13, 7, 50)).find("sample: truncated GIF: the first image's data ends after 50 of 91 pixels") !=
        std::string::npos);
  auto gif = encode_gif(13, 7);
  const std::size_t image = 13 + 768 + 8;  // header, palette, graphic control extension
  REQUIRE(gif[image] == 0x2c);
  std::vector<std::uint8_t> no_image(gif.begin(), gif.begin() + static_cast<std::ptrdiff_t>(image));
  no_image.push_back(0x3b);
  CHECK(error_of(no_image).find("sample: GIF without an image") != std::string::npos);
  auto unknown = gif;
  unknown[image] = 0x99;
  CHECK(error_of(unknown).find("sample: corrupt GIF: unknown block type 153 at byte 789") != std::string::npos);
  auto code_size = gif;
  code_size[image + 10] = 13;  // LZW minimum code size above 12
  CHECK(error_of(code_size).rfind("sample: ", 0) == 0);
  // A second image may follow; only the first is decoded, but its blocks must be whole.
  auto two = gif;
  two.pop_back();
  two.insert(two.end(), gif.begin() + static_cast<std::ptrdiff_t>(image), gif.end());
  CHECK(decode_image(two.data(), two.size(), "sample").width() == 13);
  two.resize(two.size() - 3);
  CHECK(error_of(two).find("sample: truncated GIF") != std::string::npos);
}

TEST_CASE("corrupted headers are errors naming the file") {
  auto damaged = [](std::vector<std::uint8_t> b, std::size_t at, std::uint8_t value) {
    b[at] = value;
    return error_of(b);
  };
  CHECK(damaged(encode("png", 13, 7, 3), 1, 'Q').rfind("sample: not a readable", 0) == 0);       // signature
  CHECK(damaged(encode("png", 13, 7, 3), 12, 'i').rfind("sample: ", 0) == 0);                    // IHDR -> unknown critical chunk
  CHECK(damaged(encode("png", 13, 7, 3), 24, 7).rfind("sample: ", 0) == 0);                      // bit depth 7
  CHECK(damaged(encode("jpg", 13, 7, 3), 1, 0xd7).rfind("sample: not a readable", 0) == 0);      // SOI
  CHECK(damaged(encode("bmp", 13, 7, 3), 14, 99).rfind("sample: not a readable", 0) == 0);       // header size
  CHECK(damaged(encode("bmp", 13, 7, 3), 30, 1).rfind("sample: ", 0) == 0);                      // RLE compression
  CHECK(damaged(encode("bmp", 13, 7, 3), 26, 2).rfind("sample: ", 0) == 0);                      // two planes
  CHECK(damaged(encode("tga", 13, 7, 3), 2, 5).rfind("sample: not a readable", 0) == 0);         // image type 5
  CHECK(damaged(encode("tga", 13, 7, 3), 16, 7).rfind("sample: not a readable", 0) == 0);        // 7 bits per pixel
  CHECK(damaged(encode_tga_paletted(13, 7, false), 6, 0).rfind("sample: ", 0) == 0);             // palette of 0 entries
  CHECK(damaged(encode("tga", 13, 7, 3), 12, 0).rfind("sample: not a readable", 0) == 0);        // width 0
  CHECK(damaged(encode_gif(13, 7), 4, '8').rfind("sample: not a readable", 0) == 0);             // GIF88a
  CHECK(damaged(pnm_of(13, 7, 1), 1, '7').rfind("sample: not a readable", 0) == 0);              // P7
  CHECK(damaged(pnm_of(13, 7, 1), 3, 'x').rfind("sample: PNM: expected a number", 0) == 0);      // width "x3"
  CHECK(damaged(encode_gif(13, 7), 10, 0x00).rfind("sample: ", 0) == 0);                         // no colour table
  auto gif = encode_gif(13, 7);
  gif[13 + 768 + 8 + 5] = 14;  // image descriptor wider than the screen
  CHECK(error_of(gif).rfind("sample: ", 0) == 0);
}

TEST_CASE("JPEG Huffman tables of more than 256 symbols are an error, not a write past stb's arrays (fuzz finding)") {
  auto bytes = encode("jpg", 16, 16, 3);
  std::size_t dht = 0;  // the first DHT segment: FF C4, length, class/id, then 16 symbol counts
  for (std::size_t i = 2; i + 1 < bytes.size() && dht == 0; ++i)
    if (bytes[i] == 0xff && bytes[i + 1] == 0xc4) dht = i;
  REQUIRE(dht > 0);
  for (std::size_t i = 0; i < 16; ++i) bytes[dht + 5 + i] = 0xff;  // 16 x 255 symbols
  CHECK(error_of(bytes).find("sample: corrupt JPEG: Huffman table of 4080 symbols") != std::string::npos);
  // The smallest such file: SOI, then the table (stbi_info alone would read it).
  std::vector<std::uint8_t> tiny = {0xff, 0xd8, 0xff, 0xc4, 0x00, 0x13, 0x00};
  tiny.insert(tiny.end(), 16, 0x11);  // 16 x 17 = 272 symbols
  CHECK(error_of(tiny).find("Huffman table of 272 symbols (at most 256) at byte 6") != std::string::npos);
  tiny.insert(tiny.begin(), 3, 0xff);  // stb skips FF fill bytes before the start-of-image marker too
  CHECK(error_of(tiny).find("Huffman table of 272 symbols (at most 256) at byte 9") != std::string::npos);
}

TEST_CASE("a JPEG scan naming Huffman tables no segment defined decodes the same every time (fuzz finding)") {
  // stb leaves its decoder state uninitialized; undefined tables used to
  // decode through whatever the heap held, indexing far outside them.
  const auto valid = encode("jpg", 16, 16, 3);
  auto bytes = valid;
  std::size_t sos = 0;  // FF DA, length, component count, then (id, DC << 4 | AC table) per component
  for (std::size_t i = 2; i + 1 < bytes.size() && sos == 0; ++i)
    if (bytes[i] == 0xff && bytes[i + 1] == 0xda) sos = i;
  REQUIRE(sos > 0);
  for (std::size_t k = 0; k < bytes[sos + 4]; ++k) bytes[sos + 6 + 2 * k] = 0x33;  // tables 3: never defined
  auto outcome = [&] {
    try {
      const Image img = decode_image(bytes.data(), bytes.size(), "sample");
      return std::string(reinterpret_cast<const char*>(img.data()), static_cast<std::size_t>(img.width() * img.height() * img.channels()));
    } catch (const Error& e) {
      return std::string("error: ") + e.what();
    }
  };
  const std::string first = outcome();
  (void)decode_image(valid.data(), valid.size(), "valid");  // leaves real tables in freed memory
  CHECK(outcome() == first);
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
