// crnn.hpp — CRNN: a convolutional stack, a bidirectional LSTM and a
// per-frame classifier, trained with CTC (Shi, Bai and Yao 2015).
//
//   images [N, 1, H, W]  (ink 1, paper 0; see data/batch.hpp)
//     -> stages: for each, `convs` x (conv 3x3 -> BatchNorm -> ReLU), then max-pool (ph, pw)
//     -> features [N, C, H', W'] read as a sequence of W' frames of C H' values
//     -> [T = W', N, C H'] -> BiLSTM (layers, hidden) -> [T, N, 2 hidden]
//     -> Linear -> logits [T, N, classes]     (class 0 is the CTC blank)
//
// H must be the configured height; the pools must reduce it to H' >= 1.
// Frames: W' = W / (product of the pools' widths); line n of width w_n
// (before padding) has ceil(w_n / that product) frames, which is what the
// LSTM runs over (padding frames never reach the recurrence) and what CTC
// and the decoders are given.
//
// The config is plain data that round-trips through JSON, stored in the
// model file's "nnocr.architecture"; the charset is stored beside it.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "../data/charset.hpp"
#include "../io/json.hpp"
#include "../io/model_file.hpp"
#include "../nn/nn.hpp"
#include "conv_stack.hpp"
#include "recognizer_file.hpp"

namespace nnocr::models {

using CrnnStage = ConvStage;

struct CrnnConfig {
  index_t height = 32;
  std::vector<CrnnStage> stages = {{32, 1, 2, 2}, {64, 1, 2, 2}, {96, 1, 2, 1}, {128, 1, 2, 1}};
  index_t hidden = 128;     // LSTM units per direction
  int layers = 2;           // LSTM layers
  float dropout = 0.1f;     // between the LSTM layers and before the classifier, in training
  index_t classes = 2;      // including the blank

  index_t frame_width() const { return stages_frame_width(stages); }
  index_t feature_height() const { return stages_feature_height(height, stages); }
  index_t feature_size() const { return (stages.empty() ? 1 : stages.back().channels) * feature_height(); }
  // Frames for a line `width` pixels wide (before padding).
  index_t frames(index_t width) const { return (width + frame_width() - 1) / frame_width(); }

  void validate() const {
    validate_stages("CRNN config", height, stages);
    NNOCR_CHECK(hidden >= 1 && hidden <= 4096 && layers >= 1 && layers <= 8, "CRNN config: LSTM hidden ", hidden,
                " / layers ", layers, " out of range");
    NNOCR_CHECK(dropout >= 0.0f && dropout < 1.0f, "CRNN config: dropout ", dropout, " is outside [0, 1)");
    NNOCR_CHECK(classes >= 2 && classes <= 1000000, "CRNN config: classes ", classes, " is outside [2, 1000000]");
  }

  io::Json to_json() const {
    io::Json j = io::Json::object();
    j.set("type", "crnn");
    j.set("height", height);
    j.set("stages", stages_to_json(stages));
    j.set("hidden", hidden);
    j.set("layers", static_cast<index_t>(layers));
    j.set("dropout", static_cast<double>(dropout));
    j.set("classes", classes);
    return j;
  }
  static CrnnConfig from_json(const io::Json& j) {
    NNOCR_CHECK(j.at("type").as_string() == "crnn", "architecture type '", j.at("type").as_string(), "' is not crnn");
    CrnnConfig c;
    auto small = [](const io::Json& v, const char* what) { return config_integer(v, what); };
    c.height = small(j.at("height"), "height");
    c.stages = stages_from_json(j.at("stages"));
    c.hidden = small(j.at("hidden"), "hidden");
    c.layers = static_cast<int>(small(j.at("layers"), "layers"));
    c.dropout = static_cast<float>(j.at("dropout").as_double());
    c.classes = small(j.at("classes"), "classes");
    c.validate();
    return c;
  }
};

class Crnn : public nn::Module {
 public:
  nn::Sequential cnn;
  nn::Lstm rnn;
  nn::Dropout drop;
  nn::Linear fc;

  Crnn(const CrnnConfig& config, Rng& rng)
      : rnn(rnn_config((config.validate(), config)), rng),
        drop(config.dropout, rng.next_u64()),
        fc(2 * config.hidden, config.classes, rng),
        config_(config) {
    build_conv_stack(cnn, config.stages, rng);
    register_module("cnn", cnn);
    register_module("rnn", rnn);
    register_module("drop", drop);
    register_module("fc", fc);
  }

