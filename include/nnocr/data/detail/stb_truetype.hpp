// stb_truetype.hpp — Debian's stb_truetype (libstb-dev), compiled privately.
//
// As with stb_image (image/detail/stb_image.hpp), the header is included
// inside namespace nnocr::data::detail::stbtt with STBTT_STATIC, so all its
// functions have internal linkage there and a user's own stb_truetype (before
// or after this, with or without its implementation) never collides with ours.
// Every macro the header defines is pushed before and popped after, so the
// user's macro state is exactly what it was.
//
// stb_truetype does no range checking ("do not use this on untrusted font
// files"). We never hand it a font as it is: data/detail/sfnt.hpp parses and
// checks the table directory, cmap, hmtx, loca and every glyf outline with
// bounds-checked reads, fills stbtt_fontinfo itself (the CFF buffer bounded by
// the real table length, not stb's 512 MB), and only then lets stb rasterize.
// Allocations go through a cap so a hostile glyph cannot ask for gigabytes.
#pragma once

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cstddef>
#include <cstdlib>

#include "../../image/detail/stb_diagnostics.hpp"

namespace nnocr::data::detail {

// Largest single allocation stb_truetype may make (vertex and edge arrays,
// scanlines): far above what any real glyph needs.
inline constexpr std::size_t kStbttAllocationCap = std::size_t{64} << 20;
inline void* stbtt_malloc_capped(std::size_t n) { return n > kStbttAllocationCap ? nullptr : std::malloc(n); }

}  // namespace nnocr::data::detail

#pragma push_macro("__STB_INCLUDE_STB_TRUETYPE_H__")
#pragma push_macro("STB_TRUETYPE_IMPLEMENTATION")
#pragma push_macro("STBTT_STATIC")
#pragma push_macro("STBTT_DEF")
#pragma push_macro("STBTT_FIX")
#pragma push_macro("STBTT_FIXMASK")
#pragma push_macro("STBTT_FIXSHIFT")
#pragma push_macro("STBTT_GPOS_TODO_assert")
#pragma push_macro("STBTT_MACSTYLE_BOLD")
#pragma push_macro("STBTT_MACSTYLE_DONTCARE")
#pragma push_macro("STBTT_MACSTYLE_ITALIC")
#pragma push_macro("STBTT_MACSTYLE_NONE")
#pragma push_macro("STBTT_MACSTYLE_UNDERSCORE")
#pragma push_macro("STBTT_MAX_OVERSAMPLE")
#pragma push_macro("STBTT_POINT_SIZE")
#pragma push_macro("STBTT_RASTERIZER_VERSION")
#pragma push_macro("STBTT__COMPARE")
#pragma push_macro("STBTT__CSCTX_INIT")
#pragma push_macro("STBTT__CSERR")
#pragma push_macro("STBTT__NOTUSED")
#pragma push_macro("STBTT__OVER_MASK")
#pragma push_macro("STBTT_acos")
#pragma push_macro("STBTT_assert")
#pragma push_macro("STBTT_cos")
#pragma push_macro("STBTT_fabs")
#pragma push_macro("STBTT_fmod")
#pragma push_macro("STBTT_free")
#pragma push_macro("STBTT_iceil")
#pragma push_macro("STBTT_ifloor")
#pragma push_macro("STBTT_malloc")
#pragma push_macro("STBTT_max")
#pragma push_macro("STBTT_memcpy")
#pragma push_macro("STBTT_memset")
#pragma push_macro("STBTT_min")
#pragma push_macro("STBTT_pow")
#pragma push_macro("STBTT_sqrt")
#pragma push_macro("STBTT_strlen")
#pragma push_macro("stbtt__buf_get16")
#pragma push_macro("stbtt__buf_get32")
#pragma push_macro("stbtt_tag")
#pragma push_macro("stbtt_tag4")
#pragma push_macro("stbtt_vertex_type")
#pragma push_macro("ttBYTE")
#pragma push_macro("ttCHAR")
#pragma push_macro("ttFixed")
#pragma push_macro("STBTT_vmove")
#pragma push_macro("stbtt_vertex")

#undef __STB_INCLUDE_STB_TRUETYPE_H__
#undef STB_TRUETYPE_IMPLEMENTATION
#undef STBTT_STATIC
#undef STBTT_DEF
#undef STBTT_FIX
#undef STBTT_FIXMASK
#undef STBTT_FIXSHIFT
#undef STBTT_GPOS_TODO_assert
#undef STBTT_MACSTYLE_BOLD
#undef STBTT_MACSTYLE_DONTCARE
#undef STBTT_MACSTYLE_ITALIC
#undef STBTT_MACSTYLE_NONE
#undef STBTT_MACSTYLE_UNDERSCORE
#undef STBTT_MAX_OVERSAMPLE
#undef STBTT_POINT_SIZE
#undef STBTT_RASTERIZER_VERSION
#undef STBTT__COMPARE
#undef STBTT__CSCTX_INIT
#undef STBTT__CSERR
#undef STBTT__NOTUSED
#undef STBTT__OVER_MASK
#undef STBTT_acos
#undef STBTT_assert
#undef STBTT_cos
#undef STBTT_fabs
#undef STBTT_fmod
#undef STBTT_free
#undef STBTT_iceil
#undef STBTT_ifloor
#undef STBTT_malloc
#undef STBTT_max
#undef STBTT_memcpy
#undef STBTT_memset
#undef STBTT_min
#undef STBTT_pow
#undef STBTT_sqrt
#undef STBTT_strlen
#undef stbtt__buf_get16
#undef stbtt__buf_get32
#undef stbtt_tag
#undef stbtt_tag4
#undef stbtt_vertex_type
#undef ttBYTE
#undef ttCHAR
#undef ttFixed
#undef STBTT_vmove
#undef stbtt_vertex

