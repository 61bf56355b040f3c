// font.hpp — TrueType/OpenType fonts for the synthetic text renderer, and a
// catalogue of the fonts installed on the system.
//
//   Font f = Font::load("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
//   int g = f.glyph_index(U'A');              // 0 when the font lacks it
//   f.advance(g), f.kerning(g, f.glyph_index(U'V'))   // font units
//
//   auto fonts = find_system_fonts();          // every font that draws Latin text
//   FontSplit s = split_fonts(fonts);          // whole design families held out
//
// Font files are untrusted input. Loading goes through detail/sfnt.hpp, which
// checks with bounded reads everything stb_truetype would read blindly; a bad
// file throws nnocr::Error naming the file. A loaded Font is immutable, cheap
// to copy (the bytes are shared) and safe to use from many threads at once.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "detail/sfnt.hpp"
#include "detail/stb_truetype.hpp"
#include "utf8.hpp"

namespace nnocr::data {

// Vertical metrics in font units (y up, baseline 0).
struct FontMetrics {
  int units_per_em = 1000;
  int ascent = 0, descent = 0, line_gap = 0;  // hhea (descent is negative)
  // Measured from the outlines, so they mean the same thing in every font:
  // top of the tallest of b d f h k l (ascender), bottom of the lowest of
  // g j p q y (descender, negative), top of x (x-height) and of H (capitals).
  // Fonts without those letters fall back to hhea values.
  int ascender = 0, descender = 0, x_height = 0, cap_height = 0;
};

// A glyph's outline bounding box in font units (y up); empty for blanks.
struct GlyphBox {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty = true;
};

class Font {
 public:
  // Largest font file accepted.
  static constexpr std::int64_t kMaxFileBytes = std::int64_t{256} << 20;

  Font() = default;

  // Loads font `index` of a .ttf/.otf (or .ttc) file.
  static Font load(const std::string& path, int index = 0) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    NNOCR_CHECK(in.good(), path, ": cannot open font file");
    const std::streamoff size = in.tellg();
    NNOCR_CHECK(size >= 0 && size <= kMaxFileBytes, path, ": font file of ", size, " bytes (limit ", kMaxFileBytes,
                ")");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    in.seekg(0);
    NNOCR_CHECK(bytes.empty() || in.read(reinterpret_cast<char*>(bytes.data()), size), path, ": read failed");
    return from_bytes(std::move(bytes), path, index);
  }

  // Loads font `index` from bytes; `name` names the source in errors.
  static Font from_bytes(std::vector<std::uint8_t> bytes, const std::string& name, int index = 0) {
    Font f;
    f.bytes_ = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
    f.path_ = name;
    f.init(index);
    return f;
  }

  bool loaded() const { return bytes_ != nullptr; }
  const std::string& path() const { return path_; }
  // From the name table (typographic family/subfamily preferred), else
  // from the file name.
  const std::string& family() const { return family_; }
  const std::string& style() const { return style_; }
  // "Family Style" (just the family for Regular/Book/Roman).
  std::string full_name() const {
    const std::string s = style_;
    return s.empty() || s == "Regular" || s == "Book" || s == "Roman" || s == "Normal" ? family_ : family_ + " " + s;
  }
  const FontMetrics& metrics() const { return metrics_; }
  int num_glyphs() const { return info_.numGlyphs; }
  bool is_cff() const { return info_.cff.size > 0; }

