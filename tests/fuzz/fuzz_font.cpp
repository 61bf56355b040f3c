// fuzz_font.cpp — libFuzzer target: TrueType/OpenType fonts for the
// synthetic line renderer (data/font.hpp, data/detail/sfnt.hpp: the
// bounds-checked gate in front of stb_truetype). An accepted font is asked
// for its names, metrics, glyphs, boxes and kerning, and renders a short
// line of the characters it maps (and some it may not).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nnocr/data/font.hpp>
#include <nnocr/data/render.hpp>

#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnocr;
  if (size > (std::size_t{1} << 20)) return 0;
  const int index = size > 0 ? data[size - 1] % 2 : 0;  // collections: font 0 or 1
  data::Font font;
  if (!fuzz::accepts([&] { font = data::Font::from_bytes({data, data + size}, "fuzz", index); })) return 0;
  (void)font.full_name();
  const std::vector<char32_t> mapped = font.code_points();
  std::u32string line = U"Ag ";
  for (std::size_t i = 0; i < mapped.size() && i < 12; ++i) line += mapped[i * (mapped.size() / 12 + 1) % mapped.size()];
  for (char32_t cp : line) {
    const int g = font.glyph_index(cp);
    fuzz::require(g >= 0 && g < font.num_glyphs());
    (void)font.advance(g);
    (void)font.glyph_box(g);
    (void)font.kerning(g, font.glyph_index(U'A'));
  }
  for (int g : {-1, 0, 1, font.num_glyphs() - 1, font.num_glyphs(), 65535}) {
    (void)font.advance(g);
    (void)font.glyph_box(g);
    (void)font.kerning(g, 0);
  }
  std::string text;
  for (char32_t cp : line) data::append_utf8(text, cp);
  data::RenderOptions options;
  options.pixel_height = 20;
  options.missing = data::MissingGlyph::notdef;
  fuzz::accepts([&] {
    const data::RenderedLine r = data::render_line(font, text, options);
    fuzz::require(!r.image.empty() && r.boxes.size() == line.size());
  });
  return 0;
}
