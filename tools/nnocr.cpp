// nnocr — the command-line program.
//
//   nnocr --version                 version, ISA in use and why, threads
//   nnocr bench [--seconds S]       kernel speed on this CPU (GEMM, vector math)
//   nnocr synth --out DIR --count N synthetic text lines as a ground-truth folder
//   nnocr <command> --help          help for one command
//
// Every command takes --threads N (default: NNOCR_THREADS, else all cores)
// and --isa NAME (default: NNOCR_ISA, else the best this CPU has).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <nnocr/data/synth.hpp>
#include <nnocr/image/write.hpp>
#include <nnocr/nnocr.hpp>

#include "cli_args.hpp"
#include "cli_common.hpp"
#include "cmd_read.hpp"
#include "cmd_train.hpp"

namespace {

using namespace nnocr;
using cli::apply_common;
using cli::parse_integer;
using cli::seconds_since;

struct Command {
  const char* name;
  const char* summary;
  const char* usage;
  cli::ArgSpec spec;
  std::function<int(const cli::Args&)> run;
};

std::string feature_list() {
  const auto& f = simd::cpu_features();
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (on) s += std::string(s.empty() ? "" : " ") + name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512dq, "avx512dq");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vnni, "avx512vnni");
  add(f.avx512bf16, "avx512bf16");
  add(f.avx_vnni, "avxvnni");
  add(f.neon, "neon");
  add(f.neon_dotprod, "dotprod");
  return s.empty() ? "none" : s;
}

int print_version() {
  const simd::Isa isa = simd::active_isa();
  std::printf("nnocr %s\n", version_string());
  std::printf(" CPU: %s\n", simd::cpu_features().brand.empty() ? "unknown" : simd::cpu_features().brand.c_str());
  std::printf(" Found: %s\n", feature_list().c_str());
  std::printf(" ISA: %s (%s%s)\n", simd::isa_name(isa), simd::isa_source(),
              std::string(simd::isa_source()) == "detected" ? ", best available" : "");
  std::printf(" GEMM kernel: %s\n", kernels::gemm_arch(isa).name);
  std::printf(" threads: %d%s\n", num_threads(),
              std::getenv("NNOCR_THREADS") ? " (NNOCR_THREADS)" : "");
  return 0;
}


// Best-of timing of f() over about `budget` seconds.
template <class F>
double best_time(F&& f, double budget) {
  double best = 1e30;
  const auto start = std::chrono::steady_clock::now();
  do {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds_since(t0));
  } while (seconds_since(start) < budget);
  return best;
}

