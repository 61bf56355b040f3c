// The reading pipeline: prepare_line (polarity, ink extent, margins, skew,
// blank lines), split_page_lines and cut_line on synthetic pages (a column,
// a heading over two columns, light on dark, blank pages, i-dots and
// accents), and Recognizer with a tiny random CRNN: results in order and
// independent of batching, consistent words, characters and boxes, the
// decoders wired as configured, pages in page coordinates, and errors.
//
// Text is drawn with DejaVu Sans (fonts-dejavu-core); without it the cases
// that need it say so and pass.
#include <doctest/doctest.h>

#include <nnocr/core/file.hpp>
#include <nnocr/data/font.hpp>
#include <nnocr/data/render.hpp>
#include <nnocr/io/safetensors.hpp>
#include <nnocr/pipeline/recognizer.hpp>

#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

// Everything in a namespace of its own: the pipeline-level test files are
// compiled as one unit (tests/CMakeLists.txt, NNOCR_UNITY_TESTS), and their
// helpers and using-directives must not meet.
namespace nnocr_test_recognizer {

using namespace nnocr;
using namespace nnocr::pipeline;
namespace fs = std::filesystem;

namespace {

const char* const kDejaVuSans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// DejaVu Sans, loaded once; nullptr when it is not installed.
const data::Font* dejavu() {
  static const std::unique_ptr<const data::Font> font = []() -> std::unique_ptr<const data::Font> {
    if (!fs::exists(kDejaVuSans)) return nullptr;
    return std::make_unique<const data::Font>(data::Font::load(kDejaVuSans));
  }();
  if (!font) MESSAGE("fonts-dejavu-core is not installed; skipped");
  return font.get();
}

// `text` in dark ink on white paper, `px` from ascender top to descender
// bottom, with `pad_x` / `pad_y` pixels of paper around the frame.
image::Image render(const data::Font& font, const std::string& text, float px, int pad_x = 0, int pad_y = 0) {
  data::RenderOptions o;
  o.pixel_height = px;
  o.padding_x = pad_x;
  o.padding_y = pad_y;
  return data::render_line(font, text, o).image;
}

bool contains(const Box& outer, const Box& inner) {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width &&
         inner.y + inner.height <= outer.y + outer.height;
}

Box grow(const Box& b, int m) { return {b.x - m, b.y - m, b.width + 2 * m, b.height + 2 * m}; }

bool same(const Box& a, const Box& b) {
  return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
}

std::string str(const Box& b) {
  return "{" + std::to_string(b.x) + ", " + std::to_string(b.y) + ", " + std::to_string(b.width) + ", " +
         std::to_string(b.height) + "}";
}

// The bounding box of the pixels of a gray image at or below `level` (width
// 0 when there are none).
Box dark_box(const image::Image& img, int level) {
  int x0 = img.width(), y0 = img.height(), x1 = -1, y1 = -1;
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      if (img.at(x, y) <= level) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  return x1 < 0 ? Box{} : Box{x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

int max_difference(const image::Image& a, const image::Image& b) {
  if (a.width() != b.width() || a.height() != b.height() || a.channels() != b.channels()) return 256;
  int worst = 0;
  const std::size_t n = static_cast<std::size_t>(a.width()) * a.height() * a.channels();
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(int(a.data()[i]) - int(b.data()[i])));
  return worst;
}

// Runs of rows of `region` that hold pixels at or below `level`.
int row_bands(const image::Image& img, const Box& region, int level) {
  int bands = 0;
  bool previous = false;
  for (int y = region.y; y < region.y + region.height; ++y) {
    bool ink = false;
    for (int x = region.x; x < region.x + region.width; ++x) ink = ink || img.at(x, y) <= level;
    bands += ink && !previous;
    previous = ink;
  }
  return bands;
}

double mean_gray(const image::Image& img) {
  double sum = 0;
  const std::size_t n = static_cast<std::size_t>(img.width()) * img.height();
  for (std::size_t i = 0; i < n; ++i) sum += img.data()[i];
  return sum / static_cast<double>(n);
}

// A line pasted onto a page: where its rendered image went, and its dark
// pixels (<= 96) in page coordinates.
struct PageLine {
  std::string text;
  Box rect, ink;
};

PageLine paste_line(image::Image& page, const data::Font& font, const std::string& text, float px, int x, int y) {
  const image::Image line = render(font, text, px);
  REQUIRE(x + line.width() <= page.width());
  REQUIRE(y + line.height() <= page.height());
  for (int j = 0; j < line.height(); ++j)
    for (int i = 0; i < line.width(); ++i)
      page.at(x + i, y + j) = std::min(page.at(x + i, y + j), line.at(i, j));
  Box ink = dark_box(line, 96);
  ink.x += x, ink.y += y;
  return {text, {x, y, line.width(), line.height()}, ink};
}

// Each found box holds its line's dark ink and stays within the line's image.
void check_lines(const std::vector<Box>& found, const std::vector<PageLine>& expected) {
  REQUIRE(found.size() == expected.size());
  for (std::size_t i = 0; i < found.size(); ++i) {
    INFO("line ", i, " '", expected[i].text, "': found ", str(found[i]), ", ink ", str(expected[i].ink), ", pasted at ",
         str(expected[i].rect));
    CHECK(contains(found[i], expected[i].ink));
    CHECK(contains(grow(expected[i].rect, 1), found[i]));
  }
}

using test::TempDir;

// A tiny CRNN (height 16, frames 2 pixels wide, a BiLSTM of 8, classes
// blank a b c space) with random weights, saved to `path`. At its random
// start such a network reads about the same class at every frame; the
// convolutions and the LSTM are scaled up so that what it reads follows the
// ink (words, several characters, differing between lines), and the
// classifier by `fc_scale` (bias 0: the same best path for any scale, the
// larger the more peaked). The BatchNorm statistics and shifts are made
// non-zero, so that past a line's end the feature maps are not zero and the
// padding of a batch would leak into a line's result if the model did not
// mask it.
void save_tiny_model(const std::string& path, float fc_scale = 2.0f) {
  models::CrnnConfig c;
  c.height = 16;
  c.stages = {{4, 1, 2, 2}, {6, 1, 2, 1}};
  c.hidden = 8;
  c.layers = 1;
  c.dropout = 0.0f;
  c.classes = 5;
  Rng rng(11);
  models::Crnn model(c, rng);
  for (auto& np : model.named_parameters()) {
    const std::string& name = np.first;
    Tensor<float>& v = np.second->value;
    float scale = 1.0f;
    if (name == "fc.bias") scale = 0.0f;
    else if (name.rfind("fc.", 0) == 0) scale = fc_scale;
    else if (name.rfind("rnn.", 0) == 0) scale = 2.0f;
    else if (v.rank() == 4) scale = 3.0f;  // convolution weights
    for (index_t i = 0; i < v.numel(); ++i) v.data()[i] *= scale;
    if (name.rfind("cnn.", 0) == 0 && v.rank() == 1 && name.find("bias") != std::string::npos)
      for (index_t i = 0; i < v.numel(); ++i) v.data()[i] = rng.uniform(-0.5f, 0.5f);
  }
  for (auto& nb : model.named_buffers()) {
    Tensor<float>& b = *nb.second;
    const bool mean = nb.first.find("running_mean") != std::string::npos;
    const bool var = nb.first.find("running_var") != std::string::npos;
    for (index_t i = 0; i < b.numel(); ++i)
      if (mean || var) b.data()[i] = mean ? rng.uniform(-0.3f, 0.3f) : rng.uniform(0.5f, 2.0f);
  }
  models::save_crnn(path, model, data::Charset::from_characters("abc "));
}

// Lines for the tiny model: different widths, one blank.
std::vector<image::Image> sample_lines(const data::Font& font) {
  std::vector<image::Image> lines;
  for (const char* text : {"abc cab", "a", "bb ca ab cc", "cab bac", "ba"}) lines.push_back(render(font, text, 16, 4, 4));
  lines.push_back(image::Image(30, 16, 1, 255));
  return lines;
}

std::vector<std::string> split_at_spaces(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char ch : text) {
    if (ch == ' ') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += ch;
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

// Same text, words, characters and boxes; confidences within 1e-4.
void check_same(const LineResult& a, const LineResult& b) {
  CHECK(a.text == b.text);
  CHECK(std::abs(a.confidence - b.confidence) < 1e-5f);
  CHECK(same(a.box, b.box));
  REQUIRE(a.words.size() == b.words.size());
  for (std::size_t w = 0; w < a.words.size(); ++w) {
    INFO("word ", w);
    CHECK(a.words[w].text == b.words[w].text);
    CHECK(same(a.words[w].box, b.words[w].box));
    CHECK(std::abs(a.words[w].confidence - b.words[w].confidence) < 1e-5f);
    REQUIRE(a.words[w].chars.size() == b.words[w].chars.size());
    for (std::size_t k = 0; k < a.words[w].chars.size(); ++k) {
      CHECK(same(a.words[w].chars[k].box, b.words[w].chars[k].box));
      CHECK(std::abs(a.words[w].chars[k].confidence - b.words[w].chars[k].confidence) < 1e-5f);
    }
  }
}

// What a result promises whatever the model reads: text = the words joined
// by spaces, confidences in [0, 1] (a word's the least of its characters',
// a line's the least of its words'), word boxes left to right inside the
// image over the line's ink rows, characters splitting their word's box.
void check_consistent(const LineResult& line, int width, int height) {
  CHECK(line.confidence >= 0.0f);
  CHECK(line.confidence <= 1.0f);
  std::vector<std::string> texts;
  for (const WordResult& w : line.words) texts.push_back(w.text);
  CHECK(split_at_spaces(line.text) == texts);
  CHECK(line.text.find_first_not_of("abc ") == std::string::npos);
  CHECK(contains({0, 0, width, height}, line.box));
  float least_word = 1.0f;
  for (std::size_t i = 0; i < line.words.size(); ++i) {
    const WordResult& w = line.words[i];
    INFO("word ", i, " '", w.text, "' ", str(w.box));
    CHECK(w.box.width > 0);
    CHECK(contains({0, 0, width, height}, w.box));
    CHECK(w.box.y == line.box.y);
    CHECK(w.box.height == line.box.height);
    if (i + 1 < line.words.size()) CHECK(w.box.x + w.box.width <= line.words[i + 1].box.x);
    REQUIRE(!w.chars.empty());
    std::string joined;
    float least_char = 1.0f;
    int left = w.box.x;
    for (const CharResult& c : w.chars) {
      INFO("char '", c.text, "' ", str(c.box));
      joined += c.text;
      CHECK(c.box.x == left);  // contiguous, left to right
      CHECK(c.box.width >= 0);
      CHECK(c.box.y == w.box.y);
      CHECK(c.box.height == w.box.height);
      CHECK(c.confidence >= 0.0f);
      CHECK(c.confidence <= 1.0f);
      least_char = std::min(least_char, c.confidence);
      left = c.box.x + c.box.width;
    }
    CHECK(left == w.box.x + w.box.width);
    CHECK(joined == w.text);
    CHECK(w.confidence == least_char);
    least_word = std::min(least_word, w.confidence);
  }
  if (!line.words.empty()) CHECK(line.confidence == least_word);
}

// What the Recognizer's documented pipeline gives for one line, run by hand:
// prepare_line, scaled to the model's height, the network, log-softmax.
Tensor<float> line_log_probs(const Recognizer& ocr, const image::Image& img) {
  const PreparedLine p = prepare_line(img);
  const models::CrnnConfig& cfg = ocr.model().config();
  data::BatchOptions bo;
  bo.height = static_cast<int>(cfg.height);
  bo.width_multiple = static_cast<int>(cfg.frame_width());
  bo.max_width = ocr.options().max_width;
  const data::LineBatch batch = data::make_line_batch({{p.gray, ""}}, ocr.charset(), bo);
  std::vector<index_t> frames;
  Tensor<float> logits = ocr.model().infer(batch.images, batch.widths, &frames);
  nn::log_softmax_rows(logits.data(), logits.data(), logits.size(0) * logits.size(1), logits.size(2));
  const TensorView<const float> lp = logits.view().select(1, 0).slice(0, 0, frames[0]);
  Tensor<float> out({lp.size(0), lp.size(1)});
  for (index_t t = 0; t < lp.size(0); ++t)
    for (index_t c = 0; c < lp.size(1); ++c) out(t, c) = lp(t, c);
  return out;
}

std::vector<std::string> class_labels(const data::Charset& charset) {
  std::vector<std::string> labels(static_cast<std::size_t>(charset.size()));
  for (std::int32_t c = 1; c < charset.size(); ++c) labels[static_cast<std::size_t>(c)] = charset.entry(c);
  return labels;
}

}  // namespace

// ---------------------------------------------------------------------------
// prepare_line

TEST_CASE("prepare_line: dark text is kept, light text on a dark ground is inverted") {
  const data::Font* font = dejavu();
  if (!font) return;
  const image::Image line = render(*font, "Hello world", 20, 12, 10);
  const PreparedLine dark = prepare_line(line);
  REQUIRE(!dark.blank);
  CHECK(dark.gray.channels() == 1);
  CHECK(mean_gray(dark.gray) > 160);  // mostly paper

  const PreparedLine light = prepare_line(image::invert(line));
  CHECK(!light.blank);
  CHECK(mean_gray(light.gray) > 160);
  CHECK(same(light.crop, dark.crop));
  CHECK(same(light.ink, dark.ink));
  CHECK(max_difference(light.gray, dark.gray) <= 1);

  // The same in colour: light text on a dark ground, three channels.
  const image::Image inverted = image::invert(line);
  image::Image rgb(line.width(), line.height(), 3);
  for (int y = 0; y < line.height(); ++y)
    for (int x = 0; x < line.width(); ++x)
      for (int k = 0; k < 3; ++k) rgb.at(x, y, k) = inverted.at(x, y);
  const PreparedLine colour = prepare_line(rgb);
  CHECK(colour.gray.channels() == 1);
  CHECK(mean_gray(colour.gray) > 160);
  CHECK(contains(grow(dark.ink, 1), colour.ink));
  CHECK(contains(colour.ink, grow(dark.ink, -1)));
}

TEST_CASE("prepare_line: the crop keeps margins of 1/4 (above, below) and 1/2 (left, right) of the ink height") {
  const data::Font* font = dejavu();
  if (!font) return;
  // Wide margins: cut down to the ink plus the margins.
  // (A word narrower than three times its height: it is not levelled.)
  const image::Image line = render(*font, "Holy", 20, 40, 30);
  const PreparedLine p = prepare_line(line);
  REQUIRE(!p.blank);
  const Box ink = dark_box(line, image::otsu_threshold(line));
  INFO("ink ", str(p.ink), " (pixels at or below Otsu's threshold: ", str(ink), "), crop ", str(p.crop));
  CHECK(contains(grow(ink, 1), p.ink));
  CHECK(contains(p.ink, grow(ink, -1)));
  const int my = p.ink.height / 4, mx = p.ink.height / 2;
  CHECK(same(p.crop, {p.ink.x - mx, p.ink.y - my, p.ink.width + 2 * mx, p.ink.height + 2 * my}));
  CHECK(p.skew_degrees == 0.0);
  CHECK(max_difference(p.gray, image::crop(line, p.crop)) == 0);

  // Margins already smaller than that are kept as they are.
  const image::Image tight = render(*font, "Holy", 20, 1, 1);
  const PreparedLine q = prepare_line(tight);
  CHECK(same(q.crop, {0, 0, tight.width(), tight.height()}));
  CHECK(max_difference(q.gray, tight) == 0);
  // Only the wide ones are cut.
  const image::Image tall = render(*font, "Holy", 20, 1, 30);
  const PreparedLine r = prepare_line(tall);
  CHECK(r.crop.x == 0);
  CHECK(r.crop.width == tall.width());
  CHECK(r.crop.y == r.ink.y - r.ink.height / 4);
  CHECK(r.crop.height == r.ink.height + 2 * (r.ink.height / 4));
}

TEST_CASE("prepare_line: faint descender rows are kept; a speck above or below the text is not") {
  const data::Font* font = dejavu();
  if (!font) return;
  // Ten m's and a j: the j's descender holds well under 5 % of the ink of
  // the fullest row, so only the growth over faint rows keeps it.
  const data::RenderedLine r = [&] {
    data::RenderOptions o;
    o.pixel_height = 24;
    o.padding_x = 30;
    o.padding_y = 40;
    return data::render_line(*font, "mmmmmmmmmmj", o);
  }();
  const image::Image& line = r.image;
  const int t = image::otsu_threshold(line);
  const PreparedLine p = prepare_line(line);
  const Box ink = dark_box(line, t);
  INFO("ink ", str(p.ink), ", pixels at or below Otsu's threshold ", str(ink));
  CHECK(p.ink.y + p.ink.height == ink.y + ink.height);  // the descender's last row
  CHECK(p.crop.y + p.crop.height >= ink.y + ink.height + p.ink.height / 4);

  // Specks of 2 x 2 pixels far above and far below the text, over its columns.
  for (int speck_y : {4, line.height() - 6}) {
    CAPTURE(speck_y);
    image::Image specked = line;
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx) specked.at(line.width() / 2 + dx, speck_y + dy) = 0;
    const PreparedLine s = prepare_line(specked);
    CHECK(same(s.ink, p.ink));
    CHECK(same(s.crop, p.crop));
  }
}

// A 2 x 2 speck left or right of the text (once stretched the crop, when
// the column rule was "at least 5 % of the fullest column").
TEST_CASE("prepare_line: a speck left or right of the text does not stretch the crop") {
  const data::Font* font = dejavu();
  if (!font) return;
  const image::Image line = render(*font, "mmmmmmmmmmj", 24, 60, 40);
  const PreparedLine p = prepare_line(line);
  for (int speck_x : {5, line.width() - 7}) {
    CAPTURE(speck_x);
    image::Image specked = line;
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx) specked.at(speck_x + dx, line.height() / 2 + dy) = 0;
    const PreparedLine s = prepare_line(specked);
    INFO("without the speck ink ", str(p.ink), " crop ", str(p.crop), "; with it ink ", str(s.ink), " crop ",
         str(s.crop));
    CHECK(same(s.ink, p.ink));
    CHECK(same(s.crop, p.crop));
  }
}

// The growth over faint rows crosses gaps of up to a sixth of the height:
// the j's dot, 2 blank rows above an x-height of 14 (reach 2), is ink, and
// the crop keeps its top row (an off-by-one once left it out).
TEST_CASE("prepare_line: an i-dot above a line of x-height letters is part of the ink") {
  const data::Font* font = dejavu();
  if (!font) return;
  const image::Image line = render(*font, "mmmmmmmmmmj", 24, 30, 40);
  const PreparedLine p = prepare_line(line);
  const Box ink = dark_box(line, image::otsu_threshold(line));
  INFO("ink ", str(p.ink), ", pixels at or below Otsu's threshold ", str(ink), ", crop ", str(p.crop));
  CHECK(p.ink.y == ink.y);
  CHECK(p.crop.y <= ink.y);
}

// A level line is left level even when its ascenders and descenders are
// unevenly spread: "The lazy dog" (ascenders left, descenders right) at 20
// pixels once measured 1.8 degrees by a least-squares fit through the ink.
TEST_CASE("prepare_line: a level line is not turned, wherever its ascenders and descenders are") {
  const data::Font* font = dejavu();
  if (!font) return;
  for (const char* text : {"The lazy dog", "little puppy", "Kill the pygmy"}) {
    CAPTURE(text);
    const image::Image line = render(*font, text, 20, 4, 2);
    REQUIRE(line.width() >= 3 * line.height());
    CHECK(prepare_line(line).skew_degrees == 0.0);
  }
}

TEST_CASE("prepare_line: a line tilted 0.5 to 8 degrees is levelled, and skew_degrees is the tilt undone") {
  const data::Font* font = dejavu();
  if (!font) return;
  // 278 x 49: room above and below for the turned line.
  const image::Image line = render(*font, "The quick brown fox jumps over", 16, 6, 16);
  const PreparedLine level = prepare_line(line);
  CHECK(level.skew_degrees == 0.0);
  const int level_rows = dark_box(level.gray, 128).height;
  for (double degrees : {3.0, -3.0, 6.0}) {
    CAPTURE(degrees);
    const image::Image tilted = image::rotate(line, degrees);  // counter-clockwise on screen
    const int tilted_rows = dark_box(tilted, 128).height;
    REQUIRE(tilted_rows >= level_rows + 6);  // the tilt shows in the rows
    const PreparedLine p = prepare_line(tilted);
    CHECK(!p.blank);
    INFO("skew_degrees ", p.skew_degrees);
    CHECK(std::abs(p.skew_degrees - degrees) < 0.7);
    const int rows = dark_box(p.gray, 128).height;
    INFO("ink rows: level ", level_rows, ", tilted ", tilted_rows, ", prepared ", rows);
    CHECK(std::abs(rows - level_rows) <= 2);
  }
  // Beyond 8 degrees the line is left as it is.
  const image::Image shorter = render(*font, "quick brown", 16, 6, 24);
  const PreparedLine steep = prepare_line(image::rotate(shorter, 12.0));
  CHECK(steep.skew_degrees == 0.0);
  // So is a line too short for its slope to mean anything (width < 3 x height).
  const image::Image word = render(*font, "quick", 16, 6, 16);
  REQUIRE(word.width() < 3 * word.height());
  CHECK(prepare_line(image::rotate(word, 3.0)).skew_degrees == 0.0);
}

TEST_CASE("prepare_line: images without contrast are blank; an empty image is an error") {
  const image::Image uniform(60, 20, 1, 200);
  const PreparedLine u = prepare_line(uniform);
  CHECK(u.blank);
  CHECK(same(u.crop, {0, 0, 60, 20}));
  CHECK(u.ink.width == 0);
  CHECK(u.gray.width() == 60);
  CHECK(u.gray.height() == 20);
  CHECK(prepare_line(image::Image(40, 12, 3, 30)).blank);

  // Contrast: max - min of 23 gray levels is none, 24 is some.
  image::Image faint(60, 20, 1, 100);
  for (int x = 10; x < 50; x += 3) faint.at(x, 8) = 123;
  CHECK(prepare_line(faint).blank);
  for (int x = 10; x < 50; x += 3) faint.at(x, 8) = 124;
  const PreparedLine f = prepare_line(faint);
  CHECK(!f.blank);
  CHECK(f.ink.y == 8);
  CHECK(f.ink.height == 1);

  CHECK_THROWS_AS(prepare_line(image::Image()), Error);
}

// ---------------------------------------------------------------------------
// split_page_lines, cut_line

TEST_CASE("split_page_lines: a column of lines comes back top to bottom, each box holding its line's ink") {
  const data::Font* font = dejavu();
  if (!font) return;
  image::Image page(240, 120, 1, 255);
  std::vector<PageLine> lines;
  const char* texts[] = {"Invoice for July", "paid by the group", "all in my ledger", "kept up to day"};
  for (int i = 0; i < 4; ++i) lines.push_back(paste_line(page, *font, texts[i], 16, 10, 8 + 24 * i));
  const PageLines split = split_page_lines(page);
  CHECK(split.gray.width() == page.width());
  CHECK(split.gray.height() == page.height());
  check_lines(split.lines, lines);

  // Light text on a dark ground, in colour: the same lines.
  const image::Image inverted = image::invert(page);
  image::Image rgb(page.width(), page.height(), 3);
  for (int y = 0; y < page.height(); ++y)
    for (int x = 0; x < page.width(); ++x)
      for (int k = 0; k < 3; ++k) rgb.at(x, y, k) = inverted.at(x, y);
  for (const image::Image* light : std::vector<const image::Image*>{&inverted, &rgb}) {
    CAPTURE(light->channels());
    const PageLines s = split_page_lines(*light);
    CHECK(mean_gray(s.gray) > 160);  // dark ink on light paper
    REQUIRE(s.lines.size() == split.lines.size());
    for (std::size_t i = 0; i < s.lines.size(); ++i) CHECK(same(s.lines[i], split.lines[i]));
  }
}

TEST_CASE("split_page_lines: a heading over two columns reads heading, left column, right column") {
  const data::Font* font = dejavu();
  if (!font) return;
  image::Image page(320, 160, 1, 255);
  std::vector<PageLine> lines;
  lines.push_back(paste_line(page, *font, "Quarterly report of the guild", 20, 8, 6));
  REQUIRE(lines[0].rect.x + lines[0].rect.width > 200);  // over the gutter
  const char* left[] = {"lying high up", "glad to help", "apply by July", "keep the dog"};
  const char* right[] = {"ghost lady", "pale yellow", "bright day", "big plans"};
  for (int i = 0; i < 4; ++i) lines.push_back(paste_line(page, *font, left[i], 16, 8, 50 + 24 * i));
  for (int i = 0; i < 4; ++i) lines.push_back(paste_line(page, *font, right[i], 16, 172, 50 + 24 * i));
  for (int i = 1; i <= 4; ++i) REQUIRE(lines[static_cast<std::size_t>(i)].rect.x + lines[static_cast<std::size_t>(i)].rect.width < 150);
  check_lines(split_page_lines(page).lines, lines);
}

TEST_CASE("split_page_lines: i-dots and accents join their line; blank pages and specks give no lines") {
  const data::Font* font = dejavu();
  if (!font) return;
  image::Image page(160, 90, 1, 255);
  std::vector<PageLine> lines;
  for (int i = 0; i < 3; ++i) lines.push_back(paste_line(page, *font, "ij \xc3\xa4\xc3\xb6\xc3\xbc ji", 16, 10, 8 + 24 * i));
  // The dots are rows of their own, apart from the letters below them.
  REQUIRE(row_bands(page, lines[0].rect, image::otsu_threshold(page)) >= 2);
  check_lines(split_page_lines(page).lines, lines);

  CHECK(split_page_lines(image::Image(200, 100, 1, 255)).lines.empty());
  CHECK(split_page_lines(image::Image(200, 100, 3, 0)).lines.empty());
  image::Image faint(200, 100, 1, 120);  // contrast under 24 gray levels
  for (int y = 0; y < 100; y += 2)
    for (int x = y % 4; x < 200; x += 4) faint.at(x, y) = 100;
  CHECK(split_page_lines(faint).lines.empty());
  image::Image speck(200, 100, 1, 255);  // 4 pixels of ink: under min_ink_pixels
  speck.at(50, 50) = speck.at(51, 50) = speck.at(50, 51) = speck.at(51, 51) = 0;
  CHECK(split_page_lines(speck).lines.empty());
  CHECK_THROWS_AS(split_page_lines(image::Image()), Error);
}

TEST_CASE("cut_line: the line with margins of a quarter of its height, those above and below blank") {
  const data::Font* font = dejavu();
  if (!font) return;
  // Three lines 16 pixels apart, as close as their frames allow: the
  // descenders of one reach into the margin above the next. The page ends
  // just right of the lines.
  const image::Image probe = render(*font, "lying high up", 16);
  image::Image page(probe.width(), 60, 1, 255);
  std::vector<PageLine> lines;
  for (int i = 0; i < 3; ++i) lines.push_back(paste_line(page, *font, "lying high up", 16, 0, 4 + 16 * i));
  const Box line = lines[1].ink;
  const int m = std::max(2, line.height / 4);
  REQUIRE(line.x - m < 0);
  REQUIRE(line.x + line.width + m > page.width());
  const Box expected{0, line.y - m, page.width(), line.height + 2 * m};
  // The page has ink in the margin rows above and below.
  REQUIRE(dark_box(image::crop(page, {0, line.y - m, page.width(), m}), 96).width > 0);
  REQUIRE(dark_box(image::crop(page, {0, line.y + line.height, page.width(), m}), 96).width > 0);

  Box cut;
  const image::Image img = cut_line(page, line, &cut);
  CHECK(same(cut, expected));
  REQUIRE(img.width() == expected.width);
  REQUIRE(img.height() == expected.height);
  CHECK(img.channels() == 1);
  for (int y = 0; y < img.height(); ++y) {
    const bool margin = y < m || y >= m + line.height;
    for (int x = 0; x < img.width(); ++x) {
      const int want = margin ? 255 : page.at(expected.x + x, expected.y + y);
      if (img.at(x, y) != want) {
        FAIL_CHECK("pixel (", x, ", ", y, ") is ", int(img.at(x, y)), ", expected ", want);
        return;
      }
    }
  }
  // Without the box; and a line away from the page's edges keeps its side margins.
  CHECK(max_difference(cut_line(page, line), img) == 0);
  const Box inner{40, line.y, 30, line.height};
  const image::Image middle = cut_line(page, inner, &cut);
  CHECK(same(cut, {40 - m, line.y - m, 30 + 2 * m, line.height + 2 * m}));
  CHECK(max_difference(image::crop(middle, {0, m, middle.width(), line.height}),
                       image::crop(page, {40 - m, line.y, 30 + 2 * m, line.height})) == 0);
  CHECK_THROWS_AS(cut_line(image::Image(20, 20, 3, 255), {2, 2, 10, 10}), Error);
}

// ---------------------------------------------------------------------------
// Recognizer

TEST_CASE("Recognizer: one result per line in order, whatever the batch size and the other lines") {
  const data::Font* font = dejavu();
  if (!font) return;
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  save_tiny_model(path);
  const std::vector<image::Image> lines = sample_lines(*font);

  const Recognizer ocr(path);
  std::vector<LineResult> alone;
  for (const image::Image& img : lines) {
    const std::vector<LineResult> one = ocr.read_lines({img});
    REQUIRE(one.size() == 1);
    alone.push_back(one[0]);
  }
  // The model reads something, and something different per line, so that
  // order and mixing would show.
  int multi_word = 0;
  for (const LineResult& r : alone) multi_word += r.words.size() >= 2;
  REQUIRE(multi_word >= 2);
  for (std::size_t i = 1; i + 1 < alone.size(); ++i) {
    INFO("line ", i, ": '", alone[i].text, "'");
    REQUIRE(alone[i].text != alone[0].text);
  }

  auto check_all = [&](const std::vector<LineResult>& got, const std::vector<std::size_t>& order) {
    REQUIRE(got.size() == order.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      INFO("result ", i, " (line ", order[i], "): '", got[i].text, "' alone '", alone[order[i]].text, "'");
      check_same(got[i], alone[order[i]]);
    }
  };
  std::vector<std::size_t> forward(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) forward[i] = i;
  SUBCASE("all together") { check_all(ocr.read_lines(lines), forward); }
  SUBCASE("reversed") {
    const std::vector<image::Image> reversed(lines.rbegin(), lines.rend());
    const std::vector<std::size_t> backward(forward.rbegin(), forward.rend());
    check_all(ocr.read_lines(reversed), backward);
  }
  SUBCASE("batches of 1, 2 and 4") {
    for (index_t batch : {1, 2, 4}) {
      CAPTURE(batch);
      RecognizerOptions o;
      o.batch = batch;
      check_all(Recognizer(path, o).read_lines(lines), forward);
    }
  }
  SUBCASE("a line twice, with others between") {
    const std::vector<image::Image> mixed = {lines[2], lines[0], lines[5], lines[2], lines[1]};
    check_all(ocr.read_lines(mixed), {2, 0, 5, 2, 1});
  }
  SUBCASE("none") { CHECK(ocr.read_lines({}).empty()); }
}

TEST_CASE("Recognizer: words, characters, confidences and boxes are consistent, in the input image's coordinates") {
  const data::Font* font = dejavu();
  if (!font) return;
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  save_tiny_model(path);
  std::vector<image::Image> lines = sample_lines(*font);
  // Wide margins and light on dark: boxes still on the ink of the input.
  lines.push_back(render(*font, "cab abc bca", 16, 40, 20));
  lines.push_back(image::invert(render(*font, "bac ca", 16, 25, 12)));
  for (const bool beam : {false, true}) {
    CAPTURE(beam);
    RecognizerOptions o;
    o.decoder = beam ? Decoder::beam : Decoder::greedy;
    const std::vector<LineResult> results = Recognizer(path, o).read_lines(lines);
    REQUIRE(results.size() == lines.size());
    int words = 0, inked = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      INFO("line ", i, ": '", results[i].text, "'");
      check_consistent(results[i], lines[i].width(), lines[i].height());
      words += static_cast<int>(results[i].words.size());
      if (i == 5) continue;  // the blank one
      image::Image dark = lines[i];
      if (i == 7) dark = image::invert(dark);
      const Box faint_ink = dark_box(dark, 200);
      INFO("ink ", str(faint_ink), ", line box ", str(results[i].box));
      CHECK(contains(grow(faint_ink, 1), results[i].box));
      // A word's box is trimmed to the ink in it; one read over blank paper
      // keeps a single column where its frames are.
      for (const WordResult& w : results[i].words) {
        if (w.box.width == 1) continue;
        INFO("word ", str(w.box));
        CHECK(contains(grow(faint_ink, 1), w.box));
        ++inked;
      }
    }
    CHECK(words >= 8);
    CHECK(inked >= 4);
    // The blank line: nothing read, its whole image as the box.
    const LineResult& blank = results[5];
    CHECK(blank.text.empty());
    CHECK(blank.words.empty());
    CHECK(blank.confidence == 0.0f);
    CHECK(same(blank.box, {0, 0, 30, 16}));
  }
}

