// augment.hpp — degradations that make clean rendered text look like scans
// and photos: geometry (rotation, shear, perspective, elastic), ink
// thickness, paper texture, uneven light, contrast, dust, blur, resolution
// loss, sensor noise, binarization and JPEG compression.
//
// Each step is a plain function. The random ones take an Rng and draw
// everything they need from it, so the same seed gives the same image on
// every platform; the others are deterministic in their parameters. All work
// on any channel count (channels are treated alike) and on any size down to
// 1x1. They keep the image size unless their comment says otherwise
// (rotate_shear with expand, crop_pad, random_crop_pad).
//
// Gray levels assume dark ink on light paper where it matters (ink
// thickness, speckles, paper texture, illumination).
//
// augment(img, rng, config) applies a random subset in the order the
// degradations happen physically: the printed glyphs (ink spread), the page
// in front of the scanner (geometry, crop), the paper and the light, the
// optics (blur, resolution), the sensor (noise), the file (binarization or
// JPEG).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "binarize.hpp"
#include "detail/pixel.hpp"
#include "filter.hpp"
#include "image.hpp"
#include "resize.hpp"

namespace nnocr::image {

namespace detail {

// Rounds to the nearest byte, saturating. Branch-free (min/max): noisy
// pixels near 0 and 255 would make a branch mispredict half the time.
inline std::uint8_t clamp_u8(float v) {
  // Truncating v + 256.5 rounds half up for v > -256.5 and stays negative
  // below; the float bound keeps the conversion defined. Compilers turn
  // the integer clamp into conditional moves.
  const int i = static_cast<int>((v < 1e6f ? v : 1e6f) + 256.5f) - 256;
  return static_cast<std::uint8_t>(i < 0 ? 0 : i > 255 ? 255 : i);
}

// Bilinear sampling in pixel-centre coordinates with `fill` outside (and a
// one-pixel soft edge). Holds raw pointers: Image accessors recompute the
// element count on every call, far too slow for per-pixel loops. Channels
// is int, or std::integral_constant<int, 1> for gray (with_channels).
template <class Channels = int>
struct Sampler {
  const std::uint8_t* data;
  int w, h;
  Channels c;
  float fill;
  Sampler(const Image& img, float fill_value, Channels channels)
      : data(img.data()), w(img.width()), h(img.height()), c(channels), fill(fill_value) {}
  NNOCR_ALWAYS_INLINE float at(int x, int y, int k) const {
    return x < 0 || y < 0 || x >= w || y >= h ? fill
                                              : static_cast<float>(data[(static_cast<std::size_t>(y) * w + x) * c + k]);
  }
  NNOCR_ALWAYS_INLINE float operator()(float x, float y, int k) const {
    if (!(x > -1.0f && y > -1.0f && x < static_cast<float>(w) && y < static_cast<float>(h))) return fill;
    const int x0 = static_cast<int>(x + 1.0f) - 1, y0 = static_cast<int>(y + 1.0f) - 1;  // floor, as x, y > -1
    const float ax = x - static_cast<float>(x0), ay = y - static_cast<float>(y0);
    if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {  // interior: no bounds checks
      const std::uint8_t* p = data + (static_cast<std::size_t>(y0) * w + x0) * c + k;
      const std::size_t down = static_cast<std::size_t>(w) * c;
      const float top = p[0] + ax * (static_cast<float>(p[c]) - p[0]);
      const float bottom = p[down] + ax * (static_cast<float>(p[down + c]) - p[down]);
      return top + ay * (bottom - top);
    }
    const float top = at(x0, y0, k) + ax * (at(x0 + 1, y0, k) - at(x0, y0, k));
    const float bottom = at(x0, y0 + 1, k) + ax * (at(x0 + 1, y0 + 1, k) - at(x0, y0 + 1, k));
    return top + ay * (bottom - top);
  }
};

// clamp_u8 for values within [-0.5, 255.5), such as bilinear blends of
// bytes: the same rounding, without the clamps (which keep compilers from
// vectorizing, and cost branches in scalar loops).
inline std::uint8_t round_u8_in_range(float v) { return static_cast<std::uint8_t>(static_cast<int>(v + 256.5f) - 256); }

// Samples (all channels) as a row pointer and its size, for tight loops.
inline std::size_t sample_count(const Image& img) {
  return static_cast<std::size_t>(img.width()) * static_cast<std::size_t>(img.height()) *
         static_cast<std::size_t>(img.channels());
}

// The median of the border pixels (all channels): the paper level of a
// line image, used to fill what geometry brings in from outside.
inline std::uint8_t border_level(const Image& img) {
  std::array<int, 256> hist{};
  int n = 0;
  const int w = img.width(), h = img.height(), c = img.channels();
  for (int x = 0; x < w; ++x)
    for (int k = 0; k < c; ++k) ++hist[img.at(x, 0, k)], ++hist[img.at(x, h - 1, k)], n += 2;
  for (int y = 0; y < h; ++y)
    for (int k = 0; k < c; ++k) ++hist[img.at(0, y, k)], ++hist[img.at(w - 1, y, k)], n += 2;
  int seen = 0;
  for (int v = 0; v < 256; ++v)
    if ((seen += hist[static_cast<std::size_t>(v)]) * 2 >= n) return static_cast<std::uint8_t>(v);
  return 255;
}

inline void check_input(const Image& img, const char* what) { NNOCR_CHECK(!img.empty(), what, ": empty image"); }

}  // namespace detail

// ---------------------------------------------------------------- geometry

// Output pixel (x, y) takes the source at (m[0] x + m[1] y + m[2],
// m[3] x + m[4] y + m[5]) (pixel centres), bilinear; outside is `fill`.
// Size: width x height.
inline Image warp_affine(const Image& src, const std::array<double, 6>& m, int width, int height,
                         std::uint8_t fill = 255) {
  detail::check_input(src, "warp_affine");
  Image out(width, height, src.channels(), fill);
  detail::with_channels(src.channels(), [&](auto c) {
    const detail::Sampler<decltype(c)> sample(src, fill, c);
    std::uint8_t* o = out.data();
    for (int y = 0; y < height; ++y) {
      // Exact at the start of each row, stepped along it (float steps drift
      // by far less than a pixel over any realistic width).
      auto sx = static_cast<float>(m[1] * y + m[2]), sy = static_cast<float>(m[4] * y + m[5]);
      const auto stepx = static_cast<float>(m[0]), stepy = static_cast<float>(m[3]);
      for (int x = 0; x < width; ++x, o += c, sx += stepx, sy += stepy)
        for (int k = 0; k < c; ++k) o[k] = detail::round_u8_in_range(sample(sx, sy, k));
    }
  });
  return out;
}

// Output pixel (x, y) takes the source at the projective map h (row-major
// 3x3, output -> source). Size: width x height.
inline Image warp_perspective(const Image& src, const std::array<double, 9>& hm, int width, int height,
                              std::uint8_t fill = 255) {
  detail::check_input(src, "warp_perspective");
  Image out(width, height, src.channels(), fill);
  detail::with_channels(src.channels(), [&](auto c) {
    const detail::Sampler<decltype(c)> sample(src, fill, c);
    std::uint8_t* o = out.data();
    for (int y = 0; y < height; ++y) {
      double nx = hm[1] * y + hm[2], ny = hm[4] * y + hm[5], nz = hm[7] * y + hm[8];
      for (int x = 0; x < width; ++x, o += c, nx += hm[0], ny += hm[3], nz += hm[6]) {
        if (std::abs(nz) < 1e-9) continue;
        const double inv = 1.0 / nz;
        const auto sx = static_cast<float>(nx * inv), sy = static_cast<float>(ny * inv);
        for (int k = 0; k < c; ++k) o[k] = detail::round_u8_in_range(sample(sx, sy, k));
      }
    }
  });
  return out;
}

// The output -> source map of rotate_shear and its output size.
inline std::array<double, 6> rotate_shear_map(int w, int h, double degrees, double shear, bool expand, int& out_w,
                                              int& out_h) {
  NNOCR_CHECK(std::isfinite(degrees) && std::isfinite(shear) && std::abs(degrees) <= 90 && std::abs(shear) <= 2,
              "rotate_shear: angle must be within 90 degrees and shear within 2");
  const double t = degrees * 3.14159265358979323846 / 180.0, cs = std::cos(t), sn = std::sin(t);
  // Forward map of a centred point: shear, then rotate (y grows down, so a
  // counter-clockwise turn on screen is (x cs + y sn, -x sn + y cs)).
  // A = R * S, S = [[1, -shear], [0, 1]].
  const double a00 = cs, a01 = -shear * cs + sn, a10 = -sn, a11 = shear * sn + cs;
  out_w = w, out_h = h;
  if (expand) {
    const double hw = w / 2.0, hh = h / 2.0;
    const double ex = std::abs(a00) * hw + std::abs(a01) * hh, ey = std::abs(a10) * hw + std::abs(a11) * hh;
    out_w = std::max(1, static_cast<int>(std::ceil(2 * ex - 1e-6)));
    out_h = std::max(1, static_cast<int>(std::ceil(2 * ey - 1e-6)));
  }
  const double det = a00 * a11 - a01 * a10;
  const double i00 = a11 / det, i01 = -a01 / det, i10 = -a10 / det, i11 = a00 / det;
  const double scx = (w - 1) / 2.0, scy = (h - 1) / 2.0, ocx = (out_w - 1) / 2.0, ocy = (out_h - 1) / 2.0;
  return {i00, i01, scx - i00 * ocx - i01 * ocy, i10, i11, scy - i10 * ocx - i11 * ocy};
}

// Rotates by `degrees` (counter-clockwise) and shears by `shear` (x moves
// by shear * (centre_y - y): positive slants the text like italics) about
// the centre. With expand the output grows to hold the whole input (size
// changes); otherwise it keeps the input size and clips.
inline Image rotate_shear(const Image& src, double degrees, double shear, std::uint8_t fill = 255, bool expand = true) {
  detail::check_input(src, "rotate_shear");
  int ow = 0, oh = 0;
  const std::array<double, 6> m = rotate_shear_map(src.width(), src.height(), degrees, shear, expand, ow, oh);
  return warp_affine(src, m, ow, oh, fill);
}

// The 3x3 projective map taking the four `from` points to the four `to`
// points (x, y pairs, in order), by solving the 8x8 linear system.
inline std::array<double, 9> perspective_transform(const std::array<double, 8>& from, const std::array<double, 8>& to) {
  double a[8][9] = {};
  for (int i = 0; i < 4; ++i) {
    const double x = from[2 * i], y = from[2 * i + 1], u = to[2 * i], v = to[2 * i + 1];
    double* r0 = a[2 * i];
    double* r1 = a[2 * i + 1];
    r0[0] = x, r0[1] = y, r0[2] = 1, r0[6] = -u * x, r0[7] = -u * y, r0[8] = u;
    r1[3] = x, r1[4] = y, r1[5] = 1, r1[6] = -v * x, r1[7] = -v * y, r1[8] = v;
  }
  for (int col = 0; col < 8; ++col) {  // Gaussian elimination, partial pivoting
    int pivot = col;
    for (int r = col + 1; r < 8; ++r)
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    NNOCR_CHECK(std::abs(a[pivot][col]) > 1e-12, "perspective_transform: degenerate points");
    for (int k = 0; k < 9; ++k) std::swap(a[col][k], a[pivot][k]);
    for (int r = 0; r < 8; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      for (int k = col; k < 9; ++k) a[r][k] -= f * a[col][k];
    }
  }
  std::array<double, 9> hm{};
  for (int i = 0; i < 8; ++i) hm[static_cast<std::size_t>(i)] = a[i][8] / a[i][i];
  hm[8] = 1;
  return hm;
}

// A random output -> source projective map of a w x h image: each corner
// moves by up to max_shift * h pixels (the identity for images under 2x2).
inline std::array<double, 9> random_perspective_map(int width, int height, Rng& rng, double max_shift) {
  NNOCR_CHECK(max_shift >= 0 && max_shift <= 0.5, "random_perspective: max_shift must be in [0, 0.5]");
  const double w = width, h = height, d = max_shift * h;
  const std::array<double, 8> out_corners = {0, 0, w - 1, 0, w - 1, h - 1, 0, h - 1};
  std::array<double, 8> in_corners = out_corners;
  for (double& v : in_corners) v += rng.uniform(static_cast<float>(-d), static_cast<float>(d));
  if (width < 2 || height < 2) return {1, 0, 0, 0, 1, 0, 0, 0, 1};
  return perspective_transform(out_corners, in_corners);  // the output samples the jittered corners
}

// Moves each corner by up to max_shift * height pixels at random and warps
// the image accordingly (a page not quite flat or square to the camera).
inline Image random_perspective(const Image& src, Rng& rng, double max_shift, std::uint8_t fill = 255) {
  detail::check_input(src, "random_perspective");
  const std::array<double, 9> hm = random_perspective_map(src.width(), src.height(), rng, max_shift);
  return warp_perspective(src, hm, src.width(), src.height(), fill);
}

// Elastic distortion (Simard et al. 2003, "Best practices for convolutional
// neural networks applied to visual document analysis"): every pixel moves
// by a smooth random field. The field is random normal displacements of
// standard deviation `alpha` pixels on a grid of `spacing` pixels,
// interpolated bilinearly (smooth like the paper's Gaussian-filtered field,
// at a fraction of the cost).
inline Image elastic_distortion(const Image& src, Rng& rng, double alpha, double spacing, std::uint8_t fill = 255) {
  detail::check_input(src, "elastic_distortion");
  NNOCR_CHECK(alpha >= 0 && alpha <= 100 && spacing >= 1 && spacing <= 1000,
              "elastic_distortion: alpha must be in [0, 100] and spacing in [1, 1000]");
  const int w = src.width(), h = src.height(), c = src.channels();
  const int gw = static_cast<int>(std::ceil(w / spacing)) + 2, gh = static_cast<int>(std::ceil(h / spacing)) + 2;
  std::vector<float> dx(static_cast<std::size_t>(gw) * gh), dy(dx.size());
  for (std::size_t i = 0; i < dx.size(); ++i) dx[i] = rng.normal(0, static_cast<float>(alpha)), dy[i] = rng.normal(0, static_cast<float>(alpha));
  Image out(w, h, c, fill);
  const auto inv = static_cast<float>(1.0 / spacing);
  std::vector<float> row_dx(static_cast<std::size_t>(gw)), row_dy(row_dx.size());
  // The grid column and weight of each image column, the same for every row.
  std::vector<std::size_t> col_x0(static_cast<std::size_t>(w));
  std::vector<float> col_ax(col_x0.size());
  for (int x = 0; x < w; ++x) {
    const float gx = static_cast<float>(x) * inv;
    col_x0[static_cast<std::size_t>(x)] = static_cast<std::size_t>(gx);
    col_ax[static_cast<std::size_t>(x)] = gx - static_cast<float>(col_x0[static_cast<std::size_t>(x)]);
  }
  detail::with_channels(c, [&](auto ch) {
    const detail::Sampler<decltype(ch)> sample(src, fill, ch);
    std::uint8_t* o = out.data();
    for (int y = 0; y < h; ++y) {
      const float gy = static_cast<float>(y) * inv;
      const int y0 = static_cast<int>(gy);
      const float ay = gy - static_cast<float>(y0);
      for (int i = 0; i < gw; ++i) {  // the field along this row, at the grid columns
        const std::size_t a = static_cast<std::size_t>(y0) * gw + static_cast<std::size_t>(i);
        row_dx[static_cast<std::size_t>(i)] = dx[a] + ay * (dx[a + gw] - dx[a]);
        row_dy[static_cast<std::size_t>(i)] = dy[a] + ay * (dy[a + gw] - dy[a]);
      }
      for (int x = 0; x < w; ++x) {
        const std::size_t x0 = col_x0[static_cast<std::size_t>(x)];
        const float ax = col_ax[static_cast<std::size_t>(x)];
        const float sx = static_cast<float>(x) + row_dx[x0] + ax * (row_dx[x0 + 1] - row_dx[x0]);
        const float sy = static_cast<float>(y) + row_dy[x0] + ax * (row_dy[x0 + 1] - row_dy[x0]);
        for (int k = 0; k < ch; ++k, ++o) *o = detail::round_u8_in_range(sample(sx, sy, k));
      }
    }
  });
  return out;
}

// Adds (positive) or removes (negative) columns and rows on each side;
// added ones are `fill`. At least one pixel always remains. Size changes.
inline Image crop_pad(const Image& src, int left, int top, int right, int bottom, std::uint8_t fill = 255) {
  detail::check_input(src, "crop_pad");
  const int w = src.width(), h = src.height(), c = src.channels();
  // Crops never remove the last column/row.
  left = std::max(left, -(w - 1));
  right = std::max(right, -(w - 1 + std::min(left, 0)));
  top = std::max(top, -(h - 1));
  bottom = std::max(bottom, -(h - 1 + std::min(top, 0)));
  const int ow = w + left + right, oh = h + top + bottom;
  Image out(ow, oh, c, fill);
  const int x_from = std::max(0, -left), x_to = std::min(w, ow - left);  // source columns kept
  for (int y = std::max(0, top); y < std::min(oh, h + top); ++y)
    std::memcpy(out.data() + (static_cast<std::size_t>(y) * ow + (x_from + left)) * c,
                src.data() + (static_cast<std::size_t>(y - top) * w + x_from) * c, static_cast<std::size_t>(x_to - x_from) * c);
  return out;
}

// ---------------------------------------------------------------- ink

namespace detail {

// Separable running minimum or maximum (pick(a, b) returns one of the
// two) over a (2r+1)^2 square, edges clamped. Inner loops run across rows
// so that they vectorize.
template <class Pick>
Image morphology(const Image& src, int radius, Pick pick) {
  const int w = src.width(), h = src.height(), c = src.channels();
  Image tmp(w, h, c), out(w, h, c);
  const std::uint8_t* s = src.data();
  std::uint8_t* t = tmp.data();
  const std::size_t row = static_cast<std::size_t>(w) * c;
  // Samples whose window lies inside the row: [inner0, inner1).
  const std::size_t inner0 = static_cast<std::size_t>(std::min(radius, w)) * c;
  const std::size_t inner1 = w > 2 * radius ? static_cast<std::size_t>(w - radius) * c : inner0;
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* r = s + y * row;
    std::uint8_t* d = t + y * row;
    auto clamped = [&](std::size_t j) {
      const int x = static_cast<int>(j / c), k = static_cast<int>(j % c);
      std::uint8_t v = r[j];
      for (int i = std::max(0, x - radius); i <= std::min(w - 1, x + radius); ++i) v = pick(v, r[static_cast<std::size_t>(i) * c + k]);
      d[j] = v;
    };
    for (std::size_t j = 0; j < inner0; ++j) clamped(j);
    std::copy(r + inner0, r + inner1, d + inner0);
    for (int i = -radius; i <= radius; ++i) {
      const std::ptrdiff_t shift = static_cast<std::ptrdiff_t>(i) * c;
      for (std::size_t j = inner0; j < inner1; ++j) d[j] = pick(d[j], r[static_cast<std::ptrdiff_t>(j) + shift]);
    }
    for (std::size_t j = std::max(inner0, inner1); j < row; ++j) clamped(j);
  }
  std::uint8_t* o = out.data();
  for (int y = 0; y < h; ++y) {
    std::uint8_t* d = o + y * row;
    std::copy(t + y * row, t + (y + 1) * row, d);
    for (int j = std::max(0, y - radius); j <= std::min(h - 1, y + radius); ++j) {
      const std::uint8_t* u = t + j * row;
      for (std::size_t i = 0; i < row; ++i) d[i] = pick(d[i], u[i]);
    }
  }
  return out;
}

}  // namespace detail

