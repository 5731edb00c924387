#!/usr/bin/env bash
# Fuzzes the template parser and renderer with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer. Usage: fuzz/run.sh [seconds, default 600]
# Builds with clang-14 through CMake (src/template configured on its own, MC_FUZZ=ON) in
# build-fuzz/, runs on a scratch copy of fuzz/corpus, and exits non-zero on a crash, leaving
# the crashing input (crash-*, leak-*, timeout-*) in build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
build=build-fuzz

if ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  apt-get install -y -qq libclang-rt-14-dev >/dev/null
fi
cmake -S src/template -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DMC_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target template_fuzz -j"$(nproc)" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp fuzz/corpus/* "$work/"
mkdir -p "$build/artifacts"
# -timeout: one input must not take seconds (the renderer's step limit bounds it);
# the fuzzer's exit status is non-zero on a crash, leak, timeout or sanitizer report.
set +e
"$build/template_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$work" \
  2>"$build/fuzz.log"
status=$?
set -e
grep -E "^(#[0-9]+ +DONE|stat::|Done )|ERROR|SUMMARY" "$build/fuzz.log" | tail -20
echo "fuzz/run.sh: ${seconds}s, exit status $status (log: $build/fuzz.log)"
exit $status
