// ocr_result.hpp — what recognition produces: a page of lines, each with
// its words and characters, their boxes in the page's pixel coordinates and
// their confidences. The output writers (ocr_output.hpp) turn it into plain
// text, TSV, hOCR, ALTO or JSON.
//
// Confidences are probabilities in [0, 1]:
//   character: the largest probability of its class over the frames the
//              CTC alignment gives it;
//   word:      the smallest confidence of its characters (a word is as
//              sure as its least sure character);
//   line:      the smallest confidence of its words; for a line without
//              words, the geometric mean of the per-frame probabilities of
//              the decoded path (0 for an image without ink).
#pragma once

#include <string>
#include <vector>

#include "../image/components.hpp"

namespace nnocr::pipeline {

using image::Box;  // x, y, width, height in pixels; (0, 0) is the top-left corner

struct CharResult {
  std::string text;  // one character (UTF-8)
  Box box;
  float confidence = 0.0f;
};

struct WordResult {
  std::string text;
  Box box;
  float confidence = 0.0f;
  std::vector<CharResult> chars;
};

struct LineResult {
  std::string text;  // the words joined by the spaces read between them
  Box box;
  float confidence = 0.0f;
  std::vector<WordResult> words;
};

struct PageResult {
  std::string source;  // the image's path (or a name), as given
  int width = 0, height = 0;
  std::vector<LineResult> lines;
};

}  // namespace nnocr::pipeline