// Grayscale erosion (minimum) and dilation (maximum) over a (2r+1)^2 square,
// separable. On dark-on-light text min_filter thickens the ink and
// max_filter thins it.
inline Image min_filter(const Image& src, int radius) {
  detail::check_input(src, "min_filter");
  NNOCR_CHECK(radius >= 0 && radius <= 50, "min_filter: radius must be in [0, 50]");
  return detail::morphology(src, radius, [](std::uint8_t a, std::uint8_t b) { return a < b ? a : b; });
}
inline Image max_filter(const Image& src, int radius) {
  detail::check_input(src, "max_filter");
  NNOCR_CHECK(radius >= 0 && radius <= 50, "max_filter: radius must be in [0, 50]");
  return detail::morphology(src, radius, [](std::uint8_t a, std::uint8_t b) { return a > b ? a : b; });
}

// Ink thickness for dark text: amount in [-1, 1] blends towards the 3x3
// maximum (thinner strokes, faded toner) or minimum (ink spread, bold),
// so fractions of a pixel are possible.
inline Image adjust_ink_thickness(const Image& src, double amount) {
  detail::check_input(src, "adjust_ink_thickness");
  NNOCR_CHECK(amount >= -1 && amount <= 1, "adjust_ink_thickness: amount must be in [-1, 1]");
  if (amount == 0) return src;
  const Image target = amount > 0 ? min_filter(src, 1) : max_filter(src, 1);
  const auto a = static_cast<float>(std::abs(amount));
  Image out = src;
  const std::size_t n = static_cast<std::size_t>(src.width()) * src.height() * src.channels();
  for (std::size_t i = 0; i < n; ++i)
    out.data()[i] = detail::clamp_u8(src.data()[i] + a * (static_cast<float>(target.data()[i]) - src.data()[i]));
  return out;
}

