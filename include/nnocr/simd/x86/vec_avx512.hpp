// vec_avx512.hpp — 16 floats in a zmm register, AVX-512 F/BW/DQ/VL.
#pragma once

#include <cstdint>

#include "../../core/config.hpp"

#if NNOCR_ARCH_X86_64
#include <immintrin.h>

#define NNOCR_AVX512_FN NNOCR_TARGET_AVX512 NNOCR_ALWAYS_INLINE

NNOCR_AVX512_DIAGNOSTICS_PUSH
namespace nnocr::simd {

struct VecAvx512 {
  static constexpr int width = 16;
  using Mask = __mmask16;
  __m512 v;

  NNOCR_AVX512_FN static __mmask16 prefix_mask(int n) {
    return static_cast<__mmask16>(n >= 16 ? 0xffffu : ((1u << (n > 0 ? n : 0)) - 1u));
  }

  NNOCR_AVX512_FN static VecAvx512 zero() { return {_mm512_setzero_ps()}; }
  NNOCR_AVX512_FN static VecAvx512 set1(float x) { return {_mm512_set1_ps(x)}; }
  NNOCR_AVX512_FN static VecAvx512 load(const float* p) { return {_mm512_load_ps(p)}; }
  NNOCR_AVX512_FN static VecAvx512 loadu(const float* p) { return {_mm512_loadu_ps(p)}; }
  NNOCR_AVX512_FN static VecAvx512 load_partial(const float* p, int n) {
    return {_mm512_maskz_loadu_ps(prefix_mask(n), p)};
  }
  NNOCR_AVX512_FN void store(float* p) const { _mm512_store_ps(p, v); }
  NNOCR_AVX512_FN void storeu(float* p) const { _mm512_storeu_ps(p, v); }
  NNOCR_AVX512_FN void store_partial(float* p, int n) const { _mm512_mask_storeu_ps(p, prefix_mask(n), v); }

  NNOCR_AVX512_FN friend VecAvx512 operator+(VecAvx512 a, VecAvx512 b) { return {_mm512_add_ps(a.v, b.v)}; }
  NNOCR_AVX512_FN friend VecAvx512 operator-(VecAvx512 a, VecAvx512 b) { return {_mm512_sub_ps(a.v, b.v)}; }
  NNOCR_AVX512_FN friend VecAvx512 operator*(VecAvx512 a, VecAvx512 b) { return {_mm512_mul_ps(a.v, b.v)}; }
  NNOCR_AVX512_FN friend VecAvx512 operator/(VecAvx512 a, VecAvx512 b) { return {_mm512_div_ps(a.v, b.v)}; }
  NNOCR_AVX512_FN friend VecAvx512 operator-(VecAvx512 a) {
    return {_mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a.v), _mm512_set1_epi32(INT32_MIN)))};
  }
  NNOCR_AVX512_FN static VecAvx512 fma(VecAvx512 a, VecAvx512 b, VecAvx512 c) {
    return {_mm512_fmadd_ps(a.v, b.v, c.v)};
  }
  NNOCR_AVX512_FN static VecAvx512 min(VecAvx512 a, VecAvx512 b) { return {_mm512_min_ps(a.v, b.v)}; }
  NNOCR_AVX512_FN static VecAvx512 max(VecAvx512 a, VecAvx512 b) { return {_mm512_max_ps(a.v, b.v)}; }
  NNOCR_AVX512_FN static VecAvx512 abs(VecAvx512 a) { return {_mm512_abs_ps(a.v)}; }
  NNOCR_AVX512_FN static VecAvx512 sqrt(VecAvx512 a) { return {_mm512_sqrt_ps(a.v)}; }
  NNOCR_AVX512_FN static VecAvx512 round(VecAvx512 a) {
    return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)};
  }
  NNOCR_AVX512_FN static float hsum(VecAvx512 a) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a.v),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a.v), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  NNOCR_AVX512_FN static float hmax(VecAvx512 a) { return _mm512_reduce_max_ps(a.v); }

  NNOCR_AVX512_FN static Mask lt(VecAvx512 a, VecAvx512 b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ); }
  NNOCR_AVX512_FN static Mask le(VecAvx512 a, VecAvx512 b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_LE_OQ); }
  NNOCR_AVX512_FN static VecAvx512 select(Mask m, VecAvx512 a, VecAvx512 b) {
    return {_mm512_mask_blend_ps(m, b.v, a.v)};
  }
  NNOCR_AVX512_FN static VecAvx512 copysign(VecAvx512 a, VecAvx512 s) {
    const __m512i sign = _mm512_set1_epi32(INT32_MIN);
    // (a & ~sign) | (s & sign) in one ternary-logic instruction.
    return {_mm512_castsi512_ps(
        _mm512_ternarylogic_epi32(sign, _mm512_castps_si512(a.v), _mm512_castps_si512(s.v), 0xac))};
  }
  NNOCR_AVX512_FN static VecAvx512 ldexp(VecAvx512 a, VecAvx512 n) { return {_mm512_scalef_ps(a.v, n.v)}; }
  NNOCR_AVX512_FN static VecAvx512 frexp(VecAvx512 x, VecAvx512& exponent) {
    exponent.v = _mm512_add_ps(_mm512_getexp_ps(x.v), _mm512_set1_ps(1.0f));
    return {_mm512_getmant_ps(x.v, _MM_MANT_NORM_p5_1, _MM_MANT_SIGN_src)};
  }
};

}  // namespace nnocr::simd
NNOCR_AVX512_DIAGNOSTICS_POP
#endif
