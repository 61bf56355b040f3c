// conv.hpp — im2col / col2im, the data movement that turns a convolution
// into one GEMM.
//
// For one image x [C, H, W] and a kernel kh x kw with stride (sh, sw),
// padding (ph, pw) and dilation (dh, dw), the output is Ho x Wo with
//   Ho = (H + 2 ph - dh (kh - 1) - 1) / sh + 1   (likewise Wo).
// im2col writes the matrix cols [C kh kw, Ho Wo] whose row (c, i, j) holds,
// for every output position (oy, ox), the input pixel it multiplies with
// kernel tap (c, i, j):
//   cols[(c kh + i) kw + j][oy Wo + ox] = x[c][oy sh - ph + i dh][ox sw - pw + j dw]
// (zero where that falls in the padding). Then a convolution with weights
// W [Cout, C kh kw] is the product W * cols = y [Cout, Ho Wo].
// Example: a 1x4x4 image, 3x3 kernel, stride 1, no padding gives cols of
// 9 rows x 4 columns; row 0 holds x[0][0..1][0..1] in row-major order.
// col2im is its adjoint: it adds every entry of a cols-shaped gradient back
// onto the pixel it came from (used by the backward pass for dL/dx).
// With stride 1 each valid run of a row is one memcpy/add of contiguous
// floats, which the compiler vectorises.
#pragma once

#include <algorithm>
#include <cstring>

#include "../core/config.hpp"
#include "../core/error.hpp"

namespace nnocr::kernels {

struct Conv2dGeometry {
  index_t channels = 0, height = 0, width = 0;  // input C, H, W (one group)
  index_t kernel_h = 1, kernel_w = 1;
  index_t stride_h = 1, stride_w = 1;
  index_t pad_h = 0, pad_w = 0;
  index_t dilation_h = 1, dilation_w = 1;

  index_t out_height() const { return (height + 2 * pad_h - dilation_h * (kernel_h - 1) - 1) / stride_h + 1; }
  index_t out_width() const { return (width + 2 * pad_w - dilation_w * (kernel_w - 1) - 1) / stride_w + 1; }
  index_t col_rows() const { return channels * kernel_h * kernel_w; }
  index_t col_cols() const { return out_height() * out_width(); }
  // A 1x1 kernel with unit stride and no padding needs no im2col: cols == x.
  bool is_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 && pad_w == 0;
  }
};

namespace detail {

// Output positions [lo, hi) whose input o*s + offset lies in [0, n_in).
inline void valid_range(index_t n_out, index_t n_in, index_t s, index_t offset, index_t& lo, index_t& hi) {
  // offset = k*d - p; input = o*s + offset.
  lo = offset >= 0 ? 0 : (-offset + s - 1) / s;
  hi = n_in - offset <= 0 ? 0 : (n_in - offset + s - 1) / s;
  lo = std::min(lo, n_out);
  hi = std::clamp(hi, lo, n_out);
}

}  // namespace detail

