// fuzz_cli_args.cpp — libFuzzer target: the command line of the nnocr
// program (tools/cli_args.hpp, cli_common.hpp, and the option handling of
// cmd_read.hpp / cmd_train.hpp). The input is an argument vector, arguments
// separated by NUL bytes. It is parsed against every command's flag table;
// each value given goes through the value parsers the commands use (integers
// and reals in ranges, ISA names, thread counts, output formats, --arch
// JSON); and the last argument, as a `--config FILE` JSON file, is merged
// into the train command's arguments.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../../tools/cli_args.hpp"
#include "../../tools/cli_common.hpp"
#include "../../tools/cmd_read.hpp"
#include "../../tools/cmd_train.hpp"
#include "fuzz_util.hpp"

namespace {

using namespace nnocr;

void check_parsed(const cli::Args& args, const cli::ArgSpec& spec, const std::vector<std::string>& argv) {
  for (const auto& [flag, value] : args.values) fuzz::require(spec.valued.count(flag) == 1);
  for (const std::string& flag : args.flags) fuzz::require(spec.boolean.count(flag) == 1);
  fuzz::require(args.positional.size() <= argv.size());
  for (const auto& member : args.values) {
    const std::string& flag = member.first;
    const std::string& value = member.second;
    fuzz::require(args.has(flag) && args.get(flag) == value);
    fuzz::accepts([&] { (void)cli::parse_integer(value, flag.c_str(), 0, 1LL << 40); });
    fuzz::accepts([&] { (void)cli::parse_integer(value, flag.c_str(), 0, 0x7FFFFFFFFFFFFFFFLL); });
    fuzz::accepts([&] {
      const long long v = cli::parse_integer(value, flag.c_str(), -1000, 1000);
      fuzz::require(v >= -1000 && v <= 1000);
    });
    fuzz::accepts([&] {
      const double v = cli::parse_real(value, flag.c_str(), 0, 10);
      fuzz::require(v >= 0 && v <= 10);
    });
    fuzz::accepts([&] { (void)cli::parse_real(value, flag.c_str(), 0, std::numeric_limits<double>::max()); });
    fuzz::accepts([&] { (void)simd::parse_isa(value); });
    fuzz::accepts([&] {
      const int n = nnocr::detail::parse_thread_count(value, flag.c_str());
      fuzz::require(n >= 1 && n <= 1024);
    });
    fuzz::accepts([&] { (void)pipeline::parse_output_format(value); });
  }
  if (args.has("--arch")) {
    io::Json arch;
    if (fuzz::accepts([&] { arch = io::parse_json(args.get("--arch"), "--arch"); })) {
      fuzz::accepts([&] { (void)models::CrnnConfig::from_json(arch); });
      fuzz::accepts([&] { (void)models::TransformerOcrConfig::from_json(arch); });
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  std::vector<std::string> argv = fuzz::split_at_nul(data, size);
  const cli::ArgSpec top{{"--threads", "--isa"}, {"--version", "--help", "-h", "-V"}};
  const std::pair<const char*, cli::ArgSpec> commands[] = {
      {"nnocr", top},
      {"nnocr read", cli::read_spec()},
      {"nnocr eval", cli::eval_spec()},
      {"nnocr lm", cli::lm_spec()},
      {"nnocr train", cli::train_spec()},
  };
  for (const auto& command : commands) {
    cli::Args args;
    if (fuzz::accepts([&] { args = cli::parse_args(argv, command.second, command.first); }))
      check_parsed(args, command.second, argv);
  }

  // The last argument as the text of a --config file for `nnocr train`.
  if (argv.empty()) return 0;
  const std::string config_text = argv.back();
  argv.pop_back();
  const cli::ArgSpec spec = cli::train_spec();
  cli::Args args;
  if (!fuzz::accepts([&] { args = cli::parse_args(argv, spec, "nnocr train"); })) return 0;
  const fuzz::MemFile config(reinterpret_cast<const std::uint8_t*>(config_text.data()), config_text.size());
  args.values["--config"] = config.path();
  cli::Args merged;
  if (fuzz::accepts([&] { merged = cli::merge_config_file(args, spec); })) check_parsed(merged, spec, argv);
  return 0;
}
