// render.hpp — draws one line of text in a font: the synthetic renderer.
//
//   Font font = Font::load(".../DejaVuSans.ttf");
//   RenderOptions o;  o.pixel_height = 32;
//   RenderedLine r = render_line(font, "Invoice No. 2024-117", o);
//   r.image   // gray [H, W, 1]: dark text (o.ink) on light paper (o.background)
//   r.boxes   // per code point: its advance cell x0..x1 and its ink box
//
// Layout is what a typesetter does for a single line of Latin text: each
// glyph advances the pen by its advance width, pairs are kerned (GPOS pair
// adjustment or 'kern', see detail/sfnt.hpp), and the pen position is kept
// in floating point so every glyph is rasterized at its exact subpixel x
// offset (stbtt_MakeGlyphBitmapSubpixel). Glyph coverages are composited
// with "screen" (a + b - ab), so overlapping glyphs never exceed full ink,
// then mapped linearly between the background and ink gray levels.
//
// Size: pixel_height is the distance from the top of the ascenders (b d h k
// l) to the bottom of the descenders (g p q y), measured from the font's own
// outlines, so the same pixel_height gives visually comparable text in every
// font. The canvas covers that frame and any ink beyond it (accents on
// capitals, brackets), plus padding.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../image/image.hpp"
#include "font.hpp"
#include "utf8.hpp"

