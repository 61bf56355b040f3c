#include "test_util.hpp"

#include <nnocr/core/rng.hpp>
#include <nnocr/data/font.hpp>
#include <nnocr/data/render.hpp>
#include <nnocr/data/synth.hpp>
#include <nnocr/data/text_source.hpp>
#include <nnocr/image/deskew.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

using namespace nnocr;
using namespace nnocr::data;

namespace {

const char* const kDejaVuSans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

bool have(const std::string& path) { return std::filesystem::exists(path); }

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The corpus in the source tree (tests run from a build folder).
std::string corpus_path() {
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "corpus" / "en.txt").string();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// Columns of a rendered line whose darkest pixel is below `level`.
std::vector<bool> ink_columns(const image::Image& img, int level = 128) {
  std::vector<bool> ink(static_cast<std::size_t>(img.width()), false);
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      if (img.at(x, y) < level) ink[static_cast<std::size_t>(x)] = true;
  return ink;
}

}  // namespace

TEST_CASE("fonts: the catalogue finds DejaVu and rejects fonts without ordinary letters") {
  if (!have(kDejaVuSans)) {
    MESSAGE("fonts-dejavu-core is not installed; skipped");
    return;
  }
  std::vector<std::string> rejected;
  const auto fonts = find_system_fonts(default_font_dirs(), &rejected);
  const bool dejavu = std::any_of(fonts.begin(), fonts.end(), [](const FontInfo& f) {
    return f.family == "DejaVu Sans" && f.style == "Book" && f.path.find("DejaVuSans.ttf") != std::string::npos;
  });
  CHECK(dejavu);
  for (const auto& f : fonts) {
    CAPTURE(f.path);
    CHECK(!f.family.empty());
    CHECK(!f.design.empty());
  }
  // Sorted by path and free of duplicates.
  for (std::size_t i = 1; i < fonts.size(); ++i) CHECK(fonts[i - 1].path < fonts[i].path);
  // The keyboard-key and initials fonts of fonts-linuxlibertine, when installed.
  for (const char* name : {"/usr/share/fonts/opentype/linux-libertine/LinBiolinum_K.otf",
                           "/usr/share/fonts/opentype/linux-libertine/LinLibertine_I.otf"}) {
    if (!have(name)) continue;
    CAPTURE(name);
    CHECK(std::none_of(fonts.begin(), fonts.end(), [&](const FontInfo& f) { return f.path == name; }));
  }
  const auto dejavu_only = find_system_fonts({"/usr/share/fonts/truetype/dejavu", "/no/such/folder"});
  CHECK(!dejavu_only.empty());
  CHECK(latin_text_problem(Font::load(kDejaVuSans)).empty());
}

TEST_CASE("fonts: the split keeps designs together and is deterministic") {
  std::vector<FontInfo> fonts;
  for (const char* family : {"Nimbus Roman", "TeX Gyre Termes", "Liberation Serif", "C059", "TeX Gyre Schola",
                             "DejaVu Sans", "Carlito", "Some Unknown Family"}) {
    FontInfo f;
    f.family = family;
    f.path = std::string("/fonts/") + family + ".ttf";
    f.design = design_group(family);
    fonts.push_back(f);
  }
  CHECK(design_group("TeX Gyre Termes") == design_group("Nimbus Roman"));
  CHECK(design_group("Liberation Sans") == design_group("Nimbus Sans"));
  CHECK(design_group("Some Unknown Family") == "someunknownfamily");
  const FontSplit s = split_fonts(fonts);
  std::set<std::string> held;
  for (const auto& f : s.holdout) held.insert(f.family);
  CHECK(held == std::set<std::string>{"C059", "TeX Gyre Schola", "Carlito"});
  CHECK(s.train.size() + s.holdout.size() == fonts.size());
  // Explicit list (names compared case- and punctuation-blind) and hashing.
  CHECK(split_fonts(fonts, {"times"}).holdout.size() == 3);
  CHECK(split_fonts(fonts, {"dejavu-SANS"}).holdout.size() == 1);
  const FontSplit all = split_fonts(fonts, {}, 1.0), none = split_fonts(fonts, {}, 0.0);
  CHECK(all.holdout.size() == fonts.size());
  CHECK(none.holdout.empty());
  const FontSplit half = split_fonts(fonts, {}, 0.5), again = split_fonts(fonts, {}, 0.5);
  CHECK(half.holdout.size() == again.holdout.size());
  for (std::size_t i = 0; i < half.holdout.size(); ++i) CHECK(half.holdout[i].path == again.holdout[i].path);
}

