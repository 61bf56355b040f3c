// deskew.hpp — rotation, and skew estimation by projection profiles.
//
// Angles are in degrees, counter-clockwise as seen on screen. A text line
// tilted counter-clockwise by t runs along y = y0 - x tan t (y grows down);
// shearing the ink by y + x tan a lines every such row up in one bin when
// a = t, which makes the row histogram (the projection profile) peakiest.
// The score is the sum of squared bin counts (Postl 1986 in spirit);
// estimate_skew searches it coarse to fine over [-max, max].
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "binarize.hpp"
#include "color.hpp"
#include "image.hpp"
#include "resize.hpp"

namespace nnocr::image {

// The image turned `degrees` counter-clockwise about its centre, same size,
// bilinear; corners that come from outside are `fill`.
inline Image rotate(const Image& src, double degrees, std::uint8_t fill = 255) {
  NNOCR_CHECK(!src.empty(), "rotate: empty image");
  NNOCR_CHECK(std::isfinite(degrees), "rotate: angle is not finite");
  const double t = degrees * 3.14159265358979323846 / 180.0, cs = std::cos(t), sn = std::sin(t);
  const int w = src.width(), h = src.height(), c = src.channels();
  const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
  Image out(w, h, c, fill);
  // Raw rows instead of at(): the accessor's shape lookups were a fifth of
  // `nnocr read` on tilted lines. The same arithmetic, pixel for pixel.
  const std::uint8_t* in = src.data();
  std::uint8_t* o = out.data();
  const std::ptrdiff_t stride = static_cast<std::ptrdiff_t>(w) * c;
  for (int y = 0; y < h; ++y) {
    const double dy = y - cy, dy_sn = dy * sn, dy_cs = dy * cs;
    for (int x = 0; x < w; ++x) {
      // Inverse map: where in the source does this output pixel come from?
      const double dx = x - cx;
      const double sx = cx + dx * cs - dy_sn, sy = cy + dx * sn + dy_cs;
      if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5) continue;
      const double fx = std::clamp(sx, 0.0, w - 1.0), fy = std::clamp(sy, 0.0, h - 1.0);
      const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
      const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
      const double ax = fx - x0, ay = fy - y0;
      const std::uint8_t* r0 = in + y0 * stride;
      const std::uint8_t* r1 = in + y1 * stride;
      for (int k = 0; k < c; ++k) {
        const double p00 = r0[x0 * c + k], p01 = r0[x1 * c + k], p10 = r1[x0 * c + k], p11 = r1[x1 * c + k];
        const double top = p00 + ax * (p01 - p00);
        const double bottom = p10 + ax * (p11 - p10);
        o[y * stride + x * c + k] = static_cast<std::uint8_t>(std::lround(top + ay * (bottom - top)));
      }
    }
  }
  return out;
}

// The counter-clockwise tilt of the text lines in degrees, within
// [-max_degrees, max_degrees]; 0 for an image without ink. Large pages are
// first shrunk to about 1200 pixels on their long side.
inline double estimate_skew(const Image& src, double max_degrees = 10.0) {
  NNOCR_CHECK(!src.empty(), "estimate_skew: empty image");
  NNOCR_CHECK(max_degrees > 0 && max_degrees <= 45, "estimate_skew: max_degrees must be in (0, 45]");
  Image gray = to_gray(src);
  const int long_side = std::max(gray.width(), gray.height());
  if (long_side > 1200) {
    const double s = 1200.0 / long_side;
    gray = resize_area(gray, std::max(1, static_cast<int>(gray.width() * s)),
                       std::max(1, static_cast<int>(gray.height() * s)));
  }
  const Image ink = otsu_binarize(gray);
  std::vector<std::pair<float, float>> points;
  for (int y = 0; y < ink.height(); ++y)
    for (int x = 0; x < ink.width(); ++x)
      if (ink.at(x, y) == 0) points.emplace_back(static_cast<float>(x), static_cast<float>(y));
  // Ink covering most of the image is background, not text.
  if (points.empty() || points.size() > static_cast<std::size_t>(ink.width()) * ink.height() / 2) return 0.0;
  const double max_shift = ink.width() * std::tan(max_degrees * 3.14159265358979323846 / 180.0) + 2;
  std::vector<double> bins(static_cast<std::size_t>(ink.height() + 2 * max_shift + 2));
  auto score = [&](double degrees) {
    std::fill(bins.begin(), bins.end(), 0.0);
    const double tn = std::tan(degrees * 3.14159265358979323846 / 180.0);
    for (const auto& p : points) bins[static_cast<std::size_t>(p.second + p.first * tn + max_shift)] += 1.0;
    double s = 0;
    for (double b : bins) s += b * b;
    return s;
  };
  double best = 0, best_score = -1;
  auto search = [&](double lo, double hi, double step) {
    for (double a = lo; a <= hi + 1e-9; a += step) {
      const double s = score(a);
      if (s > best_score) {
        best_score = s;
        best = a;
      }
    }
  };
  search(-max_degrees, max_degrees, 0.25);
  const double centre = best;
  search(std::max(-max_degrees, centre - 0.3), std::min(max_degrees, centre + 0.3), 0.02);
  return best;
}

// Rotates the image so that its text lines are horizontal.
inline Image deskew(const Image& src, double max_degrees = 10.0) {
  return rotate(src, -estimate_skew(src, max_degrees));
}

}  // namespace nnocr::image
