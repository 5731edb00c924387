#!/usr/bin/env bash
# Intake benchmark (bench/README.md, "Intake"): mc.push_event against a plain INSERT (pgbench),
# mc.push_events(1,000) and COPY into mc.batch_event against a plain COPY (intake_bench), all
# in one throwaway cluster, baselines measured in the same run. Reports; never asserts timing.
#
# On a fresh Debian 12 machine, as root: installs what it needs, builds and installs the
# extension, builds intake_bench (CMake, build-bench/), runs everything inside pg_virtualenv,
# prints the summary and writes it to bench/results/intake-<UTC time>.md.
#
# Knobs (environment):
#   INTAKE_RUNS=5             measured runs per case (medians over them; at least 3 advised)
#   INTAKE_DURATION=15        seconds per pgbench run
#   INTAKE_CLIENTS="1 4 8"    pgbench client counts
#   INTAKE_CALLS=200          intake_bench calls per run
#   INTAKE_EVENTS_PER_CALL=1000
#   INTAKE_PARTS="single batch"   which parts to run
#   INTAKE_PG_OPTS="..."      extra server settings, space-separated guc=value, added to (and
#                             overriding) the defaults below
#   INTAKE_SKIP_SETUP=1       skip apt-get, make install and the CMake build (use what is there)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD="$REPO/build-bench"

RUNS=${INTAKE_RUNS:-5}
DURATION=${INTAKE_DURATION:-15}
CLIENTS=${INTAKE_CLIENTS:-1 4 8}
CALLS=${INTAKE_CALLS:-200}
PER_CALL=${INTAKE_EVENTS_PER_CALL:-1000}
PARTS=${INTAKE_PARTS:-single batch}

# Server settings, the same for both sides of every comparison. pg_virtualenv adds fsync=off.
# Larger shared_buffers and max_wal_size: no buffer eviction or checkpoint in the middle of a
# run; autovacuum off: the runner VACUUMs and CHECKPOINTs between runs itself.
PG_SETTINGS="shared_preload_libraries=pg_cron shared_buffers=1GB max_wal_size=8GB \
checkpoint_timeout=30min autovacuum=off ${INTAKE_PG_OPTS:-}"

log() { echo "[intake $(date -u +%H:%M:%S)] $*" >&2; }

setup() {
  local needed=(postgresql-15 postgresql-server-dev-15 postgresql-15-cron postgresql-client-15
    libpq-dev cmake g++ pkg-config make libgtest-dev nlohmann-json3-dev)
  # (libgtest-dev and nlohmann-json3-dev: the top-level CMakeLists.txt requires them.)
  local missing=() p
  for p in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  log "building and installing the extension"
  make -C "$REPO" -j"$(nproc)" >/dev/null
  make -C "$REPO" install >/dev/null
  log "building intake_bench in $BUILD"
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" --target intake_bench -j"$(nproc)" >/dev/null
}

if [[ "${1:-}" != "--inside" ]]; then
  [[ "${INTAKE_SKIP_SETUP:-0}" == 1 ]] || setup
  [[ -x "$BUILD/intake_bench" ]] || { echo "missing $BUILD/intake_bench" >&2; exit 1; }
  opts=()
  for s in $PG_SETTINGS; do opts+=(-o "$s"); done
  # -t: the cluster lives in a temporary directory, so concurrent pg_virtualenv users of this
  # machine (tests) do not collide with it.
  exec pg_virtualenv -t -v 15 "${opts[@]}" bash "${BASH_SOURCE[0]}" --inside
fi

# ---- Inside the throwaway cluster (PGHOST, PGPORT, ... exported by pg_virtualenv) ----

PSQL=(psql -X -q -v ON_ERROR_STOP=1)
STARTED=$(date -u +%s)
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
RESULTS_DIR="$REPO/bench/results"
RESULT_FILE="$RESULTS_DIR/intake-$STAMP.md"
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1}
  END {if (NR % 2) printf "%.1f", a[(NR + 1) / 2]; else printf "%.1f", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "n/a"}'; }
meets() { awk -v r="$1" -v t="$2" 'BEGIN {print (r != "n/a" && r >= t) ? "yes" : "**no**"}'; }

reset_tables() { "${PSQL[@]}" -f "$HERE/reset.sql" >/dev/null; }

"${PSQL[@]}" -f "$HERE/setup.sql" >/dev/null

