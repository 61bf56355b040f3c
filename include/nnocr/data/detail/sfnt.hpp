// sfnt.hpp — bounds-checked reading of TrueType/OpenType ("sfnt") font files.
//
// stb_truetype trusts every offset in a font. This file is the gate in front
// of it: it reads the table directory, the cmap (code point -> glyph), the
// kerning data (GPOS pair adjustment and the old 'kern' table) and the name
// table itself, with reads that can never leave the file, and it checks
// everything stb would otherwise read blindly (head, hhea, maxp, hmtx, loca,
// every glyf outline down through composite glyphs) before the font is handed
// to stb for rasterizing. CFF outlines are read by stb through its own
// bounded buffer type, which we set to the real table length.
//
// Layout references: the OpenType specification, chapters "Font file"
// (table directory, TTC header), "cmap" (formats 4 and 12), "glyf", "loca",
// "hmtx", "GPOS" (lookup type 2, pair adjustment; type 9, extension),
// "kern" (format 0) and "name".
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "../../core/error.hpp"
#include "../utf8.hpp"

namespace nnocr::data::detail {

// A view of bytes with big-endian reads that return 0 beyond the end.
struct Span {
  const std::uint8_t* p = nullptr;
  std::size_t n = 0;

  bool has(std::size_t off, std::size_t len) const { return off <= n && len <= n - off; }
  std::uint8_t u8(std::size_t off) const { return off < n ? p[off] : 0; }
  std::uint16_t u16(std::size_t off) const {
    return has(off, 2) ? static_cast<std::uint16_t>((p[off] << 8) | p[off + 1]) : 0;
  }
  std::int16_t s16(std::size_t off) const { return static_cast<std::int16_t>(u16(off)); }
  std::uint32_t u32(std::size_t off) const {
    return has(off, 4) ? (std::uint32_t{p[off]} << 24) | (std::uint32_t{p[off + 1]} << 16) |
                             (std::uint32_t{p[off + 2]} << 8) | p[off + 3]
                       : 0;
  }
  // The bytes [off, off + len), or an empty span when that is not inside.
  Span sub(std::size_t off, std::size_t len) const { return has(off, len) ? Span{p + off, len} : Span{}; }
  // The bytes from off to the end (empty when off is past the end).
  Span from(std::size_t off) const { return off <= n ? Span{p + off, n - off} : Span{}; }
};

struct TableRecord {
  std::uint32_t offset = 0, length = 0;
  bool present() const { return length > 0; }
};

// The tables nnocr reads, located by the table directory.
struct SfntTables {
  TableRecord cmap, head, hhea, hmtx, maxp, loca, glyf, cff, kern, gpos, name, os2;
};

// Offset of font `index` in a file that is a single font or a TrueType
// collection ('ttcf'). Throws nnocr::Error naming `file`.
inline std::uint32_t sfnt_font_offset(Span file, int index, const std::string& file_name) {
  NNOCR_CHECK(file.n >= 12, file_name, ": not a font file (", file.n, " bytes)");
  const std::uint32_t tag = file.u32(0);
  if (tag == 0x74746366u) {  // 'ttcf'
    const std::uint32_t count = file.u32(8);
    NNOCR_CHECK(index >= 0 && static_cast<std::uint32_t>(index) < count && file.has(12, std::size_t{4} * count),
                file_name, ": font collection has no font number ", index);
    return file.u32(12 + 4 * static_cast<std::size_t>(index));
  }
  NNOCR_CHECK(index == 0, file_name, ": not a font collection, so it has no font number ", index);
  return 0;
}

inline SfntTables read_table_directory(Span file, std::uint32_t offset, const std::string& file_name) {
  const std::uint32_t version = file.u32(offset);
  NNOCR_CHECK(file.has(offset, 12) && (version == 0x00010000u || version == 0x4F54544Fu /* OTTO */ ||
                                       version == 0x74727565u /* true */),
              file_name, ": not a TrueType/OpenType font (bad header at byte ", offset, ")");
  const std::uint16_t num_tables = file.u16(offset + 4);
  NNOCR_CHECK(num_tables > 0 && file.has(offset + 12, std::size_t{16} * num_tables), file_name,
              ": table directory of ", num_tables, " tables runs past the end of the file");
  SfntTables t;
  for (std::size_t i = 0; i < num_tables; ++i) {
    const std::size_t rec = offset + 12 + 16 * i;
    char tag[5] = {static_cast<char>(file.u8(rec)), static_cast<char>(file.u8(rec + 1)),
                   static_cast<char>(file.u8(rec + 2)), static_cast<char>(file.u8(rec + 3)), 0};
    TableRecord r{file.u32(rec + 8), file.u32(rec + 12)};
    NNOCR_CHECK(file.has(r.offset, r.length), file_name, ": table '", tag, "' (", r.length, " bytes at ", r.offset,
                ") runs past the end of the file (", file.n, " bytes)");
    TableRecord* slot = nullptr;
    const std::string name(tag);
    if (name == "cmap") slot = &t.cmap;
    else if (name == "head") slot = &t.head;
    else if (name == "hhea") slot = &t.hhea;
    else if (name == "hmtx") slot = &t.hmtx;
    else if (name == "maxp") slot = &t.maxp;
    else if (name == "loca") slot = &t.loca;
    else if (name == "glyf") slot = &t.glyf;
    else if (name == "CFF ") slot = &t.cff;
    else if (name == "kern") slot = &t.kern;
    else if (name == "GPOS") slot = &t.gpos;
    else if (name == "name") slot = &t.name;
    else if (name == "OS/2") slot = &t.os2;
    if (slot && !slot->present()) *slot = r;  // the first of duplicates, as stb does
  }
  return t;
}

// ---------------------------------------------------------------- cmap

struct CmapEntry {
  char32_t code_point;
  std::uint16_t glyph;
};

// Code point -> glyph pairs, sorted by code point, from the best Unicode
// subtable (format 12 preferred, else format 4). Glyphs outside
// [1, num_glyphs) are dropped.
inline std::vector<CmapEntry> parse_cmap(Span cmap, int num_glyphs, const std::string& file_name) {
  constexpr std::size_t kMaxEntries = std::size_t{1} << 18;
  NNOCR_CHECK(cmap.n >= 4, file_name, ": cmap table too short");
  const std::uint16_t count = cmap.u16(2);
  NNOCR_CHECK(cmap.has(4, std::size_t{8} * count), file_name, ": cmap encoding records run past the table");
  int best = -1;
  Span chosen;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint16_t platform = cmap.u16(4 + 8 * i), encoding = cmap.u16(6 + 8 * i);
    const Span sub = cmap.from(cmap.u32(8 + 8 * i));
    const std::uint16_t format = sub.u16(0);
    if (format != 4 && format != 12) continue;
    int rank = -1;
    if (platform == 3 && encoding == 10) rank = 4;
    else if (platform == 0 && encoding >= 4) rank = 3;
    else if (platform == 3 && encoding == 1) rank = 2;
    else if (platform == 0) rank = 1;
    if (rank < 0) continue;
    if (format == 12) rank += 10;  // full Unicode beats BMP-only within any platform
    if (rank > best) best = rank, chosen = sub;
  }
  NNOCR_CHECK(best >= 0, file_name, ": no Unicode cmap subtable of format 4 or 12 (a symbol font?)");
  std::vector<CmapEntry> out;
  std::size_t work = 0;  // overlapping segments must not make this quadratic
  auto add = [&](std::uint32_t cp, std::uint32_t glyph) {
    NNOCR_CHECK(++work <= 4 * kMaxEntries, file_name, ": cmap segments cover too many code points");
    if (glyph == 0 || glyph >= static_cast<std::uint32_t>(num_glyphs) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return;
    NNOCR_CHECK(out.size() < kMaxEntries, file_name, ": cmap maps more than ", kMaxEntries, " code points");
    out.push_back({static_cast<char32_t>(cp), static_cast<std::uint16_t>(glyph)});
  };
  if (chosen.u16(0) == 4) {
    const std::size_t length = std::min<std::size_t>(chosen.u16(2), chosen.n);
    const Span t = chosen.sub(0, length);
    const std::size_t seg = t.u16(6) / 2;
    NNOCR_CHECK(t.has(14, 8 * seg + 2), file_name, ": cmap format 4 segment arrays run past the subtable");
    const std::size_t ends = 14, starts = 16 + 2 * seg, deltas = 16 + 4 * seg, ranges = 16 + 6 * seg;
    for (std::size_t s = 0; s < seg; ++s) {
      const std::uint32_t end = t.u16(ends + 2 * s), start = t.u16(starts + 2 * s);
      const std::uint16_t delta = t.u16(deltas + 2 * s), range = t.u16(ranges + 2 * s);
      for (std::uint32_t c = start; c <= end && c != 0xFFFF; ++c) {
        std::uint32_t g;
        if (range == 0) {
          g = (c + delta) & 0xFFFFu;
        } else {
          g = t.u16(ranges + 2 * s + range + 2 * (c - start));  // 0 when out of bounds
          if (g != 0) g = (g + delta) & 0xFFFFu;
        }
        add(c, g);
      }
    }
  } else {
    const std::uint32_t groups = chosen.u32(12);
    NNOCR_CHECK(chosen.has(16, std::size_t{12} * groups), file_name, ": cmap format 12 groups run past the table");
    for (std::size_t i = 0; i < groups; ++i) {
      const std::uint32_t start = chosen.u32(16 + 12 * i), end = chosen.u32(20 + 12 * i),
                          glyph = chosen.u32(24 + 12 * i);
      if (end < start || end > 0x10FFFF) continue;
      for (std::uint32_t c = start; c <= end; ++c) add(c, glyph + (c - start));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const CmapEntry& a, const CmapEntry& b) { return a.code_point < b.code_point; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const CmapEntry& a, const CmapEntry& b) { return a.code_point == b.code_point; }),
            out.end());
  return out;
}