TEST_CASE("Recognizer: greedy and beam decoding are the CTC decoders on the model's output, as configured") {
  const data::Font* font = dejavu();
  if (!font) return;
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  save_tiny_model(path);
  const std::vector<image::Image> lines = sample_lines(*font);
  const Recognizer greedy(path);
  REQUIRE(greedy.options().decoder == Decoder::greedy);
  const std::vector<std::string> labels = class_labels(greedy.charset());
  std::vector<Tensor<float>> log_probs;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) log_probs.push_back(line_log_probs(greedy, lines[i]));

  const std::vector<LineResult> g = greedy.read_lines(lines);
  for (std::size_t i = 0; i < log_probs.size(); ++i) {
    const decode::CtcHypothesis h = decode::ctc_greedy_decode(log_probs[i].view(), labels);
    INFO("line ", i, ": '", g[i].text, "', decoded by hand '", h.text, "'");
    CHECK(g[i].text == h.text);
    CHECK(g[i].words.size() == h.words.size());
  }

  const auto lexicon = std::make_shared<const decode::Lexicon>(decode::Lexicon::from_words({"ab", "cab", "c"}));
  const auto lm = std::make_shared<const decode::CharLm>(decode::CharLm::train("abc cab ab c ba cab abc", 3));
  struct Setting {
    int beam_width;
    bool lexicon, lm;
    decode::LexiconMode mode;
  };
  int differs_from_greedy = 0, differs_by_width = 0;
  std::vector<std::string> width_one;
  for (const Setting& s : {Setting{1, false, false, decode::LexiconMode::penalize},
                           Setting{3, false, false, decode::LexiconMode::penalize},
                           Setting{10, false, false, decode::LexiconMode::penalize},
                           Setting{10, true, false, decode::LexiconMode::penalize},
                           Setting{10, true, false, decode::LexiconMode::forbid},
                           Setting{10, false, true, decode::LexiconMode::penalize},
                           Setting{5, true, true, decode::LexiconMode::forbid}}) {
    CAPTURE(s.beam_width);
    CAPTURE(s.lexicon);
    CAPTURE(s.lm);
    CAPTURE(s.mode == decode::LexiconMode::forbid);
    RecognizerOptions o;
    o.decoder = Decoder::beam;
    o.beam_width = s.beam_width;
    if (s.lexicon) o.lexicon = lexicon;
    if (s.lm) o.lm = lm;
    o.lm_weight = 0.8;
    o.lexicon_mode = s.mode;
    const std::vector<LineResult> b = Recognizer(path, o).read_lines(lines);
    REQUIRE(b.size() == lines.size());
    decode::CtcBeamOptions bo;
    bo.beam_width = s.beam_width;
    bo.lexicon = s.lexicon ? lexicon.get() : nullptr;
    bo.lm = s.lm ? lm.get() : nullptr;
    bo.lm_weight = 0.8;
    bo.lexicon_mode = s.mode;
    for (std::size_t i = 0; i < log_probs.size(); ++i) {
      const std::vector<decode::CtcHypothesis> hs = decode::ctc_beam_search(log_probs[i].view(), labels, bo);
      const decode::CtcHypothesis h = hs.empty() ? decode::ctc_greedy_decode(log_probs[i].view(), labels) : hs[0];
      INFO("line ", i, ": '", b[i].text, "', decoded by hand '", h.text, "'");
      CHECK(b[i].text == h.text);
      if (h.words.empty()) CHECK(b[i].confidence == doctest::Approx(h.confidence).epsilon(1e-5));
      REQUIRE(b[i].words.size() == h.words.size());
      for (std::size_t w = 0; w < h.words.size(); ++w)
        CHECK(b[i].words[w].confidence == doctest::Approx(h.words[w].confidence).epsilon(1e-5));
      check_consistent(b[i], lines[i].width(), lines[i].height());
      differs_from_greedy += b[i].text != g[i].text;
      if (s.beam_width == 1 && !s.lexicon && !s.lm) width_one.push_back(b[i].text);
      if (s.beam_width == 10 && !s.lexicon && !s.lm) differs_by_width += b[i].text != width_one[i];
    }
    CHECK(b.back().text.empty());  // the blank line
  }
  // Otherwise the comparisons above could not tell the settings apart.
  CHECK(differs_from_greedy > 0);
  CHECK(differs_by_width > 0);
}

