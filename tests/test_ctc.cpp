// CTC loss: against PyTorch's golden values (tests/data/golden/ctc.safetensors,
// made by tests/golden/make_golden_ctc.py), against brute-force enumeration
// of every path, against finite differences, on every ISA.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <nnocr/core/rng.hpp>
#include <nnocr/io/json.hpp>
#include <nnocr/io/safetensors.hpp>
#include <nnocr/nn/softmax.hpp>
#include <nnocr/train/ctc.hpp>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace nnocr;
using train::CtcOptions;
using train::CtcReduction;

namespace {

const io::SafeTensorsFile& golden() { return test::golden_file("ctc.safetensors"); }

std::vector<index_t> lengths(const std::string& name) {
  const Tensor<std::int64_t> t = golden().to_int64(name);
  return std::vector<index_t>(t.begin(), t.end());
}

CtcReduction reduction_of(const std::string& r) {
  if (r == "none") return CtcReduction::none;
  if (r == "sum") return CtcReduction::sum;
  return CtcReduction::mean;
}

bool close(double a, double b, double tol) {
  if (std::isnan(b)) return std::isnan(a);
  if (std::isinf(b)) return a == b;
  return std::abs(a - b) <= tol * std::max(1.0, std::abs(b));
}

// Every element within tol of the reference, relative to the reference's
// largest magnitude (gradients are small where the posterior matches the
// softmax); NaN must meet NaN.
void check_grad(const Tensor<float>& got, const Tensor<float>& want, double tol) {
  REQUIRE(got.shape() == want.shape());
  double scale = 0.0;
  for (float v : want)
    if (std::isfinite(v)) scale = std::max(scale, std::abs(static_cast<double>(v)));
  double worst = 0.0;
  index_t nan_mismatch = 0;
  for (index_t i = 0; i < got.numel(); ++i) {
    if (std::isnan(want[i]) != std::isnan(got[i])) ++nan_mismatch;
    if (std::isnan(want[i])) continue;
    worst = std::max(worst, std::abs(static_cast<double>(got[i]) - want[i]));
  }
  CHECK(nan_mismatch == 0);
  CHECK(worst <= tol * std::max(scale, 1e-3));
}

// -log p(l | x) by summing over every path of T frames (C^T of them).
double brute_force_nll(const Tensor<float>& logits, index_t n, index_t T, const std::vector<std::int32_t>& label,
                       std::int32_t blank) {
  const index_t C = logits.size(2);
  std::vector<double> logp(static_cast<std::size_t>(T * C));
  for (index_t t = 0; t < T; ++t) {
    double m = -1e300, s = 0.0;
    for (index_t c = 0; c < C; ++c) m = std::max(m, static_cast<double>(logits(t, n, c)));
    for (index_t c = 0; c < C; ++c) s += std::exp(logits(t, n, c) - m);
    for (index_t c = 0; c < C; ++c) logp[static_cast<std::size_t>(t * C + c)] = logits(t, n, c) - m - std::log(s);
  }
  double total = 0.0;
  std::vector<std::int32_t> path(static_cast<std::size_t>(T), 0);
  for (;;) {
    std::vector<std::int32_t> collapsed;
    std::int32_t prev = -1;
    double lp = 0.0;
    for (index_t t = 0; t < T; ++t) {
      const std::int32_t c = path[static_cast<std::size_t>(t)];
      lp += logp[static_cast<std::size_t>(t * C + c)];
      if (c != blank && c != prev) collapsed.push_back(c);
      prev = c;
    }
    if (collapsed == label) total += std::exp(lp);
    index_t t = 0;
    while (t < T && ++path[static_cast<std::size_t>(t)] == C) path[static_cast<std::size_t>(t++)] = 0;
    if (t == T) break;
  }
  return -std::log(total);
}

Tensor<float> random_logits(Rng& rng, index_t T, index_t N, index_t C, float scale = 1.0f) {
  Tensor<float> x({T, N, C});
  for (float& v : x) v = scale * rng.normal();
  return x;
}

}  // namespace

