// ocr_output.hpp — writes OCR results (ocr_result.hpp) as plain text, TSV,
// hOCR, ALTO or JSON, one page at a time, so a long batch streams.
//
//   OcrWriter writer(std::cout, parse_output_format("hocr"));
//   for (const auto& path : images) writer.page(recognize(path));  // flushed after each page
//   writer.finish();                                                 // closes </body></html>
//
// Pages are numbered from 1 in the order they are given. What each format
// writes (boxes are the pixel boxes of ocr_result.hpp, x y width height):
//
//   txt   each line's text on its own line; a page without lines writes one
//         empty line, so single-line images give one output line each.
//   tsv   Tesseract's TSV: a header row, then per page a level-1 row (the
//         page box), a level-2 (block) and level-3 (paragraph) row covering
//         all lines (block_num 1, par_num 1), per line a level-4 row and per
//         word a level-5 row. conf is 100 x confidence with 2 decimals on
//         word rows and -1 on page, block and paragraph rows; on line rows
//         Tesseract writes -1, we write the line's confidence x 100.
//         Tabs and line breaks in text become spaces.
//   hocr  one XHTML document (hOCR 1.2): per page an ocr_page
//         (title "image "path"; bbox 0 0 w h; ppageno n", where ppageno
//         counts from 0 as the spec's "front cover is page 0"), one ocr_carea
//         and ocr_par around the lines, an ocr_line per line (title
//         "bbox x0 y0 x1 y1"), an ocrx_word per word ("bbox ...; x_wconf 96",
//         percent rounded to an integer). hOCR boxes end exclusively:
//         x1 = x + width.
//   alto  one ALTO v4 document: MeasurementUnit pixel, the first page's
//         source as sourceImageInformation/fileName (ALTO names one image
//         per document), per page a Page with a PrintSpace and one
//         TextBlock, a TextLine per line, a String per word (WC = confidence
//         in [0, 1], 4 decimals) and an SP between words.
//   json  {"pages": [{"source", "width", "height", "lines": [{"text",
//         "confidence", "box": [x, y, w, h], "words": [{"text", "confidence",
//         "box", "chars": [{"text", "confidence", "box"}]}]}]}]}, one page
//         object per output line; confidences rounded to 6 decimals so a
//         float's noise digits do not show.
//
// TSV, hOCR and ALTO carry text only in words: a line that has text but no
// words is written as one word covering the line. ALTO leaves out a line
// with neither (a TextLine needs a String).
//
// Text comes out as valid UTF-8 in every format: each byte that does not
// begin a valid UTF-8 sequence becomes U+FFFD, and so do the characters XML
// does not allow (control characters other than tab, line feed and carriage
// return; U+FFFE, U+FFFF). Numbers are written without the C++ locale.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../data/utf8.hpp"
#include "../io/json.hpp"
#include "ocr_result.hpp"