TEST_CASE("RecognizerOptions: a lexicon or language model needs the beam decoder; bad sizes are errors") {
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  save_tiny_model(path);
  RecognizerOptions o;
  o.lexicon = std::make_shared<const decode::Lexicon>(decode::Lexicon::from_words({"abc"}));
  CHECK_THROWS_WITH_AS(Recognizer(path, o), doctest::Contains("needs the beam decoder"), Error);
  o.decoder = Decoder::beam;
  CHECK_NOTHROW(Recognizer(path, o));
  o = {};
  o.lm = std::make_shared<const decode::CharLm>(decode::CharLm::train("abc cab", 2));
  CHECK_THROWS_WITH_AS(Recognizer(path, o), doctest::Contains("needs the beam decoder"), Error);
  o.decoder = Decoder::beam;
  CHECK_NOTHROW(Recognizer(path, o));
  o = {};
  o.batch = 0;
  CHECK_THROWS_AS(Recognizer(path, o), Error);
  o = {};
  o.decoder = Decoder::beam;
  o.beam_width = 0;
  CHECK_THROWS_AS(Recognizer(path, o), Error);
  o.beam_width = 1;
  CHECK_NOTHROW(Recognizer(path, o));
}

TEST_CASE("Recognizer::read_page: one result per detected line, boxes in page coordinates") {
  const data::Font* font = dejavu();
  if (!font) return;
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  save_tiny_model(path);
  const Recognizer ocr(path);
  image::Image page(200, 90, 1, 255);
  std::vector<PageLine> lines;
  const char* texts[] = {"abc cab ba", "cab", "bab cc a"};
  for (int i = 0; i < 3; ++i) lines.push_back(paste_line(page, *font, texts[i], 16, 6 + 20 * i, 10 + 24 * i));

  const PageResult result = ocr.read_page(page, "page.png");
  CHECK(result.source == "page.png");
  CHECK(result.width == 200);
  CHECK(result.height == 90);
  const PageLines split = split_page_lines(page);
  REQUIRE(split.lines.size() == lines.size());
  REQUIRE(result.lines.size() == lines.size());
  int words = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const LineResult& r = result.lines[i];
    INFO("line ", i, ": '", r.text, "' ", str(r.box), ", pasted at ", str(lines[i].rect), ", ink ", str(lines[i].ink));
    check_consistent(r, page.width(), page.height());
    CHECK(contains(r.box, lines[i].ink));
    CHECK(contains(grow(lines[i].rect, 1), r.box));
    for (const WordResult& w : r.words) {
      INFO("word ", str(w.box));
      if (w.box.width > 1) CHECK(contains(grow(lines[i].rect, 1), w.box));
    }
    words += static_cast<int>(r.words.size());
    // The same as reading the cut-out line, moved by where it was cut.
    Box cut;
    const image::Image img = cut_line(split.gray, split.lines[i], &cut);
    LineResult alone = ocr.read_lines({img})[0];
    auto move = [&](Box& b) { b.x += cut.x, b.y += cut.y; };
    move(alone.box);
    for (WordResult& w : alone.words) {
      move(w.box);
      for (CharResult& c : w.chars) move(c.box);
    }
    check_same(r, alone);
  }
  CHECK(words >= 3);

  // Light on dark reads the same; a blank page has no lines.
  const PageResult inverted = ocr.read_page(image::invert(page));
  REQUIRE(inverted.lines.size() == result.lines.size());
  for (std::size_t i = 0; i < result.lines.size(); ++i) {
    INFO("line ", i);
    check_same(inverted.lines[i], result.lines[i]);
  }
  CHECK(ocr.read_page(image::Image(100, 50, 1, 255)).lines.empty());
}

