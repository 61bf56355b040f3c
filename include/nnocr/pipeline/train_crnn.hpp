// train_crnn.hpp — training a recognizer (a CRNN; the transformer
// recognizer with architecture = "transformer"; the attention recognizer
// with architecture = "attention") on synthetic lines (or a ground-truth
// folder), resumable, with held-out-font validation.
//
//   CrnnTrainConfig cfg;            // model, data, optimizer, files
//   train_crnn(cfg);                // runs until cfg.steps; resumes from cfg.checkpoint if it exists
//
// Data: batch b of the run is a function of (seed, b) only. Lines are made
// in pools of `pool` batches (pool p = lines p*pool*batch ..), sorted by
// width inside the pool and cut into batches, so that little of a batch is
// padding; the batches of a pool are taken in an order drawn from (seed, p).
// A background loader (data/loader.hpp) renders pools ahead of the step.
// The dropout masks of step s are drawn from (seed, s) too
// (Module::reseed_streams), so a run resumed from a checkpoint ends with the
// same weights, bit for bit, as one that never stopped (same thread count).
//
// Step: forward, the loss — CTC for a CRNN (mean over lines of loss / label
// length, as PyTorch), teacher-forced cross-entropy with label smoothing 0.1
// for the transformer and attention recognizers — backward, global-norm clipping, AdamW with a cosine
// schedule after a linear warm-up. Every `eval_every` steps the model reads the
// validation lines (fonts held out of training: clean and degraded sets)
// and the step, loss and CERs are appended to the curve file (CSV); the
// inference model file is written then as well. Every `checkpoint_every`
// steps the checkpoint (model + optimizer + step) is written atomically.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "../data/batch.hpp"
#include "../data/gt_dataset.hpp"
#include "../data/loader.hpp"
#include "../data/synth.hpp"
#include "../decode/ctc.hpp"
#include "../models/crnn.hpp"
#include "../models/attention_ocr.hpp"
#include "../models/transformer_ocr.hpp"
#include "../nn/softmax.hpp"
#include "../train/checkpoint.hpp"
#include "../train/ctc.hpp"
#include "../train/loop.hpp"
#include "../train/loss.hpp"
#include "../train/metrics.hpp"
#include "../train/optim.hpp"
#include "../train/schedule.hpp"

namespace nnocr::pipeline {

struct CrnnTrainConfig {
  std::string architecture = "crnn";  // or "transformer", "attention"
  models::CrnnConfig model;           // classes are set from the charset
  models::TransformerOcrConfig transformer;  // when architecture == "transformer"
  models::AttentionOcrConfig attention;      // when architecture == "attention"
  data::Charset charset = data::Charset::printable_ascii_plus_typographic();
  data::SynthConfig synth;            // fonts, text mix, augmentation, seed (training lines)
  std::vector<std::string> corpus;    // sentences for the synthesizer
  std::string data_dir;               // a ground-truth folder to train on instead of synthetic lines
  std::vector<std::string> validation_fonts;  // held-out fonts for the validation lines
  int validation_lines = 200;         // per set (clean, degraded)
  index_t batch = 32;
  int pool = 8;                       // batches per width-sorted pool
  std::int64_t steps = 100000;        // the schedule's length
  std::int64_t stop_after = 0;        // > 0: stop this run after that many steps (resume later)
  float lr = 1e-3f, min_lr = 1e-5f, weight_decay = 1e-4f;
  std::int64_t warmup = 1000;
  double clip = 5.0;
  std::int64_t eval_every = 1000, checkpoint_every = 250;
  std::string checkpoint;             // resumed from when it exists
  std::string output;                 // the inference model file
  std::string curve;                  // CSV: step,seconds,loss,lr,clean_cer,degraded_cer
  std::string init_from;              // start from this model's weights (fine-tuning)
  std::uint64_t seed = 1;
  int loader_workers = 1;
  bool progress = true;