namespace nnocr::pipeline {

enum class OutputFormat { txt, tsv, hocr, alto, json };

namespace detail {

// The one table of format names, in enum order.
inline constexpr const char* kOutputFormatNames[] = {"txt", "tsv", "hocr", "alto", "json"};
static_assert(sizeof kOutputFormatNames / sizeof kOutputFormatNames[0] ==
                  static_cast<std::size_t>(OutputFormat::json) + 1,
              "one name per OutputFormat");

}  // namespace detail

// "txt", "tsv", "hocr", "alto", "json".
inline const char* format_name(OutputFormat format) {
  const auto i = static_cast<std::size_t>(format);
  return i < std::size(detail::kOutputFormatNames) ? detail::kOutputFormatNames[i] : "?";
}

// The format called `name` (exactly as format_name writes it); throws
// nnocr::Error naming the bad value and the valid ones.
inline OutputFormat parse_output_format(const std::string& name) {
  std::string valid;
  for (std::size_t i = 0; i < std::size(detail::kOutputFormatNames); ++i) {
    if (name == detail::kOutputFormatNames[i]) return static_cast<OutputFormat>(i);
    valid += (i ? ", " : "") + std::string(detail::kOutputFormatNames[i]);
  }
  throw Error(nnocr::detail::concat("unknown output format '", name, "' (expected one of: ", valid, ")"));
}

namespace detail {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// Calls emit(code_point, bytes) for each character of `text`; each byte that
// does not begin a valid UTF-8 sequence (the strict rules of data/utf8.hpp)
// comes as U+FFFD.
template <class Emit>
void for_each_character_replacing_invalid(std::string_view text, Emit&& emit) {
  for (std::size_t pos = 0; pos < text.size();) {
    const unsigned char byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      emit(static_cast<char32_t>(byte), text.substr(pos, 1));
      ++pos;
      continue;
    }
    const data::detail::Utf8Step step = data::detail::decode_utf8_step(text, pos);
    if (step.length == 0) {
      emit(U'\uFFFD', kReplacementCharacter);
      ++pos;
      continue;
    }
    emit(step.code_point, text.substr(pos, static_cast<std::size_t>(step.length)));
    pos += static_cast<std::size_t>(step.length);
  }
}

inline std::string valid_utf8(std::string_view text) {
  if (data::is_valid_utf8(text)) return std::string(text);
  std::string out;
  for_each_character_replacing_invalid(text, [&](char32_t, std::string_view bytes) { out += bytes; });
  return out;
}

// Valid UTF-8 with tab, line feed and carriage return replaced by spaces
// (TSV fields); with keep_tabs, only line breaks are replaced (txt lines).
inline std::string one_line(std::string_view text, bool keep_tabs) {
  std::string out = valid_utf8(text);
  for (char& c : out)
    if (c == '\n' || c == '\r' || (c == '\t' && !keep_tabs)) c = ' ';
  return out;
}

// XML character data or attribute value: & < > " ' as entities; tab, line
// feed and carriage return in attributes (and carriage return in text) as
// character references, so XML's normalization keeps them; characters XML
// 1.0 does not allow and invalid UTF-8 as U+FFFD.
inline std::string xml_escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for_each_character_replacing_invalid(text, [&](char32_t cp, std::string_view bytes) {
    switch (cp) {
      case '&': out += "&amp;"; return;
      case '<': out += "&lt;"; return;
      case '>': out += "&gt;"; return;
      case '"': out += "&quot;"; return;
      case '\'': out += "&#39;"; return;  // &apos; is not HTML 4, and hOCR is read as HTML too
      case '\r': out += "&#13;"; return;
      case '\t': out += attribute ? "&#9;" : "\t"; return;
      case '\n': out += attribute ? "&#10;" : "\n"; return;
      default: break;
    }
    if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF)
      out += kReplacementCharacter;
    else
      out += bytes;
  });
  return out;
}

// `value` with `decimals` digits after the point, rounded half away from
// zero, independent of the locale: fixed_decimal(96.0625, 2) == "96.06".
inline std::string fixed_decimal(double value, int decimals) {
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  const std::int64_t scaled = std::llround(value * static_cast<double>(scale));
  const std::int64_t magnitude = scaled < 0 ? -scaled : scaled;
  std::string out = scaled < 0 ? "-" : "";
  out += std::to_string(magnitude / scale);
  if (decimals > 0) {
    const std::string fraction = std::to_string(magnitude % scale);
    out += '.';
    out.append(static_cast<std::size_t>(decimals) - fraction.size(), '0');
    out += fraction;
  }
  return out;
}

