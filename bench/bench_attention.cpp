// bench_attention — MultiheadAttention on the shapes PyTorch is measured on
// (bench/attention_torch.py): self-attention, d=256, 8 heads, T=32,
// batch 32, one thread. Inference (infer), training forward (forward, which
// caches for backward) and forward + backward; plus one transformer encoder
// layer and a decoding step for context.
//
//   flock ... ./bench_attention --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <nnocr/core/init.hpp>
#include <nnocr/core/thread_pool.hpp>
#include <nnocr/nn/attention.hpp>
#include <nnocr/nn/transformer.hpp>

using namespace nnocr;

namespace {

constexpr index_t kE = 256, kHeads = 8, kT = 32, kN = 32;

void attention_infer(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Rng rng(1);
  nn::MultiheadAttention mha(kE, kHeads, rng);
  mha.eval();
  const Tensor<float> x = normal_tensor({kT, kN, kE}, rng);
  for (auto _ : state) {
    Tensor<float> y = mha.infer(x, x, x);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void attention_forward(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Rng rng(1);
  nn::MultiheadAttention mha(kE, kHeads, rng);
  const Tensor<float> x = normal_tensor({kT, kN, kE}, rng);
  for (auto _ : state) {
    Tensor<float> y = mha.forward(x, x, x);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void attention_forward_backward(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Rng rng(1);
  nn::MultiheadAttention mha(kE, kHeads, rng);
  const Tensor<float> x = normal_tensor({kT, kN, kE}, rng), dy = normal_tensor({kT, kN, kE}, rng);
  for (auto _ : state) {
    mha.zero_grad();
    Tensor<float> y = mha.forward(x, x, x);
    nn::AttentionGradients g = mha.backward(dy);
    benchmark::DoNotOptimize(y.data());
    benchmark::DoNotOptimize(g.query.data());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void encoder_layer_infer(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Rng rng(1);
  nn::TransformerLayerConfig c;
  c.d_model = kE;
  c.nhead = kHeads;
  c.dim_feedforward = 4 * kE;
  nn::TransformerEncoderLayer layer(c, rng);
  layer.eval();
  const Tensor<float> x = normal_tensor({kT, kN, kE}, rng);
  for (auto _ : state) {
    Tensor<float> y = layer.infer(x);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

// One step of a decoder layer at position 31 for a beam of 5 against a
// memory of 32 positions (cached keys and values).
void decoder_layer_step(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Rng rng(1);
  nn::TransformerLayerConfig c;
  c.d_model = kE;
  c.nhead = kHeads;
  c.dim_feedforward = 4 * kE;
  nn::TransformerDecoderLayer layer(c, rng);
  layer.eval();
  const Tensor<float> memory = normal_tensor({kT, 1, kE}, rng), x = normal_tensor({5, kE}, rng);
  nn::TransformerDecoderLayer::Cache warm = layer.start(memory);
  for (int t = 0; t < 31; ++t) layer.infer_step(x, warm);
  for (auto _ : state) {
    state.PauseTiming();
    nn::TransformerDecoderLayer::Cache cache = warm;
    state.ResumeTiming();
    Tensor<float> y = layer.infer_step(x, cache);
    benchmark::DoNotOptimize(y.data());
  }
}

}  // namespace

BENCHMARK(attention_infer)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(attention_forward)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(attention_forward_backward)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(encoder_layer_infer)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(decoder_layer_step)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
