// The OCR output writers: every format for a page whose text needs escaping
// and an empty page, several pages streamed in order, the document closed
// once, invalid UTF-8 replaced, bad pages refused. JSON is read back with
// the project's parser; hOCR and ALTO go through a small well-formedness
// checker kept here (which is itself tested on broken XML).
#include <doctest/doctest.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <nnocr/data/utf8.hpp>
#include <nnocr/io/json.hpp>
#include <nnocr/pipeline/ocr_output.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace nnocr;
using namespace nnocr::pipeline;
using nnocr::io::Json;

namespace {

constexpr OutputFormat kAllFormats[] = {OutputFormat::txt, OutputFormat::tsv, OutputFormat::hocr, OutputFormat::alto,
                                        OutputFormat::json};

// Two lines: the first with two words, one made of the five characters XML
// escapes and one with a non-ASCII letter and a tab; the second with one word.
PageResult sample_page() {
  PageResult page;
  page.source = "scans/a&b \"1\".png";
  page.width = 400;
  page.height = 120;

  WordResult escapes{"<&>\"'", {10, 22, 100, 36}, 0.875f, {}};
  const char* escape_chars[] = {"<", "&", ">", "\"", "'"};
  for (int i = 0; i < 5; ++i)
    escapes.chars.push_back({escape_chars[i], {10 + 20 * i, 22, 20, 36}, i == 2 ? 1.0f : 0.875f});
  WordResult cafe{"caf\xC3\xA9\tok", {130, 20, 180, 40}, 0.5f, {}};
  const char* cafe_chars[] = {"c", "a", "f", "\xC3\xA9", "\t", "o", "k"};
  for (int i = 0; i < 7; ++i) cafe.chars.push_back({cafe_chars[i], {130 + 25 * i, 20, 25, 40}, 0.5f + 0.0625f * i});

  LineResult first{"<&>\"' caf\xC3\xA9\tok", {10, 20, 300, 40}, 0.75f, {escapes, cafe}};
  LineResult second{"done", {12, 70, 150, 38}, 0.25f, {WordResult{"done", {12, 70, 150, 38}, 0.125f, {}}}};
  page.lines = {first, second};
  return page;
}

PageResult empty_page(const std::string& source = "blank.png") {
  PageResult page;
  page.source = source;
  page.width = 64;
  page.height = 32;
  return page;
}

PageResult one_line_page(const std::string& source, const std::string& text) {
  PageResult page;
  page.source = source;
  page.width = 200;
  page.height = 40;
  page.lines.push_back({text, {5, 6, 100, 30}, 0.5f, {WordResult{text, {5, 6, 100, 30}, 0.5f, {}}}});
  return page;
}

// The whole document for `pages` in `format`.
std::string write_document(OutputFormat format, const std::vector<PageResult>& pages) {
  std::ostringstream out;
  OcrWriter writer(out, format);
  for (const PageResult& page : pages) writer.page(page);
  writer.finish();
  return out.str();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts(1);
  for (const char c : text) {
    if (c == separator)
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

// The rows of a TSV document (its last newline ends the last row).
std::vector<std::string> tsv_rows(const std::string& tsv) {
  REQUIRE(!tsv.empty());
  REQUIRE(tsv.back() == '\n');
  return split(tsv.substr(0, tsv.size() - 1), '\n');
}

// Why `xml` is not well-formed, or "" when this small checker finds nothing
// wrong: start and end tags match, one root element, attributes quoted and
// not repeated, no raw '<' in attribute values, every '&' starts one of
// XML's five entities or a character reference, and no raw '>' in text
// (the writers always escape it). Handles <?...?>, <!-- --> and a DOCTYPE
// without an internal subset.
std::string xml_problem(const std::string& xml) {
  const std::size_t n = xml.size();
  const auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '_' || c == '-' || c == '.' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  const auto entity_length = [&](std::size_t at) -> std::size_t {
    for (const char* entity : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
      if (xml.compare(at, std::strlen(entity), entity) == 0) return std::strlen(entity);
    if (xml.compare(at, 2, "&#") != 0) return 0;
    std::size_t k = at + 2;
    const bool hex = k < n && xml[k] == 'x';
    if (hex) ++k;
    const std::size_t digits = k;
    while (k < n &&
           (hex ? std::isxdigit(static_cast<unsigned char>(xml[k])) : std::isdigit(static_cast<unsigned char>(xml[k]))))
      ++k;
    return k > digits && k < n && xml[k] == ';' ? k + 1 - at : 0;
  };
  const auto where = [](std::size_t at) { return " at byte " + std::to_string(at); };

  std::vector<std::string> open;
  int roots = 0;
  std::size_t i = 0;
  while (i < n) {
    const char c = xml[i];
    if (c == '&') {
      const std::size_t length = entity_length(i);
      if (length == 0) return "'&' that is not an entity" + where(i);
      i += length;
      continue;
    }
    if (c == '>') return "raw '>' in text" + where(i);
    if (c != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(c)))
        return "text outside the root element" + where(i);
      ++i;
      continue;
    }
    if (xml.compare(i, 4, "<!--") == 0 || xml.compare(i, 2, "<?") == 0) {
      const bool comment = xml[i + 1] == '!';
      const std::size_t end = xml.find(comment ? "-->" : "?>", i + 2);
      if (end == std::string::npos) return "unterminated comment or processing instruction" + where(i);
      i = end + (comment ? 3 : 2);
      continue;
    }
    if (xml.compare(i, 2, "<!") == 0) {
      if (roots > 0) return "declaration after the root element" + where(i);
      const std::size_t end = xml.find('>', i);
      if (end == std::string::npos) return "unterminated declaration" + where(i);
      i = end + 1;
      continue;
    }
    const bool closing = i + 1 < n && xml[i + 1] == '/';
    std::size_t k = i + (closing ? 2 : 1);
    const std::size_t name_start = k;
    while (k < n && name_char(xml[k])) ++k;
    const std::string name = xml.substr(name_start, k - name_start);
    if (name.empty()) return "'<' that starts no tag" + where(i);
    const auto skip_spaces = [&] {
      while (k < n && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
    };
    if (closing) {
      skip_spaces();
      if (k >= n || xml[k] != '>') return "malformed end tag </" + name + ">" + where(i);
      if (open.empty() || open.back() != name)
        return "</" + name + ">" + where(i) + " closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      open.pop_back();
      i = k + 1;
      continue;
    }
    std::set<std::string> attributes;
    for (;;) {
      const std::size_t before = k;
      skip_spaces();
      if (k >= n) return "unterminated tag <" + name + ">" + where(i);
      if (xml[k] == '>' || xml.compare(k, 2, "/>") == 0) {
        if (open.empty() && ++roots > 1) return "a second root element <" + name + ">" + where(i);
        if (xml[k] == '>') {
          open.push_back(name);
          k += 1;
        } else {
          k += 2;
        }
        break;
      }
      if (k == before) return "no space before an attribute of <" + name + ">" + where(k);
      const std::size_t attribute_start = k;
      while (k < n && name_char(xml[k])) ++k;
      const std::string attribute = xml.substr(attribute_start, k - attribute_start);
      if (attribute.empty()) return "malformed attribute in <" + name + ">" + where(k);
      if (!attributes.insert(attribute).second) return "repeated attribute " + attribute + where(k);
      skip_spaces();
      if (k >= n || xml[k] != '=') return "attribute " + attribute + " without '='" + where(k);
      ++k;
      skip_spaces();
      if (k >= n || (xml[k] != '"' && xml[k] != '\'')) return "unquoted attribute " + attribute + where(k);
      const char quote = xml[k++];
      while (k < n && xml[k] != quote) {
        if (xml[k] == '<') return "raw '<' in attribute " + attribute + where(k);
        if (xml[k] == '&') {
          const std::size_t length = entity_length(k);
          if (length == 0) return "'&' that is not an entity in attribute " + attribute + where(k);
          k += length;
        } else {
          ++k;
        }
      }
      if (k >= n) return "unterminated attribute " + attribute + where(attribute_start);
      ++k;
    }
    i = k;
  }
  if (!open.empty()) return "<" + open.back() + "> is not closed";
  if (roots != 1) return "no root element";
  return "";
}

// An output buffer that counts flushes.
class CountingBuffer : public std::stringbuf {
 public:
  int flushes = 0;

 protected:
  int sync() override {
    ++flushes;
    return std::stringbuf::sync();
  }
};

}  // namespace

TEST_CASE("OCR output: format names round-trip; unknown names are refused with the valid ones") {
  for (const OutputFormat format : kAllFormats) CHECK(parse_output_format(format_name(format)) == format);
  CHECK(std::string(format_name(OutputFormat::hocr)) == "hocr");
  CHECK(std::string(format_name(OutputFormat::alto)) == "alto");
  CHECK_THROWS_WITH_AS(parse_output_format("pdf"),
                       "unknown output format 'pdf' (expected one of: txt, tsv, hocr, alto, json)", Error);
  CHECK_THROWS_AS(parse_output_format(""), Error);
  CHECK_THROWS_AS(parse_output_format("HOCR"), Error);
}

TEST_CASE("OCR output: the test's XML checker finds what it claims to find") {
  CHECK(xml_problem("<?xml version=\"1.0\"?>\n<!DOCTYPE x PUBLIC \"a\" \"b\">\n<a t='&quot;&#233;' u=\"1\">"
                    "<b/>&amp;&#x9;<!-- c --></a>\n") == "");
  CHECK(contains(xml_problem("<a><b></a></b>"), "</a> at byte 6 closes <b>"));
  CHECK(contains(xml_problem("<a>x & y</a>"), "'&' that is not an entity"));
  CHECK(contains(xml_problem("<a>&nbsp;</a>"), "'&' that is not an entity"));
  CHECK(contains(xml_problem("<a>x < y</a>"), "'<' that starts no tag"));
  CHECK(contains(xml_problem("<a>x > y</a>"), "raw '>'"));
  CHECK(contains(xml_problem("<a t=\"<\"/>"), "raw '<' in attribute"));
  CHECK(contains(xml_problem("<a t=\"1\" t=\"2\"/>"), "repeated attribute"));
  CHECK(contains(xml_problem("<a t=1/>"), "unquoted attribute"));
  CHECK(contains(xml_problem("<a><b>"), "<b> is not closed"));
  CHECK(contains(xml_problem("<a/><b/>"), "a second root element"));
  CHECK(contains(xml_problem("text<a/>"), "text outside the root element"));
  CHECK(xml_problem("") == "no root element");
}

TEST_CASE("OCR output: txt writes each line's text on its own line, an empty page as one empty line") {
  CHECK(write_document(OutputFormat::txt, {sample_page()}) == "<&>\"' caf\xC3\xA9\tok\ndone\n");
  CHECK(write_document(OutputFormat::txt, {empty_page()}) == "\n");
  CHECK(write_document(OutputFormat::txt, {}) == "");
  // One output line per single-line image, however the recognizer did.
  CHECK(write_document(OutputFormat::txt, {one_line_page("a.png", "first"), empty_page(),
                                           one_line_page("c.png", "third")}) == "first\n\nthird\n");
  // A line break inside a line's text would break that count: it becomes a space.
  CHECK(write_document(OutputFormat::txt, {one_line_page("a.png", "two\nparts\r")}) == "two parts \n");
}

TEST_CASE("OCR output: TSV follows Tesseract's layout, one header, 12 fields a row") {
  const std::string tsv = write_document(OutputFormat::tsv, {sample_page(), empty_page()});
  const std::vector<std::string> rows = tsv_rows(tsv);
  const std::vector<std::string> expected = {
      "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
      "1\t1\t0\t0\t0\t0\t0\t0\t400\t120\t-1\t",
      "2\t1\t1\t0\t0\t0\t10\t20\t300\t88\t-1\t",  // block: all lines, 10..310 x 20..108
      "3\t1\t1\t1\t0\t0\t10\t20\t300\t88\t-1\t",
      "4\t1\t1\t1\t1\t0\t10\t20\t300\t40\t75.00\t",  // the line's confidence, where Tesseract writes -1
      "5\t1\t1\t1\t1\t1\t10\t22\t100\t36\t87.50\t<&>\"'",
      "5\t1\t1\t1\t1\t2\t130\t20\t180\t40\t50.00\tcaf\xC3\xA9 ok",  // the tab became a space
      "4\t1\t1\t1\t2\t0\t12\t70\t150\t38\t25.00\t",
      "5\t1\t1\t1\t2\t1\t12\t70\t150\t38\t12.50\tdone",
      "1\t2\t0\t0\t0\t0\t0\t0\t64\t32\t-1\t",  // the empty page: its page row only
  };
  CHECK(rows == expected);
  for (const std::string& row : rows) {
    CAPTURE(row);
    CHECK(split(row, '\t').size() == 12);
  }
  // No pages: the header alone.
  CHECK(write_document(OutputFormat::tsv, {}) == expected[0] + "\n");
  // Word confidences keep two decimals.
  PageResult page = one_line_page("a.png", "x");
  page.lines[0].words[0].confidence = 0.96063f;
  CHECK(tsv_rows(write_document(OutputFormat::tsv, {page})).back() == "5\t1\t1\t1\t1\t1\t5\t6\t100\t30\t96.06\tx");
}

TEST_CASE("OCR output: hOCR is well-formed XHTML with the spec's classes, boxes and confidences") {
  const std::string hocr = write_document(OutputFormat::hocr, {sample_page(), empty_page()});
  CHECK(xml_problem(hocr) == "");
  CHECK(nnocr::data::is_valid_utf8(hocr));
  CHECK(contains(hocr, "<html xmlns=\"http://www.w3.org/1999/xhtml\">"));
  CHECK(contains(hocr, "<meta name=\"ocr-system\" content=\"nnocr\"/>"));
  CHECK(contains(hocr, "<meta name=\"ocr-capabilities\" content=\"ocr_page ocr_carea ocr_par ocr_line ocrx_word"));
  // Page: the image path escaped inside the title; ppageno counts from 0.
  CHECK(contains(hocr,
                 "<div class=\"ocr_page\" id=\"page_1\" title=\"image &quot;scans/a&amp;b &quot;1&quot;.png&quot;; "
                 "bbox 0 0 400 120; ppageno 0\">"));
  CHECK(contains(hocr, "<div class=\"ocr_carea\" id=\"block_1_1\" title=\"bbox 10 20 310 108\">"));
  CHECK(contains(hocr, "<p class=\"ocr_par\" id=\"par_1_1\" title=\"bbox 10 20 310 108\">"));
  // Boxes end exclusively: x1 = x + width, y1 = y + height.
  CHECK(contains(hocr, "<span class=\"ocr_line\" id=\"line_1_1\" title=\"bbox 10 20 310 60\">"));
  CHECK(contains(hocr,
                 "<span class=\"ocrx_word\" id=\"word_1_1\" title=\"bbox 10 22 110 58; x_wconf 88\">"
                 "&lt;&amp;&gt;&quot;&#39;</span>"));
  CHECK(contains(hocr,
                 "<span class=\"ocrx_word\" id=\"word_1_2\" title=\"bbox 130 20 310 60; x_wconf 50\">"
                 "caf\xC3\xA9\tok</span>"));
  CHECK(contains(hocr, "<span class=\"ocr_line\" id=\"line_1_2\" title=\"bbox 12 70 162 108\">"));
  CHECK(
      contains(hocr, "<span class=\"ocrx_word\" id=\"word_1_3\" title=\"bbox 12 70 162 108; x_wconf 13\">done</span>"));
  // The empty page: an ocr_page with nothing in it.
  CHECK(contains(hocr,
                 "<div class=\"ocr_page\" id=\"page_2\" title=\"image &quot;blank.png&quot;; bbox 0 0 64 32; "
                 "ppageno 1\">\n  </div>"));
  CHECK(count(hocr, "class=\"ocr_line\"") == 2);
  CHECK(count(hocr, "class=\"ocrx_word\"") == 3);
  CHECK(count(hocr, "<html") == 1);
  // No pages: still a document.
  CHECK(xml_problem(write_document(OutputFormat::hocr, {})) == "");
}

TEST_CASE("OCR output: ALTO v4 is well-formed with pixel boxes, word confidences and spaces") {
  const std::string alto = write_document(OutputFormat::alto, {sample_page(), empty_page()});
  CHECK(xml_problem(alto) == "");
  CHECK(nnocr::data::is_valid_utf8(alto));
  CHECK(contains(alto, "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\""));
  CHECK(contains(alto, "<MeasurementUnit>pixel</MeasurementUnit>"));
  CHECK(contains(alto, "<fileName>scans/a&amp;b &quot;1&quot;.png</fileName>"));
  CHECK(contains(alto, "<Page ID=\"page_1\" PHYSICAL_IMG_NR=\"1\" WIDTH=\"400\" HEIGHT=\"120\">"));
  CHECK(contains(alto, "<PrintSpace HPOS=\"0\" VPOS=\"0\" WIDTH=\"400\" HEIGHT=\"120\">"));
  CHECK(contains(alto, "<TextBlock ID=\"block_1_1\" HPOS=\"10\" VPOS=\"20\" WIDTH=\"300\" HEIGHT=\"88\">"));
  CHECK(contains(alto, "<TextLine ID=\"line_1_1\" HPOS=\"10\" VPOS=\"20\" WIDTH=\"300\" HEIGHT=\"40\">"));
  CHECK(contains(alto,
                 "<String ID=\"string_1_1\" HPOS=\"10\" VPOS=\"22\" WIDTH=\"100\" HEIGHT=\"36\" WC=\"0.8750\" "
                 "CONTENT=\"&lt;&amp;&gt;&quot;&#39;\"/>"));
  // The space between the two words: from the first word's right edge to the second's left.
  CHECK(contains(alto, "<SP HPOS=\"110\" VPOS=\"20\" WIDTH=\"20\"/>"));
  // A tab in an attribute is kept as a character reference (XML would turn a raw one into a space).
  CHECK(contains(alto,
                 "<String ID=\"string_1_2\" HPOS=\"130\" VPOS=\"20\" WIDTH=\"180\" HEIGHT=\"40\" WC=\"0.5000\" "
                 "CONTENT=\"caf\xC3\xA9&#9;ok\"/>"));
  CHECK(contains(alto, "<TextLine ID=\"line_1_2\" HPOS=\"12\" VPOS=\"70\" WIDTH=\"150\" HEIGHT=\"38\">"));
  CHECK(contains(alto, "WC=\"0.1250\" CONTENT=\"done\"/>"));
  CHECK(count(alto, "<SP ") == 1);  // between words, not after the last one
  CHECK(count(alto, "<String ") == 3);
  CHECK(contains(alto,
                 "<Page ID=\"page_2\" PHYSICAL_IMG_NR=\"2\" WIDTH=\"64\" HEIGHT=\"32\">\n"
                 "   <PrintSpace HPOS=\"0\" VPOS=\"0\" WIDTH=\"64\" HEIGHT=\"32\">\n   </PrintSpace>\n  </Page>"));
  CHECK(count(alto, "<TextBlock ") == 1);
  CHECK(xml_problem(write_document(OutputFormat::alto, {})) == "");
}

TEST_CASE("OCR output: JSON reads back field by field") {
  const std::string text = write_document(OutputFormat::json, {sample_page(), empty_page()});
  const Json doc = io::parse_json(text, "ocr output");
  REQUIRE(doc.at("pages").size() == 2);

  const PageResult expected = sample_page();
  const Json& page = doc.at("pages").at(std::size_t{0});
  CHECK(page.size() == 4);
  CHECK(page.at("source").as_string() == expected.source);
  CHECK(page.at("width").as_int() == 400);
  CHECK(page.at("height").as_int() == 120);
  const auto check_box = [](const Json& box, const Box& want) {
    REQUIRE(box.size() == 4);
    CHECK(box.at(std::size_t{0}).as_int() == want.x);
    CHECK(box.at(std::size_t{1}).as_int() == want.y);
    CHECK(box.at(std::size_t{2}).as_int() == want.width);
    CHECK(box.at(std::size_t{3}).as_int() == want.height);
  };
  REQUIRE(page.at("lines").size() == 2);
  for (std::size_t l = 0; l < 2; ++l) {
    CAPTURE(l);
    const LineResult& want_line = expected.lines[l];
    const Json& line = page.at("lines").at(l);
    CHECK(line.at("text").as_string() == want_line.text);
    CHECK(line.at("confidence").as_double() == want_line.confidence);
    check_box(line.at("box"), want_line.box);
    REQUIRE(line.at("words").size() == want_line.words.size());
    for (std::size_t w = 0; w < want_line.words.size(); ++w) {
      CAPTURE(w);
      const WordResult& want_word = want_line.words[w];
      const Json& word = line.at("words").at(w);
      CHECK(word.at("text").as_string() == want_word.text);
      CHECK(word.at("confidence").as_double() == want_word.confidence);
      check_box(word.at("box"), want_word.box);
      REQUIRE(word.at("chars").size() == want_word.chars.size());
      for (std::size_t c = 0; c < want_word.chars.size(); ++c) {
        CAPTURE(c);
        const Json& ch = word.at("chars").at(c);
        CHECK(ch.at("text").as_string() == want_word.chars[c].text);
        CHECK(ch.at("confidence").as_double() == want_word.chars[c].confidence);
        check_box(ch.at("box"), want_word.chars[c].box);
      }
    }
  }
  CHECK(page.at("lines")
            .at(std::size_t{0})
            .at("words")
            .at(std::size_t{1})
            .at("chars")
            .at(std::size_t{3})
            .at("text")
            .as_string() == "\xC3\xA9");

  const Json& empty = doc.at("pages").at(std::size_t{1});
  CHECK(empty.at("source").as_string() == "blank.png");
  CHECK(empty.at("width").as_int() == 64);
  CHECK(empty.at("lines").as_array().empty());

  // A float confidence is written without its noise digits.
  PageResult noisy = one_line_page("a.png", "x");
  noisy.lines[0].confidence = 0.97f;
  const std::string noisy_text = write_document(OutputFormat::json, {noisy});
  CHECK(contains(noisy_text, "\"confidence\":0.97,"));
  CHECK(io::parse_json(noisy_text)
            .at("pages")
            .at(std::size_t{0})
            .at("lines")
            .at(std::size_t{0})
            .at("confidence")
            .as_double() == 0.97);
  // No pages: an empty list.
  CHECK(io::parse_json(write_document(OutputFormat::json, {})) == io::parse_json(R"({"pages": []})"));
}

TEST_CASE("OCR output: pages stream in order, each flushed before the next arrives") {
  const std::vector<PageResult> pages = {one_line_page("first.png", "one"), empty_page("second.png"),
                                         one_line_page("third.png", "three")};
  for (const OutputFormat format : kAllFormats) {
    CAPTURE(format_name(format));
    CountingBuffer buffer;
    std::ostream out(&buffer);
    OcrWriter writer(out, format);
    std::size_t written = 0;
    for (std::size_t p = 0; p < pages.size(); ++p) {
      writer.page(pages[p]);
      CHECK(writer.pages_written() == static_cast<int>(p) + 1);
      CHECK(buffer.flushes == static_cast<int>(p) + 1);
      CHECK(buffer.str().size() > written);  // this page is out before finish()
      written = buffer.str().size();
    }
    writer.finish();
    const std::string doc = buffer.str();
    switch (format) {
      case OutputFormat::txt: CHECK(doc == "one\n\nthree\n"); break;
      case OutputFormat::tsv: {
        std::vector<std::string> page_rows;
        for (const std::string& row : tsv_rows(doc))
          if (row.rfind("1\t", 0) == 0) page_rows.push_back(row);
        CHECK(page_rows == std::vector<std::string>{"1\t1\t0\t0\t0\t0\t0\t0\t200\t40\t-1\t",
                                                    "1\t2\t0\t0\t0\t0\t0\t0\t64\t32\t-1\t",
                                                    "1\t3\t0\t0\t0\t0\t0\t0\t200\t40\t-1\t"});
        CHECK(count(doc, "level\t") == 1);
        CHECK(contains(doc, "5\t3\t1\t1\t1\t1\t5\t6\t100\t30\t50.00\tthree\n"));
        break;
      }
      case OutputFormat::hocr: {
        CHECK(xml_problem(doc) == "");
        const std::size_t first =
            doc.find("id=\"page_1\" title=\"image &quot;first.png&quot;; bbox 0 0 200 40; ppageno 0\"");
        const std::size_t second =
            doc.find("id=\"page_2\" title=\"image &quot;second.png&quot;; bbox 0 0 64 32; ppageno 1\"");
        const std::size_t third =
            doc.find("id=\"page_3\" title=\"image &quot;third.png&quot;; bbox 0 0 200 40; ppageno 2\"");
        CHECK(first < second);
        CHECK(second < third);
        CHECK(third != std::string::npos);
        CHECK(contains(doc, "id=\"word_3_1\""));  // ids stay unique across pages
        break;
      }
      case OutputFormat::alto: {
        CHECK(xml_problem(doc) == "");
        CHECK(contains(doc, "<fileName>first.png</fileName>"));  // ALTO names one image: the first
        const std::size_t first = doc.find("<Page ID=\"page_1\" PHYSICAL_IMG_NR=\"1\"");
        const std::size_t second = doc.find("<Page ID=\"page_2\" PHYSICAL_IMG_NR=\"2\"");
        const std::size_t third = doc.find("<Page ID=\"page_3\" PHYSICAL_IMG_NR=\"3\"");
        CHECK(first < second);
        CHECK(second < third);
        CHECK(third != std::string::npos);
        CHECK(contains(doc, "<String ID=\"string_3_1\""));
        break;
      }
      case OutputFormat::json: {
        const Json parsed = io::parse_json(doc);
        REQUIRE(parsed.at("pages").size() == 3);
        CHECK(parsed.at("pages").at(std::size_t{0}).at("source").as_string() == "first.png");
        CHECK(parsed.at("pages").at(std::size_t{1}).at("source").as_string() == "second.png");
        CHECK(parsed.at("pages").at(std::size_t{2}).at("source").as_string() == "third.png");
        break;
      }
    }
  }
}

TEST_CASE("OCR output: finish() closes once; the destructor closes an unfinished document") {
  for (const OutputFormat format : kAllFormats) {
    CAPTURE(format_name(format));
    std::ostringstream finished, destroyed;
    {
      OcrWriter writer(finished, format);
      writer.page(sample_page());
      writer.finish();
      writer.finish();
      CHECK_THROWS_WITH_AS(writer.page(sample_page()), "OcrWriter: page() after finish()", Error);
    }
    {
      OcrWriter writer(destroyed, format);
      writer.page(sample_page());
    }
    CHECK(destroyed.str() == finished.str());
    CHECK(finished.str() == write_document(format, {sample_page()}));
  }
  CHECK(count(write_document(OutputFormat::hocr, {sample_page()}), "</html>") == 1);
  CHECK(count(write_document(OutputFormat::alto, {sample_page()}), "</alto>") == 1);
}

TEST_CASE("OCR output: invalid UTF-8 and characters XML forbids come out as U+FFFD") {
  const std::string bad =
      "a\xFF"
      "b\x01"
      "c\xC3";  // a stray byte, a control character, a truncated sequence
  const std::string fffd = "\xEF\xBF\xBD";
  PageResult page = one_line_page("x\xE2\x82.png", bad);
  page.lines[0].words[0].chars.push_back({"\xC3", {5, 6, 10, 30}, 0.5f});
  for (const OutputFormat format : kAllFormats) {
    CAPTURE(format_name(format));
    const std::string doc = write_document(format, {page});
    CHECK(nnocr::data::is_valid_utf8(doc));
    if (format == OutputFormat::hocr || format == OutputFormat::alto) {
      CHECK(xml_problem(doc) == "");
      CHECK(contains(doc, "a" + fffd + "b" + fffd + "c" + fffd));
      CHECK(!contains(doc, "\x01"));
    }
  }
  CHECK(write_document(OutputFormat::txt, {page}) == "a" + fffd +
                                                         "b\x01"
                                                         "c" +
                                                         fffd + "\n");
  const Json doc = io::parse_json(write_document(OutputFormat::json, {page}));
  const Json& page_json = doc.at("pages").at(std::size_t{0});
  CHECK(page_json.at("source").as_string() == "x" + fffd + fffd + ".png");  // one U+FFFD per bad byte
  const Json& word = page_json.at("lines").at(std::size_t{0}).at("words").at(std::size_t{0});
  CHECK(word.at("text").as_string() == "a" + fffd +
                                           "b\x01"
                                           "c" +
                                           fffd);  // JSON can carry a control character
  CHECK(word.at("chars").at(std::size_t{0}).at("text").as_string() == fffd);
}

TEST_CASE("OCR output: a line with text but no words is written as one word") {
  PageResult page;
  page.source = "line.png";
  page.width = 300;
  page.height = 50;
  page.lines.push_back({"whole line", {4, 5, 250, 40}, 0.5f, {}});
  page.lines.push_back({"", {4, 45, 10, 5}, 0.5f, {}});  // neither text nor words
  const std::vector<std::string> rows = tsv_rows(write_document(OutputFormat::tsv, {page}));
  CHECK(rows[rows.size() - 2] == "5\t1\t1\t1\t1\t1\t4\t5\t250\t40\t50.00\twhole line");
  CHECK(rows.back() == "4\t1\t1\t1\t2\t0\t4\t45\t10\t5\t50.00\t");
  const std::string hocr = write_document(OutputFormat::hocr, {page});
  CHECK(xml_problem(hocr) == "");
  CHECK(contains(hocr, "title=\"bbox 4 5 254 45; x_wconf 50\">whole line</span>"));
  CHECK(count(hocr, "class=\"ocr_line\"") == 2);
  const std::string alto = write_document(OutputFormat::alto, {page});
  CHECK(xml_problem(alto) == "");
  CHECK(contains(alto,
                 "<String ID=\"string_1_1\" HPOS=\"4\" VPOS=\"5\" WIDTH=\"250\" HEIGHT=\"40\" WC=\"0.5000\" "
                 "CONTENT=\"whole line\"/>"));
  CHECK(count(alto, "<TextLine ") == 1);  // an ALTO TextLine needs a String
  // JSON writes what it was given.
  const Json json = io::parse_json(write_document(OutputFormat::json, {page}));
  CHECK(json.at("pages").at(std::size_t{0}).at("lines").at(std::size_t{0}).at("words").as_array().empty());
  CHECK(write_document(OutputFormat::txt, {page}) == "whole line\n\n");
}

TEST_CASE("OCR output: a bad page is refused before any of it is written") {
  PageResult page = sample_page();
  page.lines[0].words[1].confidence = std::numeric_limits<float>::quiet_NaN();
  for (const OutputFormat format : kAllFormats) {
    CAPTURE(format_name(format));
    std::ostringstream out;
    OcrWriter writer(out, format);
    CHECK_THROWS_WITH_AS(writer.page(page),
                         "OcrWriter: page 1 (scans/a&b \"1\".png), line 1, word 2: confidence nan is not in [0, 1]",
                         Error);
    CHECK(out.str().empty());
    CHECK(writer.pages_written() == 0);
    writer.page(sample_page());  // the next good page is still page 1
    writer.finish();
    CHECK(out.str() == write_document(format, {sample_page()}));
  }
  PageResult wide = sample_page();
  wide.lines[1].words[0].chars.push_back({"x", {0, 0, 1, 1}, 1.5f});
  CHECK_THROWS_WITH_AS(write_document(OutputFormat::json, {wide}),
                       doctest::Contains("line 2, word 1, character 1: confidence 1.5"), Error);
  PageResult negative = sample_page();
  negative.lines[1].box.width = -3;
  CHECK_THROWS_WITH_AS(write_document(OutputFormat::tsv, {negative}),
                       doctest::Contains("line 2: box -3x38 has a negative size"), Error);
}

TEST_CASE("OCR output: a stream that fails is reported, and the destructor does not throw") {
  std::ostream broken(nullptr);  // badbit set: every write fails
  bool threw = false;
  {
    OcrWriter writer(broken, OutputFormat::hocr);
    try {
      writer.page(sample_page());
    } catch (const Error& e) {
      threw = true;
      CHECK(std::string(e.what()) == "OcrWriter: writing hocr output failed");
    }
  }  // ~OcrWriter calls finish(), which fails again: swallowed
  CHECK(threw);
}