int run_bench(const cli::Args& args) {
  const double budget = std::stod(args.get("--seconds", "0.3"));
  NNOCR_CHECK(budget > 0 && budget <= 60, "bench: --seconds must be in (0, 60]");
  const simd::Isa isa = simd::active_isa();
  std::printf("nnocr bench: kernel speed on this CPU (no OCR model is bundled yet, so this is the\n"
              "most meaningful demo that exists: the GEMM every layer runs on).\n");
  print_version();
  const double peak = kernels::measure_peak_gflops(isa, 0.3);
  if (peak > 0) std::printf("\nPeak fp32 FMA, one core, %s: %.1f GFLOP/s (measured now)\n", simd::isa_name(isa), peak);

  struct Shape3 {
    index_t m, n, k;
    const char* what;
  };
  const Shape3 shapes[] = {{512, 512, 512, "square"},
                           {1024, 1024, 1024, "square"},
                           {32, 1024, 256, "LSTM gates, batch 32"},
                           {1, 1024, 256, "LSTM gates, batch 1 (GEMV)"},
                           {4096, 128, 576, "conv 3x3 as GEMM"},
                           {1024, 256, 1152, "conv 3x3 as GEMM"}};
  std::printf("\n%-22s %-28s %10s %10s %8s\n", "GEMM M x N x K", "", "1 thread", "all", "% peak");
  ThreadPool one(1);
  for (const auto& s : shapes) {
    Tensor<float> a({s.m, s.k}), b({s.k, s.n}), c({s.m, s.n});
    Rng rng(1);
    fill_uniform(a, rng, -1, 1);
    fill_uniform(b, rng, -1, 1);
    const double flops = 2.0 * static_cast<double>(s.m * s.n * s.k);
    auto mm = [&](ThreadPool* pool) {
      kernels::sgemm(kernels::Trans::no, kernels::Trans::no, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), s.n,
                     0.0f, c.data(), s.n, pool);
    };
    const double t1 = best_time([&] { mm(&one); }, budget);
    const double tn = best_time([&] { mm(&default_pool()); }, budget);
    char name[96];
    std::snprintf(name, sizeof name, "%lld x %lld x %lld", static_cast<long long>(s.m),
                  static_cast<long long>(s.n), static_cast<long long>(s.k));
    std::printf("%-22s %-28s %7.1f GF %7.1f GF %7.0f%%\n", name, s.what, flops / t1 * 1e-9, flops / tn * 1e-9,
                peak > 0 ? 100.0 * flops / t1 * 1e-9 / peak : 0.0);
  }

  std::printf("\n%-10s %14s %14s %8s\n", "1M floats", "std:: loop", "nnocr", "speed-up");
  std::vector<float> x(1 << 20), y(x.size());
  Rng rng(2);
  for (auto& v : x) v = rng.uniform(-8.0f, 8.0f);
  struct Fn {
    const char* name;
    void (*vec)(const float*, float*, index_t);
    float (*ref)(float);
  };
  const Fn fns[] = {{"exp", kernels::exp, [](float v) { return std::exp(v); }},
                    {"tanh", kernels::tanh, [](float v) { return std::tanh(v); }},
                    {"sigmoid", kernels::sigmoid, [](float v) { return 1.0f / (1.0f + std::exp(-v)); }}};
  for (const auto& f : fns) {
    const double tr = best_time([&] { std::transform(x.begin(), x.end(), y.begin(), f.ref); }, budget);
    const double tv = best_time([&] { f.vec(x.data(), y.data(), static_cast<index_t>(x.size())); }, budget);
    std::printf("%-10s %11.2f ms %11.3f ms %7.1fx\n", f.name, tr * 1e3, tv * 1e3, tr / tv);
  }
  return 0;
}