  bool is_transformer() const { return architecture == "transformer"; }
  bool is_attention() const { return architecture == "attention"; }
  index_t height() const {
    return is_transformer() ? transformer.height : is_attention() ? attention.height : model.height;
  }
  index_t frame_width() const {
    return is_transformer() ? transformer.frame_width() : is_attention() ? attention.frame_width() : model.frame_width();
  }
  io::Json architecture_json() const {
    return is_transformer() ? transformer.to_json() : is_attention() ? attention.to_json() : model.to_json();
  }
  void set_architecture(const io::Json& j) {  // "type" picks the model; its config is the rest
    architecture = j.at("type").as_string();
    NNOCR_CHECK(architecture == "crnn" || is_transformer() || is_attention(), "architecture type '", architecture,
                "' is not crnn, transformer or attention");
    if (is_transformer()) transformer = models::TransformerOcrConfig::from_json(j);
    else if (is_attention()) attention = models::AttentionOcrConfig::from_json(j);
    else model = models::CrnnConfig::from_json(j);
  }
};

// Lines of held-out fonts for validation: `count` lines drawn by a
// synthesizer over `fonts` with the given seed, clean (no augmentation) or
// degraded (the default augmentations).
inline std::vector<data::LineSample> validation_lines(const std::vector<std::string>& fonts,
                                                      const std::vector<std::string>& corpus, int count, bool degraded,
                                                      std::uint64_t seed, int height) {
  data::SynthConfig cfg;
  cfg.fonts = fonts;
  cfg.seed = seed;
  cfg.target_height = height;
  if (!degraded) {
    cfg.augment = image::AugmentConfig::none();
    cfg.clean_fraction = 1;
    cfg.neighbour_lines = 0;
  } else {
    cfg.clean_fraction = 0;
  }
  const data::LineSynthesizer synth(cfg, corpus);
  std::vector<data::LineSample> out(static_cast<std::size_t>(count));
  parallel_for(count, 4, [&](index_t b, index_t e) {
    for (index_t i = b; i < e; ++i) out[static_cast<std::size_t>(i)] = synth.make(static_cast<std::uint64_t>(i)).line_sample();
  });
  return out;
}

// Indices of `lines` in order of width at a common height (width / height,
// compared exactly), ties in input order: lines next to each other batch
// with little padding.
inline std::vector<index_t> order_by_scaled_width(const std::vector<data::LineSample>& lines) {
  std::vector<index_t> order(lines.size());
  std::iota(order.begin(), order.end(), index_t{0});
  std::stable_sort(order.begin(), order.end(), [&](index_t a, index_t b) {
    const auto& ia = lines[static_cast<std::size_t>(a)].image;
    const auto& ib = lines[static_cast<std::size_t>(b)].image;
    return ia.width() * ib.height() < ib.width() * ia.height();
  });
  return order;
}

// Greedy transcriptions of lines with a CRNN in eval mode, in batches of
// similar width.
inline std::vector<std::string> crnn_read_lines(const models::Crnn& model, const data::Charset& charset,
                                                const std::vector<data::LineSample>& lines, index_t batch = 32) {
  const std::vector<index_t> order = order_by_scaled_width(lines);
  std::vector<std::string> out(lines.size());
  data::BatchOptions bo;
  bo.height = static_cast<int>(model.config().height);
  bo.width_multiple = static_cast<int>(model.config().frame_width());
  bo.unknown = data::UnknownPolicy::skip;
  for (std::size_t b = 0; b < order.size(); b += static_cast<std::size_t>(batch)) {
    std::vector<data::LineSample> chunk;
    for (std::size_t i = b; i < std::min(order.size(), b + static_cast<std::size_t>(batch)); ++i)
      chunk.push_back(lines[static_cast<std::size_t>(order[i])]);
    const data::LineBatch lb = data::make_line_batch(chunk, charset, bo);
    std::vector<index_t> frames;
    Tensor<float> logits = model.infer(lb.images, lb.widths, &frames);
    nn::log_softmax_rows(logits.data(), logits.data(), logits.size(0) * logits.size(1), logits.size(2));
    const auto hyps = decode::ctc_greedy_decode_batch(logits.view(), frames, charset.labels(), 0);
    for (std::size_t i = 0; i < hyps.size(); ++i) out[static_cast<std::size_t>(order[b + i])] = hyps[i].text;
  }
  return out;
}

inline train::TextScore score_lines(const std::vector<data::LineSample>& lines, const std::vector<std::string>& read) {
  train::TextScore s;
  for (std::size_t i = 0; i < lines.size(); ++i) s.add(lines[i].text, read[i]);
  return s;
}

namespace detail {

// Width-sorted pools of batches (see the file comment).
class LinePools {
 public:
  LinePools(const CrnnTrainConfig& c) : c_(c) {
    if (!c.data_dir.empty()) {
      gt_ = std::make_unique<data::GtDataset>(data::open_gt_folder(c.data_dir));
      NNOCR_CHECK(gt_->size() > 0, c.data_dir, ": no ground-truth lines (NAME.png + NAME.gt.txt) found");
      // Characters the charset lacks are left out of the targets: say so.
      const data::UnknownReport unknown = c.charset.unknown_characters(gt_->texts());
      if (!unknown.empty())
        std::fprintf(stderr, "train: warning: %s: the charset lacks %s; they are left out of the targets\n",
                     c.data_dir.c_str(), unknown.str().c_str());
    } else {
      synth_ = std::make_unique<data::LineSynthesizer>(c.synth, c.corpus);
    }
  }

