#!/usr/bin/env bash
# fuzz.sh [SECONDS_PER_TARGET] [TARGET...] — builds the libFuzzer targets
# of tests/fuzz/ with clang in build-fuzz/ and runs each for the given time
# (default 60 s; targets: image model_file json gt_text idx lexicon char_lm
# cli_args font, all by default). Each run starts from the committed seeds
# in tests/fuzz/corpus/<target>/, which it only reads: new inputs go to
# build-fuzz/fuzz-runs/<target>/corpus/ (kept between runs, so repeated runs
# go deeper; delete build-fuzz/fuzz-runs to start over), crash reproducers
# to build-fuzz/fuzz-runs/<target>/. Prints per target the executions,
# executions per second and PASS/FAIL; exits non-zero when any target finds
# a crash, a sanitizer report, a leak, an allocation over 2 GiB or an input
# that runs longer than 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install_deps.sh

seconds=${1:-60}
shift || true
all_targets=(image model_file json gt_text idx lexicon char_lm cli_args font)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number, got '$seconds'" >&2; exit 2 ;; esac

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DNNOCR_WERROR=ON -DNNOCR_BUILD_FUZZ=ON -DNNOCR_BUILD_TESTS=OFF -DNNOCR_BUILD_BENCH=OFF \
  -DNNOCR_BUILD_EXAMPLES=OFF -DNNOCR_BUILD_TOOLS=OFF >/dev/null
cmake --build build-fuzz -j "$(build_jobs)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
summary=()
for t in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$t
  [ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
  extra=()
  if [ "$t" = font ]; then
    # Real fonts are not ours to commit: the font target also starts from
    # the smallest fonts installed on this machine.
    extra=(build-fuzz/font-seeds)
    mkdir -p build-fuzz/font-seeds
    # (Read through a process substitution: under pipefail, head closing
    # the pipe early would fail the script with SIGPIPE, exit 141.)
    mapfile -t small_fonts < <(find /usr/share/fonts \( -name '*.ttf' -o -name '*.otf' \) -size -120k 2>/dev/null | sort)
    for f in "${small_fonts[@]:0:6}"; do cp -f "$f" build-fuzz/font-seeds/; done
  fi
  work=build-fuzz/fuzz-runs/$t
  mkdir -p "$work/corpus"
  log=$work/log.txt
  echo "== fuzz_$t for $seconds s"
  status=PASS
  touch "$work/started"
  # The outer timeout only guards against libFuzzer itself getting stuck.
  if ! timeout $((seconds + 120)) "build-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -malloc_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$work/" \
      "$work/corpus" "$seeds" "${extra[@]}" >"$log" 2>&1; then
    status=FAIL
    failed=1
    tail -n 60 "$log"
    find "$work" -maxdepth 1 -newer "$work/started" -name '*-*' -type f | sed 's/^/reproducer: /'
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  line=$(printf '%-12s %12s execs %8s exec/s  %s' "$t" "${execs:-?}" "${rate:-?}" "$status")
  echo "$line"
  summary+=("$line")
done
echo "== fuzzing summary ($seconds s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
