// winograd.hpp — 3x3 convolution with unit stride by Winograd's minimal
// filtering F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): each 2x2 block of outputs comes from a 4x4 block
// of inputs with 16 multiplications per pair of input and output channels
// instead of 36.
//
//   Y = A^T [ (G g G^T) (.) (B^T d B) ] A      (.) = element-wise product
//
//   B^T = | 1  0 -1  0 |    G = | 1    0    0   |    A^T = | 1  1  1  0 |
//         | 0  1  1  0 |        | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
//         | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
//         | 0  1  0 -1 |        | 0    0    1   |
//
// In one dimension (outputs y0 = d0 g0 + d1 g1 + d2 g2 and y1 = d1 g0 +
// d2 g1 + d3 g2): m0 = (d0 - d2) g0, m1 = (d1 + d2) (g0 + g1 + g2) / 2,
// m2 = (d2 - d1) (g0 - g1 + g2) / 2, m3 = (d1 - d3) g2, then y0 = m0 + m1 +
// m2 and y1 = m1 - m2 - m3. The 2-D form nests it along rows and columns.
//
// Summed over the input channels, the 16 element-wise products of a tile
// become 16 matrix products, one per position xi of the 4x4 transformed
// tile:
//   M_xi [Cout, tiles] = U_xi [Cout, C] * V_xi [C, tiles]
// with U = G g G^T (the weights, transformed once per call) and V = B^T d B
// (the input tiles). The weights are packed once into the GEMM's A panels
// and the input transform writes V straight into its B panels, so the
// micro-kernel (kernels/gemm.hpp, per ISA) runs with no packing at all.
// Against im2col + GEMM (9 C multiply-adds per output and output channel)
// this does 4 C, plus transforms whose cost does not grow with Cout or C
// together: worth it with 8 or more channels on each side.
//
// The values equal the direct convolution up to rounding (the transforms
// add and subtract inputs before the multiplications; tested against a
// double-precision direct convolution), and they do not depend on how the
// output rows are cut into bands as long as bands start on even rows: each
// tile sums its channels in the same order.
#pragma once

#include <algorithm>
#include <cstring>

#include "../core/aligned.hpp"
#include "../core/config.hpp"
#include "../simd/isa.hpp"
#include "conv.hpp"
#include "gemm.hpp"

#define NNOCR_FOREACH_NS kernels
#define NNOCR_FOREACH_INL "../kernels/detail/winograd.inl"
#include "../simd/foreach_isa.hpp"

namespace nnocr::kernels {

// The transforms of one ISA (detail/winograd.inl).
struct WinogradTransforms {
  decltype(&scalar::winograd_split_row) split_row;
  decltype(&scalar::winograd_input_tiles) input_tiles;
  decltype(&scalar::winograd_output_tiles) output_tiles;
};

inline WinogradTransforms winograd_transforms(simd::Isa isa) {
  switch (isa) {
#if NNOCR_ARCH_X86_64
    case simd::Isa::avx512:
      return {&avx512::winograd_split_row, &avx512::winograd_input_tiles, &avx512::winograd_output_tiles};
    case simd::Isa::avx2:
      return {&avx2::winograd_split_row, &avx2::winograd_input_tiles, &avx2::winograd_output_tiles};
#endif
#if NNOCR_ARCH_AARCH64
    case simd::Isa::neon:
      return {&neon::winograd_split_row, &neon::winograd_input_tiles, &neon::winograd_output_tiles};
#endif
    default:
      return {&scalar::winograd_split_row, &scalar::winograd_input_tiles, &scalar::winograd_output_tiles};
  }
}

// Whether a convolution of this geometry (one group) with `out_channels`
// outputs runs as F(2x2, 3x3): a 3x3 kernel, unit stride and dilation, any
// padding, 8 to 512 input channels (at most 512 so that a GEMM's panels
// need no blocking along K) and at least 8 outputs.
inline bool winograd_applies(const Conv2dGeometry& g, index_t out_channels) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 &&
         g.dilation_w == 1 && g.channels >= 8 && g.channels <= 512 && out_channels >= 8;
}

