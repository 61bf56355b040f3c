// pool.hpp — MaxPool2d and AvgPool2d with kernel, stride and padding that
// may differ per axis (CRNNs pool (2, 1) / stride (2, 1) to keep the width).
//
// Layout: x [N, C, H, W] -> y [N, C, Ho, Wo], Ho = (H + 2 ph - kh) / sh + 1
// (floor mode, as PyTorch's default). Stride defaults to the kernel.
//   max:  y = max over the window (padding counts as -inf); backward routes
//         dy to the position of the first maximum (kept from the forward).
//   avg:  y = sum over the window / divisor, divisor = kh kw when padding
//         counts (count_include_pad, PyTorch's default) or the number of
//         real pixels in the window otherwise; backward spreads dy / divisor.
// Channels run in parallel; each output depends on one plane only.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "../core/thread_pool.hpp"
#include "module.hpp"

namespace nnocr::nn {

struct Pool2dConfig {
  Size2 kernel = 2;
  Size2 stride = 0;  // 0: same as the kernel
  Size2 padding = 0;
  bool count_include_pad = true;  // AvgPool2d only
};

namespace detail {

struct PoolGeometry {
  index_t N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw;
};

inline PoolGeometry pool_geometry(const char* layer, const Pool2dConfig& c, const Tensor<float>& x) {
  check_rank(layer, x, 4, "[N, C, H, W]");
  PoolGeometry g{};
  g.N = x.size(0), g.C = x.size(1), g.H = x.size(2), g.W = x.size(3);
  g.kh = c.kernel.h, g.kw = c.kernel.w;
  g.sh = c.stride.h > 0 ? c.stride.h : c.kernel.h;
  g.sw = c.stride.w > 0 ? c.stride.w : c.kernel.w;
  g.ph = c.padding.h, g.pw = c.padding.w;
  NNOCR_CHECK(g.H + 2 * g.ph >= g.kh && g.W + 2 * g.pw >= g.kw, layer, ": input ", x.shape().str(),
              " padded by ", c.padding.str(), " is smaller than the kernel ", c.kernel.str());
  g.Ho = (g.H + 2 * g.ph - g.kh) / g.sh + 1;
  g.Wo = (g.W + 2 * g.pw - g.kw) / g.sw + 1;
  return g;
}

inline void check_pool_config(const char* layer, const Pool2dConfig& c) {
  NNOCR_CHECK(c.kernel.h > 0 && c.kernel.w > 0 && c.stride.h >= 0 && c.stride.w >= 0 && c.padding.h >= 0 &&
                  c.padding.w >= 0,
              layer, ": kernel must be positive, stride and padding non-negative");
  NNOCR_CHECK(2 * c.padding.h <= c.kernel.h && 2 * c.padding.w <= c.kernel.w, layer, ": padding ",
              c.padding.str(), " must be at most half the kernel ", c.kernel.str());
}

inline std::string pool_description(const char* name, const Pool2dConfig& c) {
  return std::string(name) + "(kernel=" + c.kernel.str() +
         ", stride=" + (c.stride.h > 0 ? c.stride : c.kernel).str() + ", padding=" + c.padding.str() + ")";
}

// Max over windows that lie inside the plane, branch-free so that the
// compiler can vectorize it: a value replaces the best when it is larger
// (so the first maximum wins) or when it is NaN and the best is not (NaN
// propagates, as in PyTorch). KH, KW > 0 fix the window at compile time;
// 0 takes kh, kw at run time.
template <int KH, int KW>
inline void max_windows(const float* in, index_t W, index_t Ho, index_t Wo, index_t sh, index_t sw, float* out,
                        std::int32_t* at, index_t kh = KH, index_t kw = KW) {
  const index_t wh = KH > 0 ? KH : kh, ww = KW > 0 ? KW : kw;
  if (KH == 2 && at == nullptr) {
    // Inference (no argmax): the larger of two rows, then of neighbours
    // along the row, loops the compiler vectorizes. NaN wins either way.
    auto pmax = [](float a, float b) { return (a > b || a != a) ? a : b; };
    for (index_t oy = 0; oy < Ho; ++oy) {
      const float* r0 = in + oy * sh * W;
      const float* r1 = r0 + W;
      float* o = out + oy * Wo;
      if (KW == 1 && sw == 1) {
        for (index_t ox = 0; ox < Wo; ++ox) o[ox] = pmax(r0[ox], r1[ox]);
      } else if (KW == 2 && sw == 2) {
        for (index_t ox = 0; ox < Wo; ++ox)
          o[ox] = pmax(pmax(r0[2 * ox], r1[2 * ox]), pmax(r0[2 * ox + 1], r1[2 * ox + 1]));
      } else {
        for (index_t ox = 0; ox < Wo; ++ox) {
          float best = r0[ox * sw];
          for (index_t j = 0; j < ww; ++j) best = pmax(pmax(best, r0[ox * sw + j]), r1[ox * sw + j]);
          o[ox] = best;
        }
      }
    }
    return;
  }
  if (KH == 2 && KW == 2 && sw == 2) {
    // Training (argmax kept): the four candidates in row-major order, each
    // replacing the best by a select, in 32-bit positions, so that the loop
    // has no branch and the compiler vectorizes it.
    for (index_t oy = 0; oy < Ho; ++oy) {
      const float* r0 = in + oy * sh * W;
      const float* r1 = r0 + W;
      float* o = out + oy * Wo;
      std::int32_t* a = at + oy * Wo;
      const auto base = static_cast<std::int32_t>(oy * sh * W), w32 = static_cast<std::int32_t>(W);
      for (index_t ox = 0; ox < Wo; ++ox) {
        const auto k = static_cast<std::int32_t>(base + 2 * ox);
        float best = r0[2 * ox];
        std::int32_t best_at = k;
        const float c[3] = {r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1]};
        const std::int32_t ck[3] = {k + 1, k + w32, k + w32 + 1};
        for (int q = 0; q < 3; ++q) {
          const bool take = c[q] > best || (c[q] != c[q] && best == best);
          best = take ? c[q] : best;
          best_at = take ? ck[q] : best_at;
        }
        o[ox] = best;
        a[ox] = best_at;
      }
    }
    return;
  }
  for (index_t oy = 0; oy < Ho; ++oy) {
    float* o = out + oy * Wo;
    std::int32_t* a = at ? at + oy * Wo : nullptr;
    for (index_t ox = 0; ox < Wo; ++ox) {
      const index_t origin = oy * sh * W + ox * sw;
      float best = in[origin];
      index_t best_at = origin;
      for (index_t i = 0; i < wh; ++i)
        for (index_t j = 0; j < ww; ++j) {
          const index_t k = origin + i * W + j;
          const float v = in[k];
          const bool take = v > best || (v != v && best == best);
          best = take ? v : best;
          best_at = take ? k : best_at;
        }
      o[ox] = best;
      if (a) a[ox] = static_cast<std::int32_t>(best_at);
    }
  }
}

}  // namespace detail