  // The glyph of a code point, 0 when the font lacks it or its outline
  // failed validation.
  int glyph_index(char32_t cp) const {
    int g = 0;
    if (cp < latin_.size()) {
      g = latin_[cp];
    } else {
      auto it = std::lower_bound(cmap_.begin(), cmap_.end(), cp,
                                 [](const detail::CmapEntry& e, char32_t c) { return e.code_point < c; });
      if (it != cmap_.end() && it->code_point == cp) g = it->glyph;
    }
    return g > 0 && glyph_usable(g) ? g : 0;
  }
  bool has_glyph(char32_t cp) const { return glyph_index(cp) != 0; }
  // Every code point of the UTF-8 text has a glyph (spaces count as present).
  bool has_glyphs(std::string_view utf8) const {
    bool all = true;
    for_each_code_point(utf8, "text", [&](char32_t cp, std::size_t) { all = all && (is_space(cp) || has_glyph(cp)); });
    return all;
  }
  // The code points of `text` (in order of first appearance) the font lacks.
  std::vector<char32_t> missing_glyphs(std::string_view utf8) const {
    std::vector<char32_t> out;
    for_each_code_point(utf8, "text", [&](char32_t cp, std::size_t) {
      if (!is_space(cp) && !has_glyph(cp) && std::find(out.begin(), out.end(), cp) == out.end()) out.push_back(cp);
    });
    return out;
  }
  // Code points mapped by the font (usable glyphs only), sorted.
  std::vector<char32_t> code_points() const {
    std::vector<char32_t> out;
    for (const auto& e : cmap_)
      if (glyph_usable(e.glyph)) out.push_back(e.code_point);
    return out;
  }

  // Horizontal metrics of a glyph in font units.
  int advance(int glyph) const {
    int adv = 0, lsb = 0;
    if (glyph >= 0 && glyph < info_.numGlyphs) detail::stbtt::stbtt_GetGlyphHMetrics(&info_, glyph, &adv, &lsb);
    return adv;
  }
  // Kerning between two glyphs in font units (usually negative, e.g. "AV").
  int kerning(int left, int right) const { return kerning_.pair(left, right); }
  bool has_kerning() const { return !kerning_.empty(); }

  GlyphBox glyph_box(int glyph) const {
    GlyphBox b;
    if (glyph < 0 || glyph >= info_.numGlyphs || !glyph_usable(glyph) ||
        detail::stbtt::stbtt_IsGlyphEmpty(&info_, glyph))
      return b;
    if (detail::stbtt::stbtt_GetGlyphBox(&info_, glyph, &b.x0, &b.y0, &b.x1, &b.y1)) b.empty = b.x1 <= b.x0 || b.y1 <= b.y0;
    return b;
  }

  // Pixels per font unit for an em of `pixels`.
  float scale_for_em(float pixels) const { return pixels / static_cast<float>(metrics_.units_per_em); }

  // The stb_truetype view of the font, for rasterizing validated glyphs.
  const detail::stbtt::stbtt_fontinfo& stb_info() const { return info_; }

  static bool is_space(char32_t cp) { return cp == U' ' || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F; }

  // Decodes and keeps the outlines of the glyphs of `code_points`, so that
  // rendering them skips outline decoding (worth it for CFF fonts, whose
  // outlines are small programs to run). Call before sharing the font
  // between threads; copies share the cache.
  void cache_shapes(std::u32string_view code_points) {
    auto cache = std::make_shared<std::unordered_map<int, std::vector<detail::stbtt::stbtt_vertex>>>();
    if (shapes_) *cache = *shapes_;
    for (char32_t cp : code_points) {
      const int g = glyph_index(cp);
      if (g == 0 || cache->count(g)) continue;
      detail::stbtt::stbtt_vertex* v = nullptr;
      const int n = detail::stbtt::stbtt_GetGlyphShape(&info_, g, &v);
      (*cache)[g] = n > 0 ? std::vector<detail::stbtt::stbtt_vertex>(v, v + n) : std::vector<detail::stbtt::stbtt_vertex>();
      std::free(v);
    }
    shapes_ = std::move(cache);
  }
  // The cached outline of a glyph, or nullptr when it is not cached.
  const std::vector<detail::stbtt::stbtt_vertex>* cached_shape(int glyph) const {
    if (!shapes_) return nullptr;
    auto it = shapes_->find(glyph);
    return it == shapes_->end() ? nullptr : &it->second;
  }

  // Whether stb may read this glyph's outline (it passed validation).
  bool glyph_usable(int g) const {
    return g >= 0 && g < info_.numGlyphs && (glyph_ok_.empty() || glyph_ok_[static_cast<std::size_t>(g)]);
  }

 private:

  void init(int index) {
    namespace st = detail::stbtt;
    const detail::Span file{bytes_->data(), bytes_->size()};
    const std::uint32_t offset = detail::sfnt_font_offset(file, index, path_);
    const detail::SfntTables t = detail::read_table_directory(file, offset, path_);
    auto table = [&](const detail::TableRecord& r) { return file.sub(r.offset, r.length); };
    NNOCR_CHECK(t.cmap.present() && t.head.present() && t.hhea.present() && t.hmtx.present() && t.maxp.present(),
                path_, ": a required table (cmap, head, hhea, hmtx, maxp) is missing");
    const detail::Span head = table(t.head), hhea = table(t.hhea), maxp = table(t.maxp), hmtx = table(t.hmtx);
    NNOCR_CHECK(head.n >= 54 && hhea.n >= 36 && maxp.n >= 6, path_, ": head, hhea or maxp table too short");
    const int num_glyphs = maxp.u16(4);
    NNOCR_CHECK(num_glyphs >= 1, path_, ": the font has no glyphs");
    const int units = head.u16(18);
    NNOCR_CHECK(units >= 16 && units <= 16384, path_, ": units per em ", units, " outside [16, 16384]");
    const std::size_t long_metrics = hhea.u16(34);
    NNOCR_CHECK(long_metrics >= 1 &&
                    hmtx.has(0, 4 * long_metrics + 2 * static_cast<std::size_t>(std::max<std::ptrdiff_t>(
                                                           0, num_glyphs - static_cast<std::ptrdiff_t>(long_metrics)))),
                path_, ": hmtx table too short for ", num_glyphs, " glyphs");

    unsigned char* data = const_cast<unsigned char*>(bytes_->data());  // stb never writes through it
    info_ = st::stbtt_fontinfo{};
    info_.userdata = nullptr;
    info_.data = data;
    info_.fontstart = static_cast<int>(offset);
    info_.numGlyphs = num_glyphs;
    info_.head = static_cast<int>(t.head.offset);
    info_.hhea = static_cast<int>(t.hhea.offset);
    info_.hmtx = static_cast<int>(t.hmtx.offset);
    info_.kern = 0;  // kerning is read by detail::KerningReader, never by stb
    info_.gpos = 0;
    info_.svg = 0;  // "no SVG table": stb will not go looking for one
    info_.cff = st::stbtt__new_buf(nullptr, 0);
    info_.charstrings = info_.gsubrs = info_.subrs = info_.fontdicts = info_.fdselect = info_.cff;
    NNOCR_CHECK(file.n <= 0x7FFFFFFF, path_, ": font file too large");

    if (t.glyf.present()) {
      NNOCR_CHECK(t.loca.present(), path_, ": glyf table without loca");
      const int loca_format = head.s16(50);
      NNOCR_CHECK(loca_format == 0 || loca_format == 1, path_, ": unknown loca format ", loca_format);
      const detail::Span loca = table(t.loca);
      NNOCR_CHECK(loca.has(0, (loca_format == 0 ? 2u : 4u) * (static_cast<std::size_t>(num_glyphs) + 1)), path_,
                  ": loca table too short for ", num_glyphs, " glyphs");
      info_.loca = static_cast<int>(t.loca.offset);
      info_.glyf = static_cast<int>(t.glyf.offset);
      info_.indexToLocFormat = loca_format;
      glyph_ok_ = detail::validate_glyf(loca, table(t.glyf), num_glyphs, loca_format);
    } else {
      // CFF outlines: the same setup as stbtt_InitFont, but with the buffer
      // bounded by the real table length, so every later read is bounded.
      NNOCR_CHECK(t.cff.present(), path_, ": no outlines (neither glyf nor CFF table; CFF2 is not supported)");
      info_.cff = st::stbtt__new_buf(data + t.cff.offset, t.cff.length);
      st::stbtt__buf b = info_.cff;
      st::stbtt_uint32 cstype = 2, charstrings = 0, fdarrayoff = 0, fdselectoff = 0;
      st::stbtt__buf_skip(&b, 2);
      st::stbtt__buf_seek(&b, st::stbtt__buf_get8(&b));
      st::stbtt__cff_get_index(&b);  // names
      st::stbtt__buf topdictidx = st::stbtt__cff_get_index(&b);
      NNOCR_CHECK(cff_index_ok(topdictidx) && cff_index_count(topdictidx) >= 1, path_, ": malformed CFF top dict INDEX");
      st::stbtt__buf topdict = st::stbtt__cff_index_get(topdictidx, 0);
      st::stbtt__cff_get_index(&b);  // strings
      info_.gsubrs = st::stbtt__cff_get_index(&b);
      st::stbtt__dict_get_ints(&topdict, 17, 1, &charstrings);
      st::stbtt__dict_get_ints(&topdict, 0x100 | 6, 1, &cstype);
      st::stbtt__dict_get_ints(&topdict, 0x100 | 36, 1, &fdarrayoff);
      st::stbtt__dict_get_ints(&topdict, 0x100 | 37, 1, &fdselectoff);
      info_.subrs = st::stbtt__get_subrs(b, topdict);
      NNOCR_CHECK(cstype == 2 && charstrings != 0 && charstrings < t.cff.length, path_,
                  ": CFF table without Type 2 charstrings");
      if (fdarrayoff) {
        NNOCR_CHECK(fdselectoff != 0 && fdarrayoff < t.cff.length && fdselectoff < t.cff.length, path_,
                    ": CID-keyed CFF font without a valid FDSelect");
        st::stbtt__buf_seek(&b, static_cast<int>(fdarrayoff));
        info_.fontdicts = st::stbtt__cff_get_index(&b);
        info_.fdselect = st::stbtt__buf_range(&b, static_cast<int>(fdselectoff), b.size - static_cast<int>(fdselectoff));
      }
      st::stbtt__buf_seek(&b, static_cast<int>(charstrings));
      info_.charstrings = st::stbtt__cff_get_index(&b);
      NNOCR_CHECK(info_.charstrings.size > 0, path_, ": empty CFF charstrings index");
      validate_cff(num_glyphs);
    }

    cmap_ = detail::parse_cmap(table(t.cmap), num_glyphs, path_);
    latin_.fill(0);
    for (const auto& e : cmap_)
      if (e.code_point < latin_.size()) latin_[e.code_point] = e.glyph;
    kerning_ = detail::KerningReader(t.gpos.present() ? table(t.gpos) : detail::Span{},
                                     t.kern.present() ? table(t.kern) : detail::Span{});

    int asc = 0, desc = 0, gap = 0;
    st::stbtt_GetFontVMetrics(&info_, &asc, &desc, &gap);
    metrics_.units_per_em = units;
    metrics_.ascent = asc;
    metrics_.descent = desc;
    metrics_.line_gap = gap;
    auto top_of = [&](std::u32string_view letters, bool lowest) {
      int best = 0;
      bool found = false;
      for (char32_t c : letters) {
        const GlyphBox b = glyph_box(glyph_index(c));
        if (b.empty) continue;
        const int v = lowest ? b.y0 : b.y1;
        best = !found ? v : lowest ? std::min(best, v) : std::max(best, v);
        found = true;
      }
      return std::make_pair(found, best);
    };
    auto [has_asc, ascender] = top_of(U"bdfhkl", false);
    auto [has_desc, descender] = top_of(U"gjpqy", true);
    auto [has_x, x_height] = top_of(U"x", false);
    auto [has_cap, cap_height] = top_of(U"H", false);
    metrics_.ascender = has_asc && ascender > 0 ? ascender : asc;
    metrics_.descender = has_desc && descender < 0 ? descender : desc;
    metrics_.x_height = has_x ? x_height : units / 2;
    metrics_.cap_height = has_cap ? cap_height : metrics_.ascender;
    if (metrics_.ascender <= 0) metrics_.ascender = std::max(1, units * 3 / 4);
    if (metrics_.descender >= 0) metrics_.descender = -units / 5;

    const detail::Span name = t.name.present() ? table(t.name) : detail::Span{};
    family_ = detail::read_name(name, 16);
    if (family_.empty()) family_ = detail::read_name(name, 1);
    style_ = detail::read_name(name, 17);
    if (style_.empty()) style_ = detail::read_name(name, 2);
    if (family_.empty()) {  // fall back on the file name: "DejaVuSans-Bold.ttf" -> "DejaVuSans", "Bold"
      std::string stem = std::filesystem::path(path_).stem().string();
      const std::size_t dash = stem.find('-');
      family_ = stem.substr(0, dash);
      if (style_.empty() && dash != std::string::npos) style_ = stem.substr(dash + 1);
    }
    if (style_.empty()) style_ = "Regular";
  }

