// train/: losses, schedules, clipping, checkpoints (save, resume to the same
// result) and model files; and a small CNN that must learn real MNIST.
#include <doctest/doctest.h>

#include "test_util.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nnocr/data/idx.hpp>
#include <nnocr/io/model_file.hpp>
#include <nnocr/kernels/optim.hpp>
#include <nnocr/models/lenet.hpp>
#include <nnocr/nn/nn.hpp>
#include <nnocr/train/checkpoint.hpp>
#include <nnocr/train/loop.hpp>
#include <nnocr/train/loss.hpp>
#include <nnocr/train/optim.hpp>
#include <nnocr/train/schedule.hpp>

using namespace nnocr;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nnocr_test_train_" + name)).string();
}

// A tiny MNIST classifier: conv 5x5 (8) -> BN -> ReLU -> maxpool 4 -> linear.
struct TinyNet : nn::Sequential {
  explicit TinyNet(Rng& rng) {
    nn::Conv2dConfig c;
    c.in_channels = 1;
    c.out_channels = 8;
    c.kernel = 5;
    c.padding = 2;
    emplace<nn::Conv2d>(c, rng);
    emplace<nn::BatchNorm2d>(8);
    emplace<nn::ReLU>();
    emplace<nn::MaxPool2d>(4);
    emplace<nn::Flatten>();
    emplace<nn::Linear>(8 * 7 * 7, 10, rng);
  }
};

void batch_from(const data::IdxDataset& set, index_t first, index_t count, Tensor<float>& x,
                Tensor<std::int32_t>& y) {
  x = Tensor<float>({count, 1, 28, 28});
  y = Tensor<std::int32_t>({count});
  for (index_t b = 0; b < count; ++b) {
    const index_t i = (first + b) % set.images.size(0);
    for (index_t p = 0; p < 784; ++p) x[b * 784 + p] = set.images[i * 784 + p] / 255.0f;
    y[b] = set.labels[i];
  }
}

const data::IdxDataset& mnist(bool train) {
  static const data::IdxDataset train_set = data::load_idx_dataset(
      NNOCR_SOURCE_DIR "/data/mnist/train-images-idx3-ubyte.gz", NNOCR_SOURCE_DIR "/data/mnist/train-labels-idx1-ubyte.gz");
  static const data::IdxDataset test_set = data::load_idx_dataset(
      NNOCR_SOURCE_DIR "/data/mnist/t10k-images-idx3-ubyte.gz", NNOCR_SOURCE_DIR "/data/mnist/t10k-labels-idx1-ubyte.gz");
  return train ? train_set : test_set;
}

// Runs steps [from, to) of SGD with momentum on consecutive MNIST batches.
double run_steps(nn::Sequential& net, train::Optimizer& opt, index_t from, index_t to, index_t batch) {
  Tensor<float> x;
  Tensor<std::int32_t> y;
  double loss = 0.0;
  for (index_t s = from; s < to; ++s) {
    batch_from(mnist(true), s * batch, batch, x, y);
    opt.zero_grad();
    const auto r = train::cross_entropy(net.forward(x), y);
    net.backward(r.grad);
    opt.step();
    loss = r.loss;
  }
  return loss;
}

}  // namespace

TEST_CASE("a small CNN learns real MNIST digits") {
  Rng rng(42);
  TinyNet net(rng);
  train::Sgd opt(net.named_parameters(), {0.05f, 0.9f, 0.0f, true, 1e-4f});
  Tensor<float> x;
  Tensor<std::int32_t> y;
  batch_from(mnist(false), 0, 500, x, y);
  net.eval();
  const double acc_before = static_cast<double>(train::count_correct(net.infer(x), y)) / 500.0;
  const double loss_before = train::cross_entropy(net.infer(x), y).loss;
  net.train();
  // 250 steps; 60 in the slow configurations (sanitizers, qemu: 80-90 s
  // for 250 there), which still have to learn well past chance.
  const index_t steps = test::slow_config ? 60 : 250;
  run_steps(net, opt, 0, steps, 32);
  net.eval();
  const Tensor<float> logits = net.infer(x);
  const double acc = static_cast<double>(train::count_correct(logits, y)) / 500.0;
  const double loss = train::cross_entropy(logits, y).loss;
  INFO("held-out accuracy before ", acc_before, ", after ", acc, "; loss ", loss_before, " -> ", loss, " (", steps,
       " steps)");
  CHECK(acc_before < 0.3);
  CHECK(loss < 0.5 * loss_before);
  CHECK(acc > (test::slow_config ? 0.75 : 0.85));  // chance is 0.1
}

