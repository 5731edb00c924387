#!/usr/bin/env bash
# Runs the benchmarks of bench/ one after the other (see bench/README.md). Each runner installs
# what it needs, starts its own throwaway cluster, prints its summary and writes it under
# bench/results/. Benchmarks report; a missed target never fails this script, a broken
# benchmark does (after the others have run). One line per benchmark below.
set -uo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
failed=()
run() { bash "$@" || failed+=("$*"); }

run "$BENCH/intake/run.sh"
run "$BENCH/render/run.sh"
run "$BENCH/processing/run.sh"
run "$BENCH/status_copy/run.sh"  # ~1 minute
run "$BENCH/latency/run.sh"
run "$BENCH/sender/run.sh"
run "$BENCH/archiving/run.sh"
run "$BENCH/gateway/run.sh"     # ~5 minutes (fsync=off)
GW_SETTINGS=default GW_SKIP_SETUP=1 run "$BENCH/gateway/run.sh"   # durable commits, ~5 minutes
run "$BENCH/xmin_horizon/run.sh"   # ~10 minutes
run "$BENCH/bloat/run.sh"          # ~22 minutes
run "$BENCH/crash_loop/run.sh"     # 100 crashes, a few minutes (passes or fails, measures nothing)

if ((${#failed[@]})); then
  echo "bench/run.sh: failed: ${failed[*]}" >&2
  exit 1
fi
