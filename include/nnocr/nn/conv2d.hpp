// conv2d.hpp — 2-D convolution (cross-correlation, as in every DL framework)
// with stride, padding, dilation and groups; forward and backward.
//
// Layout: x [N, C, H, W], weight [Cout, C/groups, kh, kw], bias [Cout],
// y [N, Cout, Ho, Wo] with Ho = (H + 2 ph - dh (kh - 1) - 1) / sh + 1.
//   y[n, o, p] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, g(o) C/G + c, p_y sh - ph + i dh, p_x sw - pw + j dw]
// Per image and group this is one GEMM on the im2col matrix (kernels/conv.hpp):
//   forward   Y_g  = W_g [Cout/G, K] * cols_g [K, P]            (K = C/G kh kw, P = Ho Wo)
//   backward  dW_g += dY_g [Cout/G, P] * cols_g^T,  db += row sums of dY
//             dcols = W_g^T * dY_g,  dx = col2im(dcols)
// (for a 3x3 stride-1 kernel, dx is dY correlated with the kernel turned
// by 180 degrees, which runs by Winograd: see backward).
// Small images go several to a GEMM, their cols side by side ([K, n P]:
// see detail::images_per_gemm), large ones one at a time (forward in bands
// of output rows). A 1x1, stride-1, unpadded convolution uses x itself as
// cols. The banded forward of a 3x3, stride-1 convolution with 8 or more
// channels on each side (the recognizers' conv stacks) runs by Winograd's
// F(2x2, 3x3) instead (kernels/winograd.hpp): 16 instead of 36 multiply-adds
// per 2x2 outputs and channel pair, the same values up to rounding;
// use_winograd(false) turns it off.
// Threads: images run in parallel (each GEMM on one thread). Weight
// gradients are summed per fixed chunk of images and the chunks added in
// order, so the result does not depend on the thread count.
// Initialisation as PyTorch: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "../core/aligned.hpp"
#include "../core/rng.hpp"
#include "../core/thread_pool.hpp"
#include "../kernels/conv.hpp"
#include "../kernels/gemm.hpp"
#include "../kernels/winograd.hpp"
#include "module.hpp"

namespace nnocr::nn {

struct Conv2dConfig {
  index_t in_channels = 1, out_channels = 1;
  Size2 kernel = 3, stride = 1, padding = 0, dilation = 1;
  index_t groups = 1;
  bool bias = true;
};

namespace detail {

inline AlignedBuffer<float>& layer_scratch(int which) {
  thread_local AlignedBuffer<float> buffers[3];
  return buffers[which];
}

// Images whose im2col matrices sit side by side in one GEMM: enough for
// about 1,024 columns, within 512K floats (2 MiB), at most `limit`. Small
// images make narrow GEMMs (LeNet's second convolution: 64 x 196 x 800 per
// image) that spend about as long packing the weights as multiplying; a few
// side by side run near the kernel's speed (1,024 columns measured best of
// 1,024, 2,048 and 4,096 on LeNet). A function of the shapes only.
inline index_t images_per_gemm(index_t K, index_t P, index_t limit) {
  const index_t by_size = (index_t{1} << 19) / std::max<index_t>(1, K * P);
  const index_t by_width = 1024 / std::max<index_t>(1, P);
  return std::clamp<index_t>(std::min(by_size, by_width), 1, std::max<index_t>(1, limit));
}

// Chunks of images over which weight gradients are summed: a function of
// the batch size only (never of the thread count).
inline index_t gradient_chunks(index_t batch) { return std::min<index_t>(batch, 8); }

// A Conv2d's Winograd weights, built when first needed and kept while the
// weights they were built from (compared bit for bit on each call: much
// cheaper than the transform, which took about a sixth of a one-line
// convolution with 96 -> 128 channels) and the micro-kernel stay the same.
// Thread-safe: infer() may run on one model from several threads.
class WinogradCache {
 public:

