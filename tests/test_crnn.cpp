// CRNN: config validation, frame arithmetic against the real output shape,
// backward against finite differences (train and eval mode), padding
// invariance of batched lines, infer() vs forward(), and model files
// (round trip, checkpoint layout, and each rejected file).
#include <doctest/doctest.h>

#include <nnocr/core/file.hpp>
#include <nnocr/io/safetensors.hpp>
#include <nnocr/models/crnn.hpp>
#include <nnocr/train/gradcheck.hpp>

#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <unistd.h>
#include <vector>

// Everything in a namespace of its own: the pipeline-level test files are
// compiled as one unit (tests/CMakeLists.txt, NNOCR_UNITY_TESTS), and their
// helpers and using-directives must not meet.
namespace nnocr_test_crnn {

using namespace nnocr;
using models::Crnn;
using models::CrnnConfig;
namespace fs = std::filesystem;

namespace {

// Height 8, two tiny stages (pools 2x2 then 2x1: frames 2 pixels wide,
// features 2 rows high), one BiLSTM layer of 4, 5 classes.
CrnnConfig tiny_config() {
  CrnnConfig c;
  c.height = 8;
  c.stages = {{2, 1, 2, 2}, {3, 1, 2, 1}};
  c.hidden = 4;
  c.layers = 1;
  c.dropout = 0.0f;
  c.classes = 5;
  return c;
}

using test::ink_lines;

// Runs `batches` training-mode forwards so the BatchNorm running statistics
// look like a trained model's (non-zero means), then switches to eval.
void settle_batch_norm(Crnn& model, Rng& rng, int batches = 30) {
  model.train();
  for (int b = 0; b < batches; ++b) {
    const index_t W = 16;
    model.forward(ink_lines(model.config().height, W, {W, W - 5, W - 2}, rng), {W, W - 5, W - 2}, nullptr);
  }
  model.eval();
}

// The CRNN as a one-tensor Layer (fixed widths) for train::check_gradients.
struct CrnnAsLayer : nn::Layer {
  Crnn& crnn;
  std::vector<index_t> widths;
  CrnnAsLayer(Crnn& c, std::vector<index_t> w) : crnn(c), widths(std::move(w)) { register_module("crnn", crnn); }
  std::string kind() const override { return "CrnnAsLayer"; }
  Tensor<float> forward(const Tensor<float>& x) override { return crnn.forward(x, widths, nullptr); }
  Tensor<float> infer(const Tensor<float>& x) const override { return crnn.infer(x, widths); }
  Tensor<float> backward(const Tensor<float>& dy) override { return crnn.backward(dy); }
};

// train::check_gradients for a network with ReLU and max-pooling kinks:
// an entry passes on the central difference, or, where a kink lies within
// the step (the two one-sided differences disagree), on either one-sided
// difference, which is exact up to O(step) on the side without the kink. A
// wrong gradient matches none of the three. Checks the input and every
// parameter except convolution weights (see the pooled test for why);
// one_sided counts the entries that needed the fallback.
struct KinkTolerantResult {
  double worst_ratio = 0.0;
  std::string worst;
  index_t checked = 0, one_sided = 0;
  bool ok() const { return worst_ratio <= 1.0; }
};

KinkTolerantResult check_gradients_across_kinks(nn::Layer& layer, Tensor<float> x,
                                                const train::GradCheckOptions& options) {
  Rng rng(options.seed, 77);
  const Tensor<float> y = layer.forward(x);
  Tensor<float> r(y.shape());
  for (float& v : r) v = rng.normal();
  layer.zero_grad();
  const Tensor<float> dx = layer.backward(r);
  REQUIRE(dx.shape() == x.shape());
  auto loss = [&] {
    const Tensor<float> out = layer.forward(x);
    double sum = 0.0;
    for (index_t i = 0; i < out.numel(); ++i) sum += static_cast<double>(out[i]) * r[i];
    return sum;
  };
  const double base = loss();
  const double h = static_cast<double>(options.step);
  KinkTolerantResult result;
  auto check_tensor = [&](const std::string& label, float* values, index_t n, const float* analytic) {
    const bool all = n <= options.max_checks_per_tensor;
    for (index_t k = 0; k < (all ? n : options.max_checks_per_tensor); ++k) {
      const index_t i = all ? k : static_cast<index_t>(rng.uniform_index(static_cast<std::uint64_t>(n)));
      const float saved = values[i];
      values[i] = saved + options.step;
      const double plus = loss();
      values[i] = saved - options.step;
      const double minus = loss();
      values[i] = saved;
      const double central = (plus - minus) / (2.0 * h), right = (plus - base) / h, left = (base - minus) / h;
      auto ratio = [&](double numeric) {
        return std::abs(analytic[i] - numeric) / (options.atol + options.rtol * std::abs(numeric));
      };
      double best = ratio(central);
      if (best > 1.0) {
        best = std::min(ratio(right), ratio(left));
        if (best <= 1.0) ++result.one_sided;
      }
      ++result.checked;
      if (best > result.worst_ratio) {
        result.worst_ratio = best;
        result.worst = label + "[" + std::to_string(i) + "]: analytic " + std::to_string(analytic[i]) + ", central " +
                       std::to_string(central) + ", right " + std::to_string(right) + ", left " + std::to_string(left);
      }
    }
  };
  check_tensor("input", x.data(), x.numel(), dx.data());
  for (auto& [name, p] : layer.named_parameters()) {
    if (name.find("crnn.cnn.") == 0 && p->value.rank() == 4) continue;  // convolution weights
    const Tensor<float> analytic = p->grad;
    check_tensor(name, p->value.data(), p->numel(), analytic.data());
  }
  return result;
}

using test::TempDir;

std::string load_error(const std::string& path) {
  try {
    models::load_crnn(path);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("CrnnConfig: validate() rejects each bad field with nnocr::Error") {
  CHECK_NOTHROW(CrnnConfig().validate());
  CHECK_NOTHROW(tiny_config().validate());
  struct Bad {
    const char* what;
    void (*edit)(CrnnConfig&);
    const char* message;
  };
  const Bad bad[] = {
      {"height 0", [](CrnnConfig& c) { c.height = 0; }, "height 0 is outside [1, 1024]"},
      {"height 1025", [](CrnnConfig& c) { c.height = 1025; }, "height 1025"},
      {"no stages", [](CrnnConfig& c) { c.stages.clear(); }, "needs 1 to 16 conv stages, got 0"},
      {"17 stages",
       [](CrnnConfig& c) {
         c.stages.assign(17, {1, 1, 1, 1});
       },
       "got 17"},
      {"channels 0", [](CrnnConfig& c) { c.stages[1].channels = 0; }, "stage 1 (channels 0"},
      {"channels 4097", [](CrnnConfig& c) { c.stages[0].channels = 4097; }, "stage 0"},
      {"convs 0", [](CrnnConfig& c) { c.stages[0].convs = 0; }, "out of range"},
      {"convs 9", [](CrnnConfig& c) { c.stages[0].convs = 9; }, "out of range"},
      {"pool_h 0", [](CrnnConfig& c) { c.stages[0].pool_h = 0; }, "pool 0x2"},
      {"pool_w 0", [](CrnnConfig& c) { c.stages[1].pool_w = 0; }, "pool 2x0"},
      {"pool_w 9", [](CrnnConfig& c) { c.stages[1].pool_w = 9; }, "out of range"},
      {"pools too tall",
       [](CrnnConfig& c) {
         c.stages.push_back({4, 1, 4, 1});
       },
       "reduce height 8 to nothing at stage 2"},
      {"hidden 0", [](CrnnConfig& c) { c.hidden = 0; }, "LSTM hidden 0"},
      {"layers 0", [](CrnnConfig& c) { c.layers = 0; }, "layers 0"},
      {"layers 9", [](CrnnConfig& c) { c.layers = 9; }, "layers 9"},
      {"dropout -0.1", [](CrnnConfig& c) { c.dropout = -0.1f; }, "dropout"},
      {"dropout 1", [](CrnnConfig& c) { c.dropout = 1.0f; }, "dropout 1 is outside [0, 1)"},
      {"dropout NaN", [](CrnnConfig& c) { c.dropout = std::numeric_limits<float>::quiet_NaN(); }, "dropout"},
      {"classes 1", [](CrnnConfig& c) { c.classes = 1; }, "classes 1 is outside [2, 1000000]"},
  };
  for (const Bad& b : bad) {
    CrnnConfig c = tiny_config();
    b.edit(c);
    const std::string what = b.what;
    INFO(what);
    CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains(b.message), Error);
    Rng rng(1);
    CHECK_THROWS_AS(Crnn(c, rng), Error);  // the constructor validates first
  }
  // Pools that reduce the height to exactly 1 are fine.
  CrnnConfig one_row = tiny_config();
  one_row.stages.push_back({4, 1, 2, 1});
  CHECK_NOTHROW(one_row.validate());
  CHECK(one_row.feature_height() == 1);
}

TEST_CASE("CrnnConfig: JSON round trip and rejected architectures") {
  CrnnConfig c = tiny_config();
  c.stages[1].convs = 2;
  c.dropout = 0.25f;
  const CrnnConfig back = CrnnConfig::from_json(io::parse_json(io::to_json(c.to_json())));
  CHECK(back.height == c.height);
  REQUIRE(back.stages.size() == 2);
  CHECK(back.stages[1].channels == 3);
  CHECK(back.stages[1].convs == 2);
  CHECK(back.stages[0].pool_h == 2);
  CHECK(back.stages[1].pool_w == 1);
  CHECK(back.hidden == 4);
  CHECK(back.layers == 1);
  CHECK(back.dropout == 0.25f);
  CHECK(back.classes == 5);
  CHECK(io::to_json(back.to_json()) == io::to_json(c.to_json()));

  io::Json lenet = c.to_json();
  lenet.set("type", "lenet");
  CHECK_THROWS_WITH_AS(CrnnConfig::from_json(lenet), doctest::Contains("'lenet' is not crnn"), Error);
  io::Json negative = c.to_json();
  negative.set("hidden", index_t{-3});
  CHECK_THROWS_WITH_AS(CrnnConfig::from_json(negative), doctest::Contains("hidden = -3 is out of range"), Error);
  io::Json invalid = c.to_json();
  invalid.set("classes", index_t{1});  // in range for JSON, rejected by validate()
  CHECK_THROWS_WITH_AS(CrnnConfig::from_json(invalid), doctest::Contains("classes 1"), Error);
}

TEST_CASE("Crnn: frames, frame width and feature size match the forward output [T, N, C]") {
  struct Case {
    CrnnConfig config;
    index_t frame_width, feature_height, feature_size;
  };
  CrnnConfig wide = tiny_config();  // frame width 1 (no horizontal pooling), two convs per stage
  wide.height = 12;
  wide.stages = {{2, 2, 2, 1}, {3, 1, 3, 1}};
  CrnnConfig three = tiny_config();  // frame width 2 * 3 * 1, feature height 16 / 2 / 2 / 1 = 4
  three.height = 16;
  three.stages = {{2, 1, 2, 2}, {2, 1, 2, 3}, {3, 1, 1, 1}};
  three.layers = 2;
  const Case cases[] = {{tiny_config(), 2, 2, 6}, {wide, 1, 2, 6}, {three, 6, 4, 12}};
  Rng rng(5);
  for (const Case& c : cases) {
    const CrnnConfig& cfg = c.config;
    CHECK(cfg.frame_width() == c.frame_width);
    CHECK(cfg.feature_height() == c.feature_height);
    CHECK(cfg.feature_size() == c.feature_size);
    Crnn model(cfg, rng);
    CHECK(model.rnn.config().input_size == cfg.feature_size());
    for (const index_t W : {c.frame_width, 3 * c.frame_width, 3 * c.frame_width + c.frame_width - 1, index_t{13}}) {
      const std::vector<index_t> widths = {W, 0, std::max<index_t>(1, W / 2)};
      INFO("frame width ", c.frame_width, ", W ", W);
      const Tensor<float> x = ink_lines(cfg.height, W, widths, rng);
      std::vector<index_t> frames;
      model.train();
      const Tensor<float> y = model.forward(x, widths, &frames);
      const index_t T = W / c.frame_width;
      CHECK(y.shape() == Shape{T, 3, cfg.classes});
      REQUIRE(frames.size() == 3);
      for (std::size_t n = 0; n < 3; ++n) CHECK(frames[n] == std::min(T, cfg.frames(widths[n])));
      CHECK(frames[1] == 0);
      // The features the LSTM reads: [N, C, H', W'] -> C H' values per frame.
      const Tensor<float> f = model.cnn.infer(x);
      CHECK(f.shape() == Shape{3, cfg.stages.back().channels, cfg.feature_height(), T});
      model.eval();
      std::vector<index_t> inferred_frames;
      CHECK(model.infer(x, widths, &inferred_frames).shape() == y.shape());
      CHECK(inferred_frames == frames);
      CHECK(model.frame_lengths(x, widths) == frames);
    }
  }
}

TEST_CASE("Crnn: frame_lengths for variable widths, and shape errors") {
  const CrnnConfig cfg = tiny_config();  // frame width 2
  CHECK(cfg.frames(0) == 0);
  CHECK(cfg.frames(1) == 1);
  CHECK(cfg.frames(2) == 1);
  CHECK(cfg.frames(3) == 2);
  CHECK(cfg.frames(8) == 4);
  CHECK(cfg.frames(9) == 5);
  Rng rng(6);
  Crnn model(cfg, rng);
  const Tensor<float> x({4, 1, 8, 10});
  CHECK(model.frame_lengths(x, {10, 9, 1, 0}) == std::vector<index_t>{5, 5, 1, 0});
  // A padded width that is not a multiple of the frame width: the last,
  // partial frame is cut, and lines are clamped to the T = 3 frames there are.
  const Tensor<float> odd({2, 1, 8, 7});
  CHECK(model.frame_lengths(odd, {7, 5}) == std::vector<index_t>{3, 3});
  CHECK(model.forward(odd, {7, 5}, nullptr).size(0) == 3);

  CHECK_THROWS_WITH_AS(model.frame_lengths(Tensor<float>({2, 1, 16, 10}), {10, 10}),
                       doctest::Contains("expected images [N, 1, 8, W], got [2, 1, 16, 10]"), Error);
  CHECK_THROWS_WITH_AS(model.frame_lengths(Tensor<float>({2, 3, 8, 10}), {10, 10}), doctest::Contains("[N, 1, 8, W]"),
                       Error);
  CHECK_THROWS_WITH_AS(model.frame_lengths(Tensor<float>({2, 8, 10}), {10, 10}), doctest::Contains("[N, 1, 8, W]"),
                       Error);
  CHECK_THROWS_WITH_AS(model.frame_lengths(x, {10, 10}), doctest::Contains("2 widths for 4 images"), Error);
  CHECK_THROWS_WITH_AS(model.frame_lengths(x, {10, 11, 1, 1}), doctest::Contains("width 11 of line 1"), Error);
  CHECK_THROWS_WITH_AS(model.frame_lengths(x, {10, -1, 1, 1}), doctest::Contains("outside [0, 10]"), Error);
  CHECK_THROWS_WITH_AS(model.infer(Tensor<float>({1, 1, 8, 1}), {1}),
                       doctest::Contains("narrower than one frame (2 pixels)"), Error);
  Crnn fresh(cfg, rng);
  CHECK_THROWS_WITH_AS(fresh.backward(Tensor<float>({5, 4, 5})), doctest::Contains("without a forward"), Error);
}

TEST_CASE("Crnn backward matches finite differences: every parameter of a stack without pooling") {
  // Without max pooling, and with the BatchNorm shifts (beta) at 3 so that
  // every ReLU input stays on its linear side, the CRNN is smooth and the
  // library's checker applies as is: the input and every parameter (convs,
  // BatchNorm, LSTM, classifier), in train mode (batch statistics, which
  // each perturbed forward recomputes; dropout 0) and in eval mode (running
  // statistics). The second line is shorter: its padding frames are masked.
  CrnnConfig cfg = tiny_config();
  cfg.height = 4;
  cfg.stages = {{2, 1, 1, 1}, {3, 2, 1, 1}};  // pools 1 x 1: no MaxPool layers
  Rng rng(7);
  Crnn model(cfg, rng);
  CHECK(cfg.frame_width() == 1);
  CHECK(cfg.feature_size() == 12);
  for (auto& [name, p] : model.named_parameters())
    if (name.find("cnn.") == 0 && name.find(".bias") != std::string::npos) p->value.fill(3.0f);
  CrnnAsLayer layer(model, {6, 4});
  const Tensor<float> x = ink_lines(cfg.height, 6, {6, 4}, rng);
  train::GradCheckOptions options;
  options.step = 1e-3f;
  options.max_checks_per_tensor = 24;
  layer.train();
  const auto trained = train::check_gradients(layer, x, options);
  INFO("train mode: worst ", trained.worst, " (ratio ", trained.worst_ratio, ")");
  CHECK(trained.checked > 200);
  CHECK(trained.ok());

  settle_batch_norm(model, rng);  // running statistics like a trained model's
  layer.eval();
  const auto evaluated = train::check_gradients(layer, x, options);
  INFO("eval mode: worst ", evaluated.worst, " (ratio ", evaluated.worst_ratio, ")");
  CHECK(evaluated.checked > 200);
  CHECK(evaluated.ok());
}

TEST_CASE("Crnn backward matches finite differences: pooled stack (height 8, pools 2x2 and 2x1)") {
  // The real shape: frames 2 pixels wide, features 2 rows high, ReLUs and
  // max pooling with their kinks. Lines are inked over the whole padded
  // width (the second is still 7 pixels wide for the LSTM): blank padding
  // gives exact max-pooling ties, where the gradient is only one of many
  // subgradients. Conv weights are left to the test above: each moves every
  // value of its channel, so kinks lie within any usable step.
  Rng rng(17);
  Crnn model(tiny_config(), rng);
  CrnnAsLayer layer(model, {12, 7});
  const Tensor<float> x = ink_lines(8, 12, {12, 12}, rng);
  train::GradCheckOptions options;
  options.step = 1e-3f;
  options.max_checks_per_tensor = 24;
  layer.train();
  const auto trained = check_gradients_across_kinks(layer, x, options);
  INFO("train mode: worst ", trained.worst, " (ratio ", trained.worst_ratio, "), one-sided ", trained.one_sided, " of ",
       trained.checked);
  CHECK(trained.checked > 200);
  CHECK(trained.one_sided * 10 < trained.checked);
  CHECK(trained.ok());

  settle_batch_norm(model, rng);
  layer.eval();
  const auto evaluated = check_gradients_across_kinks(layer, x, options);
  INFO("eval mode: worst ", evaluated.worst, " (ratio ", evaluated.worst_ratio, "), one-sided ", evaluated.one_sided,
       " of ", evaluated.checked);
  CHECK(evaluated.checked > 200);
  CHECK(evaluated.one_sided * 10 < evaluated.checked);
  CHECK(evaluated.ok());
}

TEST_CASE("Crnn backward: the kink-tolerant check still sees a wrong gradient") {
  // The pooled set-up above with a backward that returns 1.5 times the
  // image gradient, or forgets one LSTM weight's gradient: both must fail.
  struct Scaled : CrnnAsLayer {
    using CrnnAsLayer::CrnnAsLayer;
    Tensor<float> backward(const Tensor<float>& dy) override {
      Tensor<float> dx = crnn.backward(dy);
      for (float& v : dx) v *= 1.5f;
      return dx;
    }
  };
  struct Forgetful : CrnnAsLayer {
    using CrnnAsLayer::CrnnAsLayer;
    Tensor<float> backward(const Tensor<float>& dy) override {
      Tensor<float> dx = crnn.backward(dy);
      for (auto& [name, p] : crnn.named_parameters())
        if (name.find("rnn.") == 0) {
          p->grad.fill(0.0f);
          break;
        }
      return dx;
    }
  };
  Rng rng(17);
  Crnn model(tiny_config(), rng);
  const Tensor<float> x = ink_lines(8, 12, {12, 12}, rng);
  train::GradCheckOptions options;
  options.step = 1e-3f;
  options.max_checks_per_tensor = 8;
  Scaled scaled(model, {12, 7});
  scaled.train();
  const auto a = check_gradients_across_kinks(scaled, x, options);
  CHECK(!a.ok());
  CHECK(a.worst.find("input") == 0);
  Forgetful forgetful(model, {12, 7});
  forgetful.train();
  const auto b = check_gradients_across_kinks(forgetful, x, options);
  CHECK(!b.ok());
  CHECK(b.worst.find("crnn.rnn.") == 0);
}

TEST_CASE("Crnn: padding frames never reach the recurrence") {
  // With BatchNorm mapping blank paper to 0 (zero shift: running mean 0,
  // bias 0, as in a fresh model) the padding's features are 0 whether they
  // come from the batch's padding or from the convolutions' own zero
  // padding, so any difference in a line's logits would come from the LSTM
  // reading frames past the line's end (its reverse direction starts there).
  CrnnConfig cfg = tiny_config();
  cfg.layers = 2;
  Rng rng(9);
  Crnn model(cfg, rng);
  for (auto& [name, b] : model.named_buffers())
    if (name.find("running_var") != std::string::npos)
      for (float& v : *b) v = rng.uniform(0.5f, 2.0f);
  for (auto& [name, p] : model.named_parameters())
    if (name.find("cnn.") == 0 && name.find(".weight") != std::string::npos && p->value.rank() == 1)
      for (float& v : p->value) v = rng.uniform(0.5f, 1.5f);  // BatchNorm gamma
  model.eval();
  const index_t w = 7, padded = 8, wide = 20;  // 7 pixels -> 4 frames of 2
  const Tensor<float> both = ink_lines(cfg.height, wide, {w, wide}, rng);
  Tensor<float> alone({1, 1, cfg.height, padded}, 0.0f);
  for (index_t y = 0; y < cfg.height; ++y)
    for (index_t i = 0; i < w; ++i) alone(0, 0, y, i) = both(0, 0, y, i);
  std::vector<index_t> f_alone, f_both;
  const Tensor<float> a = model.infer(alone, {w}, &f_alone);
  const Tensor<float> b = model.infer(both, {w, wide}, &f_both);
  REQUIRE(f_alone == std::vector<index_t>{4});
  REQUIRE(f_both == std::vector<index_t>{4, 10});
  double worst = 0.0;
  for (index_t t = 0; t < 4; ++t)
    for (index_t c = 0; c < cfg.classes; ++c)
      worst = std::max(worst, std::abs(static_cast<double>(a(t, 0, c)) - b(t, 0, c)));
  CHECK(worst < 1e-6);
  // The check can fail: the same line with its padding filled with ink
  // (beyond its width, so the LSTM still stops at frame 4) reads differently:
  // the first convolution's window at the line's last column reaches the
  // ink next to it. (Ink further away is masked after the first layer.)
  Tensor<float> smudged = both;
  for (index_t y = 0; y < cfg.height; ++y)
    for (index_t i = w; i < wide; ++i) smudged(0, 0, y, i) = 1.0f;
  const Tensor<float> s = model.infer(smudged, {w, wide});
  double moved = 0.0;
  for (index_t t = 0; t < 4; ++t)
    for (index_t c = 0; c < cfg.classes; ++c)
      moved = std::max(moved, std::abs(static_cast<double>(s(t, 0, c)) - b(t, 0, c)));
  CHECK(moved > 1e-5);
}

TEST_CASE("Crnn: a line's logits do not depend on the lines batched with it (eval mode)") {
  // The same line alone (padded to a whole frame, as make_line_batch does)
  // and batched with a wider line, after training-mode forwards have given
  // BatchNorm running statistics like a trained model's.
  // Fails with crnn.hpp as of this writing (difference ~6e-3, largest at the
  // last frame): past a line's width the batch's padding is blank paper
  // (0), but after the first BatchNorm + ReLU it is no longer 0, while a
  // line alone sees the next convolution's zero padding there. The last
  // frames' receptive fields reach past the line's end, and the reverse
  // LSTM carries the difference to every frame.
  CrnnConfig cfg = tiny_config();
  cfg.layers = 2;
  Rng rng(10);
  Crnn model(cfg, rng);
  settle_batch_norm(model, rng);
  const index_t w = 7, padded = 8, wide = 20;
  const Tensor<float> both = ink_lines(cfg.height, wide, {w, wide}, rng);
  Tensor<float> alone({1, 1, cfg.height, padded}, 0.0f);
  for (index_t y = 0; y < cfg.height; ++y)
    for (index_t i = 0; i < w; ++i) alone(0, 0, y, i) = both(0, 0, y, i);
  std::vector<index_t> f_alone, f_both;
  const Tensor<float> a = model.infer(alone, {w}, &f_alone);
  const Tensor<float> b = model.infer(both, {w, wide}, &f_both);
  REQUIRE(f_alone == std::vector<index_t>{4});
  REQUIRE(f_both == std::vector<index_t>{4, 10});
  double worst = 0.0;
  index_t worst_t = -1;
  for (index_t t = 0; t < 4; ++t)
    for (index_t c = 0; c < cfg.classes; ++c) {
      const double d = std::abs(static_cast<double>(a(t, 0, c)) - b(t, 0, c));
      if (d > worst) {
        worst = d;
        worst_t = t;
      }
    }
  INFO("largest difference ", worst, " at frame ", worst_t);
  CHECK(worst < 1e-4);
}

TEST_CASE("conv_stack_infer: pools fused into the convolutions equal the layers one by one, bit for bit") {
  // Stages like the bundled model's (pools 2x2 and 2x1, two convolutions in
  // one stage), odd heights (the pools' floor), a stack that ends without a
  // pool, lines of different widths in one batch (the padding is zeroed
  // before each pool, as between layers), and lines wide enough that the
  // first convolution runs in several bands of rows.
  struct Case {
    index_t height;
    std::vector<models::ConvStage> stages;
    index_t W;
    std::vector<index_t> widths;
  };
  const std::vector<Case> cases = {
      {32, {{8, 1, 2, 2}, {12, 2, 2, 2}, {16, 1, 2, 1}, {8, 1, 2, 1}}, 600, {600, 333, 17}},
      {13, {{5, 1, 2, 2}, {6, 1, 2, 1}, {4, 1, 1, 1}}, 41, {41, 40, 9, 1}},
      {9, {{3, 1, 3, 2}, {4, 1, 1, 2}}, 12, {12, 7}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.height);
    Rng rng(41);
    nn::Sequential cnn;
    models::build_conv_stack(cnn, c.stages, rng);
    // Non-trivial eval statistics (non-zero means, varied scales).
    for (std::size_t i = 0; i < cnn.size(); ++i)
      if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(&cnn[i])) {
        for (float& v : bn->running_mean) v = rng.uniform(-0.5f, 0.5f);
        for (float& v : bn->running_var) v = rng.uniform(0.2f, 2.0f);
        for (float& v : bn->weight.value) v = rng.uniform(0.5f, 1.5f);
        for (float& v : bn->bias.value) v = rng.uniform(-0.3f, 0.3f);
      }
    cnn.eval();
    const Tensor<float> x = ink_lines(c.height, c.W, c.widths, rng);
    const Tensor<float> fused = models::conv_stack_infer(cnn, x, c.widths);
    // The references, with the padding zeroed after each step: (1) each
    // conv -> BatchNorm -> ReLU as one Conv2d::infer_affine, then the pool
    // on its own (the same arithmetic: equal bit for bit); (2) every
    // layer's own infer() (BatchNorm not folded: equal up to rounding).
    Tensor<float> ref = x, plain = x;
    std::vector<index_t> w = c.widths, wp = c.widths;
    std::vector<float> scale, shift;
    for (std::size_t i = 0; i < cnn.size(); ++i) {
      const index_t W_in = ref.size(3);
      if (const auto* conv = dynamic_cast<const nn::Conv2d*>(&cnn[i])) {
        dynamic_cast<const nn::BatchNorm2d&>(cnn[i + 1]).eval_affine(scale, shift);
        ref = conv->infer_affine(ref, scale.data(), shift.data(), true);
        i += 2;  // the BatchNorm and the ReLU
      } else {
        ref = cnn[i].infer(ref);
      }
      w = models::detail::scaled_widths(w, W_in, ref.size(3));
      models::detail::mask_padding(ref, w);
    }
    for (std::size_t i = 0; i < cnn.size(); ++i) {
      const index_t W_in = plain.size(3);
      plain = cnn[i].infer(plain);
      wp = models::detail::scaled_widths(wp, W_in, plain.size(3));
      models::detail::mask_padding(plain, wp);
    }
    REQUIRE(fused.shape() == ref.shape());
    index_t differing = 0;
    for (index_t i = 0; i < ref.numel(); ++i) differing += fused[i] != ref[i];
    CHECK(differing == 0);
    CHECK(test::max_abs_difference(fused, plain) < 1e-4);
  }
}

TEST_CASE("Crnn: infer() equals forward() in eval mode") {
  CrnnConfig cfg = tiny_config();
  cfg.layers = 2;
  cfg.dropout = 0.5f;
  Rng rng(11);
  Crnn model(cfg, rng);
  settle_batch_norm(model, rng);
  const std::vector<index_t> widths = {14, 9, 3};
  const Tensor<float> x = ink_lines(cfg.height, 14, widths, rng);
  model.eval();
  std::vector<index_t> f1, f2;
  const Tensor<float> inferred = model.infer(x, widths, &f1);
  const Tensor<float> forwarded = model.forward(x, widths, &f2);
  CHECK(f1 == f2);
  CHECK(test::max_abs_difference(inferred, forwarded) < 1e-5);
  CHECK(test::max_abs_difference(model.forward(x, widths, nullptr), forwarded) == 0.0);  // no dropout in eval
  // infer() keeps eval behaviour in training mode; forward() there differs
  // (batch statistics and dropout), so the comparison above is not vacuous.
  model.train();
  CHECK(test::max_abs_difference(model.infer(x, widths), inferred) == 0.0);
  const Tensor<float> trained = model.forward(x, widths, nullptr);
  CHECK(test::max_abs_difference(trained, inferred) > 1e-3);
}

TEST_CASE("save_crnn / load_crnn: config, charset, metadata and logits survive") {
  TempDir dir;
  CrnnConfig cfg = tiny_config();
  cfg.stages[0].convs = 2;
  cfg.dropout = 0.125f;
  Rng rng(12);
  Crnn model(cfg, rng);
  settle_batch_norm(model, rng);  // non-default buffers, so losing them would show
  const data::Charset charset = data::Charset::from_characters("a \xc3\xa9\\");  // a, space, é, backslash
  REQUIRE(charset.size() == cfg.classes);
  const std::string path = dir.file("model.safetensors");
  model.train();  // the file is the same in either mode; the loaded model is in eval mode
  models::save_crnn(path, model, charset, {{"nnocr.training.steps", "1234"}, {"note", "tiny model"}});

  const models::CrnnFile loaded = models::load_crnn(path);
  REQUIRE(loaded.model != nullptr);
  const CrnnConfig& lc = loaded.model->config();
  CHECK(io::to_json(lc.to_json()) == io::to_json(cfg.to_json()));
  CHECK(lc.height == cfg.height);
  REQUIRE(lc.stages.size() == cfg.stages.size());
  CHECK(lc.stages[0].convs == 2);
  CHECK(lc.dropout == cfg.dropout);
  CHECK(lc.classes == cfg.classes);
  CHECK(loaded.charset.size() == charset.size());
  CHECK(loaded.charset.to_string() == charset.to_string());
  CHECK(loaded.charset.entry(2) == " ");
  CHECK(loaded.charset.entry(3) == "\xc3\xa9");
  auto find = [&](const std::string& key) -> std::string {
    for (const auto& [k, v] : loaded.metadata)
      if (k == key) return v;
    return "(missing)";
  };
  CHECK(find("nnocr.training.steps") == "1234");
  CHECK(find("note") == "tiny model");
  CHECK(find("nnocr.charset") == charset.to_string());
  CHECK(find("nnocr.architecture") == io::to_json(cfg.to_json()));
  CHECK(!loaded.model->training());

  model.eval();
  const std::vector<index_t> widths = {12, 5};
  const Tensor<float> x = ink_lines(cfg.height, 12, widths, rng);
  const Tensor<float> before = model.infer(x, widths);
  const Tensor<float> after = loaded.model->infer(x, widths);
  CHECK(std::equal(before.begin(), before.end(), after.begin(), after.end()));
  const auto original_buffers = model.named_buffers();
  const auto loaded_buffers = loaded.model->named_buffers();
  REQUIRE(original_buffers.size() == loaded_buffers.size());
  for (std::size_t i = 0; i < original_buffers.size(); ++i) {
    const std::string name = original_buffers[i].first;
    INFO(name);
    CHECK(test::max_abs_difference(*original_buffers[i].second, *loaded_buffers[i].second) == 0.0);
  }

  // A checkpoint (tensors under "model.", optimizer state beside them) loads the same weights.
  io::SafeTensorsWriter writer;
  writer.set_metadata("nnocr.architecture", io::to_json(cfg.to_json()));
  writer.set_metadata("nnocr.charset", charset.to_string());
  writer.set_metadata("nnocr.checkpoint.step", "77");
  io::add_module_tensors(writer, model, "model.");
  const Tensor<float> moment({3}, 0.5f);
  writer.add("optimizer.moment", moment.view());
  writer.save(dir.file("checkpoint.safetensors"));
  const models::CrnnFile ck = models::load_crnn(dir.file("checkpoint.safetensors"));
  const Tensor<float> from_checkpoint = ck.model->infer(x, widths);
  CHECK(std::equal(before.begin(), before.end(), from_checkpoint.begin(), from_checkpoint.end()));

  CHECK_THROWS_WITH_AS(models::save_crnn(dir.file("bad.safetensors"), model, data::Charset::from_characters("ab")),
                       doctest::Contains("the charset has 3 classes, the model 5"), Error);
  CHECK(!fs::exists(dir.file("bad.safetensors")));
}

TEST_CASE("load_crnn: truncated, corrupted and mismatched files are errors naming the file") {
  TempDir dir;
  const CrnnConfig cfg = tiny_config();
  Rng rng(13);
  Crnn model(cfg, rng);
  const data::Charset charset = data::Charset::from_characters("abcd");
  const std::string good = dir.file("good.safetensors");
  models::save_crnn(good, model, charset);
  const std::vector<std::uint8_t> bytes = read_file(good);
  REQUIRE(bytes.size() > 64);
  std::uint64_t header = 0;
  for (int i = 0; i < 8; ++i) header |= static_cast<std::uint64_t>(bytes[static_cast<std::size_t>(i)]) << (8 * i);
  REQUIRE(header + 8 < bytes.size());

  auto expect_error = [&](const std::string& label, const std::vector<std::uint8_t>& content, const char* message) {
    const std::string path = dir.file(label + ".safetensors");
    write_file_atomic(path, content);
    const std::string error = load_error(path);
    INFO(label, ": ", error);
    CHECK(!error.empty());
    CHECK(error.find(path) != std::string::npos);
    CHECK(error.find(message) != std::string::npos);
  };
  auto prefix = [&](std::size_t n) {
    return std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
  };
  expect_error("empty", {}, "too short");
  expect_error("cut_in_length", prefix(5), "too short");
  expect_error("cut_in_header", prefix(8 + static_cast<std::size_t>(header) / 2), "past the end of the file");
  expect_error("cut_in_data", prefix(bytes.size() / 2 + static_cast<std::size_t>(header) / 2), "past the data buffer");
  expect_error("cut_last_byte", prefix(bytes.size() - 1), "past the data buffer");
  std::vector<std::uint8_t> garbled = bytes;
  garbled[8] = '[';  // the header is no longer a JSON object
  expect_error("garbled_header", garbled, "JSON object");
  std::vector<std::uint8_t> huge = bytes;
  huge[7] = 0x7f;  // header length far past the end of the file
  expect_error("huge_header_length", huge, "header length");
  std::vector<std::uint8_t> extra = bytes;
  extra.push_back(0);  // one byte more than the tensors cover
  expect_error("trailing_byte", extra, "belong to no tensor");

  // Well-formed safetensors files that are not (valid) CRNN model files.
  auto save_with = [&](const std::string& name, io::Metadata metadata) {
    const std::string path = dir.file(name + ".safetensors");
    io::save_module(path, model, metadata);
    const std::string error = load_error(path);
    INFO(name, ": ", error);
    CHECK(error.find(path) != std::string::npos);
    return error;
  };
  const std::string arch = io::to_json(cfg.to_json());
  CHECK(save_with("no_metadata", {}).find("no 'nnocr.architecture'") != std::string::npos);
  CHECK(save_with("no_charset", {{"nnocr.architecture", arch}}).find("no 'nnocr.charset'") != std::string::npos);
  CHECK(save_with("bad_json", {{"nnocr.architecture", "{\"type\": "}, {"nnocr.charset", charset.to_string()}})
            .find("architecture") != std::string::npos);
  io::Json lenet = cfg.to_json();
  lenet.set("type", "lenet");
  CHECK(save_with("lenet", {{"nnocr.architecture", io::to_json(lenet)}, {"nnocr.charset", charset.to_string()}})
            .find("'lenet' is not crnn") != std::string::npos);
  io::Json no_classes = cfg.to_json();
  no_classes.set("classes", index_t{1});
  CHECK(save_with("invalid_config",
                  {{"nnocr.architecture", io::to_json(no_classes)}, {"nnocr.charset", charset.to_string()}})
            .find("classes 1") != std::string::npos);
  CHECK(save_with("bad_charset", {{"nnocr.architecture", arch}, {"nnocr.charset", "not a charset"}})
            .find("charset string") != std::string::npos);
  CHECK(save_with("charset_size",
                  {{"nnocr.architecture", arch}, {"nnocr.charset", data::Charset::from_characters("ab").to_string()}})
            .find("the charset has 3 classes, the architecture 5") != std::string::npos);
  // The architecture says hidden 3; the tensors are for hidden 4.
  io::Json other = cfg.to_json();
  other.set("hidden", index_t{3});
  CHECK(save_with("wrong_shapes", {{"nnocr.architecture", io::to_json(other)}, {"nnocr.charset", charset.to_string()}})
            .find("rnn.") != std::string::npos);
  // A weight that is not finite.
  model.fc.weight.value[3] = std::numeric_limits<float>::quiet_NaN();
  models::save_crnn(dir.file("nan.safetensors"), model, charset);
  CHECK(load_error(dir.file("nan.safetensors")).find("non-finite") != std::string::npos);
  CHECK(load_error(dir.file("missing.safetensors")).find("missing.safetensors") != std::string::npos);
}

}  // namespace nnocr_test_crnn
