// optim.inl — the Adam / AdamW update of one parameter tensor, per ISA (see
// kernels/optim.hpp). Whole vectors, then one masked partial vector. Every
// operation is an IEEE multiply, add, divide or square root; a compiler may
// fuse a multiply and an add where the ISA has FMA, so ISAs agree to
// rounding.

struct AdamLanes {
  V shrink, l2, b1, b2, one_b1, one_b2, step, c2, eps;
};

// One vector of the update: w, m, v in place.
NNOCR_SIMD_INLINE void adam_lanes(const AdamLanes& k, V& w, V grad, V& m, V& v) {
  w = w * k.shrink;
  const V g = grad + k.l2 * w;
  m = k.b1 * m + k.one_b1 * g;
  v = k.b2 * v + k.one_b2 * g * g;
  w = w - k.step * m / (V::sqrt(v) / k.c2 + k.eps);
}

NNOCR_SIMD_FN void adam_update(float* w, const float* grad, float* m, float* v, index_t n, const AdamStep& s) {
  constexpr index_t W = V::width;
  const AdamLanes k{V::set1(s.shrink),          V::set1(s.l2),        V::set1(s.beta1),
                    V::set1(s.beta2),           V::set1(1.0f - s.beta1), V::set1(1.0f - s.beta2),
                    V::set1(s.step_size),       V::set1(s.bias_correction2), V::set1(s.eps)};
  index_t i = 0;
  for (; i + W <= n; i += W) {
    V wi = V::loadu(w + i), mi = V::loadu(m + i), vi = V::loadu(v + i);
    adam_lanes(k, wi, V::loadu(grad + i), mi, vi);
    wi.storeu(w + i);
    mi.storeu(m + i);
    vi.storeu(v + i);
  }
  if (i < n) {
    const int r = static_cast<int>(n - i);
    V wi = V::load_partial(w + i, r), mi = V::load_partial(m + i, r), vi = V::load_partial(v + i, r);
    adam_lanes(k, wi, V::load_partial(grad + i, r), mi, vi);
    wi.store_partial(w + i, r);
    mi.store_partial(m + i, r);
    vi.store_partial(v + i, r);
  }
}