// ---------------------------------------------------------------- tone

// v' = 255 * ((v / 255 - 0.5) * contrast + 0.5 + brightness / 255) ^ gamma.
inline Image adjust_contrast(const Image& src, double contrast, double brightness, double gamma = 1.0) {
  detail::check_input(src, "adjust_contrast");
  NNOCR_CHECK(contrast >= 0 && contrast <= 10 && std::abs(brightness) <= 255 && gamma > 0.05 && gamma <= 20,
              "adjust_contrast: contrast in [0, 10], brightness in [-255, 255], gamma in (0.05, 20]");
  std::array<std::uint8_t, 256> lut{};
  for (int v = 0; v < 256; ++v) {
    double t = (v / 255.0 - 0.5) * contrast + 0.5 + brightness / 255.0;
    t = std::clamp(t, 0.0, 1.0);
    lut[static_cast<std::size_t>(v)] = detail::clamp_u8(static_cast<float>(255.0 * std::pow(t, gamma)));
  }
  Image out = src;
  const std::size_t n = static_cast<std::size_t>(src.width()) * src.height() * src.channels();
  for (std::size_t i = 0; i < n; ++i) out.data()[i] = lut[out.data()[i]];
  return out;
}

// 255 - v: light text on a dark background.
inline Image invert(const Image& src) {
  detail::check_input(src, "invert");
  Image out = src;
  const std::size_t n = static_cast<std::size_t>(src.width()) * src.height() * src.channels();
  for (std::size_t i = 0; i < n; ++i) out.data()[i] = static_cast<std::uint8_t>(255 - out.data()[i]);
  return out;
}

