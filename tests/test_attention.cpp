// Attention, positional encodings, transformer layers and attention
// decoding: PyTorch golden values (tests/data/golden/attention.safetensors,
// made by tests/golden/make_golden_attention.py), finite-difference checks
// of every backward, masks, incremental decoding, greedy and beam search.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <nnocr/decode/attention.hpp>
#include <nnocr/io/json.hpp>
#include <nnocr/io/safetensors.hpp>
#include <nnocr/nn/attention.hpp>
#include <nnocr/nn/embedding.hpp>
#include <nnocr/nn/positional.hpp>
#include <nnocr/nn/softmax.hpp>
#include <nnocr/nn/transformer.hpp>
#include <nnocr/train/gradcheck.hpp>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace nnocr;

namespace {

const io::SafeTensorsFile& golden() { return test::golden_file("attention.safetensors"); }
io::Json config_of(const std::string& name) { return test::golden_config(golden(), name); }

using test::max_error;
using test::random_tensor;

Tensor<std::uint8_t> mask_from(const Tensor<std::int32_t>& m) {
  Tensor<std::uint8_t> out(m.shape());
  for (index_t i = 0; i < m.numel(); ++i) out[i] = m[i] != 0;
  return out;
}

void load_parameters(nn::Module& module, const std::string& name) {
  for (auto& [pname, p] : module.named_parameters()) p->value = golden().to_float(name + "." + pname, p->value.shape());
  module.zero_grad();
}

void check_parameter_grads(nn::Module& module, const std::string& name, double tol) {
  for (auto& np : module.named_parameters()) {
    const std::string& pname = np.first;
    INFO(name, ": gradient of ", pname);
    CHECK(max_error(np.second->grad, golden().to_float(name + ".d" + pname)) < tol);
  }
}

// Finite differences for layers with several inputs: L = sum(f() * r);
// each probe is a tensor that f reads and the analytic dL/dtensor.
struct Probe {
  std::string name;
  Tensor<float>* values;
  Tensor<float> analytic;
};

void check_probes(const std::function<Tensor<float>()>& f, const Tensor<float>& r, std::vector<Probe>& probes,
                  const train::GradCheckOptions& options = {}) {
  Rng rng(options.seed, 99);
  double worst_ratio = 0.0;
  std::string worst;
  index_t checked = 0;
  for (Probe& p : probes) {
    REQUIRE(p.analytic.shape() == p.values->shape());
    const index_t n = p.values->numel();
    std::vector<index_t> picks;
    if (n <= options.max_checks_per_tensor)
      for (index_t i = 0; i < n; ++i) picks.push_back(i);
    else
      for (index_t k = 0; k < options.max_checks_per_tensor; ++k)
        picks.push_back(static_cast<index_t>(rng.uniform_index(static_cast<std::uint64_t>(n))));
    for (index_t i : picks) {
      float& v = (*p.values)[i];
      const float saved = v;
      v = saved + options.step;
      const double plus = train::detail::weighted_sum(f(), r);
      v = saved - options.step;
      const double minus = train::detail::weighted_sum(f(), r);
      v = saved;
      const double numeric = (plus - minus) / (2.0 * static_cast<double>(options.step));
      const double ratio = std::abs(p.analytic[i] - numeric) / (options.atol + options.rtol * std::abs(numeric));
      ++checked;
      if (ratio > worst_ratio) {
        worst_ratio = ratio;
        worst = p.name + "[" + std::to_string(i) + "]: analytic " + std::to_string(p.analytic[i]) + ", numeric " +
                std::to_string(numeric);
      }
    }
  }
  INFO("worst ", worst, " (ratio ", worst_ratio, ")");
  CHECK(checked > 0);
  CHECK(worst_ratio <= 1.0);
}

void add_parameter_probes(nn::Module& m, std::vector<Probe>& probes) {
  for (auto& [name, p] : m.named_parameters()) probes.push_back({"param " + name, &p->value, p->grad});
}

void require_gradients(nn::Layer& layer, const Tensor<float>& x, train::GradCheckOptions options = {}) {
  const auto result = train::check_gradients(layer, x, options);
  INFO(layer.describe(), ": worst ", result.worst, " (ratio ", result.worst_ratio, ")");
  CHECK(result.checked > 0);
  CHECK(result.ok());
}

nn::MultiheadAttentionConfig mha_config(const io::Json& c) {
  nn::MultiheadAttentionConfig cfg;
  cfg.embed_dim = c.at("embed_dim").as_int();
  cfg.num_heads = c.at("num_heads").as_int();
  if (c.contains("kdim")) cfg.kdim = c.at("kdim").as_int();
  if (c.contains("vdim")) cfg.vdim = c.at("vdim").as_int();
  if (c.contains("batch_first")) cfg.batch_first = c.at("batch_first").as_bool();
  return cfg;
}

nn::TransformerLayerConfig layer_config(const io::Json& c) {
  nn::TransformerLayerConfig cfg;
  cfg.d_model = c.at("d_model").as_int();
  cfg.nhead = c.at("nhead").as_int();
  cfg.dim_feedforward = c.at("dim_feedforward").as_int();
  cfg.dropout = 0.0f;
  cfg.activation =
      c.at("activation").as_string() == "gelu" ? nn::FeedForwardActivation::gelu : nn::FeedForwardActivation::relu;
  cfg.batch_first = c.at("batch_first").as_bool();
  cfg.norm_first = c.at("norm_first").as_bool();
  return cfg;
}

}  // namespace

// ---------------------------------------------------------------------------
// PyTorch golden values