  // stb looks entries up in CFF INDEX structures with int arithmetic on
  // offsets from the file (overflowing on hostile values) and takes the
  // entry numbers from the font too. So: every INDEX it reads must have
  // offSize 1..4 and offsets that start at 1, never decrease and stay inside
  // the data; glyphs beyond the charstrings count are unusable; every font
  // dict an FDSelect names must exist.
  static bool cff_index_ok(const detail::stbtt::stbtt__buf& b) {
    if (b.size == 0) return true;  // absent
    const detail::Span s{b.data, static_cast<std::size_t>(b.size)};
    const std::size_t count = s.u16(0);
    if (count == 0) return true;
    const std::size_t offsize = s.u8(2);
    if (offsize < 1 || offsize > 4 || !s.has(3, (count + 1) * offsize)) return false;
    std::uint32_t previous = 0;
    for (std::size_t i = 0; i <= count; ++i) {
      std::uint32_t v = 0;
      for (std::size_t k = 0; k < offsize; ++k) v = (v << 8) | s.u8(3 + i * offsize + k);
      if ((i == 0 && v != 1) || v < previous) return false;
      previous = v;
    }
    return 3 + (count + 1) * offsize + (previous - 1) <= s.n;
  }
  static int cff_index_count(const detail::stbtt::stbtt__buf& b) {
    return b.size >= 2 ? (b.data[0] << 8) | b.data[1] : 0;
  }
  void validate_cff(int num_glyphs) {
    namespace st = detail::stbtt;
    NNOCR_CHECK(cff_index_ok(info_.charstrings) && cff_index_ok(info_.gsubrs) && cff_index_ok(info_.subrs) &&
                    cff_index_ok(info_.fontdicts),
                path_, ": malformed CFF INDEX (charstrings, subroutines or font dicts)");
    const int glyphs = cff_index_count(info_.charstrings);
    glyph_ok_.assign(static_cast<std::size_t>(num_glyphs), false);
    for (int g = 0; g < std::min(glyphs, num_glyphs); ++g) glyph_ok_[static_cast<std::size_t>(g)] = true;
    if (info_.fdselect.size == 0) return;
    const int dicts = cff_index_count(info_.fontdicts);
    NNOCR_CHECK(dicts >= 1, path_, ": CID-keyed CFF font without font dicts");
    const detail::Span fd{info_.fdselect.data, static_cast<std::size_t>(info_.fdselect.size)};
    if (fd.u8(0) == 0) {
      for (int g = 0; g < num_glyphs; ++g)
        NNOCR_CHECK(fd.u8(1 + static_cast<std::size_t>(g)) < dicts, path_, ": FDSelect names a missing font dict");
    } else if (fd.u8(0) == 3) {
      const std::size_t ranges = fd.u16(1);
      for (std::size_t r = 0; r < ranges; ++r)
        NNOCR_CHECK(fd.u8(5 + 3 * r) < dicts, path_, ": FDSelect names a missing font dict");
    }
    for (int i = 0; i < dicts; ++i)
      NNOCR_CHECK(cff_index_ok(st::stbtt__get_subrs(info_.cff, st::stbtt__cff_index_get(info_.fontdicts, i))), path_,
                  ": malformed CFF INDEX of local subroutines in font dict ", i);
  }