TEST_CASE("Recognizer: read_lines from two threads at once gives the same results") {
  const data::Font* font = dejavu();
  if (!font) return;
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  save_tiny_model(path);
  RecognizerOptions o;
  o.batch = 2;
  const Recognizer ocr(path, o);
  const std::vector<image::Image> lines = sample_lines(*font);
  const std::vector<LineResult> reference = ocr.read_lines(lines);
  std::vector<LineResult> a, b;
  std::thread ta([&] { a = ocr.read_lines(lines); });
  std::thread tb([&] { b = ocr.read_lines(lines); });
  ta.join();
  tb.join();
  REQUIRE(a.size() == reference.size());
  REQUIRE(b.size() == reference.size());
  for (std::size_t i = 0; i < reference.size(); ++i) {
    INFO("line ", i);
    check_same(a[i], reference[i]);
    check_same(b[i], reference[i]);
  }
}

TEST_CASE("Recognizer: empty images, missing and corrupt model files are nnocr::Error") {
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  save_tiny_model(path);
  const Recognizer ocr(path);
  CHECK(ocr.charset().size() == 5);
  CHECK(ocr.model().config().height == 16);
  const image::Image fine(40, 16, 1, 255);
  CHECK_THROWS_WITH_AS(ocr.read_lines({fine, image::Image()}), doctest::Contains("image 1 is empty"), Error);
  CHECK_THROWS_AS(ocr.read_page(image::Image(), "nothing.png"), Error);

  CHECK_THROWS_AS(Recognizer(dir.file("missing.safetensors")), Error);
  const std::vector<std::uint8_t> bytes = read_file(path);
  write_file_atomic(dir.file("text.safetensors"), std::string("this is not a model file"));
  CHECK_THROWS_AS(Recognizer(dir.file("text.safetensors")), Error);
  write_file_atomic(dir.file("cut.safetensors"), std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));
  CHECK_THROWS_AS(Recognizer(dir.file("cut.safetensors")), Error);
  // A safetensors file without the model's metadata.
  io::SafeTensorsWriter writer;
  const Tensor<float> t({2}, 1.0f);
  writer.add("x", t.view());
  writer.save(dir.file("plain.safetensors"));
  CHECK_THROWS_WITH_AS(Recognizer(dir.file("plain.safetensors")), doctest::Contains("nnocr.architecture"), Error);
}

}  // namespace nnocr_test_recognizer