// Multiplies by a smooth light field: a linear gradient in a random
// direction plus a vignette, darkening by up to `strength` (0..1) of the
// level (a page lit from one side, a phone photo).
inline Image uneven_illumination(const Image& src, Rng& rng, double strength) {
  detail::check_input(src, "uneven_illumination");
  NNOCR_CHECK(strength >= 0 && strength <= 1, "uneven_illumination: strength must be in [0, 1]");
  const int w = src.width(), h = src.height(), c = src.channels();
  const float angle = rng.uniform(0.0f, 6.2831853f), mix = rng.uniform();
  const float cx = rng.uniform(0.0f, static_cast<float>(w)), cy = rng.uniform(0.0f, static_cast<float>(h));
  const float ux = std::cos(angle), uy = std::sin(angle);
  const float span = std::abs(ux) * static_cast<float>(w) + std::abs(uy) * static_cast<float>(h) + 1e-3f;
  const float rmax2 = static_cast<float>(w) * static_cast<float>(w) + static_cast<float>(h) * static_cast<float>(h);
  const float lo = std::min(0.0f, ux * static_cast<float>(w)) + std::min(0.0f, uy * static_cast<float>(h));
  const auto s = static_cast<float>(strength);
  Image out(w, h, c);
  detail::with_channels(c, [&](auto ch) {
    const std::uint8_t* in = src.data();
    std::uint8_t* o = out.data();
    for (int y = 0; y < h; ++y, in += static_cast<std::size_t>(w) * ch, o += static_cast<std::size_t>(w) * ch)
      for (int x = 0; x < w; ++x) {
        const float g = (ux * static_cast<float>(x) + uy * static_cast<float>(y) - lo) / span;  // 0..1
        const float dx = static_cast<float>(x) - cx, dy = static_cast<float>(y) - cy;
        const float v = std::min(1.0f, 4.0f * (dx * dx + dy * dy) / rmax2);
        const float field = 1.0f - s * ((1.0f - mix) * g + mix * v);
        // field is within [1 - s, 1] (up to rounding), so the product is a byte.
        for (int k = 0; k < ch; ++k) o[x * ch + k] = detail::round_u8_in_range(in[x * ch + k] * field);
      }
  });
  return out;
}