#define STBTT_STATIC
#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_assert(x) ((void)0)
#define STBTT_malloc(x, u) ((void)(u), ::nnocr::data::detail::stbtt_malloc_capped(x))
#define STBTT_free(x, u) ((void)(u), std::free(x))

NNOCR_STB_DIAGNOSTICS_PUSH
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wunused-variable"
#pragma clang diagnostic ignored "-Wshadow"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wshadow"
#endif

namespace nnocr::data::detail::stbtt {
#include <stb/stb_truetype.h>
}  // namespace nnocr::data::detail::stbtt

NNOCR_STB_DIAGNOSTICS_POP

#undef __STB_INCLUDE_STB_TRUETYPE_H__
#undef STB_TRUETYPE_IMPLEMENTATION
#undef STBTT_STATIC
#undef STBTT_DEF
#undef STBTT_FIX
#undef STBTT_FIXMASK
#undef STBTT_FIXSHIFT
#undef STBTT_GPOS_TODO_assert
#undef STBTT_MACSTYLE_BOLD
#undef STBTT_MACSTYLE_DONTCARE
#undef STBTT_MACSTYLE_ITALIC
#undef STBTT_MACSTYLE_NONE
#undef STBTT_MACSTYLE_UNDERSCORE
#undef STBTT_MAX_OVERSAMPLE
#undef STBTT_POINT_SIZE
#undef STBTT_RASTERIZER_VERSION
#undef STBTT__COMPARE
#undef STBTT__CSCTX_INIT
#undef STBTT__CSERR
#undef STBTT__NOTUSED
#undef STBTT__OVER_MASK
#undef STBTT_acos
#undef STBTT_assert
#undef STBTT_cos
#undef STBTT_fabs
#undef STBTT_fmod
#undef STBTT_free
#undef STBTT_iceil
#undef STBTT_ifloor
#undef STBTT_malloc
#undef STBTT_max
#undef STBTT_memcpy
#undef STBTT_memset
#undef STBTT_min
#undef STBTT_pow
#undef STBTT_sqrt
#undef STBTT_strlen
#undef stbtt__buf_get16
#undef stbtt__buf_get32
#undef stbtt_tag
#undef stbtt_tag4
#undef stbtt_vertex_type
#undef ttBYTE
#undef ttCHAR
#undef ttFixed
#undef STBTT_vmove
#undef stbtt_vertex

#pragma pop_macro("stbtt_vertex")
#pragma pop_macro("STBTT_vmove")
#pragma pop_macro("ttFixed")
#pragma pop_macro("ttCHAR")
#pragma pop_macro("ttBYTE")
#pragma pop_macro("stbtt_vertex_type")
#pragma pop_macro("stbtt_tag4")
#pragma pop_macro("stbtt_tag")
#pragma pop_macro("stbtt__buf_get32")
#pragma pop_macro("stbtt__buf_get16")
#pragma pop_macro("STBTT_strlen")
#pragma pop_macro("STBTT_sqrt")
#pragma pop_macro("STBTT_pow")
#pragma pop_macro("STBTT_min")
#pragma pop_macro("STBTT_memset")
#pragma pop_macro("STBTT_memcpy")
#pragma pop_macro("STBTT_max")
#pragma pop_macro("STBTT_malloc")
#pragma pop_macro("STBTT_ifloor")
#pragma pop_macro("STBTT_iceil")
#pragma pop_macro("STBTT_free")
#pragma pop_macro("STBTT_fmod")
#pragma pop_macro("STBTT_fabs")
#pragma pop_macro("STBTT_cos")
#pragma pop_macro("STBTT_assert")
#pragma pop_macro("STBTT_acos")
#pragma pop_macro("STBTT__OVER_MASK")
#pragma pop_macro("STBTT__NOTUSED")
#pragma pop_macro("STBTT__CSERR")
#pragma pop_macro("STBTT__CSCTX_INIT")
#pragma pop_macro("STBTT__COMPARE")
#pragma pop_macro("STBTT_RASTERIZER_VERSION")
#pragma pop_macro("STBTT_POINT_SIZE")
#pragma pop_macro("STBTT_MAX_OVERSAMPLE")
#pragma pop_macro("STBTT_MACSTYLE_UNDERSCORE")
#pragma pop_macro("STBTT_MACSTYLE_NONE")
#pragma pop_macro("STBTT_MACSTYLE_ITALIC")
#pragma pop_macro("STBTT_MACSTYLE_DONTCARE")
#pragma pop_macro("STBTT_MACSTYLE_BOLD")
#pragma pop_macro("STBTT_GPOS_TODO_assert")
#pragma pop_macro("STBTT_FIXSHIFT")
#pragma pop_macro("STBTT_FIXMASK")
#pragma pop_macro("STBTT_FIX")
#pragma pop_macro("STBTT_DEF")
#pragma pop_macro("STBTT_STATIC")
#pragma pop_macro("STB_TRUETYPE_IMPLEMENTATION")
#pragma pop_macro("__STB_INCLUDE_STB_TRUETYPE_H__")
