// math.inl — vectorised exp, log, tanh and sigmoid, written once against the
// vector type V and compiled per ISA by foreach_isa.hpp (see math.hpp).
//
// Accuracy (tests/test_simd.cpp checks it against std:: on dense grids):
// max relative error below 2e-6 on exp [-87.3, 88.7], log (0, inf),
// tanh (-inf, inf) and sigmoid [-87, inf); NaN in gives NaN out.

// exp(x) = 2^n * e^r with n = round(x / ln 2) and r = x - n ln 2, |r| <= ln2/2.
// ln 2 is split in a high part with few mantissa bits (so n * hi is exact)
// and a low part (Cody & Waite 1980). e^r is its Taylor polynomial to
// degree 7 (truncation error < 6e-9). 2^n is applied in two halves so that
// results that underflow to denormals or overflow to infinity come out right.
NNOCR_SIMD_INLINE V exp(V x) {
  x = V::min(V::set1(89.0f), V::max(V::set1(-104.0f), x));  // NaN passes (second operand)
  const V n = V::round(x * V::set1(1.44269504088896341f));
  V r = V::fma(n, V::set1(-0.693359375f), x);
  r = V::fma(n, V::set1(2.12194440e-4f), r);
  V p = V::set1(1.0f / 5040.0f);
  p = V::fma(p, r, V::set1(1.0f / 720.0f));
  p = V::fma(p, r, V::set1(1.0f / 120.0f));
  p = V::fma(p, r, V::set1(1.0f / 24.0f));
  p = V::fma(p, r, V::set1(1.0f / 6.0f));
  p = V::fma(p, r, V::set1(0.5f));
  p = V::fma(p, r, V::set1(1.0f));
  p = V::fma(p, r, V::set1(1.0f));
  const V n1 = V::round(n * V::set1(0.5f));
  return V::ldexp(V::ldexp(p, n1), n - n1);
}

// log(x) = e ln 2 + log(m) with x = m 2^e, m in [sqrt(1/2), sqrt(2)), and
// log(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m-1)/(m+1), |s| < 0.172.
NNOCR_SIMD_INLINE V log(V x) {
  const auto tiny = V::lt(x, V::set1(1.17549435e-38f));  // denormals: scale up first
  V xs = V::select(tiny, x * V::set1(16777216.0f), x);
  V e;
  V m = V::frexp(xs, e);
  e = V::select(tiny, e - V::set1(24.0f), e);
  const auto low = V::lt(m, V::set1(0.70710678118654752f));
  m = V::select(low, m + m, m);
  e = V::select(low, e - V::set1(1.0f), e);
  const V s = (m - V::set1(1.0f)) / (m + V::set1(1.0f));
  const V s2 = s * s;
  V p = V::set1(1.0f / 13.0f);
  p = V::fma(p, s2, V::set1(1.0f / 11.0f));
  p = V::fma(p, s2, V::set1(1.0f / 9.0f));
  p = V::fma(p, s2, V::set1(1.0f / 7.0f));
  p = V::fma(p, s2, V::set1(1.0f / 5.0f));
  p = V::fma(p, s2, V::set1(1.0f / 3.0f));
  const V two_s = s + s;
  V result = V::fma(two_s * s2, p, two_s);
  result = V::fma(e, V::set1(-2.12194440e-4f), result);  // e * ln2, low part first
  result = V::fma(e, V::set1(0.693359375f), result);
  const V inf = V::set1(__builtin_huge_valf());
  result = V::select(V::lt(x, inf), result, x);           // +inf -> +inf, NaN -> NaN
  result = V::select(V::le(x, V::zero()), -inf, result);  // 0 -> -inf
  return V::select(V::lt(x, V::zero()), V::set1(__builtin_nanf("")), result);
}

// tanh: for |x| < 0.5 its odd Taylor series through x^15 (relative
// truncation error < 1e-8); otherwise 1 - 2 / (e^{2|x|} + 1) with the sign of
// x, where no cancellation can hurt because the result is at least 0.46.
NNOCR_SIMD_INLINE V tanh(V x) {
  const V ax = V::abs(x);
  const V x2 = x * x;
  V p = V::set1(-929569.0f / 638512875.0f);
  p = V::fma(p, x2, V::set1(21844.0f / 6081075.0f));
  p = V::fma(p, x2, V::set1(-1382.0f / 155925.0f));
  p = V::fma(p, x2, V::set1(62.0f / 2835.0f));
  p = V::fma(p, x2, V::set1(-17.0f / 315.0f));
  p = V::fma(p, x2, V::set1(2.0f / 15.0f));
  p = V::fma(p, x2, V::set1(-1.0f / 3.0f));
  const V small = V::fma(x * x2, p, x);
  const V big = V::set1(1.0f) - V::set1(2.0f) / (exp(ax + ax) + V::set1(1.0f));
  return V::select(V::lt(ax, V::set1(0.5f)), small, V::copysign(big, x));
}

// sigmoid(x) = 1 / (1 + e^-x), evaluated with e = e^{-|x|} so nothing
// overflows: s = 1 / (1 + e) for x >= 0 and e * s for x < 0.
NNOCR_SIMD_INLINE V sigmoid(V x) {
  const V e = exp(-V::abs(x));
  const V s = V::set1(1.0f) / (V::set1(1.0f) + e);
  return V::select(V::lt(x, V::zero()), e * s, s);
}
