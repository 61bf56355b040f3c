// tensors_and_gemm — the numeric core in one page: tensors and views,
// seeded initialisation, the ISA in use, and a matrix multiply checked by
// hand.
#include <nnocr/nnocr.hpp>

#include <cstdio>

int main() {
  using namespace nnocr;

  // A [2, 3] tensor and a transposed view of it (no copy).
  Tensor<float> a({2, 3}, {1, 2, 3, 4, 5, 6});
  TensorView<float> at = a.transpose(0, 1);  // [3, 2]
  std::printf("a is %s, its transpose view is %s (contiguous: %s)\n", a.shape().str().c_str(),
              at.shape().str().c_str(), at.is_contiguous() ? "yes" : "no");

  // C = A * A^T through the GEMM, telling it A^T is a transpose.
  Tensor<float> c({2, 2});
  kernels::matmul(a, kernels::Trans::no, a, kernels::Trans::yes, c);
  std::printf("A * A^T = [[%g, %g], [%g, %g]]  (expected [[14, 32], [32, 77]])\n", c(0, 0), c(0, 1), c(1, 0),
              c(1, 1));

  // Seeded He initialisation of a conv weight [out, in, kh, kw].
  Rng rng(42);
  Tensor<float> w({8, 3, 3, 3});
  he_normal(w, rng);
  std::printf("w[0,0,0,0] = %.6f (same on every machine for seed 42)\n", w(0, 0, 0, 0));

  std::printf("ISA: %s (%s), threads: %d\n", simd::isa_name(simd::active_isa()), simd::isa_source(), num_threads());
  return c(1, 1) == 77.0f ? 0 : 1;
}