int run_synth(const cli::Args& args) {
  NNOCR_CHECK(args.has("--out") && args.has("--count"), "synth: --out DIR and --count N are required (see --help)");
  const std::string out = args.get("--out");
  const long long count = parse_integer(args.get("--count"), "--count", 1, 100000000);
  const auto seed = static_cast<std::uint64_t>(parse_integer(args.get("--seed", "1"), "--seed", 0, 0x7FFFFFFFFFFFFFFFLL));
  const int height = static_cast<int>(parse_integer(args.get("--height", "32"), "--height", 0, 1000));
  const int max_chars = static_cast<int>(parse_integer(args.get("--max-chars", "48"), "--max-chars", 1, 1000));
  const std::string which = args.get("--fonts", "train");
  NNOCR_CHECK(which == "train" || which == "holdout" || which == "all", "--fonts: expected train, holdout or all, got '",
              which, "'");

  const auto t_fonts = std::chrono::steady_clock::now();
  const cli::FontChoice fc = cli::choose_fonts(args, "synth");
  const std::vector<data::FontInfo>& found = fc.found;
  const data::FontSplit& split = fc.split;
  const std::vector<data::FontInfo>& chosen = which == "train" ? split.train : which == "holdout" ? split.holdout : found;
  NNOCR_CHECK(!chosen.empty(), "synth: no ", which == "all" ? "" : which + " ", "fonts found in ", fc.dirs.size(),
              " font folders (", found.size(), " usable fonts in all); install e.g. fonts-dejavu-core");

  std::vector<std::string> corpus;
  const std::string corpus_path = args.get("--corpus", data::find_default_corpus());
  if (corpus_path.empty())
    std::fprintf(stderr, "nnocr synth: no corpus found (data/corpus/en.txt or $NNOCR_DATA_DIR/corpus/en.txt); "
                         "using generated text only\n");
  else
    corpus = data::load_corpus(corpus_path);

  data::SynthConfig cfg;
  cfg.fonts = data::font_paths(chosen);
  cfg.seed = seed;
  cfg.target_height = height;
  cfg.max_chars = max_chars;
  NNOCR_CHECK(!(args.has("--clean") && args.has("--degrade")), "synth: --clean and --degrade exclude each other");
  if (args.has("--clean") || args.has("--degrade")) {
    cfg.augment = image::AugmentConfig::none();
    cfg.clean_fraction = 1;
    cfg.neighbour_lines = 0;
  }
  if (args.has("--degrade")) {
    // The degraded benchmark set: each line gets each of these with
    // probability 0.5, so most lines have two or three at once.
    image::AugmentConfig& a = cfg.augment;
    a.p_rotate = 0.5, a.max_degrees = 3.0f;
    a.p_blur = 0.5, a.blur_min = 0.4f, a.blur_max = 1.2f;
    a.p_noise = 0.5, a.noise_max = 20.0f;
    a.p_contrast = 0.5, a.contrast_min = 0.3f, a.contrast_max = 0.7f, a.brightness_max = 40.0f;
    a.gamma_min = 0.8f, a.gamma_max = 1.25f;
    a.p_jpeg = 0.5, a.jpeg_min = 15, a.jpeg_max = 60;
    cfg.clean_fraction = 0;
  }
  if (args.has("--text-height")) {
    const std::string v = args.get("--text-height");
    const std::size_t dash = v.find('-');
    NNOCR_CHECK(dash != std::string::npos, "--text-height: expected MIN-MAX in pixels, got '", v, "'");
    cfg.min_text_height = static_cast<float>(parse_integer(v.substr(0, dash), "--text-height", 4, 400));
    cfg.max_text_height = static_cast<float>(parse_integer(v.substr(dash + 1), "--text-height", 4, 400));
  }
  const data::LineSynthesizer synth(cfg, std::move(corpus));
  const double font_seconds = seconds_since(t_fonts);

  std::filesystem::create_directories(out);
  int digits = 6;
  for (long long n = count - 1; n >= 1000000; n /= 10) ++digits;
  std::atomic<long long> done{0};
  std::mutex progress_mutex;
  std::map<std::string, long long> uses;  // font path -> samples
  std::vector<std::string> examples;
  const auto t0 = std::chrono::steady_clock::now();
  auto last_print = t0;
  parallel_for(count, 8, [&](index_t begin, index_t end) {
    std::map<std::string, long long> local;
    for (index_t i = begin; i < end; ++i) {
      const data::SynthSample s = synth.make(static_cast<std::uint64_t>(i));
      char name[32];
      std::snprintf(name, sizeof name, "%0*lld", digits, static_cast<long long>(i));
      const std::string base = (std::filesystem::path(out) / name).string();
      image::write_image(s.image, base + ".png");
      const std::string text = s.text + "\n";
      image::write_file_atomic(base + ".gt.txt", std::vector<std::uint8_t>(text.begin(), text.end()));
      ++local[s.font];
      if (i < 5) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        examples.push_back(std::string(name) + ": " + s.text);
      }
      const long long now_done = ++done;
      std::unique_lock<std::mutex> lock(progress_mutex, std::try_to_lock);
      if (lock.owns_lock() && (seconds_since(last_print) > 0.25 || now_done == count)) {
        last_print = std::chrono::steady_clock::now();
        const double t = seconds_since(t0);
        std::fprintf(stderr, "\rnnocr synth: %lld/%lld lines (%.0f%%), %.0f lines/s   ", now_done, count,
                     100.0 * static_cast<double>(now_done) / static_cast<double>(count),
                     static_cast<double>(now_done) / std::max(t, 1e-9));
      }
    }
    std::lock_guard<std::mutex> lock(progress_mutex);
    for (const auto& [path, n] : local) uses[path] += n;
  });
  const double seconds = seconds_since(t0);
  std::fprintf(stderr, "\n");

  std::map<std::string, long long> families;
  for (const auto& [path, n] : uses)
    for (const auto& f : chosen)
      if (f.path == path) families[f.family] += n;
  std::sort(examples.begin(), examples.end());
  std::printf("nnocr synth: wrote %lld lines to %s (NAME.png + NAME.gt.txt) in %.2f s: %.0f lines/s on %d threads\n",
              count, out.c_str(), seconds, static_cast<double>(count) / std::max(seconds, 1e-9), num_threads());
  std::printf(" seed %llu, height %s, %s, fonts: %s set, %zu of %zu usable fonts (%zu families; catalogue %.2f s)\n",
              static_cast<unsigned long long>(seed), height ? std::to_string(height).c_str() : "as rendered",
              args.has("--clean") ? "clean (no augmentation)" : "augmented", which.c_str(), synth.fonts().size(),
              found.size(), families.size(), font_seconds);
  std::printf(" corpus: %s\n", corpus_path.empty() ? "none (generated text only)" : corpus_path.c_str());
  std::printf(" lines per family:");
  for (const auto& [family, n] : families) std::printf(" %s %lld;", family.c_str(), n);
  std::printf("\n first lines:\n");
  for (const auto& e : examples) std::printf("  %s\n", e.c_str());
  return 0;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"bench", "measure kernel speed on this CPU (GEMM GFLOP/s, vector math)",
       "nnocr bench [--seconds S] [--threads N] [--isa NAME]\n"
       "  Times GEMM at square and OCR shapes with one thread and with all threads,\n"
       "  as GFLOP/s and as a percentage of this core's peak FMA rate measured in the\n"
       "  same run, then vectorised exp/tanh/sigmoid against the std:: loop.\n"
       "  --seconds S   time budget per measurement (default 0.3)\n",
       {{"--seconds", "--threads", "--isa"}, {"--help"}},
       run_bench},
      {"synth", "write synthetic text lines as a ground-truth folder (PNG + .gt.txt)",
       "nnocr synth --out DIR --count N [--seed S] [--fonts train|holdout|all] [--clean]\n"
       "                   [--height H] [--max-chars N] [--corpus FILE] [--font-dirs A,B] [--threads N]\n"
       "  Renders N text lines with the system's fonts and degrades them like scans and\n"
       "  photos, writing DIR/000000.png and DIR/000000.gt.txt (the text, one line), ...\n"
       "  the ground-truth layout Tesseract training uses. Line i depends only on the\n"
       "  seed and i, whatever the thread count. Shows progress on stderr, then a summary.\n"
       "  --seed S        random seed (default 1)\n"
       "  --fonts SET     train (default): fonts outside the held-out designs; holdout:\n"
       "                  only those (C059/TeX Gyre Schola, URW Gothic/TeX Gyre Adventor,\n"
       "                  Carlito, Linux Biolinum); all: every usable font\n"
       "  --clean         no augmentation (clean renderings)\n"
       "  --degrade       only the benchmark's degradations, each with probability 0.5: rotation\n"
       "                  up to 3 degrees, blur, noise, low contrast, JPEG\n"
       "  --text-height A-B  rendered text height in pixels (default 16-36)\n"
       "  --height H      line height in pixels (default 32; 0 keeps the rendered size)\n"
       "  --max-chars N   longest line in characters (default 48)\n"
       "  --corpus FILE   sentences, one per line (default data/corpus/en.txt, found in\n"
       "                  $NNOCR_DATA_DIR/corpus or under the working folder)\n"
       "  --font-dirs A,B font folders to search (default /usr/share/fonts,\n"
       "                  /usr/local/share/fonts, ~/.fonts, /usr/share/texmf/fonts)\n",
       {{"--out", "--count", "--seed", "--fonts", "--height", "--text-height", "--max-chars", "--corpus", "--font-dirs", "--threads",
         "--isa"},
        {"--help", "--clean", "--degrade"}},
       run_synth},
      {"read", "read text from page or line images with a recognizer model (the bundled one by default)",
       cli::read_usage(), cli::read_spec(), cli::run_read},
      {"eval", "score a model on a ground-truth folder: CER, WER, line accuracy, speed, calibration",
       cli::eval_usage(), cli::eval_spec(), cli::run_eval},
      {"lm", "train a character n-gram language model for beam decoding (--lm)", cli::lm_usage(), cli::lm_spec(),
       cli::run_lm},
      {"train", "train a CRNN recognizer (synthetic lines or a ground-truth folder), resumable",
       cli::train_usage(), cli::train_spec(), cli::run_train},
  };
  return list;
}

