// Layers against PyTorch: forward outputs, input gradients and parameter
// gradients for the cases in tests/data/golden/nn_layers.safetensors, made
// by tests/golden/make_golden.py with Debian's python3-torch (weights are
// copied in by name, as a user would load a PyTorch export).
#include <doctest/doctest.h>

#include <cmath>
#include <nnocr/io/json.hpp>
#include <nnocr/io/safetensors.hpp>
#include <nnocr/nn/nn.hpp>
#include <nnocr/train/loss.hpp>
#include <nnocr/train/optim.hpp>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace nnocr;

namespace {

const io::SafeTensorsFile& golden() { return test::golden_file("nn_layers.safetensors"); }
io::Json config_of(const std::string& name) { return test::golden_config(golden(), name); }

nn::Size2 size2(const io::Json& j) { return {j.at(0).as_int(), j.at(1).as_int()}; }

using test::max_error;

// Loads the case's parameters, runs forward and backward, compares all.
void check_case(nn::Layer& layer, const std::string& name, double tol = 1e-5) {
  const auto& g = golden();
  for (auto& [pname, p] : layer.named_parameters()) p->value = g.to_float(name + "." + pname, p->value.shape());
  for (auto& [bname, b] : layer.named_buffers())
    if (g.has(name + "." + bname) && !layer.training()) *b = g.to_float(name + "." + bname, b->shape());
  layer.zero_grad();
  const Tensor<float> y = layer.forward(g.to_float(name + ".x"));
  const Tensor<float> dx = layer.backward(g.to_float(name + ".dy"));
  INFO(name, " ", layer.describe());
  CHECK(max_error(y, g.to_float(name + ".y")) < tol);
  CHECK(max_error(dx, g.to_float(name + ".dx")) < tol);
  for (auto& [pname, p] : layer.named_parameters()) {
    const std::string param_name = pname;
    INFO("gradient of ", param_name);
    CHECK(max_error(p->grad, g.to_float(name + ".d" + pname)) < tol);
  }
  if (layer.training())
    for (auto& [bname, b] : layer.named_buffers())
      if (g.has(name + "." + bname)) {
        const std::string buffer_name = bname;
        INFO("buffer ", buffer_name);
        CHECK(max_error(*b, g.to_float(name + "." + bname)) < tol);
      }
}

}  // namespace

TEST_CASE("Conv2d matches PyTorch") {
  Rng rng(1);
  for (int i = 0; i < 5; ++i) {
    const std::string name = "conv" + std::to_string(i);
    const io::Json c = config_of(name);
    nn::Conv2dConfig cfg;
    cfg.in_channels = c.at("cin").as_int();
    cfg.out_channels = c.at("cout").as_int();
    cfg.kernel = size2(c.at("k"));
    cfg.stride = size2(c.at("s"));
    cfg.padding = size2(c.at("p"));
    cfg.dilation = size2(c.at("d"));
    cfg.groups = c.at("g").as_int();
    nn::Conv2d conv(cfg, rng);
    for (simd::Isa isa : test::isas()) {
      simd::IsaScope scope(isa);
      INFO(test::isa_label(isa));
      check_case(conv, name);
    }
  }
}

TEST_CASE("BatchNorm2d matches PyTorch in train and eval modes") {
  nn::BatchNorm2d train_bn(3);
  check_case(train_bn, "bn_train");
  nn::BatchNorm2d eval_bn(3);
  eval_bn.eval();
  check_case(eval_bn, "bn_eval");
}

TEST_CASE("Pooling matches PyTorch") {
  for (int i = 0; i < 7; ++i) {
    const std::string name = "pool" + std::to_string(i);
    const io::Json c = config_of(name);
    nn::Pool2dConfig cfg;
    cfg.kernel = size2(c.at("k"));
    cfg.stride = size2(c.at("s"));
    cfg.padding = size2(c.at("p"));
    if (c.at("kind").as_string() == "max") {
      nn::MaxPool2d pool(cfg);
      check_case(pool, name);
    } else {
      cfg.count_include_pad = c.at("count_include_pad").as_bool();
      nn::AvgPool2d pool(cfg);
      check_case(pool, name);
    }
  }
}

TEST_CASE("LayerNorm and Linear match PyTorch") {
  nn::LayerNorm ln(7);
  check_case(ln, "layernorm");
  Rng rng(2);
  nn::Linear fc(6, 4, rng);
  check_case(fc, "linear");
}

TEST_CASE("cross_entropy with label smoothing matches PyTorch") {
  const auto& g = golden();
  const auto r = train::cross_entropy(g.to_float("ce.logits"), g.to_int32("ce.target"), {0.1f});
  CHECK(r.loss == doctest::Approx(g.to_float("ce.loss")[0]).epsilon(1e-5));
  CHECK(max_error(r.grad, g.to_float("ce.dlogits")) < 1e-6);
}

TEST_CASE("optimizers match PyTorch over three steps") {
  const auto& g = golden();
  auto run = [&](const std::string& name, auto make) {
    nn::Parameter p;
    p.value = g.to_float("optim.w0");
    p.grad = Tensor<float>(p.value.shape(), 0.0f);
    auto opt = make(train::NamedParameters{{"w", &p}});
    for (int k = 0; k < 3; ++k) {
      p.grad = g.to_float("optim.grad" + std::to_string(k));
      opt.step();
    }
    INFO(name);
    CHECK(max_error(p.value, g.to_float("optim." + name)) < 1e-6);
  };
  run("sgd", [](train::NamedParameters ps) { return train::Sgd(std::move(ps), {0.1f, 0.9f, 0.0f, false, 0.01f}); });
  run("nesterov", [](train::NamedParameters ps) { return train::Sgd(std::move(ps), {0.1f, 0.9f, 0.0f, true, 0.0f}); });
  run("adam", [](train::NamedParameters ps) {
    train::AdamConfig c;
    c.lr = 0.01f;
    c.weight_decay = 0.05f;
    return train::Adam(std::move(ps), c);
  });
  run("adamw", [](train::NamedParameters ps) { return train::Adam(std::move(ps), train::adamw_config(0.01f, 0.05f)); });
}
