#!/usr/bin/env bash
# Builds and installs the extension (PGXS) and builds the C++ tests and tools (CMake).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The build's output goes to build.log (kept, and shown when a step fails); MC_WERROR=1 (CI)
# turns every warning of the extension and of the C++ targets into an error.
log=build.log
: >"$log"
run() { "$@" >>"$log" 2>&1 || { echo "build failed: $*"; tail -50 "$log"; exit 1; }; }
werror=${MC_WERROR:-0}
run make -j"$(nproc)" WERROR="$werror"
run make install WERROR="$werror"
run cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMC_WERROR="$werror"
run cmake --build build -j"$(nproc)"
echo "build ok ($(grep -c 'warning:' "$log") warnings; log in $log)"
