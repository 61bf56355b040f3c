// geometry.hpp — crop and pad.
#pragma once

#include <algorithm>
#include <cstring>

#include "components.hpp"
#include "image.hpp"

namespace nnocr::image {

// The pixels inside `box`, which must lie within the image.
inline Image crop(const Image& src, const Box& box) {
  NNOCR_CHECK(!src.empty(), "crop: empty image");
  NNOCR_CHECK(box.width > 0 && box.height > 0 && box.x >= 0 && box.y >= 0 && box.x + box.width <= src.width() &&
                  box.y + box.height <= src.height(),
              "crop: box (", box.x, ",", box.y, " ", box.width, "x", box.height, ") outside the ", src.width(), "x",
              src.height(), " image");
  Image out(box.width, box.height, src.channels());
  const std::size_t bytes = static_cast<std::size_t>(box.width) * src.channels();
  for (int y = 0; y < box.height; ++y)
    std::memcpy(out.row(y), src.row(box.y + y) + static_cast<std::size_t>(box.x) * src.channels(), bytes);
  return out;
}

// Adds borders of the given widths filled with `value` in every channel.
inline Image pad(const Image& src, int left, int top, int right, int bottom, std::uint8_t value = 255) {
  NNOCR_CHECK(!src.empty(), "pad: empty image");
  NNOCR_CHECK(left >= 0 && top >= 0 && right >= 0 && bottom >= 0, "pad: negative border");
  Image out(src.width() + left + right, src.height() + top + bottom, src.channels(), value);
  const std::size_t bytes = static_cast<std::size_t>(src.width()) * src.channels();
  for (int y = 0; y < src.height(); ++y)
    std::memcpy(out.row(y + top) + static_cast<std::size_t>(left) * src.channels(), src.row(y), bytes);
  return out;
}

}  // namespace nnocr::image