TEST_CASE("checkpoint: resume gives the same weights as an uninterrupted run") {
  const std::string path = temp_path("resume.safetensors");
  auto make = [](Rng& rng) { return std::make_unique<TinyNet>(rng); };
  Rng r1(7), r2(7);
  auto straight = make(r1);
  train::Adam opt1(straight->named_parameters(), train::adamw_config(1e-3f));
  run_steps(*straight, opt1, 0, 12, 16);

  auto first = make(r2);
  train::Adam opt2(first->named_parameters(), train::adamw_config(1e-3f));
  run_steps(*first, opt2, 0, 5, 16);
  train::CheckpointInfo info;
  info.step = 5;
  info.metadata.emplace_back("note", "after five steps");
  train::save_checkpoint(path, *first, &opt2, info);

  Rng r3(99);  // different initialisation: everything must come from the file
  auto resumed = make(r3);
  train::Adam opt3(resumed->named_parameters(), train::adamw_config(1e-3f));
  const train::CheckpointInfo loaded = train::load_checkpoint(path, *resumed, &opt3);
  CHECK(loaded.step == 5);
  CHECK(opt3.steps() == 5);
  bool note = false;
  for (auto& [k, v] : loaded.metadata) note = note || (k == "note" && v == "after five steps");
  CHECK(note);
  run_steps(*resumed, opt3, 5, 12, 16);

  auto a = straight->named_parameters();
  auto b = resumed->named_parameters();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(std::equal(a[i].second->value.begin(), a[i].second->value.end(), b[i].second->value.begin()));
  }
  auto ba = straight->named_buffers();
  auto bb = resumed->named_buffers();
  for (std::size_t i = 0; i < ba.size(); ++i) CHECK(std::equal(ba[i].second->begin(), ba[i].second->end(), bb[i].second->begin()));

  // The wrong optimizer kind is refused.
  train::Sgd sgd(resumed->named_parameters(), {});
  CHECK_THROWS_WITH_AS(train::load_checkpoint(path, *resumed, &sgd), doctest::Contains("optimizer is AdamW"), Error);
  std::remove(path.c_str());
}

TEST_CASE("model files: round trip and precise load errors") {
  const std::string path = temp_path("lenet.safetensors");
  Rng rng(3);
  models::LenetConfig cfg;
  cfg.conv1 = 4;
  cfg.conv2 = 6;
  cfg.hidden = 16;
  models::Lenet net(cfg, rng);
  net.save(path);
  auto loaded = models::Lenet::load(path);
  CHECK(loaded->config().conv2 == 6);
  Tensor<float> x({2, 1, 28, 28}, 0.5f);
  net.eval();
  const Tensor<float> y1 = net.infer(x), y2 = loaded->infer(x);
  CHECK(std::equal(y1.begin(), y1.end(), y2.begin()));

  // Missing tensor, wrong shape, NaN, extra tensor.
  auto write_variant = [&](auto edit) {
    io::SafeTensorsWriter w;
    w.set_metadata("nnocr.architecture", io::to_json(cfg.to_json()));
    for (auto& [name, p] : net.named_parameters()) edit(w, name, p->value);
    for (auto& [name, b] : net.named_buffers()) w.add(name, b->view());
    w.save(path);
  };
  write_variant([](io::SafeTensorsWriter& w, const std::string& name, const Tensor<float>& t) {
    if (name != "9.bias") w.add(name, t.view());
  });
  CHECK_THROWS_WITH_AS(models::Lenet::load(path), doctest::Contains("no tensor '9.bias'"), Error);
  write_variant([](io::SafeTensorsWriter& w, const std::string& name, const Tensor<float>& t) {
    if (name == "0.weight")
      w.add(name, Tensor<float>({4, 1, 3, 3}).view());
    else
      w.add(name, t.view());
  });
  CHECK_THROWS_WITH_AS(models::Lenet::load(path), doctest::Contains("expects [4, 1, 5, 5]"), Error);
  write_variant([](io::SafeTensorsWriter& w, const std::string& name, const Tensor<float>& t) {
    Tensor<float> c = t;
    if (name == "12.weight") c[3] = std::nanf("");
    w.add(name, c.view());
  });
  CHECK_THROWS_WITH_AS(models::Lenet::load(path), doctest::Contains("non-finite"), Error);
  write_variant([](io::SafeTensorsWriter& w, const std::string& name, const Tensor<float>& t) {
    w.add(name, t.view());
    if (name == "12.bias") w.add("13.weight", t.view());
  });
  CHECK_THROWS_WITH_AS(models::Lenet::load(path), doctest::Contains("'13.weight' does not belong"), Error);
  std::remove(path.c_str());
}

