// cmd_read.hpp — `nnocr read` and `nnocr eval` (part of tools/nnocr.cpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <cmath>
#include <string>
#include <vector>

#include <nnocr/data/gt_dataset.hpp>
#include <nnocr/image/io.hpp>
#include <nnocr/pipeline/ocr_output.hpp>
#include <nnocr/pipeline/recognizer.hpp>
#include <nnocr/train/metrics.hpp>

#include "cli_common.hpp"

#ifndef NNOCR_SOURCE_DIR
#define NNOCR_SOURCE_DIR ""
#endif
#ifndef NNOCR_INSTALL_DATA_DIR
#define NNOCR_INSTALL_DATA_DIR ""
#endif

namespace nnocr::cli {

inline constexpr const char* kDefaultModelName = "crnn-en.safetensors";

// The bundled model: $NNOCR_MODEL, else data/models/ next to the program's
// build folder (build/nnocr -> data/models), the source tree it was built
// from, or the installed data folder.
inline std::string default_model_path() {
  if (const char* env = std::getenv("NNOCR_MODEL"); env && *env) return env;
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "data" / "models" / kDefaultModelName);
    candidates.push_back(exe.parent_path().parent_path() / "share" / "nnocr" / "models" / kDefaultModelName);
  }
  if (*NNOCR_SOURCE_DIR) candidates.push_back(fs::path(NNOCR_SOURCE_DIR) / "data" / "models" / kDefaultModelName);
  if (*NNOCR_INSTALL_DATA_DIR) candidates.push_back(fs::path(NNOCR_INSTALL_DATA_DIR) / "models" / kDefaultModelName);
  for (const fs::path& p : candidates)
    if (fs::is_regular_file(p, ec)) return p.string();
  std::string tried;
  for (const fs::path& p : candidates) tried += "\n  " + p.string();
  throw Error("no --model given and the bundled model was not found; tried:" + tried);
}

inline const char* decode_flags_usage() {
  return "  --model FILE         a recognizer model file (default: the bundled data/models/crnn-en.safetensors)\n"
         "  --decoder greedy|beam  CTC decoding (default greedy; --lexicon/--lm imply beam)\n"
         "  --beam-width N       (default 10)\n"
         "  --lexicon FILE       a word list (one word per line): words outside it are penalised\n"
         "  --lexicon-mode penalize|forbid  (default penalize)\n"
         "  --lm FILE            a character n-gram model (nnocr lm); --lm-weight X (default 0.5)\n"
         "  --batch N            lines per forward pass (default 16)\n";
}

inline void add_decode_flags(ArgSpec& spec) {
  for (const char* f : {"--model", "--decoder", "--beam-width", "--lexicon", "--lexicon-mode", "--lm", "--lm-weight",
                        "--batch", "--threads", "--isa"})
    spec.valued.insert(f);
  spec.boolean.insert("--help");
}

inline std::unique_ptr<pipeline::Recognizer> open_recognizer(const Args& args) {
  pipeline::RecognizerOptions o;
  const std::string decoder = args.get("--decoder", args.has("--lexicon") || args.has("--lm") ? "beam" : "greedy");
  NNOCR_CHECK(decoder == "greedy" || decoder == "beam", "--decoder: expected greedy or beam, got '", decoder, "'");
  o.decoder = decoder == "beam" ? pipeline::Decoder::beam : pipeline::Decoder::greedy;
  if (args.has("--beam-width")) o.beam_width = static_cast<int>(parse_integer(args.get("--beam-width"), "--beam-width", 1, 1000));
  if (args.has("--batch")) o.batch = parse_integer(args.get("--batch"), "--batch", 1, 1024);
  if (args.has("--lexicon")) o.lexicon = std::make_shared<decode::Lexicon>(decode::Lexicon::load(args.get("--lexicon")));
  if (args.has("--lexicon-mode")) {
    const std::string m = args.get("--lexicon-mode");
    NNOCR_CHECK(m == "penalize" || m == "forbid", "--lexicon-mode: expected penalize or forbid, got '", m, "'");
    o.lexicon_mode = m == "forbid" ? decode::LexiconMode::forbid : decode::LexiconMode::penalize;
  }
  if (args.has("--lm")) o.lm = std::make_shared<decode::CharLm>(decode::CharLm::load(args.get("--lm")));
  if (args.has("--lm-weight")) o.lm_weight = parse_real(args.get("--lm-weight"), "--lm-weight", 0, std::numeric_limits<double>::max());
  NNOCR_CHECK(o.decoder == pipeline::Decoder::beam || (!o.lexicon && !o.lm),
              "--lexicon and --lm need --decoder beam");
  const std::string model = args.has("--model") ? args.get("--model") : default_model_path();
  return std::make_unique<pipeline::Recognizer>(model, std::move(o));
}