TEST_CASE("fonts: glyphs, metrics and bad font files") {
  if (!have(kDejaVuSans)) return;
  const Font f = Font::load(kDejaVuSans);
  CHECK(f.family() == "DejaVu Sans");
  CHECK(f.has_glyph(U'A'));
  CHECK(f.has_glyph(0x20AC));  // €
  CHECK_FALSE(f.has_glyph(0x10FFFD));
  CHECK(f.glyph_index(U'A') != f.glyph_index(U'B'));
  CHECK(f.has_glyphs("Hello, world \xE2\x80\x94 1 \xE2\x82\xAC"));
  CHECK(f.missing_glyphs("ab\xF4\x8F\xBF\xBD" "c") == std::vector<char32_t>{0x10FFFD});
  const FontMetrics& m = f.metrics();
  CHECK(m.units_per_em == 2048);
  CHECK(m.ascender > m.cap_height / 2);
  CHECK(m.cap_height > m.x_height);
  CHECK(m.x_height > 0);
  CHECK(m.descender < 0);
  CHECK(f.advance(f.glyph_index(U'W')) > f.advance(f.glyph_index(U'i')));

  // Not fonts at all.
  CHECK(error_of([] { Font::from_bytes({}, "empty.ttf"); }).find("empty.ttf") != std::string::npos);
  Rng rng(3);
  std::vector<std::uint8_t> noise(5000);
  for (auto& b : noise) b = static_cast<std::uint8_t>(rng.next_u32());
  CHECK(error_of([&] { Font::from_bytes(noise, "noise.ttf"); }).find("noise.ttf") != std::string::npos);
  CHECK(error_of([] { Font::load("/no/such/font.ttf"); }).find("/no/such/font.ttf") != std::string::npos);
  // A real font cut short: its tables run past the end.
  const std::vector<std::uint8_t> bytes = file_bytes(kDejaVuSans);
  for (std::size_t keep : {std::size_t{11}, std::size_t{100}, std::size_t{4096}, bytes.size() / 2, bytes.size() - 1}) {
    CAPTURE(keep);
    const std::string e = error_of([&] { Font::from_bytes({bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)}, "cut.ttf"); });
    CHECK(e.find("cut.ttf") != std::string::npos);
  }
  // A collection index that does not exist.
  CHECK(error_of([] { Font::load(kDejaVuSans, 1); }).find("font number 1") != std::string::npos);
}