TEST_CASE("MultiheadAttention matches PyTorch") {
  const auto& g = golden();
  const double tol = 1e-4;
  for (const char* name : {"mha_self", "mha_cross_padding", "mha_causal_batch_first", "mha_kvdim", "mha_mask3d"}) {
    INFO(name);
    const io::Json c = config_of(name);
    Rng rng(1);
    nn::MultiheadAttention mha(mha_config(c), rng);
    load_parameters(mha, name);
    const std::string n = name, mode = c.at("mode").as_string();
    nn::AttentionMask mask;
    if (g.has(n + ".key_padding")) mask.key_padding = mask_from(g.to_int32(n + ".key_padding"));
    if (g.has(n + ".attn_mask")) mask.additive = g.to_float(n + ".attn_mask");
    const Tensor<float> q = g.to_float(n + ".query");
    const Tensor<float> k = mode == "self" ? q : g.to_float(n + ".key");
    const Tensor<float> v = mode == "qkv" ? g.to_float(n + ".value") : k;
    const Tensor<float>& kr = mode == "self" ? q : k;
    const Tensor<float>& vr = mode == "qkv" ? v : kr;
    for (simd::Isa isa : test::isas()) {
      simd::IsaScope scope(isa);
      INFO(test::isa_label(isa));
      mha.zero_grad();
      Tensor<float> weights, head_weights;
      const Tensor<float> y = mha.forward(q, kr, vr, mask, &weights);
      CHECK(max_error(y, g.to_float(n + ".y")) < tol);
      CHECK(max_error(weights, g.to_float(n + ".weights")) < tol);
      mha.infer(q, kr, vr, mask, &head_weights, false);
      CHECK(max_error(head_weights, g.to_float(n + ".head_weights")) < tol);
      CHECK(max_error(mha.infer(q, kr, vr, mask), y) < 1e-6);
      const nn::AttentionGradients grads = mha.backward(g.to_float(n + ".dy"));
      if (mode == "self") {
        // One tensor in three roles: its whole gradient comes back as `query`.
        CHECK(grads.key.empty());
        CHECK(grads.value.empty());
        CHECK(max_error(grads.query, g.to_float(n + ".dquery")) < tol);
      } else if (mode == "kv") {
        CHECK(grads.value.empty());
        CHECK(max_error(grads.query, g.to_float(n + ".dquery")) < tol);
        CHECK(max_error(grads.key, g.to_float(n + ".dkey")) < tol);
      } else {
        CHECK(max_error(grads.query, g.to_float(n + ".dquery")) < tol);
        CHECK(max_error(grads.key, g.to_float(n + ".dkey")) < tol);
        CHECK(max_error(grads.value, g.to_float(n + ".dvalue")) < tol);
      }
      check_parameter_grads(mha, name, tol);
    }
  }
}

TEST_CASE("MultiheadAttention parameter names follow PyTorch") {
  Rng rng(2);
  nn::MultiheadAttention packed(8, 2, rng);
  std::vector<std::string> names;
  for (auto& np : packed.named_parameters()) names.push_back(np.first);
  CHECK(names == std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"});
  nn::MultiheadAttentionConfig c;
  c.embed_dim = 8;
  c.num_heads = 2;
  c.kdim = 5;
  nn::MultiheadAttention separate(c, rng);
  names.clear();
  for (auto& np : separate.named_parameters()) names.push_back(np.first);
  CHECK(names == std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                                          "out_proj.weight", "out_proj.bias"});
  CHECK(separate.k_proj_weight.value.shape() == Shape{8, 5});
  CHECK(separate.v_proj_weight.value.shape() == Shape{8, 8});
  CHECK(
      std::all_of(packed.in_proj_bias.value.begin(), packed.in_proj_bias.value.end(), [](float v) { return v == 0; }));
  CHECK_THROWS_WITH_AS(nn::MultiheadAttention(10, 3, rng), doctest::Contains("multiple of num_heads"), Error);
}

TEST_CASE("Transformer layers match PyTorch") {
  const auto& g = golden();
  const double tol = 1e-4;
  for (const char* name : {"enc_post", "enc_pre"}) {
    INFO(name);
    const std::string n = name;
    const io::Json c = config_of(name);
    Rng rng(3);
    nn::TransformerEncoderLayer layer(layer_config(c), rng);
    load_parameters(layer, name);
    nn::AttentionMask mask;
    if (g.has(n + ".key_padding")) mask.key_padding = mask_from(g.to_int32(n + ".key_padding"));
    mask.causal = c.at("causal").as_bool();
    const Tensor<float> x = g.to_float(n + ".x");
    const Tensor<float> y = layer.forward(x, mask);
    CHECK(max_error(y, g.to_float(n + ".y")) < tol);
    CHECK(max_error(layer.infer(x, mask), y) < 1e-6);
    CHECK(max_error(layer.backward(g.to_float(n + ".dy")), g.to_float(n + ".dx")) < tol);
    check_parameter_grads(layer, name, tol);
  }
  for (const char* name : {"dec_post", "dec_pre"}) {
    INFO(name);
    const std::string n = name;
    const io::Json c = config_of(name);
    Rng rng(4);
    nn::TransformerDecoderLayer layer(layer_config(c), rng);
    load_parameters(layer, name);
    nn::AttentionMask memory_mask;
    if (g.has(n + ".memory_padding")) memory_mask.key_padding = mask_from(g.to_int32(n + ".memory_padding"));
    const Tensor<float> x = g.to_float(n + ".x"), memory = g.to_float(n + ".memory");
    const Tensor<float> y = layer.forward(x, memory, nn::AttentionMask::causal_mask(), memory_mask);
    CHECK(max_error(y, g.to_float(n + ".y")) < tol);
    CHECK(max_error(layer.infer(x, memory, nn::AttentionMask::causal_mask(), memory_mask), y) < 1e-6);
    const nn::DecoderLayerGradients grads = layer.backward(g.to_float(n + ".dy"));
    CHECK(max_error(grads.target, g.to_float(n + ".dx")) < tol);
    CHECK(max_error(grads.memory, g.to_float(n + ".dmemory")) < tol);
    check_parameter_grads(layer, name, tol);
  }
}

