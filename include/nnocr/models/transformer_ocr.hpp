// transformer_ocr.hpp — a transformer recognizer: the CRNN's convolutional
// front end as encoder, a transformer decoder that writes the text one
// character at a time while attending to the image's frames (in the spirit
// of TrOCR and PARSeq's autoregressive mode, at CRNN scale).
//
//   images [N, 1, H, W] -> conv stack (conv_stack.hpp) -> frames [S, N, C H']
//     -> Linear(C H' -> d) + sinusoidal positions -> encoder layers      = memory [S, N, d]
//   tokens [L, N]: start, y_1 .. y_{L-1}  -> Embedding + positions
//     -> decoder layers (causal self-attention, cross-attention to the memory)
//     -> LayerNorm -> Linear(d -> classes) = logits [L, N, classes]
//
// Layers are pre-norm (norm_first; Xiong et al. 2020), hence the final
// LayerNorm. Vocabulary: the charset's classes, with class 0 (the CTC
// blank's slot) as the end-of-text token; the start token is an extra
// embedding row (id = classes) that is never predicted. A line's frames
// past its width are masked out of the cross-attention (key padding), so
// a line reads the same in any batch.
//
// Training (teacher forcing): the decoder gets start + the text and is
// scored by cross-entropy against the text + end (train/loss.hpp, padding
// positions ignored). Reading: greedy or beam search through
// decode::StepDecoder (decode/attention.hpp); each step costs O(t) thanks
// to the decoder layers' key/value caches.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../data/charset.hpp"
#include "../decode/attention.hpp"
#include "../io/json.hpp"
#include "../io/model_file.hpp"
#include "../nn/nn.hpp"
#include "autoregressive.hpp"
#include "conv_stack.hpp"
#include "recognizer_file.hpp"

namespace nnocr::models {

struct TransformerOcrConfig {
  index_t height = 32;
  std::vector<ConvStage> stages = {{32, 1, 2, 2}, {64, 1, 2, 2}, {96, 1, 2, 1}, {128, 1, 2, 1}};
  index_t d_model = 128, heads = 4, feedforward = 256;
  int encoder_layers = 1, decoder_layers = 2;
  float dropout = 0.1f;
  index_t max_length = 128;  // longest text, tokens (the end token included)
  index_t classes = 2;       // the charset's size; class 0 ends the text

  index_t frame_width() const { return stages_frame_width(stages); }
  index_t feature_size() const {
    return (stages.empty() ? 1 : stages.back().channels) * stages_feature_height(height, stages);
  }
  index_t frames(index_t width) const { return (width + frame_width() - 1) / frame_width(); }
  std::int32_t start_token() const { return static_cast<std::int32_t>(classes); }

  void validate() const {
    validate_stages("transformer config", height, stages);
    NNOCR_CHECK(d_model >= 2 && d_model <= 4096 && heads >= 1 && d_model % heads == 0 && feedforward >= 1 &&
                    feedforward <= 65536,
                "transformer config: d_model ", d_model, " / heads ", heads, " / feedforward ", feedforward,
                " out of range (d_model must be a multiple of heads)");
    NNOCR_CHECK(encoder_layers >= 0 && encoder_layers <= 16 && decoder_layers >= 1 && decoder_layers <= 16,
                "transformer config: encoder layers ", encoder_layers, " / decoder layers ", decoder_layers,
                " out of range");
    NNOCR_CHECK(dropout >= 0.0f && dropout < 1.0f, "transformer config: dropout ", dropout, " is outside [0, 1)");
    NNOCR_CHECK(max_length >= 1 && max_length <= 100000, "transformer config: max_length ", max_length,
                " out of range");
    NNOCR_CHECK(classes >= 2 && classes <= 1000000, "transformer config: classes ", classes,
                " is outside [2, 1000000]");
  }

