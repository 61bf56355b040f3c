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

#include "detail/pixel.hpp"
#include "image.hpp"

namespace nnocr::image {

// Each source row is interpolated horizontally once, into a float row the
// (at most two) output rows that use it share; then each output row blends
// two of those. The arithmetic per pixel is the textbook one: horizontal
// lerps, then the vertical lerp, then rounding half away from zero.
inline Image resize_bilinear(const Image& src, int width, int height) {
  NNOCR_CHECK(!src.empty(), "resize_bilinear: empty image");
  Image out(width, height, src.channels());
  const int c = src.channels(), sw = src.width(), sh = src.height();
  const double sx = static_cast<double>(sw) / width, sy = static_cast<double>(sh) / height;
  std::vector<int> x0(static_cast<std::size_t>(width)), x1(x0.size());
  std::vector<float> wx(x0.size());
  for (int x = 0; x < width; ++x) {
    const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, sw - 1.0);
    x0[static_cast<std::size_t>(x)] = static_cast<int>(fx);
    x1[static_cast<std::size_t>(x)] = std::min(x0[static_cast<std::size_t>(x)] + 1, sw - 1);
    wx[static_cast<std::size_t>(x)] = static_cast<float>(fx - x0[static_cast<std::size_t>(x)]);
  }
  const std::size_t row = static_cast<std::size_t>(width) * static_cast<std::size_t>(c);
  std::vector<float> buffer(2 * row), source(static_cast<std::size_t>(sw) * static_cast<std::size_t>(c));
  float* rows[2] = {buffer.data(), buffer.data() + row};
  int cached[2] = {-1, -1};  // the source row each buffer holds
  // The horizontal interpolation of source row sy_ into a buffer (reused
  // when it already holds it; `keep` is the buffer not to overwrite).
  auto horizontal = [&](int sy_, int keep) -> const float* {
    for (int b = 0; b < 2; ++b)
      if (cached[b] == sy_) return rows[b];
    const int b = keep == 0 ? 1 : 0;
    cached[b] = sy_;
    const std::uint8_t* r = src.row(sy_);
    float* f = source.data();  // the row as floats (exact, as are differences of them)
    for (std::size_t i = 0; i < source.size(); ++i) f[i] = r[i];
    float* t = rows[b];
    detail::with_channels(c, [&](auto ch) {
      for (int x = 0; x < width; ++x) {
        const auto i = static_cast<std::size_t>(x);
        const float* a = f + static_cast<std::size_t>(x0[i]) * ch;
        const float* e = f + static_cast<std::size_t>(x1[i]) * ch;
        for (int k = 0; k < ch; ++k) t[i * ch + static_cast<std::size_t>(k)] = a[k] + wx[i] * (e[k] - a[k]);
      }
    });
    return t;
  };
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, sh - 1.0);
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, sh - 1);
    const float wy = static_cast<float>(fy - y0);
    const float* top = horizontal(y0, -1);
    const int top_buffer = top == rows[0] ? 0 : 1;
    const float* bottom = horizontal(y1, top_buffer);
    std::uint8_t* o = out.row(y);
    for (std::size_t i = 0; i < row; ++i) o[i] = detail::round_u8(top[i] + wy * (bottom[i] - top[i]));
  }
  return out;
}

namespace detail {
// For each destination index d, the source range [first[d], first[d] +
// count[d]) it covers and the weights, at weights[d * stride + i].
struct AreaTaps {
  std::vector<int> first, count;
  std::vector<float> weights;
  std::size_t stride = 0;
};
inline AreaTaps area_taps(int src, int dst) {
  AreaTaps t;
  const double scale = static_cast<double>(src) / dst;
  t.stride = static_cast<std::size_t>(std::ceil(scale)) + 2;  // the most source pixels one range can touch
  t.weights.assign(t.stride * static_cast<std::size_t>(dst), 0.0f);
  for (int d = 0; d < dst; ++d) {
    const double a = d * scale, b = (d + 1) * scale;
    const int first = static_cast<int>(std::floor(a)), last = std::min(src - 1, static_cast<int>(std::ceil(b)) - 1);
    float* w = t.weights.data() + static_cast<std::size_t>(d) * t.stride;
    for (int s = first; s <= last; ++s)
      w[s - first] = static_cast<float>((std::min<double>(b, s + 1) - std::max<double>(a, s)) / scale);
    t.first.push_back(first);
    t.count.push_back(last - first + 1);
  }
  return t;
}
}  // namespace detail

// Each output row accumulates, over the source rows it covers, that row's
// weight times the row's horizontal area sums (computed once per source
// row, shared by the output rows that cover it).
inline Image resize_area(const Image& src, int width, int height) {
  NNOCR_CHECK(!src.empty(), "resize_area: empty image");
  Image out(width, height, src.channels());
  const int c = src.channels();
  const detail::AreaTaps tx = detail::area_taps(src.width(), width), ty = detail::area_taps(src.height(), height);
  const std::size_t row = static_cast<std::size_t>(width) * static_cast<std::size_t>(c);
  std::vector<float> acc(row), sums(row);
  int summed = -1;  // the source row `sums` holds
  for (int y = 0; y < height; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* wys = ty.weights.data() + static_cast<std::size_t>(y) * ty.stride;
    for (int j = 0; j < ty.count[static_cast<std::size_t>(y)]; ++j) {
      const int sy = ty.first[static_cast<std::size_t>(y)] + j;
      if (sy != summed) {
        summed = sy;
        const std::uint8_t* r = src.row(sy);
        detail::with_channels(c, [&](auto ch) {
          for (int x = 0; x < width; ++x) {
            const float* wxs = tx.weights.data() + static_cast<std::size_t>(x) * tx.stride;
            const int n = tx.count[static_cast<std::size_t>(x)];
            const std::uint8_t* p = r + static_cast<std::size_t>(tx.first[static_cast<std::size_t>(x)]) * ch;
            for (int k = 0; k < ch; ++k) {
              float s = 0;
              for (int i = 0; i < n; ++i) s += wxs[i] * p[static_cast<std::size_t>(i) * ch + static_cast<std::size_t>(k)];
              sums[static_cast<std::size_t>(x) * ch + static_cast<std::size_t>(k)] = s;
            }
          }
        });
      }
      const float wy = wys[j];
      for (std::size_t i = 0; i < row; ++i) acc[i] += wy * sums[i];
    }
    std::uint8_t* o = out.row(y);
    for (std::size_t i = 0; i < row; ++i) o[i] = detail::round_u8(acc[i]);
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
