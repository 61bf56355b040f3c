// stb_image_write.hpp — Debian's stb_image_write, compiled privately inside
// namespace nnocr::image::detail::stbw (see stb_image.hpp for why).
#pragma once

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stb_diagnostics.hpp"

#pragma push_macro("INCLUDE_STB_IMAGE_WRITE_H")
#pragma push_macro("STBIWDEF")
#pragma push_macro("STB_IMAGE_WRITE_STATIC")
#pragma push_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#undef INCLUDE_STB_IMAGE_WRITE_H
#undef STBIWDEF
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO

NNOCR_STB_DIAGNOSTICS_PUSH

namespace nnocr::image::detail::stbw {
#include <stb/stb_image_write.h>
}  // namespace nnocr::image::detail::stbw

NNOCR_STB_DIAGNOSTICS_POP

#undef STBI_WRITE_NO_STDIO
#pragma pop_macro("STB_IMAGE_WRITE_IMPLEMENTATION")
#pragma pop_macro("STB_IMAGE_WRITE_STATIC")
#pragma pop_macro("STBIWDEF")
#pragma pop_macro("INCLUDE_STB_IMAGE_WRITE_H")
