// bench_image — preprocessing throughput on an A4 page at 300 dpi
// (2480 x 3508 pixels): the steps a page goes through before detection.
#include <benchmark/benchmark.h>

#include <nnocr/nnocr.hpp>

using namespace nnocr;
using namespace nnocr::image;

namespace {

const Image& a4_page() {
  static const Image page = [] {
    Image p(2480, 3508, 3, 245);
    Rng rng(5);
    for (int top = 200; top + 40 < 3300; top += 70)  // lines of dark "words"
      for (int x = 200; x < 2280; x += static_cast<int>(rng.uniform_int(60, 200)))
        for (int y = top; y < top + 36; ++y)
          for (int i = x; i < std::min(2280, x + 50); ++i)
            if (rng.uniform() < 0.5f) p.at(i, y, 0) = p.at(i, y, 1) = p.at(i, y, 2) = 30;
    return p;
  }();
  return page;
}

const Image& a4_gray() {
  static const Image g = to_gray(a4_page());
  return g;
}

template <class F>
void run(benchmark::State& state, F&& f) {
  for (auto _ : state) benchmark::DoNotOptimize(f());
  state.counters["Mpixel/s"] = benchmark::Counter(2480.0 * 3508.0 * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_to_gray(benchmark::State& s) { run(s, [] { return to_gray(a4_page()); }); }
void BM_otsu(benchmark::State& s) { run(s, [] { return otsu_binarize(a4_gray()); }); }
void BM_sauvola(benchmark::State& s) { run(s, [] { return sauvola_binarize(a4_gray()); }); }
void BM_gaussian(benchmark::State& s) { run(s, [] { return gaussian_blur(a4_gray(), 1.0); }); }
void BM_median3x3(benchmark::State& s) { run(s, [] { return median_filter(a4_gray(), 1); }); }
void BM_resize_half(benchmark::State& s) { run(s, [] { return resize_area(a4_gray(), 1240, 1754); }); }
void BM_estimate_skew(benchmark::State& s) { run(s, [] { return estimate_skew(a4_gray()); }); }
void BM_components(benchmark::State& s) { run(s, [] { return connected_components(a4_gray()).items.size(); }); }

}  // namespace

BENCHMARK(BM_to_gray)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_otsu)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sauvola)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_gaussian)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_median3x3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_resize_half)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_estimate_skew)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_components)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
