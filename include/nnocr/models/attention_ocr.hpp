// attention_ocr.hpp — an attention recognizer in the manner of ASTER (Shi et
// al. 2018) and Attention-OCR: a CNN + BiLSTM encoder, and an LSTM decoder
// that, before each character, looks at the image's frames through
// additive attention (Bahdanau, Cho and Bengio 2015).
//
//   images [N, 1, H, W] -> conv stack (conv_stack.hpp) -> frames [S, N, C H']
//     -> BiLSTM (hidden E per direction) = memory M [S, N, 2E]
//   keys K = M W_k^T + b_k [S, N, A], once per line
//   decoder, from h_0 = c_0 = 0, for t = 1 .. L (y_0 = the start token):
//     e_{t,s} = v . tanh(K_s + W_q h_{t-1})     (frames past the line's width skipped)
//     a_t = softmax_s(e_t)       g_t = sum_s a_{t,s} M_s        (the glimpse)
//     (h_t, c_t) = LSTMCell([Embed(y_{t-1}); g_t], (h_{t-1}, c_{t-1}))
//     logits_t = W_o Dropout(h_t) + b_o                      [L, N, classes]
//
// Training is teacher-forced (y_{t-1} is the true previous character) and
// scored by cross-entropy, as for the transformer recognizer; backward runs
// through time by hand: the cell, the attention (whose tanh is recomputed
// rather than stored, S x A values per step and line) and the encoder.
// Reading: greedy or beam search through decode::StepDecoder; a step costs
// O(S A) for the attention plus the cell's two small GEMMs.
//
// Parameter names: the cell's are PyTorch's nn.LSTMCell names
// ("decoder.weight_ih", ...), the attention's "attention.key.weight",
// "attention.query.weight" (no bias) and "attention.v".
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../core/thread_pool.hpp"
#include "../data/charset.hpp"
#include "../io/json.hpp"
#include "../io/model_file.hpp"
#include "../kernels/elementwise.hpp"
#include "../kernels/gemm.hpp"
#include "../nn/nn.hpp"
#include "autoregressive.hpp"
#include "conv_stack.hpp"
#include "recognizer_file.hpp"

namespace nnocr::models {

struct AttentionOcrConfig {
  index_t height = 32;
  std::vector<ConvStage> stages = {{32, 1, 2, 2}, {64, 1, 2, 2}, {96, 1, 2, 1}, {128, 1, 2, 1}};
  index_t encoder_hidden = 128;  // BiLSTM units per direction
  index_t attention = 128;       // A: width of the additive attention
  index_t embedding = 64;        // width of the previous character's embedding
  index_t decoder_hidden = 256;  // LSTM cell units
  float dropout = 0.1f;          // before the output layer, in training
  index_t max_length = 128;      // longest text, tokens (the end token included)
  index_t classes = 2;           // the charset's size; class 0 ends the text

  index_t frame_width() const { return stages_frame_width(stages); }
  index_t feature_size() const {
    return (stages.empty() ? 1 : stages.back().channels) * stages_feature_height(height, stages);
  }
  index_t memory_size() const { return 2 * encoder_hidden; }
  index_t frames(index_t width) const { return (width + frame_width() - 1) / frame_width(); }
  std::int32_t start_token() const { return static_cast<std::int32_t>(classes); }

  void validate() const {
    validate_stages("attention config", height, stages);
    auto in = [](index_t v, index_t hi) { return v >= 1 && v <= hi; };
    NNOCR_CHECK(in(encoder_hidden, 4096) && in(attention, 4096) && in(embedding, 4096) && in(decoder_hidden, 4096),
                "attention config: encoder_hidden ", encoder_hidden, " / attention ", attention, " / embedding ",
                embedding, " / decoder_hidden ", decoder_hidden, " out of range [1, 4096]");
    NNOCR_CHECK(dropout >= 0.0f && dropout < 1.0f, "attention config: dropout ", dropout, " is outside [0, 1)");
    NNOCR_CHECK(in(max_length, 100000), "attention config: max_length ", max_length, " out of range");
    NNOCR_CHECK(classes >= 2 && classes <= 1000000, "attention config: classes ", classes,
                " is outside [2, 1000000]");
  }

