// lenet_throughput — training throughput (forward + backward + AdamW step)
// of the MNIST LeNet-style CNN (models/lenet.hpp) on random 28x28 batches,
// and inference throughput; prints one line per measurement:
//   nnocr train_images_per_s=... infer_images_per_s=...
// bench/compare_lenet.sh runs it next to the same model in PyTorch.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nnocr/core/memory.hpp>
#include <nnocr/models/lenet.hpp>
#include <nnocr/train/loss.hpp>
#include <nnocr/train/optim.hpp>

using namespace nnocr;

int main(int argc, char** argv) {
  // As nnocr's training programs run (core/memory.hpp): freed blocks stay
  // in the heap, so each step reuses the last one's buffers.
  keep_freed_memory();
  index_t batch = 64;
  int iters = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--threads") set_num_threads(std::stoi(argv[i + 1]));
    if (a == "--batch") batch = std::stoll(argv[i + 1]);
    if (a == "--iters") iters = std::stoi(argv[i + 1]);
  }
  Rng rng(1);
  models::Lenet model(models::LenetConfig{}, rng);
  train::Adam opt(model.named_parameters(), train::adamw_config(1e-3f));
  Tensor<float> x({batch, 1, 28, 28});
  for (float& v : x) v = rng.uniform();
  Tensor<std::int32_t> y({batch});
  for (index_t i = 0; i < batch; ++i) y[i] = static_cast<std::int32_t>(i % 10);
  auto train_step = [&] {
    opt.zero_grad();
    const auto loss = train::cross_entropy(model.forward(x), y);
    model.backward(loss.grad);
    opt.step();
  };
  using clock = std::chrono::steady_clock;
  auto median_rate = [&](auto&& fn) {
    for (int w = 0; w < 3; ++w) fn();
    std::vector<double> rates;
    for (int r = 0; r < iters; ++r) {
      const auto t0 = clock::now();
      fn();
      rates.push_back(static_cast<double>(batch) / std::chrono::duration<double>(clock::now() - t0).count());
    }
    std::sort(rates.begin(), rates.end());
    return rates[rates.size() / 2];
  };
  model.train();
  const double train_rate = median_rate(train_step);
  model.eval();
  const double infer_rate = median_rate([&] { (void)model.infer(x); });
  std::printf("nnocr train_images_per_s=%.0f infer_images_per_s=%.0f threads=%d batch=%lld isa=%s\n", train_rate,
              infer_rate, num_threads(), static_cast<long long>(batch), simd::isa_name(simd::active_isa()));
  return 0;
}