void print_help() {
  std::printf("nnocr %s — neural-network OCR\n\nusage: nnocr [--version] [--help] <command> [options]\n\n"
              "commands:\n",
              version_string());
  for (const auto& c : commands()) std::printf("  %-8s %s\n", c.name, c.summary);
  std::printf("\ncommon options: --threads N (or NNOCR_THREADS), --isa scalar|avx2|avx512|neon (or NNOCR_ISA)\n"
              "'nnocr <command> --help' describes one command.\n");
}

int main_impl(int argc, char** argv) {
  std::vector<std::string> all(argv + 1, argv + argc);
  if (all.empty()) {
    print_help();
    return 2;
  }
  // Flags before the command (nnocr --threads 2 --version).
  const cli::ArgSpec top{{"--threads", "--isa"}, {"--version", "--help", "-h", "-V"}};
  std::size_t split = 0;
  while (split < all.size() && all[split].rfind("-", 0) == 0) {
    if (top.valued.count(all[split].substr(0, all[split].find('='))) && all[split].find('=') == std::string::npos)
      ++split;
    ++split;
  }
  split = std::min(split, all.size());
  const cli::Args top_args = cli::parse_args({all.begin(), all.begin() + static_cast<std::ptrdiff_t>(split)}, top, "nnocr");
  apply_common(top_args);
  if (top_args.has("--help") || top_args.has("-h")) {
    print_help();
    return 0;
  }
  if (top_args.has("--version") || top_args.has("-V")) return print_version();
  if (split == all.size()) {
    print_help();
    return 2;
  }
  const std::string name = all[split];
  for (const auto& c : commands()) {
    if (name != c.name) continue;
    const cli::Args args = cli::parse_args({all.begin() + static_cast<std::ptrdiff_t>(split) + 1, all.end()}, c.spec,
                                           std::string("nnocr ") + c.name);
    if (args.has("--help")) {
      std::printf("usage: %s", c.usage);
      return 0;
    }
    apply_common(args);
    return c.run(args);
  }
  throw Error("unknown command '" + name + "' (see nnocr --help)");
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // Batched inference allocates and frees large activation buffers for
  // every batch. glibc maps blocks above its mmap threshold (128 KiB at
  // first, then adapting) afresh each time, paying page faults and kernel
  // zeroing; but blocks kept in the heap fragment it, and the process grows.
  // Measured over 1,000 held-out lines (one thread): a 16 MiB threshold ran
  // 10.2 s at 84-99 MiB peak, 8 MiB 11.7 s at 68 MiB, 4 MiB 11.9 s at
  // 58 MiB. 8 MiB keeps the peak well under 100 MiB. `nnocr train`, whose
  // batches are larger and whose memory matters less, turns the mappings
  // off altogether (cmd_train.hpp).
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
#endif
  try {
    return main_impl(argc, argv);
  } catch (const nnocr::Error& e) {
    std::fprintf(stderr, "nnocr: error: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnocr: error: %s\n", e.what());
  }
  return 1;
}
