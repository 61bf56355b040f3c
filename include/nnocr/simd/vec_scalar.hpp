// vec_scalar.hpp — the one-lane "vector": the reference the SIMD types copy.
// Kernels written against the vector interface (see simd.hpp) compile with
// this type into the portable scalar path.
#pragma once

#include <cmath>
#include <cstring>

#include "../core/config.hpp"

namespace nnocr::simd {

struct VecScalar {
  static constexpr int width = 1;
  using Mask = bool;
  float v;

  static VecScalar zero() { return {0.0f}; }
  static VecScalar set1(float x) { return {x}; }
  static VecScalar load(const float* p) { return {*p}; }
  static VecScalar loadu(const float* p) { return {*p}; }
  static VecScalar load_partial(const float* p, int n) { return {n > 0 ? *p : 0.0f}; }
  void store(float* p) const { *p = v; }
  void storeu(float* p) const { *p = v; }
  void store_partial(float* p, int n) const {
    if (n > 0) *p = v;
  }

  friend VecScalar operator+(VecScalar a, VecScalar b) { return {a.v + b.v}; }
  friend VecScalar operator-(VecScalar a, VecScalar b) { return {a.v - b.v}; }
  friend VecScalar operator*(VecScalar a, VecScalar b) { return {a.v * b.v}; }
  friend VecScalar operator/(VecScalar a, VecScalar b) { return {a.v / b.v}; }
  friend VecScalar operator-(VecScalar a) { return {-a.v}; }
  // a * b + c, fused (one rounding) like the SIMD FMAs.
  static VecScalar fma(VecScalar a, VecScalar b, VecScalar c) { return {std::fma(a.v, b.v, c.v)}; }
  // The x86 MINPS/MAXPS rule: when either is NaN the second operand wins.
  static VecScalar min(VecScalar a, VecScalar b) { return {a.v < b.v ? a.v : b.v}; }
  static VecScalar max(VecScalar a, VecScalar b) { return {a.v > b.v ? a.v : b.v}; }
  static VecScalar abs(VecScalar a) { return {std::fabs(a.v)}; }
  static VecScalar sqrt(VecScalar a) { return {std::sqrt(a.v)}; }
  // Round to nearest integer, ties to even.
  static VecScalar round(VecScalar a) { return {std::nearbyint(a.v)}; }
  static float hsum(VecScalar a) { return a.v; }
  static float hmax(VecScalar a) { return a.v; }

  static Mask lt(VecScalar a, VecScalar b) { return a.v < b.v; }
  static Mask le(VecScalar a, VecScalar b) { return a.v <= b.v; }
  static VecScalar select(Mask m, VecScalar a, VecScalar b) { return m ? a : b; }
  // Copies the sign of s onto the magnitude of a.
  static VecScalar copysign(VecScalar a, VecScalar s) { return {std::copysign(a.v, s.v)}; }
  // a * 2^n for integral n in [-126, 127].
  static VecScalar ldexp(VecScalar a, VecScalar n) {
    if (std::isnan(n.v)) return n;  // NaN in, NaN out (a float-to-int cast of NaN is undefined)
    return {std::ldexp(a.v, static_cast<int>(std::fmax(-1000.0f, std::fmin(1000.0f, n.v))))};
  }
  // Mantissa in [0.5, 1) and exponent (as float) of a positive normal x.
  static VecScalar frexp(VecScalar x, VecScalar& exponent) {
    int e = 0;
    float m = std::frexp(x.v, &e);
    exponent.v = static_cast<float>(e);
    return {m};
  }
};

}  // namespace nnocr::simd