// Paper: multiplies by a texture of value noise at three scales (large
// blotches, mid mottling, fine grain) that darkens by up to `strength`, and
// a few faint fibres. Ink stays ink; white turns into paper.
inline Image paper_texture(const Image& src, Rng& rng, double strength) {
  detail::check_input(src, "paper_texture");
  NNOCR_CHECK(strength >= 0 && strength <= 1, "paper_texture: strength must be in [0, 1]");
  const int w = src.width(), h = src.height(), c = src.channels();
  std::vector<float> tex(static_cast<std::size_t>(w) * h, 0.0f);
  const float cells[2] = {rng.uniform(24.0f, 64.0f), rng.uniform(5.0f, 12.0f)};
  const float weights[3] = {rng.uniform(0.3f, 0.6f), rng.uniform(0.2f, 0.4f), rng.uniform(0.1f, 0.3f)};
  for (int octave = 0; octave < 2; ++octave) {  // blotches and mottling: value noise
    const float cell = cells[octave], inv = 1.0f / cell, wt = weights[octave];
    const int gw = static_cast<int>(static_cast<float>(w) / cell) + 2, gh = static_cast<int>(static_cast<float>(h) / cell) + 2;
    std::vector<float> grid(static_cast<std::size_t>(gw) * gh);
    for (float& g : grid) g = wt * rng.uniform();
    std::vector<int> x0s(static_cast<std::size_t>(w));
    std::vector<float> axs(static_cast<std::size_t>(w));
    for (int x = 0; x < w; ++x) {
      const float gx = static_cast<float>(x) * inv;
      x0s[static_cast<std::size_t>(x)] = static_cast<int>(gx);
      axs[static_cast<std::size_t>(x)] = gx - static_cast<float>(x0s[static_cast<std::size_t>(x)]);
    }
    for (int y = 0; y < h; ++y) {
      const float gy = static_cast<float>(y) * inv;
      const int y0 = static_cast<int>(gy);
      const float ay = gy - static_cast<float>(y0);
      const float* g0 = grid.data() + static_cast<std::size_t>(y0) * gw;
      const float* g1 = g0 + gw;
      float* t = tex.data() + static_cast<std::size_t>(y) * w;
      for (int x = 0; x < w; ++x) {
        const int i = x0s[static_cast<std::size_t>(x)];
        const float ax = axs[static_cast<std::size_t>(x)];
        const float top = g0[i] + ax * (g0[i + 1] - g0[i]), bottom = g1[i] + ax * (g1[i + 1] - g1[i]);
        t[x] += top + ay * (bottom - top);
      }
    }
  }
  const float grain = weights[2] * (1.0f / 4294967296.0f);  // fine grain: independent per pixel
  for (float& t : tex) t += grain * static_cast<float>(rng.next_u32());
  const float total = weights[0] + weights[1] + weights[2];
  // Fibres: short faint strokes.
  const int fibres = static_cast<int>(rng.uniform(0.0f, 1.0f) * static_cast<float>(w * h) / 2000.0f);
  for (int f = 0; f < fibres; ++f) {
    float x = rng.uniform(0.0f, static_cast<float>(w)), y = rng.uniform(0.0f, static_cast<float>(h));
    const float a = rng.uniform(0.0f, 6.2831853f), len = rng.uniform(3.0f, 15.0f);
    for (float t = 0; t < len; t += 0.7f) {
      const int xi = static_cast<int>(x + t * std::cos(a)), yi = static_cast<int>(y + t * std::sin(a));
      if (xi >= 0 && yi >= 0 && xi < w && yi < h) tex[static_cast<std::size_t>(yi) * w + xi] += 0.6f * total;
    }
  }
  const auto s = static_cast<float>(strength);
  Image out(w, h, c);
  detail::with_channels(c, [&](auto ch) {
    const std::uint8_t* in = src.data();
    std::uint8_t* o = out.data();
    for (std::size_t i = 0; i < tex.size(); ++i) {
      const float field = 1.0f - s * std::min(1.0f, tex[i] / total);  // in [1 - s, 1]: the product is a byte
      for (int k = 0; k < ch; ++k)
        o[i * ch + static_cast<std::size_t>(k)] = detail::round_u8_in_range(in[i * ch + static_cast<std::size_t>(k)] * field);
    }
  });
  return out;
}

// ---------------------------------------------------------------- noise

namespace detail {

// 4096 standard normal quantiles at (i + 0.5) / 4096, from the inverse
// error function by Newton's method on std::erf: noise draws one 32-bit
// random number per pixel instead of a Box-Muller pair of logs and sines.
inline const std::array<float, 4096>& normal_quantiles() {
  static const std::array<float, 4096> table = [] {
    std::array<float, 4096> t{};
    for (int i = 0; i < 4096; ++i) {
      const double p = (i + 0.5) / 4096.0, target = 2 * p - 1;  // erf(x / sqrt 2) = 2p - 1
      double x = 0;
      for (int it = 0; it < 60; ++it) {
        const double f = std::erf(x / std::sqrt(2.0)) - target;
        const double slope = std::sqrt(2.0 / 3.14159265358979323846) * std::exp(-x * x / 2);
        x -= f / slope;
      }
      t[static_cast<std::size_t>(i)] = static_cast<float>(x);
    }
    return t;
  }();
  return table;
}

}  // namespace detail

