// stb_image_write.hpp — Debian's stb_image_write, compiled privately inside
// namespace nnocr::image::detail::stbw (see stb_image.hpp for why).
#pragma once

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#pragma push_macro("INCLUDE_STB_IMAGE_WRITE_H")
#pragma push_macro("STBIWDEF")
#pragma push_macro("STB_IMAGE_WRITE_STATIC")
#pragma push_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#undef INCLUDE_STB_IMAGE_WRITE_H
#undef STBIWDEF
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"
#pragma clang diagnostic ignored "-Wmissing-field-initializers"
#pragma clang diagnostic ignored "-Wsign-compare"
#pragma clang diagnostic ignored "-Wunused-parameter"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif

namespace nnocr::image::detail::stbw {
#include <stb/stb_image_write.h>
}  // namespace nnocr::image::detail::stbw

#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#undef STBI_WRITE_NO_STDIO
#pragma pop_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#pragma pop_macro("STB_IMAGE_WRITE_STATIC")
#pragma pop_macro("STBIWDEF")
#pragma pop_macro("INCLUDE_STB_IMAGE_WRITE_H")
