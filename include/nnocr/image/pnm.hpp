// pnm.hpp — Netpbm images (PGM P2/P5, PPM P3/P6), read and written by our
// own strict parser (stb_image's PNM loader has known memory-safety bugs,
// so it is never handed these files). 16-bit samples (maxval > 255) are
// scaled to 8 bits. Errors name the source and the byte offset.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "image.hpp"

namespace nnocr::image {

namespace detail {

class PnmReader {
 public:
  PnmReader(const std::uint8_t* data, std::size_t size, const std::string& name)
      : p_(data), size_(size), name_(name) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(name_ + ": PNM: " + why + " at byte " + std::to_string(pos_));
  }
  bool at_end() const { return pos_ >= size_; }
  std::uint8_t get() {
    if (at_end()) fail("unexpected end of file");
    return p_[pos_++];
  }
  // Skips whitespace and # comments, then reads a decimal number.
  std::int64_t number() {
    for (;;) {
      if (at_end()) fail("unexpected end of file (expected a number)");
      const std::uint8_t c = p_[pos_];
      if (c == '#') {
        while (!at_end() && p_[pos_] != '\n' && p_[pos_] != '\r') ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        ++pos_;
      } else {
        break;
      }
    }
    if (p_[pos_] < '0' || p_[pos_] > '9') fail("expected a number");
    std::int64_t v = 0;
    while (!at_end() && p_[pos_] >= '0' && p_[pos_] <= '9') {
      v = v * 10 + (p_[pos_++] - '0');
      if (v > 1000000000) fail("number too large");
    }
    return v;
  }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return size_ - pos_; }
  const std::uint8_t* here() const { return p_ + pos_; }
  void advance(std::size_t n) { pos_ += n; }

 private:
  const std::uint8_t* p_;
  std::size_t size_, pos_ = 0;
  std::string name_;
};

}  // namespace detail

// True when the bytes start like a PGM/PPM file (P2, P3, P5 or P6).
inline bool looks_like_pnm(const std::uint8_t* data, std::size_t size) {
  return size >= 2 && data[0] == 'P' && (data[1] == '2' || data[1] == '3' || data[1] == '5' || data[1] == '6');
}

inline Image decode_pnm(const std::uint8_t* data, std::size_t size, const std::string& name,
                        std::int64_t max_pixels = kDefaultMaxPixels) {
  detail::PnmReader r(data, size, name);
  if (!looks_like_pnm(data, size)) r.fail("not a PGM/PPM file (expected P2, P3, P5 or P6)");
  r.advance(2);
  const char kind = static_cast<char>(data[1]);
  const int channels = (kind == '3' || kind == '6') ? 3 : 1;
  const bool binary = kind == '5' || kind == '6';
  const std::int64_t width = r.number(), height = r.number(), maxval = r.number();
  Image::check_size(width, height, channels, max_pixels, name);
  if (maxval < 1 || maxval > 65535) r.fail("maxval " + std::to_string(maxval) + " outside 1..65535");
  Image img(static_cast<int>(width), static_cast<int>(height), channels, 0, max_pixels);
  const std::size_t samples = static_cast<std::size_t>(width * height * channels);
  auto scale = [&](std::int64_t v) {
    if (v > maxval) r.fail("sample " + std::to_string(v) + " exceeds maxval " + std::to_string(maxval));
    return static_cast<std::uint8_t>((v * 255 + maxval / 2) / maxval);
  };
  std::uint8_t* out = img.data();
  if (binary) {
    const std::uint8_t sep = r.get();  // exactly one whitespace byte before the raster
    if (sep != ' ' && sep != '\n' && sep != '\r' && sep != '\t') r.fail("expected whitespace before the raster");
    const std::size_t bytes_per = maxval > 255 ? 2 : 1;
    if (r.remaining() < samples * bytes_per)
      r.fail("truncated raster: need " + std::to_string(samples * bytes_per) + " bytes, have " +
             std::to_string(r.remaining()));
    const std::uint8_t* in = r.here();
    for (std::size_t i = 0; i < samples; ++i)
      out[i] = scale(bytes_per == 2 ? (std::int64_t{in[2 * i]} << 8 | in[2 * i + 1]) : in[i]);
  } else {
    for (std::size_t i = 0; i < samples; ++i) out[i] = scale(r.number());
  }
  return img;
}

// Writes 1-channel images as binary PGM (P5), others as PPM (P6; alpha is
// dropped, gray + alpha becomes gray).
inline std::vector<std::uint8_t> encode_pnm(const Image& img) {
  NNOCR_CHECK(!img.empty(), "encode_pnm: empty image");
  const bool gray = img.channels() <= 2;
  const std::string header = std::string(gray ? "P5" : "P6") + "\n" + std::to_string(img.width()) + " " +
                             std::to_string(img.height()) + "\n255\n";
  std::vector<std::uint8_t> out(header.begin(), header.end());
  out.reserve(out.size() + static_cast<std::size_t>(img.width()) * img.height() * (gray ? 1 : 3));
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      out.push_back(img.at(x, y, 0));
      if (!gray) {
        out.push_back(img.at(x, y, 1));
        out.push_back(img.at(x, y, 2));
      }
    }
  return out;
}

}  // namespace nnocr::image
