// dispatch.hpp — calls the active ISA's version of a kernel function.
// NNOCR_DISPATCH(f, args...) expands to a switch over simd::active_isa()
// that returns nnocr::kernels::<isa>::f(args...).
#pragma once

#include "../simd/isa.hpp"

#if NNOCR_ARCH_X86_64
#define NNOCR_DISPATCH_CASES_(function, ...)                          \
  case ::nnocr::simd::Isa::avx512:                                    \
    return ::nnocr::kernels::avx512::function(__VA_ARGS__);           \
  case ::nnocr::simd::Isa::avx2:                                      \
    return ::nnocr::kernels::avx2::function(__VA_ARGS__);
#elif NNOCR_ARCH_AARCH64
#define NNOCR_DISPATCH_CASES_(function, ...) \
  case ::nnocr::simd::Isa::neon:             \
    return ::nnocr::kernels::neon::function(__VA_ARGS__);
#else
#define NNOCR_DISPATCH_CASES_(function, ...)
#endif

#define NNOCR_DISPATCH(function, ...)                        \
  switch (::nnocr::simd::active_isa()) {                     \
    NNOCR_DISPATCH_CASES_(function, __VA_ARGS__)             \
    default:                                                 \
      return ::nnocr::kernels::scalar::function(__VA_ARGS__); \
  }