# Server CPU, a second, diagnostic measure: wall-clock throughput on a shared 2-core machine
# moves with whatever else runs there, the CPU time the backends spend per event much less.
# Backends are children of the postmaster: once they exit, the kernel adds their user+system
# time to the postmaster's cutime+cstime (/proc/PID/stat fields 16, 17). Every client below
# connects, works and disconnects, so the difference around a run is that run's backends'
# CPU (background processes such as the WAL writer are not counted).
PM_PID=$(head -1 "$("${PSQL[@]}" -Atc "SHOW data_directory")/postmaster.pid")
CLK_TCK=$(getconf CLK_TCK)
backend_ticks() {
  sleep 0.3  # let the postmaster reap the backends that just exited
  awk '{print $16 + $17}' "/proc/$PM_PID/stat"
}
cpu_us_per() { awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}'; }

THREADS_MAX=$(nproc)
# One pgbench run; prints its tps (excluding connection time) and backend CPU us per event.
pgbench_run() {
  local script=$1 clients=$2 threads out before after tx
  threads=$((clients < THREADS_MAX ? clients : THREADS_MAX))
  reset_tables
  before=$(backend_ticks)
  out=$(pgbench -n -M prepared -c "$clients" -j "$threads" -T "$DURATION" -f "$HERE/$script" 2>&1) ||
    { echo "$out" >&2; return 1; }
  after=$(backend_ticks)
  tx=$(awk '/^number of transactions actually processed:/ {print $NF; exit}' <<<"$out")
  echo "$(awk '/^tps = / {print $3; exit}' <<<"$out") $(cpu_us_per $((after - before)) "$tx")"
}

declare -A SINGLE_OURS SINGLE_BASE SINGLE_OURS_CPU SINGLE_BASE_CPU BATCH BATCH_CPU
if [[ " $PARTS " == *" single "* ]]; then
  for c in $CLIENTS; do
    ours=() base=() ours_cpu=() base_cpu=()
    for ((r = 1; r <= RUNS; r++)); do
      # Alternate which side goes first, to cancel drift.
      if ((r % 2)); then order="push_event plain_insert"; else order="plain_insert push_event"; fi
      for side in $order; do
        read -r tps cpu < <(pgbench_run "$side.sql" "$c")
        log "single-row $side clients=$c run $r/$RUNS: $tps tps, $cpu us backend CPU per event"
        echo "single $side $c $r $tps $cpu" >>"$RAW"
        if [[ $side == push_event ]]; then
          ours+=("$tps") ours_cpu+=("$cpu")
        else
          base+=("$tps") base_cpu+=("$cpu")
        fi
      done
    done
    SINGLE_OURS[$c]=$(median "${ours[@]}")
    SINGLE_BASE[$c]=$(median "${base[@]}")
    SINGLE_OURS_CPU[$c]=$(median "${ours_cpu[@]}")
    SINGLE_BASE_CPU[$c]=$(median "${base_cpu[@]}")
  done
fi

