// recognizer.hpp — reading text lines and pages with a trained model file.
//
//   pipeline::Recognizer ocr("data/models/crnn-en.safetensors");
//   std::vector<LineResult> lines = ocr.read_lines({line1, line2});  // each image one line
//   PageResult page = ocr.read_page(image::read_image("page.png"));  // split into lines first
//
// The model file says which recognizer it holds (its "nnocr.architecture"
// metadata): a CTC model (CRNN), or the transformer or attention recognizer
// (models/transformer_ocr.hpp, attention_ocr.hpp), which write the text token
// by token (greedy, or beam search with --beam-width; no lexicon or LM) and
// give no alignment:
// its characters are spread evenly over the line's ink before the word
// boxes are widened to the ink that touches them. Lines are prepared
// (line_image.hpp), scaled to the model's height, batched by similar width
// (so that little of a batch is padding), run through the network in eval
// mode and decoded: greedily, or by prefix beam search with an optional
// lexicon and character language model. Boxes: a character's frames give
// its position; a word's box is widened to the ink that touches it; the
// vertical extent is the line's ink.
//
// A Recognizer is immutable after construction; read_lines may be called
// from several threads at once.
#pragma once

#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "../core/thread_pool.hpp"
#include "../data/batch.hpp"
#include "../decode/ctc.hpp"
#include "../models/crnn.hpp"
#include "../models/attention_ocr.hpp"
#include "../models/transformer_ocr.hpp"
#include "../nn/softmax.hpp"
#include "ocr_result.hpp"
#include "page_lines.hpp"

namespace nnocr::pipeline {

enum class Decoder { greedy, beam };

struct RecognizerOptions {
  Decoder decoder = Decoder::greedy;
  int beam_width = 10;
  std::shared_ptr<const decode::Lexicon> lexicon;  // beam only
  std::shared_ptr<const decode::CharLm> lm;        // beam only
  double lm_weight = 0.5;
  decode::LexiconMode lexicon_mode = decode::LexiconMode::penalize;
  index_t batch = 16;         // lines per forward pass, at most
  index_t batch_columns = 4096;  // and at most this many padded columns (lines x widest), which bounds
                                 // the feature maps' memory: 32 channels x 32 rows x 4096 x 4 B = 16 MiB
  int max_width = 4096;       // widest line at the model's height; wider lines are squeezed
  PageSplitOptions page;
};

class Recognizer {
 public:
  explicit Recognizer(const std::string& model_path, RecognizerOptions options = {})
      : options_(std::move(options)) {
    NNOCR_CHECK(options_.batch >= 1 && options_.batch_columns >= 1, "Recognizer: batch and batch_columns must be >= 1");
    NNOCR_CHECK(options_.beam_width >= 1, "Recognizer: beam_width must be >= 1");
    NNOCR_CHECK(options_.decoder == Decoder::beam || (!options_.lexicon && !options_.lm),
                "Recognizer: a lexicon or language model needs the beam decoder");
    const std::string type = models::recognizer_type(model_path);
    if (type == "transformer" || type == "attention") {
      seq_ = type == "transformer" ? generic(models::load_transformer_ocr(model_path))
                                   : generic(models::load_attention_ocr(model_path));
      NNOCR_CHECK(!options_.lexicon && !options_.lm, model_path,
                  ": a lexicon or language model works with CTC models (CRNN) only");
    } else {
      crnn_ = models::load_crnn(model_path);
    }
  }

  // A transformer or attention model (token by token), not a CTC one.
  bool is_autoregressive() const { return seq_.model != nullptr; }
  const data::Charset& charset() const { return is_autoregressive() ? seq_.charset : crnn_.charset; }
  const models::Crnn& model() const {
    NNOCR_CHECK(crnn_.model != nullptr, "Recognizer::model: the model is not a CRNN");
    return *crnn_.model;
  }
  const io::Metadata& metadata() const { return is_autoregressive() ? seq_.metadata : crnn_.metadata; }
  const RecognizerOptions& options() const { return options_; }

