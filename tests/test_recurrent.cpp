// LSTM and GRU: PyTorch golden values (weights copied in by name; packed
// sequences for per-item lengths; initial and final states) and finite
// differences through time.
#include <doctest/doctest.h>

#include <cmath>
#include <nnocr/io/json.hpp>
#include <nnocr/io/safetensors.hpp>
#include <nnocr/nn/recurrent.hpp>
#include <nnocr/train/gradcheck.hpp>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace nnocr;

namespace {

const io::SafeTensorsFile& golden() { return test::golden_file("recurrent.safetensors"); }

using test::max_error;

template <class Rnn>
void check_golden(const std::string& name) {
  const auto& g = golden();
  const io::Json c = test::golden_config(g, name);
  nn::RecurrentConfig cfg;
  cfg.input_size = c.at("inp").as_int();
  cfg.hidden_size = c.at("hidden").as_int();
  cfg.num_layers = static_cast<int>(c.at("layers").as_int());
  cfg.bidirectional = c.at("bidirectional").as_bool();
  cfg.batch_first = c.at("batch_first").as_bool();
  Rng rng(1);
  Rnn rnn(cfg, rng);
  for (auto& [pname, p] : rnn.named_parameters()) p->value = g.to_float(name + "." + pname, p->value.shape());
  std::vector<index_t> lengths;
  if (!c.at("lengths").is_null())
    for (const io::Json& v : c.at("lengths").as_array()) lengths.push_back(v.as_int());
  const bool init = c.at("init").as_bool();
  const bool lstm = std::is_same_v<Rnn, nn::Lstm>;
  Tensor<float> h0, c0;
  if (init) h0 = g.to_float(name + ".h0");
  if (init && lstm) c0 = g.to_float(name + ".c0");
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    INFO(name, " ", test::isa_label(isa));
    rnn.zero_grad();
    const auto out = rnn.forward(g.to_float(name + ".x"), lengths, init ? &h0 : nullptr, init && lstm ? &c0 : nullptr);
    CHECK(max_error(out.y, g.to_float(name + ".y")) < 1e-5);
    CHECK(max_error(out.h_n, g.to_float(name + ".h_n")) < 1e-5);
    if (lstm) CHECK(max_error(out.c_n, g.to_float(name + ".c_n")) < 1e-5);
    const auto inferred = rnn.infer(g.to_float(name + ".x"), lengths, init ? &h0 : nullptr, init && lstm ? &c0 : nullptr);
    CHECK(std::equal(inferred.y.begin(), inferred.y.end(), out.y.begin()));
    const Tensor<float> dh = g.to_float(name + ".dh_n");
    Tensor<float> dc;
    if (lstm) dc = g.to_float(name + ".dc_n");
    const Tensor<float> dx = rnn.backward(g.to_float(name + ".dy"), &dh, lstm ? &dc : nullptr);
    CHECK(max_error(dx, g.to_float(name + ".dx")) < 1e-5);
    for (auto& [pname, p] : rnn.named_parameters()) {
      const std::string param_name = pname;
    INFO("gradient of ", param_name);
      CHECK(max_error(p->grad, g.to_float(name + ".d" + pname)) < 1e-5);
    }
    if (init) CHECK(max_error(rnn.grad_h0(), g.to_float(name + ".dh0")) < 1e-5);
    if (init && lstm) CHECK(max_error(rnn.grad_c0(), g.to_float(name + ".dc0")) < 1e-5);
  }
}

// y = rnn(x) as a Layer, for the finite-difference checker.
template <class Rnn>
struct AsLayer : nn::Layer {
  Rnn rnn;
  std::vector<index_t> lengths;
  AsLayer(const nn::RecurrentConfig& c, Rng& rng, std::vector<index_t> l) : rnn(c, rng), lengths(std::move(l)) {
    register_module("rnn", rnn);
  }
  std::string kind() const override { return "AsLayer"; }
  Tensor<float> forward(const Tensor<float>& x) override { return rnn.forward(x, lengths).y; }
  Tensor<float> infer(const Tensor<float>& x) const override { return rnn.infer(x, lengths).y; }
  Tensor<float> backward(const Tensor<float>& dy) override { return rnn.backward(dy); }
};

}  // namespace

TEST_CASE("LSTM matches PyTorch") {
  check_golden<nn::Lstm>("lstm_uni");
  check_golden<nn::Lstm>("lstm_bi2");
  check_golden<nn::Lstm>("lstm_bf");
}

TEST_CASE("GRU matches PyTorch") {
  check_golden<nn::Gru>("gru_bi");
  check_golden<nn::Gru>("gru_uni");
}

TEST_CASE("LSTM and GRU backward through time match finite differences") {
  Rng rng(3);
  nn::RecurrentConfig c;
  c.input_size = 3;
  c.hidden_size = 4;
  c.num_layers = 2;
  c.bidirectional = true;
  Tensor<float> x({5, 3, 3});
  for (float& v : x) v = rng.uniform(-1.0f, 1.0f);
  AsLayer<nn::Lstm> lstm(c, rng, {5, 2, 4});
  auto r1 = train::check_gradients(lstm, x);
  INFO("LSTM worst ", r1.worst);
  CHECK(r1.ok());
  AsLayer<nn::Gru> gru(c, rng, {3, 5, 1});
  auto r2 = train::check_gradients(gru, x);
  INFO("GRU worst ", r2.worst);
  CHECK(r2.ok());
}

TEST_CASE("recurrent layers: padded steps are zero, errors are precise") {
  Rng rng(4);
  nn::RecurrentConfig c;
  c.input_size = 2;
  c.hidden_size = 3;
  c.bidirectional = true;
  nn::Lstm lstm(c, rng);
  Tensor<float> x({4, 2, 2}, 0.5f);
  const auto out = lstm.infer(x, {4, 2});
  for (index_t t = 2; t < 4; ++t)
    for (index_t j = 0; j < 6; ++j) CHECK(out.y(t, 1, j) == 0.0f);
  CHECK(out.y(1, 1, 3) != 0.0f);
  // The reverse direction of the short item starts at its own last step: its
  // output at t=0 equals a full run over the two-step sequence.
  const auto short_run = lstm.infer(Tensor<float>({2, 1, 2}, 0.5f));
  CHECK(short_run.y(0, 0, 4) == doctest::Approx(out.y(0, 1, 4)));
  CHECK_THROWS_WITH_AS(lstm.infer(x, {5, 1}), doctest::Contains("outside [0, 4]"), Error);
  CHECK_THROWS_WITH_AS(lstm.infer(x, {4}), doctest::Contains("1 lengths for a batch of 2"), Error);
  CHECK_THROWS_WITH_AS(lstm.infer(Tensor<float>({4, 2, 3})), doctest::Contains("[T, N, 2]"), Error);
  CHECK_THROWS_WITH_AS(lstm.backward(Tensor<float>({4, 2, 6})), doctest::Contains("without a forward"), Error);
}
