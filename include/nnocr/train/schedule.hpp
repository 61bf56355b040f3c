// schedule.hpp — learning-rate schedules as plain data: lr(step) for step
// 0, 1, 2, ... (the step about to be taken).
//   constant   lr = base
//   step       lr = base * gamma^floor(step / step_size)
//   cosine     lr = min + (base - min) (1 + cos(pi step / total)) / 2
//   one_cycle  (Smith 2018, PyTorch's OneCycleLR with cosine annealing):
//              from base/div_factor up to base over pct_start of total steps,
//              then down to base/(div_factor*final_div_factor)
// Any of them can start with a linear warm-up: lr *= (step + 1) / warmup
// for step < warmup (and the schedule's own clock starts after it).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "../core/error.hpp"

namespace nnocr::train {

struct LrSchedule {
  enum class Kind { constant, step, cosine, one_cycle };
  Kind kind = Kind::constant;
  float base_lr = 1e-3f;
  std::int64_t total_steps = 1;  // cosine, one_cycle
  std::int64_t step_size = 1;    // step
  float gamma = 0.1f;            // step
  float min_lr = 0.0f;           // cosine
  float pct_start = 0.3f, div_factor = 25.0f, final_div_factor = 1e4f;  // one_cycle
  std::int64_t warmup_steps = 0;

  float operator()(std::int64_t step) const {
    NNOCR_CHECK(step >= 0, "LrSchedule: negative step ", step);
    double warm = 1.0;
    if (step < warmup_steps) warm = static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
    const std::int64_t s = std::max<std::int64_t>(0, step - warmup_steps);
    const double base = base_lr;
    double lr = base;
    constexpr double pi = 3.14159265358979323846;
    auto cos_anneal = [&](double from, double to, double frac) {
      frac = std::clamp(frac, 0.0, 1.0);
      return to + (from - to) * 0.5 * (1.0 + std::cos(pi * frac));
    };
    switch (kind) {
      case Kind::constant: break;
      case Kind::step:
        NNOCR_CHECK(step_size > 0, "LrSchedule: step_size must be positive");
        lr = base * std::pow(static_cast<double>(gamma), static_cast<double>(s / step_size));
        break;
      case Kind::cosine:
        NNOCR_CHECK(total_steps > 0, "LrSchedule: total_steps must be positive");
        lr = cos_anneal(base, min_lr, static_cast<double>(s) / static_cast<double>(total_steps));
        break;
      case Kind::one_cycle: {
        NNOCR_CHECK(total_steps > 1, "LrSchedule: one_cycle needs total_steps > 1");
        const double initial = base / div_factor, final_lr = initial / final_div_factor;
        const double up = std::max(1.0, static_cast<double>(pct_start) * static_cast<double>(total_steps) - 1.0);
        const double down = static_cast<double>(total_steps - 1) - up;
        const double t = static_cast<double>(s);
        lr = t <= up ? cos_anneal(initial, base, t / up) : cos_anneal(base, final_lr, (t - up) / std::max(down, 1.0));
        break;
      }
    }
    return static_cast<float>(lr * warm);
  }

  static LrSchedule constant_lr(float lr) {
    LrSchedule s;
    s.base_lr = lr;
    return s;
  }
  static LrSchedule cosine(float lr, std::int64_t total, float min_lr = 0.0f, std::int64_t warmup = 0) {
    LrSchedule s;
    s.kind = Kind::cosine;
    s.base_lr = lr;
    s.total_steps = total;
    s.min_lr = min_lr;
    s.warmup_steps = warmup;
    return s;
  }
  static LrSchedule step_decay(float lr, std::int64_t step_size, float gamma) {
    LrSchedule s;
    s.kind = Kind::step;
    s.base_lr = lr;
    s.step_size = step_size;
    s.gamma = gamma;
    return s;
  }
  static LrSchedule one_cycle(float max_lr, std::int64_t total) {
    LrSchedule s;
    s.kind = Kind::one_cycle;
    s.base_lr = max_lr;
    s.total_steps = total;
    return s;
  }
};

}  // namespace nnocr::train
