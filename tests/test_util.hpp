// test_util.hpp — helpers shared by the test files.
#pragma once

#include <doctest/doctest.h>

#include <nnocr/simd/isa.hpp>

#include <filesystem>
#include <string>
#include <system_error>

#include <stdlib.h>  // mkdtemp
#include <vector>

namespace nnocr::test {

// Every ISA this machine can run; each kernel test loops over them and
// compares with the scalar reference.
inline std::vector<simd::Isa> isas() { return simd::available_isas(); }

inline std::string isa_label(simd::Isa isa) { return std::string("ISA ") + simd::isa_name(isa); }

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
