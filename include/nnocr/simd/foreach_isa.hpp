// foreach_isa.hpp — compiles one body of SIMD code once per ISA.
//
// Header-only code cannot give a file its own -mavx512f, and a template
// cannot carry a target attribute that depends on its argument. So code that
// is the same for every ISA but for its vector type is written once, in an
// .inl file, against `V` (the vector type), `vmath` (that ISA's vector math)
// and two macros:
//   NNOCR_SIMD_INLINE  small helpers: always inlined, compiled for the ISA
//   NNOCR_SIMD_FN      kernel entry points: compiled for the ISA
// and this header includes it once inside each namespace
// nnocr::NNOCR_FOREACH_NS::{scalar, avx2, avx512, neon} that the target
// architecture has. Usage (no include guard here, on purpose):
//   #define NNOCR_FOREACH_NS kernels
//   #define NNOCR_FOREACH_INL "detail/elementwise.inl"
//   #include "../simd/foreach_isa.hpp"
// Highway's foreach_target.h works the same way.

#include "../core/config.hpp"
#include "vec_scalar.hpp"
#include "x86/vec_avx2.hpp"
#include "x86/vec_avx512.hpp"
#include "arm/vec_neon.hpp"

namespace nnocr::simd::scalar {}
namespace nnocr::simd::avx2 {}
namespace nnocr::simd::avx512 {}
namespace nnocr::simd::neon {}

namespace nnocr::NNOCR_FOREACH_NS::scalar {
using V = ::nnocr::simd::VecScalar;
namespace vmath = ::nnocr::simd::scalar;
#define NNOCR_SIMD_INLINE NNOCR_ALWAYS_INLINE
#define NNOCR_SIMD_FN inline
#include NNOCR_FOREACH_INL
#undef NNOCR_SIMD_INLINE
#undef NNOCR_SIMD_FN
}  // namespace nnocr::NNOCR_FOREACH_NS::scalar

#if NNOCR_ARCH_X86_64
namespace nnocr::NNOCR_FOREACH_NS::avx2 {
using V = ::nnocr::simd::VecAvx2;
namespace vmath = ::nnocr::simd::avx2;
#define NNOCR_SIMD_INLINE NNOCR_TARGET_AVX2 NNOCR_ALWAYS_INLINE
#define NNOCR_SIMD_FN NNOCR_TARGET_AVX2 inline
#include NNOCR_FOREACH_INL
#undef NNOCR_SIMD_INLINE
#undef NNOCR_SIMD_FN
}  // namespace nnocr::NNOCR_FOREACH_NS::avx2

NNOCR_AVX512_DIAGNOSTICS_PUSH
namespace nnocr::NNOCR_FOREACH_NS::avx512 {
using V = ::nnocr::simd::VecAvx512;
namespace vmath = ::nnocr::simd::avx512;
#define NNOCR_SIMD_INLINE NNOCR_TARGET_AVX512 NNOCR_ALWAYS_INLINE
#define NNOCR_SIMD_FN NNOCR_TARGET_AVX512 inline
#include NNOCR_FOREACH_INL
#undef NNOCR_SIMD_INLINE
#undef NNOCR_SIMD_FN
}  // namespace nnocr::NNOCR_FOREACH_NS::avx512
NNOCR_AVX512_DIAGNOSTICS_POP
#endif

#if NNOCR_ARCH_AARCH64
namespace nnocr::NNOCR_FOREACH_NS::neon {
using V = ::nnocr::simd::VecNeon;
namespace vmath = ::nnocr::simd::neon;
#define NNOCR_SIMD_INLINE NNOCR_ALWAYS_INLINE
#define NNOCR_SIMD_FN inline
#include NNOCR_FOREACH_INL
#undef NNOCR_SIMD_INLINE
#undef NNOCR_SIMD_FN
}  // namespace nnocr::NNOCR_FOREACH_NS::neon
#endif

#undef NNOCR_FOREACH_NS
#undef NNOCR_FOREACH_INL
