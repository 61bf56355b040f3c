// io.hpp — reading images: PNG, JPEG, BMP, TGA, GIF (first frame) through a
// private copy of stb_image, and PGM/PPM through our own parser. Every
// failure is an nnocr::Error naming the file and the decoder's reason.
//
// The header is checked before any pixel is decoded: the size must be
// positive and width * height within max_pixels, and stb's allocations are
// capped to what an image of that size can need.
#pragma once

#include <climits>
#include <cstring>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/file.hpp"
#include "detail/stb_image.hpp"
#include "image.hpp"
#include "pnm.hpp"

namespace nnocr::image {

struct DecodeOptions {
  std::int64_t max_pixels = kDefaultMaxPixels;
  std::int64_t max_file_bytes = std::int64_t{1} << 30;  // 1 GiB
};

namespace detail {

inline std::uint32_t read_le32(const std::uint8_t* p) {
  return p[0] | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

// stb_image reads zeros past the end of a file instead of failing, so a
// truncated BMP or JPEG would decode into a partly black image. Catch the
// truncation from the file's own structure first.
inline void check_complete(const std::uint8_t* data, std::size_t size, int w, int h, const std::string& name) {
  if (size >= 2 && data[0] == 0xff && data[1] == 0xd8) {
    // Entropy-coded data stuffs every 0xFF, so after the last start-of-scan
    // marker the only FF D9 is the end-of-image marker.
    std::size_t last_sos = 0;
    for (std::size_t i = 2; i + 1 < size; ++i)
      if (data[i] == 0xff && data[i + 1] == 0xda) last_sos = i;
    bool eoi = false;
    for (std::size_t i = last_sos; last_sos && i + 1 < size && !eoi; ++i) eoi = data[i] == 0xff && data[i + 1] == 0xd9;
    NNOCR_CHECK(eoi, name, ": truncated JPEG (no end-of-image marker after the last scan)");
  } else if (size >= 34 && data[0] == 'B' && data[1] == 'M') {
    const std::uint32_t offset = read_le32(data + 10), compression = read_le32(data + 30);
    const int bpp = data[28] | (data[29] << 8);
    if (compression == 0 && bpp > 0) {  // uncompressed rows, padded to 4 bytes
      const std::uint64_t row = (static_cast<std::uint64_t>(bpp) * static_cast<std::uint64_t>(w) + 31) / 32 * 4;
      const std::uint64_t need = offset + row * static_cast<std::uint64_t>(h);
      NNOCR_CHECK(size >= need, name, ": truncated BMP: ", size, " bytes, the header needs ", need);
    }
  }
}

}  // namespace detail

inline Image decode_image(const std::uint8_t* data, std::size_t size, const std::string& name,
                          const DecodeOptions& options = {}) {
  NNOCR_CHECK(data != nullptr || size == 0, name, ": null data");
  NNOCR_CHECK(size > 0, name, ": empty file");
  NNOCR_CHECK(static_cast<std::int64_t>(size) <= options.max_file_bytes && size <= static_cast<std::size_t>(INT_MAX),
              name, ": file of ", size, " bytes exceeds the limit");
  if (looks_like_pnm(data, size)) return decode_pnm(data, size, name, options.max_pixels);
  namespace stb = detail::stb;
  int w = 0, h = 0, c = 0;
  const int len = static_cast<int>(size);
  if (!stb::stbi_info_from_memory(data, len, &w, &h, &c)) {
    const char* why = stb::stbi_failure_reason();
    throw Error(name + ": not a readable PNG, JPEG, BMP, TGA, GIF or PGM/PPM image (" + (why ? why : "unknown") +
                ")");
  }
  Image::check_size(w, h, c, options.max_pixels, name);
  detail::check_complete(data, size, w, h, name);
  // Room for the decoded pixels at 16 bits per sample, plus the decoder's
  // own buffers (compressed data, one row of filters, JPEG components).
  detail::stbi_allocation_cap() = static_cast<std::size_t>(w) * h * 4 * 2 + 4 * size + (std::size_t{1} << 24);
  int w2 = 0, h2 = 0, c2 = 0;
  std::uint8_t* pixels = stb::stbi_load_from_memory(data, len, &w2, &h2, &c2, 0);
  detail::stbi_allocation_cap() = std::size_t{1} << 30;
  if (!pixels) {
    const char* why = stb::stbi_failure_reason();
    throw Error(name + ": cannot decode: " + (why ? why : "unknown error"));
  }
  if (w2 != w || h2 != h || c2 != c) {
    stb::stbi_image_free(pixels);
    throw Error(name + ": decoder returned a different size than the header");
  }
  Image img(w, h, c, 0, options.max_pixels);
  std::memcpy(img.data(), pixels, static_cast<std::size_t>(w) * h * c);
  stb::stbi_image_free(pixels);
  return img;
}

// Whole-file reading lives in core/file.hpp; the name stays here for
// existing callers.
using nnocr::read_file;

inline Image read_image(const std::string& path, const DecodeOptions& options = {}) {
  const std::vector<std::uint8_t> bytes = read_file(path, options.max_file_bytes);
  return decode_image(bytes.data(), bytes.size(), path, options);
}

}  // namespace nnocr::image
