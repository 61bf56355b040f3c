// image.hpp — Image: 8-bit pixels, channels interleaved (1 gray, 2 gray +
// alpha, 3 RGB, 4 RGBA), stored as a Tensor<uint8_t> of shape [H, W, C].
#pragma once

#include <cstdint>
#include <string>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace nnocr::image {

// Largest image (width * height) decoders and constructors accept unless told
// otherwise: 2^28 pixels (an A4 page at 1200 dpi is about 2^27).
inline constexpr std::int64_t kDefaultMaxPixels = std::int64_t{1} << 28;

class Image {
 public:
  Image() = default;
  // A width x height image of `channels` channels, every sample `fill`.
  Image(int width, int height, int channels, std::uint8_t fill = 0,
        std::int64_t max_pixels = kDefaultMaxPixels) {
    check_size(width, height, channels, max_pixels, "image");
    pixels_ = Tensor<std::uint8_t>({height, width, channels}, fill);
  }

  // Throws nnocr::Error unless the size is positive, the channel count is
  // 1..4 and width*height <= max_pixels; `what` names the source.
  static void check_size(std::int64_t width, std::int64_t height, std::int64_t channels,
                         std::int64_t max_pixels, const std::string& what) {
    NNOCR_CHECK(width > 0 && height > 0, what, ": empty or negative size ", width, "x", height);
    NNOCR_CHECK(channels >= 1 && channels <= 4, what, ": ", channels, " channels (expected 1 to 4)");
    NNOCR_CHECK(width <= max_pixels / height, what, ": ", width, "x", height, " exceeds the limit of ", max_pixels,
                " pixels");
  }

  int width() const { return empty() ? 0 : static_cast<int>(pixels_.size(1)); }
  int height() const { return empty() ? 0 : static_cast<int>(pixels_.size(0)); }
  int channels() const { return empty() ? 0 : static_cast<int>(pixels_.size(2)); }
  bool empty() const { return pixels_.rank() == 0 || pixels_.numel() == 0; }

  std::uint8_t* data() { return pixels_.data(); }
  const std::uint8_t* data() const { return pixels_.data(); }
  std::uint8_t* row(int y) { return data() + static_cast<std::ptrdiff_t>(y) * width() * channels(); }
  const std::uint8_t* row(int y) const { return data() + static_cast<std::ptrdiff_t>(y) * width() * channels(); }
  std::uint8_t& at(int x, int y, int c = 0) { return row(y)[x * channels() + c]; }
  std::uint8_t at(int x, int y, int c = 0) const { return row(y)[x * channels() + c]; }

  // The pixels as a [H, W, C] tensor (views of it crop without copying).
  const Tensor<std::uint8_t>& pixels() const { return pixels_; }
  Tensor<std::uint8_t>& pixels() { return pixels_; }

 private:
  Tensor<std::uint8_t> pixels_;
};

}  // namespace nnocr::image