  std::vector<data::LineBatch> make(std::int64_t p) const {
    const index_t per_pool = c_.batch * c_.pool;
    std::vector<data::LineSample> lines(static_cast<std::size_t>(per_pool));
    for (index_t i = 0; i < per_pool; ++i) {
      const auto index = static_cast<std::uint64_t>(p * per_pool + i);
      if (synth_) {
        lines[static_cast<std::size_t>(i)] = synth_->make(index).line_sample();
      } else {
        // A ground-truth folder: epochs in orders drawn from (seed, epoch).
        const auto n = static_cast<std::uint64_t>(gt_->size());
        lines[static_cast<std::size_t>(i)] = gt_->load(static_cast<std::size_t>(permuted(index / n, index % n, n)));
      }
    }
    const std::vector<index_t> order = order_by_scaled_width(lines);
    data::BatchOptions bo;
    bo.height = static_cast<int>(c_.height());
    bo.width_multiple = static_cast<int>(c_.frame_width());
    bo.unknown = data::UnknownPolicy::skip;
    std::vector<data::LineBatch> batches;
    for (int k = 0; k < c_.pool; ++k) {
      std::vector<data::LineSample> chunk;
      for (index_t i = k * c_.batch; i < (k + 1) * c_.batch; ++i)
        chunk.push_back(std::move(lines[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])]));
      batches.push_back(data::make_line_batch(chunk, c_.charset, bo));
    }
    Rng shuffle(c_.seed ^ 0x51ed270b27a5c3f1ULL, static_cast<std::uint64_t>(p));
    for (int k = c_.pool - 1; k > 0; --k)
      std::swap(batches[static_cast<std::size_t>(k)],
                batches[static_cast<std::size_t>(shuffle.uniform_index(static_cast<std::uint64_t>(k + 1)))]);
    return batches;
  }

 private:
  // Position i of epoch e's order over n items: a seeded Fisher-Yates
  // shuffle, cached per epoch.
  std::uint64_t permuted(std::uint64_t epoch, std::uint64_t i, std::uint64_t n) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (epoch != order_epoch_ || order_.size() != n) {
      order_.resize(n);
      std::iota(order_.begin(), order_.end(), std::uint64_t{0});
      Rng r(c_.seed ^ 0x2545f4914f6cdd1dULL, epoch);
      for (std::uint64_t k = n - 1; k > 0; --k) std::swap(order_[k], order_[r.uniform_index(k + 1)]);
      order_epoch_ = epoch;
    }
    return order_[i];
  }

  const CrnnTrainConfig& c_;
  std::unique_ptr<data::LineSynthesizer> synth_;
  std::unique_ptr<data::GtDataset> gt_;
  mutable std::mutex mutex_;
  mutable std::vector<std::uint64_t> order_;
  mutable std::uint64_t order_epoch_ = ~std::uint64_t{0};
};

