// make_sample_page — the page the README's demo command reads.
//
//   make_sample_page [OUT_DIR]          (default: data/samples)
//
// Writes page.png, a 1240 x 900 page set in a held-out font design (one the
// bundled model never saw in training): a heading across the page, then
// two columns of running text with a few numbers and punctuation, and
// page.gt.txt with its text in reading order (heading, left column, right
// column), one line per text line. Deterministic for a given font set.
#include <nnocr/data/render.hpp>
#include <nnocr/data/synth.hpp>
#include <nnocr/image/write.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

using namespace nnocr;

namespace {

// Text written for this sample.
const char* const kHeading = "Field Notes on Reading Machines";
const char* const kBody =
    "A page is only ink until something reads it. The first reading machines matched each letter "
    "against a stored template, and they failed as soon as the type changed. Modern recognizers "
    "learn instead: a small convolutional network turns a line image into a sequence of feature "
    "columns, a recurrent layer reads those columns in both directions, and a final layer scores "
    "every character for every column. Training needs no alignment between pixels and letters, "
    "because the loss sums over all the ways the columns could spell the right text. One old "
    "notebook lists 14 type sizes, 3 paper stocks and 250,000 lines, dated 12 March 1987 (page 41). "
    "Errors cluster where you would expect them: thin serifs, the digit 1 against the letter "
    "l, and quotes that look like commas. A language model or a word list can fix some of them, "
    "but the best cure is more varied training data: new fonts, new sizes, and honest noise.";

int text_width(const data::Font& font, const std::string& text, const data::RenderOptions& o) {
  return data::render_line(font, text, o).image.width();
}

// Greedy word wrap to `width` pixels.
std::vector<std::string> wrap(const data::Font& font, const std::string& text, int width, const data::RenderOptions& o) {
  std::vector<std::string> lines;
  std::string line, word;
  std::vector<std::string> words;
  for (char c : text) {
    if (c == ' ') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(word);
  for (const std::string& w : words) {
    const std::string candidate = line.empty() ? w : line + " " + w;
    if (!line.empty() && text_width(font, candidate, o) > width) {
      lines.push_back(line);
      line = w;
    } else {
      line = candidate;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

void paste(image::Image& page, const image::Image& img, int x, int y) {
  for (int r = 0; r < img.height() && y + r < page.height(); ++r)
    for (int c = 0; c < img.width() && x + c < page.width(); ++c)
      page.at(x + c, y + r) = std::min(page.at(x + c, y + r), img.at(c, r));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string out = argc > 1 ? argv[1] : "data/samples";
    std::filesystem::create_directories(out);
    const auto fonts = data::find_system_fonts();
    const auto held_out = data::split_fonts(fonts).holdout;
    const data::FontInfo* pick = nullptr;
    for (const auto& f : held_out)
      if (!f.bold && !f.italic && (!pick || f.family < pick->family)) pick = &f;
    if (!pick) {
      std::fprintf(stderr, "make_sample_page: no held-out font installed (apt-get install fonts-urw-base35)\n");
      return 1;
    }
    const data::Font font = data::Font::load(pick->path);
    const int W = 1240, H = 900, margin = 70, gutter = 60;
    image::Image page(W, H, 1, 255);
    std::vector<std::string> truth;

    data::RenderOptions head;
    head.pixel_height = 52;
    head.padding_x = head.padding_y = 0;
    const data::RenderedLine h = data::render_line(font, kHeading, head);
    paste(page, h.image, (W - h.image.width()) / 2, margin);
    truth.push_back(kHeading);

    data::RenderOptions body;
    body.pixel_height = 30;
    body.padding_x = body.padding_y = 0;
    const int column = (W - 2 * margin - gutter) / 2;
    const std::vector<std::string> lines = wrap(font, kBody, column, body);
    const std::size_t left = (lines.size() + 1) / 2;
    const int top = margin + h.image.height() + 50, pitch = 40;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const int x = i < left ? margin : margin + column + gutter;
      const int y = top + static_cast<int>(i < left ? i : i - left) * pitch;
      paste(page, data::render_line(font, lines[i], body).image, x, y);
      truth.push_back(lines[i]);
    }
    image::write_image(page, out + "/page.png");
    std::string text;
    for (const std::string& t : truth) text += t + "\n";
    image::write_file_atomic(out + "/page.gt.txt", text);
    std::printf("wrote %s/page.png (%s, %zu lines) and %s/page.gt.txt\n", out.c_str(), pick->family.c_str(),
                truth.size(), out.c_str());
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "make_sample_page: %s\n", e.what());
    return 1;
  }
}
