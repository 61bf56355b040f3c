// rng.hpp — a seeded random number generator whose streams are the same on
// every platform and compiler.
//
// The generator is PCG32 (O'Neill 2014, "PCG: A Family of Simple Fast
// Space-Efficient Statistically Good Algorithms for Random Number
// Generation"): a 64-bit LCG whose output is permuted by an xorshift and a
// data-dependent rotation. The (seed, stream) pair selects one of 2^63
// independent sequences. The distributions below are written here, not taken
// from <random>, whose distributions differ between standard libraries.
#pragma once

#include <cmath>
#include <cstdint>

#include "error.hpp"

namespace nnocr {

class Rng {
 public:
  struct State {
    std::uint64_t state = 0, increment = 0;
    bool has_spare_normal = false;
    double spare_normal = 0.0;
  };

  explicit Rng(std::uint64_t seed = 0x853c49e6748fea9bULL, std::uint64_t stream = 0) {
    state_.increment = (stream << 1u) | 1u;
    state_.state = 0;
    next_u32();
    state_.state += seed;
    next_u32();
  }

  // A generator on another stream, derived from this one's next outputs:
  // workers each get one so that their draws never overlap.
  Rng split(std::uint64_t stream) {
    std::uint64_t seed = next_u64();
    return Rng(seed, stream);
  }

  std::uint32_t next_u32() {
    std::uint64_t old = state_.state;
    state_.state = old * 6364136223846793005ULL + state_.increment;
    auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
    auto rot = static_cast<std::uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
  }
  std::uint64_t next_u64() {
    std::uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }

  // Uniform float in [0, 1) with 24 random bits (every representable
  // multiple of 2^-24).
  float uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Uniform double in [0, 1) with 53 random bits.
  double uniform_double() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }

  // Uniform integer in [0, n), unbiased (rejection of the short final
  // interval). n must be positive.
  std::uint64_t uniform_index(std::uint64_t n) {
    NNOCR_CHECK(n > 0, "Rng::uniform_index needs a positive bound");
    std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    for (;;) {
      std::uint64_t r = next_u64();
      if (r < limit) return r % n;
    }
  }
  // Uniform integer in [lo, hi], both ends included.
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    NNOCR_CHECK(lo <= hi, "Rng::uniform_int: empty range [", lo, ", ", hi, "]");
    return lo + static_cast<std::int64_t>(uniform_index(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  bool bernoulli(double p) { return uniform_double() < p; }

  // Standard normal by the Box-Muller transform; the second value of each
  // pair is kept for the next call.
  double normal_double() {
    if (state_.has_spare_normal) {
      state_.has_spare_normal = false;
      return state_.spare_normal;
    }
    double u1 = 1.0 - uniform_double();  // (0, 1]: log stays finite
    double u2 = uniform_double();
    double r = std::sqrt(-2.0 * std::log(u1));
    double theta = 6.283185307179586 * u2;
    state_.spare_normal = r * std::sin(theta);
    state_.has_spare_normal = true;
    return r * std::cos(theta);
  }
  float normal(float mean = 0.0f, float stddev = 1.0f) {
    return mean + stddev * static_cast<float>(normal_double());
  }

  // The whole state, for checkpoints: restoring it continues the sequence.
  const State& state() const { return state_; }
  void set_state(const State& s) { state_ = s; }

 private:
  State state_;
};

}  // namespace nnocr