// Adds independent normal noise of standard deviation sigma (gray levels);
// the normal values come from a 4096-entry quantile table (detail above).
inline Image add_gaussian_noise(const Image& src, Rng& rng, double sigma) {
  detail::check_input(src, "add_gaussian_noise");
  NNOCR_CHECK(sigma >= 0 && sigma <= 255, "add_gaussian_noise: sigma must be in [0, 255]");
  Image out = src;
  const auto& q = detail::normal_quantiles();
  const auto sg = static_cast<float>(sigma);
  std::uint8_t* p = out.data();
  const std::size_t n = detail::sample_count(src);
  for (std::size_t i = 0; i < n; i += 2) {  // 12 random bits per pixel, two pixels per draw
    const std::uint32_t r = rng.next_u32();
    p[i] = detail::clamp_u8(p[i] + sg * q[r >> 20]);
    if (i + 1 < n) p[i + 1] = detail::clamp_u8(p[i + 1] + sg * q[(r >> 8) & 4095]);
  }
  return out;
}

// Sets a fraction `amount` of the pixels to black or white (half each).
inline Image salt_and_pepper(const Image& src, Rng& rng, double amount) {
  detail::check_input(src, "salt_and_pepper");
  NNOCR_CHECK(amount >= 0 && amount <= 1, "salt_and_pepper: amount must be in [0, 1]");
  Image out = src;
  const int w = src.width(), h = src.height(), c = src.channels();
  const auto count = static_cast<std::int64_t>(std::llround(amount * w * h));
  for (std::int64_t i = 0; i < count; ++i) {
    const int x = static_cast<int>(rng.uniform_index(static_cast<std::uint64_t>(w)));
    const int y = static_cast<int>(rng.uniform_index(static_cast<std::uint64_t>(h)));
    const std::uint8_t v = rng.bernoulli(0.5) ? 0 : 255;
    std::uint8_t* p = out.data() + (static_cast<std::size_t>(y) * w + x) * c;
    for (int k = 0; k < c; ++k) p[k] = v;
  }
  return out;
}

// Dust and toner specks: about density * W * H small blobs (radius up to
// max_radius pixels), mostly dark, some light (holes in the ink).
inline Image add_speckles(const Image& src, Rng& rng, double density, double max_radius) {
  detail::check_input(src, "add_speckles");
  NNOCR_CHECK(density >= 0 && density <= 1 && max_radius >= 0.3 && max_radius <= 50,
              "add_speckles: density in [0, 1], max_radius in [0.3, 50]");
  Image out = src;
  const int w = src.width(), h = src.height(), c = src.channels();
  const double expected = density * w * h;
  auto count = static_cast<std::int64_t>(expected);
  if (rng.uniform_double() < expected - static_cast<double>(count)) ++count;
  for (std::int64_t i = 0; i < count; ++i) {
    const float cx = rng.uniform(0.0f, static_cast<float>(w)), cy = rng.uniform(0.0f, static_cast<float>(h));
    const float r = rng.uniform(0.3f, static_cast<float>(max_radius));
    const bool dark = rng.bernoulli(0.8);
    const auto level = static_cast<float>(dark ? rng.uniform(0.0f, 120.0f) : 255.0f);
    const int x0 = std::max(0, static_cast<int>(cx - r - 1)), x1 = std::min(w - 1, static_cast<int>(cx + r + 1));
    const int y0 = std::max(0, static_cast<int>(cy - r - 1)), y1 = std::min(h - 1, static_cast<int>(cy + r + 1));
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const float dx = static_cast<float>(x) + 0.5f - cx, dy = static_cast<float>(y) + 0.5f - cy;
        const float a = std::clamp(r + 0.5f - std::sqrt(dx * dx + dy * dy), 0.0f, 1.0f);  // soft edge
        if (a <= 0) continue;
        for (int k = 0; k < c; ++k) {
          std::uint8_t& p = out.data()[(static_cast<std::size_t>(y) * w + x) * c + k];
          const float v = p + a * (level - p);
          p = detail::clamp_u8(dark ? std::min<float>(p, v) : std::max<float>(p, v));
        }
      }
  }
  return out;
}

// ---------------------------------------------------------------- optics

// Gaussian blur (image/filter.hpp's gaussian_blur, with this file's checks).
inline Image blur(const Image& src, double sigma) {
  detail::check_input(src, "blur");
  NNOCR_CHECK(sigma > 0 && sigma <= 100, "blur: sigma must be in (0, 100], got ", sigma);
  return gaussian_blur(src, sigma);
}

// Shrinks by `factor` (0..1] with area averaging and enlarges back
// bilinearly: the detail a low-resolution scan loses. Size is kept.
inline Image resolution_loss(const Image& src, double factor) {
  detail::check_input(src, "resolution_loss");
  NNOCR_CHECK(factor > 0 && factor <= 1, "resolution_loss: factor must be in (0, 1]");
  const int w = src.width(), h = src.height();
  const int sw = std::max(1, static_cast<int>(std::lround(w * factor))), sh = std::max(1, static_cast<int>(std::lround(h * factor)));
  if (sw == w && sh == h) return src;
  return resize_bilinear(resize_area(src, sw, sh), w, h);
}

// ---------------------------------------------------------------- JPEG

namespace detail {

// std::nearbyint in the default rounding mode (to nearest, ties to even)
// for |v| < 2^31, without the call into libm and without branches, so
// that loops over it vectorize: truncate, then look at the fraction
// (exact: v - trunc(v) is representable).
inline float round_half_even(float v) {
  const int i = static_cast<int>(v);
  const float f = v - static_cast<float>(i);
  const int odd = i & 1;
  return static_cast<float>(i + (f > 0.5f) - (f < -0.5f) + ((f == 0.5f) & odd) - ((f == -0.5f) & odd));
}

// Orthonormal 8-point DCT-II basis: basis[u][x] = a(u) cos((2x + 1) u pi / 16),
// a(0) = sqrt(1/8), a(u > 0) = sqrt(2/8). Its transpose is its inverse.
inline const std::array<float, 64>& dct_basis() {
  static const std::array<float, 64> basis = [] {
    std::array<float, 64> b{};
    for (int u = 0; u < 8; ++u)
      for (int x = 0; x < 8; ++x)
        b[static_cast<std::size_t>(u * 8 + x)] = static_cast<float>(
            (u == 0 ? std::sqrt(1.0 / 8) : std::sqrt(2.0 / 8)) * std::cos((2 * x + 1) * u * 3.14159265358979323846 / 16));
    return b;
  }();
  return basis;
}

}  // namespace detail

