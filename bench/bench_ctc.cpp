// bench_ctc — the CTC loss (T=32, N=32, C=100, label length 10, reduction
// mean, one thread) on each ISA: forward + backward and the loss alone (no
// gradient), each from logits and from log-probabilities; and
// the decoders on one T=64, C=100 line: greedy, prefix beam search (width
// 10), and beam search with a character 5-gram LM and a lexicon.
// PyTorch's figures for the loss come from bench/ctc_torch.py (same shape,
// the same three variants).
#include <benchmark/benchmark.h>

#include <nnocr/core/rng.hpp>
#include <nnocr/core/thread_pool.hpp>
#include <nnocr/decode/char_lm.hpp>
#include <nnocr/decode/ctc.hpp>
#include <nnocr/nn/softmax.hpp>
#include <nnocr/simd/isa.hpp>
#include <nnocr/train/ctc.hpp>

#include <string>
#include <vector>

using namespace nnocr;

namespace {

struct LossInput {
  Tensor<float> logits;
  Tensor<std::int32_t> targets;
  std::vector<index_t> input_lengths, target_lengths;
};

LossInput loss_input() {
  const index_t T = 32, N = 32, C = 100, L = 10;
  Rng rng(1);
  LossInput in;
  in.logits = Tensor<float>({T, N, C});
  for (float& v : in.logits) v = rng.normal();
  in.targets = Tensor<std::int32_t>({N * L});
  for (auto& v : in.targets) v = 1 + static_cast<std::int32_t>(rng.next_u32() % (C - 1));
  in.input_lengths.assign(N, T);
  in.target_lengths.assign(N, L);
  return in;
}

// kind 0: from logits with gradient, 1: from logits, loss only, 2: from
// log-probabilities with gradient, 3: from log-probabilities, loss only.
void ctc_loss(benchmark::State& state, simd::Isa isa, int kind) {
  simd::IsaScope scope(isa);
  set_num_threads(1);
  LossInput in = loss_input();
  if (kind >= 2) nn::log_softmax_rows(in.logits.data(), in.logits.data(), 32 * 32, 100);
  train::CtcOptions options;
  options.compute_gradient = kind == 0 || kind == 2;
  for (auto _ : state) {
    auto r = kind >= 2 ? train::ctc_loss_from_log_probs(in.logits, in.targets, in.input_lengths, in.target_lengths, options)
                       : train::ctc_loss(in.logits, in.targets, in.input_lengths, in.target_lengths, options);
    benchmark::DoNotOptimize(r.loss);
    benchmark::DoNotOptimize(r.grad.data());
  }
  state.SetItemsProcessed(state.iterations() * 32);
}

// blank + 99 characters: printable ASCII and four accented letters.
std::vector<std::string> labels() {
  std::vector<std::string> l = {""};
  for (char c = 0x20; c <= 0x7E; ++c) l.emplace_back(1, c);
  for (const char* s : {"\xc3\xa9", "\xc3\xbc", "\xc3\x9f", "\xc3\xb1"}) l.emplace_back(s);
  return l;
}

const char* kText =
    "the quick brown fox jumps over the lazy dog while the cat sat on the mat and a bird sang in the tree\n"
    "a line of text from a scanned page has words and spaces and some punctuation, like this one.\n"
    "optical character recognition turns images of text into text that a computer can search\n";

// A T=64, C=100 line: 24 characters, each 1-2 frames with blanks between,
// the true class 3 to 7 logits above Gaussian noise, run through log_softmax.
Tensor<float> line_log_probs() {
  const index_t T = 64, C = 100;
  Rng rng(7);
  const auto l = labels();
  const std::string text = "the quick brown fox jump";
  Tensor<float> lp({T, C});
  index_t t = 0;
  std::size_t i = 0;
  while (t < T) {
    std::int32_t cls = 0;
    if (t % 3 != 2 && i < text.size()) {
      for (std::size_t k = 1; k < l.size(); ++k)
        if (l[k] == std::string(1, text[i])) cls = static_cast<std::int32_t>(k);
      if (t % 3 == 1) ++i;
    }
    for (index_t c = 0; c < C; ++c) lp(t, c) = rng.normal();
    lp(t, cls) += rng.uniform(3.0f, 7.0f);
    double m = -1e30, s = 0.0;
    for (index_t c = 0; c < C; ++c) m = std::max(m, static_cast<double>(lp(t, c)));
    for (index_t c = 0; c < C; ++c) s += std::exp(lp(t, c) - m);
    for (index_t c = 0; c < C; ++c) lp(t, c) = static_cast<float>(lp(t, c) - m - std::log(s));
    ++t;
  }
  return lp;
}

void greedy(benchmark::State& state) {
  const Tensor<float> lp = line_log_probs();
  const auto l = labels();
  for (auto _ : state) {
    auto h = decode::ctc_greedy_decode(lp, l);
    benchmark::DoNotOptimize(h.text.data());
  }
}

void beam(benchmark::State& state, bool with_lm) {
  const Tensor<float> lp = line_log_probs();
  const auto l = labels();
  const decode::CharLm lm = decode::CharLm::train(kText, 5);
  const decode::Lexicon lex = decode::Lexicon::from_words({"the", "quick", "brown", "fox", "jumps", "over", "lazy",
                                                           "dog", "a", "line", "of", "text", "and"});
  decode::CtcBeamOptions options;
  options.beam_width = static_cast<int>(state.range(0));
  if (with_lm) {
    options.lm = &lm;
    options.lexicon = &lex;
  }
  for (auto _ : state) {
    auto h = decode::ctc_beam_search(lp, l, options);
    benchmark::DoNotOptimize(h.data());
  }
}

int register_all() {
  for (simd::Isa isa : simd::available_isas()) {
    const std::string isa_name = simd::isa_name(isa);
    benchmark::RegisterBenchmark(("ctc_loss_forward_backward/" + isa_name).c_str(), ctc_loss, isa, 0)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("ctc_loss_forward/" + isa_name).c_str(), ctc_loss, isa, 1)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("ctc_loss_from_log_probs_forward_backward/" + isa_name).c_str(), ctc_loss, isa, 2)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("ctc_loss_from_log_probs_forward/" + isa_name).c_str(), ctc_loss, isa, 3)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("ctc_greedy_decode/T64_C100", greedy)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("ctc_beam_search/T64_C100", beam, false)->Arg(10)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("ctc_beam_search_lm_lexicon/T64_C100", beam, true)
      ->Arg(10)
      ->Unit(benchmark::kMicrosecond);
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