  io::Json to_json() const {
    io::Json j = io::Json::object();
    j.set("type", "transformer");
    j.set("height", height);
    j.set("stages", stages_to_json(stages));
    j.set("d_model", d_model);
    j.set("heads", heads);
    j.set("feedforward", feedforward);
    j.set("encoder_layers", static_cast<index_t>(encoder_layers));
    j.set("decoder_layers", static_cast<index_t>(decoder_layers));
    j.set("dropout", static_cast<double>(dropout));
    j.set("max_length", max_length);
    j.set("classes", classes);
    return j;
  }
  static TransformerOcrConfig from_json(const io::Json& j) {
    NNOCR_CHECK(j.at("type").as_string() == "transformer", "architecture type '", j.at("type").as_string(),
                "' is not transformer");
    TransformerOcrConfig c;
    c.height = config_integer(j.at("height"), "height");
    c.stages = stages_from_json(j.at("stages"));
    c.d_model = config_integer(j.at("d_model"), "d_model");
    c.heads = config_integer(j.at("heads"), "heads");
    c.feedforward = config_integer(j.at("feedforward"), "feedforward");
    c.encoder_layers = static_cast<int>(config_integer(j.at("encoder_layers"), "encoder_layers"));
    c.decoder_layers = static_cast<int>(config_integer(j.at("decoder_layers"), "decoder_layers"));
    c.dropout = static_cast<float>(j.at("dropout").as_double());
    c.max_length = config_integer(j.at("max_length"), "max_length");
    c.classes = config_integer(j.at("classes"), "classes");
    c.validate();
    return c;
  }
};

// Modules of one kind named "0", "1", ... (PyTorch's nn.ModuleList), so a
// stack's parameters are "decoder.0.self_attn.in_proj_weight", ...
template <class M>
class ModuleList : public nn::Module {
 public:
  M& add(std::unique_ptr<M> m) {
    items_.push_back(std::move(m));
    register_module(std::to_string(items_.size() - 1), *items_.back());
    return *items_.back();
  }
  std::size_t size() const { return items_.size(); }
  M& operator[](std::size_t i) { return *items_.at(i); }
  const M& operator[](std::size_t i) const { return *items_.at(i); }
  std::string kind() const override { return "ModuleList"; }

 private:
  std::vector<std::unique_ptr<M>> items_;
};

class TransformerOcr : public AutoregressiveRecognizer {
 public:
  nn::Sequential cnn;
  nn::Linear proj;
  ModuleList<nn::TransformerEncoderLayer> encoder;
  nn::Embedding embed;
  ModuleList<nn::TransformerDecoderLayer> decoder;
  nn::LayerNorm norm;
  nn::Linear out;

  TransformerOcr(const TransformerOcrConfig& config, Rng& rng)
      : proj((config.validate(), config.feature_size()), config.d_model, rng),
        embed(config.classes + 1, config.d_model, rng),
        norm(config.d_model),
        out(config.d_model, config.classes, rng),
        config_(config) {
    build_conv_stack(cnn, config.stages, rng);
    nn::TransformerLayerConfig lc;
    lc.d_model = config.d_model;
    lc.nhead = config.heads;
    lc.dim_feedforward = config.feedforward;
    lc.dropout = config.dropout;
    lc.norm_first = true;
    for (int i = 0; i < config.encoder_layers; ++i) {
      lc.seed = rng.next_u64();
      encoder.add(std::make_unique<nn::TransformerEncoderLayer>(lc, rng));
    }
    for (int i = 0; i < config.decoder_layers; ++i) {
      lc.seed = rng.next_u64();
      decoder.add(std::make_unique<nn::TransformerDecoderLayer>(lc, rng));
    }
    register_module("cnn", cnn);
    register_module("proj", proj);
    register_module("encoder", encoder);
    register_module("embed", embed);
    register_module("decoder", decoder);
    register_module("norm", norm);
    register_module("out", out);
  }

  const TransformerOcrConfig& config() const { return config_; }
  index_t input_height() const override { return config_.height; }
  index_t frame_width() const override { return config_.frame_width(); }
  std::string kind() const override { return "TransformerOcr"; }

