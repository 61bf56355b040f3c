// golden_util.hpp — reading the PyTorch golden files in tests/data/golden/
// (made by the scripts in tests/golden/) and comparing against them.
#pragma once

#include <doctest/doctest.h>

#include <nnocr/core/rng.hpp>
#include <nnocr/io/json.hpp>
#include <nnocr/io/safetensors.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace nnocr::test {

// tests/data/golden/FILE, read once per test binary.
inline const io::SafeTensorsFile& golden_file(const std::string& file) {
  static std::vector<std::pair<std::string, io::SafeTensorsFile>> cache;
  for (auto& entry : cache)
    if (entry.first == file) return entry.second;
  cache.emplace_back(file, io::load_safetensors(std::string(NNOCR_TEST_DATA_DIR) + "/golden/" + file));
  return cache.back().second;
}

// The JSON configuration a golden script stored under `name` in the metadata.
inline io::Json golden_config(const io::SafeTensorsFile& file, const std::string& name) {
  const std::string* text = file.find_metadata(name);
  REQUIRE(text != nullptr);
  return io::parse_json(*text, name);
}

// max |a - b| / (1 + |b|) over all elements; shapes must match.
inline double max_error(const Tensor<float>& a, const Tensor<float>& b) {
  REQUIRE(a.shape() == b.shape());
  double worst = 0.0;
  for (index_t i = 0; i < a.numel(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]) / (1.0 + std::abs(static_cast<double>(b[i]))));
  return worst;
}

inline Tensor<float> random_tensor(const Shape& s, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor<float> t(s);
  for (float& v : t) v = rng.uniform(lo, hi);
  return t;
}

}  // namespace nnocr::test
