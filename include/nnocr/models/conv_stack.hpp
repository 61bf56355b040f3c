// conv_stack.hpp — the convolutional front end that every recognizer here
// shares: stages of (conv 3x3 -> BatchNorm -> ReLU) x convs, then a max-pool,
// turning a batch of text lines into a sequence of feature frames.
//
//   images [N, 1, H, W] -> features [N, C, H', W'] -> frames [W', N, C H']
//
// Lines of one batch have different widths w_n (the rest is padding, blank
// paper 0). After every layer the columns past each line's width at that
// layer (ceil(w_n / the pooling so far)) are zeroed: otherwise the padding
// becomes a non-zero constant after a batch norm and the next convolution
// carries it into the line's last columns, so a line would read differently
// depending on how much wider the other lines of its batch are. Backward
// zeroes the same columns of the gradient (they are constants).
//
// Inference fuses each conv -> BatchNorm (eval) -> ReLU into one
// convolution (Conv2d::infer_affine), the same values up to rounding.
// The stack lives in an nn::Sequential owned by the model, so parameter
// names stay "cnn.0.weight", "cnn.1.running_mean", ...
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "../io/json.hpp"
#include "../nn/nn.hpp"

namespace nnocr::models {

struct ConvStage {
  index_t channels = 32;
  int convs = 1;                   // 3x3 convolutions in the stage
  index_t pool_h = 2, pool_w = 2;  // 1 x 1: no pooling
};

inline index_t stages_frame_width(const std::vector<ConvStage>& stages) {
  index_t f = 1;
  for (const auto& s : stages) f *= s.pool_w;
  return f;
}

inline index_t stages_feature_height(index_t height, const std::vector<ConvStage>& stages) {
  for (const auto& s : stages) height /= s.pool_h;
  return height;
}

inline void validate_stages(const char* what, index_t height, const std::vector<ConvStage>& stages) {
  NNOCR_CHECK(height >= 1 && height <= 1024, what, ": height ", height, " is outside [1, 1024]");
  NNOCR_CHECK(!stages.empty() && stages.size() <= 16, what, ": needs 1 to 16 conv stages, got ", stages.size());
  index_t h = height;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const auto& s = stages[i];
    NNOCR_CHECK(s.channels >= 1 && s.channels <= 4096 && s.convs >= 1 && s.convs <= 8 && s.pool_h >= 1 &&
                    s.pool_h <= 8 && s.pool_w >= 1 && s.pool_w <= 8,
                what, ": stage ", i, " (channels ", s.channels, ", convs ", s.convs, ", pool ", s.pool_h, "x",
                s.pool_w, ") is out of range");
    h /= s.pool_h;
    NNOCR_CHECK(h >= 1, what, ": the pools reduce height ", height, " to nothing at stage ", i);
  }
}

inline io::Json stages_to_json(const std::vector<ConvStage>& stages) {
  io::Json st = io::Json::array();
  for (const auto& s : stages) {
    io::Json o = io::Json::object();
    o.set("channels", s.channels);
    o.set("convs", static_cast<index_t>(s.convs));
    o.set("pool_h", s.pool_h);
    o.set("pool_w", s.pool_w);
    st.push_back(std::move(o));
  }
  return st;
}

// A non-negative integer field of an architecture config, at most a million.
inline index_t config_integer(const io::Json& v, const char* what) {
  const std::int64_t x = v.as_int();
  NNOCR_CHECK(x >= 0 && x <= 1000000, "model config: ", what, " = ", x, " is out of range");
  return static_cast<index_t>(x);
}

inline std::vector<ConvStage> stages_from_json(const io::Json& j) {
  std::vector<ConvStage> stages;
  for (const io::Json& o : j.as_array()) {
    ConvStage s;
    s.channels = config_integer(o.at("channels"), "channels");
    s.convs = static_cast<int>(config_integer(o.at("convs"), "convs"));
    s.pool_h = config_integer(o.at("pool_h"), "pool_h");
    s.pool_w = config_integer(o.at("pool_w"), "pool_w");
    stages.push_back(s);
  }
  return stages;
}

