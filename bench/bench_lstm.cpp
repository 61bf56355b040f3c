// bench_lstm — a bidirectional single-layer LSTM on the shapes PyTorch is
// measured on (bench/lstm_torch.py): input 512, hidden 256, T=32, batch 32,
// sequence-first [T, N, I], one thread unless the argument says otherwise.
// Inference (infer: no cache kept), training forward (forward: keeps the
// gates and states backward needs) and forward + backward of a random
// upstream gradient.
//
//   flock ... build/bench/bench_lstm --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <nnocr/core/init.hpp>
#include <nnocr/core/rng.hpp>
#include <nnocr/core/thread_pool.hpp>
#include <nnocr/nn/recurrent.hpp>

using namespace nnocr;

namespace {

constexpr index_t kInput = 512, kHidden = 256, kT = 32, kN = 32;

nn::Lstm make_lstm(Rng& rng) {
  nn::RecurrentConfig c;
  c.input_size = kInput;
  c.hidden_size = kHidden;
  c.bidirectional = true;
  return nn::Lstm(c, rng);
}

void bilstm_infer(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Rng rng(1);
  nn::Lstm lstm = make_lstm(rng);
  lstm.eval();
  const Tensor<float> x = normal_tensor({kT, kN, kInput}, rng);
  for (auto _ : state) {
    nn::RecurrentOutput out = lstm.infer(x);
    benchmark::DoNotOptimize(out.y.data());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void bilstm_forward(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Rng rng(1);
  nn::Lstm lstm = make_lstm(rng);
  const Tensor<float> x = normal_tensor({kT, kN, kInput}, rng);
  for (auto _ : state) {
    nn::RecurrentOutput out = lstm.forward(x);
    benchmark::DoNotOptimize(out.y.data());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void bilstm_forward_backward(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Rng rng(1);
  nn::Lstm lstm = make_lstm(rng);
  const Tensor<float> x = normal_tensor({kT, kN, kInput}, rng), dy = normal_tensor({kT, kN, 2 * kHidden}, rng);
  for (auto _ : state) {
    lstm.zero_grad();
    nn::RecurrentOutput out = lstm.forward(x);
    Tensor<float> dx = lstm.backward(dy);
    benchmark::DoNotOptimize(out.y.data());
    benchmark::DoNotOptimize(dx.data());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

}  // namespace

BENCHMARK(bilstm_infer)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bilstm_forward)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bilstm_forward_backward)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