TEST_CASE("Transformer layer parameter names follow PyTorch") {
  Rng rng(5);
  nn::TransformerLayerConfig c;
  c.d_model = 8;
  c.nhead = 2;
  c.dim_feedforward = 16;
  nn::TransformerDecoderLayer dec(c, rng);
  std::vector<std::string> names;
  for (auto& np : dec.named_parameters()) names.push_back(np.first);
  CHECK(names == std::vector<std::string>{
                     "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                     "self_attn.out_proj.bias", "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
                     "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias", "linear1.weight", "linear1.bias",
                     "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
                     "norm3.weight", "norm3.bias"});
  nn::TransformerEncoderLayer enc(c, rng);
  CHECK(enc.parameter_count() == 3 * 64 + 24 + 64 + 8 + 8 * 16 + 16 + 16 * 8 + 8 + 4 * 8);
}

// ---------------------------------------------------------------------------
// Finite differences

TEST_CASE("MultiheadAttention gradients: query, key, value and parameters") {
  struct Case {
    const char* label;
    index_t E, H, kdim, vdim, L, S, N;
    bool batch_first, self, key_is_value, padding, causal, additive, separate;
  };
  const Case cases[] = {
      {"self", 8, 2, 0, 0, 4, 4, 3, false, true, true, false, false, false, false},
      {"self causal batch-first", 12, 3, 0, 0, 5, 5, 2, true, true, true, false, true, false, false},
      {"cross key=value padding", 8, 4, 0, 0, 3, 6, 2, false, false, true, true, false, false, false},
      {"three inputs, kdim/vdim, additive", 8, 2, 5, 3, 4, 5, 2, false, false, false, true, false, true, false},
      {"separate projections, batch-first", 6, 3, 0, 0, 3, 4, 2, true, false, false, false, false, true, true},
  };
  for (const Case& c : cases) {
    INFO(c.label);
    Rng rng(6);
    nn::MultiheadAttentionConfig cfg;
    cfg.embed_dim = c.E;
    cfg.num_heads = c.H;
    cfg.kdim = c.kdim;
    cfg.vdim = c.vdim;
    cfg.batch_first = c.batch_first;
    cfg.separate_projections = c.separate;
    nn::MultiheadAttention mha(cfg, rng);
    for (auto& np : mha.named_parameters())
      for (float& v : np.second->value) v += rng.uniform(-0.2f, 0.2f);
    auto shape = [&](index_t T, index_t D) { return c.batch_first ? Shape{c.N, T, D} : Shape{T, c.N, D}; };
    Tensor<float> q = random_tensor(shape(c.L, c.E), rng);
    Tensor<float> k = random_tensor(shape(c.S, c.kdim ? c.kdim : c.E), rng);
    Tensor<float> v = random_tensor(shape(c.S, c.vdim ? c.vdim : c.E), rng);
    nn::AttentionMask mask;
    mask.causal = c.causal;
    if (c.padding) {
      mask.key_padding = Tensor<std::uint8_t>({c.N, c.S});
      mask.key_padding(0, c.S - 1) = 1;
      mask.key_padding(1, 0) = 1;
    }
    if (c.additive) mask.additive = random_tensor({c.L, c.S}, rng);
    const Tensor<float>& kr = c.self ? q : k;
    const Tensor<float>& vr = c.self ? q : c.key_is_value ? k : v;
    auto f = [&] { return mha.forward(q, kr, vr, mask); };
    const Tensor<float> y = f();
    const Tensor<float> r = random_tensor(y.shape(), rng);
    mha.zero_grad();
    const nn::AttentionGradients g = mha.backward(r);
    std::vector<Probe> probes;
    if (c.self) {
      probes.push_back({"x", &q, g.sum()});
    } else if (c.key_is_value) {
      probes.push_back({"query", &q, g.query});
      probes.push_back({"key=value", &k, g.key});
    } else {
      probes.push_back({"query", &q, g.query});
      probes.push_back({"key", &k, g.key});
      probes.push_back({"value", &v, g.value});
    }
    add_parameter_probes(mha, probes);
    check_probes(f, r, probes);
  }
}

TEST_CASE("MultiheadAttention dropout: masks weights in training, gradients with a fixed stream") {
  Rng rng(7);
  nn::MultiheadAttentionConfig cfg;
  cfg.embed_dim = 8;
  cfg.num_heads = 2;
  cfg.dropout = 0.3f;
  nn::MultiheadAttention mha(cfg, rng);
  Tensor<float> x = random_tensor({4, 2, 8}, rng);
  Tensor<float> w;
  mha.forward(x, x, x, {}, &w, false);
  index_t zeros = 0;
  for (float v : w) zeros += v == 0.0f;
  CHECK(zeros > 0);
  auto f = [&] {
    mha.reseed(11);
    return mha.forward(x, x, x);
  };
  const Tensor<float> y = f();
  const Tensor<float> r = random_tensor(y.shape(), rng);
  mha.zero_grad();
  std::vector<Probe> probes{{"x", &x, mha.backward(r).sum()}};
  add_parameter_probes(mha, probes);
  check_probes(f, r, probes);
  // Eval mode: no dropout, rows of the weights sum to one.
  mha.eval();
  mha.forward(x, x, x, {}, &w);
  for (index_t row = 0; row < w.numel() / 4; ++row) {
    double s = 0.0;
    for (index_t j = 0; j < 4; ++j) s += w[row * 4 + j];
    CHECK(s == doctest::Approx(1.0).epsilon(1e-5));
  }
  CHECK(max_error(mha.forward(x, x, x), mha.infer(x, x, x)) < 1e-6);
}