TEST_CASE("Adam's update on every ISA matches the element-by-element formula") {
  // Lengths around every vector width (1, 4, 8, 16) and a long one; Adam
  // (L2 decay through the gradient) and AdamW (decoupled shrink).
  for (bool decoupled : {false, true})
    for (index_t n : {index_t{1}, index_t{3}, index_t{7}, index_t{16}, index_t{17}, index_t{33}, index_t{1000}}) {
      kernels::AdamStep st;
      st.shrink = decoupled ? 0.999f : 1.0f;
      st.l2 = decoupled ? 0.0f : 0.01f;
      st.beta1 = 0.9f;
      st.beta2 = 0.99f;
      st.step_size = 0.003f;
      st.bias_correction2 = 0.3f;
      st.eps = 1e-8f;
      Rng rng(static_cast<std::uint64_t>(n) * 2 + decoupled);
      std::vector<float> w0(static_cast<std::size_t>(n)), g(w0.size()), m0(w0.size()), v0(w0.size());
      for (std::size_t i = 0; i < w0.size(); ++i) {
        w0[i] = rng.normal();
        g[i] = rng.normal();
        m0[i] = 0.1f * rng.normal();
        v0[i] = i % 5 == 0 ? 0.0f : 0.01f * rng.uniform();  // v = 0 too: sqrt(0) / c2 + eps
      }
      std::vector<float> wr = w0, mr = m0, vr = v0;
      for (std::size_t i = 0; i < w0.size(); ++i) {
        const float wi = wr[i] * st.shrink, gi = g[i] + st.l2 * wi;
        mr[i] = st.beta1 * mr[i] + (1.0f - st.beta1) * gi;
        vr[i] = st.beta2 * vr[i] + (1.0f - st.beta2) * gi * gi;
        wr[i] = wi - st.step_size * mr[i] / (std::sqrt(vr[i]) / st.bias_correction2 + st.eps);
      }
      for (simd::Isa isa : test::isas()) {
        simd::IsaScope scope(isa);
        CAPTURE(simd::isa_name(isa));
        CAPTURE(n);
        CAPTURE(decoupled);
        std::vector<float> w = w0, m = m0, v = v0;
        std::vector<float> guard_w = w0;
        kernels::adam_update(w.data(), g.data(), m.data(), v.data(), n, st);
        for (std::size_t i = 0; i < w.size(); ++i) {
          // Rounding only: a compiler may fuse a multiply and an add on an ISA with FMA.
          CHECK(m[i] == doctest::Approx(mr[i]).epsilon(1e-6));
          CHECK(v[i] == doctest::Approx(vr[i]).epsilon(1e-6));
          CHECK(w[i] == doctest::Approx(wr[i]).epsilon(1e-6));
          CHECK(w[i] != guard_w[i]);  // every element was updated
        }
      }
    }
}