// The transformed weights of a 3x3 convolution, packed for the micro-kernel
// of `arch`: block xi (0..15, xi = 4 i + j) is U_xi [Cout, C] in panels of
// arch.mr rows (kernels::detail::pack_a's layout), rows_padded x C floats.
class WinogradWeights {
 public:
  // w [Cout, C, 3, 3].
  WinogradWeights(const float* w, index_t out_channels, index_t channels, const detail::GemmArch& arch)
      : out_channels_(out_channels), channels_(channels), arch_(&arch) {
    const index_t Cout = out_channels, C = channels;
    rows_padded_ = (Cout + arch.mr - 1) / arch.mr * arch.mr;
    AlignedBuffer<float> u(16 * Cout * C, uninitialized);  // U_xi [Cout, C], row-major
    for (index_t o = 0; o < Cout; ++o)
      for (index_t c = 0; c < C; ++c) {
        const float* g = w + (o * C + c) * 9;
        float gg[4][3];  // G g
        for (int j = 0; j < 3; ++j) {
          gg[0][j] = g[j];
          gg[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
          gg[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
          gg[3][j] = g[6 + j];
        }
        for (int i = 0; i < 4; ++i) {  // (G g) G^T
          const float h0 = gg[i][0], h1 = gg[i][1], h2 = gg[i][2];
          const float row[4] = {h0, 0.5f * (h0 + h1 + h2), 0.5f * (h0 - h1 + h2), h2};
          for (int j = 0; j < 4; ++j) u.data()[((4 * i + j) * Cout + o) * C + c] = row[j];
        }
      }
    packed_.reserve_discard(16 * rows_padded_ * C);
    for (int xi = 0; xi < 16; ++xi)
      detail::pack_a(u.data() + xi * Cout * C, C, false, 0, 0, Cout, C, arch.mr, block_mut(xi));
  }

  index_t out_channels() const { return out_channels_; }
  index_t channels() const { return channels_; }
  const detail::GemmArch& arch() const { return *arch_; }
  const float* block(int xi) const { return packed_.data() + xi * rows_padded_ * channels_; }

 private:
  float* block_mut(int xi) { return packed_.data() + xi * rows_padded_ * channels_; }

  index_t out_channels_, channels_, rows_padded_ = 0;
  const detail::GemmArch* arch_;
  AlignedBuffer<float> packed_;
};

// Tiles transformed and multiplied together: as many as keep V and M (16
// (C + Cout) floats a tile) near 192K floats (768 KiB), a whole number of
// the micro-kernel's panels (at least one).
inline index_t winograd_chunk_tiles(index_t channels, index_t out_channels, int nr) {
  const index_t by_size = 196608 / (16 * (channels + out_channels));
  return std::max<index_t>(1, by_size / nr) * nr;
}

// Scratch floats that winograd_rows needs.
inline index_t winograd_scratch_floats(const Conv2dGeometry& g, index_t out_channels, int nr) {
  const index_t TX = (g.out_width() + 1) / 2;
  return 16 * (g.channels + out_channels) * winograd_chunk_tiles(g.channels, out_channels, nr) + 12 * (TX + 1);
}

// Output rows [oy0, oy1) of the convolution of one image x [C, H, W] (one
// group, geometry g, winograd_applies) with the weights u, written to
// y + o * ldy + (oy - oy0) * Wo + ox for each output channel o as
// value * scale[o] + shift[o], then max(., 0) when relu; oy0 even.
// `scratch` holds winograd_scratch_floats(g, Cout, u.arch().nr) floats.
// The band's tiles (2x2 outputs, ceil((oy1 - oy0) / 2) rows of ceil(Wo / 2))
// go in chunks of columns of at most winograd_chunk_tiles tiles: transform,
// 16 products, inverse transform.
inline void winograd_rows(const Conv2dGeometry& g, const WinogradWeights& u, const float* x, index_t oy0,
                          index_t oy1, const float* scale, const float* shift, bool relu, float* y, index_t ldy,
                          float* scratch) {
  NNOCR_CHECK(oy0 % 2 == 0 && oy1 > oy0 && u.channels() == g.channels, "winograd_rows: rows [", oy0, ", ", oy1,
              ") with ", u.channels(), " weight channels for ", g.channels, " input channels");
  const detail::GemmArch& arch = u.arch();
  const WinogradTransforms tf = winograd_transforms(simd::active_isa());
  const int nr = arch.nr, mr = arch.mr;
  const index_t C = g.channels, Cout = u.out_channels(), H = g.height, W = g.width, Wo = g.out_width();
  const index_t out_rows = oy1 - oy0, TY = (out_rows + 1) / 2, TX = (Wo + 1) / 2;
  const index_t chunk = winograd_chunk_tiles(C, Cout, nr);
  const index_t TXc = std::clamp<index_t>(chunk / TY, 1, TX);  // tile columns per chunk
  float* V = scratch;                // V_xi, panel q: C groups of nr tiles at ((xi panels + q) C) nr
  float* rows = V + 16 * C * chunk;  // even and odd columns of 4 input rows, 8 (TX + 1) floats; 4 TX more
  float* M = rows + 12 * (TX + 1);   // M_xi [Cout, Tp] at xi Cout Tp

  for (index_t tx0 = 0; tx0 < TX; tx0 += TXc) {
    const index_t tx1 = std::min(TX, tx0 + TXc), nx = tx1 - tx0;
    // With very tall bands a chunk can exceed `chunk` tiles; split them by rows of tiles.
    for (index_t ty0 = 0; ty0 < TY; ty0 += std::max<index_t>(1, chunk / nx)) {
      const index_t ty1 = std::min(TY, ty0 + std::max<index_t>(1, chunk / nx)), Tc = (ty1 - ty0) * nx;
      const index_t panels = (Tc + nr - 1) / nr, Tp = panels * nr;

      // Input transform: V = B^T d B for every tile and channel; tile
      // (ty, tx) is number (ty - ty0) nx + (tx - tx0) of the chunk.
      if (Tc < Tp)  // the last panel's unused lanes are zero
        for (int xi = 0; xi < 16; ++xi)
          for (index_t c = 0; c < C; ++c) {
            float* p = V + ((xi * panels + panels - 1) * C + c) * nr;
            std::fill(p + (Tc - (panels - 1) * nr), p + nr, 0.0f);
          }
      for (index_t ty = ty0; ty < ty1; ++ty) {
        const index_t iy0 = oy0 + 2 * ty - g.pad_h;
        float* e[4];
        float* od[4];
        for (int r = 0; r < 4; ++r) {
          e[r] = rows + 2 * r * (nx + 1);
          od[r] = e[r] + (nx + 1);
        }
        const index_t t_row = (ty - ty0) * nx;  // the chunk's number of tile (ty, tx0)
        for (index_t c = 0; c < C; ++c) {
          const float* plane = x + c * H * W;
          for (int r = 0; r < 4; ++r) {
            const index_t iy = iy0 + r;
            tf.split_row(iy >= 0 && iy < H ? plane + iy * W : nullptr, W, g.pad_w, tx0, nx + 1, e[r], od[r]);
          }
          // The row's tiles, one run per panel they fall in.
          for (index_t k = 0; k < nx;) {
            const index_t t = t_row + k, q = t / nr, lane = t % nr, run = std::min<index_t>(nx - k, nr - lane);
            const float* es[4] = {e[0] + k, e[1] + k, e[2] + k, e[3] + k};
            const float* os[4] = {od[0] + k, od[1] + k, od[2] + k, od[3] + k};
            tf.input_tiles(es, os, run, V + (q * C + c) * nr + lane, panels * C * nr);
            k += run;
          }
        }
      }

      // The 16 products M_xi = U_xi V_xi: a weight block stays in cache
      // across the chunk's tile panels, a V panel across the weight panels.
      for (int xi = 0; xi < 16; ++xi) {
        const float* a = u.block(xi);
        for (index_t q = 0; q < panels; ++q) {
          const float* b = V + (xi * panels + q) * C * nr;
          for (index_t ir = 0; ir < Cout; ir += mr) {
            const int m = static_cast<int>(std::min<index_t>(mr, Cout - ir));
            arch.micro(C, a + ir * C, b, nr, M + (xi * Cout + ir) * Tp + q * nr, Tp, m, nr, 1.0f, 0.0f);
          }
        }
      }

      // Output transform: Y = A^T M A for every tile and output channel.
      float* tmp = rows + 8 * (TX + 1);
      for (index_t o = 0; o < Cout; ++o)
        for (index_t ty = ty0; ty < ty1; ++ty) {
          float* y0 = y + o * ldy + 2 * ty * Wo + 2 * tx0;
          float* y1 = 2 * ty + 1 < out_rows ? y0 + Wo : nullptr;
          const float* m = M + o * Tp + (ty - ty0) * nx;
          tf.output_tiles(m, Cout * Tp, nx, scale[o], shift[o], relu, y0, y1, std::min(2 * nx, Wo - 2 * tx0), tmp);
        }
    }
  }
}

}  // namespace nnocr::kernels