TEST_CASE("scaled_dot_product_attention: values and gradients") {
  Rng rng(8);
  Tensor<float> q = random_tensor({2, 3, 4}, rng), k = random_tensor({2, 5, 4}, rng), v = random_tensor({2, 5, 3}, rng);
  nn::AttentionMask mask;
  mask.key_padding = Tensor<std::uint8_t>({2, 5});
  mask.key_padding(1, 4) = 1;
  Tensor<float> w;
  const Tensor<float> y = nn::scaled_dot_product_attention(q, k, v, mask, &w);
  // Direct evaluation of item 1, query 2.
  double scores[5], mx = -1e30, sum = 0.0;
  for (index_t j = 0; j < 5; ++j) {
    double s = 0.0;
    for (index_t d = 0; d < 4; ++d) s += static_cast<double>(q(1, 2, d)) * k(1, j, d);
    scores[j] = j == 4 ? -1e30 : s / 2.0;
    mx = std::max(mx, scores[j]);
  }
  for (double& s : scores) sum += (s = std::exp(s - mx));
  for (index_t e = 0; e < 3; ++e) {
    double o = 0.0;
    for (index_t j = 0; j < 5; ++j) o += scores[j] / sum * v(1, j, e);
    CHECK(y(1, 2, e) == doctest::Approx(o).epsilon(1e-5));
  }
  CHECK(w(1, 0, 4) == 0.0f);
  auto f = [&] { return nn::scaled_dot_product_attention(q, k, v, mask, &w); };
  const Tensor<float> r = random_tensor(y.shape(), rng);
  f();
  const nn::AttentionGradients g = nn::scaled_dot_product_attention_backward(q, k, v, w, r);
  std::vector<Probe> probes{{"q", &q, g.query}, {"k", &k, g.key}, {"v", &v, g.value}};
  check_probes(f, r, probes);
}

TEST_CASE("Positional encodings: values and gradients") {
  Rng rng(9);
  const Tensor<float> pe = nn::SinusoidalPositionalEncoding::table(50, 6);
  CHECK(pe(0, 0) == 0.0f);
  CHECK(pe(0, 1) == 1.0f);
  CHECK(pe(7, 2) == doctest::Approx(std::sin(7.0 / std::pow(10000.0, 2.0 / 6.0))));
  CHECK(pe(7, 3) == doctest::Approx(std::cos(7.0 / std::pow(10000.0, 2.0 / 6.0))));
  nn::SinusoidalPositionalEncoding sin_enc(6, false, 2.0f, 4);  // table of 4: longer inputs compute the rest
  Tensor<float> x = random_tensor({7, 2, 6}, rng);
  Tensor<float> y = sin_enc.infer(x);
  CHECK(y(5, 1, 3) == doctest::Approx(2.0f * x(5, 1, 3) + pe(5, 3)));
  CHECK(max_error(sin_enc.infer_step(Tensor<float>(x.select(0, 6)), 6), Tensor<float>(y.select(0, 6))) < 1e-6);
  require_gradients(sin_enc, x);
  nn::LearnedPositionalEmbedding learned(10, 6, rng, true, 0.5f);
  Tensor<float> xb = random_tensor({3, 7, 6}, rng);
  CHECK(learned.infer(xb)(2, 4, 1) == doctest::Approx(xb(2, 4, 1) + learned.weight.value(4, 1)));
  require_gradients(learned, xb);
  nn::LearnedPositionalEmbedding seq_first(10, 6, rng);
  require_gradients(seq_first, x);
  CHECK_THROWS_WITH_AS(learned.infer(Tensor<float>({1, 11, 6})), doctest::Contains("max_length"), Error);
}

TEST_CASE("Transformer encoder layer gradients") {
  for (bool norm_first : {false, true})
    for (bool gelu : {false, true}) {
      Rng rng(10);
      nn::TransformerLayerConfig c;
      c.d_model = 8;
      c.nhead = 2;
      c.dim_feedforward = 12;
      c.dropout = 0.0f;
      c.norm_first = norm_first;
      c.activation = gelu ? nn::FeedForwardActivation::gelu : nn::FeedForwardActivation::relu;
      nn::TransformerEncoderLayer layer(c, rng);
      for (auto& np : layer.named_parameters())
        for (float& v : np.second->value) v += rng.uniform(-0.2f, 0.2f);
      Tensor<float> x = random_tensor({4, 2, 8}, rng);
      INFO(layer.describe());
      train::GradCheckOptions opt;
      opt.step = 3e-3f;  // ReLU kinks: keep the step small
      require_gradients(layer, x, opt);
      // With a mask, through the probe helper.
      nn::AttentionMask mask;
      mask.key_padding = Tensor<std::uint8_t>({2, 4});
      mask.key_padding(1, 3) = 1;
      mask.causal = true;
      auto f = [&] { return layer.forward(x, mask); };
      const Tensor<float> y = f();
      const Tensor<float> r = random_tensor(y.shape(), rng);
      layer.zero_grad();
      std::vector<Probe> probes{{"x", &x, layer.backward(r)}};
      add_parameter_probes(layer, probes);
      check_probes(f, r, probes, opt);
    }
}