  io::Json to_json() const {
    io::Json j = io::Json::object();
    j.set("type", "attention");
    j.set("height", height);
    j.set("stages", stages_to_json(stages));
    j.set("encoder_hidden", encoder_hidden);
    j.set("attention", attention);
    j.set("embedding", embedding);
    j.set("decoder_hidden", decoder_hidden);
    j.set("dropout", static_cast<double>(dropout));
    j.set("max_length", max_length);
    j.set("classes", classes);
    return j;
  }
  static AttentionOcrConfig from_json(const io::Json& j) {
    NNOCR_CHECK(j.at("type").as_string() == "attention", "architecture type '", j.at("type").as_string(),
                "' is not attention");
    AttentionOcrConfig c;
    c.height = config_integer(j.at("height"), "height");
    c.stages = stages_from_json(j.at("stages"));
    c.encoder_hidden = config_integer(j.at("encoder_hidden"), "encoder_hidden");
    c.attention = config_integer(j.at("attention"), "attention");
    c.embedding = config_integer(j.at("embedding"), "embedding");
    c.decoder_hidden = config_integer(j.at("decoder_hidden"), "decoder_hidden");
    c.dropout = static_cast<float>(j.at("dropout").as_double());
    c.max_length = config_integer(j.at("max_length"), "max_length");
    c.classes = config_integer(j.at("classes"), "classes");
    c.validate();
    return c;
  }
};

namespace detail {

// An LSTM cell's parameters under PyTorch's nn.LSTMCell names; the
// arithmetic is in AttentionOcr (gates i, f, g, o as in nn/recurrent.hpp).
class LstmCellParameters : public nn::Module {
 public:
  nn::Parameter weight_ih, weight_hh, bias_ih, bias_hh;
  LstmCellParameters(index_t input, index_t hidden, Rng& rng) : input_(input), hidden_(hidden) {
    weight_ih.reset({4 * hidden, input});
    weight_hh.reset({4 * hidden, hidden});
    bias_ih.reset({4 * hidden}, false);
    bias_hh.reset({4 * hidden}, false);
    register_parameter("weight_ih", weight_ih);
    register_parameter("weight_hh", weight_hh);
    register_parameter("bias_ih", bias_ih);
    register_parameter("bias_hh", bias_hh);
    const float bound = 1.0f / std::sqrt(static_cast<float>(hidden));  // as PyTorch
    for (nn::Parameter* p : {&weight_ih, &weight_hh, &bias_ih, &bias_hh})
      for (float& v : p->value) v = rng.uniform(-bound, bound);
  }
  std::string kind() const override { return "LSTMCell"; }
  std::string describe() const override {
    return "LSTMCell(" + std::to_string(input_) + ", " + std::to_string(hidden_) + ")";
  }

  // gates [n, 4H] = x W_ih^T + h W_hh^T + b_ih + b_hh (not yet activated).
  void pre_activations(const float* x, const float* h, index_t n, float* gates) const {
    const index_t G = 4 * hidden_;
    for (index_t r = 0; r < n; ++r)
      for (index_t j = 0; j < G; ++j) gates[r * G + j] = bias_ih.value[j] + bias_hh.value[j];
    kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, n, G, input_, 1.0f, x, input_, weight_ih.value.data(),
                   input_, 1.0f, gates, G);
    kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, n, G, hidden_, 1.0f, h, hidden_,
                   weight_hh.value.data(), hidden_, 1.0f, gates, G);
  }

  // Activates gates [n, 4H] in place and writes c and h [n, H] from c_prev.
  void activate(float* gates, const float* c_prev, float* c, float* h, index_t n) const {
    const index_t H = hidden_;
    std::vector<float> tc(static_cast<std::size_t>(H));
    for (index_t r = 0; r < n; ++r) {
      float* a = gates + r * 4 * H;
      kernels::sigmoid(a, a, 2 * H);
      kernels::tanh(a + 2 * H, a + 2 * H, H);
      kernels::sigmoid(a + 3 * H, a + 3 * H, H);
      const float *i = a, *f = a + H, *g = a + 2 * H, *o = a + 3 * H;
      float* cr = c + r * H;
      const float* cp = c_prev + r * H;
      for (index_t k = 0; k < H; ++k) cr[k] = f[k] * cp[k] + i[k] * g[k];
      kernels::tanh(cr, tc.data(), H);
      for (index_t k = 0; k < H; ++k) h[r * H + k] = o[k] * tc[k];
    }
  }