// x [C, H, W] (contiguous) -> the columns of output rows [oy0, oy1):
// cols [C kh kw, (oy1 - oy0) Wo], the block of the full im2col matrix that
// those output positions use. Convolving a band of rows at a time keeps the
// matrix small enough to stay in cache between im2col and the GEMM. Rows of
// cols are `ld` apart (0: (oy1 - oy0) Wo, packed), so that several images'
// matrices can sit side by side as the column blocks of one wider matrix.
inline void im2col_rows(const Conv2dGeometry& g, const float* x, index_t oy0, index_t oy1, float* cols,
                        index_t ld = 0) {
  const index_t Wo = g.out_width(), rows = oy1 - oy0;
  if (ld == 0) ld = rows * Wo;
  for (index_t c = 0; c < g.channels; ++c) {
    const float* plane = x + c * g.height * g.width;
    for (index_t i = 0; i < g.kernel_h; ++i) {
      index_t y_lo, y_hi;
      detail::valid_range(g.out_height(), g.height, g.stride_h, i * g.dilation_h - g.pad_h, y_lo, y_hi);
      y_lo = std::clamp(y_lo, oy0, oy1);
      y_hi = std::clamp(y_hi, y_lo, oy1);
      for (index_t j = 0; j < g.kernel_w; ++j) {
        float* row = cols + ((c * g.kernel_h + i) * g.kernel_w + j) * ld - oy0 * Wo;  // indexed by oy
        const index_t x_off = j * g.dilation_w - g.pad_w;
        index_t x_lo, x_hi;
        detail::valid_range(Wo, g.width, g.stride_w, x_off, x_lo, x_hi);
        std::fill(row + oy0 * Wo, row + y_lo * Wo, 0.0f);
        if (g.stride_h == 1 && g.stride_w == 1 && Wo == g.width && y_hi > y_lo && x_hi > x_lo) {
          // A "same" convolution: output and input rows are equally long,
          // so the row of cols is the plane shifted by a constant, one copy
          // of the span between the first and last valid positions; the
          // columns the shift wrapped into (outside [x_lo, x_hi)) are zeroed.
          const index_t first = y_lo * Wo + x_lo, last = (y_hi - 1) * Wo + x_hi;
          const float* in = plane + (i * g.dilation_h - g.pad_h) * g.width + x_off;
          std::memcpy(row + first, in + first, sizeof(float) * static_cast<std::size_t>(last - first));
          for (index_t oy = y_lo; oy < y_hi; ++oy) {
            float* out = row + oy * Wo;
            for (index_t ox = 0; ox < x_lo; ++ox) out[ox] = 0.0f;
            for (index_t ox = x_hi; ox < Wo; ++ox) out[ox] = 0.0f;
          }
          std::fill(row + y_hi * Wo, row + oy1 * Wo, 0.0f);
          continue;
        }
        for (index_t oy = y_lo; oy < y_hi; ++oy) {
          float* out = row + oy * Wo;
          const float* in = plane + (oy * g.stride_h + i * g.dilation_h - g.pad_h) * g.width;
          std::fill(out, out + x_lo, 0.0f);
          if (g.stride_w == 1) {
            if (x_hi > x_lo) std::memcpy(out + x_lo, in + x_lo + x_off, sizeof(float) * (x_hi - x_lo));
          } else {
            for (index_t ox = x_lo; ox < x_hi; ++ox) out[ox] = in[ox * g.stride_w + x_off];
          }
          std::fill(out + x_hi, out + Wo, 0.0f);
        }
        std::fill(row + y_hi * Wo, row + oy1 * Wo, 0.0f);
      }
    }
  }
}

// x [C, H, W] (contiguous) -> cols [C kh kw, Ho Wo], rows `ld` apart (0: Ho Wo).
inline void im2col(const Conv2dGeometry& g, const float* x, float* cols, index_t ld = 0) {
  im2col_rows(g, x, 0, g.out_height(), cols, ld);
}

// dx [C, H, W] += col2im(dcols [C kh kw, Ho Wo]) — the adjoint of im2col;
// rows of dcols `ld` apart (0: Ho Wo).
inline void col2im_add(const Conv2dGeometry& g, const float* cols, float* dx, index_t ld = 0) {
  const index_t Ho = g.out_height(), Wo = g.out_width();
  if (ld == 0) ld = Ho * Wo;
  for (index_t c = 0; c < g.channels; ++c) {
    float* plane = dx + c * g.height * g.width;
    for (index_t i = 0; i < g.kernel_h; ++i) {
      index_t y_lo, y_hi;
      detail::valid_range(Ho, g.height, g.stride_h, i * g.dilation_h - g.pad_h, y_lo, y_hi);
      for (index_t j = 0; j < g.kernel_w; ++j) {
        const float* row = cols + ((c * g.kernel_h + i) * g.kernel_w + j) * ld;
        const index_t x_off = j * g.dilation_w - g.pad_w;
        index_t x_lo, x_hi;
        detail::valid_range(Wo, g.width, g.stride_w, x_off, x_lo, x_hi);
        if (g.stride_h == 1 && g.stride_w == 1 && Wo == g.width && y_hi > y_lo && x_hi - x_lo == Wo) {
          // "Same" convolution, no column out of the plane: the rows add as
          // one span (see im2col_rows).
          const index_t first = y_lo * Wo, last = y_hi * Wo;
          float* out = plane + (i * g.dilation_h - g.pad_h) * g.width + x_off;
          for (index_t q = first; q < last; ++q) out[q] += row[q];
          continue;
        }
        for (index_t oy = y_lo; oy < y_hi; ++oy) {
          const float* in = row + oy * Wo;
          float* out = plane + (oy * g.stride_h + i * g.dilation_h - g.pad_h) * g.width;
          if (g.stride_w == 1) {
            float* o = out + x_off;
            for (index_t ox = x_lo; ox < x_hi; ++ox) o[ox] += in[ox];
          } else {
            for (index_t ox = x_lo; ox < x_hi; ++ox) out[ox * g.stride_w + x_off] += in[ox];
          }
        }
      }
    }
  }
}

}  // namespace nnocr::kernels