  // The weights built by build() from w[0 .. n) for `arch`, or the kept ones.
  template <class Build>
  std::shared_ptr<const kernels::WinogradWeights> get(const float* w, index_t n, const kernels::detail::GemmArch& arch,
                                                      Build&& build) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t count = static_cast<std::size_t>(n);
    if (!weights_ || &weights_->arch() != &arch || source_.size() != count ||
        std::memcmp(source_.data(), w, sizeof(float) * count) != 0) {
      weights_ = std::make_shared<const kernels::WinogradWeights>(build());
      source_.assign(w, w + count);
    }
    return weights_;
  }

 private:
  std::mutex mutex_;
  std::vector<float> source_;
  std::shared_ptr<const kernels::WinogradWeights> weights_;
};

}  // namespace detail

class Conv2d : public Layer {
 public:
  Parameter weight, bias;

  Conv2d(const Conv2dConfig& config, Rng& rng) : config_(config) {
    const auto& c = config_;
    NNOCR_CHECK(c.in_channels > 0 && c.out_channels > 0 && c.groups > 0, "Conv2d: channels (", c.in_channels, ", ",
                c.out_channels, ") and groups (", c.groups, ") must be positive");
    NNOCR_CHECK(c.in_channels % c.groups == 0 && c.out_channels % c.groups == 0, "Conv2d: groups=", c.groups,
                " must divide in_channels=", c.in_channels, " and out_channels=", c.out_channels);
    NNOCR_CHECK(c.kernel.h > 0 && c.kernel.w > 0 && c.stride.h > 0 && c.stride.w > 0 && c.dilation.h > 0 &&
                    c.dilation.w > 0 && c.padding.h >= 0 && c.padding.w >= 0,
                "Conv2d: kernel, stride and dilation must be positive and padding non-negative");
    weight.reset({c.out_channels, c.in_channels / c.groups, c.kernel.h, c.kernel.w});
    register_parameter("weight", weight);
    if (c.bias) {
      bias.reset({c.out_channels}, false);
      register_parameter("bias", bias);
    }
    const float bound = 1.0f / std::sqrt(static_cast<float>(c.in_channels / c.groups * c.kernel.h * c.kernel.w));
    for (float& v : weight.value) v = rng.uniform(-bound, bound);
    if (c.bias)
      for (float& v : bias.value) v = rng.uniform(-bound, bound);
  }

  const Conv2dConfig& config() const { return config_; }
  std::string kind() const override { return "Conv2d"; }
  std::string describe() const override {
    const auto& c = config_;
    return "Conv2d(" + std::to_string(c.in_channels) + ", " + std::to_string(c.out_channels) +
           ", kernel=" + c.kernel.str() + ", stride=" + c.stride.str() + ", padding=" + c.padding.str() +
           (c.dilation.h != 1 || c.dilation.w != 1 ? ", dilation=" + c.dilation.str() : "") +
           (c.groups != 1 ? ", groups=" + std::to_string(c.groups) : "") + (c.bias ? "" : ", bias=false") + ")";
  }

  Tensor<float> forward(const Tensor<float>& x) override {
    Tensor<float> y = infer(x);
    input_ = x;
    return y;
  }

  Tensor<float> infer(const Tensor<float>& x) const override { return infer_affine(x, nullptr, nullptr, false); }