TEST_CASE("ctc_loss matches PyTorch") {
  const char* names[] = {"basic", "impossible_zi0", "impossible_zi1", "blank_last", "blank_middle", "bench_shape",
                         "peaked"};
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    for (const char* name_c : names) {
      const std::string name = name_c;
      const io::Json config = io::parse_json(*golden().find_metadata(name), name);
      const Tensor<float> logits = golden().to_float(name + ".logits");
      const Tensor<std::int32_t> targets = golden().to_int32(name + ".targets");
      const auto input_lengths = lengths(name + ".input_lengths");
      const auto target_lengths = lengths(name + ".target_lengths");
      for (const io::Json& r : config.at("reductions").as_array()) {
        const std::string red = r.as_string();
        INFO(test::isa_label(isa), " case ", name, " reduction ", red);
        CtcOptions options;
        options.blank = static_cast<std::int32_t>(config.at("blank").as_int());
        options.zero_infinity = config.at("zero_infinity").as_bool();
        options.reduction = reduction_of(red);
        const train::CtcResult got = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
        const Tensor<float> want_loss = golden().to_float(name + "." + red + ".loss");
        if (options.reduction == CtcReduction::none) {
          REQUIRE(static_cast<index_t>(got.losses.size()) == want_loss.numel());
          for (index_t n = 0; n < want_loss.numel(); ++n) {
            INFO("item ", n, ": ", got.losses[static_cast<std::size_t>(n)], " vs ", want_loss[n]);
            CHECK(close(got.losses[static_cast<std::size_t>(n)], want_loss[n], 1e-4));
          }
        } else {
          INFO(got.loss, " vs ", want_loss[0]);
          CHECK(close(got.loss, want_loss[0], 1e-4));
        }
        check_grad(got.grad, golden().to_float(name + "." + red + ".grad"), 1e-4);

        // Padded [N, S] targets give the same answer as concatenated ones.
        index_t width = 1;
        for (index_t l : target_lengths) width = std::max(width, l);
        const index_t N = logits.size(1);
        Tensor<std::int32_t> padded({N, width}, -7);
        index_t offset = 0;
        for (index_t n = 0; n < N; ++n)
          for (index_t i = 0; i < target_lengths[static_cast<std::size_t>(n)]; ++i) padded(n, i) = targets[offset++];
        const train::CtcResult again = train::ctc_loss(logits, padded, input_lengths, target_lengths, options);
        CHECK((again.loss == got.loss || (std::isnan(again.loss) && std::isnan(got.loss))));
        for (index_t i = 0; i < got.grad.numel(); ++i)
          if (!(again.grad[i] == got.grad[i] || (std::isnan(again.grad[i]) && std::isnan(got.grad[i])))) {
            FAIL_CHECK("padded targets differ at element ", i);
            break;
          }
      }
    }
  }
}

TEST_CASE("ctc_loss equals the sum over all paths, repeated labels included") {
  Rng rng(5);
  const index_t T = 6, N = 5, C = 3;
  const Tensor<float> logits = random_logits(rng, T, N, C, 1.5f);
  // "aa" needs a blank between the a's; "ab" does not; "aba"; "" (all blank); "bb" in 4 frames.
  const std::vector<std::vector<std::int32_t>> labels = {{1, 1}, {1, 2}, {1, 2, 1}, {}, {2, 2}};
  const std::vector<index_t> input_lengths = {6, 5, 6, 4, 4};
  std::vector<std::int32_t> flat;
  std::vector<index_t> target_lengths;
  for (const auto& l : labels) {
    flat.insert(flat.end(), l.begin(), l.end());
    target_lengths.push_back(static_cast<index_t>(l.size()));
  }
  const Tensor<std::int32_t> targets({static_cast<index_t>(flat.size())}, flat);
  CtcOptions options;
  options.reduction = CtcReduction::none;
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    INFO(test::isa_label(isa));
    const auto got = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
    for (index_t n = 0; n < N; ++n) {
      const double want = brute_force_nll(logits, n, input_lengths[static_cast<std::size_t>(n)],
                                          labels[static_cast<std::size_t>(n)], 0);
      INFO("item ", n);
      CHECK(close(got.losses[static_cast<std::size_t>(n)], want, 1e-5));
    }
  }
}

