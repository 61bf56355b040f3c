// normalize.hpp — from 8-bit pixels to the float tensors networks eat.
#pragma once

#include "../core/tensor.hpp"
#include "image.hpp"

namespace nnocr::image {

// [C, H, W] floats: (pixel / 255 - mean) / stddev, channels first (the NCHW
// layout of nn/ without the batch axis).
inline Tensor<float> to_tensor(const Image& src, float mean = 0.0f, float stddev = 1.0f) {
  NNOCR_CHECK(!src.empty(), "to_tensor: empty image");
  NNOCR_CHECK(stddev > 0, "to_tensor: stddev must be positive");
  const int c = src.channels(), h = src.height(), w = src.width();
  Tensor<float> out({c, h, w});
  const float scale = 1.0f / (255.0f * stddev), shift = -mean / stddev;
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y) {
      const std::uint8_t* in = src.row(y) + k;
      float* o = out.data() + (static_cast<std::size_t>(k) * h + y) * w;
      for (int x = 0; x < w; ++x) o[x] = in[static_cast<std::size_t>(x) * c] * scale + shift;
    }
  return out;
}

}  // namespace nnocr::image