  std::shared_ptr<const std::vector<std::uint8_t>> bytes_;
  std::string path_, family_, style_;
  detail::stbtt::stbtt_fontinfo info_{};
  std::vector<detail::CmapEntry> cmap_;
  std::array<std::uint16_t, 256> latin_{};
  std::vector<bool> glyph_ok_;  // per glyph: the outline may be handed to stb
  detail::KerningReader kerning_;
  FontMetrics metrics_;
  std::shared_ptr<const std::unordered_map<int, std::vector<detail::stbtt::stbtt_vertex>>> shapes_;
};

// ---------------------------------------------------------------- checks

// Why a font cannot draw ordinary Latin text, or "" when it can: it must map
// a-z, A-Z and 0-9 to 62 distinct non-empty glyphs shaped like letters
// (x-height clearly below the ascenders, p descending, x on the baseline).
// That rules out keyboard-key and initials fonts (LinBiolinum_K,
// LinLibertine_I), symbol fonts mapping letters to Greek, small capitals.
inline std::string latin_text_problem(const Font& font) {
  std::set<int> seen;
  for (const char* range : {"az", "AZ", "09"})
    for (char32_t c = static_cast<unsigned char>(range[0]); c <= static_cast<unsigned char>(range[1]); ++c) {
      const int g = font.glyph_index(c);
      if (g == 0) return "no glyph for '" + encode_utf8(c) + "'";
      if (font.glyph_box(g).empty) return "empty glyph for '" + encode_utf8(c) + "'";
      if (!seen.insert(g).second) return "'" + encode_utf8(c) + "' shares its glyph with another character";
    }
  const GlyphBox x = font.glyph_box(font.glyph_index(U'x')), l = font.glyph_box(font.glyph_index(U'l')),
                 p = font.glyph_box(font.glyph_index(U'p')), h = font.glyph_box(font.glyph_index(U'H'));
  const double xh = x.y1;
  if (!(xh > 0.3 * l.y1 && xh < 0.85 * l.y1)) return "x-height not below the ascender of 'l' (not ordinary letters)";
  if (!(xh < 0.9 * h.y1)) return "'x' as tall as 'H' (small capitals or not letters)";
  if (!(p.y0 < -0.1 * xh)) return "'p' does not descend below the baseline";
  if (!(x.y0 > -0.15 * xh && x.y0 < 0.15 * xh)) return "'x' does not sit on the baseline";
  return "";
}