  const CrnnConfig& config() const { return config_; }
  std::string kind() const override { return "Crnn"; }

  // Training forward: logits [T, N, classes]; `frames` receives each line's
  // frame count (for CTC). widths: each line's width before padding.
  Tensor<float> forward(const Tensor<float>& images, const std::vector<index_t>& widths, std::vector<index_t>* frames) {
    const std::vector<index_t> lengths = frame_lengths(images, widths);
    const Tensor<float> f = conv_stack_forward(cnn, images, widths, layer_widths_);
    feature_shape_ = f.shape();
    const Tensor<float> seq = features_to_frames(f);
    const nn::RecurrentOutput r = rnn.forward(seq, lengths);
    Tensor<float> logits = fc.forward(drop.forward(r.y));
    if (frames) *frames = lengths;
    return logits;
  }

  // dlogits: gradient of the last forward's logits. Accumulates parameter
  // gradients; returns d loss / d images.
  Tensor<float> backward(const Tensor<float>& dlogits) {
    NNOCR_CHECK(feature_shape_.rank() == 4, "Crnn::backward called without a forward");
    const Tensor<float> dseq = rnn.backward(drop.backward(fc.backward(dlogits)));
    return conv_stack_backward(cnn, frames_to_features(dseq, feature_shape_), layer_widths_);
  }

  // Eval-mode forward that keeps nothing (thread-safe on a shared model).
  Tensor<float> infer(const Tensor<float>& images, const std::vector<index_t>& widths,
                      std::vector<index_t>* frames = nullptr) const {
    const std::vector<index_t> lengths = frame_lengths(images, widths);
    const Tensor<float> f = conv_stack_infer(cnn, images, widths);
    const nn::RecurrentOutput r = rnn.infer(features_to_frames(f), lengths);
    if (frames) *frames = lengths;
    return fc.infer(r.y);
  }

  // Frames per line for a batch of padded width W.
  std::vector<index_t> frame_lengths(const Tensor<float>& images, const std::vector<index_t>& widths) const {
    NNOCR_CHECK(images.rank() == 4 && images.size(1) == 1 && images.size(2) == config_.height,
                "Crnn: expected images [N, 1, ", config_.height, ", W], got ", images.shape().str());
    const index_t N = images.size(0), W = images.size(3);
    NNOCR_CHECK(static_cast<index_t>(widths.size()) == N, "Crnn: ", widths.size(), " widths for ", N, " images");
    NNOCR_CHECK(W >= config_.frame_width(), "Crnn: images ", W, " pixels wide are narrower than one frame (",
                config_.frame_width(), " pixels)");
    const index_t T = W / config_.frame_width();
    std::vector<index_t> out(widths.size());
    for (std::size_t i = 0; i < widths.size(); ++i) {
      NNOCR_CHECK(widths[i] >= 0 && widths[i] <= W, "Crnn: width ", widths[i], " of line ", i, " is outside [0, ", W,
                  "]");
      out[i] = std::min(T, config_.frames(widths[i]));
    }
    return out;
  }

 private:
  static nn::RecurrentConfig rnn_config(const CrnnConfig& c) {
    nn::RecurrentConfig r;
    r.input_size = c.feature_size();
    r.hidden_size = c.hidden;
    r.num_layers = c.layers;
    r.bidirectional = true;
    r.dropout = c.dropout;
    return r;
  }

  CrnnConfig config_;
  Shape feature_shape_;
  std::vector<std::vector<index_t>> layer_widths_;  // per cnn layer, from the last forward
};

// A CRNN model file: the weights by name, the config in "nnocr.architecture"
// and the charset (one class per entry, see data/charset.hpp) in
// "nnocr.charset", plus whatever the caller adds (training notes).
inline void save_crnn(const std::string& path, Crnn& model, const data::Charset& charset, io::Metadata metadata = {}) {
  save_recognizer(path, model, charset, std::move(metadata), "save_crnn");
}

using CrnnFile = RecognizerFile<Crnn>;

// Loads a model file written by save_crnn (or a checkpoint, whose tensors
// are under "model."); the model comes back in eval mode. Errors name the
// file and the first problem (not a CRNN, charset size differs from the
// classes, tensor missing or of the wrong shape, ...).
inline CrnnFile load_crnn(const std::string& path) { return load_recognizer<Crnn, CrnnConfig>(path); }

}  // namespace nnocr::models