  // Each image is one text line; one result per image, in order, with boxes
  // in that image's coordinates.
  std::vector<LineResult> read_lines(const std::vector<image::Image>& images) const {
    std::vector<Job> jobs(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
      NNOCR_CHECK(!images[i].empty(), "Recognizer::read_lines: image ", i, " is empty");
      jobs[i].line = prepare_line(images[i]);
    }
    return run(jobs);
  }

  // A page: split into lines (page_lines.hpp), each line read.
  PageResult read_page(const image::Image& page, const std::string& source = {}) const {
    NNOCR_CHECK(!page.empty(), "Recognizer::read_page: empty image ", source);
    PageResult out;
    out.source = source;
    out.width = page.width();
    out.height = page.height();
    const PageLines split = split_page_lines(page, options_.page);
    std::vector<Job> jobs(split.lines.size());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      image::Box cut;
      const image::Image img = cut_line(split.gray, split.lines[i], &cut);
      jobs[i].line = prepare_line(img);
      jobs[i].origin_x = cut.x;
      jobs[i].origin_y = cut.y;
    }
    out.lines = run(jobs);
    for (LineResult& l : out.lines) clamp_boxes(l, page.width(), page.height());
    return out;
  }

 private:
  struct Job {
    PreparedLine line;
    int origin_x = 0, origin_y = 0;  // where the prepared line's input lies in the caller's image
  };

  static void clamp(Box& b, int w, int h) {
    const int x0 = std::clamp(b.x, 0, w), y0 = std::clamp(b.y, 0, h);
    const int x1 = std::clamp(b.x + b.width, 0, w), y1 = std::clamp(b.y + b.height, 0, h);
    b = {x0, y0, x1 - x0, y1 - y0};
  }
  static void clamp_boxes(LineResult& l, int w, int h) {
    clamp(l.box, w, h);
    for (WordResult& wd : l.words) {
      clamp(wd.box, w, h);
      for (CharResult& c : wd.chars) clamp(c.box, w, h);
    }
  }

