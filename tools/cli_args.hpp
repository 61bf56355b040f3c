// cli_args.hpp — the command line of the nnocr program: a subcommand, flags
// of the form --name VALUE or --name=VALUE, boolean flags, and positional
// arguments. Strict: unknown flags and missing values are errors.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nnocr/core/error.hpp>

namespace nnocr::cli {

struct ArgSpec {
  std::set<std::string> valued;  // flags that take a value
  std::set<std::string> boolean; // flags that do not
};

struct Args {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
  std::vector<std::string> positional;

  bool has(const std::string& flag) const { return flags.count(flag) || values.count(flag); }
  std::string get(const std::string& flag, const std::string& fallback = "") const {
    auto it = values.find(flag);
    return it == values.end() ? fallback : it->second;
  }
};

// Parses argv[first..argc) against `spec`. "--" ends the flags.
inline Args parse_args(const std::vector<std::string>& argv, const ArgSpec& spec, const std::string& context) {
  Args out;
  bool flags_done = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (flags_done || a.size() < 2 || a[0] != '-' || a == "-") {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    std::string name = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    if (spec.boolean.count(name)) {
      NNOCR_CHECK(!has_value, context, ": flag ", name, " takes no value");
      out.flags.insert(name);
    } else if (spec.valued.count(name)) {
      if (!has_value) {
        NNOCR_CHECK(i + 1 < argv.size(), context, ": flag ", name, " needs a value");
        value = argv[++i];
      }
      out.values[name] = value;
    } else {
      throw Error(context + ": unknown flag '" + name + "' (see --help)");
    }
  }
  return out;
}

}  // namespace nnocr::cli