// ---------------------------------------------------------------- catalogue

struct FontInfo {
  std::string path;
  std::string family, style;  // as the font names itself
  std::string design;         // design_group(family): clones share one
  bool bold = false, italic = false, monospace = false;
};

namespace detail {

inline std::string name_key(std::string_view s) {
  std::string k;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

inline std::string lower(std::string_view s) {
  std::string k(s);
  for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

}  // namespace detail

// The design a family belongs to, so that metric clones of one design (the
// URW, TeX Gyre, Liberation and GNU FreeFont versions of Times, Helvetica,
// Courier, ...) land on the same side of a train/validation split. Families
// that are no known clone are their own design (the key of their name).
inline std::string design_group(std::string_view family) {
  struct Group {
    const char* design;
    std::vector<const char*> families;
  };
  static const std::vector<Group> groups = {
      {"times", {"nimbusroman", "nimbusromanno9l", "texgyretermes", "liberationserif", "freeserif", "tinos"}},
      {"helvetica", {"nimbussans", "nimbussansl", "texgyreheros", "liberationsans", "freesans", "arimo"}},
      {"helvetica-narrow", {"nimbussansnarrow", "liberationsansnarrow", "texgyreheroscn"}},
      {"courier", {"nimbusmonops", "nimbusmonol", "texgyrecursor", "liberationmono", "freemono", "cousine"}},
      {"palatino", {"p052", "texgyrepagella", "urwpalladiol"}},
      {"bookman", {"urwbookman", "urwbookmanl", "texgyrebonum"}},
      {"century-schoolbook", {"c059", "texgyreschola", "centuryschoolbookl"}},
      {"avant-garde", {"urwgothic", "urwgothicl", "texgyreadventor"}},
      {"zapf-chancery", {"z003", "texgyrechorus", "urwchanceryl"}},
      {"calibri", {"carlito"}},
      {"cambria", {"caladea"}},
      {"libertine", {"linuxlibertine", "linuxlibertineo", "linuxlibertinedisplay", "linuxlibertinedisplayo"}},
      {"biolinum", {"linuxbiolinum", "linuxbiolinumo"}},
      {"dejavu-sans", {"dejavusans", "dejavusanscondensed", "dejavusanslight"}},
      {"dejavu-serif", {"dejavuserif", "dejavuserifcondensed"}},
  };
  const std::string key = detail::name_key(family);
  for (const auto& g : groups)
    for (const char* f : g.families)
      if (key == f) return g.design;
  return key;
}

// Designs held out of training by default, for validation on unseen fonts:
// a serif, a geometric sans, a humanist sans and a second humanist sans.
// None is a clone of a training design.
inline const std::vector<std::string>& default_holdout_families() {
  static const std::vector<std::string> list = {"century-schoolbook", "avant-garde", "calibri", "biolinum"};
  return list;
}

inline const std::vector<std::string>& default_font_dirs() {
  static const std::vector<std::string> dirs = {"/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts",
                                                "/usr/share/texmf/fonts"};
  return dirs;
}

// Every .ttf/.otf under `dirs` (recursively; "~/" is $HOME) that loads and
// can draw ordinary Latin text (latin_text_problem), sorted by path; fonts
// naming symbols, math, dingbats, emoji or icons are left out too. A font
// found twice (same family and style) is listed once. Unreadable folders
// are skipped. `rejected`, when given, receives "path: reason" lines.
inline std::vector<FontInfo> find_system_fonts(const std::vector<std::string>& dirs = default_font_dirs(),
                                               std::vector<std::string>* rejected = nullptr) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths;
  for (std::string dir : dirs) {
    if (dir.rfind("~/", 0) == 0) {
      const char* home = std::getenv("HOME");
      if (!home) continue;
      dir = std::string(home) + dir.substr(1);
    }
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const std::string ext = detail::lower(it->path().extension().string());
      std::error_code ec2;
      if ((ext == ".ttf" || ext == ".otf") && it->is_regular_file(ec2)) paths.push_back(it->path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<FontInfo> out;
  std::set<std::string> seen;
  for (const std::string& path : paths) {
    auto reject = [&](const std::string& why) {
      if (rejected) rejected->push_back(path + ": " + why);
    };
    try {
      const Font font = Font::load(path);
      const std::string lname = detail::lower(font.family() + " " + font.style() + " " + path);
      bool special = false;
      for (const char* word : {"math", "symbol", "dingbat", "emoji", "icon", "ornament", "braille"})
        special = special || lname.find(word) != std::string::npos;
      if (special) {
        reject("a symbol, math or dingbat font");
        continue;
      }
      const std::string problem = latin_text_problem(font);
      if (!problem.empty()) {
        reject(problem);
        continue;
      }
      if (!seen.insert(detail::name_key(font.family()) + "/" + detail::name_key(font.style())).second) {
        reject("duplicate of " + font.full_name());
        continue;
      }
      FontInfo info;
      info.path = path;
      info.family = font.family();
      info.style = font.style();
      info.design = design_group(font.family());
      const std::string style = detail::lower(font.style());
      info.bold = style.find("bold") != std::string::npos || style.find("black") != std::string::npos ||
                  style.find("heavy") != std::string::npos || style.find("demi") != std::string::npos;
      info.italic = style.find("italic") != std::string::npos || style.find("oblique") != std::string::npos;
      const int i = font.glyph_index(U'i'), m = font.glyph_index(U'M');
      info.monospace = font.advance(i) == font.advance(m);
      out.push_back(std::move(info));
    } catch (const Error& e) {
      reject(e.what());
    }
  }
  return out;
}

struct FontSplit {
  std::vector<FontInfo> train, holdout;
};

// Splits fonts by design (never by file), so all styles and clones of one
// design stay together. A font is held out when its design or family
// matches one of `holdout` (compared case- and punctuation-blind), or, with
// holdout_fraction > 0, when a hash of its design falls in that fraction.
// Deterministic: the same fonts always split the same way.
inline FontSplit split_fonts(const std::vector<FontInfo>& fonts,
                             const std::vector<std::string>& holdout = default_holdout_families(),
                             double holdout_fraction = 0.0) {
  std::set<std::string> keys;
  for (const auto& h : holdout) keys.insert(detail::name_key(h));
  FontSplit split;
  for (const FontInfo& f : fonts) {
    std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a of the design key
    for (char c : detail::name_key(f.design)) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    const bool held = keys.count(detail::name_key(f.design)) || keys.count(detail::name_key(f.family)) ||
                      static_cast<double>(hash % 1000000) < holdout_fraction * 1e6;
    (held ? split.holdout : split.train).push_back(f);
  }
  return split;
}

}  // namespace nnocr::data
