// render_samples — what the synthetic training data looks like.
//
//   render_samples [OUT_DIR] [CORPUS]     (defaults: data/samples, data/corpus/en.txt)
//
// Writes, for a person to look at:
//   fonts.png            one clean line in each of several installed fonts
//   augmented.png        a page of lines as the recognizer sees them in training:
//                        random text, font, size, then scan/photo degradations
//   line_N.png + .gt.txt a few single training lines in the ground-truth layout
//                        (the same files `nnocr synth` writes)
//
// Everything is deterministic: the same fonts and seed give the same files.
#include <nnocr/data/synth.hpp>
#include <nnocr/image/write.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

using namespace nnocr;

namespace {

// Stacks gray images top to bottom on a mid-gray sheet, `gap` pixels apart.
image::Image stack(const std::vector<image::Image>& lines, int gap, int max_width) {
  int width = 1, height = gap;
  for (const auto& l : lines) width = std::max(width, std::min(l.width(), max_width) + 2 * gap), height += l.height() + gap;
  image::Image sheet(width, height, 1, 160);
  int y = gap;
  for (const auto& l : lines) {
    for (int r = 0; r < l.height(); ++r)
      for (int x = 0; x < std::min(l.width(), max_width); ++x) sheet.at(gap + x, y + r) = l.at(x, r);
    y += l.height() + gap;
  }
  return sheet;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string out = argc > 1 ? argv[1] : "data/samples";
    const std::string corpus_path = argc > 2 ? argv[2] : data::find_default_corpus();
    std::filesystem::create_directories(out);

    const auto fonts = data::find_system_fonts();
    if (fonts.empty()) {
      std::fprintf(stderr, "render_samples: no usable fonts installed (try: apt-get install fonts-dejavu-core)\n");
      return 1;
    }
    std::vector<std::string> corpus;
    if (!corpus_path.empty()) corpus = data::load_corpus(corpus_path);

    // 1. Clean lines at 28 px in up to 10 families spread over the catalogue
    //    (one regular style each, where the family has one).
    std::vector<data::FontInfo> one_per_family;
    for (const auto& f : fonts) {
      auto same = std::find_if(one_per_family.begin(), one_per_family.end(),
                               [&](const data::FontInfo& g) { return g.family == f.family; });
      if (same == one_per_family.end()) one_per_family.push_back(f);
      else if ((same->bold || same->italic) && !f.bold && !f.italic) *same = f;
    }
    std::vector<image::Image> clean;
    const std::size_t shown = std::min<std::size_t>(10, one_per_family.size());
    for (std::size_t k = 0; k < shown; ++k) {
      const data::FontInfo& f = one_per_family[k * one_per_family.size() / shown];
      data::RenderOptions o;
      o.pixel_height = 28;
      o.missing = data::MissingGlyph::skip;
      const std::string text = f.family + ": Invoice No. 2024-117 \u2014 \u20AC1,299.50 (\u201Cpaid\u201D)";
      clean.push_back(data::render_line(data::Font::load(f.path), text, o).image);
    }
    image::write_image(stack(clean, 6, 900), out + "/fonts.png");

    // 2. Augmented training lines from the synthesizer (training fonts).
    data::SynthConfig cfg;
    cfg.fonts = data::font_paths(data::split_fonts(fonts).train);
    if (cfg.fonts.empty()) cfg.fonts = data::font_paths(fonts);
    cfg.seed = 2024;
    const data::LineSynthesizer synth(cfg, corpus);
    std::vector<image::Image> lines;
    for (std::uint64_t i = 0; i < 16; ++i) lines.push_back(synth.make(i).image);
    image::write_image(stack(lines, 4, 700), out + "/augmented.png");

    // 3. A few single lines with their ground truth.
    for (std::uint64_t i = 0; i < 4; ++i) {
      const data::SynthSample s = synth.make(100 + i);
      const std::string base = out + "/line_" + std::to_string(i);
      image::write_image(s.image, base + ".png");
      const std::string text = s.text + "\n";
      image::write_file_atomic(base + ".gt.txt", std::vector<std::uint8_t>(text.begin(), text.end()));
      std::printf("%s.png: %s\n", base.c_str(), s.text.c_str());
    }
    std::printf("wrote %s/fonts.png (%zu fonts), %s/augmented.png (16 lines) and 4 ground-truth lines\n", out.c_str(),
                clean.size(), out.c_str());
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "render_samples: %s\n", e.what());
    return 1;
  }
}
