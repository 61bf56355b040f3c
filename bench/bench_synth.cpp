// bench_synth — synthetic training lines per second on one thread, with the
// settings `nnocr train` gives the CRNN (the training fonts of the system
// font folders, the default corpus, SynthConfig defaults, 32 px high):
//
//   BM_synth_training  augmented lines as training draws them (8 % of them
//                      left clean, as SynthConfig::clean_fraction says)
//   BM_synth_clean     clean lines (no augmentation, no neighbouring lines),
//                      as the clean validation set draws them
//   BM_augment_only    augment() + resize of already rendered lines: the
//                      share of the work the degradations take
//
// items/s is lines per second. Every run makes lines 0, 1, 2, ... of one
// seed, so runs before and after a change measure the same lines. The
// target (issue 5): >= 2,000 augmented lines/s on one core, so that
// generation never bounds training.
#include <benchmark/benchmark.h>

#include <nnocr/nnocr.hpp>

#include <cstdio>
#include <memory>

using namespace nnocr;

namespace {

data::SynthConfig training_config() {
  data::SynthConfig cfg;  // as tools/cmd_train.hpp fills it
  cfg.fonts = data::font_paths(data::split_fonts(data::find_system_fonts()).train);
  cfg.seed = 1;
  cfg.max_chars = 48;
  cfg.target_height = 32;
  return cfg;
}

std::vector<std::string> corpus() {
  const std::string path = data::find_default_corpus();
  if (path.empty()) std::fprintf(stderr, "bench_synth: no corpus found; generated text only\n");
  return path.empty() ? std::vector<std::string>{} : data::load_corpus(path);
}

const data::LineSynthesizer& training_synth() {
  static const data::LineSynthesizer s(training_config(), corpus());
  return s;
}

const data::LineSynthesizer& clean_synth() {
  static const data::LineSynthesizer s = [] {
    data::SynthConfig cfg = training_config();
    cfg.augment = image::AugmentConfig::none();
    cfg.clean_fraction = 1;
    cfg.neighbour_lines = 0;
    return data::LineSynthesizer(cfg, corpus());
  }();
  return s;
}

void run(benchmark::State& state, const data::LineSynthesizer& synth) {
  std::uint64_t index = 0;
  std::int64_t pixels = 0;
  for (auto _ : state) {
    data::SynthSample s = synth.make(index++);
    pixels += static_cast<std::int64_t>(s.image.width()) * s.image.height();
    benchmark::DoNotOptimize(s.image.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["px/line"] = static_cast<double>(pixels) / static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
  state.counters["fonts"] = static_cast<double>(synth.fonts().size());
}

void BM_synth_training(benchmark::State& state) { run(state, training_synth()); }
void BM_synth_clean(benchmark::State& state) { run(state, clean_synth()); }

void BM_augment_only(benchmark::State& state) {
  // 256 clean lines at their rendered size (target_height 0), then the
  // training path's augment + resize to 32 px on them in turn.
  static const std::vector<image::Image> rendered = [] {
    data::SynthConfig cfg = training_config();
    cfg.augment = image::AugmentConfig::none();
    cfg.clean_fraction = 1;
    cfg.target_height = 0;
    const data::LineSynthesizer s(cfg, corpus());
    std::vector<image::Image> out;
    for (std::uint64_t i = 0; i < 256; ++i) out.push_back(s.make(i).image);
    return out;
  }();
  const image::AugmentConfig augment;
  std::uint64_t index = 0;
  for (auto _ : state) {
    Rng rng = data::sample_rng(7, index);
    const image::Image& line = rendered[index++ % rendered.size()];
    image::Image img = image::augment(line, rng, augment);
    const int w = std::max(1, static_cast<int>(std::lround(img.width() * 32.0 / img.height())));
    img = img.height() > 48 ? image::resize_area(img, w, 32) : image::resize_bilinear(img, w, 32);
    benchmark::DoNotOptimize(img.data());
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_synth_training)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_synth_clean)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_augment_only)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

BENCHMARK_MAIN();
