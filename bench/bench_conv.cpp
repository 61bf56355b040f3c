// bench_conv — the 3x3 convolutions of the bundled CRNN's conv stack (a
// text line 32 pixels high and 480 wide: 32 -> 64 channels at 16 x 240,
// 64 -> 96 at 8 x 120, 96 -> 128 at 4 x 120), one image, one thread, by
// Winograd F(2x2, 3x3) (the default) and by im2col + GEMM
// (use_winograd(false)), forward (inference) and input gradient. Counters:
// GFLOP/s of the direct convolution's 2 C Cout 9 multiply-adds per output,
// so the two algorithms compare on the same work.
//
//   build/bench/bench_conv --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <nnocr/core/init.hpp>
#include <nnocr/core/rng.hpp>
#include <nnocr/core/thread_pool.hpp>
#include <nnocr/nn/conv2d.hpp>

using namespace nnocr;

namespace {

struct Shape3 {
  index_t cin, cout, h, w;
};
constexpr Shape3 kShapes[] = {{32, 64, 16, 240}, {64, 96, 8, 120}, {96, 128, 4, 120}};

nn::Conv2d make_conv(const Shape3& s, Rng& rng) {
  nn::Conv2dConfig c;
  c.in_channels = s.cin;
  c.out_channels = s.cout;
  c.kernel = 3;
  c.padding = 1;
  c.bias = false;
  return nn::Conv2d(c, rng);
}

double direct_flops(const Shape3& s) { return 2.0 * 9.0 * static_cast<double>(s.cin * s.cout * s.h * s.w); }

// The GFLOP/s counter (`passes` direct convolutions' worth of flops per
// iteration) and the label: shape and algorithm.
void report(benchmark::State& state, const Shape3& s, double passes, const char* what) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      passes * direct_flops(s) * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::to_string(s.cin) + "->" + std::to_string(s.cout) + " " + std::to_string(s.h) + "x" +
                 std::to_string(s.w) + (state.range(1) ? " winograd" : " im2col") + what);
}

// range(0): the shape; range(1): 1 = Winograd, 0 = im2col.
void conv_infer(benchmark::State& state) {
  set_num_threads(1);
  const Shape3 s = kShapes[state.range(0)];
  Rng rng(1);
  nn::Conv2d conv = make_conv(s, rng);
  conv.use_winograd(state.range(1) != 0);
  const Tensor<float> x = normal_tensor({1, s.cin, s.h, s.w}, rng);
  for (auto _ : state) {
    Tensor<float> y = conv.infer(x);
    benchmark::DoNotOptimize(y.data());
  }
  report(state, s, 1.0, "");
}

// Backward of one image: the weight gradient (im2col + GEMM either way)
// and the input gradient (Winograd or W^T dY + col2im).
void conv_backward(benchmark::State& state) {
  set_num_threads(1);
  const Shape3 s = kShapes[state.range(0)];
  Rng rng(1);
  nn::Conv2d conv = make_conv(s, rng);
  conv.use_winograd(state.range(1) != 0);
  const Tensor<float> x = normal_tensor({1, s.cin, s.h, s.w}, rng), dy = normal_tensor({1, s.cout, s.h, s.w}, rng);
  conv.forward(x);
  for (auto _ : state) {
    Tensor<float> dx = conv.backward(dy);
    benchmark::DoNotOptimize(dx.data());
  }
  report(state, s, 2.0, " dx");
}

}  // namespace

BENCHMARK(conv_infer)->ArgsProduct({{0, 1, 2}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(conv_backward)->ArgsProduct({{0, 1, 2}, {0, 1}})->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
