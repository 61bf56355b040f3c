// compare_gemm — nnocr's GEMM against OpenBLAS (cblas_sgemm, and
// cblas_sgemv for the matrix-vector shape) in one process, alternating the
// two so that clock drift hits both alike. Prints GFLOP/s, the ratio
// nnocr/OpenBLAS, and each figure as a percentage of this core's peak FMA
// rate measured by the same program.
//
//   env -u OPENBLAS_CORETYPE build/bench/compare_gemm            # AVX-512 vs OpenBLAS SkylakeX kernels
//   OPENBLAS_CORETYPE=Haswell NNOCR_ISA=avx2 build/bench/compare_gemm   # AVX2 vs OpenBLAS Haswell kernels
//   build/bench/compare_gemm --threads 2
// bench/compare_gemm.sh runs all of these.
#include <cblas.h>

#include <nnocr/nnocr.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace nnocr;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Seconds per call: best of as many calls as fit in `budget`.
template <class F>
double time_call(F&& f, double budget) {
  f();  // warm caches and scratch buffers
  double best = 1e30;
  const double start = now();
  int calls = 0;
  do {
    const double t0 = now();
    f();
    best = std::min(best, now() - t0);
    ++calls;
  } while (now() - start < budget || calls < 3);
  return best;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: compare_gemm [--threads N] [--rounds R]\n");
      return 2;
    }
  }
  openblas_set_num_threads(threads);
  ThreadPool pool(threads);
  const simd::Isa isa = simd::active_isa();
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("nnocr %s, ISA %s (%s), GEMM kernel %s, %d thread(s)\n", version_string(), simd::isa_name(isa),
              simd::isa_source(), kernels::gemm_arch(isa).name, threads);
  std::printf("OpenBLAS: %s; core %s; OPENBLAS_CORETYPE=%s\n", openblas_get_config(), openblas_get_corename(),
              coretype ? coretype : "(unset)");
  const double peak = kernels::measure_peak_gflops(isa, 0.5);
  std::printf("peak fp32 FMA of one core on %s, measured now: %.1f GFLOP/s (x%d threads = %.1f)\n\n",
              simd::isa_name(isa), peak, threads, peak * threads);

  const index_t shapes[][3] = {{128, 128, 128},  {256, 256, 256},  {512, 512, 512},   {1024, 1024, 1024},
                               {2048, 2048, 2048}, {32, 1024, 256}, {1, 1024, 256},    {4096, 128, 576},
                               {1024, 256, 1152}};
  // With threads, nnocr on one thread too, timed in the same rounds, for the
  // scaling column (the clock drifts too much between separate runs).
  ThreadPool one(1);
  std::printf("%-18s %10s %10s %8s %9s %9s%s\n", "M x N x K", "nnocr GF", "OpenBLAS", "ratio", "nnocr %pk",
              "OBLAS %pk", threads > 1 ? "  nnocr 1-thread GF  scaling" : "");
  for (const auto& s : shapes) {
    const index_t M = s[0], N = s[1], K = s[2];
    Rng rng(7);
    Tensor<float> a({M, K}), b({K, N}), c({M, N});
    fill_uniform(a, rng, -1, 1);
    fill_uniform(b, rng, -1, 1);
    const double flops = 2.0 * double(M) * double(N) * double(K);
    // At least 0.2 s per timing, even for the small shapes: over 20 ms the
    // matrix-vector product (a 1 MiB matrix, the size of L2) ran at either
    // ~55 or ~95 GFLOP/s, window by window, for both libraries, as if the
    // caches' replacement policy needed that long to settle on the pattern.
    const double budget = std::clamp(flops / 100e9 * 20, 0.2, 0.3);
    auto ours = [&] {
      kernels::sgemm(kernels::Trans::no, kernels::Trans::no, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f,
                     c.data(), N, &pool);
    };
    auto theirs = [&] {
      if (M == 1)  // y^T = x^T B  <=>  y = B^T x, OpenBLAS's own GEMV
        cblas_sgemv(CblasRowMajor, CblasTrans, static_cast<int>(K), static_cast<int>(N), 1.0f, b.data(),
                    static_cast<int>(N), a.data(), 1, 0.0f, c.data(), 1);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
                    static_cast<int>(K), 1.0f, a.data(), static_cast<int>(K), b.data(), static_cast<int>(N), 0.0f,
                    c.data(), static_cast<int>(N));
    };
    auto ours_one = [&] {
      kernels::sgemm(kernels::Trans::no, kernels::Trans::no, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f,
                     c.data(), N, &one);
    };
    std::vector<double> t_ours, t_theirs, t_one;
    // Both libraries keep their idle workers spinning for a while after a
    // call (OpenBLAS for about 2^28 cycles by default): with threads, pause
    // between the two so that neither runs against the other's spinners.
    auto settle = [&] {
      if (threads > 1) std::this_thread::sleep_for(std::chrono::milliseconds(150));
    };
    for (int r = 0; r < rounds; ++r) {
      settle();
      t_ours.push_back(time_call(ours, budget));
      settle();
      t_theirs.push_back(time_call(theirs, budget));
      if (threads > 1) t_one.push_back(time_call(ours_one, budget));
    }
    const double g_ours = flops / median(t_ours) * 1e-9, g_theirs = flops / median(t_theirs) * 1e-9;
    char name[96];
    std::snprintf(name, sizeof name, "%lldx%lldx%lld%s", static_cast<long long>(M), static_cast<long long>(N),
                  static_cast<long long>(K), M == 1 ? " (gemv)" : "");
    std::printf("%-18s %10.1f %10.1f %7.2fx %8.0f%% %8.0f%%", name, g_ours, g_theirs, g_ours / g_theirs,
                100 * g_ours / (peak * threads), 100 * g_theirs / (peak * threads));
    if (threads > 1) {
      const double g_one = flops / median(t_one) * 1e-9;
      std::printf(" %19.1f %7.2fx", g_one, g_ours / g_one);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
}
