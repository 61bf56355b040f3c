// gt_dataset.hpp — ground-truth folders as Tesseract's training uses them:
// every line image NAME.png (or .jpg, .jpeg, .bmp, .pgm) sits next to
// NAME.gt.txt holding its text in UTF-8. Sub-folders are searched too
// (symbolic links to folders are not followed).
//
//   data/lines/book1/p001_l07.png
//   data/lines/book1/p001_l07.gt.txt     "The quick brown fox"
//
// open_gt_folder() lists the pairs, sorted by their path relative to the
// folder (byte order), so that sample i is the same file on every machine,
// and reads every text up front: a bad text file is found when the data set
// is opened, not hours into training. Images are decoded only by load().
//
// Problems with single samples (an image without text, a text without
// image, several images for one name, an empty or multi-line text) are
// warnings by default, and the sample is left out; with strict = true the
// first one is an error. Invalid UTF-8 is always an error, naming the file
// and the byte offset.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "../core/error.hpp"
#include "../core/file.hpp"
#include "../image/color.hpp"
#include "../image/io.hpp"
#include "../image/write.hpp"
#include "line_sample.hpp"
#include "utf8.hpp"

namespace nnocr::data {

struct GtOptions {
  // Problems with single samples are errors rather than warnings.
  bool strict = false;
  // Image extensions recognized, lower case (matched ignoring case); when
  // one name has several, the earlier in this list is used.
  std::vector<std::string> image_extensions = {".png", ".jpg", ".jpeg", ".bmp", ".pgm"};
  std::int64_t max_text_bytes = std::int64_t{1} << 20;
  image::DecodeOptions decode = {};
  // Warning messages kept (the counts stay exact beyond it).
  std::size_t max_warnings = 100;
};

struct GtEntry {
  std::string name;        // relative path without extension, '/'-separated: "book1/p001_l07"
  std::string image_path;  // as found under the folder given to open_gt_folder
  std::string text_path;
  std::string text;        // UTF-8, without BOM and without the final line break
};

class GtDataset;
inline GtDataset open_gt_folder(const std::string& dir, const GtOptions& options = {});

class GtDataset {
 public:
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::string& root() const { return root_; }

  const GtEntry& entry(std::size_t i) const {
    NNOCR_CHECK(i < entries_.size(), root_, ": sample ", i, " out of range (", entries_.size(), " samples)");
    return entries_[i];
  }
  const std::string& text(std::size_t i) const { return entry(i).text; }
  // Every text, in sample order (e.g. for Charset::from_texts).
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const GtEntry& e : entries_) out.push_back(e.text);
    return out;
  }

  // Decodes sample i's image as gray. Errors name the file. Safe to call
  // from several threads at once.
  image::Image load_image(std::size_t i) const {
    return image::to_gray(image::read_image(entry(i).image_path, decode_));
  }
  LineSample load(std::size_t i) const { return {load_image(i), entry(i).text}; }

  // What was left out when not strict.
  const std::vector<std::string>& warnings() const { return warnings_; }
  std::int64_t warning_count() const { return warning_count_; }
  std::int64_t images_without_text() const { return images_without_text_; }
  std::int64_t texts_without_image() const { return texts_without_image_; }
  std::int64_t rejected_texts() const { return rejected_texts_; }  // empty or multi-line

  // "1200 samples in data/lines; 3 images without .gt.txt; 1 .gt.txt without image; 0 texts rejected".
  std::string summary() const {
    return nnocr::detail::concat(entries_.size(), " samples in ", root_, "; ", images_without_text_,
                          " images without .gt.txt; ", texts_without_image_, " .gt.txt without image; ",
                          rejected_texts_, " texts rejected (empty or several lines)");
  }

 private:
  friend GtDataset open_gt_folder(const std::string& dir, const GtOptions& options);

  std::string root_;
  std::vector<GtEntry> entries_;
  image::DecodeOptions decode_;
  std::vector<std::string> warnings_;
  std::int64_t warning_count_ = 0, images_without_text_ = 0, texts_without_image_ = 0, rejected_texts_ = 0;
};

namespace detail {

inline std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline bool ends_with_ignoring_case(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && lower_ascii(s.substr(s.size() - suffix.size())) == lower_ascii(suffix);
}

// A ground-truth text: UTF-8 validated (offsets count from the start of
// the file), a leading BOM and one final "\n" or "\r\n" removed. Returns
// an empty `problem` when the text is usable.
struct GtText {
  std::string text;
  std::string problem;
};

inline GtText read_gt_text(const std::string& path, std::int64_t max_bytes) {
  const std::vector<std::uint8_t> bytes = nnocr::read_file(path, max_bytes);
  GtText out;
  out.text.assign(bytes.begin(), bytes.end());
  std::size_t skipped = 0;
  if (out.text.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    out.text.erase(0, 3);
    skipped = 3;
  }
  std::size_t bad = 0;
  if (!is_valid_utf8(out.text, &bad)) {
    const detail::Utf8Step step = detail::decode_utf8_step(out.text, bad);
    throw Error(nnocr::detail::concat(path, ": invalid UTF-8 at byte ", bad + skipped, ": ", step.error));
  }
  if (!out.text.empty() && out.text.back() == '\n') {
    out.text.pop_back();
    if (!out.text.empty() && out.text.back() == '\r') out.text.pop_back();
  }
  const std::size_t line_break = out.text.find_first_of("\r\n");
  if (line_break != std::string::npos)
    out.problem = nnocr::detail::concat(path, ": the text has more than one line (line break at byte ", line_break + skipped,
                                 ")");
  else if (out.text.empty())
    out.problem = path + ": empty text";
  return out;
}

}  // namespace detail

