#!/usr/bin/env bash
# The crash loop of test/e2e/crash_recovery.sh, longer: 100 crashes (MC_CRASH_LOOPS) instead of
# the test suite's 20, 25 of each target (batch loop, rt loop, status copy, sender), by the
# backend and by the postmaster in turn. Not a measurement: it passes or fails like the test,
# and writes its output to bench/results/crash_loop-<UTC time>.md. As root, Debian 12.
# MC_CRASH_LOOPS (default 100) and MC_CRASH_EVENTS (default 20000) are passed on.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build.sh
export MC_CRASH_LOOPS=${MC_CRASH_LOOPS:-100} MC_CRASH_EVENTS=${MC_CRASH_EVENTS:-20000}
mkdir -p bench/results
out=bench/results/crash_loop-$(date -u +%Y%m%dT%H%M%SZ).md
{
  echo "# crash loop: $MC_CRASH_LOOPS crashes, $MC_CRASH_EVENTS events each ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo '```'
} >"$out"
rc=0
bash test/e2e/crash_recovery.sh 2>&1 | tee -a "$out" || rc=$?
echo '```' >>"$out"
echo "written to $out (exit status $rc)"
exit "$rc"