// 2-D DCT-II of an 8x8 block (row-major) and its inverse (orthonormal, so
// idct8x8(dct8x8(b)) == b up to rounding).
inline void dct8x8(const float* in, float* out) {
  const auto& b = detail::dct_basis();
  float tmp[64];
  for (int y = 0; y < 8; ++y)  // rows: tmp[y][u] = sum_x b[u][x] in[y][x]
    for (int u = 0; u < 8; ++u) {
      float s = 0;
      for (int x = 0; x < 8; ++x) s += b[static_cast<std::size_t>(u * 8 + x)] * in[y * 8 + x];
      tmp[y * 8 + u] = s;
    }
  for (int v = 0; v < 8; ++v)  // columns: out[v][u] = sum_y b[v][y] tmp[y][u]
    for (int u = 0; u < 8; ++u) {
      float s = 0;
      for (int y = 0; y < 8; ++y) s += b[static_cast<std::size_t>(v * 8 + y)] * tmp[y * 8 + u];
      out[v * 8 + u] = s;
    }
}
inline void idct8x8(const float* in, float* out) {
  const auto& b = detail::dct_basis();
  float tmp[64];
  for (int v = 0; v < 8; ++v)  // rows: tmp[v][x] = sum_u b[u][x] in[v][u]
    for (int x = 0; x < 8; ++x) {
      float s = 0;
      for (int u = 0; u < 8; ++u) s += b[static_cast<std::size_t>(u * 8 + x)] * in[v * 8 + u];
      tmp[v * 8 + x] = s;
    }
  for (int y = 0; y < 8; ++y)  // columns: out[y][x] = sum_v b[v][y] tmp[v][x]
    for (int x = 0; x < 8; ++x) {
      float s = 0;
      for (int v = 0; v < 8; ++v) s += b[static_cast<std::size_t>(v * 8 + y)] * tmp[v * 8 + x];
      out[y * 8 + x] = s;
    }
}