namespace nnocr::data {

// What render_line does with a character the font has no glyph for.
enum class MissingGlyph {
  error,   // throw nnocr::Error naming the character, its byte offset and the font
  notdef,  // draw the font's .notdef glyph (usually a box) and list it in `missing`
  skip,    // draw nothing, advance nothing, list it in `missing`
};

struct RenderOptions {
  float pixel_height = 32.0f;    // ascender top to descender bottom, in pixels
  std::uint8_t ink = 0;          // gray level of full coverage
  std::uint8_t background = 255; // gray level of the paper
  float letter_spacing = 0.0f;   // extra pixels after every character (tracking; may be negative)
  float word_spacing = 0.0f;     // extra pixels after every space
  float horizontal_scale = 1.0f; // glyph width / natural width (condensed < 1 < expanded)
  int padding_x = 4, padding_y = 4;  // paper around the text on each side, pixels
  bool kerning = true;
  bool underline = false;        // a rule under the whole line
  MissingGlyph missing = MissingGlyph::error;
};

// One code point of the rendered text.
struct CharBox {
  char32_t code_point = 0;
  std::size_t byte_offset = 0;   // in the UTF-8 text
  float x0 = 0, x1 = 0;          // its advance cell in image columns (x1 - x0 = advance + spacing)
  bool has_ink = false;          // false for spaces and skipped characters
  int ink_x0 = 0, ink_y0 = 0, ink_x1 = 0, ink_y1 = 0;  // pixel box of its glyph, [x0, x1) x [y0, y1)
};

struct RenderedLine {
  image::Image image;            // gray [H, W, 1]
  std::vector<CharBox> boxes;    // one per code point, in text order
  std::vector<char32_t> missing; // characters the font lacked (MissingGlyph::notdef / skip)
  int baseline = 0;              // image row of the baseline
  int frame_top = 0, frame_bottom = 0;  // rows of the ascender top and descender bottom
};

// Renders UTF-8 `text` (one line) in `font`. Errors: invalid UTF-8 (naming
// the byte offset), a missing glyph under MissingGlyph::error, and options
// out of range (pixel_height in [1, 1000], horizontal_scale in [0.2, 5]).
// An empty text gives a blank canvas of the frame's height.
inline RenderedLine render_line(const Font& font, std::string_view text, const RenderOptions& options = {}) {
  namespace st = detail::stbtt;
  NNOCR_CHECK(font.loaded(), "render_line: no font loaded");
  NNOCR_CHECK(options.pixel_height >= 1 && options.pixel_height <= 1000, "render_line: pixel_height ",
              options.pixel_height, " outside [1, 1000]");
  NNOCR_CHECK(options.horizontal_scale >= 0.2f && options.horizontal_scale <= 5.0f,
              "render_line: horizontal_scale ", options.horizontal_scale, " outside [0.2, 5]");
  NNOCR_CHECK(std::isfinite(options.letter_spacing) && std::isfinite(options.word_spacing) &&
                  std::abs(options.letter_spacing) <= 4 * options.pixel_height &&
                  std::abs(options.word_spacing) <= 4 * options.pixel_height,
              "render_line: letter or word spacing out of range");
  NNOCR_CHECK(options.padding_x >= 0 && options.padding_y >= 0 && options.padding_x <= 10000 &&
                  options.padding_y <= 10000,
              "render_line: padding must be in [0, 10000]");
  const FontMetrics& m = font.metrics();
  const float sy = options.pixel_height / static_cast<float>(m.ascender - m.descender);
  const float sx = sy * options.horizontal_scale;
  const float em = sy * static_cast<float>(m.units_per_em);
  const int limit = static_cast<int>(std::ceil(4 * em)) + 16;  // no glyph reaches further from its origin

  // Each glyph's outline is read once (for CFF fonts that runs its
  // charstring program) and used both for the box and the rasterizer.
  struct FreeShape {
    void operator()(st::stbtt_vertex* v) const { std::free(v); }
  };
  struct Placed {
    int glyph = -1;  // -1: nothing to draw
    float pen = 0;
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // bitmap box relative to (floor(pen), baseline)
    std::unique_ptr<st::stbtt_vertex, FreeShape> shape;  // owned outline (when not cached)
    st::stbtt_vertex* outline = nullptr;
    int vertices = 0;
  };
  RenderedLine out;
  std::vector<Placed> placed;
  float pen = 0;
  int previous = 0;
  int ink_x0 = 0, ink_x1 = 0, ink_y0 = 0, ink_y1 = 0;
  bool any_ink = false;
  for_each_code_point(text, "render_line text", [&](char32_t cp, std::size_t offset) {
    NNOCR_CHECK(cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0) && cp != 0x2028 && cp != 0x2029,
                "render_line: control character ", code_point_name(cp), " at byte offset ", offset,
                " (a line holds no tabs or line breaks)");
    CharBox box;
    box.code_point = cp;
    box.byte_offset = offset;
    Placed p;
    int glyph = font.glyph_index(cp);
    const bool space = Font::is_space(cp);
    bool skip = false;
    if (glyph == 0 && !space) {
      NNOCR_CHECK(options.missing != MissingGlyph::error, "render_line: font ", font.full_name(), " (", font.path(),
                  ") has no glyph for ", code_point_name(cp), " '", encode_utf8(cp), "' at byte offset ", offset);
      if (std::find(out.missing.begin(), out.missing.end(), cp) == out.missing.end()) out.missing.push_back(cp);
      skip = options.missing == MissingGlyph::skip;
    }
    if (skip) {
      box.x0 = box.x1 = pen;
      out.boxes.push_back(box);
      placed.push_back(std::move(p));
      return;
    }
    if (options.kerning && previous > 0 && glyph > 0) pen += static_cast<float>(font.kerning(previous, glyph)) * sx;
    const float advance = glyph > 0 || !space ? static_cast<float>(font.advance(glyph)) * sx
                                              : 0.25f * static_cast<float>(m.units_per_em) * sx;
    box.x0 = pen;
    p.pen = pen;
    st::stbtt_vertex* vertices = nullptr;
    int count = 0;
    if (!space && (glyph != 0 || font.glyph_usable(0))) {
      if (const auto* cached = font.cached_shape(glyph)) {
        vertices = const_cast<st::stbtt_vertex*>(cached->data());  // stb only reads it
        count = static_cast<int>(cached->size());
      } else {
        count = st::stbtt_GetGlyphShape(&font.stb_info(), glyph, &vertices);
        p.shape.reset(vertices);
      }
    }
    p.outline = vertices;
    p.vertices = count;
    if (count > 0) {
      // Outline bounds (control points included), as a pixel box.
      int minx = vertices[0].x, maxx = minx, miny = vertices[0].y, maxy = miny;
      auto extend = [&](int x, int y) {
        minx = std::min(minx, x), maxx = std::max(maxx, x), miny = std::min(miny, y), maxy = std::max(maxy, y);
      };
      for (int v = 0; v < count; ++v) {
        const st::stbtt_vertex& q = vertices[v];
        extend(q.x, q.y);
        if (q.type == st::STBTT_vcurve || q.type == st::STBTT_vcubic) extend(q.cx, q.cy);
        if (q.type == st::STBTT_vcubic) extend(q.cx1, q.cy1);
      }
      const float origin = std::floor(pen), shift = pen - origin;
      p.x0 = static_cast<int>(std::floor(static_cast<float>(minx) * sx + shift));
      p.x1 = static_cast<int>(std::ceil(static_cast<float>(maxx) * sx + shift));
      p.y0 = static_cast<int>(std::floor(-static_cast<float>(maxy) * sy));
      p.y1 = static_cast<int>(std::ceil(-static_cast<float>(miny) * sy));
      p.x0 = std::clamp(p.x0, -limit, limit), p.x1 = std::clamp(p.x1, -limit, limit);
      p.y0 = std::clamp(p.y0, -limit, limit), p.y1 = std::clamp(p.y1, -limit, limit);
      if (p.x1 > p.x0 && p.y1 > p.y0) {
        p.glyph = glyph;
        const int ox = static_cast<int>(origin);
        if (!any_ink) ink_x0 = ox + p.x0, ink_x1 = ox + p.x1, ink_y0 = p.y0, ink_y1 = p.y1;
        ink_x0 = std::min(ink_x0, ox + p.x0), ink_x1 = std::max(ink_x1, ox + p.x1);
        ink_y0 = std::min(ink_y0, p.y0), ink_y1 = std::max(ink_y1, p.y1);
        any_ink = true;
      }
    }
    pen += advance + options.letter_spacing + (space ? options.word_spacing : 0.0f);
    box.x1 = pen;
    out.boxes.push_back(box);
    placed.push_back(std::move(p));
    previous = glyph;
    NNOCR_CHECK(std::abs(pen) < 1e6f, "render_line: the line is too long (", text.size(), " bytes)");
  });