TEST_CASE("ctc_loss gradient matches finite differences") {
  Rng rng(11);
  const index_t T = 7, N = 3, C = 5;
  Tensor<float> logits = random_logits(rng, T, N, C);
  const Tensor<std::int32_t> targets({6}, {1, 1, 3, 2, 4, 2});
  const std::vector<index_t> input_lengths = {7, 6, 5}, target_lengths = {3, 1, 2};
  CtcOptions options;
  options.reduction = CtcReduction::mean;
  const auto result = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
  const float h = 1e-2f;
  double worst = 0.0;
  for (index_t i = 0; i < logits.numel(); ++i) {
    const float keep = logits[i];
    logits[i] = keep + h;
    const double up = train::ctc_loss(logits, targets, input_lengths, target_lengths, options).loss;
    logits[i] = keep - h;
    const double down = train::ctc_loss(logits, targets, input_lengths, target_lengths, options).loss;
    logits[i] = keep;
    const double numeric = (up - down) / (2.0 * h);
    worst = std::max(worst, std::abs(numeric - result.grad[i]) / (1e-3 + 1e-2 * std::abs(numeric)));
  }
  CHECK(worst <= 1.0);
}

TEST_CASE("ctc_loss_from_log_probs: same loss, gradient that log_softmax turns into the logits' gradient") {
  Rng rng(3);
  const index_t T = 9, N = 4, C = 6;
  const Tensor<float> logits = random_logits(rng, T, N, C, 2.0f);
  Tensor<float> log_probs(logits.shape());
  nn::log_softmax_rows(logits.data(), log_probs.data(), T * N, C);
  const Tensor<std::int32_t> targets({8}, {1, 2, 2, 5, 3, 4, 4, 1});
  const std::vector<index_t> input_lengths = {9, 8, 9, 5}, target_lengths = {3, 2, 0, 3};
  for (CtcReduction red : {CtcReduction::none, CtcReduction::mean, CtcReduction::sum}) {
    CtcOptions options;
    options.reduction = red;
    const auto a = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
    const auto b = train::ctc_loss_from_log_probs(log_probs, targets, input_lengths, target_lengths, options);
    CHECK(close(a.loss, b.loss, 1e-5));
    // log_softmax backward: dz = dy - softmax * sum(dy).
    for (index_t r = 0; r < T * N; ++r) {
      double s = 0.0;
      for (index_t c = 0; c < C; ++c) s += b.grad[r * C + c];
      for (index_t c = 0; c < C; ++c) {
        const double dz = b.grad[r * C + c] - std::exp(log_probs[r * C + c]) * s;
        CHECK(std::abs(dz - a.grad[r * C + c]) < 1e-5);
      }
    }
  }
}

TEST_CASE("ctc_loss options: losses without gradient, zero_infinity, thread counts") {
  Rng rng(8);
  const index_t T = 10, N = 6, C = 8;
  const Tensor<float> logits = random_logits(rng, T, N, C);
  const Tensor<std::int32_t> targets({14}, {1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 2, 3});
  const std::vector<index_t> input_lengths = {10, 10, 3, 6, 9, 1}, target_lengths = {3, 3, 2, 4, 2, 0};
  CtcOptions options;
  options.reduction = CtcReduction::sum;
  const auto full = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
  CHECK(std::isinf(full.losses[3]));  // "7777" needs 7 frames, 6 given
  options.compute_gradient = false;
  const auto losses_only = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
  CHECK(losses_only.grad.empty());
  for (std::size_t n = 0; n < full.losses.size(); ++n)
    CHECK((losses_only.losses[n] == full.losses[n]));
  options.compute_gradient = true;
  options.zero_infinity = true;
  const int threads = num_threads();
  set_num_threads(1);
  const auto one = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
  set_num_threads(2);
  const auto two = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
  set_num_threads(threads);
  CHECK(one.loss == two.loss);
  CHECK(std::isfinite(one.loss));
  for (index_t i = 0; i < one.grad.numel(); ++i) REQUIRE(one.grad[i] == two.grad[i]);
  CHECK(one.losses[3] == 0.0);
  for (index_t t = 0; t < T; ++t)
    for (index_t c = 0; c < C; ++c) REQUIRE(one.grad(t, 3, c) == 0.0f);
  CHECK(std::isfinite(one.losses[2]));  // "77" in exactly 3 frames
  CHECK(one.losses[5] > 0.0);           // all blank in 1 frame
}

