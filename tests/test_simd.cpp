#include "test_util.hpp"

#include <nnocr/kernels/elementwise.hpp>
#include <nnocr/simd/simd.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace nnocr;

TEST_CASE("ISA names, detection and override") {
  CHECK(simd::parse_isa("avx512") == simd::Isa::avx512);
  CHECK_THROWS_AS(simd::parse_isa("sse9"), Error);
  CHECK(simd::isa_available(simd::Isa::scalar));
  CHECK(simd::isa_available(simd::best_isa()));
#if NNOCR_ARCH_X86_64
  CHECK_FALSE(simd::isa_available(simd::Isa::neon));
  CHECK_THROWS_AS(simd::set_isa(simd::Isa::neon), Error);
#elif NNOCR_ARCH_AARCH64
  CHECK(simd::best_isa() == simd::Isa::neon);
  CHECK_THROWS_AS(simd::set_isa(simd::Isa::avx2), Error);
#endif
  const simd::Isa before = simd::active_isa();
  {
    simd::IsaScope scope(simd::Isa::scalar);
    CHECK(simd::active_isa() == simd::Isa::scalar);
    CHECK(std::string(simd::isa_source()) == "set_isa");
  }
  CHECK(simd::active_isa() == before);
}

namespace {

struct MathCase {
  const char* name;
  void (*kernel)(const float*, float*, index_t);
  double (*reference)(double);
  float lo, hi;
};

double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Max relative error of kernel against the double-precision reference on
// a dense grid of [lo, hi] plus the grid's edges.
double max_rel_error(const MathCase& c, int points) {
  std::vector<float> x, y;
  for (int i = 0; i <= points; ++i) x.push_back(c.lo + (c.hi - c.lo) * static_cast<float>(i) / points);
  y.resize(x.size());
  c.kernel(x.data(), y.data(), static_cast<index_t>(x.size()));
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = c.reference(x[i]);
    if (r == 0) continue;
    worst = std::max(worst, std::fabs(y[i] - r) / std::fabs(r));
  }
  return worst;
}

}  // namespace

TEST_CASE("vector exp, log, tanh, sigmoid: max relative error <= 2e-6 on every ISA") {
  const MathCase cases[] = {
      {"exp", kernels::exp, [](double v) { return std::exp(v); }, -87.3f, 88.7f},
      {"exp near 0", kernels::exp, [](double v) { return std::exp(v); }, -1e-3f, 1e-3f},
      {"log", kernels::log, [](double v) { return std::log(v); }, 1e-30f, 1e30f},
      {"log near 1", kernels::log, [](double v) { return std::log(v); }, 0.9f, 1.1f},
      {"log small", kernels::log, [](double v) { return std::log(v); }, 1e-44f, 1e-36f},
      {"tanh", kernels::tanh, [](double v) { return std::tanh(v); }, -12.0f, 12.0f},
      {"tanh near 0", kernels::tanh, [](double v) { return std::tanh(v); }, -0.6f, 0.6f},
      {"sigmoid", kernels::sigmoid, ref_sigmoid, -87.0f, 30.0f},
  };
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    for (const auto& c : cases) {
      const std::string label = std::string(simd::isa_name(isa)) + " " + c.name;
      CAPTURE(label);
      CHECK(max_rel_error(c, 200000) <= 2e-6);
    }
  }
}

TEST_CASE("vector math special values") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    const std::string isa_name = simd::isa_name(isa);
    CAPTURE(isa_name);
    const float x[] = {0.0f, inf, -inf, nan, 200.0f, -200.0f};
    float y[6];
    kernels::exp(x, y, 6);
    CHECK(y[0] == 1.0f);
    CHECK(y[1] == inf);
    CHECK(y[2] == 0.0f);
    CHECK(std::isnan(y[3]));
    CHECK(y[4] == inf);
    CHECK(y[5] == 0.0f);
    kernels::tanh(x, y, 6);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == 1.0f);
    CHECK(y[2] == -1.0f);
    CHECK(std::isnan(y[3]));
    CHECK(y[5] == -1.0f);
    kernels::sigmoid(x, y, 6);
    CHECK(y[0] == 0.5f);
    CHECK(y[1] == 1.0f);
    CHECK(y[2] == 0.0f);
    CHECK(std::isnan(y[3]));
    const float lx[] = {0.0f, -1.0f, inf, nan, 1.0f, 1e-45f};
    kernels::log(lx, y, 6);
    CHECK(y[0] == -inf);
    CHECK(std::isnan(y[1]));
    CHECK(y[2] == inf);
    CHECK(std::isnan(y[3]));
    CHECK(y[4] == 0.0f);
    CHECK(y[5] == doctest::Approx(std::log(double(1e-45f))).epsilon(1e-6));  // smallest denormal
  }
}

TEST_CASE("array kernels handle every length and never write past the end") {
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    const std::string isa_name = simd::isa_name(isa);
    CAPTURE(isa_name);
    for (index_t n = 0; n <= 70; ++n) {
      std::vector<float> x(static_cast<std::size_t>(n) + 16, 0.5f), y(static_cast<std::size_t>(n) + 16, -7.0f);
      kernels::tanh(x.data(), y.data(), n);
      for (index_t i = 0; i < n; ++i) REQUIRE(y[static_cast<std::size_t>(i)] == doctest::Approx(std::tanh(0.5)));
      for (std::size_t i = static_cast<std::size_t>(n); i < y.size(); ++i) REQUIRE(y[i] == -7.0f);
    }
    // In place.
    std::vector<float> v(33, 1.0f);
    kernels::exp(v.data(), v.data(), 33);
    CHECK(v[32] == doctest::Approx(std::exp(1.0)));
  }
}

TEST_CASE("SIMD paths agree with the scalar path") {
  std::vector<float> x(1000), ref(1000), y(1000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -20.0f + 40.0f * static_cast<float>(i) / 999.0f;
  {
    simd::IsaScope scope(simd::Isa::scalar);
    kernels::sigmoid(x.data(), ref.data(), 1000);
  }
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    kernels::sigmoid(x.data(), y.data(), 1000);
    for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(y[i] == doctest::Approx(ref[i]).epsilon(1e-6));
  }
}