// ---------------------------------------------------------------- glyf

// Per glyph: true when stb may read its outline. Checks, for each glyph, what
// stbtt__GetGlyphShapeTT reads: the loca range inside glyf; for simple glyphs
// the header, strictly increasing contour ends, instructions, flags and
// coordinates inside the glyph's bytes, and no last contour made of one
// off-curve point (stb reads one vertex past its array there); for composite
// glyphs every component record inside the glyph (read exactly as stb reads
// it), a valid component glyph, no cycles, nesting at most 8 deep, at most
// 100,000 points in all, and a transform (offset, scale or 2x2 matrix) that
// keeps every point within the 16-bit coordinates stb converts it to (a
// float out of that range is undefined behaviour; found by fuzzing).
inline std::vector<bool> validate_glyf(Span loca, Span glyf, int num_glyphs, int loca_format) {
  const auto n = static_cast<std::size_t>(num_glyphs);
  std::vector<bool> ok(n, false);
  const std::size_t entry = loca_format == 0 ? 2 : 4;
  if (!loca.has(0, entry * (n + 1))) return ok;  // caller reports the short loca
  auto offset = [&](std::size_t g) -> std::size_t {
    return loca_format == 0 ? std::size_t{loca.u16(2 * g)} * 2 : std::size_t{loca.u32(4 * g)};
  };
  enum : std::uint8_t { kUnknown, kVisiting, kGood, kBad };
  std::vector<std::uint8_t> state(n, kUnknown);
  std::vector<std::uint32_t> points(n, 0);  // expanded point count of good glyphs
  std::vector<double> extent(n, 0.0);        // largest |x| or |y| of a good glyph's points, as stb computes them
  constexpr std::uint32_t kMaxPoints = 100000;

  // 0 = bad, else points + 1; `reach` gets the largest |coordinate|.
  auto simple = [&](Span g, int contours, double& reach) -> std::uint32_t {
    const std::size_t c = static_cast<std::size_t>(contours);
    if (!g.has(10, 2 * c + 2)) return 0;
    int previous = -1;
    for (std::size_t i = 0; i < c; ++i) {
      const int end = g.u16(10 + 2 * i);
      if (end <= previous) return 0;
      previous = end;
    }
    const std::size_t count = static_cast<std::size_t>(previous) + 1;
    const std::size_t last_start = c >= 2 ? std::size_t{g.u16(10 + 2 * (c - 2))} + 1 : 0;
    std::size_t pos = 10 + 2 * c;
    pos += 2 + g.u16(pos);
    std::vector<std::uint8_t> flags(count);
    for (std::size_t i = 0; i < count;) {
      if (!g.has(pos, 1)) return 0;
      const std::uint8_t f = g.u8(pos++);
      std::size_t repeat = 1;
      if (f & 8) {
        if (!g.has(pos, 1)) return 0;
        repeat += g.u8(pos++);
      }
      for (std::size_t r = 0; r < repeat && i < count; ++r) flags[i++] = f;
    }
    std::size_t coordinate_bytes = 0;
    for (std::uint8_t f : flags) {
      coordinate_bytes += (f & 2) ? 1 : (f & 16) ? 0 : 2;
      coordinate_bytes += (f & 4) ? 1 : (f & 32) ? 0 : 2;
    }
    if (!g.has(pos, coordinate_bytes)) return 0;
    if (last_start == count - 1 && !(flags[count - 1] & 1)) return 0;
    // Coordinates accumulate in 32 bits and are stored as 16-bit values,
    // as stb does (x first, then y; bits 2/16 and 4/32 of the flags).
    reach = 0;
    for (const std::uint8_t axis : {0, 1}) {
      const std::uint8_t short_bit = axis == 0 ? 2 : 4, same_bit = axis == 0 ? 16 : 32;
      std::int32_t v = 0;
      for (std::uint8_t f : flags) {
        if (f & short_bit) {
          const int d = g.u8(pos++);
          v += (f & same_bit) ? d : -d;
        } else if (!(f & same_bit)) {
          v += g.s16(pos);
          pos += 2;
        }
        reach = std::max(reach, std::abs(static_cast<double>(static_cast<std::int16_t>(v))));
      }
    }
    return static_cast<std::uint32_t>(std::min<std::size_t>(count, kMaxPoints + 1)) + 1;
  };

  // Depth-first with an explicit recursion bound (composites nest shallowly).
  auto visit = [&](auto&& self, std::size_t gi, int depth) -> bool {
    if (state[gi] == kGood) return true;
    if (state[gi] != kUnknown || depth > 8) return false;  // a cycle, or too deep
    state[gi] = kVisiting;
    const std::size_t start = offset(gi), end = offset(gi + 1);
    bool good = false;
    std::uint32_t total = 0;
    if (start == end) {
      good = true;  // empty glyph (a space)
    } else if (start < end && end <= glyf.n && end - start >= 10) {
      const Span g = glyf.sub(start, end - start);
      const int contours = g.s16(0);
      if (contours > 0) {
        const std::uint32_t r = simple(g, contours, extent[gi]);
        good = r > 0;
        total = r > 0 ? r - 1 : 0;
      } else if (contours == 0) {
        good = true;
      } else {
        std::size_t pos = 10;
        good = true;
        for (int component = 0;; ++component) {
          if (component >= 256 || !g.has(pos, 4)) {
            good = false;
            break;
          }
          const std::uint16_t f = g.u16(pos), child = g.u16(pos + 2);
          pos += 4;
          double mtx[6] = {1, 0, 0, 1, 0, 0};  // stb's transform: x' = m (a x + c y + e), y' = n (b x + d y + f)
          if (f & 2) {  // stb skips no argument bytes for point matching
            mtx[4] = (f & 1) ? g.s16(pos) : static_cast<std::int8_t>(g.u8(pos));
            mtx[5] = (f & 1) ? g.s16(pos + 2) : static_cast<std::int8_t>(g.u8(pos + 1));
            pos += (f & 1) ? 4 : 2;
          }
          auto f2dot14 = [&](std::size_t at) { return g.s16(at) / 16384.0; };
          if (f & 8) {
            mtx[0] = mtx[3] = f2dot14(pos);
            pos += 2;
          } else if (f & 64) {
            mtx[0] = f2dot14(pos), mtx[3] = f2dot14(pos + 2);
            pos += 4;
          } else if (f & 128) {
            for (int k = 0; k < 4; ++k) mtx[k] = f2dot14(pos + 2 * static_cast<std::size_t>(k));
            pos += 8;
          }
          if (pos > g.n || child >= n || !self(self, child, depth + 1)) {
            good = false;
            break;
          }
          const double r = extent[child];
          const double reach_x = std::hypot(mtx[0], mtx[1]) * ((std::abs(mtx[0]) + std::abs(mtx[2])) * r + std::abs(mtx[4]));
          const double reach_y = std::hypot(mtx[2], mtx[3]) * ((std::abs(mtx[1]) + std::abs(mtx[3])) * r + std::abs(mtx[5]));
          if (std::max(reach_x, reach_y) > 32766.0) {  // a margin for stb's float rounding
            good = false;
            break;
          }
          extent[gi] = std::max(extent[gi], std::max(reach_x, reach_y));
          total += points[child] + 1;
          if (total > kMaxPoints) {
            good = false;
            break;
          }
          if (!(f & 32)) break;
        }
      }
    }
    good = good && total <= kMaxPoints;
    state[gi] = good ? kGood : kBad;
    points[gi] = total;
    return good;
  };
  for (std::size_t gi = 0; gi < n; ++gi) ok[gi] = visit(visit, gi, 0);
  return ok;
}

