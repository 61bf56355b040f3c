// vec_neon.hpp — 4 floats in a q register, AArch64 Advanced SIMD (NEON).
// NEON is part of every AArch64 CPU, so no target attribute is needed.
#pragma once

#include "../../core/config.hpp"

#if NNOCR_ARCH_AARCH64
#include <arm_neon.h>

#include <cstddef>
#include <cstring>

namespace nnocr::simd {

struct VecNeon {
  static constexpr int width = 4;
  using Mask = uint32x4_t;
  float32x4_t v;

  static VecNeon zero() { return {vdupq_n_f32(0.0f)}; }
  static VecNeon set1(float x) { return {vdupq_n_f32(x)}; }
  static VecNeon load(const float* p) { return {vld1q_f32(p)}; }
  static VecNeon loadu(const float* p) { return {vld1q_f32(p)}; }
  // The first n (0..4) lanes; the rest are zero. Never reads past p + n.
  static VecNeon load_partial(const float* p, int n) {
    float tmp[4] = {0, 0, 0, 0};
    std::memcpy(tmp, p, sizeof(float) * static_cast<std::size_t>(n < 0 ? 0 : n > 4 ? 4 : n));
    return {vld1q_f32(tmp)};
  }
  void store(float* p) const { vst1q_f32(p, v); }
  void storeu(float* p) const { vst1q_f32(p, v); }
  void store_partial(float* p, int n) const {
    float tmp[4];
    vst1q_f32(tmp, v);
    std::memcpy(p, tmp, sizeof(float) * static_cast<std::size_t>(n < 0 ? 0 : n > 4 ? 4 : n));
  }

  friend VecNeon operator+(VecNeon a, VecNeon b) { return {vaddq_f32(a.v, b.v)}; }
  friend VecNeon operator-(VecNeon a, VecNeon b) { return {vsubq_f32(a.v, b.v)}; }
  friend VecNeon operator*(VecNeon a, VecNeon b) { return {vmulq_f32(a.v, b.v)}; }
  friend VecNeon operator/(VecNeon a, VecNeon b) { return {vdivq_f32(a.v, b.v)}; }
  friend VecNeon operator-(VecNeon a) { return {vnegq_f32(a.v)}; }
  static VecNeon fma(VecNeon a, VecNeon b, VecNeon c) { return {vfmaq_f32(c.v, a.v, b.v)}; }
  static VecNeon min(VecNeon a, VecNeon b) { return {vminq_f32(a.v, b.v)}; }
  static VecNeon max(VecNeon a, VecNeon b) { return {vmaxq_f32(a.v, b.v)}; }
  static VecNeon abs(VecNeon a) { return {vabsq_f32(a.v)}; }
  static VecNeon sqrt(VecNeon a) { return {vsqrtq_f32(a.v)}; }
  static VecNeon round(VecNeon a) { return {vrndnq_f32(a.v)}; }
  static float hsum(VecNeon a) { return vaddvq_f32(a.v); }
  static float hmax(VecNeon a) { return vmaxvq_f32(a.v); }

  static Mask lt(VecNeon a, VecNeon b) { return vcltq_f32(a.v, b.v); }
  static Mask le(VecNeon a, VecNeon b) { return vcleq_f32(a.v, b.v); }
  static VecNeon select(Mask m, VecNeon a, VecNeon b) { return {vbslq_f32(m, a.v, b.v)}; }
  static VecNeon copysign(VecNeon a, VecNeon s) {
    return {vbslq_f32(vdupq_n_u32(0x80000000u), s.v, a.v)};
  }
  static VecNeon ldexp(VecNeon a, VecNeon n) {
    int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n.v), vdupq_n_s32(127)), 23);
    return {vmulq_f32(a.v, vreinterpretq_f32_s32(e))};
  }
  static VecNeon frexp(VecNeon x, VecNeon& exponent) {
    uint32x4_t bits = vreinterpretq_u32_f32(x.v);
    int32x4_t e = vsubq_s32(vreinterpretq_s32_u32(vandq_u32(vshrq_n_u32(bits, 23), vdupq_n_u32(0xff))),
                            vdupq_n_s32(126));
    exponent.v = vcvtq_f32_s32(e);
    uint32x4_t m = vorrq_u32(vandq_u32(bits, vdupq_n_u32(0x807fffffu)), vdupq_n_u32(0x3f000000u));
    return {vreinterpretq_f32_u32(m)};
  }
};

}  // namespace nnocr::simd
#endif