  // Canvas: the frame [ascender, descender] and the ink, plus padding.
  const int frame_top = -static_cast<int>(std::lround(static_cast<float>(m.ascender) * sy));
  const int frame_bottom = static_cast<int>(std::lround(-static_cast<float>(m.descender) * sy));
  const int underline_y = static_cast<int>(std::lround(0.09f * em)) + 1;
  const int underline_h = std::max(1, static_cast<int>(std::lround(0.05f * em)));
  int top = frame_top, bottom = frame_bottom, left = 0, right = static_cast<int>(std::ceil(std::max(pen, 0.0f)));
  if (any_ink) {
    top = std::min(top, ink_y0), bottom = std::max(bottom, ink_y1);
    left = std::min(left, ink_x0), right = std::max(right, ink_x1);
  }
  if (options.underline) bottom = std::max(bottom, underline_y + underline_h);
  top -= options.padding_y, bottom += options.padding_y;
  left -= options.padding_x, right += options.padding_x;
  const int width = std::max(1, right - left), height = std::max(1, bottom - top);
  out.image = image::Image(width, height, 1, options.background);
  out.baseline = -top;
  out.frame_top = frame_top - top;
  out.frame_bottom = frame_bottom - top;

  std::vector<std::uint8_t> coverage(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 0);
  std::vector<std::uint8_t> scratch;
  for (std::size_t i = 0; i < placed.size(); ++i) {
    CharBox& box = out.boxes[i];
    box.x0 -= static_cast<float>(left);
    box.x1 -= static_cast<float>(left);
    const Placed& p = placed[i];
    if (p.glyph < 0) continue;
    const float origin = std::floor(p.pen);
    const int gw = p.x1 - p.x0, gh = p.y1 - p.y0;
    scratch.assign(static_cast<std::size_t>(gw) * static_cast<std::size_t>(gh), 0);
    st::stbtt__bitmap bitmap{gw, gh, gw, scratch.data()};
    st::stbtt_Rasterize(&bitmap, 0.35f, p.outline, p.vertices, sx, sy, p.pen - origin, 0.0f, p.x0, p.y0, 1, nullptr);
    const int ox = static_cast<int>(origin) + p.x0 - left, oy = p.y0 - top;
    box.has_ink = true;
    box.ink_x0 = ox, box.ink_y0 = oy, box.ink_x1 = ox + gw, box.ink_y1 = oy + gh;
    for (int y = 0; y < gh; ++y) {
      std::uint8_t* dst = coverage.data() + static_cast<std::size_t>(oy + y) * static_cast<std::size_t>(width) +
                          static_cast<std::size_t>(ox);
      const std::uint8_t* src = scratch.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(gw);
      for (int x = 0; x < gw; ++x) {
        const unsigned a = dst[x], b = src[x];
        dst[x] = static_cast<std::uint8_t>(a + b - (a * b + 127) / 255);
      }
    }
  }
  if (options.underline && any_ink) {
    const int y0 = out.baseline + underline_y;
    for (int y = y0; y < y0 + underline_h && y < height; ++y)
      std::fill(coverage.begin() + static_cast<std::ptrdiff_t>(y) * width + (ink_x0 - left),
                coverage.begin() + static_cast<std::ptrdiff_t>(y) * width + (ink_x1 - left), std::uint8_t{255});
  }
  // Coverage to gray: background + (ink - background) * coverage.
  std::uint8_t lut[256];
  for (int c = 0; c < 256; ++c)
    lut[c] = static_cast<std::uint8_t>(
        std::lround(options.background + (static_cast<int>(options.ink) - options.background) * (c / 255.0)));
  std::uint8_t* pixels = out.image.data();
  for (std::size_t i = 0; i < coverage.size(); ++i) pixels[i] = lut[coverage[i]];
  return out;
}

}  // namespace nnocr::data
