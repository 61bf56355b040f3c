// ctc.inl — the CTC loss's hot loops, per ISA (see kernels/ctc.hpp for the
// contract and the layout, train/ctc.hpp for the math).

// exp and log of a vector; the one-lane scalar path calls the C library,
// which is faster there than the polynomial written for wide vectors.
template <class Vec>
NNOCR_SIMD_INLINE Vec ctc_exp(Vec x) {
  if constexpr (Vec::width == 1)
    return Vec{std::exp(x.v)};
  else
    return vmath::exp(x);
}
template <class Vec>
NNOCR_SIMD_INLINE Vec ctc_log(Vec x) {
  if constexpr (Vec::width == 1)
    return Vec{std::log(x.v)};
  else
    return vmath::log(x);
}

// Softmax statistics of one row x[0, n): returns lse = log sum_i e^{x_i}
// (so log_softmax(x)_i = x_i - lse) and, when prob is not null, writes
// prob[i] = scale * e^{x_i - lse}.
NNOCR_SIMD_FN float ctc_softmax_row(const float* x, index_t n, float* prob, float scale) {
  constexpr index_t W = V::width;
  alignas(64) static const float lane[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const V neg_inf = V::set1(-__builtin_huge_valf());
  const index_t full = n / W * W;
  const int rest = static_cast<int>(n - full);
  // The partial last vector with -inf in its missing lanes (exp gives 0 there).
  const V tail = rest ? V::select(V::lt(V::loadu(lane), V::set1(static_cast<float>(rest))),
                                  V::load_partial(x + full, rest), neg_inf)
                      : neg_inf;
  V vm = tail;
  for (index_t i = 0; i < full; i += W) vm = V::max(vm, V::loadu(x + i));
  const float m = V::hmax(vm);
  const V vmax = V::set1(m);
  V vs = V::zero();
  for (index_t i = 0; i < full; i += W) {
    const V e = ctc_exp(V::loadu(x + i) - vmax);
    vs = vs + e;
    if (prob) e.storeu(prob + i);
  }
  if (rest) {
    const V e = ctc_exp(tail - vmax);
    vs = vs + e;
    if (prob) e.store_partial(prob + full, rest);
  }
  const float sum = V::hsum(vs);
  const float lse = m + static_cast<float>(std::log(static_cast<double>(sum)));
  if (prob) {
    const V inv = V::set1(scale / sum);
    for (index_t i = 0; i < full; i += W) (V::loadu(prob + i) * inv).storeu(prob + i);
    if (rest) (V::load_partial(prob + full, rest) * inv).store_partial(prob + full, rest);
  }
  return lse;
}

// The forward-backward recursion in log space with per-frame
// renormalisation. Forward (alpha) runs t = 0 .. T-1 and reads cells s,
// s-1, s-2 of the previous frame; backward (beta) runs t = T-1 .. 0 and
// reads s, s+1, s+2 of the next frame. The two-step move into s is allowed
// where skip[D + s] is 0 and forbidden where it is -inf. Each stored row is
// shifted by a constant m_t and offset[t] is the sum of the shifts so far:
// the true value is out[t, s] + offset[t].

// Writes -inf where a frame's neighbours read past its cells, and over the
// first frame, then places the start cells; returns the first frame's max.
template <bool Forward>
NNOCR_SIMD_INLINE float ctc_first_frame(const float* lpl, index_t T, index_t S, index_t S_end, index_t row,
                                        float* out, double* offset) {
  constexpr index_t D = 16;
  const float inf = __builtin_huge_valf();
  for (index_t t = 0; t < T; ++t) {
    float* r = out + t * row + D;
    r[-2] = r[-1] = r[S_end] = r[S_end + 1] = -inf;
  }
  const index_t first = Forward ? 0 : T - 1;
  const float* lp = lpl + first * row + D;
  float* cur = out + first * row + D;
  for (index_t s = 0; s < S_end; ++s) cur[s] = -inf;
  const index_t a = Forward ? 0 : S - 1, b = Forward ? 1 : S - 2;
  cur[a] = lp[a];
  float m = cur[a];
  if (S > 1) {
    cur[b] = lp[b];
    m = std::max(m, cur[b]);
  }
  if (m > -inf)
    for (index_t s = 0; s < S; ++s) cur[s] -= m;
  offset[first] = m;
  return m;
}

// One frame: cur[s] = lp[s] + LSE(prev[s], prev[s -+ 1], prev[s -+ 2] + skip[s]) - c
// with c the previous row's maximum, which is returned (-inf: no cell of the
// previous row is alive). Shifting by the previous row's maximum rather
// than this row's keeps the reduction off the chain of dependent frames:
// it runs while this frame's exp and log do. The stored rows still stay
// near 0: a row's maximum is at most log 3 plus one frame's log-probability
// away from 0.
template <bool Forward>
NNOCR_SIMD_INLINE float ctc_frame(const float* prev, const float* lp, const float* skip, float* cur, index_t S_end) {
  constexpr index_t W = V::width;
  constexpr index_t step = Forward ? 1 : -1;
  const V neg_inf = V::set1(-__builtin_huge_valf());
  V vmax = neg_inf;
  for (index_t s = 0; s < S_end; s += W) vmax = V::max(vmax, V::loadu(prev + s));
  const float c = V::hmax(vmax);
  if (!(c > -__builtin_huge_valf())) return c;
  const V vc = V::set1(c);
  for (index_t s = 0; s < S_end; s += W) {
    const V p0 = V::loadu(prev + s);
    const V p1 = V::loadu(prev + s - step);
    const V p2 = V::loadu(prev + s - 2 * step) + V::loadu(skip + s);
    const V mp = V::max(p0, V::max(p1, p2));
    const auto dead = V::le(mp, neg_inf);
    const V ms = V::select(dead, V::zero(), mp);
    const V sum = ctc_exp(p0 - ms) + ctc_exp(p1 - ms) + ctc_exp(p2 - ms);
    V::select(dead, neg_inf, V::loadu(lp + s) + (ms - vc) + ctc_log(sum)).storeu(cur + s);
  }
  return c;
}

// Alpha only (the loss without its gradient). Returns false when some
// frame has no live cell (no path at all).
NNOCR_SIMD_FN bool ctc_alpha(const float* lpl, const float* skip, index_t T, index_t S, index_t row, float* out,
                             double* offset) {
  constexpr index_t D = 16;
  const index_t S_end = (S + V::width - 1) / V::width * V::width;
  if (!(ctc_first_frame<true>(lpl, T, S, S_end, row, out, offset) > -__builtin_huge_valf())) return false;
  for (index_t t = 1; t < T; ++t) {
    const float m = ctc_frame<true>(out + (t - 1) * row + D, lpl + t * row + D, skip + D, out + t * row + D, S_end);
    if (!(m > -__builtin_huge_valf())) return false;
    offset[t] = offset[t - 1] + static_cast<double>(m);
  }
  return true;
}

// Alpha of two items side by side (the loss without its gradient), for the
// same reason as ctc_alpha_beta. Returns bit 0 set when item a has a live
// path through all its frames, bit 1 for item b.
NNOCR_SIMD_FN unsigned ctc_alpha_pair(const float* lpl_a, const float* skip_a, index_t T_a, index_t S_a, index_t row_a,
                                      float* out_a, double* offset_a, const float* lpl_b, const float* skip_b,
                                      index_t T_b, index_t S_b, index_t row_b, float* out_b, double* offset_b) {
  constexpr index_t D = 16;
  const float inf = __builtin_huge_valf();
  const index_t end_a = (S_a + V::width - 1) / V::width * V::width, end_b = (S_b + V::width - 1) / V::width * V::width;
  bool live_a = ctc_first_frame<true>(lpl_a, T_a, S_a, end_a, row_a, out_a, offset_a) > -inf;
  bool live_b = ctc_first_frame<true>(lpl_b, T_b, S_b, end_b, row_b, out_b, offset_b) > -inf;
  const index_t T = std::max(T_a, T_b);
  for (index_t t = 1; t < T && (live_a || live_b); ++t) {
    if (live_a && t < T_a) {
      const float m = ctc_frame<true>(out_a + (t - 1) * row_a + D, lpl_a + t * row_a + D, skip_a + D,
                                      out_a + t * row_a + D, end_a);
      live_a = m > -inf;
      offset_a[t] = offset_a[t - 1] + static_cast<double>(m);
    }
    if (live_b && t < T_b) {
      const float m = ctc_frame<true>(out_b + (t - 1) * row_b + D, lpl_b + t * row_b + D, skip_b + D,
                                      out_b + t * row_b + D, end_b);
      live_b = m > -inf;
      offset_b[t] = offset_b[t - 1] + static_cast<double>(m);
    }
  }
  return (live_a ? 1u : 0u) | (live_b ? 2u : 0u);
}

// Alpha and beta together: the two recursions are independent, so running
// frame k of one next to frame T-1-k of the other lets the CPU overlap
// their latency chains (each frame waits for the previous one's exp/log).
NNOCR_SIMD_FN bool ctc_alpha_beta(const float* lpl, const float* skip_forward, const float* skip_backward, index_t T,
                                  index_t S, index_t row, float* alpha, double* alpha_offset, float* beta,
                                  double* beta_offset) {
  constexpr index_t D = 16;
  const float inf = __builtin_huge_valf();
  const index_t S_end = (S + V::width - 1) / V::width * V::width;
  const float ma = ctc_first_frame<true>(lpl, T, S, S_end, row, alpha, alpha_offset);
  const float mb = ctc_first_frame<false>(lpl, T, S, S_end, row, beta, beta_offset);
  if (!(ma > -inf) || !(mb > -inf)) return false;
  for (index_t k = 1; k < T; ++k) {
    const index_t ta = k, tb = T - 1 - k;
    const float a = ctc_frame<true>(alpha + (ta - 1) * row + D, lpl + ta * row + D, skip_forward + D,
                                    alpha + ta * row + D, S_end);
    const float b = ctc_frame<false>(beta + (tb + 1) * row + D, lpl + tb * row + D, skip_backward + D,
                                     beta + tb * row + D, S_end);
    if (!(a > -inf) || !(b > -inf)) return false;
    alpha_offset[ta] = alpha_offset[ta - 1] + static_cast<double>(a);
    beta_offset[tb] = beta_offset[tb + 1] + static_cast<double>(b);
  }
  return true;
}

// Posterior occupancy of each cell: post[t, s] =
// exp(alpha[t, s] + beta[t, s] - lpl[t, s] - log p), where alpha and beta
// are the renormalised rows plus their offsets. Cells whose log-probability
// is -inf get 0.
NNOCR_SIMD_FN void ctc_occupancy(const float* alpha, const double* alpha_offset, const float* beta,
                                 const double* beta_offset, const float* lpl, double log_p, index_t T, index_t S,
                                 index_t row, float* post) {
  constexpr index_t W = V::width;
  constexpr index_t D = 16;
  const V neg_inf = V::set1(-__builtin_huge_valf());
  const index_t S_end = (S + W - 1) / W * W;
  for (index_t t = 0; t < T; ++t) {
    const V k = V::set1(static_cast<float>(alpha_offset[t] + beta_offset[t] - log_p));
    const float* a = alpha + t * row + D;
    const float* b = beta + t * row + D;
    const float* lp = lpl + t * row + D;
    float* o = post + t * row + D;
    for (index_t s = 0; s < S_end; s += W) {
      const V l = V::loadu(lp + s);
      const V g = ctc_exp(V::loadu(a + s) + V::loadu(b + s) - l + k);
      V::select(V::le(l, neg_inf), V::zero(), g).storeu(o + s);
    }
  }
}
