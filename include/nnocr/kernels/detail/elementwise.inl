// elementwise.inl — array versions of the vector math, per ISA (see
// kernels/elementwise.hpp). Four vectors per iteration hide the latency of
// the polynomial chains; the tail uses masked loads and stores.

template <V (*F)(V)>
NNOCR_SIMD_FN void map_unary(const float* x, float* y, index_t n) {
  constexpr index_t W = V::width;
  index_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    V a = F(V::loadu(x + i));
    V b = F(V::loadu(x + i + W));
    V c = F(V::loadu(x + i + 2 * W));
    V d = F(V::loadu(x + i + 3 * W));
    a.storeu(y + i);
    b.storeu(y + i + W);
    c.storeu(y + i + 2 * W);
    d.storeu(y + i + 3 * W);
  }
  for (; i + W <= n; i += W) F(V::loadu(x + i)).storeu(y + i);
  if (i < n) F(V::load_partial(x + i, static_cast<int>(n - i))).store_partial(y + i, static_cast<int>(n - i));
}

NNOCR_SIMD_FN void exp_array(const float* x, float* y, index_t n) { map_unary<vmath::exp>(x, y, n); }
NNOCR_SIMD_FN void log_array(const float* x, float* y, index_t n) { map_unary<vmath::log>(x, y, n); }
NNOCR_SIMD_FN void tanh_array(const float* x, float* y, index_t n) { map_unary<vmath::tanh>(x, y, n); }
NNOCR_SIMD_FN void sigmoid_array(const float* x, float* y, index_t n) { map_unary<vmath::sigmoid>(x, y, n); }