  // Inference followed by y = y * scale[c] + shift[c] (when scale is given)
  // and max(y, 0) (when relu), applied to each image's output right after
  // its GEMM while it is still in cache: an eval-mode BatchNorm2d and ReLU
  // after the convolution, fused.
  Tensor<float> infer_affine(const Tensor<float>& x, const float* scale, const float* shift, bool relu) const {
    const kernels::Conv2dGeometry g = geometry(x);
    const index_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    const index_t G = config_.groups, Cout = config_.out_channels, Cg = Cout / G;
    const index_t P = g.col_cols(), K = g.col_rows();
    Tensor<float> y({N, Cout, g.out_height(), g.out_width()}, uninitialized);  // every GEMM has beta = 0
    const float* w = weight.value.data();
    const index_t together = g.is_pointwise() ? 1 : detail::images_per_gemm(K, P, N);
    if (together > 1) {
      // Small images: `together` images' im2col matrices side by side,
      // [K, together P], one GEMM per group into a scratch [Cg, together P]
      // whose column blocks are then finished into each image's output.
      const index_t batches = (N + together - 1) / together;
      parallel_for(batches, 1, [&](index_t b0, index_t b1) {
        detail::layer_scratch(0).reserve_discard(K * together * P);
        detail::layer_scratch(1).reserve_discard(Cg * together * P);
        float* cols = detail::layer_scratch(0).data();
        float* result = detail::layer_scratch(1).data();
        for (index_t b = b0; b < b1; ++b) {
          const index_t n0 = b * together, count = std::min(together, N - n0), ld = count * P;
          for (index_t grp = 0; grp < G; ++grp) {
            for (index_t j = 0; j < count; ++j)
              kernels::im2col(g, x.data() + ((n0 + j) * C + grp * g.channels) * H * W, cols + j * P, ld);
            kernels::sgemm(kernels::Trans::no, kernels::Trans::no, Cg, ld, K, 1.0f, w + grp * Cg * K, K, cols, ld,
                           0.0f, result, ld);
            for (index_t j = 0; j < count; ++j)
              for (index_t o = 0; o < Cg; ++o)
                finish(grp * Cg + o, result + o * ld + j * P, y.data() + ((n0 + j) * Cout + grp * Cg + o) * P, P,
                       scale, shift, relu);
          }
        }
      });
      return y;
    }
    // Large images, one at a time: bands of output rows whose im2col block
    // is about 64K floats (256 KiB), convolved straight into y.
    for_each_band(
        x, g, band_height(g, K * g.out_width(), 1), scale, shift, relu,
        [&](index_t n, index_t oy0, index_t) { return BandOut{y.data() + n * Cout * P + oy0 * g.out_width(), P}; },
        [](index_t, index_t, index_t, float*) {});
    return y;
  }

  // The im2col geometry of input x (checked against the config: rank,
  // channels, size against the kernel's span).
  kernels::Conv2dGeometry geometry(const Tensor<float>& x) const {
    nn::detail::check_rank("Conv2d", x, 4, "[N, C, H, W]");
    NNOCR_CHECK(x.size(1) == config_.in_channels, "Conv2d: expected input [N, C, H, W] with C = ",
                config_.in_channels, ", got ", x.shape().str());
    kernels::Conv2dGeometry g;
    g.channels = config_.in_channels / config_.groups;
    g.height = x.size(2);
    g.width = x.size(3);
    g.kernel_h = config_.kernel.h;
    g.kernel_w = config_.kernel.w;
    g.stride_h = config_.stride.h;
    g.stride_w = config_.stride.w;
    g.pad_h = config_.padding.h;
    g.pad_w = config_.padding.w;
    g.dilation_h = config_.dilation.h;
    g.dilation_w = config_.dilation.w;
    const index_t span_h = config_.dilation.h * (config_.kernel.h - 1) + 1;
    const index_t span_w = config_.dilation.w * (config_.kernel.w - 1) + 1;
    NNOCR_CHECK(g.height + 2 * g.pad_h >= span_h && g.width + 2 * g.pad_w >= span_w, "Conv2d: input ",
                x.shape().str(), " padded by ", config_.padding.str(), " is smaller than the kernel span ", span_h,
                "x", span_w);
    return g;
  }

