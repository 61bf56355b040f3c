// pixel.hpp — small helpers for the per-pixel loops of image/.
#pragma once

#include <cstdint>
#include <type_traits>

namespace nnocr::image::detail {

// Float to byte, rounding half away from zero and saturating: the same
// value as std::clamp(std::lround(v), 0L, 255L) for every float (NaN gives
// 0), without the call into libm that lround is on x86-64, and in a form
// compilers vectorize.
inline std::uint8_t round_u8(float v) {
  v = v > 0.0f ? v : 0.0f;      // also NaN -> 0
  v = v < 255.0f ? v : 255.0f;  // lround(255.5 and above) clamps to 255 too
  const int i = static_cast<int>(v);  // v >= 0: truncation is floor; v - i is exact
  return static_cast<std::uint8_t>(i + (v - static_cast<float>(i) >= 0.5f ? 1 : 0));
}

// Calls f(channels) with the channel count as a compile-time constant when
// it is 1 (gray, what the synthesizer and the recognizers use) and as an
// int otherwise, so the gray case compiles to loops without an inner
// channel loop. f is a generic lambda: [&](auto c) { ... }.
template <class F>
void with_channels(int channels, F&& f) {
  if (channels == 1) f(std::integral_constant<int, 1>{});
  else f(channels);
}

}  // namespace nnocr::image::detail
