// synth.hpp — the synthetic text-line factory the recognizer trains on.
//
//   SynthConfig cfg;
//   cfg.fonts = font_paths(split_fonts(find_system_fonts()).train);
//   LineSynthesizer synth(cfg, load_corpus(find_default_corpus()));
//   SynthSample s = synth.make(17);      // the same image and text for index 17, on any thread
//
// One sample: text from the TextSource; a font (a family drawn uniformly,
// then one of its styles) that has every character — otherwise another
// font, and if none of a few does, the characters it lacks are dropped; a
// size, gray levels, spacing and width drawn at random; render_line; with
// some probability fragments of the neighbouring lines peeking in at the top
// and bottom edges, as in lines cut from a page; augment(); and a resize to
// the target height (32 px by default) keeping the aspect ratio.
//
// Determinism: sample i depends only on (seed, i) — its Rng is seeded from a
// hash of both — so a run can be regenerated, resumed or spread over any
// number of threads. make() is const and thread-safe.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "../image/augment.hpp"
#include "../image/image.hpp"
#include "../image/resize.hpp"
#include "font.hpp"
#include "line_sample.hpp"
#include "render.hpp"
#include "text_source.hpp"

namespace nnocr::data {

struct SynthConfig {
  std::vector<std::string> fonts;        // font files to draw with (at least one must load)
  TextMix text;                          // kinds of text and their weights
  int max_chars = 48;                    // longest line, in code points
  float min_text_height = 16.0f;         // rendered ascender-to-descender height, pixels
  float max_text_height = 36.0f;
  int target_height = 32;                // output height (aspect kept); 0 keeps the rendered size
  image::AugmentConfig augment;          // degradations
  double clean_fraction = 0.08;          // samples left without any augmentation
  double neighbour_lines = 0.15;         // probability of fragments of the lines above/below
  double underline = 0.03;               // probability of an underlined line
  double spacing_variation = 0.2;        // probability of non-default letter/word spacing
  double width_variation = 0.2;          // probability of condensed/expanded glyphs
  double gray_variation = 0.5;           // probability of ink/paper levels other than 0/255
  std::uint64_t seed = 1;
};

struct SynthSample {
  image::Image image;  // gray [H, W, 1]
  std::string text;    // UTF-8, what the image says
  std::string font;    // path of the font it was drawn with
  std::uint64_t index = 0;

  LineSample line_sample() const { return {image, text}; }
};

// The paths of a font list (for SynthConfig::fonts).
inline std::vector<std::string> font_paths(const std::vector<FontInfo>& fonts) {
  std::vector<std::string> out;
  for (const auto& f : fonts) out.push_back(f.path);
  return out;
}

namespace detail {
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
}  // namespace detail

// The generator of sample i for a given seed.
inline Rng sample_rng(std::uint64_t seed, std::uint64_t index) {
  return Rng(detail::splitmix64(seed ^ detail::splitmix64(index)), index);
}

class LineSynthesizer {
 public:
  // Loads every font of config.fonts (files that fail to load are skipped
  // and listed in skipped_fonts()); throws when none loads.
  LineSynthesizer(SynthConfig config, std::vector<std::string> corpus)
      : config_(std::move(config)), text_(std::move(corpus), config_.text, config_.max_chars) {
    NNOCR_CHECK(config_.min_text_height >= 4 && config_.max_text_height >= config_.min_text_height &&
                    config_.max_text_height <= 400,
                "SynthConfig: text heights must satisfy 4 <= min <= max <= 400");
    NNOCR_CHECK(config_.target_height >= 0 && config_.target_height <= 1000, "SynthConfig: target_height ",
                config_.target_height, " outside [0, 1000]");
    std::map<std::string, std::vector<std::size_t>> by_family;
    const std::vector<char32_t> characters = decode_utf8(TextSource::printable_characters(), "characters");
    for (const std::string& path : config_.fonts) {
      try {
        fonts_.push_back(Font::load(path));
        fonts_.back().cache_shapes({characters.data(), characters.size()});
        by_family[fonts_.back().family()].push_back(fonts_.size() - 1);
      } catch (const Error& e) {
        skipped_.push_back(e.what());
      }
    }
    NNOCR_CHECK(!fonts_.empty(), "LineSynthesizer: no usable font among the ", config_.fonts.size(), " given",
                skipped_.empty() ? std::string() : " (first problem: " + skipped_.front() + ")");
    for (auto& [family, members] : by_family) families_.push_back(members);
  }

  const SynthConfig& config() const { return config_; }
  const std::vector<Font>& fonts() const { return fonts_; }
  const std::vector<std::string>& skipped_fonts() const { return skipped_; }
  const TextSource& text_source() const { return text_; }