  // Frames per line for a batch of padded width W (see line_frame_lengths).
  std::vector<index_t> frame_lengths(const Tensor<float>& images, const std::vector<index_t>& widths) const {
    return line_frame_lengths("TransformerOcr", images, widths, config_.height, config_.frame_width());
  }

  // Training forward. tokens [L, N]: the start token, then the text (ids
  // 1 .. classes - 1), anything after a line's end (its logits are to be
  // ignored by the loss). Returns logits [L, N, classes].
  Tensor<float> forward(const Tensor<float>& images, const std::vector<index_t>& widths,
                        const Tensor<std::int32_t>& tokens) {
    check_tokens(tokens, images.size(0));
    const std::vector<index_t> lengths = frame_lengths(images, widths);
    const Tensor<float> f = conv_stack_forward(cnn, images, widths, layer_widths_);
    feature_shape_ = f.shape();
    Tensor<float> m = proj.forward(features_to_frames(f));
    add_positions(m);
    memory_mask_ = padding_mask(lengths, m.size(0));
    for (std::size_t i = 0; i < encoder.size(); ++i) m = encoder[i].forward(m, memory_mask_);
    Tensor<float> t = embed.forward(tokens);
    add_positions(t);
    for (std::size_t i = 0; i < decoder.size(); ++i)
      t = decoder[i].forward(t, m, nn::AttentionMask::causal_mask(), memory_mask_);
    return out.forward(norm.forward(t));
  }

  // Accumulates parameter gradients; returns d loss / d images.
  Tensor<float> backward(const Tensor<float>& dlogits) {
    NNOCR_CHECK(feature_shape_.rank() == 4, "TransformerOcr::backward called without a forward");
    Tensor<float> dt = norm.backward(out.backward(dlogits));
    Tensor<float> dm;
    for (std::size_t i = decoder.size(); i-- > 0;) {
      nn::DecoderLayerGradients g = decoder[i].backward(dt);
      dt = std::move(g.target);
      if (dm.empty()) {
        dm = std::move(g.memory);
      } else {
        for (index_t k = 0; k < dm.numel(); ++k) dm[k] += g.memory[k];
      }
    }
    embed.backward(dt);
    for (std::size_t i = encoder.size(); i-- > 0;) dm = encoder[i].backward(dm);
    return conv_stack_backward(cnn, frames_to_features(proj.backward(dm), feature_shape_), layer_widths_);
  }

  // Eval-mode encoder output [S, N, d] for a batch (keeps nothing);
  // `frames` receives each line's frame count.
  Tensor<float> encode(const Tensor<float>& images, const std::vector<index_t>& widths,
                       std::vector<index_t>* frames = nullptr) const override {
    const std::vector<index_t> lengths = frame_lengths(images, widths);
    Tensor<float> m = proj.infer(features_to_frames(conv_stack_infer(cnn, images, widths)));
    add_positions(m);
    const nn::AttentionMask mask = padding_mask(lengths, m.size(0));
    for (std::size_t i = 0; i < encoder.size(); ++i) m = encoder[i].infer(m, mask);
    if (frames) *frames = lengths;
    return m;
  }

  // Decoding settings for decode::greedy_decode / beam_search.
  decode::AttentionDecodeConfig decode_config(index_t beam_width = 1) const override {
    decode::AttentionDecodeConfig c;
    c.start_token = config_.start_token();
    c.end_token = 0;
    c.max_length = config_.max_length;
    c.beam_width = beam_width;
    return c;
  }

  // decode::StepDecoder: memory is one line's [S, 1, d] (line_memory).
  std::unique_ptr<decode::DecoderState> start(const Tensor<float>& memory, index_t hypotheses) const override {
    NNOCR_CHECK(memory.rank() == 3 && memory.size(1) == 1 && memory.size(2) == config_.d_model,
                "TransformerOcr::start: expected one line's memory [S, 1, ", config_.d_model, "], got ",
                memory.shape().str());
    auto s = std::make_unique<State>();
    for (std::size_t i = 0; i < decoder.size(); ++i) s->caches.push_back(decoder[i].start(memory));
    s->hypotheses = hypotheses;
    return s;
  }