// Appends the stages' layers to `cnn` (input: 1 channel).
inline void build_conv_stack(nn::Sequential& cnn, const std::vector<ConvStage>& stages, Rng& rng) {
  index_t in = 1;
  for (const auto& s : stages) {
    for (int k = 0; k < s.convs; ++k) {
      nn::Conv2dConfig cc;
      cc.in_channels = in;
      cc.out_channels = s.channels;
      cc.kernel = 3;
      cc.padding = 1;
      cc.bias = false;  // followed by batch normalisation
      cnn.emplace<nn::Conv2d>(cc, rng);
      cnn.emplace<nn::BatchNorm2d>(s.channels);
      cnn.emplace<nn::ReLU>();
      in = s.channels;
    }
    if (s.pool_h > 1 || s.pool_w > 1) cnn.emplace<nn::MaxPool2d>(nn::Size2(s.pool_h, s.pool_w));
  }
}

namespace detail {

// A line's width after a layer that maps W_in columns to W_out (a pooling
// stride s = W_in / W_out): ceil(w / s), the columns that see any of it.
inline std::vector<index_t> scaled_widths(std::vector<index_t> w, index_t W_in, index_t W_out) {
  if (W_in != W_out)
    for (index_t& x : w) x = std::min(W_out, (x * W_out + W_in - 1) / W_in);
  return w;
}

// Zeroes columns [w[n], W) of line n's maps [N, C, H, W].
inline void mask_padding(Tensor<float>& f, const std::vector<index_t>& w) {
  const index_t N = f.size(0), planes = f.size(1) * f.size(2), W = f.size(3);
  for (index_t n = 0; n < N; ++n) {
    const index_t from = w[static_cast<std::size_t>(n)];
    if (from >= W) continue;
    float* p = f.data() + n * planes * W;
    for (index_t r = 0; r < planes; ++r) std::fill(p + r * W + from, p + (r + 1) * W, 0.0f);
  }
}

}  // namespace detail

// Frames per line of a batch [N, 1, height, W] of lines padded to width W,
// a positive multiple of frame_width: line i, widths[i] columns of it ink
// or paper (in [1, W]), makes ceil(widths[i] / frame_width) frames. `what`
// names the model in the errors.
inline std::vector<index_t> line_frame_lengths(const char* what, const Tensor<float>& images,
                                               const std::vector<index_t>& widths, index_t height,
                                               index_t frame_width) {
  NNOCR_CHECK(images.rank() == 4 && images.size(1) == 1 && images.size(2) == height, what, ": expected images [N, 1, ",
              height, ", W], got ", images.shape().str());
  const index_t N = images.size(0), W = images.size(3);
  NNOCR_CHECK(static_cast<index_t>(widths.size()) == N, what, ": ", widths.size(), " widths for ", N, " images");
  NNOCR_CHECK(W >= frame_width && W % frame_width == 0, what, ": image width ", W,
              " is not a positive multiple of the frame width ", frame_width);
  std::vector<index_t> lengths(widths.size());
  for (std::size_t i = 0; i < widths.size(); ++i) {
    NNOCR_CHECK(widths[i] >= 1 && widths[i] <= W, what, ": width ", widths[i], " of line ", i, " is outside [1, ", W,
                "]");
    lengths[i] = (widths[i] + frame_width - 1) / frame_width;
  }
  return lengths;
}