  index_t input_size() const { return input_; }
  index_t hidden_size() const { return hidden_; }

 private:
  index_t input_, hidden_;
};

// Additive attention's parameters: keys from the memory, a query from the
// decoder state, and the scoring vector v.
class AdditiveAttention : public nn::Module {
 public:
  nn::Linear key, query;
  nn::Parameter v;
  AdditiveAttention(index_t memory, index_t state, index_t width, Rng& rng)
      : key(memory, width, rng), query(state, width, rng, false) {
    v.reset({width});
    const float bound = 1.0f / std::sqrt(static_cast<float>(width));
    for (float& x : v.value) x = rng.uniform(-bound, bound);
    register_module("key", key);
    register_module("query", query);
    register_parameter("v", v);
  }
  std::string kind() const override { return "AdditiveAttention"; }

  // One line's weights over its S frames: alpha[s] = softmax_s(v . tanh(keys[s] + q)),
  // keys rows `stride` floats apart; u [S, A] receives the tanh values.
  void weights(const float* keys, index_t stride, const float* q, index_t S, float* u, float* alpha) const {
    const index_t A = v.value.numel();
    for (index_t s = 0; s < S; ++s) {
      const float* k = keys + s * stride;
      float* us = u + s * A;
      for (index_t j = 0; j < A; ++j) us[j] = k[j] + q[j];
    }
    kernels::tanh(u, u, S * A);
    float top = -INFINITY;
    for (index_t s = 0; s < S; ++s) {
      const float* us = u + s * A;
      float e = 0.0f;
      for (index_t j = 0; j < A; ++j) e += v.value[j] * us[j];
      alpha[s] = e;
      top = std::max(top, e);
    }
    float sum = 0.0f;
    for (index_t s = 0; s < S; ++s) sum += (alpha[s] = std::exp(alpha[s] - top));
    for (index_t s = 0; s < S; ++s) alpha[s] /= sum;
  }
};

}  // namespace detail

class AttentionOcr : public AutoregressiveRecognizer {
 public:
  nn::Sequential cnn;
  nn::Lstm encoder;
  detail::AdditiveAttention attention;
  nn::Embedding embed;
  detail::LstmCellParameters decoder;
  nn::Dropout drop;
  nn::Linear out;

  AttentionOcr(const AttentionOcrConfig& config, Rng& rng)
      : encoder(encoder_config((config.validate(), config)), rng),
        attention(config.memory_size(), config.decoder_hidden, config.attention, rng),
        embed(config.classes + 1, config.embedding, rng),
        decoder(config.embedding + config.memory_size(), config.decoder_hidden, rng),
        drop(config.dropout, rng.next_u64()),
        out(config.decoder_hidden, config.classes, rng),
        config_(config) {
    build_conv_stack(cnn, config.stages, rng);
    register_module("cnn", cnn);
    register_module("encoder", encoder);
    register_module("attention", attention);
    register_module("embed", embed);
    register_module("decoder", decoder);
    register_module("drop", drop);
    register_module("out", out);
  }

  const AttentionOcrConfig& config() const { return config_; }
  index_t input_height() const override { return config_.height; }
  index_t frame_width() const override { return config_.frame_width(); }
  std::string kind() const override { return "AttentionOcr"; }

  // Frames per line for a batch of padded width W (see line_frame_lengths).
  std::vector<index_t> frame_lengths(const Tensor<float>& images, const std::vector<index_t>& widths) const {
    return line_frame_lengths("AttentionOcr", images, widths, config_.height, config_.frame_width());
  }

