#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan in build-fuzz/, and runs
# each for a bounded time.
#   scripts/fuzz.sh                  every target for 60 s each
#   scripts/fuzz.sh -t 600 fuzz_scale   one target for 10 minutes
#   scripts/fuzz.sh -t 15            what CI runs (.ci/run)
# Each run starts from the seed corpus tests/fuzz/corpus/<target>/ (and regressions/<target>/)
# and keeps what it finds in build-fuzz/corpus/<target>/, so later runs go on from there.
# A crash stops the run and exits 1; the input is in build-fuzz/crashes/<target>/. Make it a
# regression test: fix the bug, then copy the input into tests/fuzz/regressions/<target>/
# (ctest replays every file there in the normal and sanitizer builds).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    -t|--time) seconds=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    fuzz_*) targets+=("$1") ;;
    *) echo "fuzz.sh: unknown argument '$1' (use -t SECONDS and target names)" >&2; exit 2 ;;
  esac
  shift
done
all=(fuzz_scale fuzz_extrinsic fuzz_worker_response fuzz_chain_response fuzz_config)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

scripts/setup-deps.sh
build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHUNTER_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  crashes=$build/crashes/$t
  mkdir -p "$corpus" "$crashes"
  seeds=(tests/fuzz/corpus/$t)
  [ -d tests/fuzz/regressions/$t ] && seeds+=(tests/fuzz/regressions/$t)
  echo "=== $t: ${seconds} s" >&2
  # -rss_limit_mb / -malloc_limit_mb: an input that makes the parser allocate without bound is a
  # crash too. -max_len: bodies up to 64 KiB.
  if ! "$build/tests/fuzz/$t" "$corpus" "${seeds[@]}" -max_total_time="$seconds" \
      -max_len=65536 -rss_limit_mb=1024 -malloc_limit_mb=512 -timeout=10 \
      -artifact_prefix="$crashes/" -print_final_stats=1 2>"$build/$t.log"; then
    tail -n 40 "$build/$t.log" >&2
    echo "=== $t: CRASH; input(s) in $crashes/" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/$t.log" | tr '\n' ' ' >&2
    echo >&2
  fi
done
exit $status
