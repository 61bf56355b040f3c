// The attention recognizer (models/attention_ocr.hpp): config, gradients by
// finite differences (through the decoder's time steps, the attention and
// the encoder), padding invariance, step-by-step decoding against the full
// forward, a tiny model that learns to read, and model files read by the
// Recognizer.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nnocr/decode/attention.hpp>
#include <nnocr/models/attention_ocr.hpp>
#include <nnocr/pipeline/recognizer.hpp>
#include <nnocr/train/gradcheck.hpp>
#include <nnocr/train/loss.hpp>
#include <nnocr/train/optim.hpp>

#include "test_util.hpp"

// Everything in a namespace of its own: the pipeline-level test files are
// compiled as one unit (tests/CMakeLists.txt, NNOCR_UNITY_TESTS), and their
// helpers and using-directives must not meet.
namespace nnocr_test_attention_ocr {

using namespace nnocr;
using models::AttentionOcr;
using models::AttentionOcrConfig;

namespace {

AttentionOcrConfig tiny_config() {
  AttentionOcrConfig c;
  c.height = 8;
  c.stages = {{2, 1, 2, 2}, {3, 1, 2, 1}};
  c.encoder_hidden = 4;
  c.attention = 5;
  c.embedding = 3;
  c.decoder_hidden = 6;
  c.dropout = 0.0f;
  c.max_length = 12;
  c.classes = 5;
  return c;
}

using test::ink_lines;

Tensor<std::int32_t> tokens_of(const std::vector<std::vector<std::int32_t>>& columns, std::int32_t start) {
  index_t L = 0;
  for (const auto& c : columns) L = std::max<index_t>(L, static_cast<index_t>(c.size()) + 1);
  Tensor<std::int32_t> t({L, static_cast<index_t>(columns.size())}, 0);
  for (std::size_t n = 0; n < columns.size(); ++n) {
    t(0, static_cast<index_t>(n)) = start;
    for (std::size_t i = 0; i < columns[n].size(); ++i)
      t(static_cast<index_t>(i) + 1, static_cast<index_t>(n)) = columns[n][i];
  }
  return t;
}

template <class T>
Tensor<T> reshaped(const Tensor<T>& t, const Shape& shape) {
  Tensor<T> out(shape);
  REQUIRE(out.numel() == t.numel());
  std::copy(t.data(), t.data() + t.numel(), out.data());
  return out;
}

// The model as a one-tensor Layer (fixed widths and tokens) for train::check_gradients.
struct AsLayer : nn::Layer {
  AttentionOcr& model;
  std::vector<index_t> widths;
  Tensor<std::int32_t> tokens;
  AsLayer(AttentionOcr& m, std::vector<index_t> w, Tensor<std::int32_t> t)
      : model(m), widths(std::move(w)), tokens(std::move(t)) {
    register_module("model", model);
  }
  std::string kind() const override { return "AsLayer"; }
  Tensor<float> forward(const Tensor<float>& x) override { return model.forward(x, widths, tokens); }
  Tensor<float> infer(const Tensor<float>&) const override { throw Error("not used"); }
  Tensor<float> backward(const Tensor<float>& dy) override { return model.backward(dy); }
};

}  // namespace

TEST_CASE("AttentionOcr config: validation, JSON round trip, parameter names") {
  AttentionOcrConfig c = tiny_config();
  CHECK_NOTHROW(c.validate());
  const AttentionOcrConfig back = AttentionOcrConfig::from_json(c.to_json());
  CHECK(io::to_json(back.to_json()) == io::to_json(c.to_json()));
  CHECK(c.start_token() == 5);
  AttentionOcrConfig bad = c;
  bad.attention = 0;
  CHECK_THROWS_AS(bad.validate(), Error);
  io::Json crnn = c.to_json();
  crnn.set("type", "crnn");
  CHECK_THROWS_WITH_AS(AttentionOcrConfig::from_json(crnn), doctest::Contains("not attention"), Error);
  Rng rng(1);
  AttentionOcr model(c, rng);
  std::vector<std::string> names;
  for (auto& np : model.named_parameters()) names.push_back(np.first);
  for (const char* want : {"decoder.weight_ih", "decoder.weight_hh", "decoder.bias_ih", "decoder.bias_hh",
                           "attention.key.weight", "attention.query.weight", "attention.v", "encoder.weight_ih_l0",
                           "encoder.weight_hh_l0_reverse", "embed.weight", "out.weight"})
    CHECK_MESSAGE(std::find(names.begin(), names.end(), want) != names.end(), want);
  CHECK(std::find(names.begin(), names.end(), "attention.query.bias") == names.end());
}

TEST_CASE("AttentionOcr backward matches finite differences (input and every parameter)") {
  // Pools 1 x 1 and BatchNorm shifts at 3 keep every ReLU on its linear
  // side, so the network is smooth; the second line is shorter (its frames
  // past the width get no attention), and its text too.
  AttentionOcrConfig cfg = tiny_config();
  cfg.height = 4;
  cfg.stages = {{2, 1, 1, 1}, {3, 1, 1, 1}};
  Rng rng(3);
  AttentionOcr model(cfg, rng);
  for (auto& [name, p] : model.named_parameters())
    if (name.find("cnn.") == 0 && name.find(".bias") != std::string::npos) p->value.fill(3.0f);
  AsLayer layer(model, {6, 4}, tokens_of({{1, 2, 3}, {4}}, cfg.start_token()));
  const Tensor<float> x = ink_lines(cfg.height, 6, {6, 4}, rng);
  train::GradCheckOptions options;
  options.step = 1e-3f;
  options.max_checks_per_tensor = 12;
  layer.train();
  const auto r = train::check_gradients(layer, x, options);
  INFO("worst ", r.worst, " (ratio ", r.worst_ratio, ")");
  CHECK(r.checked > 250);
  CHECK(r.ok());
}

TEST_CASE("AttentionOcr: a line's logits do not depend on the lines batched with it") {
  const AttentionOcrConfig cfg = tiny_config();
  Rng rng(5);
  AttentionOcr model(cfg, rng);
  model.eval();
  const Tensor<float> both = ink_lines(cfg.height, 20, {7, 20}, rng);
  Tensor<float> alone({1, 1, cfg.height, 8}, 0.0f);
  for (index_t y = 0; y < cfg.height; ++y)
    for (index_t i = 0; i < 7; ++i) alone(0, 0, y, i) = both(0, 0, y, i);
  const Tensor<float> a = model.forward(alone, {7}, tokens_of({{1, 2}}, cfg.start_token()));
  const Tensor<float> b = model.forward(both, {7, 20}, tokens_of({{1, 2}, {3, 3}}, cfg.start_token()));
  double worst = 0.0, between = 0.0;
  for (index_t t = 0; t < 3; ++t)
    for (index_t c = 0; c < cfg.classes; ++c) {
      worst = std::max(worst, std::abs(static_cast<double>(a(t, 0, c)) - b(t, 0, c)));
      between = std::max(between, std::abs(static_cast<double>(b(t, 0, c)) - b(t, 1, c)));
    }
  CHECK(worst < 1e-5);
  CHECK(between > 1e-4);  // the two lines do read differently
}

TEST_CASE("AttentionOcr: step-by-step decoding equals the full forward; beam width 1 is greedy") {
  const AttentionOcrConfig cfg = tiny_config();
  Rng rng(8);
  AttentionOcr model(cfg, rng);
  model.eval();
  const Tensor<float> x = ink_lines(cfg.height, 16, {16}, rng);
  std::vector<index_t> frames;
  const Tensor<float> memory = model.encode(x, {16}, &frames);
  REQUIRE(frames == std::vector<index_t>{8});
  const Tensor<float> line = models::line_memory(memory, 0, frames[0]);
  decode::AttentionDecodeConfig dc = model.decode_config();
  dc.max_length = 6;
  const decode::DecodedSequence greedy = decode::greedy_decode(model, line, dc);
  const Tensor<std::int32_t> tokens = tokens_of({greedy.tokens}, cfg.start_token());
  Tensor<float> logits = model.forward(x, {16}, tokens);
  nn::log_softmax_rows(logits.data(), logits.data(), logits.size(0), logits.size(2));
  double lp = 0.0;
  for (std::size_t t = 0; t < greedy.tokens.size(); ++t) {
    const float* row = logits.data() + static_cast<index_t>(t) * cfg.classes;
    const auto best = static_cast<std::int32_t>(std::max_element(row, row + cfg.classes) - row);
    CHECK(best == greedy.tokens[t]);
    CHECK(std::abs(row[greedy.tokens[t]] - greedy.token_log_probs[t]) < 1e-4);
    lp += row[greedy.tokens[t]];
  }
  if (greedy.finished) lp += logits(static_cast<index_t>(greedy.tokens.size()), 0, 0);
  CHECK(std::abs(lp - greedy.log_prob) < 1e-3);
  const auto beams = decode::beam_search(model, line, model.decode_config(1));
  REQUIRE(!beams.empty());
  dc.max_length = cfg.max_length;
  CHECK(beams.front().tokens == decode::greedy_decode(model, line, dc).tokens);
  // A wider beam keeps hypotheses apart: its best is at least as probable.
  const auto wide = decode::beam_search(model, line, model.decode_config(4));
  REQUIRE(!wide.empty());
  CHECK(wide.front().log_prob >= beams.front().log_prob - 1e-4);
}

TEST_CASE("AttentionOcr learns to read: three patterns, three texts") {
  AttentionOcrConfig cfg = tiny_config();
  cfg.encoder_hidden = 8;
  cfg.attention = 8;
  cfg.decoder_hidden = 16;
  Rng rng(11);
  AttentionOcr model(cfg, rng);
  const std::vector<std::vector<std::int32_t>> texts = {{1, 2, 3}, {4, 4}, {3, 1}};
  const std::vector<index_t> widths = {12, 16, 10};
  const Tensor<float> x = ink_lines(cfg.height, 16, widths, rng);
  std::vector<std::int32_t> flat;
  std::vector<index_t> lengths;
  for (const auto& t : texts) {
    flat.insert(flat.end(), t.begin(), t.end());
    lengths.push_back(static_cast<index_t>(t.size()));
  }
  const Tensor<std::int32_t> targets({static_cast<index_t>(flat.size())}, flat);
  const models::TeacherForcing tf = models::teacher_forcing(targets, lengths, cfg.start_token());
  train::Adam opt(model.named_parameters(), train::adamw_config(0.02f, 0.0f));
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 150; ++step) {
    model.train();
    opt.zero_grad();
    const Tensor<float> logits = model.forward(x, widths, tf.inputs);
    const Tensor<float> flat_logits = reshaped(logits, {logits.size(0) * logits.size(1), logits.size(2)});
    const train::LossResult r = train::cross_entropy(flat_logits, reshaped(tf.outputs, {tf.outputs.numel()}));
    model.backward(reshaped(r.grad, logits.shape()));
    opt.step();
    if (step == 0) first = r.loss;
    last = r.loss;
  }
  INFO("loss ", first, " -> ", last);
  CHECK(last < 0.2 * first);
  model.eval();
  std::vector<index_t> frames;
  const Tensor<float> memory = model.encode(x, widths, &frames);
  for (std::size_t n = 0; n < texts.size(); ++n) {
    const auto seq = decode::greedy_decode(
        model, models::line_memory(memory, static_cast<index_t>(n), frames[n]), model.decode_config());
    CHECK(seq.finished);
    CHECK(seq.tokens == texts[n]);
  }
}