// Copies the weights of `from` into `to` by name; the classifier rows of
// characters both charsets have are copied by character, new rows keep
// their fresh initialisation. Returns a one-line summary.
inline std::string init_from_model(models::Crnn& to, const data::Charset& to_charset, const std::string& path) {
  models::CrnnFile from = models::load_crnn(path);
  auto src = from.model->named_parameters();
  auto dst = to.named_parameters();
  auto src_buffers = from.model->named_buffers();
  auto dst_buffers = to.named_buffers();
  index_t copied = 0, new_rows = 0;
  for (auto& [name, p] : dst) {
    const nn::Parameter* s = nullptr;
    for (auto& [sn, sp] : src)
      if (sn == name) s = sp;
    NNOCR_CHECK(s != nullptr, path, ": has no tensor '", name, "' (a different architecture?)");
    if (name == "fc.weight" || name == "fc.bias") {
      const index_t cols = p->value.rank() == 2 ? p->value.size(1) : 1;
      NNOCR_CHECK(s->value.rank() == p->value.rank() && (p->value.rank() == 1 || s->value.size(1) == cols), path,
                  ": '", name, "' has shape ", s->value.shape().str(), ", expected rows of ", cols);
      for (std::int32_t c = 0; c < to_charset.size(); ++c) {
        const std::int32_t old = c == 0 ? 0 : from.charset.id_of(std::string_view(to_charset.entry(c)));
        if (old < 0) {
          ++new_rows;
          continue;
        }
        std::copy(s->value.data() + old * cols, s->value.data() + (old + 1) * cols, p->value.data() + c * cols);
      }
      continue;
    }
    NNOCR_CHECK(s->value.shape() == p->value.shape(), path, ": '", name, "' has shape ", s->value.shape().str(),
                ", this model's is ", p->value.shape().str(), " (a different architecture?)");
    p->value = s->value;
    copied += p->numel();
  }
  for (auto& [name, b] : dst_buffers)
    for (auto& [sn, sb] : src_buffers)
      if (sn == name && sb->shape() == b->shape()) *b = *sb;
  return "initialised from " + path + ": " + std::to_string(copied) + " weights copied, " +
         std::to_string(new_rows / 2) + " new classes";
}

// What train_crnn needs of a model: the module, one step's loss with its
// gradients accumulated (NaN when the batch is skipped), greedy readings of
// lines for validation, and its model file.
class CrnnTrainee {
 public:
  CrnnTrainee(const CrnnTrainConfig& c, Rng& rng) : model(c.model, rng), charset_(c.charset) {
    ctc_.zero_infinity = true;
  }
  double step(const data::LineBatch& b) {
    std::vector<index_t> frames;
    const Tensor<float> logits = model.forward(b.images, b.widths, &frames);
    const train::CtcResult r = train::ctc_loss(logits, b.targets, frames, b.target_lengths, ctc_);
    if (std::isfinite(r.loss)) model.backward(r.grad);
    return r.loss;
  }
  std::vector<std::string> read(const std::vector<data::LineSample>& lines) const {
    return crnn_read_lines(model, charset_, lines);
  }
  void save(const std::string& path, io::Metadata metadata) { models::save_crnn(path, model, charset_, metadata); }

  models::Crnn model;

 private:
  const data::Charset& charset_;
  train::CtcOptions ctc_;
};

// The transformer and attention recognizers: teacher-forced cross-entropy,
// greedy decoding for validation.
template <class Model>
class AutoregressiveTrainee {
 public:
  template <class Config>
  AutoregressiveTrainee(const Config& config, const CrnnTrainConfig& c, Rng& rng)
      : model(config, rng), charset_(c.charset) {
    ce_.label_smoothing = 0.1f;
  }
  double step(const data::LineBatch& b) {
    index_t longest = 0;
    for (index_t l : b.target_lengths) longest = std::max(longest, l);
    if (longest + 1 > model.config().max_length) return NAN;  // a text longer than the decoder's reach
    const models::TeacherForcing tf =
        models::teacher_forcing(b.targets, b.target_lengths, model.config().start_token());
    const Tensor<float> logits = model.forward(b.images, b.widths, tf.inputs);
    const index_t rows = logits.size(0) * logits.size(1), C = logits.size(2);
    Tensor<float> flat({rows, C});
    std::copy(logits.data(), logits.data() + logits.numel(), flat.data());
    Tensor<std::int32_t> targets({rows});
    std::copy(tf.outputs.data(), tf.outputs.data() + rows, targets.data());
    const train::LossResult r = train::cross_entropy(flat, targets, ce_);
    Tensor<float> grad(logits.shape());
    std::copy(r.grad.data(), r.grad.data() + r.grad.numel(), grad.data());
    model.backward(grad);
    return r.loss;
  }
  std::vector<std::string> read(const std::vector<data::LineSample>& lines) const {
    std::vector<std::string> out(lines.size());
    data::BatchOptions bo;
    bo.height = static_cast<int>(model.config().height);
    bo.width_multiple = static_cast<int>(model.config().frame_width());
    bo.unknown = data::UnknownPolicy::skip;
    const std::size_t B = 32;
    for (std::size_t b = 0; b < lines.size(); b += B) {
      const std::vector<data::LineSample> chunk(lines.begin() + static_cast<std::ptrdiff_t>(b),
                                                lines.begin() + static_cast<std::ptrdiff_t>(std::min(lines.size(), b + B)));
      const data::LineBatch lb = data::make_line_batch(chunk, charset_, bo);
      std::vector<index_t> frames;
      const Tensor<float> memory = model.encode(lb.images, lb.widths, &frames);
      parallel_for(static_cast<index_t>(chunk.size()), 1, [&](index_t i0, index_t i1) {
        for (index_t i = i0; i < i1; ++i) {
          const decode::DecodedSequence seq = decode::greedy_decode(
              model, models::line_memory(memory, i, frames[static_cast<std::size_t>(i)]),
              model.decode_config());
          std::string text;
          for (std::int32_t t : seq.tokens)
            if (t > 0 && t < charset_.size()) text += charset_.entry(t);
          out[b + static_cast<std::size_t>(i)] = text;
        }
      });
    }
    return out;
  }
  void save(const std::string& path, io::Metadata metadata) {
    models::save_recognizer(path, model, charset_, std::move(metadata), "train");
  }

