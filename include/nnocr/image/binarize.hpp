// binarize.hpp — global (Otsu) and local (Sauvola) thresholds for gray
// images. Output convention: ink 0 (black), paper 255 (white).
//
// Otsu (1979): the threshold t that maximises the between-class variance
// w0 w1 (mu0 - mu1)^2 of the gray histogram split at t.
// Sauvola & Pietikäinen (2000): per pixel, T = m (1 + k (s / R - 1)) with m
// and s the mean and standard deviation of a w x w window around it; copes
// with uneven lighting where one global threshold cannot. Window sums come
// from integral images, so the cost does not depend on w.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "image.hpp"

namespace nnocr::image {

// Otsu's threshold of a 1-channel image: pixels <= t are the dark class.
inline int otsu_threshold(const Image& gray) {
  NNOCR_CHECK(!gray.empty() && gray.channels() == 1, "otsu_threshold: needs a non-empty 1-channel image");
  // Four integer histograms summed at the end: runs of one gray level
  // (blank paper) would otherwise wait on the previous add to the same bin
  // for every pixel.
  const std::size_t n = static_cast<std::size_t>(gray.width()) * gray.height();
  std::array<std::uint32_t, 4 * 256> counts{};
  const std::uint8_t* px = gray.data();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    ++counts[px[i]];
    ++counts[256 + px[i + 1]];
    ++counts[512 + px[i + 2]];
    ++counts[768 + px[i + 3]];
  }
  for (; i < n; ++i) ++counts[px[i]];
  std::array<double, 256> hist{};
  for (int v = 0; v < 256; ++v)
    hist[v] = static_cast<double>(counts[v]) + counts[256 + v] + counts[512 + v] + counts[768 + v];
  double total_sum = 0;
  for (int v = 0; v < 256; ++v) total_sum += v * hist[v];
  double w0 = 0, sum0 = 0, best = -1;
  int best_t = 0;
  for (int t = 0; t < 256; ++t) {
    w0 += hist[t];
    sum0 += t * hist[t];
    const double w1 = static_cast<double>(n) - w0;
    if (w0 == 0 || w1 == 0) continue;
    const double mu0 = sum0 / w0, mu1 = (total_sum - sum0) / w1;
    const double between = w0 * w1 * (mu0 - mu1) * (mu0 - mu1);
    if (between > best) {
      best = between;
      best_t = t;
    }
  }
  return best_t;
}

// 0 where gray <= threshold, 255 elsewhere.
inline Image threshold(const Image& gray, int t) {
  NNOCR_CHECK(!gray.empty() && gray.channels() == 1, "threshold: needs a non-empty 1-channel image");
  Image out(gray.width(), gray.height(), 1);
  const std::size_t n = static_cast<std::size_t>(gray.width()) * gray.height();
  for (std::size_t i = 0; i < n; ++i) out.data()[i] = gray.data()[i] <= t ? 0 : 255;
  return out;
}

inline Image otsu_binarize(const Image& gray) { return threshold(gray, otsu_threshold(gray)); }

struct SauvolaConfig {
  int window = 31;         // odd side of the local window, pixels
  double k = 0.2;          // sensitivity to local contrast
  double range = 128.0;    // R, the dynamic range of the standard deviation
};

inline Image sauvola_binarize(const Image& gray, const SauvolaConfig& cfg = {}) {
  NNOCR_CHECK(!gray.empty() && gray.channels() == 1, "sauvola_binarize: needs a non-empty 1-channel image");
  NNOCR_CHECK(cfg.window >= 3 && cfg.range > 0, "sauvola_binarize: window must be >= 3 and range > 0");
  const int w = gray.width(), h = gray.height(), half = cfg.window / 2;
  // Integral images with one extra row and column of zeros.
  std::vector<double> sum(static_cast<std::size_t>(w + 1) * (h + 1)), sq(sum.size());
  auto idx = [w](int x, int y) { return static_cast<std::size_t>(y) * (w + 1) + x; };
  for (int y = 0; y < h; ++y) {
    double row_sum = 0, row_sq = 0;
    for (int x = 0; x < w; ++x) {
      const double v = gray.at(x, y);
      row_sum += v;
      row_sq += v * v;
      sum[idx(x + 1, y + 1)] = sum[idx(x + 1, y)] + row_sum;
      sq[idx(x + 1, y + 1)] = sq[idx(x + 1, y)] + row_sq;
    }
  }
  Image out(w, h, 1);
  for (int y = 0; y < h; ++y) {
    const int y0 = std::max(0, y - half), y1 = std::min(h, y + half + 1);
    for (int x = 0; x < w; ++x) {
      const int x0 = std::max(0, x - half), x1 = std::min(w, x + half + 1);
      const double count = static_cast<double>(x1 - x0) * (y1 - y0);
      const double s = sum[idx(x1, y1)] - sum[idx(x0, y1)] - sum[idx(x1, y0)] + sum[idx(x0, y0)];
      const double s2 = sq[idx(x1, y1)] - sq[idx(x0, y1)] - sq[idx(x1, y0)] + sq[idx(x0, y0)];
      const double mean = s / count;
      const double stddev = std::sqrt(std::max(0.0, s2 / count - mean * mean));
      const double t = mean * (1.0 + cfg.k * (stddev / cfg.range - 1.0));
      out.at(x, y) = gray.at(x, y) <= t ? 0 : 255;
    }
  }
  return out;
}

}  // namespace nnocr::image