class MaxPool2d : public Layer {
 public:
  explicit MaxPool2d(const Pool2dConfig& config) : config_(config) { detail::check_pool_config("MaxPool2d", config); }
  MaxPool2d(Size2 kernel, Size2 stride = 0, Size2 padding = 0) : MaxPool2d(Pool2dConfig{kernel, stride, padding}) {}

  const Pool2dConfig& config() const { return config_; }
  std::string kind() const override { return "MaxPool2d"; }
  std::string describe() const override { return detail::pool_description("MaxPool2d", config_); }

  Tensor<float> forward(const Tensor<float>& x) override {
    Tensor<float> y = run(x, &argmax_);
    input_shape_ = x.shape();
    output_shape_ = y.shape();
    return y;
  }
  Tensor<float> infer(const Tensor<float>& x) const override { return run(x, nullptr); }

  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(input_shape_.rank() == 4, "MaxPool2d::backward called without a forward");
    detail::check_same_shape("MaxPool2d", output_shape_, grad_y);
    Tensor<float> dx(input_shape_, 0.0f);
    const index_t planes = input_shape_[0] * input_shape_[1];
    const index_t in_plane = input_shape_[2] * input_shape_[3], out_plane = output_shape_[2] * output_shape_[3];
    parallel_for(planes, 1, [&](index_t p0, index_t p1) {
      for (index_t p = p0; p < p1; ++p) {
        const float* dy = grad_y.data() + p * out_plane;
        const std::int32_t* am = argmax_.data() + p * out_plane;
        float* d = dx.data() + p * in_plane;
        for (index_t o = 0; o < out_plane; ++o)
          if (am[o] >= 0) d[am[o]] += dy[o];
      }
    });
    return dx;
  }

 private:
  // Keeps the position of each maximum in `argmax` when it is given.
  Tensor<float> run(const Tensor<float>& x, Tensor<std::int32_t>* argmax) const {
    const auto g = detail::pool_geometry("MaxPool2d", config_, x);
    Tensor<float> y({g.N, g.C, g.Ho, g.Wo}, uninitialized);  // every window writes its output
    if (argmax) argmax->resize(y.shape());
    std::int32_t* am = argmax ? argmax->data() : nullptr;
    parallel_for(g.N * g.C, 1, [&](index_t p0, index_t p1) {
      for (index_t p = p0; p < p1; ++p) {
        const float* in = x.data() + p * g.H * g.W;
        float* out = y.data() + p * g.Ho * g.Wo;
        std::int32_t* at = am ? am + p * g.Ho * g.Wo : nullptr;
        if (g.ph == 0 && g.pw == 0) {  // every window inside the plane: no bounds tests
          if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2) {
            detail::max_windows<2, 2>(in, g.W, g.Ho, g.Wo, g.sh, g.sw, out, at);
          } else if (g.kh == 2 && g.kw == 1 && g.sh == 2 && g.sw == 1) {
            detail::max_windows<2, 1>(in, g.W, g.Ho, g.Wo, g.sh, g.sw, out, at);
          } else {
            detail::max_windows<0, 0>(in, g.W, g.Ho, g.Wo, g.sh, g.sw, out, at, g.kh, g.kw);
          }
          continue;
        }
        for (index_t oy = 0; oy < g.Ho; ++oy)
          for (index_t ox = 0; ox < g.Wo; ++ox) {
            float best = -std::numeric_limits<float>::infinity();
            std::int32_t best_at = -1;
            for (index_t i = 0; i < g.kh; ++i) {
              const index_t iy = oy * g.sh - g.ph + i;
              if (iy < 0 || iy >= g.H) continue;
              for (index_t j = 0; j < g.kw; ++j) {
                const index_t ix = ox * g.sw - g.pw + j;
                if (ix < 0 || ix >= g.W) continue;
                const float v = in[iy * g.W + ix];
                if (best_at < 0 || v > best || std::isnan(v)) {
                  best = v;
                  best_at = static_cast<std::int32_t>(iy * g.W + ix);
                  if (std::isnan(v)) break;
                }
              }
            }
            out[oy * g.Wo + ox] = best;
            if (am) am[p * g.Ho * g.Wo + oy * g.Wo + ox] = best_at;
          }
      }
    });
    return y;
  }

  Pool2dConfig config_;
  Tensor<std::int32_t> argmax_;
  Shape input_shape_, output_shape_;
};