  SynthSample make(std::uint64_t index) const {
    Rng rng = sample_rng(config_.seed, index);
    SynthSample out;
    out.index = index;
    std::string text = text_.next(rng);
    const Font* font = &pick_font(rng);
    for (int attempt = 0; attempt < 6 && !font->has_glyphs(text); ++attempt) font = &pick_font(rng);
    if (!font->has_glyphs(text)) text = drop_missing(*font, text);
    if (text.empty()) text = "x";  // every font passed the a-z check

    RenderOptions o;
    o.pixel_height = rng.uniform(config_.min_text_height, config_.max_text_height);
    const float h = o.pixel_height;
    if (rng.bernoulli(config_.gray_variation)) {
      o.ink = static_cast<std::uint8_t>(rng.uniform_int(0, 90));
      o.background = static_cast<std::uint8_t>(rng.uniform_int(std::max(170, o.ink + 90), 255));
    }
    if (rng.bernoulli(config_.spacing_variation)) {
      o.letter_spacing = rng.uniform(-0.03f, 0.12f) * h;
      o.word_spacing = rng.uniform(-0.05f, 0.4f) * h;
    }
    if (rng.bernoulli(config_.width_variation)) o.horizontal_scale = rng.uniform(0.8f, 1.2f);
    o.underline = rng.bernoulli(config_.underline);
    o.padding_x = static_cast<int>(rng.uniform(0.05f, 0.7f) * h);
    o.padding_y = static_cast<int>(rng.uniform(0.0f, 0.3f) * h);
    o.kerning = !rng.bernoulli(0.05);
    RenderedLine line = render_line(*font, text, o);
    if (rng.bernoulli(config_.neighbour_lines)) add_neighbours(line, *font, o, rng);

    image::Image img = std::move(line.image);
    if (!rng.bernoulli(config_.clean_fraction)) img = image::augment(img, rng, config_.augment);
    if (config_.target_height > 0 && img.height() != config_.target_height) {
      const int w = std::max(1, static_cast<int>(std::lround(static_cast<double>(img.width()) * config_.target_height /
                                                             img.height())));
      // Area averaging where bilinear would alias (shrinking by more than 1.5).
      img = img.height() > config_.target_height * 3 / 2 ? image::resize_area(img, w, config_.target_height)
                                                         : image::resize_bilinear(img, w, config_.target_height);
    }
    out.image = std::move(img);
    out.text = std::move(text);
    out.font = font->path();
    return out;
  }

 private:
  const Font& pick_font(Rng& rng) const {
    const auto& family = families_[rng.uniform_index(families_.size())];
    return fonts_[family[rng.uniform_index(family.size())]];
  }

  // The text without the characters the font lacks, spaces tidied.
  static std::string drop_missing(const Font& font, const std::string& text) {
    std::string out;
    for_each_code_point(text, "text", [&](char32_t cp, std::size_t) {
      if (Font::is_space(cp) ? !out.empty() && out.back() != ' ' : font.has_glyph(cp)) append_utf8(out, cp);
    });
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  // Parts of the lines above and below (same font and size, a random line
  // gap) drawn into the top and bottom margins, darkest wins.
  void add_neighbours(RenderedLine& line, const Font& font, RenderOptions o, Rng& rng) const {
    o.underline = false;
    o.missing = MissingGlyph::skip;
    image::Image& img = line.image;
    const int frame = line.frame_bottom - line.frame_top;
    for (int side = 0; side < 2; ++side) {
      if (!rng.bernoulli(0.6)) continue;
      const RenderedLine other = render_line(font, text_.next(rng), o);
      const int gap = static_cast<int>(rng.uniform(0.0f, 0.45f) * static_cast<float>(frame));
      // Row offset taking other's rows to ours.
      const int dy = side == 0 ? line.frame_top - gap - other.frame_bottom : line.frame_bottom + gap - other.frame_top;
      const int dx = static_cast<int>(rng.uniform_int(-frame, frame));
      for (int y = 0; y < other.image.height(); ++y) {
        const int ty = y + dy;
        if (ty < 0 || ty >= img.height()) continue;
        for (int x = 0; x < other.image.width(); ++x) {
          const int tx = x + dx;
          if (tx < 0 || tx >= img.width()) continue;
          std::uint8_t& p = img.at(tx, ty);
          p = std::min(p, other.image.at(x, y));
        }
      }
    }
  }

  SynthConfig config_;
  TextSource text_;
  std::vector<Font> fonts_;
  std::vector<std::vector<std::size_t>> families_;  // indices into fonts_, one list per family
  std::vector<std::string> skipped_;
};

// Sample `index` of a synthesizer (the same as synth.make(index)).
inline SynthSample make_synthetic_line(const LineSynthesizer& synth, std::uint64_t index) { return synth.make(index); }

}  // namespace nnocr::data