TEST_CASE("Transformer decoder layer gradients") {
  for (bool norm_first : {false, true}) {
    Rng rng(11);
    nn::TransformerLayerConfig c;
    c.d_model = 8;
    c.nhead = 2;
    c.dim_feedforward = 12;
    c.dropout = 0.0f;
    c.norm_first = norm_first;
    c.batch_first = norm_first;
    c.activation = norm_first ? nn::FeedForwardActivation::gelu : nn::FeedForwardActivation::relu;
    nn::TransformerDecoderLayer layer(c, rng);
    for (auto& np : layer.named_parameters())
      for (float& v : np.second->value) v += rng.uniform(-0.2f, 0.2f);
    const Shape ts = norm_first ? Shape{2, 4, 8} : Shape{4, 2, 8}, ms = norm_first ? Shape{2, 5, 8} : Shape{5, 2, 8};
    Tensor<float> x = random_tensor(ts, rng), memory = random_tensor(ms, rng);
    nn::AttentionMask memory_mask;
    memory_mask.key_padding = Tensor<std::uint8_t>({2, 5});
    memory_mask.key_padding(0, 4) = 1;
    auto f = [&] { return layer.forward(x, memory, nn::AttentionMask::causal_mask(), memory_mask); };
    const Tensor<float> y = f();
    const Tensor<float> r = random_tensor(y.shape(), rng);
    layer.zero_grad();
    const nn::DecoderLayerGradients g = layer.backward(r);
    std::vector<Probe> probes{{"target", &x, g.target}, {"memory", &memory, g.memory}};
    add_parameter_probes(layer, probes);
    train::GradCheckOptions opt;
    opt.step = 3e-3f;
    INFO(layer.describe());
    check_probes(f, r, probes, opt);
  }
}

// ---------------------------------------------------------------------------
// Masks and semantics

TEST_CASE("Attention masks: padded keys are ignored, fully masked rows give zeros") {
  Rng rng(12);
  nn::MultiheadAttention mha(8, 2, rng);
  Tensor<float> q = random_tensor({3, 2, 8}, rng), kv = random_tensor({5, 2, 8}, rng);
  nn::AttentionMask mask;
  mask.key_padding = Tensor<std::uint8_t>({2, 5});
  mask.key_padding(0, 3) = mask.key_padding(0, 4) = 1;
  const Tensor<float> y = mha.infer(q, kv, kv, mask);
  Tensor<float> changed = kv;
  for (index_t e = 0; e < 8; ++e) changed(3, 0, e) += 5.0f, changed(4, 0, e) -= 3.0f;
  const Tensor<float> y2 = mha.infer(q, changed, changed, mask);
  CHECK(max_error(y2, y) < 1e-6);
  // Item 1 has no padding, so changing its keys changes its output.
  for (index_t e = 0; e < 8; ++e) changed(4, 1, e) += 1.0f;
  CHECK(max_error(mha.infer(q, changed, changed, mask), y) > 1e-3);

  // Every key of item 1 padded: its rows attend to nothing -> output = out_proj.bias, weights 0.
  mask.key_padding.fill(0);
  for (index_t j = 0; j < 5; ++j) mask.key_padding(1, j) = 1;
  for (float& b : mha.out_proj.bias.value) b = rng.uniform(-1.0f, 1.0f);
  Tensor<float> w;
  const Tensor<float> z = mha.forward(q, kv, kv, mask, &w);
  for (index_t t = 0; t < 3; ++t)
    for (index_t e = 0; e < 8; ++e) {
      CHECK(std::isfinite(z(t, 0, e)));
      CHECK(z(t, 1, e) == doctest::Approx(mha.out_proj.bias.value[e]));
    }
  for (index_t t = 0; t < 3; ++t)
    for (index_t j = 0; j < 5; ++j) CHECK(w(1, t, j) == 0.0f);
  mha.zero_grad();
  const nn::AttentionGradients g = mha.backward(random_tensor(z.shape(), rng));
  for (float v : g.query) CHECK(std::isfinite(v));
  for (index_t j = 0; j < 5; ++j)
    for (index_t e = 0; e < 8; ++e) CHECK(g.key(j, 1, e) == 0.0f);

  // Causal: the first query sees only the first key.
  Tensor<float> x = random_tensor({4, 1, 8}, rng);
  mha.infer(x, x, x, nn::AttentionMask::causal_mask(), &w);
  CHECK(w(0, 0, 0) == doctest::Approx(1.0));
  CHECK(w(0, 1, 2) == 0.0f);
  CHECK(w(0, 2, 3) == 0.0f);
  CHECK_THROWS_WITH_AS(mha.infer(q, kv, kv,
                                 [] {
                                   nn::AttentionMask m;
                                   m.key_padding = Tensor<std::uint8_t>({2, 4});
                                   return m;
                                 }()),
                       doctest::Contains("key padding mask must be [N, S] = [2, 5]"), Error);
  CHECK_THROWS_WITH_AS(mha.infer(q, Tensor<float>({5, 3, 8}), Tensor<float>({5, 3, 8})), doctest::Contains("disagree"),
                       Error);
  nn::MultiheadAttention fresh(8, 2, rng);
  CHECK_THROWS_WITH_AS(fresh.backward(y), doctest::Contains("without a forward"), Error);
}

TEST_CASE("softmax_rows kernels match a double-precision reference on every ISA") {
  Rng rng(16);
  for (index_t n : {1, 3, 7, 16, 17, 33, 65}) {
    const index_t rows = 5, ld = n + 3;
    Tensor<float> x = random_tensor({rows, ld}, rng, -30.0f, 30.0f);
    for (index_t j = 0; j < n; j += 3) x(1, j) = -std::numeric_limits<float>::infinity();
    for (index_t j = 0; j < n; ++j) x(2, j) = -std::numeric_limits<float>::infinity();  // fully masked
    Tensor<float> g = random_tensor({rows, ld}, rng);
    for (simd::Isa isa : test::isas()) {
      simd::IsaScope scope(isa);
      INFO(test::isa_label(isa), " n=", n);
      Tensor<float> y = x, d = g;
      kernels::softmax_rows(y.data(), rows, n, ld);
      kernels::softmax_rows_backward(y.data(), d.data(), rows, n, ld);
      for (index_t r = 0; r < rows; ++r) {
        double mx = -std::numeric_limits<double>::infinity(), sum = 0.0, dot = 0.0;
        for (index_t j = 0; j < n; ++j) mx = std::max(mx, static_cast<double>(x(r, j)));
        std::vector<double> p(static_cast<std::size_t>(n), 0.0);
        if (std::isfinite(mx)) {
          for (index_t j = 0; j < n; ++j) sum += p[static_cast<std::size_t>(j)] = std::exp(x(r, j) - mx);
          for (double& v : p) v /= sum;
        }
        for (index_t j = 0; j < n; ++j) dot += p[static_cast<std::size_t>(j)] * g(r, j);
        for (index_t j = 0; j < n; ++j) {
          CHECK(std::abs(y(r, j) - p[static_cast<std::size_t>(j)]) < 1e-6);
          CHECK(std::abs(d(r, j) - p[static_cast<std::size_t>(j)] * (g(r, j) - dot)) < 1e-5);
        }
        for (index_t j = n; j < ld; ++j) {  // padding between rows untouched
          CHECK(y(r, j) == x(r, j));
          CHECK(d(r, j) == g(r, j));
        }
      }
    }
  }
}

