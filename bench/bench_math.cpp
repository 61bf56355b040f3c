// bench_math — vectorised exp, tanh, sigmoid, log over 1M floats on each
// ISA, next to the std:: loop they replace (same run).
#include <benchmark/benchmark.h>

#include <nnocr/nnocr.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace nnocr;

namespace {

std::vector<float> inputs() {
  std::vector<float> x(1 << 20);
  Rng rng(3);
  for (auto& v : x) v = rng.uniform(-8.0f, 8.0f);
  return x;
}

template <class F>
void std_loop(benchmark::State& state, F f) {
  const auto x = inputs();
  std::vector<float> y(x.size());
  for (auto _ : state) {
    std::transform(x.begin(), x.end(), y.begin(), f);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
}

void vector_kernel(benchmark::State& state, simd::Isa isa, void (*kernel)(const float*, float*, index_t)) {
  simd::IsaScope scope(isa);
  auto x = inputs();
  if (kernel == &kernels::log)
    for (auto& v : x) v = std::fabs(v) + 1e-3f;
  std::vector<float> y(x.size());
  for (auto _ : state) {
    kernel(x.data(), y.data(), static_cast<index_t>(x.size()));
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
}

int register_all() {
  benchmark::RegisterBenchmark("exp/std", std_loop<float (*)(float)>, [](float v) { return std::exp(v); });
  benchmark::RegisterBenchmark("tanh/std", std_loop<float (*)(float)>, [](float v) { return std::tanh(v); });
  benchmark::RegisterBenchmark("sigmoid/std", std_loop<float (*)(float)>,
                               [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
  benchmark::RegisterBenchmark("log/std", std_loop<float (*)(float)>,
                               [](float v) { return std::log(std::fabs(v) + 1e-3f); });
  struct K {
    const char* name;
    void (*fn)(const float*, float*, index_t);
  };
  const K ks[] = {{"exp", kernels::exp}, {"tanh", kernels::tanh}, {"sigmoid", kernels::sigmoid}, {"log", kernels::log}};
  for (simd::Isa isa : simd::available_isas())
    for (const auto& k : ks)
      benchmark::RegisterBenchmark((std::string(k.name) + "/" + simd::isa_name(isa)).c_str(), vector_kernel, isa,
                                   k.fn);
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
