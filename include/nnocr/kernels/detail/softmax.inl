// softmax.inl — row softmax and its backward, per ISA (see
// kernels/softmax.hpp). Rows are processed whole vectors at a time; the
// last partial vector is loaded with a lane mask and its missing lanes act
// as -inf (forward) or 0 (backward).

// 0, 1, 2, ... : lane numbers, to build the mask of a partial vector.
alignas(64) inline constexpr float kSoftmaxLane[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

NNOCR_SIMD_FN void softmax_rows(float* x, index_t rows, index_t n, index_t ld) {
  constexpr index_t W = V::width;
  const index_t full = n / W * W;
  const int rem = static_cast<int>(n - full);
  const V neg_inf = V::set1(-std::numeric_limits<float>::infinity());
  const auto tail = V::lt(V::loadu(kSoftmaxLane), V::set1(static_cast<float>(rem)));
  for (index_t r = 0; r < rows; ++r) {
    float* p = x + r * ld;
    V m = neg_inf;
    for (index_t i = 0; i < full; i += W) m = V::max(V::loadu(p + i), m);
    if (rem) m = V::max(V::select(tail, V::load_partial(p + full, rem), neg_inf), m);
    const float mx = V::hmax(m);
    if (!(mx > -std::numeric_limits<float>::infinity())) {  // every entry masked (or NaN)
      for (index_t i = 0; i < n; ++i) p[i] = 0.0f;
      continue;
    }
    const V vm = V::set1(mx);
    V s = V::zero();
    for (index_t i = 0; i < full; i += W) {
      const V e = vmath::exp(V::loadu(p + i) - vm);
      e.storeu(p + i);
      s = s + e;
    }
    if (rem) {
      const V e = V::select(tail, vmath::exp(V::load_partial(p + full, rem) - vm), V::zero());
      e.store_partial(p + full, rem);
      s = s + e;
    }
    const V inv = V::set1(1.0f / V::hsum(s));
    for (index_t i = 0; i < full; i += W) (V::loadu(p + i) * inv).storeu(p + i);
    if (rem) (V::load_partial(p + full, rem) * inv).store_partial(p + full, rem);
  }
}

NNOCR_SIMD_FN void softmax_rows_backward(const float* y, float* g, index_t rows, index_t n, index_t ld) {
  constexpr index_t W = V::width;
  const index_t full = n / W * W;
  const int rem = static_cast<int>(n - full);
  for (index_t r = 0; r < rows; ++r) {
    const float* p = y + r * ld;
    float* d = g + r * ld;
    V acc = V::zero();
    for (index_t i = 0; i < full; i += W) acc = V::fma(V::loadu(p + i), V::loadu(d + i), acc);
    if (rem) acc = V::fma(V::load_partial(p + full, rem), V::load_partial(d + full, rem), acc);
    const V dot = V::set1(V::hsum(acc));
    for (index_t i = 0; i < full; i += W) (V::loadu(p + i) * (V::loadu(d + i) - dot)).storeu(d + i);
    if (rem)
      (V::load_partial(p + full, rem) * (V::load_partial(d + full, rem) - dot)).store_partial(d + full, rem);
  }
}
