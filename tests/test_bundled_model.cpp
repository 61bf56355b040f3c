// The bundled model (data/models/crnn-en.safetensors) through the whole
// reading pipeline: a regression test for the model file, the line
// preparation and the page splitter together. The sample page is set in a
// font design held out of training (examples/make_sample_page.cpp).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nnocr/image/io.hpp>
#include <nnocr/pipeline/recognizer.hpp>
#include <nnocr/train/metrics.hpp>

#include "test_util.hpp"

// Everything in a namespace of its own: the pipeline-level test files are
// compiled as one unit (tests/CMakeLists.txt, NNOCR_UNITY_TESTS), and their
// helpers and using-directives must not meet.
namespace nnocr_test_bundled_model {

using namespace nnocr;

namespace {

std::string source_path(const std::string& relative) { return std::string(NNOCR_SOURCE_DIR) + "/" + relative; }

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("The bundled model reads the sample page (held-out font, two columns under a heading)" *
          doctest::skip(test::slow_config)) {
  const std::string model = source_path("data/models/crnn-en.safetensors");
  REQUIRE(std::filesystem::exists(model));
  const pipeline::Recognizer ocr(model);
  const pipeline::PageResult page = ocr.read_page(image::read_image(source_path("data/samples/page.png")), "page.png");
  std::string truth = read_text(source_path("data/samples/page.gt.txt"));
  std::vector<std::string> ref_lines;
  for (std::size_t start = 0; start < truth.size();) {
    const std::size_t end = truth.find('\n', start);
    ref_lines.push_back(truth.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? truth.size() : end + 1;
  }
  // The splitter finds every line, in reading order (heading, left column,
  // right column): the line count and each line's position in the text.
  REQUIRE(page.lines.size() == ref_lines.size());
  train::TextScore score;
  for (std::size_t i = 0; i < ref_lines.size(); ++i) {
    INFO("line ", i, ": '", ref_lines[i], "' read as '", page.lines[i].text, "'");
    CHECK(train::character_error_rate(ref_lines[i], page.lines[i].text) < 0.3);
    score.add(ref_lines[i], page.lines[i].text);
  }
  INFO("page CER ", score.cer(), ", WER ", score.wer());
  CHECK(score.cer() < 0.05);
  for (const auto& line : page.lines) {
    CHECK(line.confidence >= 0.0f);
    CHECK(line.confidence <= 1.0f);
    for (const auto& word : line.words) {
      CHECK(word.box.x >= line.box.x - 2);
      CHECK(word.box.x + word.box.width <= line.box.x + line.box.width + 2);
    }
  }
}

TEST_CASE("The bundled model reads single lines the same alone and in a batch") {
  const pipeline::Recognizer ocr(source_path("data/models/crnn-en.safetensors"));
  std::vector<image::Image> lines;
  for (int i = 0; i < 4; ++i)
    lines.push_back(image::read_image(source_path("data/samples/line_" + std::to_string(i) + ".png")));
  const std::vector<pipeline::LineResult> together = ocr.read_lines(lines);
  REQUIRE(together.size() == lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::vector<pipeline::LineResult> alone = ocr.read_lines({lines[i]});
    CHECK(alone[0].text == together[i].text);
    CHECK(std::abs(alone[0].confidence - together[i].confidence) < 1e-4f);
  }
}

}  // namespace nnocr_test_bundled_model
