// fuzz_idx.cpp — libFuzzer target: IDX files (data/idx.hpp), the MNIST
// format, plain or gzipped (data/gzip.hpp: gzip members inflated by the
// private stb zlib decoder). The bytes are read as a file through
// read_idx_u8 and read_idx_float (gzip found by its magic), and gunzipped
// directly, with a 1 MiB output limit.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nnocr/data/gzip.hpp>
#include <nnocr/data/idx.hpp>

#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnocr;
  constexpr std::size_t kLimit = std::size_t{1} << 20;
  const fuzz::MemFile file(data, size);
  Tensor<std::uint8_t> u8;
  const bool u8_ok = fuzz::accepts([&] { u8 = data::read_idx_u8(file.path(), kLimit); });
  Tensor<float> f32;
  const bool float_ok = fuzz::accepts([&] { f32 = data::read_idx_float(file.path(), kLimit); });
  if (u8_ok) fuzz::require(float_ok && u8.shape() == f32.shape());
  if (u8_ok)
    for (index_t i = 0; i < u8.numel(); ++i) fuzz::require(f32.data()[i] == static_cast<float>(u8.data()[i]));
  if (data::looks_like_gzip(data, size)) {
    std::vector<std::uint8_t> out;
    if (fuzz::accepts([&] { out = data::gunzip(data, size, "fuzz", kLimit); })) fuzz::require(out.size() <= kLimit);
  }
  return 0;
}