// Training forward; `layer_widths` receives each layer's line widths for
// conv_stack_backward.
inline Tensor<float> conv_stack_forward(nn::Sequential& cnn, const Tensor<float>& images,
                                        const std::vector<index_t>& widths,
                                        std::vector<std::vector<index_t>>& layer_widths) {
  layer_widths.assign(cnn.size(), {});
  Tensor<float> f = images;
  std::vector<index_t> w = widths;
  for (std::size_t i = 0; i < cnn.size(); ++i) {
    const index_t W_in = f.size(3);
    f = cnn[i].forward(f);
    w = detail::scaled_widths(w, W_in, f.size(3));
    detail::mask_padding(f, w);
    layer_widths[i] = w;
  }
  return f;
}

inline Tensor<float> conv_stack_backward(nn::Sequential& cnn, Tensor<float> grad,
                                         const std::vector<std::vector<index_t>>& layer_widths) {
  NNOCR_CHECK(layer_widths.size() == cnn.size(), "conv stack: backward called without a forward");
  for (std::size_t i = cnn.size(); i-- > 0;) {
    detail::mask_padding(grad, layer_widths[i]);  // the masked outputs are constants
    grad = cnn[i].backward(grad);
  }
  return grad;
}

namespace detail {

// A max-pool whose windows tile the plane (stride = kernel, no padding):
// the pools of the recognizers' conv stages, which conv_stack_infer fuses
// into the convolution before them.
inline bool tiling_max_pool(const nn::Layer* layer) {
  const auto* pool = dynamic_cast<const nn::MaxPool2d*>(layer);
  if (!pool) return false;
  const nn::Pool2dConfig& c = pool->config();
  return c.padding.h == 0 && c.padding.w == 0 && (c.stride.h == 0 || c.stride.h == c.kernel.h) &&
         (c.stride.w == 0 || c.stride.w == c.kernel.w);
}

// conv -> BatchNorm (eval) -> ReLU -> MaxPool (tiling) of a batch, in bands
// of rows: each band of the convolution's output (Conv2d::infer_affine_bands)
// has the columns past each line's width zeroed, as conv_stack_infer does
// between layers, and is pooled straight into the result, so the
// full-resolution maps are never stored. The same values as infer_affine
// and then the pool, bit for bit (see Conv2d::infer_affine_bands).
inline Tensor<float> conv_pool_infer(const nn::Conv2d& conv, const float* scale, const float* shift, bool relu,
                                     const nn::MaxPool2d& pool, const Tensor<float>& x,
                                     const std::vector<index_t>& conv_widths, index_t conv_height,
                                     index_t conv_width) {
  const index_t kh = pool.config().kernel.h, kw = pool.config().kernel.w;
  NNOCR_CHECK(conv_height >= kh && conv_width >= kw, "conv stack: maps ", conv_height, "x", conv_width,
              " are smaller than the pool ", kh, "x", kw);
  const index_t N = x.size(0), C = conv.config().out_channels, Wc = conv_width;
  const index_t Hp = conv_height / kh, Wp = conv_width / kw;
  Tensor<float> y({N, C, Hp, Wp}, uninitialized);  // every pooled row is written by its band
  conv.infer_affine_bands(x, scale, shift, relu, kh, [&](index_t n, index_t oy0, index_t oy1, float* band) {
    const index_t rows = oy1 - oy0, py0 = oy0 / kh, py1 = std::min(Hp, oy1 / kh);
    if (py1 <= py0) return;
    const index_t from = conv_widths[static_cast<std::size_t>(n)];
    for (index_t c = 0; c < C; ++c) {
      // The padding columns are zeroed in the scratch, then the band's
      // windows pooled.
      float* plane = band + c * rows * Wc;
      if (from < Wc)
        for (index_t r = 0; r < rows; ++r) std::fill(plane + r * Wc + from, plane + (r + 1) * Wc, 0.0f);
      float* out = y.data() + ((n * C + c) * Hp + py0) * Wp;
      if (kh == 2 && kw == 2)
        nn::detail::max_windows<2, 2>(plane, Wc, py1 - py0, Wp, 2, 2, out, nullptr);
      else if (kh == 2 && kw == 1)
        nn::detail::max_windows<2, 1>(plane, Wc, py1 - py0, Wp, 2, 1, out, nullptr);
      else
        nn::detail::max_windows<0, 0>(plane, Wc, py1 - py0, Wp, kh, kw, out, nullptr, kh, kw);
    }
  });
  return y;
}

}  // namespace detail