  Tensor<float> step(decode::DecoderState& state, const std::vector<std::int32_t>& tokens) const override {
    auto& s = dynamic_cast<State&>(state);
    const auto n = static_cast<index_t>(tokens.size());
    NNOCR_CHECK(n == s.hypotheses, "TransformerOcr::step: ", n, " tokens for ", s.hypotheses, " sequences");
    NNOCR_CHECK(s.position < config_.max_length + 1, "TransformerOcr::step: past max_length");
    Tensor<std::int32_t> ids({n});
    for (index_t i = 0; i < n; ++i) ids[i] = tokens[static_cast<std::size_t>(i)];
    Tensor<float> x = embed.infer(ids);  // [n, d]
    const Tensor<float> pe = nn::SinusoidalPositionalEncoding::table(1, config_.d_model, s.position);
    for (index_t i = 0; i < n; ++i)
      for (index_t k = 0; k < config_.d_model; ++k) x(i, k) += pe(0, k);
    for (std::size_t l = 0; l < decoder.size(); ++l) x = decoder[l].infer_step(x, s.caches[l]);
    Tensor<float> logits = out.infer(norm.infer(x));
    nn::log_softmax_rows(logits.data(), logits.data(), n, logits.size(1));
    ++s.position;
    return logits;
  }

  void select(decode::DecoderState& state, const std::vector<index_t>& parents) const override {
    auto& s = dynamic_cast<State&>(state);
    for (auto& c : s.caches) c.reorder(parents);
    s.hypotheses = static_cast<index_t>(parents.size());
  }

 private:
  struct State : decode::DecoderState {
    std::vector<nn::TransformerDecoderLayer::Cache> caches;
    index_t hypotheses = 0, position = 0;
  };

  void check_tokens(const Tensor<std::int32_t>& tokens, index_t N) const {
    NNOCR_CHECK(tokens.rank() == 2 && tokens.size(1) == N && tokens.size(0) >= 1 &&
                    tokens.size(0) <= config_.max_length,
                "TransformerOcr: tokens must be [L, ", N, "] with 1 <= L <= ", config_.max_length, ", got ",
                tokens.shape().str());
  }

  // x [T, N, d] += PE(t).
  static void add_positions(Tensor<float>& x) {
    const index_t T = x.size(0), N = x.size(1), d = x.size(2);
    const Tensor<float> pe = nn::SinusoidalPositionalEncoding::table(T, d);
    for (index_t t = 0; t < T; ++t)
      for (index_t n = 0; n < N; ++n) {
        float* row = x.data() + (t * N + n) * d;
        for (index_t k = 0; k < d; ++k) row[k] += pe(t, k);
      }
  }

  // Key padding over S memory positions: line n's frames past lengths[n].
  static nn::AttentionMask padding_mask(const std::vector<index_t>& lengths, index_t S) {
    nn::AttentionMask m;
    const auto N = static_cast<index_t>(lengths.size());
    m.key_padding = Tensor<std::uint8_t>({N, S}, 0);
    for (index_t n = 0; n < N; ++n)
      for (index_t s = lengths[static_cast<std::size_t>(n)]; s < S; ++s) m.key_padding(n, s) = 1;
    return m;
  }

  TransformerOcrConfig config_;
  Shape feature_shape_;
  std::vector<std::vector<index_t>> layer_widths_;
  nn::AttentionMask memory_mask_;
};

// Model files (recognizer_file.hpp); "type": "transformer".
inline void save_transformer_ocr(const std::string& path, TransformerOcr& model, const data::Charset& charset,
                                 io::Metadata metadata = {}) {
  save_recognizer(path, model, charset, std::move(metadata), "save_transformer_ocr");
}

using TransformerOcrFile = RecognizerFile<TransformerOcr>;

inline TransformerOcrFile load_transformer_ocr(const std::string& path) {
  return load_recognizer<TransformerOcr, TransformerOcrConfig>(path);
}

}  // namespace nnocr::models
