// cli_common.hpp — what every nnocr subcommand shares: the common flags,
// number parsing with errors that name the flag, and the font catalogue.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nnocr/core/thread_pool.hpp>
#include <nnocr/data/font.hpp>
#include <nnocr/simd/isa.hpp>

#include "cli_args.hpp"

namespace nnocr::cli {

// Applies the flags every command shares.
inline void apply_common(const Args& args) {
  if (args.has("--isa")) simd::set_isa(simd::parse_isa(args.get("--isa")));
  if (args.has("--threads")) set_num_threads(nnocr::detail::parse_thread_count(args.get("--threads"), "--threads"));
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// An integer flag value in [lo, hi]; anything else is an error naming the flag.
inline long long parse_integer(const std::string& text, const char* flag, long long lo, long long hi) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  NNOCR_CHECK(used == text.size() && !text.empty() && v >= lo && v <= hi, flag, ": expected an integer in [", lo, ", ",
              hi, "], got '", text, "'");
  return v;
}

// A number flag value in [lo, hi]; anything else (NaN included) is an error naming the flag.
inline double parse_real(const std::string& text, const char* flag, double lo, double hi) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  NNOCR_CHECK(used == text.size() && !text.empty() && v >= lo && v <= hi, flag, ": expected a number in [", lo, ", ", hi,
              "], got '", text, "'");
  return v;
}

// The system's fonts (or those under --font-dirs A,B), split into training
// fonts and the held-out designs.
struct FontChoice {
  std::vector<std::string> dirs;
  std::vector<data::FontInfo> found;
  data::FontSplit split;
};

inline FontChoice choose_fonts(const Args& args, const char* command) {
  FontChoice out;
  out.dirs = data::default_font_dirs();
  if (args.has("--font-dirs")) {
    out.dirs.clear();
    const std::string list = args.get("--font-dirs");
    for (std::size_t start = 0; start <= list.size();) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) out.dirs.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
  }
  out.found = data::find_system_fonts(out.dirs);
  out.split = data::split_fonts(out.found);
  (void)command;
  return out;
}

}  // namespace nnocr::cli
