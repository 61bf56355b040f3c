// test_util.hpp — helpers shared by the test files.
#pragma once

#include <doctest/doctest.h>

#include <nnocr/core/rng.hpp>
#include <nnocr/core/tensor.hpp>
#include <nnocr/simd/isa.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <system_error>

#include <stdlib.h>  // mkdtemp
#include <vector>

namespace nnocr::test {

// The unoptimised sanitizer build and the aarch64 build under qemu (see
// tests/CMakeLists.txt) run 10-300x slower than the native one: there the
// tests that read a whole page with the bundled model are skipped, and a
// few others try fewer cases; the native build runs everything.
#ifdef NNOCR_SLOW_CONFIG
inline constexpr bool slow_config = true;
#else
inline constexpr bool slow_config = false;
#endif

// Every ISA this machine can run; each kernel test loops over them and
// compares with the scalar reference.
inline std::vector<simd::Isa> isas() { return simd::available_isas(); }

inline std::string isa_label(simd::Isa isa) { return std::string("ISA ") + simd::isa_name(isa); }

// The largest |a[i] - b[i]| of two tensors of one shape.
inline double max_abs_difference(const Tensor<float>& a, const Tensor<float>& b) {
  REQUIRE(a.shape() == b.shape());
  double worst = 0.0;
  for (index_t i = 0; i < a.numel(); ++i) worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

// A batch of text-line inputs [N, 1, height, W] for the recognizers: line n
// random ink in [0, 1] over its first widths[n] columns, blank paper (0) to
// the right.
inline Tensor<float> ink_lines(index_t height, index_t W, const std::vector<index_t>& widths, Rng& rng) {
  Tensor<float> x({static_cast<index_t>(widths.size()), 1, height, W}, 0.0f);
  for (std::size_t n = 0; n < widths.size(); ++n)
    for (index_t y = 0; y < height; ++y)
      for (index_t i = 0; i < widths[n]; ++i) x(static_cast<index_t>(n), 0, y, i) = rng.uniform();
  return x;
}

// A fresh, empty folder under the system's temporary folder, removed at the
// end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "nnocr-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::string path_string() const { return path.string(); }
  std::string operator/(const std::string& name) const { return file(name); }
};

}  // namespace nnocr::test
