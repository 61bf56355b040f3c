// loop.hpp — a reusable training loop: steps, a progress line on stderr,
// periodic evaluation and checkpoints.
//
// The loop knows nothing of models: the caller gives it callbacks.
//   step(s)        runs optimizer step s (forward, backward, update) and
//                  returns the loss and the number of items it consumed;
//   evaluate(s)    optional; returns a one-line summary ("acc 98.7%");
//   save(s)        optional; writes a checkpoint from which training resumes
//                  at step s (the caller writes it atomically, see
//                  train/checkpoint.hpp).
// run(start) runs steps start .. total-1: to resume, load the checkpoint and
// pass the step it recorded. Progress: "[mnist] 1200/3000 40.0% | 21.5 it/s
// 688 items/s | loss 0.1312 | ETA 1m24s", refreshed in place on a terminal
// and printed as a line every few seconds otherwise (logs stay readable).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <unistd.h>

#include "../core/error.hpp"

namespace nnocr::train {

struct StepResult {
  double loss = 0.0;
  std::int64_t items = 0;  // e.g. images in the batch
};

struct TrainLoopConfig {
  std::string name = "train";
  std::int64_t total_steps = 0;
  std::int64_t eval_every = 0;        // 0: evaluate only at the end
  std::int64_t checkpoint_every = 0;  // 0: checkpoint only at the end
  bool progress = true;
  double log_seconds = 10.0;  // interval between progress lines when stderr is not a terminal
};

inline std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<std::int64_t>(seconds + 0.5);
  char buf[48];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  return buf;
}

class TrainLoop {
 public:
  std::function<StepResult(std::int64_t step)> step;
  std::function<std::string(std::int64_t step)> evaluate;
  std::function<void(std::int64_t next_step)> save;

  explicit TrainLoop(TrainLoopConfig config) : config_(std::move(config)) {}

  // Smoothed training loss (exponential moving average over ~50 steps).
  double smoothed_loss() const { return smoothed_; }

  void run(std::int64_t start_step = 0) {
    NNOCR_CHECK(step != nullptr, "TrainLoop: no step function");
    NNOCR_CHECK(start_step >= 0 && start_step <= config_.total_steps, "TrainLoop: start step ", start_step,
                " is outside [0, ", config_.total_steps, "]");
    using clock = std::chrono::steady_clock;
    const bool tty = ::isatty(2) != 0;
    const auto t0 = clock::now();
    auto last_print = t0;
    std::int64_t items = 0, done = 0;
    smoothed_ = NAN;
    for (std::int64_t s = start_step; s < config_.total_steps; ++s) {
      const StepResult r = step(s);
      ++done;
      items += r.items;
      if (std::isfinite(r.loss)) smoothed_ = std::isnan(smoothed_) ? r.loss : 0.98 * smoothed_ + 0.02 * r.loss;
      const bool last = s + 1 == config_.total_steps;
      const auto now = clock::now();
      const double elapsed = std::chrono::duration<double>(now - t0).count();
      const double since = std::chrono::duration<double>(now - last_print).count();
      if (config_.progress && (last || (tty ? since > 0.1 : since > config_.log_seconds))) {
        print_progress(s + 1, done, items, elapsed, tty, last);
        last_print = now;
      }
      const bool eval_now = evaluate && (last || (config_.eval_every > 0 && (s + 1) % config_.eval_every == 0));
      const bool save_now = save && (last || (config_.checkpoint_every > 0 && (s + 1) % config_.checkpoint_every == 0));
      if (save_now) save(s + 1);
      if (eval_now) {
        const std::string summary = evaluate(s + 1);
        if (config_.progress) {
          if (tty) std::fputs("\n", stderr);
          std::fprintf(stderr, "[%s] step %lld: %s\n", config_.name.c_str(), static_cast<long long>(s + 1),
                       summary.c_str());
        }
      }
    }
    if (config_.progress && tty) std::fputs("\n", stderr);
  }

 private:
  void print_progress(std::int64_t at, std::int64_t done, std::int64_t items, double elapsed, bool tty,
                      bool last) const {
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(config_.total_steps - at) / rate : NAN;
    char line[256];
    std::snprintf(line, sizeof line, "[%s] %lld/%lld %5.1f%% | %.1f it/s %.0f items/s | loss %.4f | %s %s",
                  config_.name.c_str(), static_cast<long long>(at), static_cast<long long>(config_.total_steps),
                  100.0 * static_cast<double>(at) / static_cast<double>(config_.total_steps), rate,
                  elapsed > 0 ? static_cast<double>(items) / elapsed : 0.0, smoothed_, last ? "took" : "ETA",
                  format_duration(last ? elapsed : eta).c_str());
    std::fprintf(stderr, tty ? "\r%s\x1b[K" : "%s\n", line);
    std::fflush(stderr);
  }

  TrainLoopConfig config_;
  double smoothed_ = NAN;
};

}  // namespace nnocr::train
