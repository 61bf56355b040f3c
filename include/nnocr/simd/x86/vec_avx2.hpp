// vec_avx2.hpp — 8 floats in a ymm register, AVX2 + FMA.
#pragma once

#include "../../core/config.hpp"

#if NNOCR_ARCH_X86_64
#include <immintrin.h>

#define NNOCR_AVX2_FN NNOCR_TARGET_AVX2 NNOCR_ALWAYS_INLINE

namespace nnocr::simd {

struct VecAvx2 {
  static constexpr int width = 8;
  using Mask = __m256;  // all-ones lanes where true
  __m256 v;

  // Lane mask with the first n (0..8) lanes set, for partial loads/stores.
  NNOCR_AVX2_FN static __m256i prefix_mask(int n) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
  }

  NNOCR_AVX2_FN static VecAvx2 zero() { return {_mm256_setzero_ps()}; }
  NNOCR_AVX2_FN static VecAvx2 set1(float x) { return {_mm256_set1_ps(x)}; }
  NNOCR_AVX2_FN static VecAvx2 load(const float* p) { return {_mm256_load_ps(p)}; }
  NNOCR_AVX2_FN static VecAvx2 loadu(const float* p) { return {_mm256_loadu_ps(p)}; }
  NNOCR_AVX2_FN static VecAvx2 load_partial(const float* p, int n) {
    return {_mm256_maskload_ps(p, prefix_mask(n))};
  }
  NNOCR_AVX2_FN void store(float* p) const { _mm256_store_ps(p, v); }
  NNOCR_AVX2_FN void storeu(float* p) const { _mm256_storeu_ps(p, v); }
  NNOCR_AVX2_FN void store_partial(float* p, int n) const { _mm256_maskstore_ps(p, prefix_mask(n), v); }

  NNOCR_AVX2_FN friend VecAvx2 operator+(VecAvx2 a, VecAvx2 b) { return {_mm256_add_ps(a.v, b.v)}; }
  NNOCR_AVX2_FN friend VecAvx2 operator-(VecAvx2 a, VecAvx2 b) { return {_mm256_sub_ps(a.v, b.v)}; }
  NNOCR_AVX2_FN friend VecAvx2 operator*(VecAvx2 a, VecAvx2 b) { return {_mm256_mul_ps(a.v, b.v)}; }
  NNOCR_AVX2_FN friend VecAvx2 operator/(VecAvx2 a, VecAvx2 b) { return {_mm256_div_ps(a.v, b.v)}; }
  NNOCR_AVX2_FN friend VecAvx2 operator-(VecAvx2 a) { return {_mm256_xor_ps(a.v, _mm256_set1_ps(-0.0f))}; }
  NNOCR_AVX2_FN static VecAvx2 fma(VecAvx2 a, VecAvx2 b, VecAvx2 c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
  NNOCR_AVX2_FN static VecAvx2 min(VecAvx2 a, VecAvx2 b) { return {_mm256_min_ps(a.v, b.v)}; }
  NNOCR_AVX2_FN static VecAvx2 max(VecAvx2 a, VecAvx2 b) { return {_mm256_max_ps(a.v, b.v)}; }
  NNOCR_AVX2_FN static VecAvx2 abs(VecAvx2 a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v)}; }
  NNOCR_AVX2_FN static VecAvx2 sqrt(VecAvx2 a) { return {_mm256_sqrt_ps(a.v)}; }
  NNOCR_AVX2_FN static VecAvx2 round(VecAvx2 a) {
    return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)};
  }
  NNOCR_AVX2_FN static float hsum(VecAvx2 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  NNOCR_AVX2_FN static float hmax(VecAvx2 a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  NNOCR_AVX2_FN static Mask lt(VecAvx2 a, VecAvx2 b) { return _mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ); }
  NNOCR_AVX2_FN static Mask le(VecAvx2 a, VecAvx2 b) { return _mm256_cmp_ps(a.v, b.v, _CMP_LE_OQ); }
  NNOCR_AVX2_FN static VecAvx2 select(Mask m, VecAvx2 a, VecAvx2 b) { return {_mm256_blendv_ps(b.v, a.v, m)}; }
  NNOCR_AVX2_FN static VecAvx2 copysign(VecAvx2 a, VecAvx2 s) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    return {_mm256_or_ps(_mm256_andnot_ps(sign, a.v), _mm256_and_ps(sign, s.v))};
  }
  NNOCR_AVX2_FN static VecAvx2 ldexp(VecAvx2 a, VecAvx2 n) {
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127)), 23);
    return {_mm256_mul_ps(a.v, _mm256_castsi256_ps(e))};
  }
  NNOCR_AVX2_FN static VecAvx2 frexp(VecAvx2 x, VecAvx2& exponent) {
    __m256i bits = _mm256_castps_si256(x.v);
    __m256i e = _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(0xff)),
                                 _mm256_set1_epi32(126));
    exponent.v = _mm256_cvtepi32_ps(e);
    __m256i m = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x807fffff)), _mm256_set1_epi32(0x3f000000));
    return {_mm256_castsi256_ps(m)};
  }
};

}  // namespace nnocr::simd
#endif