// ---------------------------------------------------------------- kerning

// Horizontal kerning between two glyphs in font units, from GPOS pair
// adjustment lookups (type 2, directly or through type 9 extensions; both
// subtable formats; any value format with an x advance) or, for fonts
// without them, from the first-generation 'kern' table (format 0).
class KerningReader {
 public:
  KerningReader() = default;
  KerningReader(Span gpos, Span kern) {
    if (gpos.u16(0) == 1) {
      const Span list = gpos.from(gpos.u16(8));
      const std::uint16_t lookups = list.u16(0);
      for (std::size_t i = 0; i < lookups && list.has(2 + 2 * i, 2); ++i) {
        const Span lookup = list.from(list.u16(2 + 2 * i));
        const std::uint16_t type = lookup.u16(0), subtables = lookup.u16(4);
        if (type != 2 && type != 9) continue;
        std::vector<Span> pair_subtables;
        for (std::size_t s = 0; s < subtables && lookup.has(6 + 2 * s, 2); ++s) {
          Span sub = lookup.from(lookup.u16(6 + 2 * s));
          if (type == 9) {
            if (sub.u16(0) != 1 || sub.u16(2) != 2) continue;
            sub = sub.from(sub.u32(4));
          }
          if (sub.u16(0) == 1 || sub.u16(0) == 2) pair_subtables.push_back(sub);
        }
        if (!pair_subtables.empty()) lookups_.push_back(std::move(pair_subtables));
      }
    }
    if (lookups_.empty() && kern.u16(0) == 0) {
      std::size_t pos = 4;
      for (std::size_t t = 0, count = kern.u16(2); t < count && kern.has(pos, 14); ++t) {
        const std::uint16_t length = kern.u16(pos + 2), coverage = kern.u16(pos + 4);
        // Format 0, horizontal, neither minimum nor cross-stream.
        if ((coverage >> 8) == 0 && (coverage & 0x7) == 1) kern_pairs_.push_back(kern.from(pos + 6));
        if (length < 14) break;
        pos += length;
      }
    }
  }

