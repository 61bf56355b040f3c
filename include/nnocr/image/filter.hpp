// filter.hpp — Gaussian blur (separable) and median filter (Huang's sliding
// histogram: O(radius) per pixel instead of O(radius^2)). Borders repeat
// the edge pixel. Every channel is filtered on its own.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "detail/pixel.hpp"
#include "image.hpp"

namespace nnocr::image {

// Separable: a horizontal pass into floats, then a vertical pass rounded
// back to bytes; kernel exp(-i^2 / (2 sigma^2)), radius ceil(3 sigma),
// normalised. Inner loops run over raw row pointers, tap by tap across a
// row so that they vectorize, with edge clamping only within `radius` of
// the border.
inline Image gaussian_blur(const Image& src, double sigma) {
  NNOCR_CHECK(!src.empty(), "gaussian_blur: empty image");
  NNOCR_CHECK(sigma > 0 && sigma <= 100, "gaussian_blur: sigma must be in (0, 100], got ", sigma);
  const int radius = static_cast<int>(std::ceil(3 * sigma)), c = src.channels(), w = src.width(), h = src.height();
  std::vector<float> kernel(static_cast<std::size_t>(2 * radius + 1));
  float total = 0;
  for (int i = -radius; i <= radius; ++i)
    total += kernel[static_cast<std::size_t>(i + radius)] = static_cast<float>(std::exp(-0.5 * i * i / (sigma * sigma)));
  for (float& k : kernel) k /= total;
  const float* kc = kernel.data() + radius;  // kc[i] for i in [-radius, radius]
  const std::size_t row = static_cast<std::size_t>(w) * c;
  std::vector<float> tmp(row * h);
  const std::uint8_t* in = src.data();
  // Where the whole window lies inside the row: samples [inner0, inner1).
  const std::size_t inner0 = static_cast<std::size_t>(std::min(radius, w)) * c;
  const std::size_t inner1 = w > 2 * radius ? static_cast<std::size_t>(w - radius) * c : inner0;
  for (int y = 0; y < h; ++y) {  // horizontal pass into floats
    const std::uint8_t* r = in + y * row;
    float* t = tmp.data() + y * row;
    auto clamped = [&](std::size_t j) {  // sample j = x * c + k near an edge
      const int x = static_cast<int>(j / c), k = static_cast<int>(j % c);
      float s = 0;
      for (int i = -radius; i <= radius; ++i) s += kc[i] * r[static_cast<std::size_t>(std::clamp(x + i, 0, w - 1)) * c + k];
      t[j] = s;
    };
    for (std::size_t j = 0; j < inner0; ++j) clamped(j);
    // Inside, tap by tap across the row (the same sum, in the same order,
    // for every sample; the loop over samples vectorizes).
    std::fill(t + inner0, t + inner1, 0.0f);
    for (int i = -radius; i <= radius; ++i) {
      const float ki = kc[i];
      const std::ptrdiff_t shift = static_cast<std::ptrdiff_t>(i) * c;
      for (std::size_t j = inner0; j < inner1; ++j) t[j] += ki * r[static_cast<std::ptrdiff_t>(j) + shift];
    }
    for (std::size_t j = std::max(inner0, inner1); j < row; ++j) clamped(j);
  }
  Image out(w, h, c);
  std::uint8_t* o = out.data();
  std::vector<float> acc(row);
  for (int y = 0; y < h; ++y) {  // vertical pass, rounded back to bytes
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int i = -radius; i <= radius; ++i) {
      const float ki = kc[i];
      const float* t = tmp.data() + static_cast<std::size_t>(std::clamp(y + i, 0, h - 1)) * row;
      for (std::size_t x = 0; x < row; ++x) acc[x] += ki * t[x];
    }
    for (std::size_t x = 0; x < row; ++x) o[y * row + x] = detail::round_u8(acc[x]);
  }
  return out;
}

// Median of the (2 radius + 1)^2 window around each pixel.
inline Image median_filter(const Image& src, int radius) {
  NNOCR_CHECK(!src.empty(), "median_filter: empty image");
  NNOCR_CHECK(radius >= 1 && radius <= 50, "median_filter: radius must be in [1, 50], got ", radius);
  const int c = src.channels(), w = src.width(), h = src.height();
  const int area = (2 * radius + 1) * (2 * radius + 1), rank = area / 2;
  Image out(w, h, c);
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y) {
      std::array<int, 256> hist{};
      auto column = [&](int x, int delta) {
        const int cx = std::clamp(x, 0, w - 1);
        for (int j = -radius; j <= radius; ++j) hist[src.at(cx, std::clamp(y + j, 0, h - 1), k)] += delta;
      };
      for (int i = -radius; i <= radius; ++i) column(i, +1);
      for (int x = 0; x < w; ++x) {
        if (x > 0) {
          column(x - radius - 1, -1);
          column(x + radius, +1);
        }
        int seen = 0, v = 0;
        while ((seen += hist[static_cast<std::size_t>(v)]) <= rank) ++v;
        out.at(x, y, k) = static_cast<std::uint8_t>(v);
      }
    }
  return out;
}

}  // namespace nnocr::image