  std::vector<LineResult> run(const std::vector<Job>& jobs) const {
    const int height = static_cast<int>(is_autoregressive() ? seq_.model->input_height()
                                                         : crnn_.model->config().height);
    const index_t frame_width = is_autoregressive() ? seq_.model->frame_width()
                                                 : crnn_.model->config().frame_width();
    std::vector<LineResult> out(jobs.size());
    std::vector<index_t> order;
    std::vector<index_t> widths(jobs.size());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const PreparedLine& p = jobs[i].line;
      if (p.blank) {
        out[i].box = {jobs[i].origin_x + p.crop.x, jobs[i].origin_y + p.crop.y, p.crop.width, p.crop.height};
        continue;
      }
      widths[i] = data::scaled_width(p.gray.width(), p.gray.height(), height);
      order.push_back(static_cast<index_t>(i));
    }
    std::stable_sort(order.begin(), order.end(), [&](index_t a, index_t b) {
      return widths[static_cast<std::size_t>(a)] < widths[static_cast<std::size_t>(b)];
    });
    data::BatchOptions bo;
    bo.height = height;
    bo.width_multiple = static_cast<int>(frame_width);
    bo.max_width = options_.max_width;
    bo.unknown = data::UnknownPolicy::skip;
    decode::CtcBeamOptions beam;
    beam.beam_width = options_.beam_width;
    beam.lm = options_.lm.get();
    beam.lm_weight = options_.lm_weight;
    beam.lexicon = options_.lexicon.get();
    beam.lexicon_mode = options_.lexicon_mode;
    const auto B = static_cast<std::size_t>(options_.batch);
    for (std::size_t b = 0, next = 0; b < order.size(); b = next) {
      // Lines in order of width: the batch grows while the padded area fits.
      next = b + 1;
      while (next < order.size() && next - b < B &&
             static_cast<index_t>(next - b + 1) * std::min<index_t>(widths[static_cast<std::size_t>(order[next])],
                                                                    options_.max_width) <=
                 options_.batch_columns)
        ++next;
      std::vector<data::LineSample> chunk;
      for (std::size_t i = b; i < next; ++i)
        chunk.push_back({jobs[static_cast<std::size_t>(order[i])].line.gray, std::string()});
      const data::LineBatch lb = data::make_line_batch(chunk, charset(), bo);
      const index_t n = static_cast<index_t>(chunk.size());
      auto finish = [&](index_t i, const decode::CtcHypothesis& h) {
        const auto j = static_cast<std::size_t>(order[b + static_cast<std::size_t>(i)]);
        const double scale = static_cast<double>(jobs[j].line.gray.width()) /
                             static_cast<double>(lb.widths[static_cast<std::size_t>(i)]);
        out[j] = to_result(h, jobs[j], scale * static_cast<double>(frame_width));
      };
      std::vector<index_t> frames;
      if (is_autoregressive()) {
        const models::AutoregressiveRecognizer& m = *seq_.model;
        const Tensor<float> memory = m.encode(lb.images, lb.widths, &frames);
        parallel_for(n, 1, [&](index_t i0, index_t i1) {
          for (index_t i = i0; i < i1; ++i) {
            const index_t F = frames[static_cast<std::size_t>(i)];
            const Tensor<float> line = models::line_memory(memory, i, F);
            decode::DecodedSequence seq;
            if (options_.decoder == Decoder::beam) {
              const auto beams = decode::beam_search(m, line, m.decode_config(options_.beam_width));
              seq = beams.empty() ? decode::greedy_decode(m, line, m.decode_config(1)) : beams.front();
            } else {
              seq = decode::greedy_decode(m, line, m.decode_config(1));
            }
            finish(i, spread_over_frames(seq, F));
          }
        });
        continue;
      }
      Tensor<float> logits = crnn_.model->infer(lb.images, lb.widths, &frames);
      nn::log_softmax_rows(logits.data(), logits.data(), logits.size(0) * logits.size(1), logits.size(2));
      parallel_for(n, 1, [&](index_t i0, index_t i1) {
        for (index_t i = i0; i < i1; ++i) {
          const TensorView<const float> lp = logits.view().select(1, i).slice(0, 0, frames[static_cast<std::size_t>(i)]);
          decode::CtcHypothesis h;
          if (options_.decoder == Decoder::beam) {
            std::vector<decode::CtcHypothesis> hs = decode::ctc_beam_search(lp, charset().labels(), beam);
            h = hs.empty() ? decode::ctc_greedy_decode(lp, charset().labels()) : std::move(hs.front());
          } else {
            h = decode::ctc_greedy_decode(lp, charset().labels());
          }
          finish(i, h);
        }
      });
    }
    return out;
  }

  template <class Model>
  static models::RecognizerFile<models::AutoregressiveRecognizer> generic(models::RecognizerFile<Model> f) {
    models::RecognizerFile<models::AutoregressiveRecognizer> g;
    g.model = std::move(f.model);
    g.charset = std::move(f.charset);
    g.metadata = std::move(f.metadata);
    return g;
  }

  // A transformer's output as a CTC hypothesis: token k (of n) is placed at
  // frame (k + 1/2) F / n of the line's F frames, its confidence the
  // probability it was chosen with; the line's is the geometric mean over
  // the tokens and the end token.
  decode::CtcHypothesis spread_over_frames(const decode::DecodedSequence& seq, index_t F) const {
    decode::CtcHypothesis h;
    const auto n = static_cast<index_t>(seq.tokens.size());
    for (index_t k = 0; k < n; ++k) {
      const std::int32_t id = seq.tokens[static_cast<std::size_t>(k)];
      if (id <= 0 || id >= charset().size()) continue;
      decode::CtcChar c;
      c.id = id;
      c.first_frame = c.last_frame = std::min<index_t>(F - 1, (2 * k + 1) * F / (2 * n));
      c.confidence = std::exp(seq.token_log_probs[static_cast<std::size_t>(k)]);
      h.chars.push_back(c);
      h.ids.push_back(id);
    }
    h.log_prob = h.score = seq.log_prob;
    h.confidence = static_cast<float>(std::exp(seq.log_prob / static_cast<double>(n + 1)));
    const decode::detail::ClassText ct(charset().labels(), 0);
    decode::detail::finish_text(h, charset().labels(), &ct, nullptr);
    return h;
  }

  // Boxes from frames: frame f covers input columns [f, f + 1) * frame_px of
  // the prepared line.
  static LineResult to_result(const decode::CtcHypothesis& h, const Job& job, double frame_px) {
    const PreparedLine& p = job.line;
    const int ox = job.origin_x + p.crop.x;
    const int ink_y = job.origin_y + p.ink.y, ink_h = p.ink.height;
    const int W = p.gray.width();
    // Ink per column of the prepared line, within the ink rows.
    std::vector<int> ink(static_cast<std::size_t>(W));
    const int t = p.gray.empty() ? 0 : image::otsu_threshold(p.gray);
    for (int y = p.ink.y - p.crop.y; y < p.ink.y - p.crop.y + ink_h; ++y) {
      if (y < 0 || y >= p.gray.height()) continue;
      const std::uint8_t* r = p.gray.row(y);
      for (int x = 0; x < W; ++x) ink[static_cast<std::size_t>(x)] += r[x] <= t;
    }
    auto col = [&](double v) { return std::clamp(static_cast<int>(std::lround(v)), 0, W); };
    LineResult line;
    line.text = h.text;
    line.confidence = h.confidence;
    line.box = {job.origin_x + p.ink.x, ink_y, p.ink.width, ink_h};
    int prev_right = 0;
    for (std::size_t wi = 0; wi < h.words.size(); ++wi) {
      const decode::CtcWord& w = h.words[wi];
      int x0 = col(static_cast<double>(w.first_frame) * frame_px);
      int x1 = col(static_cast<double>(w.last_frame + 1) * frame_px);
      const int next_left = wi + 1 < h.words.size() ? col(static_cast<double>(h.words[wi + 1].first_frame) * frame_px) : W;
      while (x0 > prev_right && ink[static_cast<std::size_t>(x0 - 1)] > 0) --x0;
      while (x1 < next_left && ink[static_cast<std::size_t>(x1)] > 0) ++x1;
      // Trim blank columns at the word's ends.
      while (x0 < x1 - 1 && ink[static_cast<std::size_t>(x0)] == 0) ++x0;
      while (x1 > x0 + 1 && ink[static_cast<std::size_t>(x1 - 1)] == 0) --x1;
      prev_right = x1;
      WordResult word;
      word.text = w.text;
      word.confidence = w.confidence;
      word.box = {ox + x0, ink_y, x1 - x0, ink_h};
      // Characters split the word at the midpoints between their frames.
      const index_t nc = w.end_char - w.first_char;
      int left = x0;
      for (index_t k = 0; k < nc; ++k) {
        const decode::CtcChar& c = h.chars[static_cast<std::size_t>(w.first_char + k)];
        int right = x1;
        if (k + 1 < nc) {
          const decode::CtcChar& d = h.chars[static_cast<std::size_t>(w.first_char + k + 1)];
          right = std::clamp(col(0.5 * static_cast<double>(c.last_frame + 1 + d.first_frame) * frame_px), left, x1);
        }
        word.chars.push_back({c.text, {ox + left, ink_y, right - left, ink_h}, c.confidence});
        left = right;
      }
      line.confidence = wi == 0 ? word.confidence : std::min(line.confidence, word.confidence);
      line.words.push_back(std::move(word));
    }
    return line;
  }

  models::CrnnFile crnn_;  // one of these two holds the model
  models::RecognizerFile<models::AutoregressiveRecognizer> seq_;
  RecognizerOptions options_;
};

}  // namespace nnocr::pipeline