  bool empty() const { return lookups_.empty() && kern_pairs_.empty(); }

  int pair(int left, int right) const {
    int total = 0;
    if (!lookups_.empty()) {
      for (const auto& lookup : lookups_)
        for (const Span& sub : lookup) {
          int value = 0;
          if (pair_adjustment(sub, left, right, value)) {
            total += value;
            break;  // the first subtable that applies ends the lookup
          }
        }
      return total;
    }
    const std::uint32_t key = (static_cast<std::uint32_t>(left) << 16) | static_cast<std::uint32_t>(right);
    for (const Span& t : kern_pairs_) {
      std::size_t lo = 0, hi = std::min<std::size_t>(t.u16(0), t.n >= 8 ? (t.n - 8) / 6 : 0);
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        const std::uint32_t straw = t.u32(8 + 6 * mid);
        if (straw < key) lo = mid + 1;
        else if (straw > key) hi = mid;
        else {
          total += t.s16(12 + 6 * mid);
          break;
        }
      }
    }
    return total;
  }

 private:
  static int coverage_index(Span c, int glyph) {
    const std::uint16_t format = c.u16(0), count = c.u16(2);
    std::size_t lo = 0, hi = count;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (format == 1) {
        if (!c.has(4 + 2 * mid, 2)) return -1;
        const int g = c.u16(4 + 2 * mid);
        if (g < glyph) lo = mid + 1;
        else if (g > glyph) hi = mid;
        else return static_cast<int>(mid);
      } else if (format == 2) {
        if (!c.has(4 + 6 * mid, 6)) return -1;
        const int first = c.u16(4 + 6 * mid), last = c.u16(6 + 6 * mid);
        if (last < glyph) lo = mid + 1;
        else if (first > glyph) hi = mid;
        else return c.u16(8 + 6 * mid) + glyph - first;
      } else {
        return -1;
      }
    }
    return -1;
  }
  static int glyph_class(Span c, int glyph) {
    const std::uint16_t format = c.u16(0);
    if (format == 1) {
      const int first = c.u16(2), count = c.u16(4);
      return glyph >= first && glyph < first + count ? c.u16(6 + 2 * static_cast<std::size_t>(glyph - first)) : 0;
    }
    if (format == 2) {
      std::size_t lo = 0, hi = c.u16(2);
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (!c.has(4 + 6 * mid, 6)) return 0;
        const int first = c.u16(4 + 6 * mid), last = c.u16(6 + 6 * mid);
        if (last < glyph) lo = mid + 1;
        else if (first > glyph) hi = mid;
        else return c.u16(8 + 6 * mid);
      }
    }
    return 0;
  }
  static int popcount(unsigned v) {
    int c = 0;
    for (; v; v &= v - 1) ++c;
    return c;
  }
  // True when the subtable applies to (left, right); value gets the x advance.
  static bool pair_adjustment(Span sub, int left, int right, int& value) {
    const int ci = coverage_index(sub.from(sub.u16(2)), left);
    if (ci < 0) return false;
    const unsigned vf1 = sub.u16(4), vf2 = sub.u16(6);
    const std::size_t size1 = 2 * static_cast<std::size_t>(popcount(vf1 & 0xFF)),
                      size2 = 2 * static_cast<std::size_t>(popcount(vf2 & 0xFF));
    const std::size_t x_advance = 2 * static_cast<std::size_t>(popcount(vf1 & 3));
    if (sub.u16(0) == 1) {
      if (ci >= sub.u16(8)) return false;
      const Span set = sub.from(sub.u16(10 + 2 * static_cast<std::size_t>(ci)));
      const std::size_t record = 2 + size1 + size2;
      std::size_t lo = 0, hi = set.u16(0);
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (!set.has(2 + record * mid, record)) return false;
        const int g = set.u16(2 + record * mid);
        if (g < right) lo = mid + 1;
        else if (g > right) hi = mid;
        else {
          value = (vf1 & 4) ? set.s16(2 + record * mid + 2 + x_advance) : 0;
          return true;
        }
      }
      return false;
    }
    const std::size_t c1 = static_cast<std::size_t>(glyph_class(sub.from(sub.u16(8)), left));
    const std::size_t c2 = static_cast<std::size_t>(glyph_class(sub.from(sub.u16(10)), right));
    const std::size_t count1 = sub.u16(12), count2 = sub.u16(14);
    if (c1 >= count1 || c2 >= count2) return false;
    const std::size_t at = 16 + (c1 * count2 + c2) * (size1 + size2);
    value = (vf1 & 4) ? sub.s16(at + x_advance) : 0;
    return true;
  }

  std::vector<std::vector<Span>> lookups_;
  std::vector<Span> kern_pairs_;
};