TEST_CASE("MultiheadAttention results do not depend on the thread count") {
  Rng rng(13);
  nn::MultiheadAttention mha(32, 4, rng);
  Tensor<float> x = random_tensor({20, 6, 32}, rng), dy = random_tensor({20, 6, 32}, rng);
  std::vector<Tensor<float>> results;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    mha.zero_grad();
    results.push_back(mha.forward(x, x, x, nn::AttentionMask::causal_mask()));
    results.push_back(mha.backward(dy).sum());
    results.push_back(mha.in_proj_weight.grad);
  }
  set_num_threads(default_thread_count());
  for (std::size_t r = 3; r < results.size(); ++r)
    CHECK(std::equal(results[r].begin(), results[r].end(), results[r % 3].begin()));
}

// ---------------------------------------------------------------------------
// Incremental decoding

TEST_CASE("Incremental transformer decoding equals full recomputation") {
  for (bool norm_first : {false, true}) {
    Rng rng(14);
    nn::TransformerLayerConfig c;
    c.d_model = 16;
    c.nhead = 4;
    c.dim_feedforward = 24;
    c.norm_first = norm_first;
    c.batch_first = norm_first;
    nn::TransformerDecoderLayer layer(c, rng);
    layer.eval();
    const index_t T = 7, S = 5, N = 3;
    const Tensor<float> target = random_tensor(norm_first ? Shape{N, T, 16} : Shape{T, N, 16}, rng);
    const Tensor<float> memory = random_tensor(norm_first ? Shape{N, S, 16} : Shape{S, N, 16}, rng);
    nn::AttentionMask memory_mask;
    memory_mask.key_padding = Tensor<std::uint8_t>({N, S});
    memory_mask.key_padding(2, 4) = 1;
    const Tensor<float> full = layer.infer(target, memory, nn::AttentionMask::causal_mask(), memory_mask);
    nn::TransformerDecoderLayer::Cache cache = layer.start(memory, memory_mask.key_padding);
    for (index_t t = 0; t < T; ++t) {
      const Tensor<float> x_t(target.select(norm_first ? 1 : 0, t));
      const Tensor<float> y_t = layer.infer_step(x_t, cache);
      INFO("norm_first ", norm_first, " step ", t);
      CHECK(max_error(y_t, Tensor<float>(full.select(norm_first ? 1 : 0, t))) < 1e-5);
    }
    CHECK(cache.self.length == T);
    // Reordering keeps, duplicates and drops sequences.
    cache.reorder({2, 2, 0});
    CHECK(cache.self.batch == 3);
    for (index_t e = 0; e < 16; ++e) CHECK(cache.self.keys(1, 3, e) == cache.self.keys(0, 3, e));
  }
}

namespace {

// A hand-made model: the next-token distribution is a function of the
// tokens so far (table lookups), independent of the memory.
class TableModel : public decode::StepDecoder {
 public:
  using Rule = std::function<std::vector<float>(const std::vector<std::int32_t>&)>;  // probabilities
  explicit TableModel(Rule rule) : rule_(std::move(rule)) {}
  struct State : decode::DecoderState {
    std::vector<std::vector<std::int32_t>> histories;
  };
  std::unique_ptr<decode::DecoderState> start(const Tensor<float>&, index_t hypotheses) const override {
    auto s = std::make_unique<State>();
    s->histories.resize(static_cast<std::size_t>(hypotheses));
    return s;
  }
  Tensor<float> step(decode::DecoderState& state, const std::vector<std::int32_t>& tokens) const override {
    auto& s = static_cast<State&>(state);
    REQUIRE(tokens.size() == s.histories.size());
    std::vector<float> all;
    index_t V = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      s.histories[i].push_back(tokens[i]);
      const std::vector<float> p = rule_(s.histories[i]);
      V = static_cast<index_t>(p.size());
      for (float v : p) all.push_back(std::log(v));
    }
    ++steps;
    return Tensor<float>({static_cast<index_t>(tokens.size()), V}, all);
  }
  void select(decode::DecoderState& state, const std::vector<index_t>& parents) const override {
    auto& s = static_cast<State&>(state);
    std::vector<std::vector<std::int32_t>> next;
    for (index_t p : parents) next.push_back(s.histories[static_cast<std::size_t>(p)]);
    s.histories = std::move(next);
  }
  mutable int steps = 0;

 private:
  Rule rule_;
};

constexpr std::int32_t kBos = 0, kEos = 1, kA = 2, kB = 3;

}  // namespace