// The smallest box holding all lines of the page (the block and paragraph
// of TSV, hOCR and ALTO).
inline Box lines_box(const PageResult& page) {
  if (page.lines.empty()) return {};
  int x0 = page.lines[0].box.x, y0 = page.lines[0].box.y;
  int x1 = x0 + page.lines[0].box.width, y1 = y0 + page.lines[0].box.height;
  for (const LineResult& line : page.lines) {
    x0 = std::min(x0, line.box.x);
    y0 = std::min(y0, line.box.y);
    x1 = std::max(x1, line.box.x + line.box.width);
    y1 = std::max(y1, line.box.y + line.box.height);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

// The words of a line for the formats that carry text only in words: a
// line with text but no words becomes one word covering the line.
inline std::vector<WordResult> words_or_whole_line(const LineResult& line) {
  if (!line.words.empty() || line.text.empty()) return line.words;
  return {WordResult{line.text, line.box, line.confidence, {}}};
}

// Throws nnocr::Error, before anything of the page is written, when a
// confidence is not in [0, 1] or a box has a negative size.
inline void check_page(const PageResult& page, int page_number) {
  const auto where = [&](std::size_t line, std::size_t word, std::size_t ch) {
    std::string s = nnocr::detail::concat("OcrWriter: page ", page_number, " (", page.source, ")");
    if (line) s += nnocr::detail::concat(", line ", line);
    if (word) s += nnocr::detail::concat(", word ", word);
    if (ch) s += nnocr::detail::concat(", character ", ch);
    return s;
  };
  const auto check = [&](const Box& box, float confidence, std::size_t line, std::size_t word, std::size_t ch) {
    NNOCR_CHECK(confidence >= 0.0f && confidence <= 1.0f, where(line, word, ch), ": confidence ", confidence,
                " is not in [0, 1]");
    NNOCR_CHECK(box.width >= 0 && box.height >= 0, where(line, word, ch), ": box ", box.width, "x", box.height,
                " has a negative size");
  };
  NNOCR_CHECK(page.width >= 0 && page.height >= 0, where(0, 0, 0), ": negative page size ", page.width, "x",
              page.height);
  for (std::size_t l = 0; l < page.lines.size(); ++l) {
    const LineResult& line = page.lines[l];
    check(line.box, line.confidence, l + 1, 0, 0);
    for (std::size_t w = 0; w < line.words.size(); ++w) {
      const WordResult& word = line.words[w];
      check(word.box, word.confidence, l + 1, w + 1, 0);
      for (std::size_t c = 0; c < word.chars.size(); ++c)
        check(word.chars[c].box, word.chars[c].confidence, l + 1, w + 1, c + 1);
    }
  }
}

// ---- txt ----

inline std::string txt_page(const PageResult& page) {
  if (page.lines.empty()) return "\n";
  std::string out;
  for (const LineResult& line : page.lines) out += one_line(line.text, /*keep_tabs=*/true) + '\n';
  return out;
}

// ---- tsv ----

inline constexpr const char* kTsvHeader =
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";

inline std::string tsv_row(int level, int page, int block, int par, int line, int word, const Box& box,
                           const std::string& conf, std::string_view text) {
  std::string row;
  for (const int v : {level, page, block, par, line, word, box.x, box.y, box.width, box.height})
    row += std::to_string(v) + '\t';
  return row + conf + '\t' + one_line(text, /*keep_tabs=*/false) + '\n';
}

inline std::string tsv_page(const PageResult& page, int page_number) {
  std::string out = tsv_row(1, page_number, 0, 0, 0, 0, Box{0, 0, page.width, page.height}, "-1", "");
  if (page.lines.empty()) return out;
  const Box block = lines_box(page);
  out += tsv_row(2, page_number, 1, 0, 0, 0, block, "-1", "");
  out += tsv_row(3, page_number, 1, 1, 0, 0, block, "-1", "");
  for (std::size_t l = 0; l < page.lines.size(); ++l) {
    const LineResult& line = page.lines[l];
    const int line_num = static_cast<int>(l) + 1;
    out += tsv_row(4, page_number, 1, 1, line_num, 0, line.box, fixed_decimal(100.0 * line.confidence, 2), "");
    const std::vector<WordResult> words = words_or_whole_line(line);
    for (std::size_t w = 0; w < words.size(); ++w)
      out += tsv_row(5, page_number, 1, 1, line_num, static_cast<int>(w) + 1, words[w].box,
                     fixed_decimal(100.0 * words[w].confidence, 2), words[w].text);
  }
  return out;
}

// ---- hOCR ----

inline constexpr const char* kHocrBegin =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
    "    \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\">\n"
    " <head>\n"
    "  <title></title>\n"
    "  <meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n"
    "  <meta name=\"ocr-system\" content=\"nnocr\"/>\n"
    "  <meta name=\"ocr-capabilities\" content=\"ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf\"/>\n"
    " </head>\n"
    " <body>\n";
inline constexpr const char* kHocrEnd = " </body>\n</html>\n";

// "bbox x0 y0 x1 y1", the end exclusive.
inline std::string hocr_bbox(const Box& box) {
  return nnocr::detail::concat("bbox ", box.x, ' ', box.y, ' ', box.x + box.width, ' ', box.y + box.height);
}

inline std::string hocr_page(const PageResult& page, int page_number) {
  const std::string p = std::to_string(page_number);
  std::string title;
  if (!page.source.empty()) title = "image \"" + page.source + "\"; ";
  title += hocr_bbox(Box{0, 0, page.width, page.height}) + "; ppageno " + std::to_string(page_number - 1);
  std::string out = "  <div class=\"ocr_page\" id=\"page_" + p + "\" title=\"" + xml_escape(title, true) + "\">\n";
  if (!page.lines.empty()) {
    const std::string block = hocr_bbox(lines_box(page));
    out += "   <div class=\"ocr_carea\" id=\"block_" + p + "_1\" title=\"" + block + "\">\n";
    out += "    <p class=\"ocr_par\" id=\"par_" + p + "_1\" title=\"" + block + "\">\n";
    int word_id = 0;
    for (std::size_t l = 0; l < page.lines.size(); ++l) {
      const LineResult& line = page.lines[l];
      out += "     <span class=\"ocr_line\" id=\"line_" + p + "_" + std::to_string(l + 1) + "\" title=\"" +
             hocr_bbox(line.box) + "\">";
      for (const WordResult& word : words_or_whole_line(line)) {
        const long percent = std::lround(100.0 * word.confidence);
        out += "\n      <span class=\"ocrx_word\" id=\"word_" + p + "_" + std::to_string(++word_id) + "\" title=\"" +
               hocr_bbox(word.box) + "; x_wconf " + std::to_string(percent) + "\">" + xml_escape(word.text, false) +
               "</span>";
      }
      out += "\n     </span>\n";
    }
    out += "    </p>\n   </div>\n";
  }
  return out + "  </div>\n";
}

// ---- ALTO ----

inline std::string alto_begin(const std::string& source) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# "
         "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd\">\n"
         " <Description>\n"
         "  <MeasurementUnit>pixel</MeasurementUnit>\n"
         "  <sourceImageInformation>\n"
         "   <fileName>" +
         xml_escape(source, false) +
         "</fileName>\n"
         "  </sourceImageInformation>\n"
         "  <Processing ID=\"OCR_0\">\n"
         "   <processingSoftware>\n"
         "    <softwareName>nnocr</softwareName>\n"
         "   </processingSoftware>\n"
         "  </Processing>\n"
         " </Description>\n"
         " <Layout>\n";
}
inline constexpr const char* kAltoEnd = " </Layout>\n</alto>\n";

// ` HPOS="x" VPOS="y" WIDTH="w" HEIGHT="h"`.
inline std::string alto_box(const Box& box) {
  return nnocr::detail::concat(" HPOS=\"", box.x, "\" VPOS=\"", box.y, "\" WIDTH=\"", box.width, "\" HEIGHT=\"",
                               box.height, '"');
}

inline std::string alto_page(const PageResult& page, int page_number) {
  const std::string p = std::to_string(page_number);
  std::string out = "  <Page ID=\"page_" + p + "\" PHYSICAL_IMG_NR=\"" + p + "\" WIDTH=\"" +
                    std::to_string(page.width) + "\" HEIGHT=\"" + std::to_string(page.height) + "\">\n";
  out += "   <PrintSpace" + alto_box(Box{0, 0, page.width, page.height}) + ">\n";
  if (!page.lines.empty()) {
    out += "    <TextBlock ID=\"block_" + p + "_1\"" + alto_box(lines_box(page)) + ">\n";
    int string_id = 0;
    for (std::size_t l = 0; l < page.lines.size(); ++l) {
      const LineResult& line = page.lines[l];
      const std::vector<WordResult> words = words_or_whole_line(line);
      if (words.empty()) continue;
      out += "     <TextLine ID=\"line_" + p + "_" + std::to_string(l + 1) + "\"" + alto_box(line.box) + ">\n";
      for (std::size_t w = 0; w < words.size(); ++w) {
        const WordResult& word = words[w];
        if (w > 0) {
          const Box& before = words[w - 1].box;
          const int gap_start = before.x + before.width;
          out += "      <SP HPOS=\"" + std::to_string(gap_start) + "\" VPOS=\"" + std::to_string(line.box.y) +
                 "\" WIDTH=\"" + std::to_string(std::max(0, word.box.x - gap_start)) + "\"/>\n";
        }
        out += "      <String ID=\"string_" + p + "_" + std::to_string(++string_id) + "\"" + alto_box(word.box) +
               " WC=\"" + fixed_decimal(word.confidence, 4) + "\" CONTENT=\"" + xml_escape(word.text, true) + "\"/>\n";
      }
      out += "     </TextLine>\n";
    }
    out += "    </TextBlock>\n";
  }
  return out + "   </PrintSpace>\n  </Page>\n";
}

// ---- JSON ----

inline io::Json json_box(const Box& box) { return io::Json(io::Json::Array{box.x, box.y, box.width, box.height}); }

// A float confidence as the double of its value rounded to 6 decimals:
// 0.97f is written 0.97, not 0.9700000286102295.
inline io::Json json_confidence(float confidence) {
  return io::Json(std::round(static_cast<double>(confidence) * 1e6) / 1e6);
}

inline io::Json json_page(const PageResult& page) {
  io::Json lines = io::Json::array();
  for (const LineResult& line : page.lines) {
    io::Json words = io::Json::array();
    for (const WordResult& word : line.words) {
      io::Json chars = io::Json::array();
      for (const CharResult& ch : word.chars)
        chars.push_back(io::Json::object()
                            .set("text", valid_utf8(ch.text))
                            .set("confidence", json_confidence(ch.confidence))
                            .set("box", json_box(ch.box)));
      words.push_back(io::Json::object()
                          .set("text", valid_utf8(word.text))
                          .set("confidence", json_confidence(word.confidence))
                          .set("box", json_box(word.box))
                          .set("chars", std::move(chars)));
    }
    lines.push_back(io::Json::object()
                        .set("text", valid_utf8(line.text))
                        .set("confidence", json_confidence(line.confidence))
                        .set("box", json_box(line.box))
                        .set("words", std::move(words)));
  }
  return io::Json::object()
      .set("source", valid_utf8(page.source))
      .set("width", page.width)
      .set("height", page.height)
      .set("lines", std::move(lines));
}

}  // namespace detail