// ---------------------------------------------------------------- name

// The name-table string `name_id` (Windows Unicode English preferred, then
// any Windows Unicode, then Macintosh Roman), as UTF-8; empty when absent.
inline std::string read_name(Span name, int name_id) {
  const std::uint16_t count = name.u16(2), strings = name.u16(4);
  int best = 0;
  std::string out;
  for (std::size_t i = 0; i < count && name.has(6 + 12 * i, 12); ++i) {
    const std::size_t r = 6 + 12 * i;
    const std::uint16_t platform = name.u16(r), encoding = name.u16(r + 2), language = name.u16(r + 4);
    if (name.u16(r + 6) != name_id) continue;
    int rank = 0;
    if (platform == 3 && (encoding == 1 || encoding == 10)) rank = language == 0x409 ? 3 : 2;
    else if (platform == 1 && encoding == 0) rank = 1;
    if (rank <= best) continue;
    const Span s = name.sub(std::size_t{strings} + name.u16(r + 10), name.u16(r + 8));
    if (s.n == 0) continue;
    std::string text;
    if (platform == 3) {
      for (std::size_t k = 0; k + 1 < s.n; k += 2) {
        char32_t c = s.u16(k);
        if (c >= 0xD800 && c < 0xDC00 && k + 3 < s.n && s.u16(k + 2) >= 0xDC00 && s.u16(k + 2) < 0xE000) {
          c = 0x10000 + ((c - 0xD800) << 10) + (s.u16(k + 2) - 0xDC00u);
          k += 2;
        } else if (c >= 0xD800 && c < 0xE000) {
          c = 0xFFFD;
        }
        if (c >= 0x20) append_utf8(text, c);
      }
    } else {
      for (std::size_t k = 0; k < s.n; ++k) text += (s.u8(k) >= 0x20 && s.u8(k) < 0x7F) ? static_cast<char>(s.u8(k)) : '?';
    }
    best = rank;
    out = std::move(text);
  }
  return out;
}

}  // namespace nnocr::data::detail