BATCH_MODES=(copy_plain push_events push_events_json copy_batch)
if [[ " $PARTS " == *" batch "* ]]; then
  declare -A values cpus
  for ((r = 1; r <= RUNS; r++)); do
    # Rotate and reverse the order from run to run.
    n=${#BATCH_MODES[@]}
    order=()
    for ((k = 0; k < n; k++)); do order+=("${BATCH_MODES[$(((k + r - 1) % n))]}"); done
    if ((r % 2 == 0)); then
      reversed=()
      for ((k = n - 1; k >= 0; k--)); do reversed+=("${order[$k]}"); done
      order=("${reversed[@]}")
    fi
    for mode in "${order[@]}"; do
      reset_tables
      before=$(backend_ticks)
      line=$("$BUILD/intake_bench" "$mode" "$CALLS" "$PER_CALL")
      after=$(backend_ticks)
      rps=$(sed -n 's/.*rows_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
      # The warm-up call's rows count too: it is work the backend did.
      cpu=$(cpu_us_per $((after - before)) $(((CALLS + 1) * PER_CALL)))
      log "batch $mode run $r/$RUNS: $rps rows/s, $cpu us backend CPU per event ($line)"
      echo "batch $mode $PER_CALL $r $rps $cpu" >>"$RAW"
      values[$mode]="${values[$mode]:-} $rps"
      cpus[$mode]="${cpus[$mode]:-} $cpu"
    done
  done
  for mode in "${BATCH_MODES[@]}"; do
    # shellcheck disable=SC2086
    BATCH[$mode]=$(median ${values[$mode]})
    # shellcheck disable=SC2086
    BATCH_CPU[$mode]=$(median ${cpus[$mode]})
  done
fi

# ---- Summary ----
ELAPSED=$(($(date -u +%s) - STARTED))
PGVERSION_FULL=$("${PSQL[@]}" -Atc "SELECT version()")
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)

summary() {
  echo "# Intake benchmark, $STAMP"
  echo
  echo "- commit $COMMIT (work tree as built: the extension installed from $REPO)"
  echo "- $(nproc) cores, ${CPU:-unknown CPU}; $PGVERSION_FULL"
  echo "- server: fsync=off (pg_virtualenv), $PG_SETTINGS"
  echo "- runs per case: $RUNS (medians); pgbench -M prepared, ${DURATION}s per run, -j min(clients, $(nproc));"
  echo "  intake_bench: $CALLS calls x $PER_CALL events per run; tables truncated, vacuumed and"
  echo "  checkpointed before every measured run; sides alternated run by run"
  echo "- wall time: ${ELAPSED}s"
  echo
  echo "| Benchmark | Clients | Ours (median) | Baseline (median) | Ratio | Target | Met |"
  echo "|---|---:|---:|---:|---:|---:|:---:|"
  local c rt
  if [[ " $PARTS " == *" single "* ]]; then
    for c in $CLIENTS; do
      rt=$(ratio "${SINGLE_OURS[$c]}" "${SINGLE_BASE[$c]}")
      echo "| push_event vs INSERT (tps) | $c | ${SINGLE_OURS[$c]} | ${SINGLE_BASE[$c]} | $rt | >= 0.90 | $(meets "$rt" 0.9) |"
    done
  fi
  if [[ " $PARTS " == *" batch "* ]]; then
    rt=$(ratio "${BATCH[push_events]}" "${BATCH[copy_plain]}")
    echo "| push_events($PER_CALL) vs plain COPY (rows/s) | 1 | ${BATCH[push_events]} | ${BATCH[copy_plain]} | $rt | >= 0.80 | $(meets "$rt" 0.8) |"
    rt=$(ratio "${BATCH[push_events_json]}" "${BATCH[copy_plain]}")
    echo "| push_events_json($PER_CALL) vs plain COPY (rows/s) | 1 | ${BATCH[push_events_json]} | ${BATCH[copy_plain]} | $rt | >= 0.80 | $(meets "$rt" 0.8) |"
    rt=$(ratio "${BATCH[copy_batch]}" "${BATCH[copy_plain]}")
    echo "| COPY mc.batch_event vs plain COPY (rows/s) | 1 | ${BATCH[copy_batch]} | ${BATCH[copy_plain]} | $rt | >= 0.80 | $(meets "$rt" 0.8) |"
  fi
  echo
  echo "Diagnostic, no target: backend CPU per event (user+system us of the run's backends"
  echo "divided by the events they stored; lower is better; cost ratio = ours / baseline, so"
  echo "1.10 means 10 % more server CPU per event). Less sensitive to other load than the above."
  echo
  echo "| Benchmark | Clients | Ours us/event | Baseline us/event | Cost ratio |"
  echo "|---|---:|---:|---:|---:|"
  if [[ " $PARTS " == *" single "* ]]; then
    for c in $CLIENTS; do
      echo "| push_event vs INSERT | $c | ${SINGLE_OURS_CPU[$c]} | ${SINGLE_BASE_CPU[$c]} | $(ratio "${SINGLE_OURS_CPU[$c]}" "${SINGLE_BASE_CPU[$c]}") |"
    done
  fi
  if [[ " $PARTS " == *" batch "* ]]; then
    echo "| push_events($PER_CALL) vs plain COPY | 1 | ${BATCH_CPU[push_events]} | ${BATCH_CPU[copy_plain]} | $(ratio "${BATCH_CPU[push_events]}" "${BATCH_CPU[copy_plain]}") |"
    echo "| push_events_json($PER_CALL) vs plain COPY | 1 | ${BATCH_CPU[push_events_json]} | ${BATCH_CPU[copy_plain]} | $(ratio "${BATCH_CPU[push_events_json]}" "${BATCH_CPU[copy_plain]}") |"
    echo "| COPY mc.batch_event vs plain COPY | 1 | ${BATCH_CPU[copy_batch]} | ${BATCH_CPU[copy_plain]} | $(ratio "${BATCH_CPU[copy_batch]}" "${BATCH_CPU[copy_plain]}") |"
  fi
  echo
  echo "Every run (part, case, clients or events per call, run, tps or rows/s, backend us/event):"
  echo
  echo '```'
  cat "$RAW"
  echo '```'
}

mkdir -p "$RESULTS_DIR"
summary | tee "$RESULT_FILE"
log "written to $RESULT_FILE"
