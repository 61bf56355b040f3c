// winograd.inl — the transforms of F(2x2, 3x3) (kernels/winograd.hpp), per
// ISA. Tiles are the vector lanes: a row of tiles reads the even and odd
// columns of its four input rows as contiguous arrays, so both transforms
// are plain vector adds and subtracts.

// e[k] = row[2 (k0 + k) - pad] and o[k] = row[2 (k0 + k) + 1 - pad] for
// k < n: the even and odd columns of a padded input row, zero outside
// [0, W); row == nullptr: a row of padding.
NNOCR_SIMD_FN void winograd_split_row(const float* row, index_t W, index_t pad, index_t k0, index_t n, float* e,
                                      float* o) {
  if (!row) {
    for (index_t k = 0; k < n; ++k) e[k] = o[k] = 0.0f;
    return;
  }
  // Columns k whose even and odd inputs both lie in the row: 2 k - pad >= 0
  // and 2 k + 1 - pad <= W - 1.
  const index_t lo = std::clamp<index_t>((pad + 1) / 2 - k0, 0, n);
  const index_t hi = std::clamp<index_t>((W + pad - 2) / 2 + 1 - k0, lo, n);
  auto at = [&](index_t x) { return x >= 0 && x < W ? row[x] : 0.0f; };
  for (index_t k = 0; k < lo; ++k) {
    const index_t x = 2 * (k0 + k) - pad;
    e[k] = at(x);
    o[k] = at(x + 1);
  }
  const float* base = row + 2 * k0 - pad;
  for (index_t k = lo; k < hi; ++k) {
    e[k] = base[2 * k];
    o[k] = base[2 * k + 1];
  }
  for (index_t k = hi; k < n; ++k) {
    const index_t x = 2 * (k0 + k) - pad;
    e[k] = at(x);
    o[k] = at(x + 1);
  }
}

template <bool Partial>
NNOCR_SIMD_INLINE void winograd_input_step(const float* const* e, const float* const* o, index_t t, int count,
                                           float* out, index_t stride) {
  V c[4][4];  // [i][q]: row combination i (B^T d) of column q (e[t], o[t], e[t + 1], o[t + 1])
  for (int q = 0; q < 4; ++q) {
    const float* const* src = (q & 1) ? o : e;
    const index_t at = t + (q >> 1);
    V r[4];
    for (int k = 0; k < 4; ++k) r[k] = Partial ? V::load_partial(src[k] + at, count) : V::loadu(src[k] + at);
    c[0][q] = r[0] - r[2];
    c[1][q] = r[1] + r[2];
    c[2][q] = r[2] - r[1];
    c[3][q] = r[1] - r[3];
  }
  for (int i = 0; i < 4; ++i) {  // (B^T d) B
    const V v[4] = {c[i][0] - c[i][2], c[i][1] + c[i][2], c[i][2] - c[i][1], c[i][1] - c[i][3]};
    for (int j = 0; j < 4; ++j) {
      float* p = out + (4 * i + j) * stride + t;
      if (Partial)
        v[j].store_partial(p, count);
      else
        v[j].storeu(p);
    }
  }
}

// V = B^T d B of tiles t < n of one row of tiles of one channel: e[r] and
// o[r] (r < 4) are the even and odd columns of its four input rows
// (winograd_split_row) from the first tile's, n + 1 of each (tile t reads
// columns t and t + 1 of each); V_xi of tile t goes to out[xi stride + t].
NNOCR_SIMD_FN void winograd_input_tiles(const float* const* e, const float* const* o, index_t n, float* out,
                                        index_t stride) {
  constexpr index_t Wd = V::width;
  index_t t = 0;
  for (; t + Wd <= n; t += Wd) winograd_input_step<false>(e, o, t, Wd, out, stride);
  if (t < n) winograd_input_step<true>(e, o, t, static_cast<int>(n - t), out, stride);
}

template <bool Partial>
NNOCR_SIMD_INLINE void winograd_output_step(const float* m, index_t step, index_t t, int count, V scale, V shift,
                                            bool relu, float* y00, float* y01, float* y10, float* y11) {
  V s[2][4];  // A^T m: along the columns
  for (int j = 0; j < 4; ++j) {
    V mv[4];
    for (int i = 0; i < 4; ++i) {
      const float* p = m + (4 * i + j) * step + t;
      mv[i] = Partial ? V::load_partial(p, count) : V::loadu(p);
    }
    s[0][j] = mv[0] + mv[1] + mv[2];
    s[1][j] = mv[1] - mv[2] - mv[3];
  }
  V y[4] = {s[0][0] + s[0][1] + s[0][2], s[0][1] - s[0][2] - s[0][3], s[1][0] + s[1][1] + s[1][2],
            s[1][1] - s[1][2] - s[1][3]};
  for (int k = 0; k < 4; ++k) {
    y[k] = y[k] * scale + shift;
    if (relu) y[k] = V::max(y[k], V::zero());
  }
  float* dst[4] = {y00 + t, y01 + t, y10 + t, y11 + t};
  for (int k = 0; k < 4; ++k) {
    if (Partial)
      y[k].store_partial(dst[k], count);
    else
      y[k].storeu(dst[k]);
  }
}

// Y = A^T M A of tiles t < n of one output channel: M_xi of tile t at
// m[xi step + t]; the outputs go to rows y0 and y1 (y1 == nullptr: only
// y0), columns 2 t and 2 t + 1, the first `cols` columns (at most 2 n),
// as value * scale + shift, then max(., 0) when relu (a BatchNorm and a
// ReLU after the convolution, as Conv2d's finish). `tmp` holds 4 n floats.
NNOCR_SIMD_FN void winograd_output_tiles(const float* m, index_t step, index_t n, float scale, float shift, bool relu,
                                         float* y0, float* y1, index_t cols, float* tmp) {
  const V a = V::set1(scale), b = V::set1(shift);
  constexpr index_t Wd = V::width;
  float* y00 = tmp;
  float* y01 = tmp + n;
  float* y10 = tmp + 2 * n;
  float* y11 = tmp + 3 * n;
  index_t t = 0;
  for (; t + Wd <= n; t += Wd) winograd_output_step<false>(m, step, t, Wd, a, b, relu, y00, y01, y10, y11);
  if (t < n) winograd_output_step<true>(m, step, t, static_cast<int>(n - t), a, b, relu, y00, y01, y10, y11);
  const index_t pairs = cols / 2;
  for (index_t k = 0; k < pairs; ++k) {
    y0[2 * k] = y00[k];
    y0[2 * k + 1] = y01[k];
  }
  if (cols % 2) y0[cols - 1] = y00[pairs];
  if (y1) {
    for (index_t k = 0; k < pairs; ++k) {
      y1[2 * k] = y10[k];
      y1[2 * k + 1] = y11[k];
    }
    if (cols % 2) y1[cols - 1] = y10[pairs];
  }
}