// Lists the ground-truth pairs under `dir` (recursively) and reads their
// texts. Errors: `dir` missing or not a folder, unreadable files, invalid
// UTF-8, and with options.strict any unpaired or unusable sample.
inline GtDataset open_gt_folder(const std::string& dir, const GtOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  NNOCR_CHECK(fs::exists(dir, ec), dir, ": no such folder");
  NNOCR_CHECK(fs::is_directory(dir, ec), dir, ": is a file, not a folder of NAME.png + NAME.gt.txt pairs");
  GtDataset ds;
  ds.root_ = dir;
  ds.decode_ = options.decode;
  auto problem = [&](const std::string& message) {
    NNOCR_CHECK(!options.strict, message);
    ++ds.warning_count_;
    if (ds.warnings_.size() < options.max_warnings) ds.warnings_.push_back(message);
  };

  // Keyed by the relative path without extension, so pairs meet and the
  // order is the byte order of names.
  struct Found {
    std::string text_path;
    std::vector<std::pair<std::size_t, std::string>> images;  // (preference rank, path)
    std::string unsupported_image;                              // a .tif/.tiff of the same name
  };
  std::map<std::string, Found> found;
  const fs::path root(dir);
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  NNOCR_CHECK(!ec, dir, ": cannot list the folder: ", ec.message());
  for (; it != end; it.increment(ec)) {
    NNOCR_CHECK(!ec, dir, ": cannot list the folder: ", ec.message());
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;
    const fs::path& p = it->path();
    const std::string rel = p.lexically_relative(root).generic_string();
    const std::string filename = p.filename().string();
    if (detail::ends_with_ignoring_case(filename, ".gt.txt")) {
      found[rel.substr(0, rel.size() - 7)].text_path = p.string();
      continue;
    }
    const std::string ext = detail::lower_ascii(p.extension().string());
    if (ext.empty() || filename.size() == ext.size()) continue;  // no extension, or a dot-file
    const std::string stem = rel.substr(0, rel.size() - ext.size());
    const auto known = std::find(options.image_extensions.begin(), options.image_extensions.end(), ext);
    if (known != options.image_extensions.end())
      found[stem].images.emplace_back(static_cast<std::size_t>(known - options.image_extensions.begin()), p.string());
    else if (ext == ".tif" || ext == ".tiff")
      found[stem].unsupported_image = p.string();
  }

  for (auto& [name, f] : found) {
    if (f.text_path.empty()) {
      if (f.images.empty()) continue;  // only an unsupported image: not ours
      ++ds.images_without_text_;
      problem(f.images.front().second + ": no " + name + ".gt.txt next to it");
      continue;
    }
    if (f.images.empty()) {
      ++ds.texts_without_image_;
      problem(f.text_path + ": no image next to it" +
              (f.unsupported_image.empty() ? std::string()
                                           : " (" + f.unsupported_image + " is TIFF, which is not read: convert it to PNG)"));
      continue;
    }
    std::sort(f.images.begin(), f.images.end());
    if (f.images.size() > 1) {
      std::string all;
      for (const auto& img : f.images) all += (all.empty() ? "" : ", ") + img.second;
      problem(f.text_path + ": several images for one text (" + all + "); using " + f.images.front().second);
    }
    detail::GtText text = detail::read_gt_text(f.text_path, options.max_text_bytes);
    if (!text.problem.empty()) {
      ++ds.rejected_texts_;
      problem(text.problem);
      continue;
    }
    ds.entries_.push_back(GtEntry{name, f.images.front().second, f.text_path, std::move(text.text)});
  }
  return ds;
}

// Writes DIR/NAME.png and DIR/NAME.gt.txt (the text plus a final "\n"),
// each atomically; the text is written last, so a reader that sees the
// .gt.txt finds its image complete. NAME may hold sub-folders ("book1/l07"),
// which are created; it must be relative and without "..". The text must be
// valid UTF-8 on one line.
inline void write_gt_sample(const std::string& dir, const std::string& name, const image::Image& image,
                            const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path rel(name);
  bool clean = !name.empty() && rel.is_relative() && name.back() != '/';
  for (const fs::path& part : rel) clean = clean && part != ".." && part != ".";
  NNOCR_CHECK(clean, "write_gt_sample: bad sample name \"", name, "\" (must be a relative path without . or ..)");
  const fs::path base = fs::path(dir) / rel;
  const std::string text_path = base.string() + ".gt.txt";
  std::size_t bad = 0;
  NNOCR_CHECK(is_valid_utf8(text, &bad), text_path, ": text is not valid UTF-8 (byte ", bad, ")");
  NNOCR_CHECK(text.find_first_of("\r\n") == std::string::npos, text_path, ": text has a line break");
  NNOCR_CHECK(!image.empty(), base.string(), ".png: empty image");
  if (!base.parent_path().empty()) {
    std::error_code ec;
    fs::create_directories(base.parent_path(), ec);
    NNOCR_CHECK(!ec, base.parent_path().string(), ": cannot create the folder: ", ec.message());
  }
  image::write_image(image, base.string() + ".png");
  nnocr::write_file_atomic(text_path, text + "\n");
}

}  // namespace nnocr::data
