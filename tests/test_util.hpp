// test_util.hpp — helpers shared by the test files.
#pragma once

#include <doctest/doctest.h>

#include <nnocr/simd/isa.hpp>

#include <string>
#include <vector>

namespace nnocr::test {

// Every ISA this machine can run; each kernel test loops over them and
// compares with the scalar reference.
inline std::vector<simd::Isa> isas() { return simd::available_isas(); }

inline std::string isa_label(simd::Isa isa) { return std::string("ISA ") + simd::isa_name(isa); }

}  // namespace nnocr::test