// The luminance quantization table of a JPEG encoder at `quality` (1..100):
// the example table of ITU-T T.81 Annex K scaled the way the IJG encoder
// scales it (quality 50 is the table itself, 100 is all ones).
inline std::array<float, 64> jpeg_quant_table(int quality) {
  NNOCR_CHECK(quality >= 1 && quality <= 100, "jpeg_quant_table: quality must be in [1, 100]");
  static const int base[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                               14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                               18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                               49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
  const int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  std::array<float, 64> q{};
  for (int i = 0; i < 64; ++i) q[static_cast<std::size_t>(i)] = static_cast<float>(std::clamp((base[i] * scale + 50) / 100, 1, 255));
  return q;
}

// What a JPEG encoder and decoder do to each channel: 8x8 blocks (edges
// padded by replication), level shift, DCT, quantize and dequantize with
// jpeg_quant_table(quality), inverse DCT, round. Blockiness and ringing
// around strokes at low quality; nearly the identity at quality 100.
inline Image jpeg_artifacts(const Image& src, int quality) {
  detail::check_input(src, "jpeg_artifacts");
  const std::array<float, 64> q = jpeg_quant_table(quality);
  const int w = src.width(), h = src.height(), c = src.channels();
  Image out(w, h, c);
  const std::uint8_t* in = src.data();
  std::uint8_t* o = out.data();
  float block[64], coef[64];
  for (int k = 0; k < c; ++k)
    for (int by = 0; by < h; by += 8)
      for (int bx = 0; bx < w; bx += 8) {
        for (int y = 0; y < 8; ++y) {
          const std::uint8_t* r = in + static_cast<std::size_t>(std::min(by + y, h - 1)) * w * c + k;
          if (bx + 8 <= w)
            for (int x = 0; x < 8; ++x) block[y * 8 + x] = static_cast<float>(r[static_cast<std::size_t>(bx + x) * c]) - 128.0f;
          else
            for (int x = 0; x < 8; ++x)
              block[y * 8 + x] = static_cast<float>(r[static_cast<std::size_t>(std::min(bx + x, w - 1)) * c]) - 128.0f;
        }
        dct8x8(block, coef);
        for (int i = 0; i < 64; ++i)
          coef[i] = detail::round_half_even(coef[i] / q[static_cast<std::size_t>(i)]) * q[static_cast<std::size_t>(i)];
        idct8x8(coef, block);
        for (int y = 0; y < 8 && by + y < h; ++y)
          for (int x = 0; x < 8 && bx + x < w; ++x)
            o[(static_cast<std::size_t>(by + y) * w + bx + x) * c + k] = detail::clamp_u8(block[y * 8 + x] + 128.0f);
      }
  return out;
}

// ---------------------------------------------------------------- augment

// Probabilities (p_*) and ranges of each step of augment(). Pixel sizes are
// for a line about 32 pixels high; augment() scales them by height / 32.
struct AugmentConfig {
  double p_ink = 0.35;  float ink_min = -0.7f, ink_max = 0.8f;        // adjust_ink_thickness amount
  double p_rotate = 0.4;  float max_degrees = 1.2f;                   // rotation
  double p_shear = 0.25;  float max_shear = 0.3f;                     // slant, both ways
  double p_perspective = 0.15;  float max_perspective = 0.06f;        // corner shift / height
  double p_elastic = 0.15;  float elastic_alpha = 0.7f, elastic_spacing = 10.0f;
  double p_crop_pad = 0.6;  int max_crop = 3, max_pad = 8;            // per side; crops never cut ink
  double p_paper = 0.35;  float paper_min = 0.05f, paper_max = 0.3f;
  double p_illumination = 0.25;  float illumination_max = 0.45f;
  double p_contrast = 0.6;  float contrast_min = 0.45f, contrast_max = 1.15f, brightness_max = 35.0f,
                             gamma_min = 0.7f, gamma_max = 1.4f;
  double p_invert = 0.02;
  double p_speckles = 0.2;  float speckle_density_max = 0.002f, speckle_radius_max = 1.2f;
  double p_salt_pepper = 0.05;  float salt_pepper_max = 0.01f;
  double p_blur = 0.4;  float blur_min = 0.3f, blur_max = 1.1f;      // Gaussian sigma
  double p_resolution = 0.2;  float resolution_min = 0.45f;           // resolution_loss factor
  double p_noise = 0.45;  float noise_max = 14.0f;                    // sigma in gray levels
  double p_threshold = 0.04;
  double p_jpeg = 0.3;  int jpeg_min = 12, jpeg_max = 90;

  // Every probability 0: augment() returns its input.
  static AugmentConfig none() {
    AugmentConfig c;
    c.p_ink = c.p_rotate = c.p_shear = c.p_perspective = c.p_elastic = c.p_crop_pad = c.p_paper = 0;
    c.p_illumination = c.p_contrast = c.p_invert = c.p_speckles = c.p_salt_pepper = c.p_blur = 0;
    c.p_resolution = c.p_noise = c.p_threshold = c.p_jpeg = 0;
    return c;
  }
};

// A random subset of the steps above, in physical order (see the top of
// this file). The output may differ in size from the input (rotation and
// shear expand, crop/pad); the text is never cropped away. Every draw comes
// from rng, so equal seeds give equal images.
inline Image augment(const Image& src, Rng& rng, const AugmentConfig& cfg) {
  detail::check_input(src, "augment");
  Image img = src;
  const float unit = std::max(0.25f, static_cast<float>(src.height()) / 32.0f);
  const std::uint8_t paper = detail::border_level(img);
  auto chance = [&](double p) { return p > 0 && rng.bernoulli(p); };

  if (chance(cfg.p_ink)) img = adjust_ink_thickness(img, rng.uniform(cfg.ink_min, cfg.ink_max));
  // Rotation, shear and perspective compose into one resampling.
  const bool rotate = chance(cfg.p_rotate), shear = chance(cfg.p_shear), perspective = chance(cfg.p_perspective);
  if (rotate || shear || perspective) {
    const float degrees = rotate ? rng.uniform(-cfg.max_degrees, cfg.max_degrees) : 0.0f;
    const float slant = shear ? rng.uniform(-cfg.max_shear, cfg.max_shear) : 0.0f;
    int ow = img.width(), oh = img.height();
    const std::array<double, 6> a = rotate_shear_map(img.width(), img.height(), degrees, slant, rotate || shear, ow, oh);
    if (perspective) {
      const std::array<double, 9> p = random_perspective_map(ow, oh, rng, cfg.max_perspective);
      const std::array<double, 9> m = {a[0] * p[0] + a[1] * p[3] + a[2] * p[6], a[0] * p[1] + a[1] * p[4] + a[2] * p[7],
                                       a[0] * p[2] + a[1] * p[5] + a[2] * p[8], a[3] * p[0] + a[4] * p[3] + a[5] * p[6],
                                       a[3] * p[1] + a[4] * p[4] + a[5] * p[7], a[3] * p[2] + a[4] * p[5] + a[5] * p[8],
                                       p[6],                                    p[7],
                                       p[8]};
      img = warp_perspective(img, m, ow, oh, paper);
    } else {
      img = warp_affine(img, a, ow, oh, paper);
    }
  }
  if (chance(cfg.p_elastic))
    img = elastic_distortion(img, rng, cfg.elastic_alpha * unit, std::max(1.0f, cfg.elastic_spacing * unit), paper);
  if (chance(cfg.p_crop_pad)) {
    // The ink's bounding box (darker than the paper by a margin) bounds the crops.
    const int w = img.width(), h = img.height(), c = img.channels();
    int x0 = w, x1 = -1, y0 = h, y1 = -1;
    const std::size_t row = static_cast<std::size_t>(w) * c;
    for (int y = 0; y < h; ++y) {  // per row, its first and last ink sample
      const std::uint8_t* p = img.data() + y * row;
      std::size_t first = 0;
      while (first < row && !(p[first] + 60 < paper)) ++first;
      if (first == row) continue;
      std::size_t last = row - 1;
      while (!(p[last] + 60 < paper)) --last;
      x0 = std::min(x0, static_cast<int>(first / c)), x1 = std::max(x1, static_cast<int>(last / c));
      y0 = std::min(y0, y), y1 = y;
    }
    if (x1 < 0) x0 = w / 2, x1 = x0, y0 = h / 2, y1 = y0;
    const int max_crop = static_cast<int>(std::lround(cfg.max_crop * unit)), max_pad = static_cast<int>(std::lround(cfg.max_pad * unit));
    auto side = [&](int room) {
      const int lo = -std::min(max_crop, std::max(0, room)), hi = max_pad;
      return static_cast<int>(rng.uniform_int(lo, std::max(lo, hi)));
    };
    const int l = side(x0), r = side(w - 1 - x1), t = side(y0), b = side(h - 1 - y1);
    img = crop_pad(img, l, t, r, b, paper);
  }
  if (chance(cfg.p_paper)) img = paper_texture(img, rng, rng.uniform(cfg.paper_min, cfg.paper_max));
  if (chance(cfg.p_illumination)) img = uneven_illumination(img, rng, rng.uniform(0.0f, cfg.illumination_max));
  if (chance(cfg.p_contrast))
    img = adjust_contrast(img, rng.uniform(cfg.contrast_min, cfg.contrast_max),
                          rng.uniform(-cfg.brightness_max, cfg.brightness_max), rng.uniform(cfg.gamma_min, cfg.gamma_max));
  if (chance(cfg.p_invert)) img = invert(img);
  if (chance(cfg.p_speckles))
    img = add_speckles(img, rng, rng.uniform(0.0f, cfg.speckle_density_max), std::max(0.3f, cfg.speckle_radius_max * unit));
  if (chance(cfg.p_salt_pepper)) img = salt_and_pepper(img, rng, rng.uniform(0.0f, cfg.salt_pepper_max));
  if (chance(cfg.p_blur)) img = blur(img, rng.uniform(cfg.blur_min, cfg.blur_max) * unit);
  if (chance(cfg.p_resolution)) img = resolution_loss(img, rng.uniform(cfg.resolution_min, 1.0f));
  if (chance(cfg.p_noise)) img = add_gaussian_noise(img, rng, rng.uniform(0.0f, cfg.noise_max));
  // Hard black and white (a fax, a binarizing scanner): binarize.hpp's threshold.
  if (chance(cfg.p_threshold) && img.channels() == 1) img = threshold(img, static_cast<int>(rng.uniform_int(90, 170)));
  else if (chance(cfg.p_jpeg)) img = jpeg_artifacts(img, static_cast<int>(rng.uniform_int(cfg.jpeg_min, cfg.jpeg_max)));
  return img;
}

}  // namespace nnocr::image