class AvgPool2d : public Layer {
 public:
  explicit AvgPool2d(const Pool2dConfig& config) : config_(config) { detail::check_pool_config("AvgPool2d", config); }
  AvgPool2d(Size2 kernel, Size2 stride = 0, Size2 padding = 0, bool count_include_pad = true)
      : AvgPool2d(Pool2dConfig{kernel, stride, padding, count_include_pad}) {}

  const Pool2dConfig& config() const { return config_; }
  std::string kind() const override { return "AvgPool2d"; }
  std::string describe() const override { return detail::pool_description("AvgPool2d", config_); }

  Tensor<float> forward(const Tensor<float>& x) override {
    Tensor<float> y = infer(x);
    input_shape_ = x.shape();
    output_shape_ = y.shape();
    return y;
  }

  Tensor<float> infer(const Tensor<float>& x) const override {
    const auto g = detail::pool_geometry("AvgPool2d", config_, x);
    Tensor<float> y({g.N, g.C, g.Ho, g.Wo}, uninitialized);  // every window writes its output
    parallel_for(g.N * g.C, 1, [&](index_t p0, index_t p1) {
      for (index_t p = p0; p < p1; ++p) {
        const float* in = x.data() + p * g.H * g.W;
        float* out = y.data() + p * g.Ho * g.Wo;
        for (index_t oy = 0; oy < g.Ho; ++oy)
          for (index_t ox = 0; ox < g.Wo; ++ox) {
            float sum = 0.0f;
            window(g, oy, ox, [&](index_t at) { sum += in[at]; });
            out[oy * g.Wo + ox] = sum / divisor(g, oy, ox);
          }
      }
    });
    return y;
  }

  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(input_shape_.rank() == 4, "AvgPool2d::backward called without a forward");
    detail::check_same_shape("AvgPool2d", output_shape_, grad_y);
    Tensor<float> dx(input_shape_, 0.0f);
    detail::PoolGeometry g{};
    {
      const Tensor<float> probe(Shape{1, 1, input_shape_[2], input_shape_[3]});
      g = detail::pool_geometry("AvgPool2d", config_, probe);
    }
    g.N = input_shape_[0];
    g.C = input_shape_[1];
    parallel_for(g.N * g.C, 1, [&](index_t p0, index_t p1) {
      for (index_t p = p0; p < p1; ++p) {
        const float* dy = grad_y.data() + p * g.Ho * g.Wo;
        float* d = dx.data() + p * g.H * g.W;
        for (index_t oy = 0; oy < g.Ho; ++oy)
          for (index_t ox = 0; ox < g.Wo; ++ox) {
            const float share = dy[oy * g.Wo + ox] / divisor(g, oy, ox);
            window(g, oy, ox, [&](index_t at) { d[at] += share; });
          }
      }
    });
    return dx;
  }

 private:
  template <class F>
  static void window(const detail::PoolGeometry& g, index_t oy, index_t ox, F&& f) {
    for (index_t i = 0; i < g.kh; ++i) {
      const index_t iy = oy * g.sh - g.ph + i;
      if (iy < 0 || iy >= g.H) continue;
      for (index_t j = 0; j < g.kw; ++j) {
        const index_t ix = ox * g.sw - g.pw + j;
        if (ix >= 0 && ix < g.W) f(iy * g.W + ix);
      }
    }
  }
  float divisor(const detail::PoolGeometry& g, index_t oy, index_t ox) const {
    if (config_.count_include_pad) {
      // PyTorch counts padded positions but not the part of a window that
      // runs past the padded border (impossible in floor mode).
      return static_cast<float>(g.kh * g.kw);
    }
    const index_t y0 = std::max<index_t>(oy * g.sh - g.ph, 0), y1 = std::min(oy * g.sh - g.ph + g.kh, g.H);
    const index_t x0 = std::max<index_t>(ox * g.sw - g.pw, 0), x1 = std::min(ox * g.sw - g.pw + g.kw, g.W);
    return static_cast<float>(std::max<index_t>((y1 - y0) * (x1 - x0), 1));
  }

  Pool2dConfig config_;
  Shape input_shape_, output_shape_;
};

}  // namespace nnocr::nn
