#!/usr/bin/env bash
# Fuzzes the template parser and renderer with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer. Usage: bash fuzz/run.sh [seconds, default 600]. Exits non-zero on
# a crash, leaving the crashing input in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
bash scripts/install-deps.sh
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed" ||
  apt-get install -y -qq libclang-rt-14-dev >/dev/null
mkdir -p build-fuzz
clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Isrc fuzz/template_fuzz.cpp src/template/*.cpp -o build-fuzz/template_fuzz
work=$(mktemp -d)
cp fuzz/corpus/* "$work/"
cd build-fuzz
./template_fuzz -max_total_time="$seconds" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work" ../fuzz/corpus 2>&1 | tail -25