// Eval-mode forward that keeps nothing, conv -> BatchNorm -> ReLU fused,
// and a max-pool that follows them fused too (detail::conv_pool_infer).
inline Tensor<float> conv_stack_infer(const nn::Sequential& cnn, const Tensor<float>& images,
                                      std::vector<index_t> w) {
  Tensor<float> h;
  const Tensor<float>* in = &images;
  std::vector<float> scale, shift;
  for (std::size_t i = 0; i < cnn.size(); ++i) {
    const index_t W_in = in->size(3);
    const auto* conv = dynamic_cast<const nn::Conv2d*>(&cnn[i]);
    const auto* bn = i + 1 < cnn.size() ? dynamic_cast<const nn::BatchNorm2d*>(&cnn[i + 1]) : nullptr;
    if (conv && bn) {
      bn->eval_affine(scale, shift);
      const bool relu = i + 2 < cnn.size() && dynamic_cast<const nn::ReLU*>(&cnn[i + 2]) != nullptr;
      const std::size_t pool_at = i + (relu ? 3 : 2);
      if (pool_at < cnn.size() && detail::tiling_max_pool(&cnn[pool_at])) {
        const kernels::Conv2dGeometry g = conv->geometry(*in);
        const std::vector<index_t> wc = detail::scaled_widths(w, W_in, g.out_width());
        h = detail::conv_pool_infer(*conv, scale.data(), shift.data(), relu,
                                    static_cast<const nn::MaxPool2d&>(cnn[pool_at]), *in, wc, g.out_height(),
                                    g.out_width());
        w = detail::scaled_widths(wc, g.out_width(), h.size(3));
        detail::mask_padding(h, w);
        in = &h;
        i = pool_at;
        continue;
      }
      h = conv->infer_affine(*in, scale.data(), shift.data(), relu);
      i += relu ? 2 : 1;
    } else {
      h = cnn[i].infer(*in);
    }
    w = detail::scaled_widths(w, W_in, h.size(3));
    detail::mask_padding(h, w);
    in = &h;
  }
  return h;
}

// [N, C, H', W'] -> [W', N, C H']: frame t of line n is column t of its
// feature maps, channels outer, rows inner.
inline Tensor<float> features_to_frames(const Tensor<float>& f) {
  const index_t N = f.size(0), C = f.size(1), H = f.size(2), W = f.size(3);
  Tensor<float> seq({W, N, C * H});
  float* out = seq.data();
  const float* in = f.data();
  for (index_t n = 0; n < N; ++n)
    for (index_t ch = 0; ch < C * H; ++ch) {
      const float* row = in + (n * C * H + ch) * W;
      for (index_t t = 0; t < W; ++t) out[(t * N + n) * C * H + ch] = row[t];
    }
  return seq;
}

// The inverse of features_to_frames (for gradients).
inline Tensor<float> frames_to_features(const Tensor<float>& seq, const Shape& shape) {
  const index_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
  NNOCR_CHECK(seq.rank() == 3 && seq.size(0) == W && seq.size(1) == N && seq.size(2) == C * H,
              "conv stack: frame gradient ", seq.shape().str(), " does not match features ", shape.str());
  Tensor<float> f(shape);
  float* out = f.data();
  const float* in = seq.data();
  for (index_t n = 0; n < N; ++n)
    for (index_t ch = 0; ch < C * H; ++ch) {
      float* row = out + (n * C * H + ch) * W;
      for (index_t t = 0; t < W; ++t) row[t] = in[(t * N + n) * C * H + ch];
    }
  return f;
}

}  // namespace nnocr::models
