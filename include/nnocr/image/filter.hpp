// filter.hpp — Gaussian blur (separable) and median filter (Huang's sliding
// histogram: O(radius) per pixel instead of O(radius^2)). Borders repeat
// the edge pixel. Every channel is filtered on its own.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "image.hpp"

namespace nnocr::image {

// Separable: a horizontal pass into floats, then a vertical pass rounded
// back to bytes; kernel exp(-i^2 / (2 sigma^2)), radius ceil(3 sigma),
// normalised. Inner loops run over raw row pointers, with edge clamping only
// within `radius` of the border.
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
  for (int y = 0; y < h; ++y) {  // horizontal pass into floats
    const std::uint8_t* r = in + y * row;
    float* t = tmp.data() + y * row;
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        float s = 0;
        if (x - radius >= 0 && x + radius < w) {
          const std::uint8_t* p = r + static_cast<std::size_t>(x - radius) * c + k;
          for (int i = -radius; i <= radius; ++i, p += c) s += kc[i] * *p;
        } else {
          for (int i = -radius; i <= radius; ++i)
            s += kc[i] * r[static_cast<std::size_t>(std::clamp(x + i, 0, w - 1)) * c + k];
        }
        t[static_cast<std::size_t>(x) * c + k] = s;
      }
  }
  Image out(w, h, c);
  std::uint8_t* o = out.data();
  std::vector<const float*> rows(static_cast<std::size_t>(2 * radius + 1));
  for (int y = 0; y < h; ++y) {  // vertical pass, rounded back to bytes
    for (int i = -radius; i <= radius; ++i)
      rows[static_cast<std::size_t>(i + radius)] =
          tmp.data() + static_cast<std::size_t>(std::clamp(y + i, 0, h - 1)) * row;
    for (std::size_t x = 0; x < row; ++x) {
      float s = 0;
      for (int i = -radius; i <= radius; ++i) s += kc[i] * rows[static_cast<std::size_t>(i + radius)][x];
      o[y * row + x] = static_cast<std::uint8_t>(std::clamp(std::lround(s), 0L, 255L));
    }
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