TEST_CASE("Greedy and beam search on a hand-made model") {
  // First step: a 0.6, b 0.4. After a: end 0.2, a 0.4, b 0.4; after three
  // tokens: end 0.97. After b: end 0.9. Greedy follows a: "a a a" with
  // 0.6 * 0.4 * 0.4 * 0.97 = 0.093; the best sequence is "b" with
  // 0.4 * 0.9 = 0.36, which a beam of two finds.
  TableModel model([](const std::vector<std::int32_t>& h) -> std::vector<float> {
    if (h.size() == 1) return {0.0001f, 0.0001f, 0.6f, 0.3998f};
    if (h.size() >= 4) return {0.01f, 0.97f, 0.01f, 0.01f};
    if (h[1] == kA) return {0.0001f, 0.2f, 0.4f, 0.3999f};
    return {0.0001f, 0.9f, 0.05f, 0.0499f};
  });
  decode::AttentionDecodeConfig cfg;
  cfg.start_token = kBos;
  cfg.end_token = kEos;
  cfg.normalization = decode::LengthNormalization::none;
  cfg.beam_width = 2;
  const decode::DecodedSequence greedy = decode::greedy_decode(model, Tensor<float>());
  CHECK(greedy.tokens == std::vector<std::int32_t>{kA, kA, kA});
  CHECK(greedy.finished);
  CHECK(greedy.log_prob == doctest::Approx(std::log(0.6 * 0.4 * 0.4 * 0.97)).epsilon(1e-5));
  CHECK(greedy.token_log_probs.size() == 3);
  const decode::DecodedSequence greedy2 = decode::greedy_decode(model, Tensor<float>(), cfg);
  CHECK(greedy2.tokens == greedy.tokens);

  const auto beams = decode::beam_search(model, Tensor<float>(), cfg);
  REQUIRE(beams.size() == 2);
  CHECK(beams[0].tokens == std::vector<std::int32_t>{kB});
  CHECK(beams[0].finished);
  CHECK(beams[0].log_prob == doctest::Approx(std::log(0.3998 * 0.9)).epsilon(1e-5));
  CHECK(beams[0].end_log_prob == doctest::Approx(std::log(0.9)).epsilon(1e-5));
  CHECK(beams[1].log_prob <= beams[0].log_prob);
  // Beam width 1 is greedy.
  cfg.beam_width = 1;
  const auto one = decode::beam_search(model, Tensor<float>(), cfg);
  REQUIRE(one.size() == 1);
  CHECK(one[0].tokens == greedy.tokens);
}

TEST_CASE("Beam search: length normalization, end of sequence, max length") {
  // "a" then end: 0.5 * 0.9 = 0.45 (log -0.80 over 2 tokens, mean -0.40).
  // "b b b b" then end: 0.5 * 0.95^4 = 0.41 (log -0.90 over 5 tokens, mean -0.18).
  // Total log-probability prefers "a", the per-token mean and GNMT prefer "b b b b".
  TableModel model([](const std::vector<std::int32_t>& h) -> std::vector<float> {
    if (h.size() == 1) return {1e-6f, 1e-6f, 0.5f, 0.499998f};
    if (h[1] == kA) return {1e-6f, 0.9f, 0.05f, 0.049999f};
    if (h.size() < 5) return {1e-6f, 0.03f, 0.02f, 0.949999f};
    return {1e-6f, 0.95f, 0.025f, 0.024999f};
  });
  decode::AttentionDecodeConfig cfg;
  cfg.start_token = kBos;
  cfg.end_token = kEos;
  cfg.beam_width = 3;
  cfg.normalization = decode::LengthNormalization::none;
  const auto none = decode::beam_search(model, Tensor<float>(), cfg);
  CHECK(none[0].tokens == std::vector<std::int32_t>{kA});
  CHECK(none[0].log_prob == doctest::Approx(std::log(0.45)).epsilon(1e-5));
  CHECK(none[0].score == none[0].log_prob);
  cfg.normalization = decode::LengthNormalization::average;
  const auto avg = decode::beam_search(model, Tensor<float>(), cfg);
  CHECK(avg[0].tokens == std::vector<std::int32_t>{kB, kB, kB, kB});
  CHECK(avg[0].finished);
  CHECK(avg[0].score == doctest::Approx(std::log(0.5 * std::pow(0.95, 4)) / 5.0).epsilon(1e-4));
  for (std::size_t i = 1; i < avg.size(); ++i) CHECK(avg[i].score <= avg[0].score);
  cfg.normalization = decode::LengthNormalization::gnmt;
  const auto gnmt = decode::beam_search(model, Tensor<float>(), cfg);
  CHECK(gnmt[0].tokens == std::vector<std::int32_t>{kB, kB, kB, kB});
  CHECK(gnmt[0].score == doctest::Approx(gnmt[0].log_prob / std::pow(10.0 / 6.0, 0.6)).epsilon(1e-5));
  CHECK(decode::normalized_score(-2.0, 3, decode::LengthNormalization::gnmt, 0.6f) ==
        doctest::Approx(-2.0 / std::pow(8.0 / 6.0, 0.6)));

  // Never ending: cut at max_length, unfinished.
  TableModel endless([](const std::vector<std::int32_t>&) -> std::vector<float> { return {0.1f, 0.0f, 0.6f, 0.3f}; });
  cfg.max_length = 6;
  cfg.normalization = decode::LengthNormalization::gnmt;
  const auto cut = decode::beam_search(endless, Tensor<float>(), cfg);
  REQUIRE(cut.size() == 3);
  CHECK(!cut[0].finished);
  CHECK(cut[0].tokens.size() == 6);
  CHECK(cut[0].tokens == std::vector<std::int32_t>(6, kA));
  const auto g = decode::greedy_decode(endless, Tensor<float>(), cfg);
  CHECK(!g.finished);
  CHECK(g.tokens.size() == 6);
  CHECK(endless.steps == 6 + 6);
}