  // Training forward (teacher forcing). tokens [L, N]: the start token, then
  // the text (ids 1 .. classes - 1), anything after a line's end. Returns
  // logits [L, N, classes].
  Tensor<float> forward(const Tensor<float>& images, const std::vector<index_t>& widths,
                        const Tensor<std::int32_t>& tokens) {
    const index_t N = images.size(0);
    NNOCR_CHECK(tokens.rank() == 2 && tokens.size(1) == N && tokens.size(0) >= 1 &&
                    tokens.size(0) <= config_.max_length,
                "AttentionOcr: tokens must be [L, ", N, "] with 1 <= L <= ", config_.max_length, ", got ",
                tokens.shape().str());
    lengths_ = frame_lengths(images, widths);
    const Tensor<float> f = conv_stack_forward(cnn, images, widths, layer_widths_);
    feature_shape_ = f.shape();
    memory_ = encoder.forward(features_to_frames(f), lengths_).y;
    keys_ = attention.key.forward(memory_);
    const Tensor<float> emb = embed.forward(tokens);
    const index_t L = tokens.size(0), S = memory_.size(0);
    const index_t Em = config_.embedding, D = config_.memory_size(), H = config_.decoder_hidden;
    const index_t A = config_.attention, X = Em + D;
    inputs_ = Tensor<float>({L, N, X});
    gates_ = Tensor<float>({L, N, 4 * H});
    states_ = Tensor<float>({L + 1, N, H}, 0.0f);
    cells_ = Tensor<float>({L + 1, N, H}, 0.0f);
    queries_ = Tensor<float>({L, N, A});
    alphas_ = Tensor<float>({L, N, S}, 0.0f);
    for (index_t t = 0; t < L; ++t) {
      const float* h_prev = states_.data() + t * N * H;
      float* q = queries_.data() + t * N * A;
      float* x = inputs_.data() + t * N * X;
      kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, N, A, H, 1.0f, h_prev, H,
                     attention.query.weight.value.data(), H, 0.0f, q, A);
      glimpses(memory_, keys_, lengths_, q, alphas_.data() + t * N * S, x, X, Em);
      for (index_t n = 0; n < N; ++n)
        std::copy(emb.data() + (t * N + n) * Em, emb.data() + (t * N + n + 1) * Em, x + n * X);
      float* g = gates_.data() + t * N * 4 * H;
      decoder.pre_activations(x, h_prev, N, g);
      decoder.activate(g, cells_.data() + t * N * H, cells_.data() + (t + 1) * N * H,
                       states_.data() + (t + 1) * N * H, N);
    }
    Tensor<float> h({L, N, H});
    std::copy(states_.data() + N * H, states_.data() + (L + 1) * N * H, h.data());
    return out.forward(drop.forward(h));
  }

  // Accumulates parameter gradients; returns d loss / d images.
  Tensor<float> backward(const Tensor<float>& dlogits) {
    NNOCR_CHECK(feature_shape_.rank() == 4, "AttentionOcr::backward called without a forward");
    const Tensor<float> dh_out = drop.backward(out.backward(dlogits));  // [L, N, H]
    const index_t L = gates_.size(0), N = gates_.size(1), S = memory_.size(0);
    const index_t Em = config_.embedding, D = config_.memory_size(), H = config_.decoder_hidden;
    const index_t A = config_.attention, X = Em + D, G = 4 * H;
    Tensor<float> dgates({L, N, G}), dinputs({L, N, X}), dqueries({L, N, A});
    Tensor<float> dmemory(memory_.shape(), 0.0f), dkeys(keys_.shape(), 0.0f);
    Tensor<float> dh({N, H}, 0.0f), dc({N, H}, 0.0f);
    Tensor<float> dv_parts({N, A}, 0.0f);  // per line, summed in order at the end
    std::vector<float> tc(static_cast<std::size_t>(H));
    for (index_t t = L; t-- > 0;) {
      for (index_t k = 0; k < N * H; ++k) dh[k] += dh_out[t * N * H + k];
      // The cell: gates (activated) a, c_t = f c_{t-1} + i g, h_t = o tanh(c_t).
      float* dg = dgates.data() + t * N * G;
      for (index_t n = 0; n < N; ++n) {
        const float* a = gates_.data() + (t * N + n) * G;
        const float *i = a, *f = a + H, *g = a + 2 * H, *o = a + 3 * H;
        const float* c = cells_.data() + ((t + 1) * N + n) * H;
        const float* c_prev = cells_.data() + (t * N + n) * H;
        kernels::tanh(c, tc.data(), H);
        float* dgn = dg + n * G;
        for (index_t k = 0; k < H; ++k) {
          const float dhk = dh[n * H + k], tk = tc[static_cast<std::size_t>(k)];
          const float dct = dc[n * H + k] + dhk * o[k] * (1.0f - tk * tk);
          dgn[k] = dct * g[k] * i[k] * (1.0f - i[k]);
          dgn[H + k] = dct * c_prev[k] * f[k] * (1.0f - f[k]);
          dgn[2 * H + k] = dct * i[k] * (1.0f - g[k] * g[k]);
          dgn[3 * H + k] = dhk * tk * o[k] * (1.0f - o[k]);
          dc[n * H + k] = dct * f[k];
        }
      }
      // d h_{t-1} = dgates W_hh;  d x_t = dgates W_ih.
      kernels::sgemm(kernels::Trans::no, kernels::Trans::no, N, H, G, 1.0f, dg, G, decoder.weight_hh.value.data(), H,
                     0.0f, dh.data(), H);
      float* dx = dinputs.data() + t * N * X;
      kernels::sgemm(kernels::Trans::no, kernels::Trans::no, N, X, G, 1.0f, dg, G, decoder.weight_ih.value.data(), X,
                     0.0f, dx, X);
      // The glimpse g_t = sum_s alpha_s M_s, alpha = softmax(v . tanh(K_s + q)).
      float* dq = dqueries.data() + t * N * A;
      const float* q = queries_.data() + t * N * A;
      const float* alpha_t = alphas_.data() + t * N * S;
      parallel_for(N, 1, [&](index_t n0, index_t n1) {
        std::vector<float> u(static_cast<std::size_t>(S * A)), dalpha(static_cast<std::size_t>(S));
        for (index_t n = n0; n < n1; ++n) {
          const index_t len = lengths_[static_cast<std::size_t>(n)];
          const float* dglimpse = dx + n * X + Em;
          const float* alpha = alpha_t + n * S;
          float dot = 0.0f;
          for (index_t s = 0; s < len; ++s) {
            const float* m = memory_.data() + (s * N + n) * D;
            float* dm = dmemory.data() + (s * N + n) * D;
            float da = 0.0f;
            for (index_t k = 0; k < D; ++k) {
              da += dglimpse[k] * m[k];
              dm[k] += alpha[s] * dglimpse[k];
            }
            dalpha[static_cast<std::size_t>(s)] = da;
            dot += alpha[s] * da;
          }
          const float* qn = q + n * A;
          for (index_t s = 0; s < len; ++s) {
            const float* k = keys_.data() + (s * N + n) * A;
            for (index_t j = 0; j < A; ++j) u[static_cast<std::size_t>(s * A + j)] = k[j] + qn[j];
          }
          kernels::tanh(u.data(), u.data(), len * A);
          float* dqn = dq + n * A;
          std::fill(dqn, dqn + A, 0.0f);
          float* dv = dv_parts.data() + n * A;
          for (index_t s = 0; s < len; ++s) {
            const float de = alpha[s] * (dalpha[static_cast<std::size_t>(s)] - dot);
            const float* us = u.data() + s * A;
            float* dk = dkeys.data() + (s * N + n) * A;
            for (index_t j = 0; j < A; ++j) {
              dv[j] += de * us[j];
              const float du = de * attention.v.value[j] * (1.0f - us[j] * us[j]);
              dk[j] += du;
              dqn[j] += du;
            }
          }
        }
      });
      // q = h_{t-1} W_q^T  ->  d h_{t-1} += dq W_q.
      kernels::sgemm(kernels::Trans::no, kernels::Trans::no, N, H, A, 1.0f, dq, A,
                     attention.query.weight.value.data(), H, 1.0f, dh.data(), H);
    }
    // Weight gradients over all steps at once.
    const index_t LN = L * N;
    kernels::sgemm(kernels::Trans::yes, kernels::Trans::no, G, X, LN, 1.0f, dgates.data(), G, inputs_.data(), X, 1.0f,
                   decoder.weight_ih.grad.data(), X);
    kernels::sgemm(kernels::Trans::yes, kernels::Trans::no, G, H, LN, 1.0f, dgates.data(), G, states_.data(), H, 1.0f,
                   decoder.weight_hh.grad.data(), H);
    for (index_t r = 0; r < LN; ++r)
      for (index_t j = 0; j < G; ++j) {
        decoder.bias_ih.grad[j] += dgates[r * G + j];
        decoder.bias_hh.grad[j] += dgates[r * G + j];
      }
    kernels::sgemm(kernels::Trans::yes, kernels::Trans::no, A, H, LN, 1.0f, dqueries.data(), A, states_.data(), H, 1.0f,
                   attention.query.weight.grad.data(), H);
    for (index_t n = 0; n < N; ++n)
      for (index_t j = 0; j < A; ++j) attention.v.grad[j] += dv_parts[n * A + j];
    Tensor<float> demb({L, N, Em});
    for (index_t r = 0; r < LN; ++r)
      std::copy(dinputs.data() + r * X, dinputs.data() + r * X + Em, demb.data() + r * Em);
    embed.backward(demb);
    const Tensor<float> dk_m = attention.key.backward(dkeys);
    for (index_t k = 0; k < dmemory.numel(); ++k) dmemory[k] += dk_m[k];
    const Tensor<float> dseq = encoder.backward(dmemory);
    return conv_stack_backward(cnn, frames_to_features(dseq, feature_shape_), layer_widths_);
  }

  Tensor<float> encode(const Tensor<float>& images, const std::vector<index_t>& widths,
                       std::vector<index_t>* frames = nullptr) const override {
    const std::vector<index_t> lengths = frame_lengths(images, widths);
    Tensor<float> m = encoder.infer(features_to_frames(conv_stack_infer(cnn, images, widths)), lengths).y;
    if (frames) *frames = lengths;
    return m;
  }

  decode::AttentionDecodeConfig decode_config(index_t beam_width = 1) const override {
    decode::AttentionDecodeConfig c;
    c.start_token = config_.start_token();
    c.end_token = 0;
    c.max_length = config_.max_length;
    c.beam_width = beam_width;
    return c;
  }

  // decode::StepDecoder: memory is one line's [S, 1, 2E] (line_memory).
  std::unique_ptr<decode::DecoderState> start(const Tensor<float>& memory, index_t hypotheses) const override {
    NNOCR_CHECK(memory.rank() == 3 && memory.size(1) == 1 && memory.size(2) == config_.memory_size() &&
                    memory.size(0) >= 1,
                "AttentionOcr::start: expected one line's memory [S, 1, ", config_.memory_size(), "], got ",
                memory.shape().str());
    auto s = std::make_unique<State>();
    s->memory = memory;
    s->keys = attention.key.infer(memory);
    s->hypotheses = hypotheses;
    s->h = Tensor<float>({hypotheses, config_.decoder_hidden}, 0.0f);
    s->c = Tensor<float>({hypotheses, config_.decoder_hidden}, 0.0f);
    return s;
  }

  Tensor<float> step(decode::DecoderState& state, const std::vector<std::int32_t>& tokens) const override {
    auto& s = dynamic_cast<State&>(state);
    const auto n = static_cast<index_t>(tokens.size());
    NNOCR_CHECK(n == s.hypotheses, "AttentionOcr::step: ", n, " tokens for ", s.hypotheses, " sequences");
    const index_t Em = config_.embedding, D = config_.memory_size(), H = config_.decoder_hidden;
    const index_t A = config_.attention, X = Em + D, S = s.memory.size(0);
    Tensor<std::int32_t> ids({n});
    for (index_t i = 0; i < n; ++i) ids[i] = tokens[static_cast<std::size_t>(i)];
    const Tensor<float> emb = embed.infer(ids);
    Tensor<float> q({n, A}), x({n, X}), alpha({n, S});
    kernels::sgemm(kernels::Trans::no, kernels::Trans::yes, n, A, H, 1.0f, s.h.data(), H,
                   attention.query.weight.value.data(), H, 0.0f, q.data(), A);
    glimpses(s.memory, s.keys, std::vector<index_t>(static_cast<std::size_t>(n), S), q.data(), alpha.data(), x.data(),
             X, Em, /*shared=*/true);
    for (index_t i = 0; i < n; ++i) std::copy(emb.data() + i * Em, emb.data() + (i + 1) * Em, x.data() + i * X);
    Tensor<float> g({n, 4 * H}), c({n, H}), h({n, H});
    decoder.pre_activations(x.data(), s.h.data(), n, g.data());
    decoder.activate(g.data(), s.c.data(), c.data(), h.data(), n);
    s.h = std::move(h);
    s.c = std::move(c);
    Tensor<float> logits = out.infer(s.h);
    nn::log_softmax_rows(logits.data(), logits.data(), n, logits.size(1));
    return logits;
  }

  void select(decode::DecoderState& state, const std::vector<index_t>& parents) const override {
    auto& s = dynamic_cast<State&>(state);
    const index_t H = config_.decoder_hidden, n = static_cast<index_t>(parents.size());
    Tensor<float> h({n, H}), c({n, H});
    for (index_t i = 0; i < n; ++i) {
      const index_t p = parents[static_cast<std::size_t>(i)];
      NNOCR_CHECK(p >= 0 && p < s.hypotheses, "AttentionOcr::select: parent ", p, " of ", s.hypotheses);
      std::copy(s.h.data() + p * H, s.h.data() + (p + 1) * H, h.data() + i * H);
      std::copy(s.c.data() + p * H, s.c.data() + (p + 1) * H, c.data() + i * H);
    }
    s.h = std::move(h);
    s.c = std::move(c);
    s.hypotheses = n;
  }

 private:
  struct State : decode::DecoderState {
    Tensor<float> memory, keys, h, c;
    index_t hypotheses = 0;
  };

  static nn::RecurrentConfig encoder_config(const AttentionOcrConfig& c) {
    nn::RecurrentConfig r;
    r.input_size = c.feature_size();
    r.hidden_size = c.encoder_hidden;
    r.bidirectional = true;
    return r;
  }

  // For each of the rows of q [n, A]: its attention weights over its line's
  // frames (alpha [n, S], zero past the line's length) and its glimpse,
  // written at x[row * X + offset ..] (D values). memory [S, N, D] and keys
  // [S, N, A]; row r reads line r, or line 0 for every row when `shared`
  // (the hypotheses of one line in a beam).
  void glimpses(const Tensor<float>& memory, const Tensor<float>& keys, const std::vector<index_t>& lengths,
                const float* q, float* alpha, float* x, index_t X, index_t offset, bool shared = false) const {
    const index_t S = memory.size(0), N = memory.size(1), D = memory.size(2), A = keys.size(2);
    const auto rows = static_cast<index_t>(lengths.size());
    parallel_for(rows, 1, [&](index_t r0, index_t r1) {
      std::vector<float> u(static_cast<std::size_t>(S * A));
      for (index_t r = r0; r < r1; ++r) {
        const index_t line = shared ? 0 : r, len = lengths[static_cast<std::size_t>(r)];
        float* a = alpha + r * S;
        attention.weights(keys.data() + line * A, N * A, q + r * A, len, u.data(), a);
        float* gl = x + r * X + offset;
        std::fill(gl, gl + D, 0.0f);
        for (index_t s = 0; s < len; ++s) {
          const float* m = memory.data() + (s * N + line) * D;
          for (index_t k = 0; k < D; ++k) gl[k] += a[s] * m[k];
        }
      }
    });
  }

  AttentionOcrConfig config_;
  Shape feature_shape_;
  std::vector<std::vector<index_t>> layer_widths_;
  std::vector<index_t> lengths_;
  // Kept by forward for backward: memory [S, N, 2E], keys [S, N, A], the
  // cell's inputs [L, N, Em + 2E] and activated gates [L, N, 4H], states h
  // and c [L + 1, N, H] (row 0 the zero initial state), queries [L, N, A]
  // and attention weights [L, N, S].
  Tensor<float> memory_, keys_, inputs_, gates_, states_, cells_, queries_, alphas_;
};

// Model files (recognizer_file.hpp); "type": "attention".
inline void save_attention_ocr(const std::string& path, AttentionOcr& model, const data::Charset& charset,
                               io::Metadata metadata = {}) {
  save_recognizer(path, model, charset, std::move(metadata), "save_attention_ocr");
}

using AttentionOcrFile = RecognizerFile<AttentionOcr>;

inline AttentionOcrFile load_attention_ocr(const std::string& path) {
  return load_recognizer<AttentionOcr, AttentionOcrConfig>(path);
}

}  // namespace nnocr::models