  Model model;

 private:
  const data::Charset& charset_;
  train::CrossEntropyOptions ce_;
};

}  // namespace detail

struct CrnnTrainResult {
  std::int64_t steps_done = 0;
  double clean_cer = NAN, degraded_cer = NAN;
};

namespace detail {
template <class Trainee>
CrnnTrainResult train_with(CrnnTrainConfig& c, Trainee& trainee);
}  // namespace detail

inline CrnnTrainResult train_crnn(CrnnTrainConfig c) {
  NNOCR_CHECK(c.batch >= 1 && c.pool >= 1 && c.steps >= 1, "train: batch, pool and steps must be positive");
  NNOCR_CHECK(c.architecture == "crnn" || c.is_transformer() || c.is_attention(), "train: unknown architecture '",
              c.architecture, "' (crnn, transformer or attention)");
  Rng init(c.seed, 7);
  if (c.is_transformer() || c.is_attention()) {
    NNOCR_CHECK(c.init_from.empty(), "train: --init-from is for CRNN models only");
  }
  if (c.is_transformer()) {
    c.transformer.classes = c.charset.size();
    c.transformer.validate();
    detail::AutoregressiveTrainee<models::TransformerOcr> t(c.transformer, c, init);
    return detail::train_with(c, t);
  }
  if (c.is_attention()) {
    c.attention.classes = c.charset.size();
    c.attention.validate();
    detail::AutoregressiveTrainee<models::AttentionOcr> t(c.attention, c, init);
    return detail::train_with(c, t);
  }
  c.model.classes = c.charset.size();
  c.model.validate();
  detail::CrnnTrainee t(c, init);
  if (!c.init_from.empty()) {
    const std::string msg = detail::init_from_model(t.model, c.charset, c.init_from);
    if (c.progress) std::fprintf(stderr, "%s\n", msg.c_str());
  }
  return detail::train_with(c, t);
}

