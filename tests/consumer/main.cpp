// A user's program: includes the umbrella header and multiplies two
// matrices, checking the answer.
#include <nnocr/nnocr.hpp>

#include <cstdio>

int main() {
  nnocr::Tensor<float> a({2, 3}, {1, 2, 3, 4, 5, 6});
  nnocr::Tensor<float> b({3, 2}, {7, 8, 9, 10, 11, 12});
  nnocr::Tensor<float> c({2, 2});
  nnocr::kernels::matmul(a, nnocr::kernels::Trans::no, b, nnocr::kernels::Trans::no, c);
  const bool ok = c(0, 0) == 58 && c(0, 1) == 64 && c(1, 0) == 139 && c(1, 1) == 154;
  std::printf("nnocr %s consumer: %s (ISA %s)\n", nnocr::version_string(), ok ? "ok" : "WRONG",
              nnocr::simd::isa_name(nnocr::simd::active_isa()));
  return ok ? 0 : 1;
}