namespace {

// Embedding + sinusoidal positions + decoder layers + vocabulary projection.
struct TinyTransformerDecoder {
  index_t vocab = 7, d = 16;
  nn::Embedding embed;
  nn::SinusoidalPositionalEncoding pos{16};
  std::vector<std::unique_ptr<nn::TransformerDecoderLayer>> layers;
  nn::Linear head;
  explicit TinyTransformerDecoder(Rng& rng) : embed(7, 16, rng), head(16, 7, rng) {
    nn::TransformerLayerConfig c;
    c.d_model = 16;
    c.nhead = 4;
    c.dim_feedforward = 32;
    c.norm_first = true;
    for (int i = 0; i < 2; ++i) {
      layers.push_back(std::make_unique<nn::TransformerDecoderLayer>(c, rng));
      layers.back()->eval();
    }
    for (float& w : head.weight.value) w *= 4.0f;  // peaky distributions
  }
  Tensor<float> log_probs(const Tensor<float>& h) const {
    Tensor<float> logits = head.infer(h);
    nn::log_softmax_rows(logits.data(), logits.data(), logits.numel() / vocab, vocab);
    return logits;
  }
};

// Incremental: keys/values cached per layer.
class CachedModel : public decode::StepDecoder {
 public:
  explicit CachedModel(const TinyTransformerDecoder& m) : m_(m) {}
  struct State : decode::DecoderState {
    std::vector<nn::TransformerDecoderLayer::Cache> caches;
    index_t t = 0;
  };
  std::unique_ptr<decode::DecoderState> start(const Tensor<float>& memory, index_t) const override {
    auto s = std::make_unique<State>();
    for (auto& l : m_.layers) s->caches.push_back(l->start(memory));
    return s;
  }
  Tensor<float> step(decode::DecoderState& state, const std::vector<std::int32_t>& tokens) const override {
    auto& s = static_cast<State&>(state);
    Tensor<std::int32_t> ids({static_cast<index_t>(tokens.size())}, tokens);
    Tensor<float> h = m_.pos.infer_step(m_.embed.infer(ids), s.t++);
    for (std::size_t i = 0; i < m_.layers.size(); ++i) h = m_.layers[i]->infer_step(h, s.caches[i]);
    return m_.log_probs(h);
  }
  void select(decode::DecoderState& state, const std::vector<index_t>& parents) const override {
    for (auto& c : static_cast<State&>(state).caches) c.reorder(parents);
  }

 private:
  const TinyTransformerDecoder& m_;
};

// Reference: the whole prefix through infer() with a causal mask each step.
class RecomputeModel : public decode::StepDecoder {
 public:
  explicit RecomputeModel(const TinyTransformerDecoder& m) : m_(m) {}
  struct State : decode::DecoderState {
    Tensor<float> memory;
    std::vector<std::vector<std::int32_t>> histories;
  };
  std::unique_ptr<decode::DecoderState> start(const Tensor<float>& memory, index_t n) const override {
    auto s = std::make_unique<State>();
    s->memory = memory;
    s->histories.resize(static_cast<std::size_t>(n));
    return s;
  }
  Tensor<float> step(decode::DecoderState& state, const std::vector<std::int32_t>& tokens) const override {
    auto& s = static_cast<State&>(state);
    const index_t N = static_cast<index_t>(tokens.size());
    Tensor<float> out({N, m_.vocab});
    for (index_t i = 0; i < N; ++i) {
      auto& h = s.histories[static_cast<std::size_t>(i)];
      h.push_back(tokens[static_cast<std::size_t>(i)]);
      const index_t T = static_cast<index_t>(h.size());
      Tensor<std::int32_t> ids({T, 1}, h);
      Tensor<float> x = m_.pos.infer(m_.embed.infer(ids));  // [T, 1, d]
      for (auto& l : m_.layers) x = l->infer(x, s.memory, nn::AttentionMask::causal_mask());
      const Tensor<float> lp = m_.log_probs(Tensor<float>(x.select(0, T - 1)));
      std::copy(lp.begin(), lp.end(), out.data() + i * m_.vocab);
    }
    return out;
  }
  void select(decode::DecoderState& state, const std::vector<index_t>& parents) const override {
    auto& s = static_cast<State&>(state);
    std::vector<std::vector<std::int32_t>> next;
    for (index_t p : parents) next.push_back(s.histories[static_cast<std::size_t>(p)]);
    s.histories = std::move(next);
  }

 private:
  const TinyTransformerDecoder& m_;
};

}  // namespace

TEST_CASE("Cached transformer decoding gives the same sequences as recomputation") {
  Rng rng(15);
  TinyTransformerDecoder model(rng);
  const CachedModel cached(model);
  const RecomputeModel reference(model);
  decode::AttentionDecodeConfig cfg;
  cfg.start_token = 0;
  cfg.end_token = 1;
  cfg.max_length = 12;
  cfg.beam_width = 3;
  for (int trial = 0; trial < 3; ++trial) {
    const Tensor<float> memory = random_tensor({6, 1, 16}, rng, -2.0f, 2.0f);
    const auto g1 = decode::greedy_decode(cached, memory, cfg);
    const auto g2 = decode::greedy_decode(reference, memory, cfg);
    CHECK(g1.tokens == g2.tokens);
    CHECK(g1.log_prob == doctest::Approx(g2.log_prob).epsilon(1e-4));
    const auto b1 = decode::beam_search(cached, memory, cfg);
    const auto b2 = decode::beam_search(reference, memory, cfg);
    REQUIRE(b1.size() == b2.size());
    for (std::size_t i = 0; i < b1.size(); ++i) {
      CHECK(b1[i].tokens == b2[i].tokens);
      CHECK(b1[i].score == doctest::Approx(b2[i].score).epsilon(1e-4));
      for (std::size_t k = 0; k < b1[i].token_log_probs.size(); ++k)
        CHECK(b1[i].token_log_probs[k] == doctest::Approx(b2[i].token_log_probs[k]).epsilon(1e-4));
    }
    CHECK(b1[0].score >= g1.score - 1e-6);
  }
}
