#!/usr/bin/env bash
# Set up, configure, build in build/ and run every test with ctest.
#   scripts/test.sh              the whole suite (what CI runs)
#   scripts/test.sh --sanitize   the same with ASan + UBSan, in build-sanitize/
# Extra arguments after -- go to ctest (e.g. -- -R Vectors).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) build_dir=build-sanitize; cmake_args+=(-DHUNTER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "test.sh: unknown argument '$1' (use --sanitize, or -- ctest-args)" >&2; exit 2 ;;
  esac
  shift
done
if [ "${CI:-}" = "true" ]; then cmake_args+=(-DHUNTER_WERROR=ON); fi

if [ "$build_dir" = build-sanitize ]; then
  export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi

scripts/setup-deps.sh
cmake -S . -B "$build_dir" -G Ninja "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
cd "$build_dir"
ctest --output-on-failure --no-tests=error -j "$(nproc)" --timeout 600 "${ctest_args[@]}"
