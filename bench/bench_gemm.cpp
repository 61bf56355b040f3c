// bench_gemm — GEMM GFLOP/s at square sizes and at the shapes OCR models
// run, per ISA and thread count. Counters: GFLOPS (rate) and pct_peak (of
// this core's FMA peak for the ISA, measured once at start-up).
//
//   build/bench/bench_gemm --benchmark_filter='avx512/1t'
#include <benchmark/benchmark.h>

#include <nnocr/nnocr.hpp>

#include <map>
#include <string>

using namespace nnocr;

namespace {

double peak_gflops(simd::Isa isa) {
  static std::map<simd::Isa, double> cache;
  auto it = cache.find(isa);
  if (it == cache.end()) it = cache.emplace(isa, kernels::measure_peak_gflops(isa, 0.3)).first;
  return it->second;
}

void gemm_case(benchmark::State& state, simd::Isa isa, int threads, index_t M, index_t N, index_t K) {
  simd::IsaScope scope(isa);
  ThreadPool pool(threads);
  Rng rng(1);
  Tensor<float> a({M, K}), b({K, N}), c({M, N});
  fill_uniform(a, rng, -1, 1);
  fill_uniform(b, rng, -1, 1);
  for (auto _ : state) {
    kernels::sgemm(kernels::Trans::no, kernels::Trans::no, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f, c.data(),
                   N, &pool);
    benchmark::DoNotOptimize(c.data());
  }
  const double flops = 2.0 * double(M) * double(N) * double(K);
  state.counters["GFLOPS"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_GFLOPS_1core"] = peak_gflops(isa);
}

const index_t kShapes[][3] = {{128, 128, 128},  {256, 256, 256},   {512, 512, 512},   {1024, 1024, 1024},
                              {2048, 2048, 2048}, {32, 1024, 256},  {1, 1024, 256},    {4096, 128, 576},
                              {1024, 256, 1152}};

int register_all() {
  for (simd::Isa isa : simd::available_isas()) {
    for (int threads : {1, 2}) {
      for (const auto& s : kShapes) {
        const std::string name = std::string("gemm/") + simd::isa_name(isa) + "/" + std::to_string(threads) + "t/" +
                                 std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]);
        benchmark::RegisterBenchmark(name.c_str(), gemm_case, isa, threads, s[0], s[1], s[2])
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
      }
    }
  }
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
