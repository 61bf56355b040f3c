// classifier_training.hpp — the training program shared by train_mnist and
// train_fashion_mnist: a LeNet-style CNN trained with AdamW and a cosine
// schedule, progress on stderr, checkpoints every few hundred steps,
// --resume, and the final test accuracy.
//
// The batches of step s are a function of (seed, s) only — epoch e's order
// is a shuffle seeded by (seed, e) and the augmentation of step s is seeded
// by (seed, s) — so a resumed run sees exactly the batches an uninterrupted
// one would.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include <nnocr/core/core.hpp>
#include <nnocr/data/idx.hpp>
#include <nnocr/models/lenet.hpp>
#include <nnocr/train/checkpoint.hpp>
#include <nnocr/train/loop.hpp>
#include <nnocr/train/loss.hpp>
#include <nnocr/train/optim.hpp>
#include <nnocr/train/schedule.hpp>

namespace example {

using namespace nnocr;

struct Options {
  std::string name;
  std::string train_images, train_labels, test_images, test_labels;
  int epochs = 10;
  index_t batch = 64;
  float lr = 2e-3f;
  float weight_decay = 1e-4f;
  int shift = 2;  // random translation in pixels (augmentation); 0 = off
  std::uint64_t seed = 1;
  std::string checkpoint;  // empty: no checkpoints
  std::int64_t checkpoint_every = 500;
  bool resume = false;
  std::string save;  // final model file
  models::LenetConfig model;
};

// Copies images `order[first .. first+count)` into a [count, 1, H, W] batch
// scaled to [0, 1], shifted by up to `shift` pixels when `rng` is given.
inline void make_batch(const data::IdxDataset& set, const std::vector<index_t>& order, index_t first, index_t count,
                       int shift, Rng* rng, Tensor<float>& x, Tensor<std::int32_t>& y) {
  const index_t H = set.images.size(1), W = set.images.size(2);
  x = Tensor<float>({count, 1, H, W}, 0.0f);
  y = Tensor<std::int32_t>({count});
  for (index_t b = 0; b < count; ++b) {
    const index_t i = order[static_cast<std::size_t>(first + b)];
    const std::uint8_t* img = set.images.data() + i * H * W;
    int dy = 0, dx = 0;
    if (rng && shift > 0) {
      dy = static_cast<int>(rng->uniform_index(2 * shift + 1)) - shift;
      dx = static_cast<int>(rng->uniform_index(2 * shift + 1)) - shift;
    }
    float* out = x.data() + b * H * W;
    for (index_t r = 0; r < H; ++r)
      for (index_t c = 0; c < W; ++c) {
        const index_t sr = r - dy, sc = c - dx;
        if (sr >= 0 && sr < H && sc >= 0 && sc < W) out[r * W + c] = img[sr * W + sc] * (1.0f / 255.0f);
      }
    y[b] = set.labels[i];
  }
}

inline double accuracy(const nn::Layer& model, const data::IdxDataset& set) {
  std::vector<index_t> order(static_cast<std::size_t>(set.images.size(0)));
  std::iota(order.begin(), order.end(), index_t{0});
  index_t correct = 0;
  Tensor<float> x;
  Tensor<std::int32_t> y;
  for (index_t first = 0; first < set.images.size(0); first += 500) {
    const index_t count = std::min<index_t>(500, set.images.size(0) - first);
    make_batch(set, order, first, count, 0, nullptr, x, y);
    correct += train::count_correct(model.infer(x), y);
  }
  return static_cast<double>(correct) / static_cast<double>(set.images.size(0));
}

inline int train_classifier(const Options& o) {
  const auto t_load = std::chrono::steady_clock::now();
  const data::IdxDataset train_set = data::load_idx_dataset(o.train_images, o.train_labels);
  const data::IdxDataset test_set = data::load_idx_dataset(o.test_images, o.test_labels);
  std::fprintf(stderr, "[%s] %lld training and %lld test images of %lldx%lld (loaded in %.1f s), %d threads\n",
               o.name.c_str(), static_cast<long long>(train_set.images.size(0)),
               static_cast<long long>(test_set.images.size(0)), static_cast<long long>(train_set.images.size(1)),
               static_cast<long long>(train_set.images.size(2)),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count(), num_threads());

  Rng init_rng(o.seed, 1);
  models::LenetConfig config = o.model;
  config.image_size = train_set.images.size(1);
  models::Lenet model(config, init_rng);
  std::fprintf(stderr, "%s", model.summary().c_str());

  const index_t n = train_set.images.size(0);
  const std::int64_t steps_per_epoch = n / o.batch;
  const std::int64_t total = steps_per_epoch * o.epochs;
  train::Adam optimizer(model.named_parameters(), train::adamw_config(o.lr, o.weight_decay));
  const train::LrSchedule schedule = train::LrSchedule::cosine(o.lr, total, o.lr * 0.01f, steps_per_epoch / 2);

  std::int64_t start = 0;
  if (o.resume && !o.checkpoint.empty()) {
    const train::CheckpointInfo info = train::load_checkpoint(o.checkpoint, model, &optimizer);
    start = info.step;
    std::fprintf(stderr, "[%s] resumed from %s at step %lld\n", o.name.c_str(), o.checkpoint.c_str(),
                 static_cast<long long>(start));
  }

  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::int64_t order_epoch = -1;
  Tensor<float> x;
  Tensor<std::int32_t> y;
  train::TrainLoopConfig loop_config;
  loop_config.name = o.name;
  loop_config.total_steps = total;
  loop_config.eval_every = steps_per_epoch;
  loop_config.checkpoint_every = o.checkpoint_every;
  train::TrainLoop loop(loop_config);
  loop.step = [&](std::int64_t s) {
    const std::int64_t epoch = s / steps_per_epoch;
    if (epoch != order_epoch) {  // the epoch's order depends on (seed, epoch) only
      std::iota(order.begin(), order.end(), index_t{0});
      Rng shuffle(o.seed, 1000 + static_cast<std::uint64_t>(epoch));
      for (index_t i = n - 1; i > 0; --i)
        std::swap(order[static_cast<std::size_t>(i)],
                  order[static_cast<std::size_t>(shuffle.uniform_index(static_cast<std::uint64_t>(i + 1)))]);
      order_epoch = epoch;
    }
    Rng augment(o.seed ^ 0x9e3779b97f4a7c15ULL, static_cast<std::uint64_t>(s));
    make_batch(train_set, order, (s % steps_per_epoch) * o.batch, o.batch, o.shift, &augment, x, y);
    model.train();
    optimizer.set_lr(schedule(s));
    optimizer.zero_grad();
    const Tensor<float> logits = model.forward(x);
    const train::LossResult loss = train::cross_entropy(logits, y);
    model.backward(loss.grad);
    optimizer.step();
    return train::StepResult{loss.loss, o.batch};
  };
  loop.evaluate = [&](std::int64_t) {
    model.eval();
    const double acc = accuracy(model, test_set);
    model.train();
    char buf[64];
    std::snprintf(buf, sizeof buf, "test accuracy %.2f%%", 100.0 * acc);
    return std::string(buf);
  };
  if (!o.checkpoint.empty())
    loop.save = [&](std::int64_t next) {
      train::CheckpointInfo info;
      info.step = next;
      info.metadata.emplace_back("nnocr.architecture", io::to_json(config.to_json()));
      train::save_checkpoint(o.checkpoint, model, &optimizer, info);
    };

  const auto t0 = std::chrono::steady_clock::now();
  loop.run(start);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.eval();
  const double acc = accuracy(model, test_set);
  std::printf("%s: test accuracy %.2f%% on %lld images after %lld steps (%d epochs of batch %lld); training took %.1f s "
              "(%.0f images/s, %d threads)\n",
              o.name.c_str(), 100.0 * acc, static_cast<long long>(test_set.images.size(0)),
              static_cast<long long>(total), o.epochs, static_cast<long long>(o.batch), seconds,
              static_cast<double>((total - start) * o.batch) / seconds, num_threads());
  if (!o.save.empty()) {
    model.save(o.save, {{"nnocr.training", o.name + ", test accuracy " + std::to_string(acc)}});
    std::printf("saved %s\n", o.save.c_str());
  }
  return 0;
}

// --epochs N --batch N --lr X --seed N --threads N --checkpoint FILE
// --checkpoint-every N --resume --save FILE --data DIR --shift N
inline int run_main(int argc, char** argv, Options o, const std::string& default_dir,
                    const char* images_prefix_train, const char* images_prefix_test) {
  try {
    keep_freed_memory();  // reuse each step's buffers instead of mapping them anew (core/memory.hpp)
    std::string dir = default_dir;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        NNOCR_CHECK(i + 1 < argc, a, " needs a value");
        return argv[++i];
      };
      if (a == "--epochs") o.epochs = std::stoi(value());
      else if (a == "--batch") o.batch = std::stoll(value());
      else if (a == "--lr") o.lr = std::stof(value());
      else if (a == "--seed") o.seed = std::stoull(value());
      else if (a == "--shift") o.shift = std::stoi(value());
      else if (a == "--threads") set_num_threads(nnocr::detail::parse_thread_count(value(), "--threads"));
      else if (a == "--checkpoint") o.checkpoint = value();
      else if (a == "--checkpoint-every") o.checkpoint_every = std::stoll(value());
      else if (a == "--resume") o.resume = true;
      else if (a == "--save") o.save = value();
      else if (a == "--data") dir = value();
      else {
        std::fprintf(stderr,
                     "usage: %s [--data DIR] [--epochs N] [--batch N] [--lr X] [--seed N] [--shift PIXELS] "
                     "[--threads N] [--checkpoint FILE [--checkpoint-every N] [--resume]] [--save MODEL]\n",
                     argv[0]);
        return a == "--help" ? 0 : 2;
      }
    }
    NNOCR_CHECK(o.epochs > 0 && o.batch > 0, "epochs and batch must be positive");
    o.train_images = dir + "/" + images_prefix_train + "-images-idx3-ubyte.gz";
    o.train_labels = dir + "/" + images_prefix_train + "-labels-idx1-ubyte.gz";
    o.test_images = dir + "/" + images_prefix_test + "-images-idx3-ubyte.gz";
    o.test_labels = dir + "/" + images_prefix_test + "-labels-idx1-ubyte.gz";
    return train_classifier(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}

}  // namespace example
