// resize.hpp — bilinear and area resampling, and resize to a fixed height.
//
// Coordinates use pixel centres (x_src = (x_dst + 0.5) * sx - 0.5), the
// convention of OpenCV's INTER_LINEAR and PyTorch's align_corners=False, so
// an image resized to its own size is unchanged. Area resampling averages
// every source pixel a destination pixel covers (with fractional weights at
// the borders): the right filter for shrinking text, where bilinear aliases.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "image.hpp"

namespace nnocr::image {

inline Image resize_bilinear(const Image& src, int width, int height) {
  NNOCR_CHECK(!src.empty(), "resize_bilinear: empty image");
  Image out(width, height, src.channels());
  const int c = src.channels();
  const double sx = static_cast<double>(src.width()) / width, sy = static_cast<double>(src.height()) / height;
  std::vector<int> x0(static_cast<std::size_t>(width)), x1(x0.size());
  std::vector<float> wx(x0.size());
  for (int x = 0; x < width; ++x) {
    const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, src.width() - 1.0);
    x0[static_cast<std::size_t>(x)] = static_cast<int>(fx);
    x1[static_cast<std::size_t>(x)] = std::min(x0[static_cast<std::size_t>(x)] + 1, src.width() - 1);
    wx[static_cast<std::size_t>(x)] = static_cast<float>(fx - x0[static_cast<std::size_t>(x)]);
  }
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, src.height() - 1.0);
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, src.height() - 1);
    const float wy = static_cast<float>(fy - y0);
    const std::uint8_t *r0 = src.row(y0), *r1 = src.row(y1);
    std::uint8_t* o = out.row(y);
    for (int x = 0; x < width; ++x) {
      const auto i = static_cast<std::size_t>(x);
      for (int k = 0; k < c; ++k) {
        const float top = r0[x0[i] * c + k] + wx[i] * (r0[x1[i] * c + k] - r0[x0[i] * c + k]);
        const float bottom = r1[x0[i] * c + k] + wx[i] * (r1[x1[i] * c + k] - r1[x0[i] * c + k]);
        o[x * c + k] = static_cast<std::uint8_t>(std::lround(top + wy * (bottom - top)));
      }
    }
  }
  return out;
}

namespace detail {
// For each destination index, the source range it covers and the weights.
struct AreaTaps {
  std::vector<int> first;
  std::vector<std::vector<float>> weights;
};
inline AreaTaps area_taps(int src, int dst) {
  AreaTaps t;
  const double scale = static_cast<double>(src) / dst;
  for (int d = 0; d < dst; ++d) {
    const double a = d * scale, b = (d + 1) * scale;
    const int first = static_cast<int>(std::floor(a)), last = std::min(src - 1, static_cast<int>(std::ceil(b)) - 1);
    std::vector<float> w;
    for (int s = first; s <= last; ++s)
      w.push_back(static_cast<float>((std::min<double>(b, s + 1) - std::max<double>(a, s)) / scale));
    t.first.push_back(first);
    t.weights.push_back(std::move(w));
  }
  return t;
}
}  // namespace detail

inline Image resize_area(const Image& src, int width, int height) {
  NNOCR_CHECK(!src.empty(), "resize_area: empty image");
  Image out(width, height, src.channels());
  const int c = src.channels();
  const detail::AreaTaps tx = detail::area_taps(src.width(), width), ty = detail::area_taps(src.height(), height);
  std::vector<float> acc(static_cast<std::size_t>(width) * c);
  for (int y = 0; y < height; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const auto& wys = ty.weights[static_cast<std::size_t>(y)];
    for (std::size_t j = 0; j < wys.size(); ++j) {
      const std::uint8_t* r = src.row(ty.first[static_cast<std::size_t>(y)] + static_cast<int>(j));
      for (int x = 0; x < width; ++x) {
        const auto& wxs = tx.weights[static_cast<std::size_t>(x)];
        const int fx = tx.first[static_cast<std::size_t>(x)];
        for (int k = 0; k < c; ++k) {
          float s = 0;
          for (std::size_t i = 0; i < wxs.size(); ++i) s += wxs[i] * r[(fx + static_cast<int>(i)) * c + k];
          acc[static_cast<std::size_t>(x * c + k)] += wys[j] * s;
        }
      }
    }
    std::uint8_t* o = out.row(y);
    for (int i = 0; i < width * c; ++i)
      o[i] = static_cast<std::uint8_t>(std::clamp(std::lround(acc[static_cast<std::size_t>(i)]), 0L, 255L));
  }
  return out;
}

// Scales to `height` rows keeping the aspect ratio (width rounded, at least
// 1): area resampling when shrinking, bilinear when enlarging.
inline Image resize_to_height(const Image& src, int height) {
  NNOCR_CHECK(!src.empty() && height > 0, "resize_to_height: empty image or height ", height);
  const int width = std::max(1, static_cast<int>(std::lround(static_cast<double>(src.width()) * height / src.height())));
  return height < src.height() ? resize_area(src, width, height) : resize_bilinear(src, width, height);
}

}  // namespace nnocr::image
