// color.hpp — conversion to one gray channel.
#pragma once

#include "image.hpp"

namespace nnocr::image {

// Gray = ITU-R BT.601 luma, (299 R + 587 G + 114 B) / 1000, rounded. Alpha
// composites over white, because a transparent page background is paper.
inline Image to_gray(const Image& src) {
  NNOCR_CHECK(!src.empty(), "to_gray: empty image");
  if (src.channels() == 1) return src;
  Image out(src.width(), src.height(), 1);
  const int c = src.channels();
  for (int y = 0; y < src.height(); ++y) {
    const std::uint8_t* in = src.row(y);
    std::uint8_t* o = out.row(y);
    for (int x = 0; x < src.width(); ++x, in += c) {
      int v = c >= 3 ? (299 * in[0] + 587 * in[1] + 114 * in[2] + 500) / 1000 : in[0];
      if (c == 2 || c == 4) {
        const int a = in[c - 1];
        v = (v * a + 255 * (255 - a) + 127) / 255;
      }
      o[x] = static_cast<std::uint8_t>(v);
    }
  }
  return out;
}

}  // namespace nnocr::image