TEST_CASE("fonts: corrupted font files never crash loading or rendering") {
  // Random byte changes in the tables of a real TrueType and, when
  // installed, a CFF font: each either loads and renders or throws Error.
  std::vector<std::string> paths = {kDejaVuSans, "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf"};
  Rng rng(11);
  int loaded = 0, rejected = 0;
  for (const auto& path : paths) {
    if (!have(path)) continue;
    const std::vector<std::uint8_t> original = file_bytes(path);
    for (int trial = 0; trial < 60; ++trial) {
      std::vector<std::uint8_t> bytes = original;
      const int changes = 1 + static_cast<int>(rng.uniform_index(40));
      for (int c = 0; c < changes; ++c) {
        // Half the changes hit the first 4 KiB (directory, cmap, head, ...).
        const std::size_t limit = rng.bernoulli(0.5) ? std::min<std::size_t>(4096, bytes.size()) : bytes.size();
        bytes[rng.uniform_index(limit)] = static_cast<std::uint8_t>(rng.next_u32());
      }
      try {
        const Font f = Font::from_bytes(bytes, "mutated");
        RenderOptions o;
        o.pixel_height = 20;
        o.missing = MissingGlyph::notdef;
        const RenderedLine r = render_line(f, "Hamburgefonstiv AV 0123", o);
        CHECK(r.image.width() > 0);
        ++loaded;
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  MESSAGE(loaded, " mutated fonts loaded and rendered, ", rejected, " rejected");
}

TEST_CASE("fonts: a composite glyph moved past 16-bit coordinates is unusable, not undefined behaviour (fuzz finding)") {
  // stb converts each transformed point of a composite glyph from float to
  // short; a component offset of 32767 font units puts the points of 'E'
  // beyond that range in DejaVu's 'É' (E + acute, offsets as 16-bit words).
  if (!have(kDejaVuSans)) return;
  std::vector<std::uint8_t> bytes = file_bytes(kDejaVuSans);
  const Font original = Font::from_bytes(bytes, "DejaVuSans.ttf");
  REQUIRE(original.has_glyph(0xC9));
  const data::detail::Span file{bytes.data(), bytes.size()};
  const data::detail::SfntTables t = data::detail::read_table_directory(file, 0, "DejaVuSans.ttf");
  const auto glyph = static_cast<std::size_t>(original.glyph_index(0xC9));
  const bool long_loca = file.s16(t.head.offset + 50) == 1;
  const std::size_t start = t.glyf.offset + (long_loca ? std::size_t{file.u32(t.loca.offset + 4 * glyph)}
                                                       : std::size_t{file.u16(t.loca.offset + 2 * glyph)} * 2);
  REQUIRE(file.s16(start) < 0);  // a composite
  bool moved = false;
  for (std::size_t pos = start + 10; !moved;) {  // component records: flags, glyph, arguments, transform
    const std::uint16_t flags = file.u16(pos);
    if ((flags & 3) == 3) {  // offsets as 16-bit words
      bytes[pos + 4] = 0x7f, bytes[pos + 5] = 0xff;
      moved = true;
    }
    pos += 4 + ((flags & 1) ? 4 : 2) + ((flags & 8) ? 2 : (flags & 64) ? 4 : (flags & 128) ? 8 : 0);
    if (!(flags & 32)) break;
  }
  REQUIRE(moved);
  const Font f = Font::from_bytes(bytes, "moved.ttf");
  CHECK_FALSE(f.has_glyph(0xC9));
  CHECK(f.has_glyph(0xE9));  // other composites still render
  RenderOptions o;
  o.missing = MissingGlyph::notdef;
  const RenderedLine r = render_line(f, "A\xC3\x89\xC3\xA9", o);
  CHECK(r.missing == std::vector<char32_t>{0xC9});
}

TEST_CASE("render: width grows with the text, boxes tile the advance") {
  if (!have(kDejaVuSans)) return;
  const Font f = Font::load(kDejaVuSans);
  RenderOptions o;
  o.pixel_height = 24;
  int previous = 0;
  for (const char* text : {"a", "aa", "aaaa", "aaaaaaaa"}) {
    const RenderedLine r = render_line(f, text, o);
    CHECK(r.image.width() > previous);
    CHECK(r.image.channels() == 1);
    previous = r.image.width();
  }
  const RenderedLine r = render_line(f, "Ab c\xE2\x82\xAC", o);  // A b space c €
  REQUIRE(r.boxes.size() == 5);
  CHECK(r.boxes[3].byte_offset == 3);
  CHECK(r.boxes[4].code_point == 0x20AC);
  CHECK(r.boxes[4].byte_offset == 4);
  CHECK_FALSE(r.boxes[2].has_ink);  // the space
  for (std::size_t i = 1; i < r.boxes.size(); ++i) CHECK(r.boxes[i].x0 == doctest::Approx(r.boxes[i - 1].x1).epsilon(1e-4));
  // Frame height is pixel_height, the baseline inside it.
  CHECK(r.frame_bottom - r.frame_top == doctest::Approx(24).epsilon(0.1));
  CHECK(r.baseline > r.frame_top);
  CHECK(r.baseline < r.frame_bottom);
  // Letter spacing widens, horizontal scale narrows.
  RenderOptions wide = o;
  wide.letter_spacing = 5;
  CHECK(render_line(f, "abcdef", wide).image.width() >= render_line(f, "abcdef", o).image.width() + 25);
  RenderOptions narrow = o;
  narrow.horizontal_scale = 0.5f;
  CHECK(render_line(f, "abcdef", narrow).image.width() < render_line(f, "abcdef", o).image.width());
  // Empty text: a blank canvas.
  const RenderedLine empty = render_line(f, "", o);
  CHECK(empty.boxes.empty());
  CHECK(empty.image.height() >= 24);
}

TEST_CASE("render: kerning changes the advance of AV, and agrees with stb_truetype") {
  if (!have(kDejaVuSans)) return;
  const Font f = Font::load(kDejaVuSans);
  const int a = f.glyph_index(U'A'), v = f.glyph_index(U'V');
  CHECK(f.has_kerning());
  CHECK(f.kerning(a, v) < 0);
  RenderOptions o;
  o.pixel_height = 40;
  const RenderedLine kerned = render_line(f, "AV", o);
  o.kerning = false;
  const RenderedLine plain = render_line(f, "AV", o);
  // The V starts earlier with kerning, by the kerning value.
  const float scale = 40.0f / static_cast<float>(f.metrics().ascender - f.metrics().descender);
  CHECK(plain.boxes[1].x0 - kerned.boxes[1].x0 == doctest::Approx(-f.kerning(a, v) * scale).epsilon(0.01));
  CHECK(kerned.image.width() < plain.image.width());

  // Wherever stb's own reader finds a pair (it knows less of GPOS than ours),
  // both give the same value.
  namespace st = nnocr::data::detail::stbtt;
  st::stbtt_fontinfo stb;
  REQUIRE(st::stbtt_InitFont(&stb, f.stb_info().data, 0) == 1);
  int compared = 0;
  for (char32_t l = 0x21; l < 0x7F; ++l)
    for (char32_t r = 0x21; r < 0x7F; ++r) {
      const int gl = f.glyph_index(l), gr = f.glyph_index(r);
      const int theirs = st::stbtt_GetGlyphKernAdvance(&stb, gl, gr);
      if (theirs == 0) continue;
      ++compared;
      if (f.kerning(gl, gr) != theirs) FAIL_CHECK("kerning of ", static_cast<int>(l), " ", static_cast<int>(r));
    }
  CHECK(compared > 50);
}

TEST_CASE("render: the ink lies inside the character boxes") {
  if (!have(kDejaVuSans)) return;
  const Font f = Font::load(kDejaVuSans);
  RenderOptions o;
  o.pixel_height = 30;
  o.padding_x = 7;
  const RenderedLine r = render_line(f, "Hi, jolly Wq!", o);
  const image::Image& img = r.image;
  int dark = 0;
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      if (img.at(x, y) >= 250) continue;
      ++dark;
      bool inside = false;
      for (const CharBox& b : r.boxes)
        inside = inside || (b.has_ink && x >= b.ink_x0 && x < b.ink_x1 && y >= b.ink_y0 && y < b.ink_y1);
      if (!inside) FAIL_CHECK("ink at ", x, ",", y, " outside every box");
    }
  CHECK(dark > 100);
  // Every inked box holds dark pixels, and boxes sit inside the image.
  for (const CharBox& b : r.boxes) {
    if (!b.has_ink) continue;
    CAPTURE(static_cast<int>(b.code_point));
    CHECK(b.ink_x0 >= 0);
    CHECK(b.ink_x1 <= img.width());
    CHECK(b.ink_y0 >= 0);
    CHECK(b.ink_y1 <= img.height());
    int inside = 0;
    for (int y = b.ink_y0; y < b.ink_y1; ++y)
      for (int x = b.ink_x0; x < b.ink_x1; ++x) inside += img.at(x, y) < 128;
    CHECK(inside > 0);
  }
  // Padding: the first and last columns are paper.
  const auto cols = ink_columns(img);
  CHECK_FALSE(cols.front());
  CHECK_FALSE(cols.back());
  // Gray levels.
  o.ink = 40;
  o.background = 200;
  const RenderedLine gray = render_line(f, "Hi", o);
  int lo = 255, hi = 0;
  for (int y = 0; y < gray.image.height(); ++y)
    for (int x = 0; x < gray.image.width(); ++x) lo = std::min<int>(lo, gray.image.at(x, y)), hi = std::max<int>(hi, gray.image.at(x, y));
  CHECK(lo == 40);
  CHECK(hi == 200);
}

TEST_CASE("render: invalid UTF-8, control characters and missing glyphs") {
  if (!have(kDejaVuSans)) return;
  const Font f = Font::load(kDejaVuSans);
  CHECK(error_of([&] { render_line(f, "ok \xC3"); }).find("byte 3") != std::string::npos);
  CHECK(error_of([&] { render_line(f, "a\xE2\x82" "b"); }).find("invalid UTF-8") != std::string::npos);
  CHECK(error_of([&] { render_line(f, "tab\there"); }).find("byte offset 3") != std::string::npos);
  const std::string cjk = "x\xE4\xB8\x80y";  // U+4E00, not in DejaVu Sans
  CHECK(error_of([&] { render_line(f, cjk); }).find("U+4E00") != std::string::npos);
  RenderOptions o;
  o.missing = MissingGlyph::notdef;
  const RenderedLine notdef = render_line(f, cjk, o);
  CHECK(notdef.missing == std::vector<char32_t>{0x4E00});
  CHECK(notdef.boxes[1].x1 > notdef.boxes[1].x0);
  o.missing = MissingGlyph::skip;
  const RenderedLine skipped = render_line(f, cjk, o);
  CHECK(skipped.missing == std::vector<char32_t>{0x4E00});
  CHECK(skipped.boxes[1].x1 == skipped.boxes[1].x0);
  CHECK(skipped.image.width() < notdef.image.width());
  o.pixel_height = 0;
  CHECK_THROWS_AS(render_line(f, "x", o), Error);
}

TEST_CASE("text source: deterministic, bounded, within the character set") {
  const std::vector<std::string> corpus = load_corpus(corpus_path());
  CHECK(corpus.size() >= 400);
  const TextSource src(corpus, TextMix{}, 40);
  std::set<char32_t> allowed;
  for (char32_t c : decode_utf8(TextSource::printable_characters(), "set")) allowed.insert(c);
  CHECK(allowed.size() == 131);
  Rng a(5), b(5);
  std::set<std::string> distinct;
  for (int i = 0; i < 3000; ++i) {
    const std::string line = src.next(a);
    CHECK(line == src.next(b));
    distinct.insert(line);
    const auto cps = decode_utf8(line, "line");
    if (cps.empty() || cps.size() > 40 || cps.front() == U' ' || cps.back() == U' ' || line.find("  ") != std::string::npos)
      FAIL_CHECK("bad line '", line, "'");
    for (char32_t c : cps)
      if (!allowed.count(c)) FAIL_CHECK("character U+", static_cast<int>(c), " outside the set in '", line, "'");
  }
  CHECK(distinct.size() > 2900);
  // Every kind makes lines; without a corpus the corpus kinds fall back.
  const TextSource bare({}, TextMix{}, 30);
  for (int k = 0; k < kTextKinds; ++k) {
    CAPTURE(text_kind_name(static_cast<TextKind>(k)));
    Rng r(static_cast<std::uint64_t>(k));
    for (int i = 0; i < 50; ++i) {
      CHECK(!src.make(static_cast<TextKind>(k), r).empty());
      const std::string line = bare.make(static_cast<TextKind>(k), r);
      CHECK(!line.empty());
      CHECK(decode_utf8(line, "line").size() <= 30);
    }
  }
  const TextMix only_digits{0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  Rng r(1);
  const TextSource digits(corpus, only_digits, 20);
  for (int i = 0; i < 100; ++i) {
    const std::string line = digits.next(r);
    CHECK(line.find_first_not_of("0123456789 ,;/-|:\xE2\x80\x93") == std::string::npos);
  }
  CHECK_THROWS_AS(TextSource(corpus, TextMix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), Error);
  CHECK_THROWS_AS(load_corpus("/no/such/corpus.txt"), Error);
}

TEST_CASE("synth: samples depend only on (seed, index), have the target height and text") {
  if (!have(kDejaVuSans)) return;
  SynthConfig cfg;
  cfg.fonts = {kDejaVuSans, "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/no/such/font.ttf"};
  cfg.seed = 99;
  const LineSynthesizer one(cfg, load_corpus(corpus_path()));
  CHECK(one.skipped_fonts().size() == 1);
  const LineSynthesizer two(cfg, load_corpus(corpus_path()));
  for (std::uint64_t i : {0u, 1u, 7u, 1000u}) {
    CAPTURE(i);
    const SynthSample a = one.make(i), b = two.make(i), c = one.make(i);
    CHECK(a.text == b.text);
    CHECK(a.text == c.text);
    CHECK(!a.text.empty());
    CHECK(a.image.height() == 32);
    CHECK(a.image.channels() == 1);
    REQUIRE(a.image.width() == b.image.width());
    CHECK(std::equal(a.image.data(), a.image.data() + a.image.width() * 32, b.image.data()));
    CHECK(a.font == b.font);
  }
  CHECK(one.make(1).text != one.make(2).text);
  cfg.seed = 100;
  CHECK(LineSynthesizer(cfg, {}).make(1).text != one.make(1).text);
  // Characters no font has are dropped rather than drawn as boxes.
  SynthConfig only;
  only.fonts = {kDejaVuSans};
  only.target_height = 0;
  only.clean_fraction = 1;
  const LineSynthesizer clean(only, {"Hello \xE4\xB8\x80 world"});
  const SynthSample s = make_synthetic_line(clean, 3);
  CHECK(s.text.find("\xE4\xB8\x80") == std::string::npos);
  CHECK(s.line_sample().text == s.text);
  only.fonts = {"/no/such/font.ttf"};
  CHECK_THROWS_AS(LineSynthesizer(only, {}), Error);
}

TEST_CASE("deskew: a page of rendered text rotated by a known angle is found, and straightened, within 0.3 degrees") {
  if (!have(kDejaVuSans)) return;
  // A page of 16 left-aligned lines of corpus text in DejaVu Sans, 20 px
  // high on a 28 px pitch, ragged right, as a scanned letter looks.
  const Font font = Font::load(kDejaVuSans);
  const std::vector<std::string> corpus = load_corpus(corpus_path());
  REQUIRE(corpus.size() >= 16);
  image::Image page(1000, 600, 1, 255);
  RenderOptions o;
  o.pixel_height = 20;
  o.padding_x = o.padding_y = 0;
  o.missing = MissingGlyph::skip;
  for (int i = 0; i < 16; ++i) {
    std::string text = corpus[static_cast<std::size_t>(i * 7)];
    std::size_t cut = std::min<std::size_t>(text.size(), 70);
    while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;  // whole code points
    const RenderedLine line = render_line(font, text.substr(0, cut), o);
    for (int y = 0; y < line.image.height(); ++y)
      for (int x = 0; x < std::min(line.image.width(), 880); ++x) {
        std::uint8_t& p = page.at(60 + x, 70 + 28 * i - line.baseline + y);
        p = std::min(p, line.image.at(x, y));
      }
  }
  CHECK(std::fabs(image::estimate_skew(page)) <= 0.3);
  const std::vector<double> angles =
      test::slow_config ? std::vector<double>{-3.7, 6.5} : std::vector<double>{-8.0, -3.7, -0.9, 0.4, 2.2, 6.5};
  for (double angle : angles) {
    CAPTURE(angle);
    const image::Image tilted = image::rotate(page, angle);
    CHECK(std::fabs(image::estimate_skew(tilted) - angle) <= 0.3);
    CHECK(std::fabs(image::estimate_skew(image::deskew(tilted))) <= 0.3);
  }
}
