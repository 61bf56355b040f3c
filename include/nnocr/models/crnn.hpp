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

namespace nnocr::models {

struct CrnnStage {
  index_t channels = 32;
  int convs = 1;          // 3x3 convolutions in the stage
  index_t pool_h = 2, pool_w = 2;  // 1 x 1: no pooling
};

struct CrnnConfig {
  index_t height = 32;
  std::vector<CrnnStage> stages = {{32, 1, 2, 2}, {64, 1, 2, 2}, {96, 1, 2, 1}, {128, 1, 2, 1}};
  index_t hidden = 128;     // LSTM units per direction
  int layers = 2;           // LSTM layers
  float dropout = 0.1f;     // between the LSTM layers and before the classifier, in training
  index_t classes = 2;      // including the blank

  index_t frame_width() const {
    index_t f = 1;
    for (const auto& s : stages) f *= s.pool_w;
    return f;
  }
  index_t feature_height() const {
    index_t h = height;
    for (const auto& s : stages) h /= s.pool_h;
    return h;
  }
  index_t feature_size() const { return (stages.empty() ? 1 : stages.back().channels) * feature_height(); }
  // Frames for a line `width` pixels wide (before padding).
  index_t frames(index_t width) const { return (width + frame_width() - 1) / frame_width(); }

  void validate() const {
    NNOCR_CHECK(height >= 1 && height <= 1024, "CRNN config: height ", height, " is outside [1, 1024]");
    NNOCR_CHECK(!stages.empty() && stages.size() <= 16, "CRNN config: needs 1 to 16 conv stages, got ", stages.size());
    index_t h = height;
    for (std::size_t i = 0; i < stages.size(); ++i) {
      const auto& s = stages[i];
      NNOCR_CHECK(s.channels >= 1 && s.channels <= 4096 && s.convs >= 1 && s.convs <= 8 && s.pool_h >= 1 &&
                      s.pool_h <= 8 && s.pool_w >= 1 && s.pool_w <= 8,
                  "CRNN config: stage ", i, " (channels ", s.channels, ", convs ", s.convs, ", pool ", s.pool_h, "x",
                  s.pool_w, ") is out of range");
      h /= s.pool_h;
      NNOCR_CHECK(h >= 1, "CRNN config: the pools reduce height ", height, " to nothing at stage ", i);
    }
    NNOCR_CHECK(hidden >= 1 && hidden <= 4096 && layers >= 1 && layers <= 8, "CRNN config: LSTM hidden ", hidden,
                " / layers ", layers, " out of range");
    NNOCR_CHECK(dropout >= 0.0f && dropout < 1.0f, "CRNN config: dropout ", dropout, " is outside [0, 1)");
    NNOCR_CHECK(classes >= 2 && classes <= 1000000, "CRNN config: classes ", classes, " is outside [2, 1000000]");
  }

  io::Json to_json() const {
    io::Json j = io::Json::object();
    j.set("type", "crnn");
    j.set("height", height);
    io::Json st = io::Json::array();
    for (const auto& s : stages) {
      io::Json o = io::Json::object();
      o.set("channels", s.channels);
      o.set("convs", static_cast<index_t>(s.convs));
      o.set("pool_h", s.pool_h);
      o.set("pool_w", s.pool_w);
      st.push_back(std::move(o));
    }
    j.set("stages", std::move(st));
    j.set("hidden", hidden);
    j.set("layers", static_cast<index_t>(layers));
    j.set("dropout", static_cast<double>(dropout));
    j.set("classes", classes);
    return j;
  }
  static CrnnConfig from_json(const io::Json& j) {
    NNOCR_CHECK(j.at("type").as_string() == "crnn", "architecture type '", j.at("type").as_string(), "' is not crnn");
    CrnnConfig c;
    auto small = [](const io::Json& v, const char* what) {
      const std::int64_t x = v.as_int();
      NNOCR_CHECK(x >= 0 && x <= 1000000, "CRNN config: ", what, " = ", x, " is out of range");
      return static_cast<index_t>(x);
    };
    c.height = small(j.at("height"), "height");
    c.stages.clear();
    for (const io::Json& o : j.at("stages").as_array()) {
      CrnnStage s;
      s.channels = small(o.at("channels"), "channels");
      s.convs = static_cast<int>(small(o.at("convs"), "convs"));
      s.pool_h = small(o.at("pool_h"), "pool_h");
      s.pool_w = small(o.at("pool_w"), "pool_w");
      c.stages.push_back(s);
    }
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
    index_t in = 1;
    for (const auto& s : config.stages) {
      for (int k = 0; k < s.convs; ++k) {
        nn::Conv2dConfig cc;
        cc.in_channels = in;
        cc.out_channels = s.channels;
        cc.kernel = 3;
        cc.padding = 1;
        cc.bias = false;  // followed by batch normalisation
        cnn.emplace<nn::Conv2d>(cc, rng);
        cnn.emplace<nn::BatchNorm2d>(s.channels);
        cnn.emplace<nn::ReLU>();
        in = s.channels;
      }
      if (s.pool_h > 1 || s.pool_w > 1) cnn.emplace<nn::MaxPool2d>(nn::Size2(s.pool_h, s.pool_w));
    }
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
    // The conv stack layer by layer, the padding past each line zeroed after
    // every layer (see mask_padding); the widths are kept for backward.
    layer_widths_.assign(cnn.size(), {});
    Tensor<float> f = images;
    std::vector<index_t> w = widths;
    for (std::size_t i = 0; i < cnn.size(); ++i) {
      const index_t W_in = f.size(3);
      f = cnn[i].forward(f);
      w = scaled_widths(w, W_in, f.size(3));
      mask_padding(f, w);
      layer_widths_[i] = w;
    }
    feature_shape_ = f.shape();
    const Tensor<float> seq = to_sequence(f);
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
    Tensor<float> g = from_sequence(dseq, feature_shape_);
    for (std::size_t i = cnn.size(); i-- > 0;) {
      mask_padding(g, layer_widths_[i]);  // the masked outputs are constants
      g = cnn[i].backward(g);
    }
    return g;
  }