// ---------------------------------------------------------------- read

inline const char* read_usage() {
  static const std::string text = std::string("nnocr read [--model FILE] [--line] [--list FILE] [--format txt|hocr|alto|tsv|json] IMAGE...\n"
         "  Reads text from images (PNG, JPEG, BMP, PGM/PPM, TGA, GIF). Without --line each image\n"
         "  is a page, split into lines by projection profiles (columns first, then lines). With\n"
         "  --line each image is one text line, and txt output has exactly one line per image, in\n"
         "  order (empty when nothing is read or the image cannot be read; the error goes to\n"
         "  stderr and the exit status is 1).\n"
         "  --line               each image is one text line\n"
         "  --list FILE          read image paths from FILE (one per line), after those given\n"
         "  --format F           txt (default), tsv (Tesseract's columns), hocr, alto, json\n"
         "  -o, --output FILE    write there instead of stdout (written whole, then renamed)\n") +
                                  decode_flags_usage();
  return text.c_str();
}

inline ArgSpec read_spec() {
  ArgSpec spec{{"--list", "--format", "--output", "-o"}, {"--line"}};
  add_decode_flags(spec);
  return spec;
}

inline std::vector<std::string> read_list_file(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file(path);  // a missing file or a folder: an error naming it
  std::istringstream f(std::string(bytes.begin(), bytes.end()));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

inline int run_read(const Args& args) {
  std::vector<std::string> paths = args.positional;
  if (args.has("--list")) {
    const std::vector<std::string> listed = read_list_file(args.get("--list"));
    paths.insert(paths.end(), listed.begin(), listed.end());
  }
  NNOCR_CHECK(!paths.empty(), "nnocr read: no images given (see nnocr read --help)");
  const pipeline::OutputFormat format = pipeline::parse_output_format(args.get("--format", "txt"));
  const auto recognizer = open_recognizer(args);
  const bool lines = args.has("--line");

  const std::string out_path = args.has("--output") ? args.get("--output") : args.get("-o");
  std::ostringstream buffered;
  std::ostream& os = out_path.empty() ? std::cout : static_cast<std::ostream&>(buffered);
  pipeline::OcrWriter writer(os, format);
  int failures = 0;
  auto failed_page = [&](const std::string& path, const std::string& what) {
    const std::string named = path + ": ";  // most errors name the file already
    const std::string why = what.compare(0, named.size(), named) == 0 ? what.substr(named.size()) : what;
    std::fprintf(stderr, "nnocr read: %s: %s\n", path.c_str(), why.c_str());
    ++failures;
    pipeline::PageResult empty;
    empty.source = path;
    writer.page(empty);
  };
  if (lines) {
    // Chunks of lines: decoded, read (in batches of similar width), written
    // in order; a chunk's images are all that is held at once.
    const std::size_t chunk = 64;
    for (std::size_t c = 0; c < paths.size(); c += chunk) {
      const std::size_t end = std::min(paths.size(), c + chunk);
      std::vector<image::Image> images;
      std::vector<std::string> errors(end - c);
      std::vector<std::size_t> index;
      for (std::size_t i = c; i < end; ++i) {
        try {
          images.push_back(image::read_image(paths[i]));
          index.push_back(i - c);
        } catch (const std::exception& e) {
          errors[i - c] = e.what();
        }
      }
      const std::vector<pipeline::LineResult> read = recognizer->read_lines(images);
      std::size_t k = 0;
      for (std::size_t i = c; i < end; ++i) {
        if (!errors[i - c].empty()) {
          failed_page(paths[i], errors[i - c]);
          continue;
        }
        pipeline::PageResult page;
        page.source = paths[i];
        page.width = images[k].width();
        page.height = images[k].height();
        if (!read[k].text.empty()) page.lines.push_back(read[k]);
        writer.page(page);
        ++k;
      }
    }
  } else {
    for (const std::string& path : paths) {
      try {
        const image::Image img = image::read_image(path);
        writer.page(recognizer->read_page(img, path));
      } catch (const std::exception& e) {
        failed_page(path, e.what());
      }
    }
  }
  writer.finish();
  if (!out_path.empty()) {
    const std::string text = buffered.str();
    write_file_atomic(out_path, text.data(), text.size());
  }
  return failures ? 1 : 0;
}

// ---------------------------------------------------------------- eval

inline const char* eval_usage() {
  static const std::string text = std::string("nnocr eval [--model FILE] [--worst N] [--limit N] DATA_DIR\n"
         "  Reads every line of a ground-truth folder (NAME.png + NAME.gt.txt, Tesseract's\n"
         "  training layout) and reports CER, WER, line accuracy, lines per second (image\n"
         "  decoding included), the worst lines, and how well the confidences predict\n"
         "  correctness: the expected calibration error of word confidences (a word is right\n"
         "  when it matches the reference word it aligns with) and the CER of the lines\n"
         "  kept at a few line-confidence thresholds.\n"
         "  --worst N            lines to list, most errors first (default 10)\n"
         "  --limit N            read only the first N lines (in name order)\n") +
                                  decode_flags_usage();
  return text.c_str();
}

inline ArgSpec eval_spec() {
  ArgSpec spec{{"--worst", "--limit"}, {}};
  add_decode_flags(spec);
  return spec;
}

inline int run_eval(const Args& args) {
  NNOCR_CHECK(args.positional.size() == 1, "nnocr eval: expected one DATA_DIR, got ", args.positional.size(),
              " (see nnocr eval --help)");
  const auto recognizer = open_recognizer(args);
  const data::GtDataset data = data::open_gt_folder(args.positional[0]);
  for (const std::string& w : data.warnings()) std::fprintf(stderr, "nnocr eval: warning: %s\n", w.c_str());
  const data::UnknownReport unknown = recognizer->charset().unknown_characters(data.texts());
  if (!unknown.empty())
    std::fprintf(stderr, "nnocr eval: warning: the model's charset lacks %s; the model cannot read them\n",
                 unknown.str().c_str());
  std::size_t n = data.size();
  if (args.has("--limit")) n = std::min<std::size_t>(n, static_cast<std::size_t>(parse_integer(args.get("--limit"), "--limit", 1, 1LL << 40)));
  NNOCR_CHECK(n > 0, args.positional[0], ": no ground-truth lines (NAME.png + NAME.gt.txt)");
  const auto worst_n = static_cast<std::size_t>(args.has("--worst") ? parse_integer(args.get("--worst"), "--worst", 0, 100000) : 10);

  struct Row {
    std::size_t index;
    std::string hyp;
    std::int64_t errors;
    double confidence;
  };
  std::vector<Row> rows;
  train::TextScore score;
  std::vector<double> word_conf;
  std::vector<bool> word_ok;
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t chunk = 64;
  for (std::size_t c = 0; c < n; c += chunk) {
    const std::size_t end = std::min(n, c + chunk);
    std::vector<image::Image> images;
    for (std::size_t i = c; i < end; ++i) images.push_back(data.load_image(i));
    const std::vector<pipeline::LineResult> read = recognizer->read_lines(images);
    for (std::size_t i = c; i < end; ++i) {
      const pipeline::LineResult& r = read[i - c];
      const std::string& ref = data.text(i);
      rows.push_back({i, r.text, score.add(ref, r.text), r.confidence});
      std::vector<std::string> hw;
      for (const auto& w : r.words) {
        hw.push_back(w.text);
        word_conf.push_back(w.confidence);
      }
      const std::vector<bool> ok = train::matched_words(train::split_words(ref), hw);
      word_ok.insert(word_ok.end(), ok.begin(), ok.end());
    }
    std::fprintf(stderr, "\r[eval] %zu/%zu lines", end, n);
  }
  const double seconds = seconds_since(t0);
  std::fprintf(stderr, "\n");
  std::printf("lines          %zu\n", n);
  std::printf("CER            %.3f %%  (%lld errors / %lld characters)\n", 100 * score.cer(),
              static_cast<long long>(score.char_errors), static_cast<long long>(score.chars));
  std::printf("WER            %.3f %%  (%lld / %lld words)\n", 100 * score.wer(),
              static_cast<long long>(score.word_errors), static_cast<long long>(score.words));
  std::printf("line accuracy  %.3f %%\n", 100 * score.line_accuracy());
  std::printf("speed          %.1f lines/s (%.2f ms/line, %d threads, image decoding included)\n",
              static_cast<double>(n) / seconds, 1000 * seconds / static_cast<double>(n), num_threads());
  if (!word_conf.empty()) {
    const train::Calibration cal = train::expected_calibration_error(word_conf, word_ok, 10);
    std::printf("calibration    ECE %.4f over %zu words (confidence bin: words, mean confidence, accuracy)\n",
                cal.ece, word_conf.size());
    for (const auto& b : cal.bins)
      if (b.count) std::printf("  [%.1f, %.1f)  %6lld  %.3f  %.3f\n", b.lo, b.hi, static_cast<long long>(b.count), b.mean_confidence, b.accuracy);
  }
  std::printf("kept by line confidence (threshold: lines kept, CER of the kept lines)\n");
  for (double th : {0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99}) {
    train::TextScore kept;
    for (const Row& r : rows)
      if (r.confidence >= th) kept.add(data.text(r.index), r.hyp);
    std::printf("  >= %.2f  %6.2f %%  CER %.3f %%\n", th, 100.0 * static_cast<double>(kept.lines) / static_cast<double>(n),
                100 * kept.cer());
  }
  if (worst_n > 0) {
    std::vector<Row> sorted = rows;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Row& a, const Row& b) { return a.errors > b.errors; });
    std::printf("worst lines (errors, name, reference | read)\n");
    for (std::size_t i = 0; i < std::min(worst_n, sorted.size()) && sorted[i].errors > 0; ++i)
      std::printf("  %3lld  %s\n       %s\n     | %s\n", static_cast<long long>(sorted[i].errors),
                  data.entry(sorted[i].index).name.c_str(), data.text(sorted[i].index).c_str(), sorted[i].hyp.c_str());
  }
  return 0;
}