namespace detail {

template <class Trainee>
CrnnTrainResult train_with(CrnnTrainConfig& c, Trainee& trainee) {
  auto& model = trainee.model;
  if (c.progress) std::fprintf(stderr, "%s", model.summary().c_str());
  train::Adam optimizer(model.named_parameters(), train::adamw_config(c.lr, c.weight_decay));
  const train::LrSchedule schedule = train::LrSchedule::cosine(c.lr, std::max<std::int64_t>(1, c.steps - c.warmup),
                                                               c.min_lr, c.warmup);
  // A run killed in the middle of a save left its temporary file behind.
  for (const std::string* path : {&c.checkpoint, &c.output}) {
    if (path->empty()) continue;
    const int removed = remove_stale_temporaries(*path);
    if (removed > 0 && c.progress)
      std::fprintf(stderr, "removed %d temporary file(s) of %s left by a run killed while saving\n", removed,
                   path->c_str());
  }
  std::int64_t start = 0;
  if (!c.checkpoint.empty() && std::filesystem::exists(c.checkpoint)) {
    start = train::load_checkpoint(c.checkpoint, model, &optimizer).step;
    if (c.progress)
      std::fprintf(stderr, "resumed from %s at step %lld\n", c.checkpoint.c_str(), static_cast<long long>(start));
  }
  const std::int64_t end = c.stop_after > 0 ? std::min(c.steps, start + c.stop_after) : c.steps;

  // Validation lines (held-out fonts), made once.
  std::vector<data::LineSample> val_clean, val_degraded;
  if (!c.validation_fonts.empty() && c.validation_lines > 0) {
    val_clean = validation_lines(c.validation_fonts, c.corpus, c.validation_lines, false, 1000003,
                                 static_cast<int>(c.height()));
    val_degraded = validation_lines(c.validation_fonts, c.corpus, c.validation_lines, true, 1000033,
                                    static_cast<int>(c.height()));
  }

  detail::LinePools pools(c);
  data::LoaderOptions lo;
  lo.workers = c.loader_workers;
  lo.prefetch = 2;
  lo.start = start / c.pool;
  data::PrefetchLoader<std::vector<data::LineBatch>> loader([&](std::int64_t p) { return pools.make(p); }, lo);
  std::vector<data::LineBatch> pool;
  std::int64_t pool_index = -1;

  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  CrnnTrainResult result;
  double loss_sum = 0;
  std::int64_t loss_count = 0;

  train::TrainLoopConfig lc;
  lc.name = "train";
  lc.total_steps = end;
  lc.eval_every = c.eval_every;
  lc.checkpoint_every = c.checkpoint_every;
  lc.progress = c.progress;
  train::TrainLoop loop(lc);
  loop.step = [&](std::int64_t s) {
    if (s / c.pool != pool_index) {
      pool = loader.next();
      pool_index = s / c.pool;
    }
    const data::LineBatch& b = pool[static_cast<std::size_t>(s % c.pool)];
    model.train();
    model.reseed_streams(Rng(c.seed ^ 0x6a09e667f3bcc909ULL, static_cast<std::uint64_t>(s)).next_u64());
    optimizer.set_lr(schedule(s));
    optimizer.zero_grad();
    const double loss = trainee.step(b);
    if (std::isfinite(loss)) {
      train::clip_grad_norm(model.named_parameters(), c.clip);
      optimizer.step();
      loss_sum += loss;
      ++loss_count;
    }
    return train::StepResult{loss, b.size()};
  };
  auto evaluate = [&](std::int64_t s) {
    model.eval();
    std::string summary;
    if (!val_clean.empty()) {
      result.clean_cer = score_lines(val_clean, trainee.read(val_clean)).cer();
      result.degraded_cer = score_lines(val_degraded, trainee.read(val_degraded)).cer();
      char buf[160];
      std::snprintf(buf, sizeof buf, "held-out fonts: CER clean %.2f%%, degraded %.2f%%", 100 * result.clean_cer,
                    100 * result.degraded_cer);
      summary = buf;
    }
    model.train();
    const double mean_loss = loss_count ? loss_sum / static_cast<double>(loss_count) : NAN;
    loss_sum = 0;
    loss_count = 0;
    if (!c.curve.empty()) {
      const bool fresh = !std::filesystem::exists(c.curve);
      std::ofstream f(c.curve, std::ios::app);
      NNOCR_CHECK(f.good(), c.curve, ": cannot append to the training curve file");
      if (fresh) f << "step,seconds,loss,lr,clean_cer,degraded_cer\n";
      char line[200];
      std::snprintf(line, sizeof line, "%lld,%.0f,%.4f,%.3g,%.5f,%.5f\n", static_cast<long long>(s), seconds(),
                    mean_loss, static_cast<double>(schedule(std::max<std::int64_t>(0, s - 1))), result.clean_cer,
                    result.degraded_cer);
      f << line;
    }
    if (!c.output.empty()) {
      char note[200];
      std::snprintf(note, sizeof note, "step %lld of %lld; held-out CER clean %.4f degraded %.4f",
                    static_cast<long long>(s), static_cast<long long>(c.steps), result.clean_cer, result.degraded_cer);
      trainee.save(c.output, {{"nnocr.training", note}});
    }
    return summary;
  };
  loop.evaluate = evaluate;
  if (!c.checkpoint.empty())
    loop.save = [&](std::int64_t next) {
      train::CheckpointInfo info;
      info.step = next;
      info.metadata.emplace_back("nnocr.architecture", io::to_json(c.architecture_json()));
      info.metadata.emplace_back("nnocr.charset", c.charset.to_string());
      train::save_checkpoint(c.checkpoint, model, &optimizer, info);
    };
  if (start < end) loop.run(start);
  result.steps_done = end;
  return result;
}

}  // namespace detail

}  // namespace nnocr::pipeline