  // The eval-mode convolution of infer_affine handed over in bands of
  // output rows instead of stored whole: for each image n and each band of
  // rows [oy0, oy1) (a multiple of `rows_multiple` rows, except a last band
  // that ends at the output height), sink(n, oy0, oy1, band) receives
  // band = [Cout, (oy1 - oy0) Wo], finished (affine, ReLU), in a per-thread
  // scratch that is the sink's to change and is reused once it returns.
  // Images run in parallel, so sink is called from several threads at once,
  // for different images.
  // The values are those of infer_affine, bit for bit: each output sums
  // the same products in the same order, whatever the band (except where a
  // band or infer_affine's is a single output position, which the GEMM
  // runs as a matrix-vector product: equal up to rounding).
  // models/conv_stack.hpp fuses a max-pool this way: the full-resolution
  // output of a line's first convolution (32 channels of 32 rows) is never
  // written to memory.
  template <class Sink>
  void infer_affine_bands(const Tensor<float>& x, const float* scale, const float* shift, bool relu,
                          index_t rows_multiple, Sink&& sink) const {
    NNOCR_CHECK(rows_multiple >= 1, "Conv2d::infer_affine_bands: rows_multiple ", rows_multiple, " must be >= 1");
    const kernels::Conv2dGeometry g = geometry(x);
    const index_t Cout = config_.out_channels, Wo = g.out_width();
    // The band's output, in a scratch, is held near 64K floats too, so that
    // it is still in cache when the sink reads it.
    for_each_band(
        x, g, band_height(g, std::max(g.col_rows(), Cout) * Wo, rows_multiple), scale, shift, relu,
        [&](index_t, index_t oy0, index_t oy1) {
          detail::layer_scratch(1).reserve_discard(Cout * (oy1 - oy0) * Wo);
          return BandOut{detail::layer_scratch(1).data(), (oy1 - oy0) * Wo};
        },
        [&](index_t n, index_t oy0, index_t oy1, float* band) { sink(n, oy0, oy1, band); });
  }

  // Whether the banded forward (large images) and the input gradient run
  // by Winograd's F(2x2, 3x3) where it applies (the default) or always by
  // im2col + GEMM.
  void use_winograd(bool on) { winograd_ = on; }
  bool winograd(const kernels::Conv2dGeometry& g) const {
    return winograd_ && config_.groups == 1 && kernels::winograd_applies(g, config_.out_channels);
  }

