// fuzz_json.cpp — libFuzzer target: the strict JSON reader (io/json.hpp),
// which reads safetensors headers, model configurations and `nnocr train
// --config` files. Whatever it accepts must write back (compact and
// indented) to text that parses to an equal value.
#include <cstddef>
#include <cstdint>

#include <nnocr/io/json.hpp>

#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nnocr;
  io::JsonLimits limits;
  limits.max_bytes = std::size_t{1} << 20;
  io::Json value;
  if (!fuzz::accepts([&] { value = io::parse_json(fuzz::as_text(data, size), "fuzz", limits); })) return 0;
  for (const int indent : {-1, 2}) {
    const std::string text = io::to_json(value, indent);
    fuzz::require(io::parse_json(text, "round trip", limits) == value);
  }
  return 0;
}