TEST_CASE("AttentionOcr model files, and the Recognizer reading with one") {
  AttentionOcrConfig cfg = tiny_config();
  cfg.height = 16;
  cfg.stages = {{4, 1, 2, 2}, {6, 1, 2, 1}, {6, 1, 2, 1}};
  const data::Charset charset = data::Charset::from_characters("ab c");
  cfg.classes = charset.size();
  Rng rng(21);
  AttentionOcr model(cfg, rng);
  model.eval();
  test::TempDir dir;
  models::save_attention_ocr(dir.file("a.safetensors"), model, charset, {{"nnocr.training", "a test"}});
  CHECK(models::recognizer_type(dir.file("a.safetensors")) == "attention");
  const models::AttentionOcrFile back = models::load_attention_ocr(dir.file("a.safetensors"));
  CHECK(back.charset.to_string() == charset.to_string());
  const Tensor<float> x = ink_lines(cfg.height, 16, {16}, rng);
  const Tensor<std::int32_t> t = tokens_of({{1, 2}}, cfg.start_token());
  const Tensor<float> a = model.forward(x, {16}, t), b = back.model->forward(x, {16}, t);
  for (index_t i = 0; i < a.numel(); ++i) CHECK(a[i] == b[i]);
  CHECK_THROWS_WITH_AS(models::load_transformer_ocr(dir.file("a.safetensors")), doctest::Contains("not transformer"),
                       Error);

  pipeline::Recognizer ocr(dir.file("a.safetensors"));
  CHECK(ocr.is_autoregressive());
  std::vector<image::Image> lines;
  for (int k = 0; k < 3; ++k) {
    image::Image img(60 + 20 * k, 20, 1, 255);
    for (int y = 6; y < 14; ++y)
      for (int xx = 4; xx < img.width() - 4; ++xx)
        if ((xx / (3 + k)) % 2 == 0) img.at(xx, y) = 0;
    lines.push_back(img);
  }
  const std::vector<pipeline::LineResult> together = ocr.read_lines(lines);
  REQUIRE(together.size() == 3);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const pipeline::LineResult alone = ocr.read_lines({lines[i]})[0];
    CHECK(alone.text == together[i].text);
    CHECK(std::abs(alone.confidence - together[i].confidence) < 1e-5f);
    CHECK(alone.confidence >= 0.0f);
    CHECK(alone.confidence <= 1.0f);
  }
  pipeline::RecognizerOptions beam;
  beam.decoder = pipeline::Decoder::beam;
  beam.beam_width = 3;
  CHECK(pipeline::Recognizer(dir.file("a.safetensors"), beam).read_lines(lines).size() == 3);
}

}  // namespace nnocr_test_attention_ocr