TEST_CASE("ctc_loss: every ISA agrees with the scalar reference on awkward sizes") {
  Rng rng(21);
  const index_t T = 45, N = 7, C = 37;
  const Tensor<float> logits = random_logits(rng, T, N, C, 2.0f);
  // S = 2L + 1 = 1, 15, 17, 31, 33, 41, 65: below, at and above vector widths.
  const std::vector<index_t> target_lengths = {0, 7, 8, 15, 16, 20, 32}, input_lengths = {45, 44, 17, 45, 40, 45, 45};
  std::vector<std::int32_t> flat;
  for (index_t l : target_lengths)
    for (index_t i = 0; i < l; ++i) flat.push_back(1 + static_cast<std::int32_t>(rng.next_u32() % (C - 1)));
  const Tensor<std::int32_t> targets({static_cast<index_t>(flat.size())}, flat);
  CtcOptions options;
  options.reduction = CtcReduction::none;
  train::CtcResult reference;
  {
    simd::IsaScope scope(simd::Isa::scalar);
    reference = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
  }
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    INFO(test::isa_label(isa));
    const auto got = train::ctc_loss(logits, targets, input_lengths, target_lengths, options);
    for (std::size_t n = 0; n < got.losses.size(); ++n) CHECK(close(got.losses[n], reference.losses[n], 1e-5));
    check_grad(got.grad, reference.grad, 1e-5);
  }
}

TEST_CASE("ctc_loss: NaN in an item's input gives that item NaN, the others are unaffected") {
  Rng rng(6);
  Tensor<float> logits = random_logits(rng, 6, 3, 5);
  const Tensor<std::int32_t> targets({4}, {1, 2, 3, 4});
  const std::vector<index_t> il = {6, 6, 6}, tl = {2, 1, 1};
  CtcOptions options;
  options.reduction = CtcReduction::none;
  options.zero_infinity = true;
  const auto clean = train::ctc_loss(logits, targets, il, tl, options);
  logits(2, 1, 4) = std::numeric_limits<float>::quiet_NaN();
  const auto dirty = train::ctc_loss(logits, targets, il, tl, options);
  CHECK(std::isnan(dirty.losses[1]));
  CHECK(dirty.losses[0] == clean.losses[0]);
  CHECK(dirty.losses[2] == clean.losses[2]);
  CHECK(std::isnan(dirty.grad(0, 1, 0)));
  CHECK(dirty.grad(0, 0, 0) == clean.grad(0, 0, 0));
}

TEST_CASE("ctc_loss rejects bad shapes, lengths and labels") {
  Rng rng(2);
  const Tensor<float> logits = random_logits(rng, 5, 2, 4);
  const Tensor<std::int32_t> targets({3}, {1, 2, 3});
  const std::vector<index_t> il = {5, 4}, tl = {2, 1};
  CHECK_NOTHROW(train::ctc_loss(logits, targets, il, tl));
  CHECK_THROWS_AS(train::ctc_loss(Tensor<float>({5, 8}), targets, il, tl), Error);
  CHECK_THROWS_WITH_AS(train::ctc_loss(logits, targets, {6, 4}, tl), doctest::Contains("input length 6"), Error);
  CHECK_THROWS_AS(train::ctc_loss(logits, targets, {5}, tl), Error);
  CHECK_THROWS_AS(train::ctc_loss(logits, targets, il, {2, 2}), Error);   // adds up to 4 > 3
  CHECK_THROWS_AS(train::ctc_loss(logits, targets, il, {1, 1}), Error);   // adds up to 2 < 3
  CHECK_THROWS_AS(train::ctc_loss(logits, targets, il, {-1, 4}), Error);
  CHECK_THROWS_WITH_AS(train::ctc_loss(logits, Tensor<std::int32_t>({3}, {1, 0, 3}), il, tl),
                       doctest::Contains("is the blank"), Error);
  CHECK_THROWS_AS(train::ctc_loss(logits, Tensor<std::int32_t>({3}, {1, 4, 3}), il, tl), Error);
  CHECK_THROWS_AS(train::ctc_loss(logits, Tensor<std::int32_t>({2, 1}, {1, 2}), il, tl), Error);  // width 1 < 2
  CtcOptions bad_blank;
  bad_blank.blank = 4;
  CHECK_THROWS_AS(train::ctc_loss(logits, targets, il, tl, bad_blank), Error);
}