// Streams a document of pages to `out` in one format. The document's
// opening (XML prologue, TSV header, `{"pages": [`) is written with the first
// page, so ALTO can name the first page's image; finish() writes the closing,
// or the whole empty document when no page came. The stream is flushed after
// each page. Errors (a bad page, a stream that fails) throw nnocr::Error.
class OcrWriter {
 public:
  OcrWriter(std::ostream& out, OutputFormat format) : out_(out), format_(format) {}
  OcrWriter(const OcrWriter&) = delete;
  OcrWriter& operator=(const OcrWriter&) = delete;

  // Finishes the document if finish() was not called; errors are swallowed
  // here (call finish() to see them).
  ~OcrWriter() {
    if (finished_) return;
    try {
      finish();
    } catch (...) {
    }
  }

  OutputFormat format() const { return format_; }
  // Pages written so far; the next page gets number pages_written() + 1.
  int pages_written() const { return pages_; }

  // Writes one page as page number pages_written() + 1. The page is checked
  // first (confidences in [0, 1], no negative sizes); a bad page throws and
  // writes nothing.
  void page(const PageResult& page) {
    NNOCR_CHECK(!finished_, "OcrWriter: page() after finish()");
    const int number = pages_ + 1;
    detail::check_page(page, number);
    std::string text = begun_ ? "" : begin_document(page.source);
    switch (format_) {
      case OutputFormat::txt: text += detail::txt_page(page); break;
      case OutputFormat::tsv: text += detail::tsv_page(page, number); break;
      case OutputFormat::hocr: text += detail::hocr_page(page, number); break;
      case OutputFormat::alto: text += detail::alto_page(page, number); break;
      case OutputFormat::json: text += (pages_ ? ",\n" : "") + io::to_json(detail::json_page(page)); break;
    }
    begun_ = true;
    pages_ = number;
    write(text);
  }