  Tensor<float> backward(const Tensor<float>& grad_y) override {
    NNOCR_CHECK(!input_.empty(), "Conv2d::backward called without a forward");
    const Tensor<float>& x = input_;
    const kernels::Conv2dGeometry g = geometry(x);
    const index_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    const index_t G = config_.groups, Cout = config_.out_channels, Cg = Cout / G;
    const index_t P = g.col_cols(), K = g.col_rows();
    nn::detail::check_same_shape("Conv2d", Shape{N, Cout, g.out_height(), g.out_width()}, grad_y);

    const bool want_dx = input_gradient_;
    Tensor<float> dx = want_dx ? Tensor<float>(x.shape(), 0.0f) : Tensor<float>();
    const index_t chunks = detail::gradient_chunks(N), per_chunk = (N + chunks - 1) / chunks;
    const index_t wsize = weight.numel();
    Tensor<float> dw_parts({chunks, wsize + Cout}, 0.0f);
    const float* w = weight.value.data();
    // Images of a chunk go `together` at a time, their im2col matrices and
    // output gradients side by side (see images_per_gemm): one GEMM for
    // their weight gradient, one for their column gradients.
    const index_t together = g.is_pointwise() ? 1 : detail::images_per_gemm(K, P, per_chunk);
    // The input gradient of a 3x3, stride-1 convolution is itself one: dy
    // correlated with the kernel turned by 180 degrees and its channels
    // swapped, padded by 2 - padding. Where that convolution qualifies, it
    // runs by Winograd, one image at a time, instead of W^T dY and col2im.
    kernels::Conv2dGeometry gt;
    gt.channels = Cout;
    gt.height = g.out_height();
    gt.width = g.out_width();
    gt.kernel_h = gt.kernel_w = 3;
    gt.pad_h = 2 - g.pad_h;
    gt.pad_w = 2 - g.pad_w;
    std::shared_ptr<const kernels::WinogradWeights> wino_dx;
    std::vector<float> unit_affine;
    if (want_dx && winograd_ && G == 1 && g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 &&
        g.dilation_h == 1 && g.dilation_w == 1 && g.pad_h <= 2 && g.pad_w <= 2 && kernels::winograd_applies(gt, C)) {
      const kernels::detail::GemmArch& arch = kernels::gemm_arch(simd::active_isa());
      wino_dx = input_gradient_cache_.get(w, weight.numel(), arch, [&] {
        std::vector<float> turned(static_cast<std::size_t>(C * Cout * 9));  // [C, Cout, 3, 3]
        for (index_t o = 0; o < Cout; ++o)
          for (index_t c = 0; c < C; ++c)
            for (index_t k = 0; k < 9; ++k)
              turned[static_cast<std::size_t>((c * Cout + o) * 9 + (8 - k))] = w[(o * C + c) * 9 + k];
        return kernels::WinogradWeights(turned.data(), C, Cout, arch);
      });
      unit_affine.assign(static_cast<std::size_t>(2 * C), 0.0f);
      std::fill(unit_affine.begin(), unit_affine.begin() + C, 1.0f);
    }
    parallel_for(chunks, 1, [&](index_t k0, index_t k1) {
      AlignedBuffer<float>& cols_buf = detail::layer_scratch(0);
      AlignedBuffer<float>& dcols_buf = detail::layer_scratch(1);
      AlignedBuffer<float>& dy_buf = detail::layer_scratch(2);
      if (!g.is_pointwise()) {
        cols_buf.reserve_discard(K * together * P);
        if (wino_dx)
          dcols_buf.reserve_discard(kernels::winograd_scratch_floats(gt, C, wino_dx->arch().nr));
        else if (want_dx)
          dcols_buf.reserve_discard(K * together * P);
        if (together > 1) dy_buf.reserve_discard(Cg * together * P);
      }
      for (index_t k = k0; k < k1; ++k) {
        float* dw = dw_parts.data() + k * (wsize + Cout);
        float* db = dw + wsize;
        const index_t chunk_end = std::min(N, (k + 1) * per_chunk);
        for (index_t n0 = k * per_chunk; n0 < chunk_end; n0 += together) {
          const index_t count = std::min(together, chunk_end - n0), ld = count * P;
          for (index_t grp = 0; grp < G; ++grp) {
            auto dy_of = [&](index_t j) { return grad_y.data() + ((n0 + j) * Cout + grp * Cg) * P; };
            auto dx_of = [&](index_t j) { return dx.data() + ((n0 + j) * C + grp * g.channels) * H * W; };
            if (g.is_pointwise()) {  // count == 1: x itself is the column matrix
              const float* xin = x.data() + (n0 * C + grp * g.channels) * H * W;
              kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, Cg, K, P, 1.0f, dy_of(0), P, xin, P, 1.0f,
                             dw + grp * Cg * K, K);
              if (want_dx)
                kernels::sgemm(kernels::Trans::yes, kernels::Trans::no, K, P, Cg, 1.0f, w + grp * Cg * K, K, dy_of(0),
                               P, 1.0f, dx_of(0), P);
            } else {
              float* cols = cols_buf.data();
              for (index_t j = 0; j < count; ++j)
                kernels::im2col(g, x.data() + ((n0 + j) * C + grp * g.channels) * H * W, cols + j * P, ld);
              const float* dyc = dy_of(0);
              if (count > 1) {
                float* gathered = dy_buf.data();
                for (index_t j = 0; j < count; ++j)
                  for (index_t o = 0; o < Cg; ++o)
                    std::memcpy(gathered + o * ld + j * P, dy_of(j) + o * P, sizeof(float) * static_cast<std::size_t>(P));
                dyc = gathered;
              }
              kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, Cg, K, ld, 1.0f, dyc, ld, cols, ld, 1.0f,
                             dw + grp * Cg * K, K);
              if (wino_dx) {  // dx is zero: written, not added to
                for (index_t j = 0; j < count; ++j)
                  kernels::winograd_rows(gt, *wino_dx, dy_of(j), 0, H, unit_affine.data(), unit_affine.data() + C,
                                         false, dx_of(j), H * W, dcols_buf.data());
              } else if (want_dx) {
                kernels::sgemm(kernels::Trans::yes, kernels::Trans::no, K, ld, Cg, 1.0f, w + grp * Cg * K, K, dyc, ld,
                               0.0f, dcols_buf.data(), ld);
                for (index_t j = 0; j < count; ++j) kernels::col2im_add(g, dcols_buf.data() + j * P, dx_of(j), ld);
              }
            }
            if (config_.bias)
              for (index_t j = 0; j < count; ++j)
                for (index_t o = 0; o < Cg; ++o) {
                  const float* row = dy_of(j) + o * P;
                  float s = 0.0f;
                  for (index_t p = 0; p < P; ++p) s += row[p];
                  db[grp * Cg + o] += s;
                }
          }
        }
      }
    });
    for (index_t k = 0; k < chunks; ++k) {
      const float* part = dw_parts.data() + k * (wsize + Cout);
      float* gw = weight.grad.data();
      for (index_t i = 0; i < wsize; ++i) gw[i] += part[i];
      if (config_.bias)
        for (index_t o = 0; o < Cout; ++o) bias.grad[o] += part[wsize + o];
    }
    return dx;
  }

 private:
  // Bias, affine and ReLU of output channel c on len positions, from src
  // (a GEMM's result) to dst (the same place when convolved in place).
  void finish(index_t c, const float* src, float* dst, index_t len, const float* scale, const float* shift,
              bool relu) const {
    if (!relu && !scale && !config_.bias) {
      if (src != dst) std::memcpy(dst, src, sizeof(float) * static_cast<std::size_t>(len));
      return;
    }
    const float bo = config_.bias ? bias.value[c] : 0.0f;
    const float a = scale ? scale[c] : 1.0f, s0 = scale ? shift[c] + a * bo : bo;
    if (relu) {
      for (index_t p = 0; p < len; ++p) dst[p] = std::max(src[p] * a + s0, 0.0f);
    } else {
      for (index_t p = 0; p < len; ++p) dst[p] = src[p] * a + s0;
    }
  }

  // Rows per band: as many as keep `floats_per_row` x rows near 64K floats
  // (256 KiB, in cache), at least 1 and at most Ho, rounded down to a
  // multiple of `multiple` (but never below it, nor above Ho).
  static index_t band_rows(index_t floats_per_row, index_t Ho, index_t multiple) {
    const index_t band = std::clamp<index_t>(65536 / std::max<index_t>(1, floats_per_row), 1, Ho);
    return std::min(Ho, std::max(multiple, band / multiple * multiple));
  }

  // band_rows for for_each_band; Winograd's tiles are two rows high, so
  // its bands start on even rows.
  index_t band_height(const kernels::Conv2dGeometry& g, index_t floats_per_row, index_t multiple) const {
    if (winograd(g)) multiple = std::lcm(multiple, index_t{2});
    return band_rows(floats_per_row, g.out_height(), multiple);
  }

  // Where a band of output rows goes: channel o of the band at
  // data + o * channel_stride.
  struct BandOut {
    float* data;
    index_t channel_stride;
  };

  // Images one at a time (in parallel), each in bands of `band` output
  // rows (the last band ends at Ho; the band's size never changes a value:
  // each output sums its K products in the same order): dest(n, oy0, oy1)
  // says where the band's output goes, the GEMM writes it there (per
  // group) and it is finished in place while in cache (or Winograd's
  // output transform writes it finished); then done(n, oy0, oy1, data).
  template <class Dest, class Done>
  void for_each_band(const Tensor<float>& x, const kernels::Conv2dGeometry& g, index_t band, const float* scale,
                     const float* shift, bool relu, Dest&& dest, Done&& done) const {
    const index_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    const index_t G = config_.groups, Cout = config_.out_channels, Cg = Cout / G;
    const index_t P = g.col_cols(), K = g.col_rows(), Ho = g.out_height(), Wo = g.out_width();
    const float* w = weight.value.data();
    std::shared_ptr<const kernels::WinogradWeights> wino;
    std::vector<float> affine;  // Winograd: finish's factor and offset per channel, applied by the transform
    if (winograd(g)) {
      NNOCR_CHECK(band % 2 == 0 || band >= Ho, "Conv2d: Winograd bands of ", band, " rows do not start on even rows");
      const kernels::detail::GemmArch& arch = kernels::gemm_arch(simd::active_isa());
      wino = forward_cache_.get(w, weight.numel(), arch,
                                [&] { return kernels::WinogradWeights(w, Cout, g.channels, arch); });
      affine.resize(2 * static_cast<std::size_t>(Cout));
      for (index_t o = 0; o < Cout; ++o) {
        const float bo = config_.bias ? bias.value[o] : 0.0f, a = scale ? scale[o] : 1.0f;
        affine[static_cast<std::size_t>(o)] = a;
        affine[static_cast<std::size_t>(Cout + o)] = scale ? shift[o] + a * bo : bo;
      }
    }
    parallel_for(N, 1, [&](index_t n0, index_t n1) {
      float* cols = nullptr;
      if (wino) {
        detail::layer_scratch(0).reserve_discard(kernels::winograd_scratch_floats(g, Cout, wino->arch().nr));
        cols = detail::layer_scratch(0).data();
      } else if (!g.is_pointwise()) {
        detail::layer_scratch(0).reserve_discard(K * band * Wo);
        cols = detail::layer_scratch(0).data();
      }
      for (index_t n = n0; n < n1; ++n)
        for (index_t oy0 = 0; oy0 < Ho; oy0 += band) {
          const index_t oy1 = std::min(Ho, oy0 + band), Pb = (oy1 - oy0) * Wo;
          const BandOut out = dest(n, oy0, oy1);
          for (index_t grp = 0; grp < G; ++grp) {
            const float* xin = x.data() + (n * C + grp * g.channels) * H * W;
            float* c = out.data + grp * Cg * out.channel_stride;
            if (wino) {  // groups == 1; finished by the output transform
              kernels::winograd_rows(g, *wino, xin, oy0, oy1, affine.data(), affine.data() + Cout, relu, c,
                                     out.channel_stride, cols);
              continue;
            }
            const float* b = xin + oy0 * Wo;  // a 1x1 convolution multiplies x itself (Wo == W)
            index_t ldb = P;
            if (cols) {
              kernels::im2col_rows(g, xin, oy0, oy1, cols);
              b = cols;
              ldb = Pb;
            }
            kernels::sgemm(kernels::Trans::no, kernels::Trans::no, Cg, Pb, K, 1.0f, w + grp * Cg * K, K, b, ldb,
                           0.0f, c, out.channel_stride);
            for (index_t o = 0; o < Cg; ++o) {
              float* row = c + o * out.channel_stride;
              finish(grp * Cg + o, row, row, Pb, scale, shift, relu);
            }
          }
          done(n, oy0, oy1, out.data);
        }
    });
  }

  Conv2dConfig config_;
  bool winograd_ = true;
  mutable detail::WinogradCache forward_cache_, input_gradient_cache_;
  Tensor<float> input_;
};

}  // namespace nnocr::nn
