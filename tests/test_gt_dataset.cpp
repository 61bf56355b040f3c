#include "test_util.hpp"

#include <nnocr/data/gt_dataset.hpp>
#include <nnocr/image/write.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace nnocr;
using namespace nnocr::data;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

void write_raw(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

void put_image(const image::Image& img, const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  image::write_image(img, path);
}

// Names of the files under `dir` that look like leftover temporaries.
std::vector<std::string> temporaries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-nnocr") != std::string::npos) out.push_back(e.path().string());
  return out;
}

// A small gray line image whose first pixel tells which one it is.
image::Image line_image(std::uint8_t tag, int width = 20, int height = 8) {
  image::Image img(width, height, 1, 255);
  img.at(0, 0) = tag;
  return img;
}

std::string error_of(const std::string& dir, const GtOptions& options = {}) {
  try {
    open_gt_folder(dir, options);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("gt folder: nested pairs are listed in sorted order, with texts and gray images") {
  TempDir dir;
  write_gt_sample(dir.path_string(), "b/line2", line_image(2), "second line");
  write_gt_sample(dir.path_string(), "a", line_image(1), "first \xE2\x80\x94 line");
  write_gt_sample(dir.path_string(), "b/deeper/line3", line_image(3, 31, 9), "third");
  write_gt_sample(dir.path_string(), "b/line10", line_image(4), "fourth");
  // Other files are ignored.
  write_raw(dir / "notes.txt", "not ground truth");
  write_raw(dir / "b/model.lstmf", "xx");

  const GtDataset ds = open_gt_folder(dir.path_string());
  REQUIRE(ds.size() == 4);
  CHECK(ds.entry(0).name == "a");
  CHECK(ds.entry(1).name == "b/deeper/line3");
  CHECK(ds.entry(2).name == "b/line10");
  CHECK(ds.entry(3).name == "b/line2");
  CHECK(ds.text(0) == "first \xE2\x80\x94 line");
  CHECK(ds.texts() == std::vector<std::string>{"first \xE2\x80\x94 line", "third", "fourth", "second line"});
  CHECK(ds.entry(1).image_path == dir / "b/deeper/line3.png");
  CHECK(ds.entry(1).text_path == dir / "b/deeper/line3.gt.txt");
  CHECK(ds.warnings().empty());
  CHECK(ds.warning_count() == 0);

  const LineSample s = ds.load(1);
  CHECK(s.text == "third");
  CHECK(s.image.width() == 31);
  CHECK(s.image.height() == 9);
  CHECK(s.image.channels() == 1);
  CHECK(s.image.at(0, 0) == 3);
  CHECK_THROWS_WITH_AS(ds.entry(4), doctest::Contains("sample 4 out of range (4 samples)"), Error);
  CHECK(ds.summary().find("4 samples in ") != std::string::npos);

  // The written text file holds the text and one final newline.
  std::ifstream in(dir / "a.gt.txt", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(raw == "first \xE2\x80\x94 line\n");
  CHECK(temporaries(dir.path_string()).empty());
}

TEST_CASE("gt folder: color images load as gray; jpg/bmp/pgm are found, TIFF is pointed out") {
  TempDir dir;
  image::Image rgb(4, 3, 3, 0);
  for (int x = 0; x < 4; ++x) rgb.at(x, 0, 0) = 255;  // a red top row
  image::write_image(rgb, dir / "color.png");
  write_raw(dir / "color.gt.txt", "red");
  image::write_image(line_image(9), dir / "gray.pgm");
  write_raw(dir / "gray.gt.txt", "pgm");
  write_raw(dir / "scan.tif", "II*\0");
  write_raw(dir / "scan.gt.txt", "tiff");

  const GtDataset ds = open_gt_folder(dir.path_string());
  REQUIRE(ds.size() == 2);
  const image::Image gray = ds.load_image(0);
  CHECK(gray.channels() == 1);
  CHECK(gray.at(0, 0) == 76);  // 0.299 * 255
  CHECK(gray.at(0, 1) == 0);
  CHECK(ds.load_image(1).at(0, 0) == 9);
  CHECK(ds.texts_without_image() == 1);
  REQUIRE(ds.warnings().size() == 1);
  CHECK(ds.warnings()[0].find("scan.gt.txt: no image next to it") != std::string::npos);
  CHECK(ds.warnings()[0].find("is TIFF, which is not read") != std::string::npos);
}

TEST_CASE("gt folder: unpaired files are warnings, or errors when strict") {
  TempDir dir;
  write_gt_sample(dir.path_string(), "ok", line_image(1), "fine");
  put_image(line_image(2), dir / "sub/lonely.png");
  write_raw(dir / "orphan.gt.txt", "no image\n");
  image::write_image(line_image(3), dir / "twice.png");
  image::write_image(line_image(4), dir / "twice.JPG.png");  // another name: twice.JPG
  write_raw(dir / "twice.bmp", "");
  write_raw(dir / "twice.gt.txt", "two images");

  const GtDataset ds = open_gt_folder(dir.path_string());
  CHECK(ds.size() == 2);  // ok, twice
  CHECK(ds.images_without_text() == 2);  // sub/lonely, twice.JPG
  CHECK(ds.texts_without_image() == 1);
  CHECK(ds.warning_count() == 4);
  std::string all;
  for (const std::string& w : ds.warnings()) all += w + "\n";
  CHECK(all.find("lonely.png: no sub/lonely.gt.txt next to it") != std::string::npos);
  CHECK(all.find("orphan.gt.txt: no image next to it") != std::string::npos);
  CHECK(all.find("several images for one text") != std::string::npos);
  CHECK(ds.entry(1).image_path == dir / "twice.png");  // .png comes before .bmp

  GtOptions strict;
  strict.strict = true;
  CHECK(error_of(dir.path_string(), strict).find("no image next to it") != std::string::npos);
  GtOptions few;
  few.max_warnings = 1;
  const GtDataset capped = open_gt_folder(dir.path_string(), few);
  CHECK(capped.warnings().size() == 1);
  CHECK(capped.warning_count() == 4);
}

TEST_CASE("gt folder: BOM, CRLF and one final newline are removed; empty and multi-line texts are rejected") {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> files = {
      {"crlf", "windows line\r\n"}, {"lf", "unix line\n"}, {"none", "no newline"},
      {"bom", "\xEF\xBB\xBFwith bom\n"}, {"two", "one\ntwo\n"}, {"blank", "\n"}, {"extra", "text\n\n"}};
  for (const auto& [name, text] : files) {
    image::write_image(line_image(1), dir / (name + ".png"));
    write_raw(dir / (name + ".gt.txt"), text);
  }
  const GtDataset ds = open_gt_folder(dir.path_string());
  REQUIRE(ds.size() == 4);
  CHECK(ds.texts() == std::vector<std::string>{"with bom", "windows line", "unix line", "no newline"});
  CHECK(ds.rejected_texts() == 3);
  std::string all;
  for (const std::string& w : ds.warnings()) all += w + "\n";
  CHECK(all.find("blank.gt.txt: empty text") != std::string::npos);
  CHECK(all.find("two.gt.txt: the text has more than one line (line break at byte 3)") != std::string::npos);
  CHECK(all.find("extra.gt.txt: the text has more than one line (line break at byte 4)") != std::string::npos);
  GtOptions strict;
  strict.strict = true;
  CHECK(error_of(dir.path_string(), strict).find("empty text") != std::string::npos);
}

TEST_CASE("gt folder: invalid UTF-8 is an error naming the file and the byte offset") {
  TempDir dir;
  put_image(line_image(1), dir / "x/bad.png");
  write_raw(dir / "x/bad.gt.txt", "caf\xE9 au lait\n");  // Latin-1, not UTF-8
  const std::string e = error_of(dir.path_string());
  CHECK(e.find("bad.gt.txt: invalid UTF-8 at byte 3") != std::string::npos);
  // Offsets count from the start of the file, BOM included.
  write_raw(dir / "x/bad.gt.txt", "\xEF\xBB\xBF" "ab\xC0\x80");
  CHECK(error_of(dir.path_string()).find("bad.gt.txt: invalid UTF-8 at byte 5: overlong") != std::string::npos);
}

TEST_CASE("gt folder: missing folders, undecodable images and bad writes") {
  CHECK(error_of("/nonexistent/nnocr/gt").find("/nonexistent/nnocr/gt: no such folder") != std::string::npos);
  TempDir dir;
  write_raw(dir / "file", "x");
  CHECK(error_of(dir / "file").find("file: is a file, not a folder") != std::string::npos);

  write_raw(dir / "broken.png", "not a png");
  write_raw(dir / "broken.gt.txt", "text");
  const GtDataset ds = open_gt_folder(dir.path_string());
  REQUIRE(ds.size() == 1);
  CHECK_THROWS_WITH_AS(ds.load(0), doctest::Contains("broken.png"), Error);

  const image::Image img = line_image(1);
  CHECK_THROWS_WITH_AS(write_gt_sample(dir.path_string(), "../escape", img, "t"), doctest::Contains("bad sample name"), Error);
  CHECK_THROWS_WITH_AS(write_gt_sample(dir.path_string(), "/abs", img, "t"), doctest::Contains("bad sample name"), Error);
  CHECK_THROWS_WITH_AS(write_gt_sample(dir.path_string(), "", img, "t"), doctest::Contains("bad sample name"), Error);
  CHECK_THROWS_WITH_AS(write_gt_sample(dir.path_string(), "a/./b", img, "t"), doctest::Contains("bad sample name"), Error);
  CHECK_THROWS_WITH_AS(write_gt_sample(dir.path_string(), "n", img, "two\nlines"), doctest::Contains("line break"), Error);
  CHECK_THROWS_WITH_AS(write_gt_sample(dir.path_string(), "n", img, "bad \xFF"), doctest::Contains("not valid UTF-8 (byte 4)"),
                       Error);
  CHECK_THROWS_WITH_AS(write_gt_sample(dir.path_string(), "n", image::Image(), "t"), doctest::Contains("empty image"), Error);
  CHECK_FALSE(fs::exists(dir / "n.png"));
  CHECK_FALSE(fs::exists(dir / "n.gt.txt"));
  write_raw(dir / "blocker", "a file where a folder should be");
  CHECK_THROWS_AS(write_gt_sample(dir.path_string(), "blocker/n", img, "t"), Error);
}
