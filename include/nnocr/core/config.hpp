// config.hpp — compiler and platform switches shared by every header.
#pragma once

#include <cstddef>

#if defined(__x86_64__) || defined(_M_X64)
#define NNOCR_ARCH_X86_64 1
#else
#define NNOCR_ARCH_X86_64 0
#endif

#if defined(__aarch64__)
#define NNOCR_ARCH_AARCH64 1
#else
#define NNOCR_ARCH_AARCH64 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define NNOCR_ALWAYS_INLINE __attribute__((always_inline)) inline
#define NNOCR_RESTRICT __restrict__
#else
#define NNOCR_ALWAYS_INLINE inline
#define NNOCR_RESTRICT
#endif

// Per-function instruction sets (header-only code cannot use per-file -m
// flags). Every function that uses an ISA's intrinsics carries its macro.
#if NNOCR_ARCH_X86_64
#define NNOCR_TARGET_AVX2 __attribute__((target("avx2,fma,f16c,bmi2")))
#define NNOCR_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,bmi2")))
#endif

// g++ 12 reports false -Wuninitialized / -Wmaybe-uninitialized inside its
// own AVX-512 intrinsics (the _mm512_undefined_ps idiom); code that uses them
// sits between these two macros.
#if defined(__GNUC__) && !defined(__clang__)
#define NNOCR_AVX512_DIAGNOSTICS_PUSH                            \
  _Pragma("GCC diagnostic push")                                 \
  _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")          \
  _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define NNOCR_AVX512_DIAGNOSTICS_POP _Pragma("GCC diagnostic pop")
#else
#define NNOCR_AVX512_DIAGNOSTICS_PUSH
#define NNOCR_AVX512_DIAGNOSTICS_POP
#endif

namespace nnocr {
// Signed index type for sizes, strides and offsets (negative strides and
// differences stay meaningful).
using index_t = std::ptrdiff_t;
}  // namespace nnocr