TEST_CASE("cross_entropy: finite differences, ignore_index, reductions") {
  Rng rng(5);
  Tensor<float> z({4, 5});
  for (float& v : z) v = rng.uniform(-2.0f, 2.0f);
  Tensor<std::int32_t> t({4}, {1, -100, 4, 0});
  train::CrossEntropyOptions opt;
  opt.label_smoothing = 0.2f;
  const auto r = train::cross_entropy(z, t, opt);
  for (index_t i = 0; i < z.numel(); ++i) {
    Tensor<float> zp = z, zm = z;
    zp[i] += 1e-3f;
    zm[i] -= 1e-3f;
    const double num = (train::cross_entropy(zp, t, opt).loss - train::cross_entropy(zm, t, opt).loss) / 2e-3;
    CHECK(r.grad[i] == doctest::Approx(num).epsilon(1e-2).scale(1e-2));
  }
  for (index_t c = 0; c < 5; ++c) CHECK(r.grad[5 + c] == 0.0f);  // ignored row
  opt.reduction = train::Reduction::sum;
  CHECK(train::cross_entropy(z, t, opt).loss == doctest::Approx(3.0 * r.loss));
  CHECK_THROWS_WITH_AS(train::cross_entropy(z, Tensor<std::int32_t>({4}, {0, 1, 9, 2})), doctest::Contains("out of range"),
                       Error);
}

TEST_CASE("learning-rate schedules") {
  const auto cos = train::LrSchedule::cosine(1.0f, 100, 0.1f);
  CHECK(cos(0) == doctest::Approx(1.0));
  CHECK(cos(50) == doctest::Approx(0.55));
  CHECK(cos(100) == doctest::Approx(0.1));
  const auto warm = train::LrSchedule::cosine(1.0f, 100, 0.0f, 10);
  CHECK(warm(0) == doctest::Approx(0.1));
  CHECK(warm(9) == doctest::Approx(1.0));
  CHECK(warm(60) == doctest::Approx(0.5));
  const auto step = train::LrSchedule::step_decay(1.0f, 30, 0.1f);
  CHECK(step(29) == doctest::Approx(1.0));
  CHECK(step(30) == doctest::Approx(0.1));
  CHECK(step(65) == doctest::Approx(0.01));
  // PyTorch's OneCycleLR(max_lr=1, total_steps=100): 0.04 at step 0, 1 at
  // step 29, 0.04 / 1e4 at step 99.
  const auto one = train::LrSchedule::one_cycle(1.0f, 100);
  CHECK(one(0) == doctest::Approx(0.04));
  CHECK(one(29) == doctest::Approx(1.0));
  CHECK(one(99) == doctest::Approx(4e-6));
  CHECK(one(15) > one(5));
  CHECK(one(60) < one(40));
}

TEST_CASE("clip_grad_norm scales to the global norm") {
  nn::Parameter a, b;
  a.reset({2});
  b.reset({1});
  a.grad[0] = 3.0f;
  a.grad[1] = 0.0f;
  b.grad[0] = 4.0f;
  train::NamedParameters ps{{"a", &a}, {"b", &b}};
  CHECK(train::clip_grad_norm(ps, 10.0) == doctest::Approx(5.0));
  CHECK(a.grad[0] == 3.0f);
  CHECK(train::clip_grad_norm(ps, 1.0) == doctest::Approx(5.0));
  CHECK(a.grad[0] == doctest::Approx(0.6).epsilon(1e-5));
  CHECK(b.grad[0] == doctest::Approx(0.8).epsilon(1e-5));
}

TEST_CASE("TrainLoop runs the given steps, evaluates and saves") {
  train::TrainLoopConfig cfg;
  cfg.total_steps = 10;
  cfg.eval_every = 4;
  cfg.checkpoint_every = 5;
  cfg.progress = false;
  train::TrainLoop loop(cfg);
  std::vector<std::int64_t> steps, evals, saves;
  loop.step = [&](std::int64_t s) {
    steps.push_back(s);
    return train::StepResult{1.0 / static_cast<double>(s + 1), 1};
  };
  loop.evaluate = [&](std::int64_t s) {
    evals.push_back(s);
    return std::string("ok");
  };
  loop.save = [&](std::int64_t s) { saves.push_back(s); };
  loop.run(3);
  CHECK(steps == std::vector<std::int64_t>{3, 4, 5, 6, 7, 8, 9});
  CHECK(evals == std::vector<std::int64_t>{4, 8, 10});
  CHECK(saves == std::vector<std::int64_t>{5, 10});
  CHECK_THROWS_AS(loop.run(11), Error);
  CHECK(train::format_duration(3725) == "1h02m");
}