  // Eval-mode forward that keeps nothing (thread-safe on a shared model).
  Tensor<float> infer(const Tensor<float>& images, const std::vector<index_t>& widths,
                      std::vector<index_t>* frames = nullptr) const {
    const std::vector<index_t> lengths = frame_lengths(images, widths);
    const Tensor<float> f = infer_features(images, widths);
    const nn::RecurrentOutput r = rnn.infer(to_sequence(f), lengths);
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
  // The conv stack in eval mode with each Conv2d -> BatchNorm2d -> ReLU run
  // as one fused convolution (Conv2d::infer_affine): the same values as the
  // layers one by one up to rounding, without two passes over the feature
  // maps. Padding is zeroed as in forward().
  Tensor<float> infer_features(const Tensor<float>& images, std::vector<index_t> w) const {
    Tensor<float> h;
    const Tensor<float>* in = &images;
    std::vector<float> scale, shift;
    for (std::size_t i = 0; i < cnn.size(); ++i) {
      const index_t W_in = in->size(3);
      const auto* conv = dynamic_cast<const nn::Conv2d*>(&cnn[i]);
      const auto* bn = i + 1 < cnn.size() ? dynamic_cast<const nn::BatchNorm2d*>(&cnn[i + 1]) : nullptr;
      if (conv && bn) {
        bn->eval_affine(scale, shift);
        const bool relu = i + 2 < cnn.size() && dynamic_cast<const nn::ReLU*>(&cnn[i + 2]) != nullptr;
        h = conv->infer_affine(*in, scale.data(), shift.data(), relu);
        i += relu ? 2 : 1;
      } else {
        h = cnn[i].infer(*in);
      }
      w = scaled_widths(w, W_in, h.size(3));
      mask_padding(h, w);
      in = &h;
    }
    return h;
  }

  // A line's width after a layer that maps W_in columns to W_out (a pooling
  // stride s = W_in / W_out): ceil(w / s), the columns that see any of it.
  static std::vector<index_t> scaled_widths(std::vector<index_t> w, index_t W_in, index_t W_out) {
    if (W_in != W_out)
      for (index_t& x : w) x = std::min(W_out, (x * W_out + W_in - 1) / W_in);
    return w;
  }

  // Zeroes columns [w[n], W) of line n's feature maps [N, C, H, W]. Without
  // this the padding, blank paper (0) in the image, becomes a non-zero
  // constant after a batch norm, and the next convolution carries it into
  // the line's last columns: a line would read differently depending on how
  // much wider the other lines of its batch are.
  static void mask_padding(Tensor<float>& f, const std::vector<index_t>& w) {
    const index_t N = f.size(0), planes = f.size(1) * f.size(2), W = f.size(3);
    for (index_t n = 0; n < N; ++n) {
      const index_t from = w[static_cast<std::size_t>(n)];
      if (from >= W) continue;
      float* p = f.data() + n * planes * W;
      for (index_t r = 0; r < planes; ++r) std::fill(p + r * W + from, p + (r + 1) * W, 0.0f);
    }
  }

  static nn::RecurrentConfig rnn_config(const CrnnConfig& c) {
    nn::RecurrentConfig r;
    r.input_size = c.feature_size();
    r.hidden_size = c.hidden;
    r.num_layers = c.layers;
    r.bidirectional = true;
    r.dropout = c.dropout;
    return r;
  }

  // [N, C, H', W'] -> [W', N, C H']: frame t of line n is column t of its
  // feature maps, channels outer, rows inner.
  static Tensor<float> to_sequence(const Tensor<float>& f) {
    const index_t N = f.size(0), C = f.size(1), H = f.size(2), W = f.size(3);
    Tensor<float> seq({W, N, C * H});
    float* out = seq.data();
    const float* in = f.data();
    for (index_t n = 0; n < N; ++n)
      for (index_t ch = 0; ch < C * H; ++ch) {
        const float* row = in + (n * C * H + ch) * W;
        for (index_t t = 0; t < W; ++t) out[(t * N + n) * C * H + ch] = row[t];
      }
    return seq;
  }
  static Tensor<float> from_sequence(const Tensor<float>& seq, const Shape& shape) {
    const index_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
    NNOCR_CHECK(seq.rank() == 3 && seq.size(0) == W && seq.size(1) == N && seq.size(2) == C * H,
                "Crnn: sequence gradient ", seq.shape().str(), " does not match features ", shape.str());
    Tensor<float> f(shape);
    float* out = f.data();
    const float* in = seq.data();
    for (index_t n = 0; n < N; ++n)
      for (index_t ch = 0; ch < C * H; ++ch) {
        float* row = out + (n * C * H + ch) * W;
        for (index_t t = 0; t < W; ++t) row[t] = in[(t * N + n) * C * H + ch];
      }
    return f;
  }

  CrnnConfig config_;
  Shape feature_shape_;
  std::vector<std::vector<index_t>> layer_widths_;  // per cnn layer, from the last forward
};

// A CRNN model file: the weights by name, the config in "nnocr.architecture"
// and the charset (one class per entry, see data/charset.hpp) in
// "nnocr.charset", plus whatever the caller adds (training notes).
inline void save_crnn(const std::string& path, Crnn& model, const data::Charset& charset, io::Metadata metadata = {}) {
  NNOCR_CHECK(charset.size() == model.config().classes, "save_crnn: the charset has ", charset.size(),
              " classes, the model ", model.config().classes);
  metadata.emplace_back("nnocr.architecture", io::to_json(model.config().to_json()));
  metadata.emplace_back("nnocr.charset", charset.to_string());
  io::save_module(path, model, metadata);
}

struct CrnnFile {
  std::unique_ptr<Crnn> model;
  data::Charset charset;
  io::Metadata metadata;
};

// Loads a model file written by save_crnn (or a checkpoint, whose tensors
// are under "model."); the model comes back in eval mode. Errors name the
// file and the first problem (not a CRNN, charset size differs from the
// classes, tensor missing or of the wrong shape, ...).
inline CrnnFile load_crnn(const std::string& path) {
  const io::SafeTensorsFile file = io::load_safetensors(path);
  const std::string* arch = file.find_metadata("nnocr.architecture");
  NNOCR_CHECK(arch != nullptr, path, ": no 'nnocr.architecture' in the metadata (not an nnocr model file)");
  const std::string* cs = file.find_metadata("nnocr.charset");
  NNOCR_CHECK(cs != nullptr, path, ": no 'nnocr.charset' in the metadata (not a recognizer model file)");
  CrnnFile out;
  CrnnConfig config;
  try {
    config = CrnnConfig::from_json(io::parse_json(*arch, path + " architecture"));
    out.charset = data::Charset::from_string(*cs);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  NNOCR_CHECK(out.charset.size() == config.classes, path, ": the charset has ", out.charset.size(),
              " classes, the architecture ", config.classes);
  Rng rng(0);
  out.model = std::make_unique<Crnn>(config, rng);
  io::LoadOptions options;
  if (file.find_metadata("nnocr.checkpoint.step")) {
    options.prefix = "model.";
    options.allow_unused = true;
  }
  io::load_module_tensors(file, *out.model, options);
  out.model->eval();
  out.metadata = file.metadata();
  return out;
}

}  // namespace nnocr::models