// ---------------------------------------------------------------- lm

inline const char* lm_usage() {
  return "nnocr lm --out FILE [--order N] TEXT...\n"
         "  Trains a character n-gram language model (interpolated Kneser-Ney) on UTF-8 text\n"
         "  files, one sentence or line per line, for `nnocr read --lm FILE` (beam decoding).\n"
         "  --out FILE           the model file to write (text; written whole, then renamed)\n"
         "  --order N            context length + 1, in [1, 10] (default 5)\n";
}

inline ArgSpec lm_spec() { return {{"--out", "--order", "--threads", "--isa"}, {"--help"}}; }

inline int run_lm(const Args& args) {
  NNOCR_CHECK(args.has("--out"), "nnocr lm: --out FILE is required (see --help)");
  NNOCR_CHECK(!args.positional.empty(), "nnocr lm: no text files given (see --help)");
  const int order = static_cast<int>(parse_integer(args.get("--order", "5"), "--order", 1, decode::CharLm::max_order));
  std::string text;
  for (const std::string& path : args.positional) {
    const std::vector<std::uint8_t> bytes = read_file(path);
    text.append(bytes.begin(), bytes.end());
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  const decode::CharLm lm = decode::CharLm::train(text, order, args.positional.size() == 1 ? args.positional[0] : "text");
  lm.save(args.get("--out"));
  std::fprintf(stderr, "nnocr lm: order %d, %zu symbols, from %zu bytes; wrote %s\n", order, lm.vocabulary().size(),
               text.size(), args.get("--out").c_str());
  return 0;
}

}  // namespace nnocr::cli
