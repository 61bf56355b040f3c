// fuzz_image.cpp — libFuzzer target: decoding an image from memory
// (image/io.hpp). PNG, JPEG, BMP, TGA and GIF go through the private
// stb_image behind nnocr's header checks and allocation cap; PGM/PPM through
// nnocr's own parser. A decoded image must survive the gray conversion and
// a PNM round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <nnocr/image/color.hpp>
#include <nnocr/image/io.hpp>

#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnocr;
  image::DecodeOptions options;
  options.max_pixels = std::int64_t{1} << 18;  // 512 x 512: keeps runs fast and memory bounded
  options.max_file_bytes = std::int64_t{1} << 20;
  image::Image img;
  if (!fuzz::accepts([&] { img = image::decode_image(data, size, "fuzz", options); })) return 0;
  fuzz::require(!img.empty() && img.channels() >= 1 && img.channels() <= 4);
  fuzz::require(static_cast<std::int64_t>(img.width()) * img.height() <= options.max_pixels);
  const image::Image gray = image::to_gray(img);
  fuzz::require(gray.width() == img.width() && gray.height() == img.height() && gray.channels() == 1);
  const std::vector<std::uint8_t> pgm = image::encode_pnm(gray);
  const image::Image back = image::decode_image(pgm.data(), pgm.size(), "round trip", options);
  fuzz::require(back.width() == gray.width() && back.height() == gray.height() && back.channels() == 1 &&
                std::memcmp(back.data(), gray.data(), static_cast<std::size_t>(gray.width()) * gray.height()) == 0);
  return 0;
}
