// write.hpp — writing images (PNG, and PGM/PPM) for debugging and for data
// sets. Files are written to a temporary name in the same folder and then
// renamed, so a reader never sees half a file.
#pragma once

#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/file.hpp"
#include "detail/stb_image_write.hpp"
#include "image.hpp"
#include "pnm.hpp"

namespace nnocr::image {

inline std::vector<std::uint8_t> encode_png(const Image& img) {
  NNOCR_CHECK(!img.empty(), "encode_png: empty image");
  std::vector<std::uint8_t> out;
  auto append = [](void* context, void* data, int size) {
    auto* o = static_cast<std::vector<std::uint8_t>*>(context);
    o->insert(o->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
  };
  const int ok = detail::stbw::stbi_write_png_to_func(append, &out, img.width(), img.height(), img.channels(),
                                                      img.data(), img.width() * img.channels());
  NNOCR_CHECK(ok && !out.empty(), "encode_png: the encoder failed for a ", img.width(), "x", img.height(), " image");
  return out;
}

// Atomic writing lives in core/file.hpp; the name stays here for existing
// callers.
using nnocr::write_file_atomic;

// PNG unless the name ends in .pgm, .ppm or .pnm.
inline void write_image(const Image& img, const std::string& path) {
  auto ends_with = [&](const char* ext) {
    const std::string e = ext;
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  write_file_atomic(path, ends_with(".pgm") || ends_with(".ppm") || ends_with(".pnm") ? encode_pnm(img)
                                                                                     : encode_png(img));
}

}  // namespace nnocr::image