  // Writes the end of the document; later calls do nothing.
  void finish() {
    if (finished_) return;
    finished_ = true;
    std::string text = begun_ ? "" : begin_document("");
    switch (format_) {
      case OutputFormat::txt:
      case OutputFormat::tsv: break;
      case OutputFormat::hocr: text += detail::kHocrEnd; break;
      case OutputFormat::alto: text += detail::kAltoEnd; break;
      case OutputFormat::json: text += pages_ ? "\n]}\n" : "]}\n"; break;
    }
    write(text);
  }

 private:
  std::string begin_document(const std::string& first_source) const {
    switch (format_) {
      case OutputFormat::txt: return "";
      case OutputFormat::tsv: return detail::kTsvHeader;
      case OutputFormat::hocr: return detail::kHocrBegin;
      case OutputFormat::alto: return detail::alto_begin(first_source);
      case OutputFormat::json: return "{\"pages\": [\n";
    }
    return "";
  }

  void write(const std::string& text) {
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
    out_.flush();
    NNOCR_CHECK(out_.good(), "OcrWriter: writing ", format_name(format_), " output failed");
  }

  std::ostream& out_;
  OutputFormat format_;
  int pages_ = 0;
  bool begun_ = false;
  bool finished_ = false;
};

}  // namespace nnocr::pipeline
