// stb_image.hpp — Debian's stb_image (libstb-dev), compiled privately.
//
// stb is included inside namespace nnocr::image::detail::stb with
// STB_IMAGE_STATIC, so every symbol is internal to that namespace: a user's
// own copy of stb_image (included before or after this, with or without its
// implementation) never collides with ours. The C headers stb includes are
// included first at global scope so their guards keep them out of the
// namespace. Only the formats we hand it are compiled in (never PNM: its
// loader has known memory-safety bugs; pnm.hpp parses those), and every
// allocation goes through a cap set per decode, so a corrupt header cannot
// make it allocate gigabytes.
#pragma once

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cstddef>
#include <cstdlib>

#include "../../core/config.hpp"
#include "stb_diagnostics.hpp"
#if NNOCR_ARCH_X86_64
#include <emmintrin.h>
#endif

namespace nnocr::image::detail {

// Largest single allocation stb may make in the current decode.
inline std::size_t& stbi_allocation_cap() {
  thread_local std::size_t cap = std::size_t{1} << 30;
  return cap;
}
// Zeroed: stb 2.27 leaves its JPEG decoder state uninitialized, and a scan
// that names a Huffman table no DHT segment defined then decodes through
// whatever the memory held — an index far outside the table (found by
// fuzzing). All-zero tables decode every code to symbol 0 instead.
inline void* stbi_malloc_capped(std::size_t n) { return n > stbi_allocation_cap() ? nullptr : std::calloc(n, 1); }
inline void* stbi_realloc_capped(void* p, std::size_t n) {
  return n > stbi_allocation_cap() ? nullptr : std::realloc(p, n);
}

}  // namespace nnocr::image::detail

#pragma push_macro("STBI_INCLUDE_STB_IMAGE_H")
#pragma push_macro("STBIDEF")
#pragma push_macro("STB_IMAGE_STATIC")
#pragma push_macro("STB_IMAGE_IMPLEMENTATION")
#undef STBI_INCLUDE_STB_IMAGE_H
#undef STBIDEF
#undef STB_IMAGE_STATIC
#undef STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
#define STBI_ASSERT(x) ((void)0)
#define STBI_MALLOC(n) ::nnocr::image::detail::stbi_malloc_capped(n)
#define STBI_REALLOC(p, n) ::nnocr::image::detail::stbi_realloc_capped(p, n)
#define STBI_FREE(p) std::free(p)

NNOCR_STB_DIAGNOSTICS_PUSH

// stb 2.27's JPEG bit reader lets its bit count go negative once a corrupt
// file's entropy-coded data runs out, and then shifts the zero byte it
// pads with by more than 31 (stbi__grow_buffer_unsafe): undefined in C++,
// zero on every machine, and fixed upstream in 2.28 ("ran out of bits"
// checks). Found by fuzz_image in a 10-minute run; UBSan's shift-exponent
// check is off for stb's functions only (clang; GCC has no such pragma).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("shift-exponent"))), apply_to = function)
#endif
namespace nnocr::image::detail::stb {
#include <stb/stb_image.h>
}  // namespace nnocr::image::detail::stb
#if defined(__clang__)
#pragma clang attribute pop
#endif

NNOCR_STB_DIAGNOSTICS_POP

#undef STBI_NO_STDIO
#undef STBI_NO_HDR
#undef STBI_NO_LINEAR
#undef STBI_ONLY_PNG
#undef STBI_ONLY_JPEG
#undef STBI_ONLY_BMP
#undef STBI_ONLY_TGA
#undef STBI_ONLY_GIF
#undef STBI_ASSERT
#undef STBI_MALLOC
#undef STBI_REALLOC
#undef STBI_FREE
#pragma pop_macro("STB_IMAGE_IMPLEMENTATION")
#pragma pop_macro("STB_IMAGE_STATIC")
#pragma pop_macro("STBIDEF")
#pragma pop_macro("STBI_INCLUDE_STB_IMAGE_H")
